//! Files open for editing in the person's own apps: each is watched, and each save goes back
//! to its object as an upload job (shown in the transfer panel) once the object is found to
//! be the one that was opened. Otherwise the window that opened it asks (`EditConflict`) and
//! nothing is sent until `edit_resolve` answers. A save that cannot be sent says so
//! (`EditFailed`) and is tried again a little later.
//!
//! Polling once a second, as for settings.json: editors save by writing a new file and
//! renaming it over the old one, which a watcher on the file itself misses, and a check of a
//! few files' size and time a second costs nothing. Edits are watched while Ferry runs: a save
//! made after it quit is not sent.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ferry_engine::edit::{Edit, Fingerprint, Remote, SaveTo};
use ferry_engine::transfer::JobStatus;
use ferry_storage::ObjectKey;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event;

use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

/// A save that failed is tried again after this long (or at the next save).
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// A save of an edited file reached its object. `window`: the window that opened it (the one
/// that shows this; "" when it has closed: any window).
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditSaved {
    pub edit: u32,
    pub window: String,
    pub workspace: String,
    pub path: String,
    /// Uploaded beside the object as a copy, not over it.
    pub as_copy: bool,
}

/// An edited file was saved, but its object changed (or went) since it was opened: the person
/// decides with `edit_resolve`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditConflict {
    pub edit: u32,
    pub window: String,
    pub workspace: String,
    pub path: String,
    /// Deleted rather than changed.
    pub gone: bool,
}

/// A save of an edited file could not be sent; it is tried again.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditFailed {
    pub edit: u32,
    pub window: String,
    pub workspace: String,
    pub path: String,
    pub message: String,
}

/// What to do with an edit whose object changed meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum EditChoice {
    /// Upload it over the object as it is now.
    Overwrite,
    /// Upload it beside the object, as `name (1).ext`, and stop watching.
    SaveAsCopy,
    /// Do not upload it, and stop watching.
    Discard,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Watching,
    /// A conflict was asked about: nothing is sent until the answer.
    Asking,
    /// The answer is being carried out: a second answer is refused.
    Resolving,
}

struct Session {
    edit: Edit,
    /// The window that opened it: the one asked, and told of saves.
    window: String,
    phase: Phase,
    /// A save whose sending failed, and when: tried again after [`RETRY_AFTER`].
    failed: Option<(Fingerprint, Instant)>,
}

#[derive(Default)]
pub struct Edits {
    next: AtomicU32,
    sessions: Mutex<HashMap<u32, Session>>,
    /// Objects being downloaded for editing: a second Edit of one waits for the first.
    opening: Mutex<HashSet<(String, String)>>,
}

/// An object being opened for editing; dropping it lets another open it.
pub struct Opening<'a> {
    edits: &'a Edits,
    at: (String, String),
}

impl Drop for Opening<'_> {
    fn drop(&mut self) {
        self.edits
            .opening
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.at);
    }
}

impl Edits {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The edit of the object at `workspace`/`key` already open, if any.
    pub fn find(&self, workspace: &str, key: &ObjectKey) -> Option<(u32, PathBuf)> {
        self.lock()
            .iter()
            .find(|(_, s)| s.edit.workspace == workspace && &s.edit.key == key)
            .map(|(id, s)| (*id, s.edit.file.clone()))
    }

    /// Claims the object for opening to edit; refused while another opening of it runs.
    pub fn claim(&self, workspace: &str, key: &ObjectKey) -> IpcResult<Opening<'_>> {
        let at = (workspace.to_string(), key.as_str().to_string());
        if !self
            .opening
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(at.clone())
        {
            return Err(IpcError::new(
                ErrorCode::Conflict,
                format!("{key} is being opened for editing already"),
                "Wait for it to open.",
            ));
        }
        Ok(Opening { edits: self, at })
    }

    /// The copies being edited (the cache must not evict them).
    pub fn files(&self) -> Vec<PathBuf> {
        self.lock().values().map(|s| s.edit.file.clone()).collect()
    }

    pub fn begin(&self, edit: Edit, window: &str) -> u32 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        self.lock().insert(
            id,
            Session {
                edit,
                window: window.to_string(),
                phase: Phase::Watching,
                failed: None,
            },
        );
        id
    }

    /// The window that opened edit `id`, or "" (any window) when it has closed since.
    fn window(&self, app: &AppHandle, id: u32) -> String {
        use tauri::Manager;
        self.lock()
            .get(&id)
            .map(|s| s.window.clone())
            .filter(|w| app.get_webview_window(w).is_some())
            .unwrap_or_default()
    }

    fn end(&self, id: u32) {
        self.lock().remove(&id);
    }

    fn set(&self, id: u32, change: impl FnOnce(&mut Session)) {
        if let Some(s) = self.lock().get_mut(&id) {
            change(s);
        }
    }
}

/// Watches edit `id` until it ends.
pub fn watch(app: AppHandle, state: AppState, id: u32) {
    tauri::async_runtime::spawn(async move {
        let mut last: Option<Fingerprint> = None;
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let (edit, now) = {
                let sessions = state.edits.lock();
                let Some(session) = sessions.get(&id) else {
                    return;
                };
                let now = session.edit.changed();
                let waiting = session.failed.is_some_and(|(print, when)| {
                    Some(print) == now && when.elapsed() < RETRY_AFTER
                });
                if session.phase != Phase::Watching || now.is_none() || waiting {
                    last = None;
                    continue;
                }
                (session.edit.clone(), now)
            };
            // A save in progress writes in pieces: wait until two looks agree.
            if now != last {
                last = now;
                continue;
            }
            last = None;
            if let Err(e) = save(&app, &state, id, edit.clone(), now).await {
                state
                    .edits
                    .set(id, |s| s.failed = now.map(|n| (n, Instant::now())));
                failed(&app, &state, id, &edit, &e);
            }
        }
    });
}

/// Sends a save back when the object is as opened; otherwise asks.
async fn save(
    app: &AppHandle,
    state: &AppState,
    id: u32,
    edit: Edit,
    now: Option<Fingerprint>,
) -> IpcResult<()> {
    let engine = state.engine()?;
    match edit.remote(&engine).await? {
        Remote::AsOpened => upload(app, state, id, edit, now, SaveTo::Object).await,
        remote => {
            state.edits.set(id, |s| s.phase = Phase::Asking);
            let asked = EditConflict {
                edit: id,
                window: state.edits.window(app, id),
                workspace: edit.workspace.clone(),
                path: edit.key.as_str().to_string(),
                gone: remote == Remote::Gone,
            };
            tell(app, asked);
            Ok(())
        }
    }
}

/// Uploads the copy as a job and waits for it; over the object, the edit goes on from there.
async fn upload(
    app: &AppHandle,
    state: &AppState,
    id: u32,
    mut edit: Edit,
    now: Option<Fingerprint>,
    to: SaveTo,
) -> IpcResult<()> {
    let engine = state.engine()?;
    let window = state.edits.window(app, id);
    let job = edit.upload_job(&engine, to).await?;
    let ended = engine.runner().run_to_end(engine.clone(), &job).await?;
    // A workspace that never replaces a file (file_overwrite: false) skips the save: it did
    // not reach the object, and saying "saved" would lose the edit.
    if ended.status == JobStatus::Completed && ended.files_skipped > 0 {
        return Err(IpcError::new(
            ErrorCode::Failed,
            format!(
                "{} was not saved back: its workspace never replaces a file (file_overwrite: false)",
                edit.key
            ),
            "Save it under another name, or change the workspace's upload policy.",
        ));
    }
    if ended.status != JobStatus::Completed {
        return Err(ended.error.unwrap_or_else(|| {
            IpcError::new(
                ErrorCode::Failed,
                format!("the upload of {} did not complete", edit.key),
                "See the job in the transfer panel.",
            )
        }));
    }
    if to == SaveTo::Object {
        edit.uploaded(&engine, now).await?;
        state.edits.set(id, |s| {
            s.edit = edit.clone();
            s.failed = None;
            s.phase = Phase::Watching;
        });
    }
    tell(
        app,
        EditSaved {
            edit: id,
            window,
            workspace: edit.workspace.clone(),
            path: edit.key.as_str().to_string(),
            as_copy: to == SaveTo::Copy,
        },
    );
    Ok(())
}

fn failed(app: &AppHandle, state: &AppState, id: u32, edit: &Edit, e: &IpcError) {
    tracing::warn!("saving an edit back failed: {}", e.message);
    tell(
        app,
        EditFailed {
            edit: id,
            window: state.edits.window(app, id),
            workspace: edit.workspace.clone(),
            path: edit.key.as_str().to_string(),
            message: e.message.clone(),
        },
    );
}

/// Every window hears it; the one named in it (the one that opened the edit, or any when that
/// one closed) acts on it.
fn tell(app: &AppHandle, event: impl Event + Serialize + Clone) {
    if let Err(e) = event.emit(app) {
        tracing::debug!("an edit's news was not delivered: {e}");
    }
}

/// The person's answer to an [`EditConflict`].
pub async fn resolve(
    app: &AppHandle,
    state: &AppState,
    id: u32,
    choice: EditChoice,
) -> IpcResult<()> {
    let edit = {
        let mut sessions = state.edits.lock();
        let Some(session) = sessions.get_mut(&id) else {
            return Err(IpcError::new(
                ErrorCode::NotFound,
                "that file is no longer being edited",
                "Open it for editing again.",
            ));
        };
        if session.phase != Phase::Asking {
            return Err(crate::error::invalid("that edit has no question open"));
        }
        // One answer: a second (another window, a double click) is refused.
        session.phase = Phase::Resolving;
        session.edit.clone()
    };
    let now = edit.changed();
    let sent = match choice {
        EditChoice::Overwrite => upload(app, state, id, edit.clone(), now, SaveTo::Object).await,
        EditChoice::SaveAsCopy => {
            let sent = upload(app, state, id, edit.clone(), now, SaveTo::Copy).await;
            if sent.is_ok() {
                state.edits.end(id);
            }
            sent
        }
        EditChoice::Discard => {
            state.edits.end(id);
            Ok(())
        }
    };
    if let Err(e) = &sent {
        // Asked again rather than lost: the question stands until it is answered.
        state.edits.set(id, |s| s.phase = Phase::Asking);
        failed(app, state, id, &edit, e);
    }
    sent
}

/// Stops sending saves of edit `id` back (its copy stays in the cache until evicted).
pub fn stop(state: &AppState, id: u32) {
    state.edits.end(id);
}
