//! Server-side copies: CopyObject up to 5 GiB, UploadPartCopy above.

use futures::stream::{self, StreamExt, TryStreamExt};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::headers::Headers;
use super::{S3Backend, upload};
use crate::backend::PutOptions;
use crate::error::{ErrorKind, Result, StorageError};
use crate::integrity::{DonePart, PART_SIZE_METADATA};
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

/// `x-amz-copy-source` is a URL path: everything but unreserved characters and `/` is escaped.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b'/');

pub(super) async fn copy(backend: &S3Backend, from: &ObjectKey, to: &ObjectKey) -> Result<()> {
    use crate::backend::Backend;
    to.check_length()?;
    let source = backend.stat(from).await?;
    copy_object(
        backend,
        backend.bucket(),
        &backend.full_key(from),
        source.size,
        to,
    )
    .await
}

/// Copies `bucket/key` (possibly another bucket on the same endpoint) to `to` in `backend`.
pub(super) async fn copy_object(
    backend: &S3Backend,
    bucket: &str,
    key: &str,
    size: u64,
    to: &ObjectKey,
) -> Result<()> {
    let copy_source = utf8_percent_encode(&format!("{bucket}/{key}"), COPY_SOURCE).to_string();
    let from = key;
    let h = Headers::new(backend, to, &PutOptions::default());
    let action = format!("copy {from:?} to {to:?}");
    if size <= backend.config().max_single_copy {
        let request = backend
            .client()
            .copy_object()
            .bucket(backend.bucket())
            .key(backend.full_key(to))
            .copy_source(copy_source);
        copy_headers!(request, h)
            .send()
            .await
            .map_err(|e| backend.fail(&action, e))?;
        return Ok(());
    }
    copy_multipart(backend, (bucket, key), &copy_source, to, size, h).await
}

async fn copy_multipart(
    backend: &S3Backend,
    (bucket, key): (&str, &str),
    copy_source: &str,
    to: &ObjectKey,
    size: u64,
    h: Headers,
) -> Result<()> {
    let action = format!("copy to {to:?}");
    let full = backend.full_key(to);
    // Large copies use large parts: fewer requests, and the server does the work.
    let part_size = backend.config().part_size_for(size).max(512 * 1024 * 1024);
    // CopyObject carries the source's headers and metadata over by itself; a multipart upload
    // starts from nothing, so they are read from the source and given again.
    let source = backend
        .client()
        .head_object()
        .bucket(bucket)
        .key(key)
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
    let version = source.e_tag().map(str::to_string);
    let mut metadata = source.metadata().cloned().unwrap_or_default();
    metadata.insert(PART_SIZE_METADATA.into(), part_size.to_string());
    let request = backend
        .client()
        .create_multipart_upload()
        .bucket(backend.bucket())
        .key(&full)
        .set_content_type(source.content_type().map(str::to_string).or(h.content_type))
        .set_cache_control(source.cache_control().map(str::to_string))
        .set_content_disposition(source.content_disposition().map(str::to_string))
        .set_content_encoding(source.content_encoding().map(str::to_string))
        .set_content_language(source.content_language().map(str::to_string))
        .set_metadata(Some(metadata));
    let upload_id =
        super::create::create_upload(backend, copy_headers!(request, h), &full, &action).await?;
    let count = size.div_ceil(part_size);
    let parts: Result<Vec<(i32, String)>> = stream::iter(0..count)
        .map(|i| {
            let (upload_id, full, action, version) = (&upload_id, &full, &action, &version);
            async move {
                let start = i * part_size;
                let end = (start + part_size).min(size) - 1;
                let number = (i + 1) as i32;
                let out = backend
                    .client()
                    .upload_part_copy()
                    .bucket(backend.bucket())
                    .key(full)
                    .upload_id(upload_id)
                    .part_number(number)
                    .copy_source(copy_source)
                    .copy_source_range(format!("bytes={start}-{end}"))
                    .set_copy_source_if_match(version.clone())
                    .send()
                    .await
                    .map_err(|e| backend.fail(action, e))?;
                let etag = out
                    .copy_part_result()
                    .and_then(|r| r.e_tag())
                    .unwrap_or_default()
                    .to_string();
                Ok((number, etag))
            }
        })
        .buffered(backend.config().part_concurrency.max(1))
        .try_collect()
        .await;
    let parts = match parts {
        Ok(parts) => parts,
        Err(e) => {
            upload::abort(backend, &full, &upload_id).await;
            return Err(e);
        }
    };
    let done: Vec<DonePart> = parts
        .into_iter()
        .map(|(number, etag)| DonePart {
            number,
            etag,
            md5: String::new(),
            checksum_crc32: None,
            size: 0,
        })
        .collect();
    if let Err(e) = upload::complete(backend, to, &upload_id, &done, &action, size).await {
        upload::abort(backend, &full, &upload_id).await;
        return Err(e);
    }
    Ok(())
}
