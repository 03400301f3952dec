//! Ending multipart uploads, and telling whether one is still there.
//!
//! A server may have acted on a completion or an abort whose answer was lost, and then refuse a
//! second abort in its own way: NoSuchUpload on AWS and moto, AccessDenied on s3s-fs (which also
//! answers ListParts, with no parts, for any upload id). So a refused abort is followed by a look
//! at what the upload still holds before it is believed.

use super::S3Backend;
use crate::error::{ErrorKind, Result, StorageError};
use crate::integrity::MultipartLog;

/// How an upload came to an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Ended {
    /// It was open, and this abort ended it: nothing was completed from it.
    Aborted,
    /// It had already gone (completed, or aborted before).
    Gone,
}

/// Aborts an upload so its parts stop costing money; an error means it may still hold parts.
pub(super) async fn abort_upload(
    backend: &S3Backend,
    full: &str,
    upload_id: &str,
) -> Result<Ended> {
    let refused = match backend
        .client()
        .abort_multipart_upload()
        .bucket(backend.bucket())
        .key(full)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => return Ok(Ended::Aborted),
        Err(e) => backend.fail(&format!("abort the upload of {full:?}"), e),
    };
    // A refusal may be s3s-fs's way of saying the upload is gone, or the answer to an abort that
    // did happen may have been lost. An upload whose parts were all sent lists them while it is
    // open, so one that lists none has ended; one that never had a part costs nothing.
    if is_no_such_upload(refused.kind, &refused.message)
        || holds_parts(backend, full, upload_id).await == Some(false)
    {
        return Ok(Ended::Gone);
    }
    Err(refused)
}

/// [`abort_upload`] after another error that matters more: a refusal is logged, not raised.
/// Whether the upload has ended.
pub(super) async fn try_abort(backend: &S3Backend, full: &str, upload_id: &str) -> bool {
    let result = abort_upload(backend, full, upload_id).await;
    if let Err(e) = &result {
        tracing::warn!(key = full, error = %e, "could not abort a multipart upload");
    }
    result.is_ok()
}

/// Ends the upload recorded in `log`, which is not to be continued. One the server will not
/// abort is set aside in the log (for `ferry jobs cancel`, and tried again when the job ends)
/// rather than forgotten, so the item can begin anew; if even that cannot be recorded, the
/// item must not begin anew (its record would be replaced), and that is the error.
pub(super) async fn end_recorded(
    backend: &S3Backend,
    full: &str,
    upload_id: &str,
    log: &dyn MultipartLog,
) -> Result<()> {
    match abort_upload(backend, full, upload_id).await {
        Ok(_) => {
            log.finished();
            Ok(())
        }
        Err(e) => set_aside(full, upload_id, log, e),
    }
}

/// Sets aside an upload whose abort was `refused`; see [`end_recorded`].
pub(super) fn set_aside(
    full: &str,
    upload_id: &str,
    log: &dyn MultipartLog,
    refused: StorageError,
) -> Result<()> {
    tracing::warn!(key = full, error = %refused, "an earlier upload could not be aborted; it is kept");
    if log.set_aside() {
        return Ok(());
    }
    Err(StorageError::new(
        ErrorKind::LocalIo,
        format!(
            "the earlier upload {upload_id} of {full:?} could not be aborted ({}) nor recorded \
             as kept in the journal; it stays the item's, for a retry or `ferry jobs cancel`",
            refused.message
        ),
    ))
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
            is_no_such_upload(e.kind, &e.message).then_some(false)
        }
    }
}

fn is_no_such_upload(kind: ErrorKind, message: &str) -> bool {
    kind == ErrorKind::NotFound || message.contains("NoSuchUpload")
}
