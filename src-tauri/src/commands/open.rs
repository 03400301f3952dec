//! Opening files with the person's own apps, and editing them there.

use ferry_engine::browse;
use ferry_engine::edit::{CACHE_BYTES, Edit, OpenCache, cache_dir};
use ferry_engine::transfer::{JobKind, JobStatus};
use ferry_engine::workspace::{Location, Place};
use ferry_storage::ObjectKey;
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

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
    if let Some(file) = at.backend.local_path(&at.key) {
        // Saved where it is: there is nothing to send back.
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
    let name = ObjectKey::new(meta.key.name())
        .to_relative_path()
        .map_err(|e| crate::error::invalid(e.to_string()))?;
    let cache = OpenCache::new(cache_dir(), CACHE_BYTES)?;
    let file = cache.folder_for(&workspace, &at.key)?.join(name);
    let planned = ferry_engine::actions::Planned {
        from: location(&workspace, &path),
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
    let job = ids.first().cloned().unwrap_or_default();
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
