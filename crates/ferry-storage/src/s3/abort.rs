//! Ending multipart uploads, and telling whether one is still there.
//!
//! A server may have acted on a completion or an abort whose answer was lost, and then refuse a
//! second abort in its own way: NoSuchUpload on AWS and moto, AccessDenied on s3s-fs (which also
//! answers ListParts, with no parts, for any upload id). So a refused abort is followed by a look
//! at what the upload still holds before it is believed.

use super::S3Backend;
use crate::error::{ErrorKind, Result};
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

/// After a failed upload or copy in parts: aborts it, and forgets it unless the abort was
/// refused. Kept in the log, `ferry jobs cancel` aborts it later, or a retry carries it on;
/// forgotten, it would hold its parts (and cost) unseen.
pub(super) async fn abort_failed(
    backend: &S3Backend,
    full: &str,
    upload_id: &str,
    log: Option<&dyn MultipartLog>,
) {
    if try_abort(backend, full, upload_id).await
        && let Some(log) = log
    {
        log.finished();
    }
}

/// Ends the upload recorded in `log`, which is not to be continued. One the server will not
/// abort is set aside in the log (for `ferry jobs cancel`, and tried again when the job ends)
/// rather than forgotten, so the item can begin anew.
pub(super) async fn end_recorded(
    backend: &S3Backend,
    full: &str,
    upload_id: &str,
    log: &dyn MultipartLog,
) {
    match abort_upload(backend, full, upload_id).await {
        Ok(_) => log.finished(),
        Err(e) => {
            tracing::warn!(key = full, error = %e, "an earlier upload could not be aborted; it is kept");
            log.set_aside();
        }
    }
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
