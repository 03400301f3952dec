//! Transfers as jobs: start, watch, pause, resume, cancel, retry; rename is a move job.

use std::path::PathBuf;

use ferry_engine::actions::Planned;
use ferry_engine::transfer::{JobKind, JobView, Shift};
use ferry_engine::workspace::{Location, Place};
use ferry_storage::ObjectKey;
use tauri::ipc::Channel;
use tauri::{AppHandle, State};

use crate::commands::browse::location;
use crate::dto::{self, TransferKind, TransferRequest};
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::grants::Purpose;
use crate::state::AppState;

/// Subscribes the transfer panel to job updates and returns every job known, newest first
/// (jobs a crash interrupted show as `interrupted`, ready to resume).
#[tauri::command]
#[specta::specta]
pub async fn jobs_watch(
    app: AppHandle,
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    on_update: Channel<JobView>,
) -> IpcResult<Vec<JobView>> {
    let runner = state.runner()?;
    crate::jobs::watch(&app, &runner, &state.watchers, window.label(), on_update);
    Ok(runner.views(&*state.engine()?)?)
}

/// A source as the engine sees it, its name, and whether it is a folder. A local source (outside
/// workspaces) is the path it was granted as, links resolved.
fn source_of(state: &AppState, place: &dto::Place) -> IpcResult<(Location, String, bool)> {
    match &place.workspace {
        Some(ws) => {
            let key = ObjectKey::new(place.path.trim_start_matches('/'));
            let name = key.name().to_string();
            if name.is_empty() {
                return Err(crate::error::invalid(
                    "choose files or folders inside the workspace, not the workspace itself",
                ));
            }
            // The name becomes a file or folder name at the destination: a key like `x/../`
            // must not name the destination's parent.
            if name == "." || name == ".." {
                return Err(crate::error::invalid(format!(
                    "{:?} cannot be copied under its own name ({name:?} is not a file name); rename it first",
                    place.path
                )));
            }
            Ok((location(ws, &place.path), name, key.is_folder()))
        }
        None => {
            let asked = PathBuf::from(&place.path);
            let path = state.grants.check(&asked, Purpose::Read)?;
            let meta = std::fs::metadata(&path).map_err(|e| {
                IpcError::new(
                    ErrorCode::NotFound,
                    format!("cannot read {}: {e}", path.display()),
                    "Check that the file still exists and that you may read it.",
                )
            })?;
            // Named as chosen (a chosen link keeps its own name).
            let name = asked
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .ok_or_else(|| crate::error::invalid(format!("{} has no name", asked.display())))?;
            Ok((
                Location {
                    place: Place::Local(path),
                    key: ObjectKey::root(),
                },
                name,
                meta.is_dir(),
            ))
        }
    }
}

fn destination_of(
    state: &AppState,
    folder: &dto::Place,
    name: &str,
    is_folder: bool,
) -> IpcResult<Location> {
    match &folder.workspace {
        Some(ws) => {
            let into = ObjectKey::new(folder.path.trim_start_matches('/')).as_folder();
            // A workspace whose upload policy places files by a key template: the file goes
            // into the folder, and the template says where below it.
            let templated = state
                .engine()
                .ok()
                .and_then(|e| {
                    e.workspace(ws)
                        .ok()
                        .map(|w| w.upload.key_template.is_some())
                })
                .unwrap_or(false);
            if templated && !is_folder {
                return Ok(location(ws, into.as_str()));
            }
            let mut path = into.concat(name).into_string();
            if is_folder {
                path.push('/');
            }
            Ok(location(ws, &path))
        }
        None => {
            let path =
                state
                    .grants
                    .check_inside(&PathBuf::from(&folder.path), name, Purpose::Write)?;
            Ok(Location {
                place: Place::Local(path),
                key: ObjectKey::root(),
            })
        }
    }
}

/// The names among the request's sources that already exist at the destination, so the UI
/// can ask before a transfer whose conflict policy is `ask` starts.
#[tauri::command]
#[specta::specta]
pub async fn transfer_conflicts(
    state: State<'_, AppState>,
    request: TransferRequest,
) -> IpcResult<Vec<String>> {
    let engine = state.engine()?;
    let folder = match &request.destination.workspace {
        Some(ws) => location(ws, &request.destination.path),
        None => {
            let dir = state
                .grants
                .check(&PathBuf::from(&request.destination.path), Purpose::Write)?;
            Location {
                place: Place::Local(dir),
                key: ObjectKey::root(),
            }
        }
    };
    let at = engine.resolve(&folder).await?;
    crate::limits::items("sources", &request.sources)?;
    let mut names = Vec::new();
    for source in &request.sources {
        let (_, name, is_folder) = source_of(&state, source)?;
        names.push(if is_folder { format!("{name}/") } else { name });
    }
    Ok(ferry_engine::browse::existing(&at, &names).await?)
}

/// Starts one job per source, each into `destination` under the source's name.
#[tauri::command]
#[specta::specta]
pub async fn transfer_start(
    state: State<'_, AppState>,
    request: TransferRequest,
) -> IpcResult<Vec<String>> {
    crate::limits::items("sources", &request.sources)?;
    let engine = state.engine()?;
    let kind = match request.kind {
        TransferKind::Copy => JobKind::Copy,
        TransferKind::Move => JobKind::Move,
    };
    if request.version.is_some() && request.sources.len() != 1 {
        return Err(crate::error::invalid(
            "a version belongs to one object: choose one file to copy a version of",
        ));
    }
    let mut planned = Vec::new();
    for source in &request.sources {
        // A chosen file was granted to be read, not deleted.
        if kind == JobKind::Move && source.workspace.is_none() {
            return Err(IpcError::new(
                ErrorCode::NotGranted,
                format!(
                    "{} can be uploaded, not moved: it is not in a workspace",
                    source.path
                ),
                "Copy it, or add a local workspace for its folder and move it from there.",
            ));
        }
        let (from, name, is_folder) = source_of(&state, source)?;
        let to = destination_of(&state, &request.destination, &name, is_folder)?;
        planned.push(Planned {
            from,
            to,
            is_folder,
            version: request.version.clone(),
            // The settings' `transfer.unpack_gz` decides for downloads (`create_jobs`).
            gunzip: false,
        });
    }
    let used = |l: &Location| match &l.place {
        Place::Local(path) => Some(path.clone()),
        Place::Workspace(_) => None,
    };
    let read: Vec<PathBuf> = planned.iter().filter_map(|p| used(&p.from)).collect();
    let written: Vec<PathBuf> = planned.iter().filter_map(|p| used(&p.to)).collect();
    // The grants serve these jobs (which keep their places in the journal, to resume) and end;
    // taken before the jobs are made, so that two requests cannot both use one.
    let taken_read = state.grants.take(&read, Purpose::Read)?;
    let taken_written = match state.grants.take(&written, Purpose::Write) {
        Ok(taken) => taken,
        Err(e) => {
            state.grants.give_back(taken_read);
            return Err(e);
        }
    };
    let ids = match engine.create_jobs(kind, &planned, request.conflict).await {
        Ok(ids) => ids,
        Err(e) => {
            state.grants.give_back(taken_read);
            state.grants.give_back(taken_written);
            return Err(e.into());
        }
    };
    for id in &ids {
        engine.runner().start(engine.clone(), id)?;
    }
    Ok(ids)
}

/// Renames a file or folder in place (a verified move: copy, check, then delete the old one).
#[tauri::command]
#[specta::specta]
pub async fn rename(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    new_name: String,
) -> IpcResult<String> {
    let engine = state.engine()?;
    let id = engine.rename(&workspace, &path, &new_name).await?;
    engine.runner().start(engine.clone(), &id)?;
    Ok(id)
}

#[tauri::command]
#[specta::specta]
pub async fn job_pause(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    Ok(state.runner()?.pause(&id)?)
}

/// Resumes a paused job, or runs again one that a crash or quit interrupted.
#[tauri::command]
#[specta::specta]
pub async fn job_resume(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    Ok(state.runner()?.resume(state.engine()?, &id)?)
}

#[tauri::command]
#[specta::specta]
pub async fn job_cancel(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    Ok(state.runner()?.cancel(&*state.engine()?, &id).await?)
}

/// Runs the failed items of a finished job again.
#[tauri::command]
#[specta::specta]
pub async fn job_retry(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    Ok(state.runner()?.retry(state.engine()?, &id)?)
}

/// Moves a running job up or down the queue (a job further up gets freed file slots first).
#[tauri::command]
#[specta::specta]
pub async fn job_shift(state: State<'_, AppState>, id: String, shift: Shift) -> IpcResult<()> {
    Ok(state.runner()?.shift(&*state.engine()?, &id, shift)?)
}

/// Pauses (`true`) or resumes every running job.
#[tauri::command]
#[specta::specta]
pub async fn jobs_pause_all(state: State<'_, AppState>, paused: bool) -> IpcResult<()> {
    state.runner()?.pause_all(paused);
    Ok(())
}
