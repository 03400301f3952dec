//! Updates of Ferry itself. Off unless settings.json names a feed (`updates`): then the app
//! asks that feed (at start, or when the person asks) and offers a newer version; it installs
//! only after the person says so in a native dialog — never on the web view's word alone — and
//! only a package signed with the settings' key for exactly the version offered.

use std::sync::Mutex;
use std::time::Duration;

use ferry_engine::settings::UpdateFeed;
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_updater::{Update, UpdaterExt};

use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

/// How long a feed may take to answer, and a package to arrive.
const CHECK_TIMEOUT: Duration = Duration::from_secs(30);
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The last check: the feed and key it used, what it said (every window opening shows it
/// without asking the feed again) and the update it found, kept for the install the person may
/// ask for — only while the settings still name that feed and key.
#[derive(Default)]
pub struct Pending(Mutex<Option<Checked>>);

struct Checked {
    feed: UpdateFeed,
    status: UpdateStatus,
    update: Option<Update>,
}

/// Redirects stay on https (or this machine), as the feed's own address must.
fn redirects() -> reqwest_updater::redirect::Policy {
    reqwest_updater::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            attempt.error("more than 5 redirects")
        } else if ferry_engine::settings::check_update_url(attempt.url().as_str()).is_ok() {
            attempt.follow()
        } else {
            attempt.error("a redirect away from https")
        }
    })
}

#[derive(Debug, Clone, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum UpdateStatus {
    /// No feed in the settings: Ferry asks no one.
    Off,
    /// A feed the settings ask to be checked only when the person asks (`check_on_start`).
    Manual,
    /// The feed offers nothing newer than this version.
    Current { version: String },
    /// A newer version, with what the feed says of it.
    Available {
        version: String,
        current: String,
        notes: Option<String>,
        date: Option<String>,
    },
}

/// Asks the feed. `on_start`: a window's own check when it opens — skipped when the settings
/// say `check_on_start: false`, and answered from the last check once one was made.
#[tauri::command]
#[specta::specta]
pub async fn update_check(
    app: AppHandle,
    state: State<'_, AppState>,
    pending: State<'_, Pending>,
    on_start: bool,
) -> IpcResult<UpdateStatus> {
    let Some(feed) = state.engine()?.settings().updates.clone() else {
        return Ok(UpdateStatus::Off);
    };
    if on_start && !feed.check_on_start {
        return Ok(UpdateStatus::Manual);
    }
    if on_start
        && let Some(checked) = &*pending.0.lock().expect("update lock")
        && checked.feed == *feed
    {
        return Ok(checked.status.clone());
    }
    let url =
        ferry_engine::settings::check_update_url(&feed.feed).map_err(crate::error::invalid)?;
    let unreadable = |e: tauri_plugin_updater::Error| {
        IpcError::new(
            ErrorCode::Unreachable,
            format!("could not read the update feed {url}: {e}"),
            "Check the feed's address in settings.json (\"updates\") and the network; Ferry goes on working as it is.",
        )
    };
    let updater = app
        .updater_builder()
        .pubkey(feed.public_key.trim())
        .endpoints(vec![url.clone()])
        .map_err(unreadable)?
        .timeout(CHECK_TIMEOUT)
        .configure_client(|client| client.redirect(redirects()))
        .build()
        .map_err(unreadable)?;
    let mut found = updater.check().await.map_err(unreadable)?;
    if let Some(update) = &mut found {
        update.timeout = Some(DOWNLOAD_TIMEOUT);
    }
    let status = match &found {
        None => UpdateStatus::Current {
            version: app.package_info().version.to_string(),
        },
        Some(update) => UpdateStatus::Available {
            version: update.version.clone(),
            current: update.current_version.clone(),
            notes: update.body.clone(),
            date: update.date.map(|d| d.to_string()),
        },
    };
    *pending.0.lock().expect("update lock") = Some(Checked {
        feed: *feed,
        status: status.clone(),
        update: found,
    });
    Ok(status)
}

/// Installs the update the last check offered as `version`, after a native confirmation, then
/// restarts Ferry. A package whose signature does not match is refused before anything changes.
#[tauri::command]
#[specta::specta]
pub async fn update_install(
    app: AppHandle,
    state: State<'_, AppState>,
    pending: State<'_, Pending>,
    version: String,
) -> IpcResult<()> {
    // Only what the settings' feed offered, checked with their key: a key replaced since (one
    // that leaked) or a feed removed takes the earlier offer with it.
    let now = state.engine()?.settings().updates.clone();
    let update = pending
        .0
        .lock()
        .expect("update lock")
        .as_ref()
        .filter(|c| now.as_deref() == Some(&c.feed))
        .and_then(|c| c.update.clone())
        .filter(|u| u.version == version)
        .ok_or_else(|| {
            crate::error::invalid(format!(
                "no update to Ferry {version} was offered by the last check of the feed the settings name: check again"
            ))
        })?;
    if let Err(msg) = ferry_engine::settings::check_update_url(update.download_url.as_str()) {
        return Err(IpcError::new(
            ErrorCode::Failed,
            format!("the feed's package address cannot be used: {msg}; nothing was installed"),
            "Tell whoever runs the update feed.",
        ));
    }
    let question = format!(
        "Install Ferry {version} (you have {})? Ferry closes and starts again when it is done; transfers under way stop and can be resumed after.",
        update.current_version
    );
    if !crate::consent::ask(&app, "Install the update?", question, "Install").await? {
        return Err(IpcError::new(
            ErrorCode::NotGranted,
            "the update was not confirmed; nothing was installed",
            "",
        ));
    }
    // `download` checks the signature against the settings' key and the version it was signed
    // for before it returns a byte.
    let bytes = update.download(|_, _| {}, || {}).await.map_err(|e| {
        let (code, what) = match e {
            tauri_plugin_updater::Error::Minisign(_)
            | tauri_plugin_updater::Error::SignatureUtf8(_)
            | tauri_plugin_updater::Error::Base64(_)
            | tauri_plugin_updater::Error::SignedVersionMismatch { .. }
            | tauri_plugin_updater::Error::MissingSignedVersion => (
                ErrorCode::Failed,
                "its signature does not match the update key in settings.json",
            ),
            _ => (ErrorCode::Unreachable, "it could not be downloaded"),
        };
        IpcError::new(
            code,
            format!(
                "the update to Ferry {version} was refused: {what} ({e}); nothing was installed"
            ),
            "Ferry goes on as it is. If this persists, tell whoever runs the update feed.",
        )
    })?;
    // Only a copy a package installed can be replaced by one: a build run from elsewhere is
    // updated the way it was made.
    if tauri::utils::platform::bundle_type().is_none() {
        return Err(IpcError::new(
            ErrorCode::Failed,
            format!(
                "Ferry {version} was downloaded and its signature is good, but this copy of Ferry was not installed from a package, so it is not replaced"
            ),
            "Install the new version the way you installed this one.",
        ));
    }
    update.install(bytes).map_err(|e| {
        IpcError::new(
            ErrorCode::Failed,
            format!("installing Ferry {version} failed: {e}"),
            "The system's installer (pkexec, else a password prompt, then dpkg -i or rpm -U) stopped; if it stopped part way, `sudo apt -f install` (or your package manager) finishes it, or install the package by hand.",
        )
    })?;
    app.restart()
}
