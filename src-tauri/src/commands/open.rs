//! Opening files with the person's own apps, editing them there, and dragging them out.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ferry_engine::Engine;
use ferry_engine::browse;
use ferry_engine::edit::{
    CACHE_BYTES, Edit, OpenCache, Use, cache_dir, may_open, may_open_content,
};
use ferry_engine::transfer::{JobKind, JobStatus};
use ferry_engine::workspace::{Location, Place, Resolved};
use ferry_storage::{ObjectKey, ObjectMeta};
use tauri::{AppHandle, State};
use tauri_plugin_opener::OpenerExt;

use crate::drag::{DragEnd, Staged};
use crate::dto::Opened;
use crate::edits::{self, EditChoice};
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

use super::browse::location;

/// Cache files being downloaded (by Open, Edit or a drag): eviction leaves them alone.
#[derive(Default)]
pub struct Busy(Mutex<HashMap<PathBuf, usize>>);

/// A file marked busy until dropped.
pub struct BusyFile<'a>(&'a Busy, PathBuf);

impl Busy {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, usize>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mark(&self, file: &Path) -> BusyFile<'_> {
        *self.lock().entry(file.to_path_buf()).or_default() += 1;
        BusyFile(self, file.to_path_buf())
    }

    fn files(&self) -> Vec<PathBuf> {
        self.lock().keys().cloned().collect()
    }
}

impl Drop for BusyFile<'_> {
    fn drop(&mut self) {
        let mut busy = self.0.lock();
        if let Some(n) = busy.get_mut(&self.1) {
            *n -= 1;
            if *n == 0 {
                busy.remove(&self.1);
            }
        }
    }
}

/// Stats the file at `path` for handing to another app: a file, not a folder or a link.
async fn file_at(
    engine: &Engine,
    workspace: &str,
    path: &str,
) -> IpcResult<(Resolved, ObjectMeta)> {
    let at = engine.resolve(&location(workspace, path)).await?;
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
    Ok((at, meta))
}

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
    let (at, meta) = file_at(&engine, &workspace, &path).await?;
    if let Some(file) = at.backend.local_path(&at.key) {
        // Saved where it is: there is nothing to send back.
        may_open(meta.key.name(), executable(&file))?;
        may_open_content(&file)?;
        launch(&app, &file)?;
        return Ok(Opened {
            edit: None,
            cached: false,
        });
    }
    // Before anything is downloaded: a launcher's kind alone makes an opener run it.
    may_open(meta.key.name(), false)?;
    let _claim = if edit {
        if let Some((id, file)) = state.edits.find(&workspace, &at.key) {
            // Already being edited: its copy holds the person's saves; downloading again
            // would replace them.
            launch(&app, &file)?;
            return Ok(Opened {
                edit: Some(id),
                cached: true,
            });
        }
        Some(state.edits.claim(&workspace, &at.key)?)
    } else {
        None
    };
    let use_ = if edit { Use::Edit } else { Use::View };
    let cache = OpenCache::new(cache_dir(), CACHE_BYTES)?;
    let (file, job) = cache_job(&engine, &cache, &workspace, &at.key, use_).await?;
    let _busy = state.busy.mark(&file);
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
    may_open_content(&file)?;
    read_only(&file, !edit)?;
    let id = edit.then(|| {
        let id = state.edits.begin(
            Edit::new(workspace, at.key.clone(), file.clone(), meta),
            window.label(),
        );
        edits::watch(app.clone(), state.inner().clone(), id);
        id
    });
    // Made room for the next: never the copies edited or downloading, this one among them.
    let mut keep = state.edits.files();
    keep.extend(state.busy.files());
    let _ = cache.evict(&keep);
    launch(&app, &file)?;
    Ok(Opened {
        edit: id,
        cached: true,
    })
}

/// Makes the job (not started) that downloads the object at `workspace`/`key` into its cache
/// folder for `use_`, over an earlier copy there; returns where it will be and the job.
async fn cache_job(
    engine: &Engine,
    cache: &OpenCache,
    workspace: &str,
    key: &ObjectKey,
    use_: Use,
) -> IpcResult<(PathBuf, String)> {
    let name = ObjectKey::new(key.name())
        .to_relative_path()
        .map_err(|e| crate::error::invalid(e.to_string()))?;
    let file = cache.folder_for(workspace, key, use_)?.join(name);
    let planned = ferry_engine::actions::Planned {
        from: location(workspace, key.as_str()),
        to: Location {
            place: Place::Local(file.clone()),
            key: ObjectKey::root(),
        },
        is_folder: false,
        version: None,
        gunzip: false,
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

/// S3 objects dragged out at once may add up to this much: their downloads start with the
/// drag, and a larger one is a Download… to a folder.
const DRAG_BYTES: u64 = 512 * 1024 * 1024;

/// Drags the files and folders at `paths` out of `window` (to a file manager…), while the
/// mouse button is still down. A local workspace's go as they are; S3 objects are downloaded
/// into the cache as the drag starts (jobs in the transfer panel) and handed over when
/// dropped, if they are there by then. Answers once the drag ended.
#[tauri::command]
#[specta::specta]
pub async fn drag_out(
    window: tauri::WebviewWindow,
    state: State<'_, AppState>,
    workspace: String,
    paths: Vec<String>,
) -> IpcResult<DragEnd> {
    crate::limits::items("paths", &paths)?;
    let engine = state.engine()?;
    // Every path checked before any download is made.
    let mut local = Vec::new();
    let mut remote = Vec::new();
    let mut bytes = 0;
    for path in &paths {
        let at = engine.resolve(&location(&workspace, path)).await?;
        let meta = browse::stat(&at).await?;
        if meta.link_target.is_some() {
            return Err(crate::error::invalid(format!(
                "{path} is a link: drag what it points to from its own folder"
            )));
        }
        if let Some(file) = at.backend.local_path(&at.key) {
            local.push(file);
        } else if !at.backend.capabilities().presign {
            // A local workspace's folder: the file manager copies it as it is.
            local.push(PathBuf::from(at.backend.identity(&at.key).path));
        } else if meta.key.is_folder() {
            return Err(crate::error::invalid(format!(
                "{path} is a folder of an S3 workspace: drag out files, or use Download… for a folder"
            )));
        } else {
            bytes += meta.size;
            remote.push(at.key);
        }
    }
    if bytes > DRAG_BYTES {
        return Err(crate::error::invalid(format!(
            "more than {} MiB to drag out of an S3 workspace: use Download… for that much",
            DRAG_BYTES >> 20
        )));
    }
    let mut files = local;
    let staged = if remote.is_empty() {
        Staged::ready()
    } else {
        let cache = OpenCache::new(cache_dir(), CACHE_BYTES)?;
        let mut jobs = Vec::new();
        for key in &remote {
            let (file, job) = cache_job(&engine, &cache, &workspace, key, Use::View).await?;
            files.push(file);
            jobs.push(job);
        }
        let staged = Staged::default();
        let (engine, done) = (engine.clone(), staged.clone());
        tauri::async_runtime::spawn(async move {
            // All at once (the runner's slots decide how many move together).
            let runs = jobs
                .iter()
                .map(|job| engine.runner().run_to_end(engine.clone(), job));
            let ended = futures::future::join_all(runs).await;
            done.finish(
                ended
                    .iter()
                    .all(|e| e.as_ref().is_ok_and(|v| v.status == JobStatus::Completed)),
            );
        });
        staged
    };
    let _busy: Vec<_> = files.iter().map(|f| state.busy.mark(f)).collect();
    let (tell, told) = tokio::sync::oneshot::channel();
    crate::drag::start(&window, files.clone(), staged, move |end| {
        let _ = tell.send(end);
    })?;
    Ok(told.await.unwrap_or(DragEnd::Cancelled))
}

/// A copy opened to read is read-only, so that an app's save says so rather than saving
/// somewhere nothing is sent from.
fn read_only(file: &Path, yes: bool) -> IpcResult<()> {
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
fn executable(file: &Path) -> bool {
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

fn launch(app: &AppHandle, file: &Path) -> IpcResult<()> {
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
