//! Files open for editing in the person's own apps: each is watched, and each save goes back
//! to its object as an upload job (shown in the transfer panel) once the object is found to
//! be the one that was opened. Otherwise the window asks (`EditConflict`) and nothing is sent
//! until `edit_resolve` answers.
//!
//! Polling once a second, as for settings.json: editors save by writing a new file and
//! renaming it over the old one, which a watcher on the file itself misses, and a check of a
//! few files' size and time a second costs nothing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ferry_engine::edit::{Edit, Fingerprint, Remote, SaveTo};
use ferry_engine::transfer::JobStatus;
use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event;

use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

/// A save of an edited file reached its object.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditSaved {
    pub edit: u32,
    pub workspace: String,
    pub path: String,
}

/// An edited file was saved, but its object changed (or went) since it was opened: the person
/// decides with `edit_resolve`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct EditConflict {
    pub edit: u32,
    pub workspace: String,
    pub path: String,
    /// Deleted rather than changed.
    pub gone: bool,
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

struct Session {
    edit: Edit,
    /// The window that opened it: the one asked, and told of saves.
    window: String,
    /// Waiting for the person's answer: nothing is uploaded meanwhile.
    asking: bool,
    /// A save whose upload failed: not tried again until the file changes again.
    failed: Option<Fingerprint>,
}

#[derive(Default)]
pub struct Edits {
    next: AtomicU32,
    sessions: Mutex<HashMap<u32, Session>>,
}

impl Edits {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u32, Session>> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The edit of the object at `workspace`/`path` already open, if any.
    pub fn find(&self, workspace: &str, path: &str) -> Option<(u32, PathBuf)> {
        self.lock()
            .iter()
            .find(|(_, s)| s.edit.workspace == workspace && s.edit.key.as_str() == path)
            .map(|(id, s)| (*id, s.edit.file.clone()))
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
                asking: false,
                failed: None,
            },
        );
        id
    }

    fn window(&self, id: u32) -> Option<String> {
        self.lock().get(&id).map(|s| s.window.clone())
    }

    fn end(&self, id: u32) {
        self.lock().remove(&id);
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
                if session.asking || now.is_none() || now == session.failed {
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
            if let Err(e) = save(&app, &state, id, edit, now).await {
                tracing::warn!("saving an edit back failed: {}", e.message);
                if let Some(s) = state.edits.lock().get_mut(&id) {
                    s.failed = now;
                }
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
            if let Some(s) = state.edits.lock().get_mut(&id) {
                s.asking = true;
            }
            let asked = EditConflict {
                edit: id,
                workspace: edit.workspace.clone(),
                path: edit.key.as_str().to_string(),
                gone: remote == Remote::Gone,
            };
            tell(app, state.edits.window(id), asked);
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
    let window = state.edits.window(id);
    let job = edit.upload_job(&engine, to).await?;
    let ended = engine.runner().run_to_end(engine.clone(), &job).await?;
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
        if let Some(s) = state.edits.lock().get_mut(&id) {
            s.edit = edit.clone();
            s.failed = None;
            s.asking = false;
        }
    }
    let saved = EditSaved {
        edit: id,
        workspace: edit.workspace.clone(),
        path: edit.key.as_str().to_string(),
    };
    tell(app, window, saved);
    Ok(())
}

/// Tells the window that opened an edit; every window when it has closed meanwhile.
fn tell(app: &AppHandle, window: Option<String>, event: impl Event + Serialize + Clone) {
    use tauri::Manager;
    let sent = match window.filter(|w| app.get_webview_window(w).is_some()) {
        Some(w) => event.emit_to(app, w.as_str()),
        None => event.emit(app),
    };
    if let Err(e) = sent {
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
    let Some((edit, asking)) = state
        .edits
        .lock()
        .get(&id)
        .map(|s| (s.edit.clone(), s.asking))
    else {
        return Err(IpcError::new(
            ErrorCode::NotFound,
            "that file is no longer being edited",
            "Open it for editing again.",
        ));
    };
    if !asking {
        return Err(crate::error::invalid("that edit has no question open"));
    }
    let now = edit.changed();
    match choice {
        EditChoice::Overwrite => {
            let sent = upload(app, state, id, edit, now, SaveTo::Object).await;
            if sent.is_err()
                && let Some(s) = state.edits.lock().get_mut(&id)
            {
                // Asked again at the next save, rather than never.
                s.asking = false;
                s.failed = now;
            }
            sent
        }
        EditChoice::SaveAsCopy => {
            // Still asking while it uploads: the watcher leaves it alone, then it ends.
            let sent = upload(app, state, id, edit, now, SaveTo::Copy).await;
            state.edits.end(id);
            sent
        }
        EditChoice::Discard => {
            state.edits.end(id);
            Ok(())
        }
    }
}

/// Stops watching edit `id` (its copy stays in the cache until evicted).
pub fn stop(state: &AppState, id: u32) {
    state.edits.end(id);
}
