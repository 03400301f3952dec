//! What S3 keeps about objects: versions (list, restore, delete one, undelete, the bucket's
//! versioning), archived objects (state, restore), tags and properties. The engine decides; these translate.

use std::collections::BTreeMap;

use ferry_engine::workspace::Location;
use ferry_storage::s3::{ArchiveState, ObjectVersion, PropertyEdit, RestoreTier, Versioning};
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

/// The versions and delete markers of an object (of everything below a folder), newest first.
#[tauri::command]
#[specta::specta]
pub async fn versions_list(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<Vec<ObjectVersion>> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.versions(&at).await?)
}

/// What reads as deleted below a folder: objects whose latest version is a delete marker.
#[tauri::command]
#[specta::specta]
pub async fn deleted_list(
    state: State<'_, AppState>,
    workspace: String,
    folder: String,
) -> IpcResult<Vec<ObjectVersion>> {
    let at = Location::in_workspace(&workspace, &folder);
    Ok(state.engine()?.deleted(&at).await?)
}

/// Makes an earlier version current again (a new, verified version; none is lost).
#[tauri::command]
#[specta::specta]
pub async fn version_restore(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    version: String,
) -> IpcResult<()> {
    let at = Location::in_workspace(&workspace, &path);
    state.engine()?.restore_version(&at, &version).await?;
    Ok(())
}

/// Deletes one version for good. The UI confirms first, naming it.
#[tauri::command]
#[specta::specta]
pub async fn version_delete(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    version: String,
) -> IpcResult<()> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.delete_version(&at, &version).await?)
}

/// Removes the delete marker hiding each path (objects, or everything deleted in a folder).
#[tauri::command]
#[specta::specta]
pub async fn undelete(
    state: State<'_, AppState>,
    workspace: String,
    paths: Vec<String>,
) -> IpcResult<Vec<String>> {
    crate::limits::items("paths", &paths)?;
    let engine = state.engine()?;
    let mut back = Vec::new();
    for path in &paths {
        let at = Location::in_workspace(&workspace, path);
        back.extend(
            engine
                .undelete(&at)
                .await?
                .into_iter()
                .map(|k| k.into_string()),
        );
    }
    Ok(back)
}

#[tauri::command]
#[specta::specta]
pub async fn versioning_get(
    state: State<'_, AppState>,
    workspace: String,
) -> IpcResult<Versioning> {
    Ok(state.engine()?.versioning(&workspace).await?)
}

/// Turns the bucket's versioning on, or suspends it; the UI confirms first.
#[tauri::command]
#[specta::specta]
pub async fn versioning_set(
    state: State<'_, AppState>,
    workspace: String,
    on: bool,
) -> IpcResult<Versioning> {
    Ok(state.engine()?.set_versioning(&workspace, on).await?)
}

/// Whether an object can be read now, or is archived (and how its restore stands).
#[tauri::command]
#[specta::specta]
pub async fn archive_state(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<ArchiveState> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.archive_state(&at).await?)
}

/// Asks for a readable copy of an archived object, kept `days` days, restored at `tier`'s speed.
#[tauri::command]
#[specta::specta]
pub async fn archive_restore(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    days: u32,
    tier: RestoreTier,
) -> IpcResult<ArchiveState> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.restore_archive(&at, days, tier).await?)
}

/// An object's tags.
#[tauri::command]
#[specta::specta]
pub async fn tags_get(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<BTreeMap<String, String>> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.tags(&at).await?)
}

/// Replaces an object's tags (checked as S3 checks them, before anything is sent).
#[tauri::command]
#[specta::specta]
pub async fn tags_set(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    tags: BTreeMap<String, String>,
) -> IpcResult<()> {
    let at = Location::in_workspace(&workspace, &path);
    Ok(state.engine()?.set_tags(&at, &tags).await?)
}

/// Starts a job changing the properties of each object (folders: everything below them), each
/// keeping what the edit leaves out; the transfer panel shows their progress. Answers their ids.
/// Every request is checked before any job starts: a refused one starts none.
#[tauri::command]
#[specta::specta]
pub async fn properties_edit(
    state: State<'_, AppState>,
    workspace: String,
    paths: Vec<String>,
    edit: PropertyEdit,
) -> IpcResult<Vec<String>> {
    crate::limits::items("paths", &paths)?;
    let engine = state.engine()?;
    let places: Vec<Location> = paths
        .iter()
        .map(|path| Location::in_workspace(&workspace, path))
        .collect();
    let ids = engine.create_edit_jobs(&places, &edit).await?;
    for id in &ids {
        engine.runner().start(engine.clone(), id)?;
    }
    Ok(ids)
}
