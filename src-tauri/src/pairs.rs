//! Plans waiting for review, and saved sync pairs run again: by hand from the Sync pairs list,
//! or every N minutes while the app is open. A pair's run is a plan made and carried out as
//! made; one that would delete more files than the pair allows, or that meets a conflict
//! nobody decided, stops for review instead of running unattended.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_engine::Engine;
use ferry_engine::settings::{ConflictPolicy, SyncPair};
use ferry_engine::transfer::JobKind;
use ferry_engine::transfer::reviewed::{self, ReviewedPlan};
use serde::{Deserialize, Serialize};
use specta::Type;
use tauri::AppHandle;
use tauri_specta::Event;

use crate::state::AppState;

/// Plans kept for review at once: each can hold thousands of actions.
const PLANS_KEPT: usize = 4;

/// How often the schedule is looked at.
const TICK: Duration = Duration::from_secs(20);

/// A plan kept for review.
#[derive(Clone)]
pub struct Kept {
    pub plan: ReviewedPlan,
    /// Both ends are workspace folders. A plan of a pair written by hand with a local path
    /// reaches past what the web view may name: it is run as saved (actions can be left out,
    /// its conflicts follow its own rule).
    pub in_workspaces: bool,
    /// The saved pair it was made for, whose last run a run of it becomes.
    pub pair: Option<String>,
}

/// Plans made and not yet run or dropped, newest last.
#[derive(Default)]
pub struct Plans(Mutex<Vec<(String, Kept)>>);

impl Plans {
    pub fn keep(&self, kept: Kept) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        self.put(id.clone(), kept);
        id
    }

    /// Keeps `kept` under `id` (again, when a run of it could not start).
    pub fn put(&self, id: String, kept: Kept) {
        let mut plans = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if plans.len() >= PLANS_KEPT {
            plans.remove(0);
        }
        plans.push((id, kept));
    }

    pub fn get(&self, id: &str) -> Option<Kept> {
        let plans = self.0.lock().unwrap_or_else(|p| p.into_inner());
        plans.iter().find(|(k, _)| k == id).map(|(_, p)| p.clone())
    }

    /// Takes the plan out: only one run of it can start.
    pub fn take(&self, id: &str) -> Option<Kept> {
        let mut plans = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let at = plans.iter().position(|(k, _)| k == id)?;
        Some(plans.remove(at).1)
    }
}

/// How a pair's last run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A job is carrying out the plan (its state is the job's).
    Started,
    /// Both sides already matched.
    NothingToDo,
    /// Stopped before changing anything: too many deletes, or conflicts nobody decided.
    NeedsReview,
    /// The plan could not be made (a place gone, a store unreachable…).
    Failed,
    /// Not run: the pair is being compared, or its last run's job is still going.
    AlreadyRunning,
}

/// A pair's last run: when, how it ended, and in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct LastRun {
    /// RFC 3339.
    pub at: String,
    pub outcome: Outcome,
    pub job: Option<String>,
    pub message: String,
    /// Started by the schedule rather than by hand.
    pub scheduled: bool,
}

/// The Sync pairs list changed: a pair ran (or stopped for review).
#[derive(Debug, Clone, Serialize, Deserialize, Type, tauri_specta::Event)]
pub struct PairsChanged {
    pub name: String,
}

/// Each pair's last run, kept beside the journal so that it is still shown after a restart.
pub struct LastRuns {
    file: std::path::PathBuf,
    runs: Mutex<HashMap<String, LastRun>>,
    /// Pairs running now: a schedule tick does not start a second run of one.
    running: Mutex<std::collections::HashSet<String>>,
}

impl LastRuns {
    pub fn load(data_dir: &std::path::Path) -> Self {
        let file = data_dir.join("pair-runs.json");
        let runs = std::fs::read(&file)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        LastRuns {
            file,
            runs: Mutex::new(runs),
            running: Mutex::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<LastRun> {
        self.runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned()
    }

    pub fn set(&self, name: &str, run: LastRun) {
        self.change(|runs| {
            runs.insert(name.to_string(), run);
        });
    }

    /// A pair renamed keeps its history; a pair removed loses it (a new pair of that name
    /// starts afresh).
    pub fn rename(&self, from: &str, to: Option<&str>) {
        self.change(|runs| {
            if let (Some(run), Some(to)) = (runs.remove(from), to) {
                runs.insert(to.to_string(), run);
            }
        });
    }

    fn change(&self, f: impl FnOnce(&mut HashMap<String, LastRun>)) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut runs);
        // Only a record of what happened: losing it loses no file. Written whole and renamed
        // into place, so that a crash leaves the old record or the new one.
        let saved = serde_json::to_vec_pretty(&*runs)
            .map_err(std::io::Error::other)
            .and_then(|bytes| {
                let tmp = self.file.with_extension("json.tmp");
                std::fs::write(&tmp, bytes)?;
                std::fs::rename(&tmp, &self.file)
            });
        if let Err(e) = saved {
            tracing::debug!("pair runs not saved: {e}");
        }
    }
}

/// Runs the pair as saved: plans it, and carries the plan out unless it needs a person first.
pub async fn run(app: &AppHandle, state: &AppState, name: &str, scheduled: bool) -> LastRun {
    {
        let mut running = state
            .pair_runs
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let busy = state
            .engine()
            .is_ok_and(|engine| busy(&engine, state.pair_runs.get(name).as_ref()));
        if busy || !running.insert(name.to_string()) {
            // Not a run: the last one stays the one shown.
            return LastRun {
                at: jiff::Timestamp::now().to_string(),
                outcome: Outcome::AlreadyRunning,
                job: None,
                message: if busy {
                    "its last run's job is still going".into()
                } else {
                    "it is being compared already".into()
                },
                scheduled,
            };
        }
    }
    let (outcome, job, message) = match state.engine() {
        Ok(engine) => match attempt(&engine, name).await {
            Ok(done) => done,
            Err(e) => (Outcome::Failed, None, e.to_string()),
        },
        Err(e) => (Outcome::Failed, None, e.message),
    };
    state
        .pair_runs
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(name);
    let last = LastRun {
        at: jiff::Timestamp::now().to_string(),
        outcome,
        job,
        message,
        scheduled,
    };
    record(app, state, name, last.clone());
    last
}

/// Keeps a pair's last run and tells the windows.
pub fn record(app: &AppHandle, state: &AppState, name: &str, last: LastRun) {
    state.pair_runs.set(name, last);
    if let Err(e) = (PairsChanged {
        name: name.to_string(),
    })
    .emit(app)
    {
        tracing::debug!("pairs-changed not delivered: {e}");
    }
}

type Attempt = (Outcome, Option<String>, String);

async fn attempt(engine: &Arc<Engine>, name: &str) -> ferry_engine::Result<Attempt> {
    let pair = pair_named(engine, name)?;
    let (source, destination, options) = reviewed::pair_job(engine, &pair)?;
    let plan = reviewed::make(engine, JobKind::Sync, &source, &destination, &options).await?;
    if let Some(why) = needs_review(&pair, &plan) {
        return Ok((Outcome::NeedsReview, None, why));
    }
    let done = reviewed::create_job(engine, &plan).await?;
    let Some(id) = done.job else {
        return Ok((
            Outcome::NothingToDo,
            None,
            "both sides already match".into(),
        ));
    };
    engine.runner().start(engine.clone(), &id)?;
    let mut message = format!("{} file(s) to carry", done.carried);
    if !done.refused.is_empty() {
        message += &format!(
            "; {} changed while planning, left alone",
            done.refused.len()
        );
    }
    Ok((Outcome::Started, Some(id), message))
}

/// Why a pair's plan must be looked at before it runs, if it must.
fn needs_review(pair: &SyncPair, plan: &ReviewedPlan) -> Option<String> {
    let deletes = plan.summary.delete;
    if pair.delete && deletes > pair.max_deletes {
        return Some(format!(
            "it would delete {deletes} file(s), more than this pair's limit of {}: compare it and review the plan",
            pair.max_deletes
        ));
    }
    let asks = plan.options.conflict == ConflictPolicy::Ask;
    if asks && plan.summary.conflicts > 0 {
        return Some(format!(
            "{} file(s) changed on both sides: compare it and decide each",
            plan.summary.conflicts
        ));
    }
    None
}

pub fn pair_named(engine: &Engine, name: &str) -> ferry_engine::Result<SyncPair> {
    engine
        .settings()
        .sync_pairs
        .iter()
        .find(|p| p.name == name)
        .cloned()
        .ok_or_else(|| ferry_engine::Error::Invalid(format!("no sync pair is called {name:?}")))
}

/// Whether a pair's schedule says it runs now: its minutes have passed since `since` — its
/// last run, or, for one that has not run, since the app started or the pair was saved (a
/// scheduled pair never runs the moment Ferry opens).
fn due(pair: &SyncPair, since: jiff::Timestamp, now: jiff::Timestamp) -> bool {
    let Some(minutes) = pair.every_minutes.filter(|m| *m > 0) else {
        return false;
    };
    let every = jiff::SignedDuration::from_secs(minutes.saturating_mul(60) as i64);
    now.duration_since(since) >= every
}

/// Runs the pairs whose time has come, for as long as the app is open.
pub fn schedule(app: AppHandle, state: AppState) {
    tauri::async_runtime::spawn(async move {
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut first_seen: HashMap<String, jiff::Timestamp> = HashMap::new();
        loop {
            tick.tick().await;
            let Ok(engine) = state.engine() else { continue };
            let now = jiff::Timestamp::now();
            let mut names = Vec::new();
            for pair in &engine.settings().sync_pairs {
                let last = state.pair_runs.get(&pair.name);
                // Never sooner than N minutes after the app started (or the pair appeared).
                let seen = *first_seen.entry(pair.name.clone()).or_insert(now);
                let since = last
                    .as_ref()
                    .and_then(|l| l.at.parse().ok())
                    .map_or(seen, |at: jiff::Timestamp| at.max(seen));
                if due(pair, since, now) {
                    names.push(pair.name.clone());
                }
            }
            for name in names {
                run(&app, &state, &name, true).await;
            }
        }
    });
}

/// Whether the job of the pair's last run is still going (a schedule does not pile them up).
fn busy(engine: &Engine, last: Option<&LastRun>) -> bool {
    let Some(job) = last.and_then(|l| l.job.as_deref()) else {
        return false;
    };
    engine
        .jobs()
        .map(|jobs| {
            jobs.iter()
                .any(|j| j.job.id == job && !j.job.state.is_finished() && !j.interrupted)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(every: Option<u64>) -> SyncPair {
        serde_json::from_value(serde_json::json!({
            "name": "p", "source": "a:x/", "destination": "b:y/",
        }))
        .map(|p: SyncPair| SyncPair {
            every_minutes: every,
            ..p
        })
        .unwrap()
    }

    fn at(t: &str) -> jiff::Timestamp {
        t.parse().unwrap()
    }

    #[test]
    fn a_pair_runs_when_its_minutes_have_passed() {
        let (now, long_ago) = (at("2026-12-07T10:30:00Z"), at("2026-12-01T00:00:00Z"));
        assert!(
            !due(&pair(None), long_ago, now),
            "no schedule: only by hand"
        );
        assert!(!due(&pair(Some(0)), long_ago, now));
        assert!(
            !due(&pair(Some(15)), now, now),
            "not the moment it is first seen"
        );
        assert!(!due(&pair(Some(15)), at("2026-12-07T10:16:00Z"), now));
        assert!(due(&pair(Some(15)), at("2026-12-07T10:15:00Z"), now));
    }
}
