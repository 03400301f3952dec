//! Starting a multipart upload safely. CreateMultipartUpload is not idempotent: when its answer
//! is lost (a cut connection, a timeout, a 5xx after the server acted), the server may hold an
//! upload whose id Ferry never learns — invisible, and with parts it would cost money forever.
//! So Ferry retries this one request itself and, after any attempt whose outcome it could not
//! see, aborts the strays the key gained meanwhile.

use std::time::{Duration, SystemTime};

use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::operation::create_multipart_upload::builders::CreateMultipartUploadFluentBuilder;

use super::S3Backend;
use super::abort::try_abort;
use crate::error::{Result, StorageError};

const ATTEMPTS: u32 = 3;

/// How far back (by this machine's clock, against the server's) a stray may have started:
/// generous for clock skew, far shorter than any upload someone else would still resume.
const STRAY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Sends `request` (retrying temporary failures) and returns the new upload id.
pub(super) async fn create_upload(
    backend: &S3Backend,
    request: CreateMultipartUploadFluentBuilder,
    full: &str,
    action: &str,
) -> Result<String> {
    let started = SystemTime::now();
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
    if unseen {
        let keep = outcome.as_ref().ok().map(String::as_str);
        abort_strays(backend, full, keep, started).await;
    }
    outcome
}

/// Aborts uploads of exactly `full` begun since `started` (less the window), except `keep`.
/// Servers that cannot list uploads (s3s-fs) keep theirs; such a stray holds no parts.
async fn abort_strays(backend: &S3Backend, full: &str, keep: Option<&str>, started: SystemTime) {
    let since = started
        .checked_sub(STRAY_WINDOW)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let listed = backend
        .client()
        .list_multipart_uploads()
        .bucket(backend.bucket())
        .prefix(full)
        .send()
        .await;
    let uploads = match listed {
        Ok(out) => out.uploads.unwrap_or_default(),
        Err(e) => {
            tracing::debug!(key = full, error = %backend.fail("list uploads", e), "cannot look for stray uploads");
            return;
        }
    };
    for upload in uploads {
        let (Some(key), Some(id)) = (upload.key(), upload.upload_id()) else {
            continue;
        };
        let recent = upload
            .initiated()
            .and_then(|t| SystemTime::try_from(*t).ok())
            .is_none_or(|t| t >= since);
        if key == full && Some(id) != keep && recent {
            tracing::info!(
                key = full,
                upload = id,
                "aborting a stray upload left by a lost answer"
            );
            try_abort(backend, full, id).await;
        }
    }
}
