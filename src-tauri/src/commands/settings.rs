//! Settings dialog: workspaces, keys (write-only), transfer preferences, connection tests.

use ferry_engine::Engine;
use ferry_engine::secrets::S3Secret;
use ferry_engine::settings::{Storage, TransferPrefs, Workspace};
use tauri::{AppHandle, State};

use crate::consent;
use crate::convert::{form_of, workspace_of};
use crate::dto::{SecretInput, SettingsView, WorkspaceForm, WorkspaceView};
use crate::error::{IpcError, IpcResult};
use crate::state::AppState;
use ferry_engine::actions::FieldProblem;

async fn view_of(engine: &Engine, ws: &Workspace) -> IpcResult<WorkspaceView> {
    let secret_set = match &ws.storage {
        Storage::Local(_) => false,
        Storage::S3(_) => engine.secret_status(&ws.id).await?.is_set,
    };
    Ok(WorkspaceView {
        form: form_of(ws),
        provider: ws.provider(),
        description: ws.describe(),
        is_default: engine.settings().default_workspace.as_deref() == Some(ws.id.as_str()),
        secret_set,
        media_plan: ws.media_plan.as_ref().map(|p| p.display().to_string()),
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
                    provider: ws.provider(),
                    description: ws.describe(),
                    is_default: engine.settings().default_workspace.as_deref()
                        == Some(ws.id.as_str()),
                    secret_set: false,
                    media_plan: ws.media_plan.as_ref().map(|p| p.display().to_string()),
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

/// The workspace a form describes, checked as a save would check it.
fn draft(engine: &Engine, form: &WorkspaceForm) -> Result<Workspace, Vec<FieldProblem>> {
    let editing = (!form.id.is_empty()).then_some(form.id.as_str());
    engine.check_draft(workspace_of(form)?, editing)
}

fn rejected(problems: Vec<FieldProblem>) -> IpcError {
    ferry_engine::Error::from(problems).into()
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
                warning: true,
                ..FieldProblem::error(field, message)
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

/// Where the form's upload policy would put a sample file today (the editor's preview):
/// `billing/invoice.csv` of a folder `export/` uploaded into `exports/`.
#[tauri::command]
#[specta::specta]
pub async fn upload_preview(form: WorkspaceForm) -> IpcResult<String> {
    fn opt(s: &str) -> Option<&str> {
        Some(s.trim()).filter(|s| !s.is_empty())
    }
    let key = ferry_engine::transfer::preview_key(
        opt(&form.key_template),
        opt(&form.entity),
        form.upload_gzip,
        &ferry_storage::ObjectKey::new("exports/"),
        "billing/invoice.csv",
        "export",
    )?;
    Ok(key.to_string())
}

/// Where a file dragged over `folder` of a saved workspace would land, when the workspace's
/// upload policy renames or places it (a key template, gzip); `None` when it keeps its name.
/// `name` is the dragged file's name and `parent` its folder's on disk (what `{entity}` may
/// take); both only shape the preview, nothing is read.
#[tauri::command]
#[specta::specta]
pub async fn drop_preview(
    state: State<'_, AppState>,
    workspace: String,
    folder: String,
    name: String,
    parent: String,
) -> IpcResult<Option<String>> {
    let engine = state.engine()?;
    let ws = engine.workspace(&workspace)?;
    let policy = &ws.upload;
    if policy.key_template.is_none() && policy.compression.is_none() {
        return Ok(None);
    }
    if name.is_empty() || name.contains(['/', '\\', '\0']) || name == "." || name == ".." {
        return Err(crate::error::invalid(format!(
            "{name:?} is not a file name"
        )));
    }
    // Gzip compresses only files from this computer: a drop always is one.
    let key = ferry_engine::transfer::preview_key(
        policy.key_template.as_deref(),
        policy.entity.as_deref(),
        policy.compression.is_some(),
        &ferry_storage::ObjectKey::new(folder.trim_start_matches('/')),
        &name,
        &parent,
    )?;
    Ok(Some(key.to_string()))
}

/// Tests the form as it stands (saved or not): connect, list, write, clean up.
#[tauri::command]
#[specta::specta]
pub async fn workspace_test(
    state: State<'_, AppState>,
    form: WorkspaceForm,
    secret: Option<SecretInput>,
) -> IpcResult<ferry_storage::ConnectionReport> {
    let secret = secret.as_ref().map(secret_of).transpose()?;
    let engine = state.engine()?;
    let ws = draft(&engine, &form).map_err(rejected)?;
    // A test lists and writes a probe file: only where a save could point, and never asking.
    let (ws, _) = consent::allowed(None, &state, &engine, ws).await?;
    Ok(engine.test_draft(&ws, secret).await?)
}
