//! Notices hand edits of settings.json while the app runs.
//!
//! Polling once a second, rather than a file-system watcher: editors save by writing a new file
//! and renaming it over the old one, which a watcher on the file itself misses, and a check of
//! one file's size and time a second costs nothing.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};
use tauri::AppHandle;
use tauri_specta::Event;

use crate::state::AppState;

/// settings.json changed on disk and was read again; `valid` is false when it is now broken.
#[derive(Debug, Clone, Serialize, Deserialize, specta::Type, tauri_specta::Event)]
pub struct SettingsChanged {
    pub valid: bool,
}

fn fingerprint(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

pub fn spawn(app: AppHandle, state: AppState) {
    let path = state.config_dir.join(ferry_engine::settings::FILE_NAME);
    tauri::async_runtime::spawn(async move {
        let mut seen = fingerprint(&path);
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let now = fingerprint(&path);
            if now != seen {
                seen = now;
                state.reload();
                tracing::info!("settings.json changed on disk; read it again");
                let valid = state.problem().is_none();
                if let Err(e) = (SettingsChanged { valid }).emit(&app) {
                    tracing::debug!("settings-changed not delivered: {e}");
                }
            }
        }
    });
}
