//! Dragging files out of the window to the file manager (or any app that takes file drops).
//!
//! A GTK drag of `file://` URIs, started while the button that began the web view's drag is
//! still down. Hand-written over GTK rather than the `drag` crate because that crate writes
//! each path into its URI as is: a name with a space, `#`, `%` or a newline — all fine in keys —
//! gives a wrong or broken URI; GLib's `filename_to_uri` escapes them.
//!
//! S3 objects are staged: their download jobs start when the drag does, and the drop waits
//! for them before it hands the files over — at most [`STAGE_WAIT`], since it waits on GTK's
//! thread (every window is still meanwhile); files not there by then are not handed over, and
//! the drag ends saying so.

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::error::{ErrorCode, IpcError, IpcResult};

/// The longest a drop waits for staged downloads.
pub const STAGE_WAIT: Duration = Duration::from_secs(10);

/// How a drag out ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum DragEnd {
    /// Dropped, and the files handed over.
    Dropped,
    /// Given up, or dropped where files are not taken.
    Cancelled,
    /// Dropped before the downloads were done (or after they failed): nothing handed over.
    NotReady,
}

/// Downloads a drop waits for: `None` while they run, then whether they all completed.
#[derive(Clone, Default)]
pub struct Staged(Arc<(Mutex<Option<bool>>, Condvar)>);

impl Staged {
    pub fn ready() -> Self {
        let staged = Self::default();
        staged.finish(true);
        staged
    }

    pub fn finish(&self, ok: bool) {
        let (done, signal) = &*self.0;
        *done.lock().unwrap_or_else(|p| p.into_inner()) = Some(ok);
        signal.notify_all();
    }

    /// Waits (blocking: the drop is answered on GTK's thread) until the downloads ended.
    fn wait(&self) -> bool {
        let (done, signal) = &*self.0;
        let guard = done.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = signal
            .wait_timeout_while(guard, STAGE_WAIT, |d| d.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.unwrap_or(false)
    }
}

/// Starts the drag of `files` from `window`; `ended` hears whether they were dropped somewhere.
#[cfg(target_os = "linux")]
pub fn start(
    window: &tauri::WebviewWindow,
    files: Vec<PathBuf>,
    staged: Staged,
    ended: impl FnOnce(DragEnd) + Send + 'static,
) -> IpcResult<()> {
    let tauri_window = window.clone();
    window
        .run_on_main_thread(move || {
            // GTK's objects live on its thread: the window is looked up there.
            let begun = tauri_window
                .gtk_window()
                .map_err(|e| e.to_string())
                .and_then(|w| begin(&w, files, staged, ended));
            if let Err(e) = begun {
                tracing::warn!("drag out: {e}");
            }
        })
        .map_err(failed)
}

#[cfg(target_os = "linux")]
fn begin(
    window: &gtk::ApplicationWindow,
    files: Vec<PathBuf>,
    staged: Staged,
    ended: impl FnOnce(DragEnd) + Send + 'static,
) -> Result<(), String> {
    use gtk::glib;
    use gtk::prelude::*;

    let uris: Vec<String> = files
        .iter()
        .map(|p| glib::filename_to_uri(p, None).map(|u| u.to_string()))
        .collect::<Result<_, _>>()
        .map_err(|e| e.to_string())?;
    let targets = gtk::TargetList::new(&[]);
    targets.add_uri_targets(0);
    // Whether the files were handed over, or the drop came too early for them.
    let handed = Arc::new(Mutex::new(None::<bool>));
    let give = window.connect_drag_data_get({
        let handed = handed.clone();
        move |_, _, data, _, _| {
            // The files must be there when the drop takes them: staged downloads end first.
            let ready = staged.wait();
            if ready {
                let refs: Vec<&str> = uris.iter().map(String::as_str).collect();
                data.set_uris(&refs);
            }
            *handed.lock().unwrap_or_else(|p| p.into_inner()) = Some(ready);
        }
    });
    let dropped = Arc::new(Mutex::new(true));
    let failed = window.connect_drag_failed({
        let dropped = dropped.clone();
        move |_, _, _| {
            *dropped.lock().unwrap_or_else(|p| p.into_inner()) = false;
            glib::Propagation::Proceed
        }
    });
    let handlers = Arc::new(Mutex::new(Some((give, failed))));
    let ended = Mutex::new(Some(ended));
    let end = window.connect_drag_end({
        let handlers = handlers.clone();
        move |window, _| {
            if let Some((give, failed)) = handlers.lock().unwrap_or_else(|p| p.into_inner()).take()
            {
                window.disconnect(give);
                window.disconnect(failed);
            }
            if let Some(ended) = ended.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let dropped = *dropped.lock().unwrap_or_else(|p| p.into_inner());
                let handed = *handed.lock().unwrap_or_else(|p| p.into_inner());
                ended(match (dropped, handed) {
                    (_, Some(false)) => DragEnd::NotReady,
                    (true, _) => DragEnd::Dropped,
                    (false, _) => DragEnd::Cancelled,
                });
            }
        }
    });
    let began =
        window.drag_begin_with_coordinates(&targets, gtk::gdk::DragAction::COPY, 1, None, -1, -1);
    if began.is_none() {
        window.disconnect(end);
        if let Some((give, failed)) = handlers.lock().unwrap_or_else(|p| p.into_inner()).take() {
            window.disconnect(give);
            window.disconnect(failed);
        }
        return Err("the drag could not begin (the mouse button was released)".into());
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
pub fn start(
    _window: &tauri::WebviewWindow,
    _files: Vec<PathBuf>,
    _staged: Staged,
    _ended: impl FnOnce(DragEnd) + Send + 'static,
) -> IpcResult<()> {
    Err(IpcError::new(
        ErrorCode::Failed,
        "dragging files out of the window works on Linux so far",
        "Use Download… to save them.",
    ))
}

fn failed(e: impl std::fmt::Display) -> IpcError {
    IpcError::new(
        ErrorCode::Failed,
        format!("the drag could not start: {e}"),
        "Use Download… to save the files instead.",
    )
}
