//! Carrying on a multipart upload the journal recorded, and recognising one the server finished
//! although its answer never arrived.
//!
//! A server acts on a request whose answer may then be lost: a completion leaves the object in
//! place and the upload gone, an abort leaves nothing. Either way the recorded upload cannot be
//! continued, and some servers still answer ListParts for it (s3s-fs does, with no parts), so
//! the parts the server lists are compared with the parts recorded.

use std::path::Path;
use std::sync::Arc;

use super::S3Backend;
use super::abort::{abort_upload, holds_parts, kept};
use crate::backend::Backend;
use crate::error::Result;
use crate::integrity::{
    DonePart, MultipartLog, MultipartState, bare_etag, file_parts_match, multipart_etag,
};
use crate::key::ObjectKey;

/// What to do about the upload recorded for an object.
pub(super) enum Resume {
    /// Nothing worth continuing: begin a new upload.
    Fresh,
    /// Send the parts not yet done, then complete.
    Continue(MultipartState),
    /// The object already is what was being sent; its ETag.
    Done(Option<String>),
}

/// What the object being uploaded is made of, to judge a recorded upload by.
pub(super) struct Upload<'a> {
    pub backend: &'a S3Backend,
    pub key: &'a ObjectKey,
    /// The local file and the offset the object starts at, when the source is one.
    pub file: Option<(&'a Path, u64)>,
    pub len: u64,
    /// Whether the server's ETags are MD5s (not under SSE-KMS), so an object can be recognised.
    pub etag_is_md5: bool,
}

impl Upload<'_> {
    /// Continues a recorded upload if the server still has its parts, recognises it if it was
    /// completed, and otherwise aborts and forgets it. An upload that still holds parts and
    /// cannot be aborted stays recorded, and is the error: forgotten, it would cost unseen.
    pub async fn recorded(&self, log: Option<&Arc<dyn MultipartLog>>) -> Result<Resume> {
        let Some(log) = log else {
            return Ok(Resume::Fresh);
        };
        let Some(state) = log.resume() else {
            return Ok(Resume::Fresh);
        };
        let full = self.backend.full_key(self.key);
        let usable = self.file_unchanged(&state).await;
        // No finished part: nothing saved by continuing.
        if usable
            && !state.parts.is_empty()
            && holds_parts(self.backend, &full, &state.upload_id).await != Some(false)
        {
            tracing::debug!(key = %self.key, parts = state.parts.len(), "continuing a recorded multipart upload");
            return Ok(Resume::Continue(state));
        }
        let covers = usable && {
            let mut numbers: Vec<i32> = state.parts.iter().map(|p| p.number).collect();
            numbers.sort_unstable();
            let count = self.len.div_ceil(state.part_size).max(1) as i32;
            numbers == (1..=count).collect::<Vec<_>>()
        };
        if covers && let Some(etag) = self.completed(&state.upload_id, &state.parts).await {
            log.finished();
            return Ok(Resume::Done(etag));
        }
        abort_upload(self.backend, &full, &state.upload_id)
            .await
            .map_err(|e| kept(self.key, e))?;
        log.finished();
        Ok(Resume::Fresh)
    }

    /// Whether the object already is `parts` put together, as the completion of `upload_id`
    /// whose answer was lost would have left it. Then the object's ETag.
    pub async fn completed(&self, upload_id: &str, parts: &[DonePart]) -> Option<Option<String>> {
        if !self.etag_is_md5 {
            return None;
        }
        let mut parts = parts.to_vec();
        parts.sort_by_key(|p| p.number);
        let md5s: Vec<String> = parts.into_iter().map(|p| p.md5).collect();
        let expected = multipart_etag(&md5s);
        let meta = self.backend.stat(self.key).await.ok()?;
        let etag = meta.etag.filter(|etag| bare_etag(etag) == expected)?;
        if meta.size != self.len {
            return None;
        }
        tracing::info!(key = %self.key, "the upload was completed although its answer was lost");
        // Gone once completed. Were the object an identical earlier one instead, the upload would
        // still hold its parts: aborting costs one request and a refusal here changes nothing.
        let full = self.backend.full_key(self.key);
        if let Err(e) = abort_upload(self.backend, &full, upload_id).await {
            tracing::debug!(key = %self.key, error = %e, "abort after a recognised completion");
        }
        Some(Some(etag))
    }

    /// Only a local file can be re-read from the middle, and only while it is what it was.
    async fn file_unchanged(&self, state: &MultipartState) -> bool {
        let Some((path, offset)) = self.file else {
            return false;
        };
        if state.part_size < super::MIN_PART_SIZE
            || self.len.div_ceil(state.part_size) > super::MAX_PARTS
        {
            return false;
        }
        let (path, len, part_size, parts) = (
            path.to_path_buf(),
            self.len,
            state.part_size,
            state.parts.clone(),
        );
        let same = tokio::task::spawn_blocking(move || {
            file_parts_match(&path, offset, len, part_size, &parts)
        })
        .await
        .unwrap_or(false);
        if !same {
            tracing::info!(key = %self.key, "the file changed since its upload began; starting over");
        }
        same
    }
}
