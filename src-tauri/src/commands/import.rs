//! Add workspace → Import…: the file is chosen in the native chooser and read here; the page
//! gets a preview (never a key, never the file's path to reuse) and says yes or no. What was
//! read stays here until it is added or replaced.

use std::path::PathBuf;
use std::sync::Mutex;

use ferry_engine::import::{self, Hints, Imported};
use ferry_engine::settings::{CredentialSource, Storage};
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};

use crate::consent;
use crate::error::{IpcResult, invalid};
use crate::state::AppState;

/// The import read last, waiting for a yes.
#[derive(Default)]
pub struct Pending(Mutex<Option<(String, Vec<Imported>)>>);

/// One workspace an import would add, as the preview shows it.
#[derive(Debug, Clone, Serialize, Type)]
pub struct ImportItem {
    /// Where in the file it came from.
    pub from: String,
    pub id: String,
    pub name: String,
    pub provider: ferry_engine::settings::Provider,
    /// Where it points, in words.
    pub description: String,
    pub credentials: String,
    /// Its upload policy in words ("" for none).
    pub policy: String,
    /// What uploads get and how it is shared: ACL, Cache-Control, encryption, public URL.
    pub defaults: String,
    /// The file holds keys for it (they go to the keychain only if the person agrees).
    pub keys_found: bool,
    pub unmapped: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct ImportPreview {
    pub id: String,
    /// The file's name (not its path).
    pub file: String,
    pub format: import::Format,
    pub items: Vec<ImportItem>,
}

fn item(imported: &Imported) -> ImportItem {
    let ws = &imported.workspace;
    let credentials = match &ws.storage {
        Storage::Local(_) => String::new(),
        Storage::S3(s3) => s3.credentials.describe(),
    };

    let mut defaults = Vec::new();
    if let Storage::S3(s3) = &ws.storage {
        for (label, value) in [
            ("ACL", &s3.acl),
            ("Cache-Control", &s3.cache_control),
            ("storage class", &s3.storage_class),
            ("public URL", &s3.public_base_url),
        ] {
            if let Some(v) = value {
                defaults.push(format!("{label} {v}"));
            }
        }
        if let Some(sse) = &s3.sse {
            defaults.push(format!("encryption {}", sse.as_str()));
        }
    }
    ImportItem {
        from: imported.from.clone(),
        id: ws.id.clone(),
        name: ws.name.clone(),
        provider: ws.provider(),
        description: ws.describe(),
        credentials,
        policy: ws.upload.describe(),
        defaults: defaults.join(", "),
        keys_found: imported.secret.is_some(),
        unmapped: imported.unmapped.clone(),
    }
}

#[cfg(feature = "test-seams")]
fn seam() -> Option<PathBuf> {
    std::env::var_os("FERRY_TEST_PICK_IMPORT")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

#[cfg(not(feature = "test-seams"))]
fn seam() -> Option<PathBuf> {
    None
}

/// Asks for the file in the native chooser and reads it; `None` when the person cancelled.
/// `bucket`: for AWS CLI profiles and rclone remotes, which name none.
#[tauri::command]
#[specta::specta]
pub async fn workspace_import_pick(
    app: AppHandle,
    state: State<'_, AppState>,
    bucket: Option<String>,
) -> IpcResult<Option<ImportPreview>> {
    use tauri_plugin_dialog::DialogExt;
    let path = match seam() {
        Some(path) => Some(path),
        None => tauri::async_runtime::spawn_blocking(move || {
            app.dialog()
                .file()
                .set_title("Import storage settings (.env, rclone.conf, ~/.aws/config, JSON)")
                .blocking_pick_file()
                .and_then(|p| p.into_path().ok())
        })
        .await
        .map_err(|e| invalid(format!("the file chooser failed: {e}")))?,
    };
    let Some(path) = path else {
        return Ok(None);
    };
    // Chosen in the native dialog (or the test seam), never named by the page.
    preview(&state, path, bucket).map(Some)
}

/// Previews the file another app handed Ferry (`opened.rs`: "Open with Ferry", a `.ferry`
/// file); `None` when there is none waiting (each is previewed once; one that needs a bucket
/// waits for it).
#[tauri::command]
#[specta::specta]
pub async fn workspace_import_opened(
    state: State<'_, AppState>,
    bucket: Option<String>,
) -> IpcResult<Option<ImportPreview>> {
    let Some(path) = state.opened.file() else {
        return Ok(None);
    };
    let shown = preview(&state, path.clone(), bucket)?;
    state.opened.previewed(&path);
    Ok(Some(shown))
}

/// Reads `path` (at most 1 MiB) and previews what it would add.
fn preview(state: &AppState, path: PathBuf, bucket: Option<String>) -> IpcResult<ImportPreview> {
    let meta = std::fs::metadata(&path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    if meta.len() > 1 << 20 {
        return Err(invalid(format!(
            "{} is {} bytes; settings files are small (at most 1 MiB is read)",
            path.display(),
            meta.len()
        )));
    }
    // At most 1 MiB is read, whatever the file claims to be (a pipe reports no size).
    let mut bytes = Vec::new();
    let file =
        std::fs::File::open(&path).map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    std::io::Read::read_to_end(&mut std::io::Read::take(file, (1 << 20) + 1), &mut bytes)
        .map_err(|e| invalid(format!("{}: {e}", path.display())))?;
    if bytes.len() > 1 << 20 {
        return Err(invalid(format!(
            "{} is larger than 1 MiB; settings files are small",
            path.display()
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| invalid(format!("{} is not text (UTF-8)", path.display())))?;
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = import::detect(&file, &text).ok_or_else(|| {
        invalid(format!(
            "{file} is not a format Ferry imports: a .ferry workspace file, a media-planning settings file, a Django .env, an export's sync_config JSON, AWS CLI profiles or rclone.conf"
        ))
    })?;
    let engine = state.engine()?;
    let hints = Hints {
        bucket: bucket
            .map(|b| b.trim().to_string())
            .filter(|b| !b.is_empty()),
        name: None,
        path: Some(path.clone()),
    };
    let found = import::read(format, &file, &text, &hints, engine.settings())?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let preview = ImportPreview {
        id: id.clone(),
        file,
        format,
        items: found.iter().map(item).collect(),
    };
    *state.imports.0.lock().unwrap_or_else(|p| p.into_inner()) = Some((id, found));
    Ok(preview)
}

/// Adds the previewed workspaces; with `store_keys`, the keys the file held go to the keychain.
/// Returns the ids added.
#[tauri::command]
#[specta::specta]
pub async fn workspace_import_apply(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    store_keys: bool,
) -> IpcResult<Vec<String>> {
    let found = {
        let mut pending = state.imports.0.lock().unwrap_or_else(|p| p.into_inner());
        match pending.take() {
            Some((kept, found)) if kept == id => found,
            other => {
                *pending = other;
                return Err(invalid(
                    "this import is no longer waiting: choose the file again",
                ));
            }
        }
    };
    let mut added = Vec::new();
    for imported in found {
        let engine = state.engine()?;
        // A local folder from a file: asked in a native dialog, as any new workspace folder.
        let (ws, _taken) =
            consent::allowed(Some(&app), &state, &engine, imported.workspace).await?;
        let saved = state.change(|engine| engine.add_workspace(ws, false))?;
        let keychain = matches!(&saved.storage, Storage::S3(s3) if s3.credentials == CredentialSource::Keychain);
        if let (true, true, Some(secret)) = (store_keys, keychain, imported.secret) {
            state.engine()?.set_secret(&saved.id, secret).await?;
        }
        added.push(saved.id);
    }
    Ok(added)
}
