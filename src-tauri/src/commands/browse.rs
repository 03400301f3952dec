//! The file list: folders page by page, properties, new folder, delete, links, rename.

use std::time::Duration;

use ferry_engine::Engine;
use ferry_engine::browse;
use ferry_engine::find::{self, FindQuery, Usage};
use ferry_engine::workspace::{Location, Resolved};
use tauri::State;

use crate::convert::{entry_of, properties_of};
use crate::dto::{FolderSize, ListingPage, Properties};
use crate::error::IpcResult;
use crate::state::AppState;
use ferry_engine::actions::{DeleteReport, Link};

pub fn location(workspace: &str, path: &str) -> Location {
    Location::in_workspace(workspace, path)
}

async fn resolve(engine: &Engine, workspace: &str, path: &str) -> IpcResult<Resolved> {
    Ok(engine.resolve(&location(workspace, path)).await?)
}

async fn next_page(state: &AppState, listing: u32) -> IpcResult<ListingPage> {
    let next = state
        .listings
        .next(listing, "that listing was closed; open the folder again")
        .await?;
    Ok(ListingPage {
        listing,
        done: next.is_none(),
        entries: next.iter().flat_map(|p| &p.entries).map(entry_of).collect(),
    })
}

/// Opens a folder and returns its first page; `list_more` brings the next ones.
#[tauri::command]
#[specta::specta]
pub async fn list_open(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<ListingPage> {
    let engine = state.engine()?;
    let mut at = resolve(&engine, &workspace, &path).await?;
    at.key = at.key.as_folder();
    let pages = browse::list(&at, false).await?;
    let listing = state.listings.add(pages);
    next_page(&state, listing).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_more(state: State<'_, AppState>, listing: u32) -> IpcResult<ListingPage> {
    next_page(&state, listing).await
}

#[tauri::command]
#[specta::specta]
pub async fn list_close(state: State<'_, AppState>, listing: u32) -> IpcResult<()> {
    state.listings.close(listing);
    Ok(())
}

/// Searches below a folder; results come as a listing (`list_more` for more, `list_close` to
/// stop the search), each page holding what one page of the recursive listing had of them.
#[tauri::command]
#[specta::specta]
pub async fn search_open(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    query: FindQuery,
) -> IpcResult<ListingPage> {
    let engine = state.engine()?;
    let at = resolve(&engine, &workspace, &path).await?;
    let found = find::find(&at, &query).await?;
    let listing = state.listings.add(found);
    next_page(&state, listing).await
}

/// What a folder holds, counted so far; `folder_size_more` counts on, `folder_size_close`
/// stops counting.
#[tauri::command]
#[specta::specta]
pub async fn folder_size_open(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<FolderSize> {
    let engine = state.engine()?;
    let mut at = resolve(&engine, &workspace, &path).await?;
    at.key = at.key.as_folder();
    let totals = find::usage(&at).await?;
    let count = state.sizes.add(totals);
    next_size(&state, count, Usage::default()).await
}

#[tauri::command]
#[specta::specta]
pub async fn folder_size_more(
    state: State<'_, AppState>,
    count: u32,
    so_far: Usage,
) -> IpcResult<FolderSize> {
    next_size(&state, count, so_far).await
}

#[tauri::command]
#[specta::specta]
pub async fn folder_size_close(state: State<'_, AppState>, count: u32) -> IpcResult<()> {
    state.sizes.close(count);
    Ok(())
}

/// The totals after the next page of the count (`so_far` once it has ended).
async fn next_size(state: &AppState, count: u32, so_far: Usage) -> IpcResult<FolderSize> {
    let next = state
        .sizes
        .next(count, "that count was stopped; start it again")
        .await?;
    Ok(FolderSize {
        count,
        usage: next.unwrap_or(so_far),
        done: next.is_none(),
    })
}

#[tauri::command]
#[specta::specta]
pub async fn properties(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<Properties> {
    let engine = state.engine()?;
    let at = resolve(&engine, &workspace, &path).await?;
    let meta = browse::stat(&at).await?;
    Ok(properties_of(&meta, location(&workspace, &path).display()))
}

#[tauri::command]
#[specta::specta]
pub async fn folder_create(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<()> {
    Ok(state.engine()?.create_folder(&workspace, &path).await?)
}

/// Deletes files and whole folders. The UI confirms first, listing what will go.
#[tauri::command]
#[specta::specta]
pub async fn delete_paths(
    state: State<'_, AppState>,
    workspace: String,
    paths: Vec<String>,
) -> IpcResult<DeleteReport> {
    crate::limits::items("paths", &paths)?;
    Ok(state.engine()?.delete(&workspace, &paths).await?)
}

/// Which of `names` already exist in the folder (names of folders end with `/`).
#[tauri::command]
#[specta::specta]
pub async fn names_existing(
    state: State<'_, AppState>,
    workspace: String,
    folder: String,
    names: Vec<String>,
) -> IpcResult<Vec<String>> {
    crate::limits::items("names", &names)?;
    let engine = state.engine()?;
    let at = resolve(&engine, &workspace, &folder).await?;
    Ok(browse::existing(&at, &names).await?)
}

/// A link to an object: pre-signed for `expires_seconds`, or (with none) the workspace's
/// public/CDN address.
#[tauri::command]
#[specta::specta]
pub async fn link(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
    expires_seconds: Option<u32>,
) -> IpcResult<Link> {
    let expires = expires_seconds.map(|s| Duration::from_secs(s.into()));
    Ok(state
        .engine()?
        .link(&location(&workspace, &path), expires)
        .await?)
}
