//! A plan a person looked at before anything changed, run as reviewed.
//!
//! `make` plans a job without changing anything and keeps every action with the versions it
//! was planned from (the source's ETag or size and time, and for an update or a delete the
//! destination's). The plan can be saved (`ferry sync --plan-out`), read, edited (an action
//! taken out is not run) and then run (`ferry sync --plan`): the job is planned again and only
//! the reviewed actions that still hold — same action, same source, same versions on both
//! sides — are carried out. One whose file changed since is reported and left alone; what the
//! new plan has that the reviewed one did not (a file added since) is reported and not done.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::journal::{JobRow, NewItem};
use super::plan::{PlanSummary, PlannedAction};
use super::{JobKind, JobOptions};
use crate::Engine;
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;
use crate::workspace::Location;

/// This file format's number: a later Ferry refuses a plan it reads differently.
pub const FORMAT: u32 = 1;

/// A plan as saved for review.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewedPlan {
    pub ferry_plan: u32,
    pub kind: JobKind,
    pub source: Location,
    pub destination: Location,
    pub options: JobOptions,
    /// When it was planned (RFC 3339).
    pub made: String,
    pub summary: PlanSummary,
    pub actions: Vec<PlannedAction>,
    /// Actions the reviewer took out (unticked): not done, and not reported as new either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<PlannedAction>,
}

/// A reviewed action not carried out, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Refused {
    #[serde(flatten)]
    pub action: PlannedAction,
    pub why: String,
}

/// What running a reviewed plan made of it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reviewed {
    /// The job carrying out the actions that still hold (none when no action does).
    pub job: Option<String>,
    /// Reviewed actions still holding, carried out by the job.
    pub carried: usize,
    /// Reviewed actions whose files changed since, or that are no longer needed.
    pub refused: Vec<Refused>,
    /// What a plan made now would do that the reviewed one did not: not done.
    pub unreviewed: Vec<PlannedAction>,
    /// Conflicts the reviewer chose to leave as the destination has them.
    pub declined: usize,
}

impl ReviewedPlan {
    /// The plan as the reviewer left it: the actions numbered in `leave_out` taken out (not
    /// run), and each conflict numbered in `choices` decided as chosen.
    pub fn choose(
        mut self,
        leave_out: &[usize],
        choices: &[(usize, ConflictPolicy)],
    ) -> Result<Self> {
        let out_of_range = |i: &usize| *i >= self.actions.len();
        if let Some(i) = leave_out
            .iter()
            .chain(choices.iter().map(|(i, _)| i))
            .find(|i| out_of_range(i))
        {
            return Err(Error::Invalid(format!(
                "the plan has no action number {i}: compare again"
            )));
        }
        for (i, choice) in choices {
            let action = &mut self.actions[*i];
            if action.action != "conflict" {
                return Err(Error::Invalid(format!(
                    "{} is not a conflict: only conflicts take a choice",
                    action.destination
                )));
            }
            action.resolution = Some(*choice);
        }
        let gone: std::collections::HashSet<usize> = leave_out.iter().copied().collect();
        let (out, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.actions)
            .into_iter()
            .enumerate()
            .partition(|(i, _)| gone.contains(i));
        self.actions = kept.into_iter().map(|(_, a)| a).collect();
        self.left_out.extend(out.into_iter().map(|(_, a)| a));
        Ok(self)
    }
}

/// Plans the job, changing nothing, for review.
pub async fn make(
    engine: &Engine,
    kind: JobKind,
    source: &Location,
    destination: &Location,
    options: &JobOptions,
) -> Result<ReviewedPlan> {
    let draft = JobRow::draft(kind, source, destination, options);
    let plan = super::dry_run(engine, &draft).await?;
    Ok(ReviewedPlan {
        ferry_plan: FORMAT,
        kind,
        source: draft.source,
        destination: draft.destination,
        options: options.clone(),
        made: jiff::Timestamp::now().to_string(),
        summary: plan.summary,
        actions: plan.actions,
        left_out: Vec::new(),
    })
}

/// Whether an action changes something (what a plan only notes — skips, collisions — does not).
fn acts(action: &str) -> bool {
    matches!(
        action,
        "copy" | "update" | "conflict" | "delete" | "mkdir" | "link" | "edit"
    )
}

/// Records the job that carries out what of `plan` still holds (not started).
pub async fn create_job(engine: &Engine, plan: &ReviewedPlan) -> Result<Reviewed> {
    if plan.ferry_plan != FORMAT {
        return Err(Error::Invalid(format!(
            "this plan's format is {}; this Ferry reads format {FORMAT}: make the plan again",
            plan.ferry_plan
        )));
    }
    if plan.kind != JobKind::Sync {
        return Err(Error::Invalid(format!(
            "this plan is for a {:?} job; ferry sync --plan runs sync plans",
            plan.kind
        )));
    }
    let draft = JobRow::draft(plan.kind, &plan.source, &plan.destination, &plan.options);
    let now = super::dry_run(engine, &draft).await?;
    if now.summary.collisions > 0 {
        // Two source files would be one at the destination: a normal job refuses before
        // anything moves, and so does this one.
        let names: Vec<&str> = now
            .actions
            .iter()
            .filter(|a| a.action == "collision")
            .map(|a| a.destination.as_str())
            .collect();
        return Err(Error::Invalid(format!(
            "{} file(s) would land on a name another file takes at the destination (it does not tell case or accents apart): {}; rename them first",
            names.len(),
            names.join(", ")
        )));
    }
    let mut fresh: HashMap<(String, String), (PlannedAction, NewItem)> = now
        .items
        .into_iter()
        .map(|item| {
            let action = PlannedAction::of(&item);
            (
                (action.action.clone(), action.destination.clone()),
                (action, item),
            )
        })
        .collect();
    let mut out = Reviewed::default();
    let mut carried: Vec<NewItem> = Vec::new();
    for reviewed in plan.actions.iter().filter(|a| acts(&a.action)) {
        let key = (reviewed.action.clone(), reviewed.destination.clone());
        let why = match fresh.remove(&key) {
            Some((action, mut item)) if same(&action, reviewed) => {
                if reviewed.action == "conflict" {
                    // Each conflict carries its own decision: the reviewer's, or the policy
                    // the plan was made with.
                    let policy = reviewed.resolution.unwrap_or(plan.options.conflict);
                    if policy == ConflictPolicy::Skip {
                        out.declined += 1;
                        continue;
                    }
                    item.policy = Some(policy);
                }
                carried.push(item);
                continue;
            }
            Some(_) => "changed since the plan was made: review it again",
            None => "no longer to be done (its file changed, went, or already matches)",
        };
        out.refused.push(Refused {
            action: reviewed.clone(),
            why: why.into(),
        });
    }
    for left in &plan.left_out {
        fresh.remove(&(left.action.clone(), left.destination.clone()));
    }
    out.unreviewed = fresh
        .into_values()
        .map(|(action, _)| action)
        .filter(|a| acts(&a.action))
        .collect();
    out.unreviewed
        .sort_by(|a, b| a.destination.cmp(&b.destination));
    out.carried = carried.len();
    if carried.is_empty() {
        return Ok(out);
    }
    let options = JobOptions {
        reviewed: true,
        // What appears at a destination after the review was not reviewed: never replaced
        // unseen. (Conflicts carry their own decisions.)
        conflict: match plan.options.conflict {
            ConflictPolicy::Overwrite | ConflictPolicy::OverwriteIfNewer => ConflictPolicy::Skip,
            other => other,
        },
        ..plan.options.clone()
    };
    let id = engine
        .create_job(plan.kind, &plan.source, &plan.destination, &options)
        .await?;
    let journal = engine.journal()?;
    let recorded = journal
        .add_items(&id, carried)
        .and_then(|_| journal.set_listed(&id));
    if let Err(e) = recorded {
        let _ = journal.remove_job(&id);
        return Err(e);
    }
    out.job = Some(id);
    Ok(out)
}

/// The same action on the same files as when reviewed.
fn same(now: &PlannedAction, reviewed: &PlannedAction) -> bool {
    now.source == reviewed.source
        && now.source_version == reviewed.source_version
        && now.destination_version == reviewed.destination_version
        && now.size == reviewed.size
}

/// A saved sync's settings as a job's: where from, where to, and how.
pub fn pair_job(
    engine: &Engine,
    pair: &crate::settings::SyncPair,
) -> Result<(Location, Location, JobOptions)> {
    // A saved place is read as written, wherever the command runs: `~` is the home folder.
    let place = |text: &str| match engine.parse_location(text)? {
        Location {
            place: crate::workspace::Place::Local(path),
            key,
        } => Ok(Location {
            place: crate::workspace::Place::Local(crate::settings::expand_home(&path)),
            key,
        }),
        other => Ok::<_, Error>(other),
    };
    let source = place(&pair.source)?;
    let destination = place(&pair.destination)?;
    let mut options = sync_options(
        engine,
        pair.delete,
        pair.compare,
        pair.conflict.unwrap_or(engine.settings().transfer.conflict),
        super::Filters {
            include: pair.include.clone(),
            exclude: pair.exclude.clone(),
        },
    );
    options.max_deletes = pair.delete.then_some(pair.max_deletes);
    Ok((source, destination, options))
}

/// A sync's job options as a pair or the app's Sync dialog sets them.
pub fn sync_options(
    engine: &Engine,
    delete: bool,
    compare: crate::settings::PairCompare,
    conflict: ConflictPolicy,
    filters: super::Filters,
) -> JobOptions {
    JobOptions {
        recursive: true,
        conflict,
        delete_extraneous: delete,
        compare: match compare {
            crate::settings::PairCompare::SizeMtime => super::Compare::SizeMtime,
            crate::settings::PairCompare::Checksum => super::Compare::Checksum,
        },
        follow_links: engine.settings().transfer.follow_links,
        filters,
        ..JobOptions::default()
    }
}
