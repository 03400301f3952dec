//! Opening files with the person's own apps, and editing them there.

use std::path::PathBuf;

use ferry_engine::Engine;
use ferry_engine::browse;
use ferry_engine::edit::{CACHE_BYTES, Edit, OpenCache, cache_dir};
use ferry_engine::transfer::{JobKind, JobStatus};
use ferry_engine::workspace::{Location, Place};
use ferry_storage::ObjectKey;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::drag::Staged;
use crate::dto::Opened;
use crate::edits::{self, EditChoice};
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

use super::browse::location;

/// Opens the file at `path` with the app this computer opens such files with. A local
/// workspace's file is opened where it is; an S3 object is downloaded (a job, verified) into
/// Ferry's private cache first — read-only, unless `edit`: then each save is sent back.
#[tauri::command]
#[specta::specta]
pub async fn open_file(
    app: AppHandle,
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    edit: bool,
) -> IpcResult<Opened> {
    let engine = state.engine()?;
    let at = engine.resolve(&location(&workspace, &path)).await?;
    let meta = browse::stat(&at).await?;
    if meta.key.is_folder() {
        return Err(crate::error::invalid(
            "a folder is opened in Ferry: choose a file to open in another app",
        ));
    }
    if meta.link_target.is_some() {
        return Err(crate::error::invalid(format!(
            "{path} is a link: open what it points to from its own folder"
        )));
    }
    if let Some(file) = at.backend.local_path(&at.key) {
        // Saved where it is: there is nothing to send back.
        ferry_engine::edit::may_open(meta.key.name(), executable(&file))?;
        launch(&app, &file)?;
        return Ok(Opened {
            edit: None,
            cached: false,
        });
    }
    if edit && let Some((id, file)) = state.edits.find(&workspace, &path) {
        // Already being edited: its copy holds the person's saves; downloading again would
        // replace them.
        launch(&app, &file)?;
        return Ok(Opened {
            edit: Some(id),
            cached: true,
        });
    }
    // Before anything is downloaded: the copy is never executable, but a launcher file's
    // kind alone makes an opener run it.
    ferry_engine::edit::may_open(meta.key.name(), false)?;
    let cache = OpenCache::new(cache_dir(), CACHE_BYTES)?;
    let (file, job) = cache_job(&engine, &cache, &workspace, &path, &meta.key).await?;
    let ended = engine.runner().run_to_end(engine.clone(), &job).await?;
    if ended.status != JobStatus::Completed {
        return Err(ended.error.unwrap_or_else(|| {
            IpcError::new(
                ErrorCode::Failed,
                format!("{} was not downloaded to open it", meta.key),
                "See the job in the transfer panel.",
            )
        }));
    }
    read_only(&file, !edit)?;
    let _ = cache.evict(&state.edits.files());
    let id = edit.then(|| {
        let id = state.edits.begin(
            Edit::new(workspace, at.key.clone(), file.clone(), meta),
            window.label(),
        );
        edits::watch(app.clone(), state.inner().clone(), id);
        id
    });
    launch(&app, &file)?;
    Ok(Opened {
        edit: id,
        cached: true,
    })
}

/// Makes the job (not started) that downloads the object at `workspace`/`path` into its cache
/// folder, over an earlier copy; returns where it will be and the job.
async fn cache_job(
    engine: &Engine,
    cache: &OpenCache,
    workspace: &str,
    path: &str,
    key: &ObjectKey,
) -> IpcResult<(PathBuf, String)> {
    let name = ObjectKey::new(key.name())
        .to_relative_path()
        .map_err(|e| crate::error::invalid(e.to_string()))?;
    let file = cache.folder_for(workspace, key)?.join(name);
    let planned = ferry_engine::actions::Planned {
        from: location(workspace, path),
        to: Location {
            place: Place::Local(file.clone()),
            key: ObjectKey::root(),
        },
        is_folder: false,
        version: None,
    };
    let ids = engine
        .create_jobs(
            JobKind::Copy,
            std::slice::from_ref(&planned),
            Some(ferry_engine::settings::ConflictPolicy::Overwrite),
        )
        .await?;
    let job = ids.into_iter().next().unwrap_or_default();
    Ok((file, job))
}

/// S3 objects dragged out at once may add up to this much: each drop waits for their
/// downloads, and a larger one is a Download… to a folder.
const DRAG_BYTES: u64 = 512 * 1024 * 1024;

/// Drags the files at `paths` out of `window` (to a file manager…), while the mouse button is
/// still down. A local workspace's files go as they are; S3 objects are downloaded into the
/// cache as the drag starts (jobs in the transfer panel) and handed over when dropped.
/// Answers once the drag ended: whether they were dropped somewhere.
#[tauri::command]
#[specta::specta]
pub async fn drag_out(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    workspace: String,
    paths: Vec<String>,
) -> IpcResult<bool> {
    crate::limits::items("paths", &paths)?;
    let engine = state.engine()?;
    let mut files = Vec::new();
    let mut jobs = Vec::new();
    let mut bytes = 0;
    let cache = OpenCache::new(cache_dir(), CACHE_BYTES)?;
    for path in &paths {
        let at = engine.resolve(&location(&workspace, path)).await?;
        if let Some(file) = at.backend.local_path(&at.key) {
            files.push(file);
            continue;
        }
        let meta = browse::stat(&at).await?;
        if meta.key.is_folder() {
            return Err(crate::error::invalid(format!(
                "{path} is a folder: drag out files, or use Download… for a folder of an S3 workspace"
            )));
        }
        bytes += meta.size;
        if bytes > DRAG_BYTES {
            return Err(crate::error::invalid(format!(
                "more than {} MiB to drag out of an S3 workspace: use Download… for that much",
                DRAG_BYTES >> 20
            )));
        }
        let (file, job) = cache_job(&engine, &cache, &workspace, path, &at.key).await?;
        files.push(file);
        jobs.push(job);
    }
    let staged = if jobs.is_empty() {
        Staged::ready()
    } else {
        let staged = Staged::default();
        let (engine, done) = (engine.clone(), staged.clone());
        tauri::async_runtime::spawn(async move {
            let mut all = true;
            for job in jobs {
                let ended = engine.runner().run_to_end(engine.clone(), &job).await;
                all &= ended.is_ok_and(|v| v.status == JobStatus::Completed);
            }
            done.finish(all);
        });
        staged
    };
    let (tell, told) = tokio::sync::oneshot::channel();
    crate::drag::start(&window, files, staged, move |dropped| {
        let _ = tell.send(dropped);
    })?;
    Ok(told.await.unwrap_or(false))
}

/// A copy opened to read is read-only, so that an app's save says so rather than saving
/// somewhere nothing is sent from.
fn read_only(file: &std::path::Path, yes: bool) -> IpcResult<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = if yes { 0o400 } else { 0o600 };
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(mode))
            .map_err(|e| ferry_storage::StorageError::io("protect", file, e))
            .map_err(ferry_engine::Error::from)?;
    }
    Ok(())
}

/// A local file anyone may execute.
fn executable(file: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(file).is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = file;
        false
    }
}

fn launch(app: &AppHandle, file: &std::path::Path) -> IpcResult<()> {
    app.opener()
        .open_path(file.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Failed,
                format!("no app opened {}: {e}", file.display()),
                "Set an app for this kind of file in your desktop's settings, or download it and open it from there.",
            )
        })
}

/// The person's answer when an edited file's object changed meanwhile.
#[tauri::command]
#[specta::specta]
pub async fn edit_resolve(
    app: AppHandle,
    state: State<'_, AppState>,
    edit: u32,
    choice: EditChoice,
) -> IpcResult<()> {
    edits::resolve(&app, &state, edit, choice).await
}

/// Stops sending saves of edit `edit` back.
#[tauri::command]
#[specta::specta]
pub async fn edit_stop(state: State<'_, AppState>, edit: u32) -> IpcResult<()> {
    edits::stop(&state, edit);
    Ok(())
}
