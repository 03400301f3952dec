//! What saving (or testing) a workspace newly reaches, and the person's consent to it: a local
//! folder the app may then read, change and delete in, or a server that would receive the AWS
//! credentials of this machine. The web view can fill in any form; only the folder chooser's
//! grant or a dialog drawn by Rust (which the page can neither draw nor answer) allows these.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use ferry_engine::Engine;
use ferry_engine::settings::{CredentialSource, Storage, Workspace, expand_home};
use tauri::AppHandle;

use crate::commands::system;
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::grants::{Purpose, Taken};
use crate::state::AppState;

/// One question at a time: a page cannot stack dialogs until one is answered yes.
static ASKING: AtomicBool = AtomicBool::new(false);

/// `ws` as it may be saved, and the grant it used (to give back if saving fails). With `app`,
/// what no grant covers is asked in a native dialog; without (a connection test), refused.
pub async fn allowed(
    app: Option<&AppHandle>,
    state: &AppState,
    engine: &Engine,
    mut ws: Workspace,
) -> IpcResult<(Workspace, Taken)> {
    let saved = engine.workspace(&ws.id).ok().filter(|w| w.id == ws.id);
    match &mut ws.storage {
        Storage::Local(local) => {
            let folder = expand_home(&local.base_path);
            let unchanged = saved.is_some_and(|w| match &w.storage {
                Storage::Local(was) => expand_home(&was.base_path) == folder,
                Storage::S3(_) => false,
            });
            if unchanged {
                return Ok((ws, Taken::default()));
            }
            let real = std::fs::canonicalize(&folder).ok();
            if let Some(real) = &real
                && let Ok(taken) = state
                    .grants
                    .take(std::slice::from_ref(real), Purpose::Workspace)
            {
                return Ok((ws, taken));
            }
            let not_granted = |why: &str| {
                IpcError::new(
                    ErrorCode::NotGranted,
                    format!("the folder {} {why}; nothing was saved", shown(&folder)),
                    "Choose the folder with Choose… in the workspace editor.",
                )
            };
            let (Some(app), Some(real)) = (app, real) else {
                return Err(not_granted("was not chosen for this workspace"));
            };
            let also = if real != folder {
                format!(" (as typed: {})", shown(&folder))
            } else {
                String::new()
            };
            let question = format!(
                "Let the workspace \u{201c}{}\u{201d} use the folder\n\n{}{also}\n\nFerry will be able to read, change \
                 and delete the files in it. The folder was not chosen with Choose…, so the app asks here.",
                shown(Path::new(&ws.name)),
                shown(&real),
            );
            if !ask(app, "Use this folder?", question, "Use this folder").await? {
                return Err(not_granted("was not confirmed"));
            }
            // What was confirmed is what is saved: links and `..` resolved.
            local.base_path = real;
            Ok((ws, Taken::default()))
        }
        Storage::S3(s3) => {
            let chain = matches!(
                s3.credentials.effective(s3.endpoint_url.as_deref()),
                Some(CredentialSource::Aws { .. })
            );
            let elsewhere = s3.endpoint_url.as_deref().filter(|e| {
                let server = ferry_engine::secrets::binding(Some(e), "");
                server != "https://aws/" && server != "https://aws-cn/"
            });
            let Some(endpoint) = elsewhere.filter(|_| chain) else {
                return Ok((ws, Taken::default()));
            };
            let unchanged = saved.is_some_and(|w| match &w.storage {
                Storage::S3(was) => {
                    was.endpoint_url == s3.endpoint_url && was.credentials == s3.credentials
                }
                Storage::Local(_) => false,
            });
            if unchanged {
                return Ok((ws, Taken::default()));
            }
            let refused = IpcError::new(
                ErrorCode::NotGranted,
                format!(
                    "the workspace would send this machine's AWS credentials (environment, ~/.aws) to {}, which is not AWS; nothing was saved",
                    shown(Path::new(endpoint))
                ),
                "Use an access key kept in the keychain for this service, or confirm when Ferry asks.",
            );
            let Some(app) = app else {
                return Err(refused);
            };
            let question = format!(
                "The workspace \u{201c}{}\u{201d} will sign its requests to\n\n{}\n\nwith this machine's AWS credentials \
                 (environment, ~/.aws), and send it your files. That server is not AWS. Use them there?",
                shown(Path::new(&ws.name)),
                shown(Path::new(endpoint)),
            );
            if !ask(
                app,
                "Send AWS credentials?",
                question,
                "Use my AWS credentials",
            )
            .await?
            {
                return Err(refused);
            }
            Ok((ws, Taken::default()))
        }
    }
}

/// A native yes/no question, one at a time (also for the update's install).
pub(crate) async fn ask(
    app: &AppHandle,
    title: &str,
    question: String,
    yes: &str,
) -> IpcResult<bool> {
    struct Asking;
    impl Drop for Asking {
        fn drop(&mut self) {
            ASKING.store(false, Ordering::SeqCst);
        }
    }
    if ASKING.swap(true, Ordering::SeqCst) {
        return Err(IpcError::new(
            ErrorCode::NotGranted,
            "another question is open; answer it first",
            "",
        ));
    }
    let _asking = Asking;
    Ok(system::confirm(app, title, question, yes).await)
}

/// A path or name as a dialog shows it: control characters and direction overrides, which
/// could hide or reorder what is asked, as escapes.
fn shown(path: &Path) -> String {
    path.display()
        .to_string()
        .chars()
        .map(|c| {
            if ferry_storage::text::hidden(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::shown;
    use std::path::Path;

    #[test]
    fn a_dialog_shows_hidden_characters_as_escapes() {
        assert_eq!(shown(Path::new("/home/u/Photos")), "/home/u/Photos");
        assert_eq!(
            shown(Path::new("/home/u/\u{202e}sotohP\n")),
            "/home/u/\\u{202e}sotohP\\u{a}"
        );
    }
}
