//! Server-side copies: CopyObject up to 5 GiB, UploadPartCopy above.

use futures::stream::{self, StreamExt, TryStreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::abort::{end_recorded, try_abort};
use super::headers::Headers;
use super::upload::etag_is_md5;
use super::{S3Backend, upload};
use crate::backend::{PutOptions, WriteMode};
use crate::error::{ErrorKind, Result, StorageError};
use crate::integrity::{DonePart, MultipartLog, PART_SIZE_METADATA, md5_of_etag};
use crate::key::ObjectKey;

/// The destination's encryption, storage class and ACL, set on CopyObject and
/// CreateMultipartUpload alike (two unrelated builders).
macro_rules! copy_headers {
    ($request:expr, $h:expr) => {
        $request
            .set_server_side_encryption($h.sse)
            .set_ssekms_key_id($h.kms_key_id)
            .set_storage_class($h.storage_class)
            .set_acl($h.acl)
    };
}

/// `If-None-Match: *` for a write that may only create.
pub(super) fn create_only(mode: WriteMode) -> Option<String> {
    (mode == WriteMode::Create).then(|| "*".to_string())
}

/// What a server-side copy reads: a key of a bucket on the same endpoint, at its current
/// version or at `version`.
#[derive(Clone, Copy)]
pub(super) struct CopySource<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub version: Option<&'a str>,
}

impl CopySource<'_> {
    /// As `x-amz-copy-source`: `bucket/key`, with `?versionId=` when a version is named.
    pub(super) fn header(&self) -> String {
        let path = format!("{}/{}", self.bucket, self.key);
        let path = utf8_percent_encode(&path, COPY_SOURCE);
        match self.version {
            Some(v) => format!(
                "{path}?versionId={}",
                utf8_percent_encode(v, NON_ALPHANUMERIC)
            ),
            None => path.to_string(),
        }
    }
}

/// `x-amz-copy-source` is a URL path: everything but unreserved characters and `/` is escaped.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub(super) async fn copy(
    backend: &S3Backend,
    from: &ObjectKey,
    version: Option<&str>,
    to: &ObjectKey,
    mode: WriteMode,
) -> Result<()> {
    use crate::backend::Backend;
    to.check_length()?;
    let source = backend.stat(from).await?;
    copy_object(
        backend,
        CopySource {
            bucket: backend.bucket(),
            key: &backend.full_key(from),
            version,
        },
        source.size,
        to,
        None,
        mode,
    )
    .await
}

/// Copies `bucket/key` (possibly another bucket on the same endpoint) to `to` in `backend`;
/// a copy in parts keeps its upload in `log` while it is open.
pub(super) async fn copy_object(
    backend: &S3Backend,
    source: CopySource<'_>,
    size: u64,
    to: &ObjectKey,
    log: Option<&dyn MultipartLog>,
    mode: WriteMode,
) -> Result<()> {
    let copy_source = source.header();
    let from = source.key;
    let h = Headers::new(backend, to, &PutOptions::default());
    let action = format!("copy {from:?} to {to:?}");
    if size <= backend.config().max_single_copy {
        let request = backend
            .client()
            .copy_object()
            .bucket(backend.bucket())
            .key(backend.full_key(to))
            .copy_source(copy_source)
            // AWS honours it on CopyObject; servers that do not were checked before (the caller).
            .set_if_none_match(create_only(mode));
        copy_headers!(request, h)
            .send()
            .await
            .map_err(|e| backend.fail(&action, e))?;
        return Ok(());
    }
    // A copy in parts is not continued: its parts may name a source that has changed since.
    if let Some(log) = log
        && let Some(earlier) = log.resume()
    {
        end_recorded(backend, &backend.full_key(to), &earlier.upload_id, log).await?;
    }
    copy_multipart(backend, source, to, size, h, None, log, mode).await
}

/// The headers an object is written with, beyond encryption, storage class and ACL.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Props {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub metadata: std::collections::HashMap<String, String>,
}

/// A copy in parts. Its headers are `props`, or (none) the source's: a multipart upload starts
/// from nothing, unlike CopyObject.
#[allow(clippy::too_many_arguments)]
pub(super) async fn copy_multipart(
    backend: &S3Backend,
    from: CopySource<'_>,
    to: &ObjectKey,
    size: u64,
    h: Headers,
    props: Option<Props>,
    log: Option<&dyn MultipartLog>,
    mode: WriteMode,
) -> Result<()> {
    let action = format!("copy to {to:?}");
    let copy_source = &from.header();
    let key = from.key;
    let full = backend.full_key(to);
    // Large copies use large parts: fewer requests, and the server does the work.
    let part_size = backend.config().part_size_for(size).max(512 * 1024 * 1024);
    // CopyObject carries the source's headers and metadata over by itself; a multipart upload
    // starts from nothing, so they are read from the source and given again.
    let source = backend
        .client()
        .head_object()
        .bucket(from.bucket)
        .key(key)
        .set_version_id(from.version.map(str::to_string))
        .send()
        .await
        .map_err(|e| backend.fail(&format!("read the headers of {key:?}"), e))?;
    // Every part is copied from this version of the source, or the copy fails (412) rather
    // than join two versions. (AWS honours If-Match on UploadPartCopy; s3s-fs 0.14 ignores it,
    // and moto's answer could not be told from its other 200s, so no test server proves it.)
    if source
        .content_length()
        .is_some_and(|now| now as u64 != size)
    {
        return Err(StorageError::new(
            ErrorKind::Corrupt,
            format!(
                "{key:?} changed while it was being copied (its size is no longer {size}); run the copy again"
            ),
        ));
    }
    // CopyObject keeps the source's tags by itself; a multipart upload is given them.
    let tagging = super::tags::tagging_header(
        &super::tags::tags_to_keep(backend, from.bucket, from.key, from.version).await?,
    );
    let text = |v: Option<&str>| v.map(str::to_string);
    let mut props = props.unwrap_or_else(|| Props {
        content_type: text(source.content_type()).or(h.content_type.clone()),
        cache_control: text(source.cache_control()),
        content_disposition: text(source.content_disposition()),
        content_encoding: text(source.content_encoding()),
        content_language: text(source.content_language()),
        metadata: source.metadata().cloned().unwrap_or_default(),
    });
    props
        .metadata
        .insert(PART_SIZE_METADATA.into(), part_size.to_string());
    let request = backend
        .client()
        .create_multipart_upload()
        .bucket(backend.bucket())
        .key(&full)
        .set_content_type(props.content_type)
        .set_cache_control(props.cache_control)
        .set_content_disposition(props.content_disposition)
        .set_content_encoding(props.content_encoding)
        .set_content_language(props.content_language)
        .set_tagging(tagging)
        .set_metadata(Some(props.metadata));
    let upload_id =
        super::create::create_upload(backend, copy_headers!(request, h), &full, &action).await?;
    if let Some(log) = log {
        log.started(&upload_id, part_size);
    }
    let parts = Parts {
        backend,
        full: &full,
        upload_id: &upload_id,
        copy_source,
        version: source.e_tag(),
        part_size,
        action: &action,
    };
    let mut completed = false;
    let done = match parts.copy_all(size).await {
        Ok(parts) => match upload::complete(backend, to, &upload_id, &parts, &action, size, mode)
            .await
        {
            Ok(object) => {
                completed = true;
                // The parts' ETags are their MD5s (unless under SSE-KMS): the object must be
                // made of them.
                let check = object.etag_is_md5 && parts.iter().all(|p| !p.md5.is_empty());
                let verified = upload::verify_multipart(to, &parts, object.etag.as_deref(), check);
                if verified.is_err() {
                    upload::discard(backend, to).await;
                }
                verified
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    // One still open stays in the log, for `ferry jobs cancel` to end.
    let ended = completed || try_abort(backend, &full, &upload_id).await;
    if ended && let Some(log) = log {
        log.finished();
    }
    done
}

/// The parts of one copy: ranges of the source, copied by the server.
struct Parts<'a> {
    backend: &'a S3Backend,
    full: &'a str,
    upload_id: &'a str,
    copy_source: &'a str,
    /// The source's ETag: every part names it (If-Match), so two versions are never joined.
    version: Option<&'a str>,
    part_size: u64,
    action: &'a str,
}

impl Parts<'_> {
    async fn copy_all(&self, size: u64) -> Result<Vec<DonePart>> {
        let count = size.div_ceil(self.part_size);
        stream::iter(0..count)
            .map(|i| self.copy_one(i, size))
            .buffered(self.backend.config().part_concurrency.max(1))
            .try_collect()
            .await
    }

    async fn copy_one(&self, i: u64, size: u64) -> Result<DonePart> {
        let start = i * self.part_size;
        let end = (start + self.part_size).min(size) - 1;
        let number = (i + 1) as i32;
        let b = self.backend;
        let out = b
            .client()
            .upload_part_copy()
            .bucket(b.bucket())
            .key(self.full)
            .upload_id(self.upload_id)
            .part_number(number)
            .copy_source(self.copy_source)
            .copy_source_range(format!("bytes={start}-{end}"))
            .set_copy_source_if_match(self.version.map(str::to_string))
            .send()
            .await
            .map_err(|e| match b.fail(self.action, e) {
                // Here a failed precondition is the source's If-Match: it changed.
                e if e.kind == ErrorKind::AlreadyExists => StorageError::new(
                    ErrorKind::Corrupt,
                    format!(
                        "{:?} changed while it was being copied; run the copy again",
                        self.copy_source
                    ),
                ),
                e => e,
            })?;
        let etag = out
            .copy_part_result()
            .and_then(|r| r.e_tag())
            .unwrap_or_default()
            .to_string();
        // The server copies the bytes, so only its word gives their MD5: the part's ETag, when
        // it has an MD5's form (not under SSE-KMS).
        let md5 = etag_is_md5(out.server_side_encryption())
            .then(|| md5_of_etag(&etag))
            .flatten()
            .unwrap_or_default();
        Ok(DonePart {
            number,
            etag,
            md5,
            checksum_crc32: None,
            size: end + 1 - start,
        })
    }
}
