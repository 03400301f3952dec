//! The desktop around the app: file pickers, clipboard, opening settings.json, the title.

use std::path::PathBuf;

use tauri::{AppHandle, State};
use tauri_plugin_clipboard_manager::ClipboardExt;
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::dto::{AppInfo, PickKind};
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::grants::Purpose;
use crate::state::AppState;

#[tauri::command]
#[specta::specta]
pub async fn app_info(state: State<'_, AppState>) -> IpcResult<AppInfo> {
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        settings_path: state
            .config_dir
            .join(ferry_engine::settings::FILE_NAME)
            .to_string_lossy()
            .into_owned(),
        data_dir: state.data_dir.to_string_lossy().into_owned(),
    })
}

/// Without the test build's seam no environment variable can choose files.
#[cfg(not(feature = "test-seams"))]
fn test_seam(_: PickKind) -> Option<Vec<String>> {
    None
}

/// Without the test build's seam no environment variable can answer a confirmation.
#[cfg(not(feature = "test-seams"))]
fn confirm_seam() -> Option<bool> {
    None
}

/// The test build's answer to a confirmation (`ok` or `cancel`): WebDriver cannot press a
/// GTK dialog's buttons.
#[cfg(feature = "test-seams")]
fn confirm_seam() -> Option<bool> {
    match std::env::var("FERRY_TEST_SEAM_CONFIRM").ok()?.as_str() {
        "ok" => Some(true),
        "cancel" => Some(false),
        _ => None,
    }
}

/// Asks the person in a native dialog the app draws (the web view can neither draw nor answer
/// it); true when they pressed `ok_label`.
pub async fn confirm(app: &AppHandle, title: &str, message: String, ok_label: &str) -> bool {
    use tauri_plugin_dialog::{MessageDialogButtons, MessageDialogKind};
    if let Some(answer) = confirm_seam() {
        return answer;
    }
    let dialog = app
        .dialog()
        .message(message)
        .title(title)
        .kind(MessageDialogKind::Warning)
        .buttons(MessageDialogButtons::OkCancelCustom(
            ok_label.to_string(),
            "Cancel".to_string(),
        ));
    tauri::async_runtime::spawn_blocking(move || dialog.blocking_show())
        .await
        .unwrap_or(false)
}

/// What a test put in place of the native dialog: WebDriver cannot drive GTK's file chooser.
/// Compiled only with the `test-seams` feature (`scripts/test`), never into what users run.
#[cfg(feature = "test-seams")]
fn test_seam(kind: PickKind) -> Option<Vec<String>> {
    let var = match kind {
        PickKind::Files => "FERRY_TEST_PICK_FILES",
        PickKind::Folder => "FERRY_TEST_PICK_FOLDER",
        PickKind::Destination => "FERRY_TEST_PICK_DESTINATION",
        PickKind::Workspace => "FERRY_TEST_PICK_WORKSPACE",
    };
    let value = std::env::var(var).ok().filter(|v| !v.is_empty())?;
    Some(value.lines().map(str::to_string).collect())
}

/// Opens the native chooser; an empty list means the person cancelled.
#[tauri::command]
#[specta::specta]
pub async fn pick(
    app: AppHandle,
    state: State<'_, AppState>,
    kind: PickKind,
) -> IpcResult<Vec<String>> {
    let purpose = match kind {
        PickKind::Files | PickKind::Folder => Purpose::Read,
        PickKind::Destination => Purpose::Write,
        PickKind::Workspace => Purpose::Workspace,
    };
    if let Some(paths) = test_seam(kind) {
        state.grants.grant(purpose, paths.iter().map(PathBuf::from));
        return Ok(paths);
    }
    let picked = tauri::async_runtime::spawn_blocking(move || {
        let dialog = app.dialog().file();
        let to_path = |p: tauri_plugin_dialog::FilePath| p.into_path().ok();
        let paths: Vec<PathBuf> = match kind {
            PickKind::Files => dialog
                .set_title("Upload files")
                .blocking_pick_files()
                .unwrap_or_default()
                .into_iter()
                .filter_map(to_path)
                .collect(),
            PickKind::Folder => dialog
                .set_title("Upload a folder")
                .blocking_pick_folder()
                .and_then(to_path)
                .into_iter()
                .collect(),
            PickKind::Destination => dialog
                .set_title("Download to…")
                .blocking_pick_folder()
                .and_then(to_path)
                .into_iter()
                .collect(),
            PickKind::Workspace => dialog
                .set_title("Folder for the workspace")
                .blocking_pick_folder()
                .and_then(to_path)
                .into_iter()
                .collect(),
        };
        paths
    })
    .await
    .map_err(|e| {
        IpcError::new(
            ErrorCode::Failed,
            format!("the file chooser failed: {e}"),
            "",
        )
    })?;
    state.grants.grant(purpose, picked.iter().cloned());
    Ok(picked
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect())
}

#[tauri::command]
#[specta::specta]
pub async fn clipboard_write(app: AppHandle, text: String) -> IpcResult<()> {
    // Links and names: a few KiB at most.
    crate::limits::text("text to copy", &text, 64 * 1024)?;
    app.clipboard().write_text(text).map_err(|e| {
        IpcError::new(
            ErrorCode::Failed,
            format!("could not copy to the clipboard: {e}"),
            "Select the text and copy it by hand.",
        )
    })
}

/// Opens settings.json in the system's editor (the app never rewrites a file it cannot read).
#[tauri::command]
#[specta::specta]
pub async fn settings_open_file(app: AppHandle, state: State<'_, AppState>) -> IpcResult<()> {
    let path = state.config_dir.join(ferry_engine::settings::FILE_NAME);
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|e| {
            IpcError::new(
                ErrorCode::Failed,
                format!("could not open {}: {e}", path.display()),
                "Open the file with a text editor yourself.",
            )
        })
}

#[tauri::command]
#[specta::specta]
pub async fn window_title(window: tauri::WebviewWindow, title: String) -> IpcResult<()> {
    crate::limits::text("window title", &title, 512)?;
    window
        .set_title(&title)
        .map_err(|e| IpcError::new(ErrorCode::Failed, e.to_string(), ""))
}

/// Opens another window on `workspace` at `path` (or the default workspace). Windows share
/// the engine, the transfer queue and the settings.
#[tauri::command]
#[specta::specta]
pub async fn window_open(
    app: AppHandle,
    workspace: Option<String>,
    path: Option<String>,
) -> IpcResult<()> {
    if let Some(w) = &workspace {
        crate::limits::text("workspace", w, 512)?;
    }
    if let Some(p) = &path {
        crate::limits::text("path", p, 4096)?;
    }
    crate::windows::open(&app, workspace.as_deref(), path.as_deref())?;
    Ok(())
}
