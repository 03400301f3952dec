//! Starting a multipart upload safely. CreateMultipartUpload is not idempotent: when its answer
//! is lost (a cut connection, a timeout, a 5xx after the server acted), the server may hold an
//! upload whose id Ferry never learns — invisible, and with parts it would cost money forever.
//! So Ferry retries this one request itself and, after any attempt whose outcome it could not
//! see, aborts the strays the key gained meanwhile — never an upload the key held before it
//! asked (another client's).

use std::collections::HashSet;
use std::time::Duration;

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder;

use super::S3Backend;
use super::abort::try_abort;
use crate::error::{Result, StorageError};

const ATTEMPTS: u32 = 3;

/// Pages of a key's open uploads read at most (1,000 uploads each).
const MAX_PAGES: usize = 20;

/// Sends `request` (retrying temporary failures) and returns the new upload id.
pub(super) async fn create_upload(
    backend: &S3Backend,
    request: CreateMultipartUploadFluentBuilder,
    full: &str,
    action: &str,
) -> Result<String> {
    // Uploads of this key that exist before Ferry asks are someone else's (another client, or
    // another Ferry that will resume them): a stray can only be one begun after this list. S3
    // shows no metadata of an upload in progress, so this is how Ferry knows its own.
    let before = open_uploads(backend, full).await;
    let mut unseen = false;
    let mut attempt = 0;
    let outcome = loop {
        attempt += 1;
        let sent = request
            .clone()
            .customize()
            .config_override(
                aws_sdk_s3::config::Builder::default().retry_config(RetryConfig::disabled()),
            )
            .send()
            .await;
        match sent {
            Ok(created) => break Ok(created.upload_id().unwrap_or_default().to_string()),
            Err(e) => {
                let e: StorageError = backend.fail(action, e);
                if !e.kind.is_temporary() {
                    break Err(e);
                }
                unseen = true;
                if attempt >= ATTEMPTS {
                    break Err(e);
                }
                tokio::time::sleep(Duration::from_millis(200 * u64::from(attempt))).await;
            }
        }
    };
    if unseen && let Some(before) = before {
        let keep = outcome.as_ref().ok().map(String::as_str);
        abort_strays(backend, full, keep, &before).await;
    }
    outcome
}

/// The ids of the uploads of exactly `full` the server holds open; `None` when it cannot say
/// (s3s-fs cannot list uploads, a key may lack the permission): then no stray is aborted.
async fn open_uploads(backend: &S3Backend, full: &str) -> Option<HashSet<String>> {
    let mut ids = HashSet::new();
    let mut markers: (Option<String>, Option<String>) = (None, None);
    // A key has a few open uploads; a server that says "more" forever is not answered forever.
    for _ in 0..MAX_PAGES {
        let listed = backend
            .client()
            .list_multipart_uploads()
            .bucket(backend.bucket())
            .prefix(full)
            .set_key_marker(markers.0.take())
            .set_upload_id_marker(markers.1.take())
            .send()
            .await;
        let out = match listed {
            Ok(out) => out,
            Err(e) => {
                tracing::debug!(key = full, error = %backend.fail("list uploads", e), "cannot list the key's uploads");
                return None;
            }
        };
        for upload in out.uploads() {
            if let (Some(key), Some(id)) = (upload.key(), upload.upload_id())
                && key == full
            {
                ids.insert(id.to_string());
            }
        }
        if out.is_truncated() != Some(true) || out.next_key_marker().is_none() {
            return Some(ids);
        }
        markers = (
            out.next_key_marker().map(str::to_string),
            out.next_upload_id_marker().map(str::to_string),
        );
    }
    None
}

/// Aborts uploads of exactly `full` begun while Ferry was asking for one (not in `before`),
/// except `keep`: those are Ferry's, left by answers it did not see.
async fn abort_strays(
    backend: &S3Backend,
    full: &str,
    keep: Option<&str>,
    before: &HashSet<String>,
) {
    let Some(now) = open_uploads(backend, full).await else {
        return;
    };
    for id in now {
        if Some(id.as_str()) != keep && !before.contains(&id) {
            tracing::info!(
                key = full,
                upload = id,
                "aborting a stray upload left by a lost answer"
            );
            try_abort(backend, full, &id).await;
        }
    }
}
