//! Looking inside files: Quick look's previews.

use base64::Engine as _;
use ferry_engine::browse;
use ferry_engine::preview::{self, Preview};
use tauri::State;

use crate::dto::PreviewView;
use crate::error::IpcResult;
use crate::state::AppState;

use super::browse::location;

/// A preview of the file at `path`. Audio, video and PDF answer a token the web view reads
/// through `ferry-media:`; close it with `preview_close`.
#[tauri::command]
#[specta::specta]
pub async fn preview(
    state: State<'_, AppState>,
    workspace: String,
    path: String,
) -> IpcResult<PreviewView> {
    let engine = state.engine()?;
    let at = engine.resolve(&location(&workspace, &path)).await?;
    let meta = browse::stat(&at).await?;
    Ok(match preview::preview(&at, &meta).await? {
        Preview::Text {
            text,
            encoding,
            truncated,
            pretty,
            verified,
        } => PreviewView::Text {
            text,
            encoding: encoding.into(),
            truncated,
            pretty,
            verified,
        },
        Preview::Table {
            rows,
            encoding,
            truncated,
            verified,
        } => PreviewView::Table {
            rows,
            encoding: encoding.into(),
            truncated,
            verified,
        },
        Preview::Image {
            png,
            width,
            height,
            source_width,
            source_height,
            verified,
        } => PreviewView::Image {
            src: format!(
                "data:image/png;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(png)
            ),
            width,
            height,
            source_width,
            source_height,
            verified,
        },
        Preview::Media { kind, content_type } => {
            let size = meta.size;
            let token = state.media.open(at, meta, content_type.clone());
            PreviewView::Media {
                media: kind,
                size,
                stream_url: (kind != preview::Kind::Pdf)
                    .then(|| state.media.stream_url(&token))
                    .flatten(),
                token,
                content_type,
            }
        }
        Preview::None { reason } => PreviewView::None { reason },
    })
}

/// The web view no longer plays the preview named `token`.
#[tauri::command]
#[specta::specta]
pub async fn preview_close(state: State<'_, AppState>, token: String) -> IpcResult<()> {
    state.media.close(&token);
    Ok(())
}
