//! Settings dialog: workspaces, keys (write-only), transfer preferences, connection tests.

use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::secrets::{S3Secret, SecretError, SecretStore, binding};
use ferry_engine::settings::{Storage, TransferPrefs, Workspace};
use tauri::{AppHandle, State};

use crate::consent;
use crate::convert::{describe, form_of, provider_of, workspace_of};
use crate::dto::{
    CheckView, ConnectionView, FieldProblem, SecretInput, SettingsView, WorkspaceForm,
    WorkspaceView,
};
use crate::error::{ErrorCode, IpcError, IpcResult};
use crate::state::AppState;

async fn view_of(engine: &Engine, ws: &Workspace) -> IpcResult<WorkspaceView> {
    let secret_set = match &ws.storage {
        Storage::Local(_) => false,
        Storage::S3(_) => engine.secret_status(&ws.id).await?.is_set,
    };
    Ok(WorkspaceView {
        form: form_of(ws),
        provider: provider_of(ws),
        description: describe(ws),
        is_default: engine.settings().default_workspace.as_deref() == Some(ws.id.as_str()),
        secret_set,
    })
}

/// The workspaces, preferences and any problem with settings.json.
#[tauri::command]
#[specta::specta]
pub async fn settings_get(state: State<'_, AppState>) -> IpcResult<SettingsView> {
    let path = state
        .config_dir
        .join(ferry_engine::settings::FILE_NAME)
        .to_string_lossy()
        .into_owned();
    let engine = match state.engine() {
        Ok(engine) => engine,
        Err(_) => {
            return Ok(SettingsView {
                path,
                workspaces: Vec::new(),
                default_workspace: None,
                transfer: TransferPrefs::default(),
                problem: state.problem(),
                warnings: Vec::new(),
            });
        }
    };
    let mut warnings: Vec<String> = engine.warnings().iter().map(|w| w.to_string()).collect();
    let mut workspaces = Vec::new();
    for ws in &engine.settings().workspaces {
        match view_of(&engine, ws).await {
            Ok(view) => workspaces.push(view),
            Err(e) => {
                // The keychain may be locked or missing; the workspace is still shown.
                if !warnings.contains(&e.message) {
                    warnings.push(e.message.clone());
                }
                workspaces.push(WorkspaceView {
                    form: form_of(ws),
                    provider: provider_of(ws),
                    description: describe(ws),
                    is_default: engine.settings().default_workspace.as_deref()
                        == Some(ws.id.as_str()),
                    secret_set: false,
                });
            }
        }
    }
    Ok(SettingsView {
        path,
        workspaces,
        default_workspace: engine.settings().default_workspace.clone(),
        transfer: engine.settings().transfer.clone(),
        problem: None,
        warnings,
    })
}

/// A new workspace gets its id from its name, as the CLI does.
fn draft(engine: &Engine, form: &WorkspaceForm) -> Result<Workspace, Vec<FieldProblem>> {
    let mut ws = workspace_of(form)?;
    if ws.id.is_empty() {
        ws.id = ferry_engine::unique_id(&ws.name, engine.settings());
    }
    let mut problems: Vec<FieldProblem> =
        ferry_engine::settings::check_workspace(engine.settings(), &ws)
            .into_iter()
            .map(|(field, message)| FieldProblem {
                field,
                message,
                warning: false,
            })
            .collect();
    let except = (!form.id.is_empty()).then_some(form.id.as_str());
    if let Err(e) = ferry_engine::check_unambiguous(engine.settings(), &ws, except) {
        problems.push(FieldProblem {
            field: "name".into(),
            message: e.to_string(),
            warning: false,
        });
    }
    if problems.is_empty() {
        Ok(ws)
    } else {
        Err(problems)
    }
}

fn rejected(problems: Vec<FieldProblem>) -> IpcError {
    let list: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.field, p.message))
        .collect();
    IpcError::new(
        ErrorCode::Config,
        format!("the workspace was not saved: {}", list.join("; ")),
        "Correct the fields marked in the form.",
    )
}

/// Problems with a form as it stands, for inline validation, then what saving allows but the
/// person should know (`warning`). Nothing is saved.
#[tauri::command]
#[specta::specta]
pub async fn workspace_check(
    state: State<'_, AppState>,
    form: WorkspaceForm,
) -> IpcResult<Vec<FieldProblem>> {
    let engine = state.engine()?;
    Ok(match draft(&engine, &form) {
        Err(problems) => problems,
        Ok(ws) => ferry_engine::settings::workspace_warnings(&ws)
            .into_iter()
            .map(|(field, message)| FieldProblem {
                field,
                message,
                warning: true,
            })
            .collect(),
    })
}

fn secret_of(input: &SecretInput) -> IpcResult<S3Secret> {
    let id = input.access_key_id.trim();
    if id.is_empty() || input.secret_access_key.is_empty() {
        return Err(crate::error::invalid(
            "enter both the access key id and the secret access key",
        ));
    }
    Ok(S3Secret::new(
        id.to_string(),
        input.secret_access_key.clone(),
    ))
}

/// Adds (empty id) or replaces a workspace; `secret`, when given, goes to the keychain only.
#[tauri::command]
#[specta::specta]
pub async fn workspace_save(
    app: AppHandle,
    state: State<'_, AppState>,
    form: WorkspaceForm,
    secret: Option<SecretInput>,
) -> IpcResult<WorkspaceView> {
    let secret = secret.as_ref().map(secret_of).transpose()?;
    let engine = state.engine()?;
    let ws = draft(&engine, &form).map_err(rejected)?;
    let is_new = form.id.is_empty();
    let (ws, taken) = consent::allowed(Some(&app), &state, &engine, ws).await?;
    let saved = state.change(|engine| {
        if is_new {
            engine.add_workspace(ws, false)
        } else {
            engine.replace_workspace(ws).map(|r| r.workspace)
        }
    });
    let saved = match saved {
        Ok(saved) => saved,
        Err(e) => {
            state.grants.give_back(taken);
            return Err(e);
        }
    };
    let engine = state.engine()?;
    if let Some(secret) = secret {
        engine.set_secret(&saved.id, secret).await.map_err(|e| {
            let e = IpcError::from(e);
            IpcError::new(
                e.code,
                format!(
                    "the workspace was saved, but its keys were not: {}",
                    e.message
                ),
                e.hint,
            )
        })?;
    }
    view_of(&engine, &saved).await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_remove(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    state
        .change_async(async |engine: &mut Engine| engine.remove_workspace(&id).await.map(|_| ()))
        .await
}

#[tauri::command]
#[specta::specta]
pub async fn workspace_set_default(state: State<'_, AppState>, id: String) -> IpcResult<()> {
    state.change(|engine| {
        let id = engine.workspace(&id)?.id.clone();
        engine.update(|s| {
            s.default_workspace = Some(id);
            Ok(())
        })
    })
}

/// Removes the workspace's keys from the keychain.
#[tauri::command]
#[specta::specta]
pub async fn secret_clear(state: State<'_, AppState>, id: String) -> IpcResult<bool> {
    let engine = state.engine()?;
    // Only a workspace's own entry: the keychain may hold others under Ferry's service name.
    let id = engine.workspace(&id)?.id.clone();
    Ok(engine.clear_secret(&id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn transfer_prefs_save(
    state: State<'_, AppState>,
    prefs: TransferPrefs,
) -> IpcResult<()> {
    state.change(|engine| {
        engine.update(|s| {
            s.transfer = prefs;
            Ok(())
        })
    })
}

/// Keys from the form for the draft being tested, else the keychain's — but only while the
/// draft still points at the endpoint they were saved for: stored keys (and a session token)
/// are not sent to a host someone just typed in.
struct DraftSecrets {
    id: String,
    secret: Option<S3Secret>,
    keychain: Arc<dyn SecretStore>,
    keychain_allowed: bool,
}

impl SecretStore for DraftSecrets {
    fn get(&self, workspace_id: &str) -> Result<Option<S3Secret>, SecretError> {
        match &self.secret {
            Some(secret) if workspace_id == self.id => Ok(Some(secret.clone())),
            None if workspace_id == self.id && !self.keychain_allowed => Ok(None),
            _ => self.keychain.get(workspace_id),
        }
    }
    /// A test stores nothing: typed keys are kept only by Save, and keys an older Ferry stored
    /// unbound are not bound to a draft.
    fn set(&self, _: &str, _: &S3Secret) -> Result<(), SecretError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> Result<bool, SecretError> {
        Ok(false)
    }
}

/// Tests the form as it stands (saved or not): connect, list, write, clean up.
#[tauri::command]
#[specta::specta]
pub async fn workspace_test(
    state: State<'_, AppState>,
    form: WorkspaceForm,
    secret: Option<SecretInput>,
) -> IpcResult<ConnectionView> {
    let secret = secret.as_ref().map(secret_of).transpose()?;
    let engine = state.engine()?;
    let ws = draft(&engine, &form).map_err(rejected)?;
    // A test lists and writes a probe file: only where a save could point, and never asking.
    let (ws, _) = consent::allowed(None, &state, &engine, ws).await?;
    let bound = |w: &Workspace| match &w.storage {
        Storage::S3(s3) => Some(binding(s3.endpoint_url.as_deref(), &s3.bucket)),
        _ => None,
    };
    let keychain_allowed = engine
        .workspace(&ws.id)
        .is_ok_and(|saved| saved.id == ws.id && bound(saved) == bound(&ws));
    let secrets = Arc::new(DraftSecrets {
        id: ws.id.clone(),
        secret,
        keychain: state.secrets.clone(),
        keychain_allowed,
    });
    let backend = ferry_engine::workspace::open(&ws, &engine.settings().transfer, secrets).await?;
    let report = backend.test_connection().await;
    Ok(ConnectionView {
        ok: report.ok(),
        target: report.target.clone(),
        checks: report
            .checks
            .iter()
            .map(|c| CheckView {
                name: format!("{:?}", c.name).to_lowercase(),
                ok: c.ok,
                message: c.message.clone(),
                hint: c.hint.clone(),
            })
            .collect(),
    })
}
