//! Move to S3 / Move to local, for a workspace imported from a media-planning settings file:
//! the settings file is the one the workspace remembers (never a path from the page); the page
//! sees the plan and says yes; the move is a job, whose last step rewrites the file's storage
//! section (the engine's `import::storage_move`).

use std::sync::Mutex;

use ferry_engine::import::storage_move::{self, Side, StorageMode, StorageMove};
use ferry_engine::settings::Storage;
use serde::Serialize;
use specta::Type;
use tauri::{AppHandle, State};

use crate::consent;
use crate::error::{IpcResult, invalid};
use crate::state::AppState;

/// The move shown last, waiting for a yes.
#[derive(Default)]
pub struct Pending(Mutex<Option<Shown>>);

/// A move as shown: its id, the workspace and target it was asked for, the plan.
struct Shown {
    id: String,
    workspace: String,
    into: Option<String>,
    plan: StorageMove,
}

/// One place of a move, as the page shows it.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MoveSide {
    pub id: String,
    pub name: String,
    /// Where it points, in words.
    pub description: String,
    /// Ferry adds this workspace when the move starts.
    pub new: bool,
}

/// A workspace the plans could move into.
#[derive(Debug, Clone, Serialize, Type)]
pub struct MoveTarget {
    pub id: String,
    pub name: String,
    pub description: String,
}

/// A planned move of a media-planning workspace's plans.
#[derive(Debug, Clone, Serialize, Type)]
pub struct StorageMoveView {
    pub id: String,
    /// The media-planning settings file.
    pub file: String,
    pub to: StorageMode,
    pub from: MoveSide,
    pub into: MoveSide,
    /// The file's storage section now, and once every plan arrived.
    pub section_before: String,
    pub section_after: String,
    pub notes: Vec<String>,
    /// The file holds keys for the place it moves into (the keychain gets them if agreed to).
    pub keys_found: bool,
    /// Ferry's workspaces of the kind the plans go to (the file's own block is the default).
    pub targets: Vec<MoveTarget>,
}

fn side(side: &Side) -> MoveSide {
    MoveSide {
        id: side.workspace.id.clone(),
        name: side.workspace.name.clone(),
        description: side.workspace.describe(),
        new: side.new,
    }
}

fn plan_for(
    engine: &ferry_engine::Engine,
    workspace: &str,
    into: Option<&str>,
) -> IpcResult<StorageMove> {
    let ws = engine.workspace(workspace)?;
    let file = ws.media_plan.clone().ok_or_else(|| {
        invalid(format!(
            "{} was not imported from a media-planning settings file",
            ws.name
        ))
    })?;
    let to = match storage_move::current_mode(&file)? {
        StorageMode::Local => StorageMode::S3,
        StorageMode::S3 => StorageMode::Local,
    };
    Ok(storage_move::plan(engine, &file, to, into)?)
}

/// Plans moving the plans of `workspace`'s media-planning settings file to the other kind of
/// storage: into the file's own block, or into the workspace `into`. Changes nothing.
#[tauri::command]
#[specta::specta]
pub async fn storage_move_plan(
    state: State<'_, AppState>,
    workspace: String,
    into: Option<String>,
) -> IpcResult<StorageMoveView> {
    let engine = state.engine()?;
    let plan = plan_for(&engine, &workspace, into.as_deref())?;
    let wants_s3 = plan.rewrite.to == StorageMode::S3;
    let targets = engine
        .settings()
        .workspaces
        .iter()
        .filter(|w| matches!(w.storage, Storage::S3(_)) == wants_s3)
        .map(|w| MoveTarget {
            id: w.id.clone(),
            name: w.name.clone(),
            description: w.describe(),
        })
        .collect();
    let id = uuid::Uuid::new_v4().simple().to_string();
    let view = StorageMoveView {
        id: id.clone(),
        file: plan.file.display().to_string(),
        to: plan.rewrite.to,
        from: side(&plan.from),
        into: side(&plan.into),
        section_before: plan.section_before.clone(),
        section_after: plan.section_after.clone(),
        notes: plan.notes.clone(),
        keys_found: plan.secret.is_some(),
        targets,
    };
    *state
        .storage_moves
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner()) = Some(Shown {
        id,
        workspace,
        into,
        plan,
    });
    Ok(view)
}

/// Starts the move shown as `id`: planned again, refused when anything changed since it was
/// shown (the file, or the places), and asked in a native dialog (the page cannot answer it):
/// the move changes a file outside Ferry, which another program reads. With `store_keys`, keys
/// the file holds go to the keychain of the workspace Ferry adds. Returns the job's id.
#[tauri::command]
#[specta::specta]
pub async fn storage_move_start(
    app: AppHandle,
    state: State<'_, AppState>,
    id: String,
    store_keys: bool,
) -> IpcResult<String> {
    let (workspace, into, shown) = {
        let mut pending = state
            .storage_moves
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        match pending.take() {
            Some(shown) if shown.id == id => (shown.workspace, shown.into, shown.plan),
            other => {
                *pending = other;
                return Err(invalid("this move is no longer waiting: look at it again"));
            }
        }
    };
    let engine = state.engine()?;
    let mut plan = plan_for(&engine, &workspace, into.as_deref())?;
    let same = |a: &Side, b: &Side| a.new == b.new && a.workspace.storage == b.workspace.storage;
    if plan.rewrite != shown.rewrite
        || !same(&plan.from, &shown.from)
        || !same(&plan.into, &shown.into)
    {
        return Err(invalid(
            "the settings file or the workspaces changed since this move was shown: look at it again",
        ));
    }
    if !crate::commands::system::confirm(&app, "Move the plans?", question(&plan), "Move").await {
        return Err(crate::error::IpcError::new(
            crate::error::ErrorCode::NotGranted,
            "the move was not confirmed; nothing was changed",
            "",
        ));
    }
    // A workspace Ferry adds for a folder the file names is asked for as any new folder is.
    for side in [&mut plan.from, &mut plan.into] {
        if side.new {
            let (ws, _taken) =
                consent::allowed(Some(&app), &state, &engine, side.workspace.clone()).await?;
            side.workspace = ws;
        }
    }
    state.change(|engine| storage_move::prepare(engine, &plan))?;
    let engine = state.engine()?;
    storage_move::store(&engine, &plan, store_keys).await?;
    let job = storage_move::create(&engine, &plan).await?;
    engine.runner().start(engine.clone(), &job)?;
    Ok(job)
}

/// What the native dialog asks: the file, both places, and where the SDK's keys would go.
fn question(plan: &StorageMove) -> String {
    let mut text = format!(
        "Copy the plans of the media-planning workspace\n\n{}\n\nfrom {}\ninto {}\n\nand then set the file's storage to the new place? The plans stay where they are, as a backup.",
        plan.file.display(),
        plan.from.workspace.describe(),
        plan.into.workspace.describe(),
    );
    if let Storage::S3(s3) = &plan.into.workspace.storage
        && let Some(endpoint) = &s3.endpoint_url
    {
        text.push_str(&format!(
            "\n\nThe SDK will send its requests to {endpoint}, signed with the credentials its file names (a profile, or this machine's AWS environment)."
        ));
    }
    text
}
