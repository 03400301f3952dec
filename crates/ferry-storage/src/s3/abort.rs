//! Ending multipart uploads, and telling whether one still holds parts.
//!
//! An upload is worth keeping track of only while the server holds parts of it (they are what
//! costs money). A server may have acted on a completion or an abort whose answer was lost, and
//! then refuse a second abort in its own way (NoSuchUpload on AWS and moto, AccessDenied on
//! s3s-fs), so a refused abort is followed by a look at what the upload still holds.

use super::S3Backend;
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// Aborts an upload so its parts stop costing money. One already gone (completed or aborted),
/// or holding no part, counts as aborted: nothing is left to pay for.
pub(super) async fn abort_upload(backend: &S3Backend, full: &str, upload_id: &str) -> Result<()> {
    let refused = match backend
        .client()
        .abort_multipart_upload()
        .bucket(backend.bucket())
        .key(full)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => return Ok(()),
        Err(e) => backend.fail(&format!("abort the upload of {full:?}"), e),
    };
    if is_no_such_upload(refused.kind, &refused.message)
        || holds_parts(backend, full, upload_id).await == Some(false)
    {
        return Ok(());
    }
    Err(refused)
}

/// [`abort_upload`] after another error that matters more: a failure is logged, not raised.
/// Whether the upload is gone.
pub(super) async fn abort(backend: &S3Backend, full: &str, upload_id: &str) -> bool {
    let result = abort_upload(backend, full, upload_id).await;
    if let Err(e) = &result {
        tracing::warn!(key = full, error = %e, "could not abort a multipart upload");
    }
    result.is_ok()
}

/// Whether the server holds any part of the upload; `None` when it cannot tell (no answer, or
/// no ListParts).
pub(super) async fn holds_parts(backend: &S3Backend, full: &str, upload_id: &str) -> Option<bool> {
    let listed = backend
        .client()
        .list_parts()
        .bucket(backend.bucket())
        .key(full)
        .upload_id(upload_id)
        .max_parts(1)
        .send()
        .await;
    match listed {
        Ok(out) => Some(!out.parts().is_empty()),
        // moto 5 answers 200 with a body the SDK cannot parse; it answers so only for an
        // upload it has.
        Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => Some(true),
        Err(e) => {
            let e = backend.fail("list parts", e);
            tracing::debug!(key = full, error = %e, "listing the parts of an upload");
            (is_no_such_upload(e.kind, &e.message) || e.kind == ErrorKind::InvalidRequest)
                .then_some(false)
        }
    }
}

fn is_no_such_upload(kind: ErrorKind, message: &str) -> bool {
    kind == ErrorKind::NotFound || message.contains("NoSuchUpload")
}

/// The error for an earlier upload of `key` that still holds parts and could not be aborted: it
/// stays recorded (for a retry or `ferry jobs cancel`) rather than be replaced and forgotten.
pub(super) fn kept(key: &ObjectKey, refused: StorageError) -> StorageError {
    StorageError::new(
        refused.kind,
        format!(
            "{key:?} has an earlier upload that still holds parts and could not be aborted, so it \
             was kept: {}",
            refused.message
        ),
    )
}
