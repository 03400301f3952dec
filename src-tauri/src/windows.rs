//! Several windows on one app: each is a view (its own workspace, folder, selection, dialogs)
//! of the one engine, transfer queue and settings file the process holds.

use std::sync::atomic::{AtomicU32, Ordering};

use serde::Serialize;
use tauri::{AppHandle, Manager, WebviewUrl, WebviewWindowBuilder};

use crate::error::{ErrorCode, IpcError, IpcResult};

/// Labels of windows opened after the first: `ferry-1`, `ferry-2`… (the capability names them).
pub const LABEL_PREFIX: &str = "ferry-";

static NEXT: AtomicU32 = AtomicU32::new(1);
/// Held from counting the windows to making one: calls at once cannot all pass the count.
static OPENING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Where a new window starts.
#[derive(Debug, Serialize)]
struct Start<'a> {
    workspace: Option<&'a str>,
    path: Option<&'a str>,
}

/// Windows open at most: more is a page gone bad, not a person.
const MOST: usize = 16;

/// Opens a window showing `workspace` at `path` (or the default workspace); returns its label.
pub fn open(app: &AppHandle, workspace: Option<&str>, path: Option<&str>) -> IpcResult<String> {
    let _one_at_a_time = OPENING.lock().unwrap_or_else(|p| p.into_inner());
    if app.webview_windows().len() >= MOST {
        return Err(IpcError::new(
            ErrorCode::Failed,
            format!("{MOST} windows are open already"),
            "Close a window first.",
        ));
    }
    let label = format!("{LABEL_PREFIX}{}", NEXT.fetch_add(1, Ordering::Relaxed));
    // Handed over as data the page reads at start: JSON is a JavaScript literal.
    let start = serde_json::to_string(&Start { workspace, path })
        .map_err(|e| IpcError::new(ErrorCode::Failed, e.to_string(), ""))?;
    let (width, height) = app
        .get_webview_window("main")
        .and_then(|w| Some((w.inner_size().ok()?, w.scale_factor().ok()?)))
        .map(|(size, scale)| {
            (
                f64::from(size.width) / scale,
                f64::from(size.height) / scale,
            )
        })
        .unwrap_or((1180.0, 760.0));
    WebviewWindowBuilder::new(app, &label, WebviewUrl::App("index.html".into()))
        .title("Ferry")
        .inner_size(width, height)
        .min_inner_size(720.0, 480.0)
        .initialization_script(format!("window.__FERRY_START__ = {start};"))
        .build()
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Failed,
                format!("a new window could not be opened: {e}"),
                "Close a window and try again.",
            )
        })?;
    Ok(label)
}
