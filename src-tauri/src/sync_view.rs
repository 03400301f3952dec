//! What crosses IPC for the Sync dialog and the Sync pairs list: the request the dialog makes,
//! the plan it shows, the estimate, and what a run made of the plan. The plan itself stays in
//! the app ([`crate::pairs::Plans`]): the web view sees it and picks from it, never hands one in.

use ferry_engine::settings::{ConflictPolicy, PairCompare, Price};
use ferry_engine::transfer::estimate::{Charges, Estimate};
use ferry_engine::transfer::reviewed::{Reviewed, ReviewedPlan};
use ferry_engine::transfer::{PlanSummary, PlannedAction};
use serde::{Deserialize, Serialize};
use specta::Type;

/// A folder in a workspace: a sync's two ends are always in workspaces (a local folder is
/// a local workspace), so the web view names no path outside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SyncEnd {
    pub workspace: String,
    /// The folder below the workspace's top, `""` for the top.
    pub path: String,
}

/// A sync as the dialog sets it up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct SyncSetup {
    pub source: SyncEnd,
    pub destination: SyncEnd,
    pub delete: bool,
    pub compare: PairCompare,
    /// Files changed on both sides since the last sync.
    pub conflict: ConflictPolicy,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct PlanCounts {
    #[specta(type = u32)]
    pub copy: u64,
    #[specta(type = u32)]
    pub copy_bytes: u64,
    /// Changed at the source only (conflicts are counted apart).
    #[specta(type = u32)]
    pub update: u64,
    /// Of the changes and the conflicts.
    #[specta(type = u32)]
    pub update_bytes: u64,
    #[specta(type = u32)]
    pub delete: u64,
    #[specta(type = u32)]
    pub unchanged: u64,
    #[specta(type = u32)]
    pub skipped: u64,
    #[specta(type = u32)]
    pub conflicts: u64,
}

impl From<&PlanSummary> for PlanCounts {
    fn from(s: &PlanSummary) -> Self {
        PlanCounts {
            copy: s.copy,
            copy_bytes: s.copy_bytes,
            update: s.update.saturating_sub(s.conflicts),
            update_bytes: s.update_bytes,
            delete: s.delete,
            unchanged: s.unchanged,
            skipped: s.skipped,
            conflicts: s.conflicts,
        }
    }
}

/// One action of a plan, numbered as the plan holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct PlanAction {
    pub index: u32,
    /// `copy` (new), `update` (changed), `conflict`, `delete`, `mkdir`, `link` or `skip`.
    pub action: String,
    pub source: Option<String>,
    pub destination: String,
    #[specta(type = u32)]
    pub size: u64,
    pub note: Option<String>,
}

impl PlanAction {
    fn of(index: usize, a: &PlannedAction) -> Self {
        PlanAction {
            index: index as u32,
            action: a.action.clone(),
            source: a.source.clone(),
            destination: a.destination.clone(),
            size: a.size,
            note: a.note.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct ChargesView {
    pub provider: String,
    #[specta(type = u32)]
    pub writes: u64,
    #[specta(type = u32)]
    pub reads: u64,
    #[specta(type = u32)]
    pub lists: u64,
    #[specta(type = u32)]
    pub deletes: u64,
    #[specta(type = u32)]
    pub egress_bytes: u64,
    pub cost: f64,
}

impl From<Charges> for ChargesView {
    fn from(c: Charges) -> Self {
        ChargesView {
            provider: c.provider,
            writes: c.writes,
            reads: c.reads,
            lists: c.lists,
            deletes: c.deletes,
            egress_bytes: c.egress_bytes,
            cost: c.cost,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct EstimateView {
    #[specta(type = u32)]
    pub requests: u64,
    /// US dollars.
    pub cost: f64,
    pub source: Option<ChargesView>,
    pub destination: Option<ChargesView>,
}

impl From<Estimate> for EstimateView {
    fn from(e: Estimate) -> Self {
        EstimateView {
            requests: e.requests,
            cost: e.cost,
            source: e.source.map(Into::into),
            destination: e.destination.map(Into::into),
        }
    }
}

/// A plan to review: nothing has changed yet.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct SyncPlan {
    /// What the dialog names the plan by when it runs it.
    pub id: String,
    /// `workspace:folder` of each end.
    pub source: String,
    pub destination: String,
    /// When it was made (RFC 3339).
    pub made: String,
    pub counts: PlanCounts,
    /// Every action, skips included (those are not run, only shown).
    pub actions: Vec<PlanAction>,
    pub estimate: EstimateView,
}

impl SyncPlan {
    pub fn of(id: String, plan: &ReviewedPlan, estimate: Estimate) -> Self {
        SyncPlan {
            id,
            source: plan.source.display(),
            destination: plan.destination.display(),
            made: plan.made.clone(),
            counts: (&plan.summary).into(),
            actions: plan
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| PlanAction::of(i, a))
                .collect(),
            estimate: estimate.into(),
        }
    }
}

/// What the reviewer changed: actions taken out, and the conflicts decided one by one.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, Type)]
pub struct Review {
    pub leave_out: Vec<u32>,
    pub choices: Vec<Choice>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct Choice {
    pub index: u32,
    pub resolution: ConflictPolicy,
}

impl Review {
    pub fn apply(&self, plan: ReviewedPlan) -> ferry_engine::Result<ReviewedPlan> {
        let leave_out: Vec<usize> = self.leave_out.iter().map(|i| *i as usize).collect();
        let choices: Vec<(usize, ConflictPolicy)> = self
            .choices
            .iter()
            .map(|c| (c.index as usize, c.resolution))
            .collect();
        plan.choose(&leave_out, &choices)
    }
}

/// A reviewed action left alone, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct Held {
    pub action: String,
    pub destination: String,
    pub why: String,
}

/// What running a reviewed plan did.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct SyncStarted {
    /// The job carrying out the actions (none when nothing is left to do).
    pub job: Option<String>,
    pub carried: u32,
    pub declined: u32,
    /// Reviewed actions whose files changed since the plan: not done.
    pub held: Vec<Held>,
    /// What a plan made now would do that the reviewed one did not: not done either.
    pub unreviewed: Vec<Held>,
}

impl From<Reviewed> for SyncStarted {
    fn from(r: Reviewed) -> Self {
        SyncStarted {
            job: r.job,
            carried: r.carried as u32,
            declined: r.declined as u32,
            held: r
                .refused
                .into_iter()
                .map(|x| Held {
                    action: x.action.action,
                    destination: x.action.destination,
                    why: x.why,
                })
                .collect(),
            unreviewed: r
                .unreviewed
                .into_iter()
                .map(|a| Held {
                    action: a.action,
                    destination: a.destination,
                    why: "new since the plan was made: compare again to review it".into(),
                })
                .collect(),
        }
    }
}

/// A provider's prices as the prices table shows them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct PriceRow {
    pub provider: String,
    pub price: Price,
    /// Set in settings.json (false: Ferry's list price).
    pub custom: bool,
}

/// A saved sync as the Sync pairs list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Type)]
pub struct PairView {
    pub pair: ferry_engine::settings::SyncPair,
    /// Both ends as the dialog edits them, when both are workspace folders (a pair written by
    /// hand with a local path runs, but is edited in settings.json).
    pub setup: Option<SyncSetup>,
    pub last: Option<crate::pairs::LastRun>,
}
