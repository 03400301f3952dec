//! Sync in the app: set up, compare (a plan, nothing changed), review, run exactly what was
//! reviewed; saved sync pairs; the prices the cost estimate uses.

use ferry_engine::Engine;
use ferry_engine::find::FilterCount;
use ferry_engine::settings::SyncPair;
use ferry_engine::transfer::estimate;
use ferry_engine::transfer::reviewed;
use ferry_engine::transfer::{Filters, JobKind, JobOptions};
use ferry_engine::workspace::{Location, Place};
use tauri::{AppHandle, State};

use crate::error::{IpcResult, invalid};
use crate::pairs::{self, Kept, LastRun, Outcome};
use crate::state::AppState;
use crate::sync_view::{
    EstimateView, PairView, PriceRow, Review, SyncEnd, SyncPlan, SyncSetup, SyncStarted,
};

/// Files a live filter count looks at before it says "at least".
const COUNT_LIMIT: u64 = 20_000;

/// The folder a sync end names, in its workspace.
fn end(engine: &Engine, end: &SyncEnd) -> IpcResult<Location> {
    let ws = engine.workspace(&end.workspace)?;
    let mut path = end.path.trim_start_matches('/').to_string();
    if !path.is_empty() && !path.ends_with('/') {
        path.push('/');
    }
    Ok(Location::in_workspace(&ws.id, &path))
}

fn options(engine: &Engine, setup: &SyncSetup) -> JobOptions {
    reviewed::sync_options(
        engine,
        setup.delete,
        setup.compare,
        setup.conflict,
        filters(&setup.include, &setup.exclude),
    )
}

/// Patterns as typed, one per line: blank lines are not patterns.
fn filters(include: &[String], exclude: &[String]) -> Filters {
    let kept = |lines: &[String]| {
        lines
            .iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    };
    Filters {
        include: kept(include),
        exclude: kept(exclude),
    }
}

fn shown(state: &AppState, engine: &Engine, kept: Kept) -> SyncPlan {
    let estimate = estimate::estimate(engine, &kept.plan);
    let plan = kept.plan.clone();
    let id = state.plans.keep(kept);
    SyncPlan::of(id, &plan, estimate)
}

/// Compares: plans the sync without changing anything, and keeps the plan for review. `pair`:
/// the saved pair the dialog was opened on (a run of the plan is then that pair's last run).
#[tauri::command]
#[specta::specta]
pub async fn sync_plan(
    state: State<'_, AppState>,
    setup: SyncSetup,
    pair: Option<String>,
) -> IpcResult<SyncPlan> {
    let engine = state.engine()?;
    let (source, destination) = (
        end(&engine, &setup.source)?,
        end(&engine, &setup.destination)?,
    );
    let options = options(&engine, &setup);
    options.filters.compile()?;
    let plan = reviewed::make(&engine, JobKind::Sync, &source, &destination, &options).await?;
    let pair = pair.filter(|name| engine.settings().sync_pairs.iter().any(|p| p.name == *name));
    let kept = Kept {
        plan,
        in_workspaces: true,
        pair,
    };
    Ok(shown(&state, &engine, kept))
}

/// Compares a saved pair as saved.
#[tauri::command]
#[specta::specta]
pub async fn sync_pair_plan(state: State<'_, AppState>, name: String) -> IpcResult<SyncPlan> {
    let engine = state.engine()?;
    let pair = pairs::pair_named(&engine, &name)?;
    let (source, destination, mut options) = reviewed::pair_job(&engine, &pair)?;
    // A person reviews this plan: the deletes are in front of them.
    options.max_deletes = None;
    let plan = reviewed::make(&engine, JobKind::Sync, &source, &destination, &options).await?;
    let kept = Kept {
        plan,
        in_workspaces: setup_of(&engine, &pair).is_some(),
        pair: Some(pair.name),
    };
    Ok(shown(&state, &engine, kept))
}

fn gone() -> crate::error::IpcError {
    invalid("this plan is no longer kept: compare again")
}

/// What the plan as reviewed so far is estimated to cost.
#[tauri::command]
#[specta::specta]
pub async fn sync_estimate(
    state: State<'_, AppState>,
    id: String,
    review: Review,
) -> IpcResult<EstimateView> {
    let engine = state.engine()?;
    let plan = review.apply(state.plans.get(&id).ok_or_else(gone)?.plan)?;
    Ok(estimate::estimate(&engine, &plan).into())
}

/// Runs the plan as reviewed: what changed since is left alone and reported.
#[tauri::command]
#[specta::specta]
pub async fn sync_run(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    review: Review,
) -> IpcResult<SyncStarted> {
    let engine = state.engine()?;
    // Taken first: a second Run of the same plan finds nothing to run.
    let kept = state.plans.take(&id).ok_or_else(gone)?;
    let started = async {
        if !kept.in_workspaces && !review.choices.is_empty() {
            return Err(invalid(
                "this pair names a local folder: its conflicts follow the rule saved with it (edit it in settings.json)",
            ));
        }
        let plan = review.apply(kept.plan.clone())?;
        let done = reviewed::create_job(&engine, &plan).await?;
        if let Some(job) = &done.job {
            engine.runner().start(engine.clone(), job)?;
        }
        Ok(done)
    }
    .await;
    let done = match started {
        Ok(done) => done,
        Err(e) => {
            state.plans.put(id, kept);
            return Err(e);
        }
    };
    if let Some(name) = &kept.pair {
        let last = LastRun {
            at: jiff::Timestamp::now().to_string(),
            outcome: if done.job.is_some() {
                Outcome::Started
            } else {
                Outcome::NothingToDo
            },
            job: done.job.clone(),
            message: format!("reviewed: {} file(s) to carry", done.carried),
            scheduled: false,
        };
        pairs::record(&app, &state, name, last);
    }
    Ok(done.into())
}

/// Drops a plan nobody will run.
#[tauri::command]
#[specta::specta]
pub async fn sync_forget(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    state.plans.take(&id);
    Ok(())
}

/// How many files below the source the patterns carry, as they are being typed.
#[tauri::command]
#[specta::specta]
pub async fn sync_filter_count(
    state: State<'_, AppState>,
    source: SyncEnd,
    include: Vec<String>,
    exclude: Vec<String>,
) -> IpcResult<FilterCount> {
    let engine = state.engine()?;
    let at = engine.resolve(&end(&engine, &source)?).await?;
    let filters = filters(&include, &exclude);
    Ok(ferry_engine::find::filter_count(&at, &filters, COUNT_LIMIT).await?)
}

/// Both ends of a saved pair as the dialog sets them, when both are workspace folders.
fn setup_of(engine: &Engine, pair: &SyncPair) -> Option<SyncSetup> {
    let side = |text: &str| match engine.parse_location(text).ok()? {
        Location {
            place: Place::Workspace(ws),
            key,
        } => Some(SyncEnd {
            workspace: ws,
            path: key.to_string(),
        }),
        _ => None,
    };
    Some(SyncSetup {
        source: side(&pair.source)?,
        destination: side(&pair.destination)?,
        delete: pair.delete,
        compare: pair.compare,
        conflict: pair.conflict.unwrap_or(engine.settings().transfer.conflict),
        include: pair.include.clone(),
        exclude: pair.exclude.clone(),
    })
}

#[tauri::command]
#[specta::specta]
pub async fn sync_pairs_get(state: State<'_, AppState>) -> IpcResult<Vec<PairView>> {
    let engine = state.engine()?;
    Ok(engine
        .settings()
        .sync_pairs
        .iter()
        .map(|pair| PairView {
            pair: pair.clone(),
            setup: setup_of(&engine, pair),
            last: state.pair_runs.get(&pair.name),
        })
        .collect())
}

/// Saves a sync as a pair (replacing the one called `replacing`, when editing one). Both ends
/// are workspace folders: the web view never writes a local path into the settings.
#[tauri::command]
#[specta::specta]
pub async fn sync_pair_save(
    state: State<'_, AppState>,
    name: String,
    setup: SyncSetup,
    every_minutes: Option<u32>,
    max_deletes: u32,
    replacing: Option<String>,
) -> IpcResult<()> {
    let engine = state.engine()?;
    let (source, destination) = (
        end(&engine, &setup.source)?,
        end(&engine, &setup.destination)?,
    );
    let filters = filters(&setup.include, &setup.exclude);
    filters.compile()?;
    let pair = SyncPair {
        name: name.trim().to_string(),
        source: source.display(),
        destination: destination.display(),
        delete: setup.delete,
        compare: setup.compare,
        conflict: Some(setup.conflict),
        include: filters.include,
        exclude: filters.exclude,
        max_deletes: u64::from(max_deletes),
        every_minutes: every_minutes.map(u64::from),
    };
    let name = pair.name.clone();
    let old = replacing.clone();
    state.change(move |engine| {
        engine.update(|s| {
            let at = replacing
                .as_deref()
                .and_then(|old| s.sync_pairs.iter().position(|p| p.name == old));
            match at {
                Some(i) => s.sync_pairs[i] = pair,
                None => s.sync_pairs.push(pair),
            }
            Ok(())
        })
    })?;
    if let Some(old) = old.filter(|old| *old != name) {
        state.pair_runs.rename(&old, Some(&name));
    }
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn sync_pair_remove(state: State<'_, AppState>, name: String) -> IpcResult<()> {
    let removed = name.clone();
    state.change(move |engine| {
        engine.update(|s| {
            let before = s.sync_pairs.len();
            s.sync_pairs.retain(|p| p.name != name);
            if s.sync_pairs.len() == before {
                return Err(ferry_engine::Error::Invalid(format!(
                    "no sync pair is called {name:?}"
                )));
            }
            Ok(())
        })
    })?;
    state.pair_runs.rename(&removed, None);
    Ok(())
}

/// Runs a saved pair now, as the schedule would: a plan that needs a person stops for review.
#[tauri::command]
#[specta::specta]
pub async fn sync_pair_run(
    app: AppHandle,
    state: State<'_, AppState>,
    name: String,
) -> IpcResult<LastRun> {
    state.engine()?;
    Ok(pairs::run(&app, &state, &name, false).await)
}

#[tauri::command]
#[specta::specta]
pub async fn prices_get(state: State<'_, AppState>) -> IpcResult<Vec<PriceRow>> {
    let engine = state.engine()?;
    let set = &engine.settings().prices;
    Ok(estimate::prices(&engine)
        .into_iter()
        .map(|(provider, price)| PriceRow {
            custom: set.contains_key(&provider),
            provider,
            price,
        })
        .collect())
}

/// Saves the prices table: rows marked custom go into settings.json, the others go back to
/// Ferry's list prices.
#[tauri::command]
#[specta::specta]
pub async fn prices_save(state: State<'_, AppState>, rows: Vec<PriceRow>) -> IpcResult<()> {
    state.change(move |engine| {
        engine.update(|s| {
            s.prices = rows
                .into_iter()
                .filter(|r| r.custom)
                .map(|r| (r.provider, r.price))
                .collect();
            Ok(())
        })
    })
}
