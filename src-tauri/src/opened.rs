//! What other apps hand Ferry: `s3://bucket/key` links and files (a `.ferry` workspace, or any
//! settings file Ferry imports), on its command line when the desktop starts it
//! (`Exec=ferry-desktop %u`), or passed on by a second start to the one already running
//! (tauri-plugin-single-instance). Each becomes a request that a window takes
//! (`opened_take`); a file is kept here, never named by the page, until it is previewed.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ferry_engine::links::{self, LinkTarget};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, State};
use tauri_specta::Event;

use crate::error::IpcResult;
use crate::state::AppState;

/// What a window should show for something another app handed Ferry.
#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OpenRequest {
    /// An s3:// link, with where it leads.
    Link { url: String, target: LinkTarget },
    /// A file to import: previewed with `workspace_import_opened`.
    Import { file: String },
    /// Something Ferry cannot open, and why.
    Refused { what: String, message: String },
}

/// Requests are waiting: a window takes them with `opened_take`.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct OpenRequested;

#[derive(Default)]
pub struct Opened {
    requests: Mutex<Vec<OpenRequest>>,
    file: Mutex<Option<PathBuf>>,
}

impl Opened {
    /// The file the last Import request named (kept until a preview of it works: one that
    /// needs a bucket is tried again with it).
    pub fn file(&self) -> Option<PathBuf> {
        self.file.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// `path` was previewed: it is no longer waiting.
    pub fn previewed(&self, path: &Path) {
        let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
        if file.as_deref() == Some(path) {
            *file = None;
        }
    }
}

/// One running Ferry per settings folder (the journal and the keychain entries go with it):
/// the D-Bus name a second start looks for. Another settings folder (`FERRY_CONFIG_DIR`) is
/// another Ferry, as a second user's would be.
pub fn instance_id(config_dir: &Path) -> String {
    // FNV-1a of the folder's bytes, written out here because it must not change between builds
    // (std's hasher may): an updated Ferry still finds the one already running.
    let hash = config_dir
        .as_os_str()
        .as_encoded_bytes()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("app.ferry.desktop.c{hash:016x}")
}

/// Turns a command line's arguments into requests. Options (`--…`, as a WebDriver passes) are
/// not locations and are passed over.
pub fn accept(app: &AppHandle, args: impl IntoIterator<Item = OsString>, cwd: &Path) {
    let state = app.state::<AppState>();
    let mut got = Vec::new();
    for arg in args {
        // A file's name need not be UTF-8.
        let text = arg.to_string_lossy();
        if text.starts_with('-') || text.is_empty() {
            continue;
        }
        got.push(request(&state, &arg, cwd));
    }
    if got.is_empty() {
        return;
    }
    state
        .opened
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(got);
    if let Err(e) = OpenRequested.emit(app) {
        tracing::debug!("open request not delivered: {e}");
    }
    // The person asked for Ferry: bring its window forward.
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
}

fn request(state: &AppState, raw: &OsStr, cwd: &Path) -> OpenRequest {
    let arg = &*raw.to_string_lossy();
    let refused = |message: String| OpenRequest::Refused {
        what: arg.to_string(),
        message,
    };
    if arg
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("s3://"))
    {
        let engine = match state.engine() {
            Ok(engine) => engine,
            Err(e) => return refused(e.message),
        };
        return match links::resolve(engine.settings(), arg) {
            Ok(target) => OpenRequest::Link {
                url: arg.to_string(),
                target,
            },
            Err(e) => refused(e.to_string()),
        };
    }
    // A file manager hands a path (which may hold a colon), or a file:// URL.
    let given = cwd.join(raw);
    let path = match url::Url::parse(arg) {
        _ if given.is_file() => given,
        Ok(url) if url.scheme() == "file" => match url.to_file_path() {
            Ok(path) => path,
            Err(()) => return refused(format!("{arg} is not a file on this machine")),
        },
        Ok(url) if url.scheme().len() > 1 => {
            return refused(format!(
                "Ferry opens s3:// links, not {}: links",
                url.scheme()
            ));
        }
        _ => given,
    };
    if !path.is_file() {
        return refused(format!("{} is not a file Ferry can open", path.display()));
    }
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    *state.opened.file.lock().unwrap_or_else(|p| p.into_inner()) = Some(path);
    OpenRequest::Import { file }
}

/// The requests waiting, each handed to one window only.
#[tauri::command]
#[specta::specta]
pub async fn opened_take(state: State<'_, AppState>) -> IpcResult<Vec<OpenRequest>> {
    Ok(std::mem::take(
        &mut *state
            .opened
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner()),
    ))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// The name a second start looks for is the same in every build (an updated Ferry still
    /// finds the one running): FNV-1a, checked against its published test vectors.
    #[test]
    fn the_instance_name_is_stable_and_per_settings_folder() {
        assert_eq!(
            super::instance_id(Path::new("a")),
            "app.ferry.desktop.caf63dc4c8601ec8c"
        );
        assert_eq!(
            super::instance_id(Path::new("foobar")),
            "app.ferry.desktop.c85944171f73967e8"
        );
        assert_ne!(
            super::instance_id(Path::new("/home/a/.config/ferry")),
            super::instance_id(Path::new("/home/b/.config/ferry"))
        );
    }
}
