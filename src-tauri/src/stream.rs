//! Audio and video previews on Linux, through a loopback HTTP server of the app's own.
//!
//! WebKitGTK plays media with GStreamer, which has no handler for an app's URI scheme
//! (WebKit bug 146351; tauri#3725): a player given a `ferry-media:` address fails at once. So
//! players are given `http://127.0.0.1:PORT/TOKEN` instead: a server bound to loopback only,
//! answering only the random tokens of previews open (the same ranges, the same pinning as
//! `ferry-media:`), and only requests addressed to itself (a page elsewhere rebinding a name to
//! 127.0.0.1 is refused by the Host check). PDFs, read by pdf.js with fetch, keep the scheme.

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

use crate::state::AppState;

/// Starts the server; its address, or `None` when loopback cannot be bound (previews of audio
/// and video then say they cannot play).
pub async fn start(state: AppState) -> Option<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.ok()?;
    let address = listener.local_addr().ok()?;
    tauri::async_runtime::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tauri::async_runtime::spawn(async move {
                let service = service_fn(move |request| answer(state.clone(), address, request));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Some(address)
}

async fn answer(
    state: AppState,
    address: SocketAddr,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let host = request
        .headers()
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok());
    if host != Some(address.to_string().as_str()) || request.method() != hyper::Method::GET {
        let mut refused = Response::new(Full::new(Bytes::from_static(b"not here")));
        *refused.status_mut() = StatusCode::FORBIDDEN;
        return Ok(refused);
    }
    let range = request
        .headers()
        .get(hyper::header::RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let served = crate::media::serve(&state, request.uri().path(), range.as_deref()).await;
    let (parts, body) = served.into_parts();
    Ok(Response::from_parts(parts, Full::new(Bytes::from(body))))
}
