//! The `ferry-media:` protocol: a previewed audio, video or PDF read by the web view range by
//! range, as a player asks. The web view gets a token, never a signed URL or a key; the bytes
//! come through the engine, from the object as it was when the preview opened.

use std::collections::VecDeque;
use std::sync::Mutex;

use ferry_engine::preview::{self, RangeAnswer};
use ferry_engine::workspace::Resolved;
use ferry_storage::ObjectMeta;
use tauri::http::{Response, StatusCode, header};

use crate::state::AppState;

pub const SCHEME: &str = "ferry-media";
/// Previews open at once; opening another forgets the oldest.
const OPEN: usize = 8;

struct Source {
    token: String,
    at: Resolved,
    meta: ObjectMeta,
    content_type: String,
}

#[derive(Default)]
pub struct Media(Mutex<VecDeque<Source>>, Mutex<Option<std::net::SocketAddr>>);

impl Media {
    /// A token for the object; its ranges are served until it is closed (or pushed out).
    pub fn open(&self, at: Resolved, meta: ObjectMeta, content_type: String) -> String {
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if open.len() >= OPEN {
            open.pop_front();
        }
        open.push_back(Source {
            token: token.clone(),
            at,
            meta,
            content_type,
        });
        token
    }

    /// Where the loopback server for players listens (Linux: see `stream.rs`).
    pub fn set_stream(&self, address: Option<std::net::SocketAddr>) {
        *self.1.lock().unwrap_or_else(|p| p.into_inner()) = address;
    }

    /// The address a player reads `token` from, where players cannot use `ferry-media:`.
    pub fn stream_url(&self, token: &str) -> Option<String> {
        if !cfg!(target_os = "linux") {
            return None;
        }
        let address = (*self.1.lock().unwrap_or_else(|p| p.into_inner()))?;
        Some(format!("http://{address}/{token}"))
    }

    pub fn close(&self, token: &str) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|s| s.token != token);
    }

    fn get(&self, token: &str) -> Option<(Resolved, ObjectMeta, String)> {
        let open = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let s = open.iter().find(|s| s.token == token)?;
        Some((s.at.clone(), s.meta.clone(), s.content_type.clone()))
    }
}

/// The answer to one request of the protocol: `ferry-media://localhost/TOKEN`.
pub async fn serve(state: &AppState, path: &str, range: Option<&str>) -> Response<Vec<u8>> {
    let token = path.trim_start_matches('/');
    let Some((at, meta, content_type)) = state.media.get(token) else {
        return plain(StatusCode::NOT_FOUND, "this preview was closed");
    };
    match preview::read_range(&at, &meta, range).await {
        Ok(RangeAnswer::Part {
            start,
            end,
            total,
            bytes,
        }) => {
            // A player that asked for no range still gets a part, and the headers that say so:
            // a whole film in one answer would sit in memory.
            let status = if range.is_none() && end + 1 == total {
                StatusCode::OK
            } else {
                StatusCode::PARTIAL_CONTENT
            };
            Response::builder()
                .status(status)
                .header(header::CONTENT_TYPE, content_type)
                .header(header::ACCEPT_RANGES, "bytes")
                .header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{end}/{total}"),
                )
                .header(header::CONTENT_LENGTH, bytes.len())
                .header(header::CACHE_CONTROL, "no-store")
                // The page (tauri://localhost) reads it with fetch: another origin.
                .header(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")
                .header(
                    header::ACCESS_CONTROL_EXPOSE_HEADERS,
                    "Content-Range, Accept-Ranges, Content-Length",
                )
                .body(bytes.to_vec())
                .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad answer"))
        }
        Ok(RangeAnswer::Unsatisfiable { total }) => Response::builder()
            .status(StatusCode::RANGE_NOT_SATISFIABLE)
            .header(header::CONTENT_RANGE, format!("bytes */{total}"))
            .body(Vec::new())
            .unwrap_or_else(|_| plain(StatusCode::INTERNAL_SERVER_ERROR, "bad answer")),
        Err(e) => {
            tracing::warn!("preview of {:?}: {e}", at.key.as_str());
            plain(StatusCode::BAD_GATEWAY, &e.to_string())
        }
    }
}

fn plain(status: StatusCode, text: &str) -> Response<Vec<u8>> {
    let mut answer = Response::new(text.as_bytes().to_vec());
    *answer.status_mut() = status;
    answer
}
