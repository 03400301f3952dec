//! Carrying on a multipart upload the journal recorded, and recognising one the server finished
//! although its answer never arrived.
//!
//! A server acts on a request whose answer may then be lost: a completion leaves the object in
//! place and the upload gone, an abort leaves nothing. Either way the recorded upload cannot be
//! continued, and s3s-fs still answers ListParts for it (with no parts), so an upload is
//! continued only while the server lists parts of it.

use std::path::Path;
use std::sync::Arc;

use super::S3Backend;
use super::abort::{Ended, abort_upload, end_recorded, holds_parts, set_aside};
use crate::backend::Backend;
use crate::error::{Result, StorageError};
use crate::integrity::{
    DonePart, MultipartLog, MultipartState, UPLOAD_METADATA, bare_etag, file_parts_match,
    multipart_etag,
};
use crate::key::ObjectKey;

/// What to do about the upload recorded for an object.
pub(super) enum Resume {
    /// Nothing worth continuing: begin a new upload.
    Fresh,
    /// Send the parts not yet done, then complete.
    Continue(MultipartState),
    /// The object already is what was being sent; its ETag.
    Done(String),
}

/// What became of an upload whose completion got no answer.
pub(super) enum Outcome {
    /// It completed: the object is the parts put together. Its ETag.
    Completed(String),
    /// It has ended without being this object: aborted, now or before.
    Ended,
    /// It may still be open: the abort was refused.
    Open(StorageError),
}

/// The object being sent, to judge recorded uploads of it by.
pub(super) struct Sending<'a> {
    pub backend: &'a S3Backend,
    pub key: &'a ObjectKey,
    /// The local file and the offset the object starts at, when the source is one.
    pub file: Option<(&'a Path, u64)>,
    pub len: u64,
    /// Whether the server's ETags are MD5s (not under SSE-KMS), so an object can be recognised.
    pub etag_is_md5: bool,
    /// The item's name on the objects its uploads complete ([`MultipartLog::tag`]).
    pub tag: Option<String>,
}

impl Sending<'_> {
    /// Continues the recorded upload if the file is what it was and the server still has parts
    /// of it; counts it done if the server completed it; otherwise ends it and begins anew.
    pub async fn settle_recorded(&self, log: Option<&Arc<dyn MultipartLog>>) -> Result<Resume> {
        let Some(log) = log else {
            return Ok(Resume::Fresh);
        };
        let Some(state) = log.resume() else {
            return Ok(Resume::Fresh);
        };
        let full = self.backend.full_key(self.key);
        let usable = self.file_unchanged(&state).await;
        // Without a finished part nothing is saved by continuing. A server that cannot say
        // (no ListParts, no answer) is trusted: CompleteMultipartUpload checks every part.
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
        if !covers {
            end_recorded(self.backend, &full, &state.upload_id, &**log).await?;
            return Ok(Resume::Fresh);
        }
        match self.completed(&state.upload_id, &state.parts).await {
            Outcome::Completed(etag) => {
                log.finished();
                Ok(Resume::Done(etag))
            }
            Outcome::Ended => {
                log.finished();
                Ok(Resume::Fresh)
            }
            Outcome::Open(refused) => {
                set_aside(&full, &state.upload_id, &**log, refused)?;
                Ok(Resume::Fresh)
            }
        }
    }

    /// What became of `upload_id`, whose completion got no answer (or was refused). It is
    /// aborted first: only an upload already gone can have completed, so an object with the same
    /// bytes written earlier never passes for one the server did not complete. Then the object
    /// must be the parts put together (their multipart ETag, the size) and, when the item names
    /// its uploads, carry that name: an identical object an earlier abort left is no proof.
    pub async fn completed(&self, upload_id: &str, parts: &[DonePart]) -> Outcome {
        let full = self.backend.full_key(self.key);
        match abort_upload(self.backend, &full, upload_id).await {
            Ok(Ended::Gone) => {}
            Ok(Ended::Aborted) => return Outcome::Ended,
            Err(refused) => return Outcome::Open(refused),
        }
        match self.is_object_of(parts).await {
            Some(etag) => {
                tracing::info!(key = %self.key, "the upload was completed although its answer was lost");
                Outcome::Completed(etag)
            }
            None => Outcome::Ended,
        }
    }

    /// The object's ETag, if the object is `parts` put together by this item's upload.
    async fn is_object_of(&self, parts: &[DonePart]) -> Option<String> {
        if !self.etag_is_md5 {
            return None;
        }
        let meta = self.backend.stat(self.key).await.ok()?;
        if !meta.etag_is_md5()
            || meta.size != self.len
            || (self.tag.is_some() && meta.metadata.get(UPLOAD_METADATA) != self.tag.as_ref())
        {
            return None;
        }
        let mut parts = parts.to_vec();
        parts.sort_by_key(|p| p.number);
        let md5s: Vec<String> = parts.into_iter().map(|p| p.md5).collect();
        let expected = multipart_etag(&md5s);
        meta.etag.filter(|etag| bare_etag(etag) == expected)
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
