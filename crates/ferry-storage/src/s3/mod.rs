//! A bucket (and prefix) on AWS S3 or any S3-compatible server, through `aws-sdk-s3`.
//!
//! Keys given to this store are relative to the configured prefix; the prefix is applied in
//! [`S3Backend::full_key`] and removed in [`S3Backend::relative_key`], nowhere else.

mod abort;
mod archive;
mod buckets;
mod config;
mod copy;
mod create;
mod edit;
mod error;
mod guard;
mod headers;
mod list;
mod probe;
mod resume;
mod tags;
mod upload;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{Delete, ObjectIdentifier};
use futures::stream::BoxStream;

pub use archive::{ArchiveState, RestoreTier, needs_restore};
pub use buckets::BucketInfo;
pub use config::{ChecksumMode, MAX_PARTS, MIN_PART_SIZE, S3Config, S3Credentials, UploadDefaults};
pub use edit::PropertyEdit;
pub use guard::forbidden_address;
pub use tags::{MAX_TAGS, check_tags};
pub use versions::{ObjectVersion, VersionPage, Versioning};

use crate::backend::{
    Backend, ByteRange, Capabilities, DeleteFailure, GetObject, ListOptions, ListPage, ObjectMeta,
    PresignMethod, PutBody, PutOptions, WriteMode,
};
use crate::checksum::{CrcKind, ServerChecksum};
use crate::diagnose::ConnectionReport;
use crate::error::{ErrorKind, Result, StorageError};
use crate::identity::{Identity, NameFolding, normalize_endpoint};
use crate::key::ObjectKey;
use error::{Context, map_sdk_error};

/// S3 deletes at most this many keys per DeleteObjects call.
pub const DELETE_BATCH: usize = 1000;
/// S3 refuses pre-signed URLs that live longer than a week.
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 3600);

#[derive(Clone)]
pub struct S3Backend {
    inner: Arc<Inner>,
    /// A read-only view in which one key reads as one of its versions ([`S3Backend::at_version`]).
    pin: Option<Arc<Pin>>,
}

struct Pin {
    key: ObjectKey,
    version: String,
}

struct Inner {
    client: aws_sdk_s3::Client,
    config: S3Config,
    endpoint: String,
}

impl std::fmt::Debug for S3Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Backend")
            .field("bucket", &self.inner.config.bucket)
            .field("prefix", &self.inner.config.prefix)
            .field("endpoint", &self.inner.endpoint)
            .field("version", &self.pin.as_ref().map(|p| (&p.key, &p.version)))
            .finish_non_exhaustive()
    }
}

impl S3Backend {
    pub async fn connect(mut config: S3Config) -> Self {
        config.prefix = S3Config::normalize_prefix(&config.prefix);
        let client = config.build_client().await;
        let endpoint = config.endpoint_label();
        Self {
            inner: Arc::new(Inner {
                client,
                config,
                endpoint,
            }),
            pin: None,
        }
    }

    /// This store as a read-only view in which `key` reads (stat, get, server-side copy from it)
    /// as its version `version`: what a download or copy of an earlier version takes as its
    /// source. Writing or deleting `key` through the view is refused.
    pub fn at_version(&self, key: &ObjectKey, version: &str) -> S3Backend {
        S3Backend {
            inner: self.inner.clone(),
            pin: Some(Arc::new(Pin {
                key: key.clone(),
                version: version.to_string(),
            })),
        }
    }

    /// The version `key` reads as in this view; `None` is the current object.
    fn version_of(&self, key: &ObjectKey) -> Option<String> {
        self.pin
            .as_ref()
            .filter(|p| &p.key == key)
            .map(|p| p.version.clone())
    }

    /// Refuses to write or delete the key a view is pinned to: the view reads a version, and a
    /// write there would change the current object instead.
    fn writable(&self, key: &ObjectKey) -> Result<()> {
        match &self.pin {
            Some(pin) if &pin.key == key => Err(StorageError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "{key:?} is read here as its version {:?}, which cannot be written or deleted",
                    pin.version
                ),
            )),
            _ => Ok(()),
        }
    }

    pub fn config(&self) -> &S3Config {
        &self.inner.config
    }

    pub(crate) fn client(&self) -> &aws_sdk_s3::Client {
        &self.inner.client
    }

    pub(crate) fn bucket(&self) -> &str {
        &self.inner.config.bucket
    }

    pub fn full_key(&self, key: &ObjectKey) -> String {
        format!("{}{}", self.inner.config.prefix, key.as_str())
    }

    pub(crate) fn relative_key(&self, full: &str) -> ObjectKey {
        ObjectKey::new(full.strip_prefix(&self.inner.config.prefix).unwrap_or(full))
    }

    pub(crate) fn ctx<'a>(&'a self, action: &'a str) -> Context<'a> {
        Context {
            endpoint: &self.inner.endpoint,
            bucket: &self.inner.config.bucket,
            region: &self.inner.config.region,
            action,
        }
    }

    pub(crate) fn fail<E>(
        &self,
        action: &str,
        err: aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    ) -> StorageError
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        map_sdk_error(err, &self.ctx(action))
    }

    async fn delete_batch(&self, keys: &[ObjectKey]) -> Result<Vec<DeleteFailure>> {
        let mut objects = Vec::with_capacity(keys.len());
        for key in keys {
            objects.push(
                ObjectIdentifier::builder()
                    .key(self.full_key(key))
                    .build()
                    .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?,
            );
        }
        let delete = Delete::builder()
            .set_objects(Some(objects))
            .quiet(true)
            .build()
            .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?;
        let out = self
            .client()
            .delete_objects()
            .bucket(self.bucket())
            .delete(delete)
            .send()
            .await
            .map_err(|e| self.fail("delete objects", e))?;
        Ok(out
            .errors()
            .iter()
            .map(|e| DeleteFailure {
                key: self.relative_key(e.key().unwrap_or_default()),
                message: format!(
                    "{}: {}",
                    e.code().unwrap_or("error"),
                    e.message().unwrap_or("could not delete")
                ),
            })
            .collect())
    }
}

/// HeadObject and GetObject answers carry the same headers in two unrelated types.
macro_rules! object_meta {
    ($out:expr, $key:expr, $size:expr) => {
        ObjectMeta {
            key: $key.clone(),
            size: $size,
            last_modified: timestamp($out.last_modified()),
            etag: $out.e_tag().map(str::to_string),
            content_type: $out.content_type().map(str::to_string),
            cache_control: $out.cache_control().map(str::to_string),
            storage_class: $out.storage_class().map(|s| s.as_str().to_string()),
            server_side_encryption: $out
                .server_side_encryption()
                .map(|s| s.as_str().to_string()),
            metadata: $out
                .metadata()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            link_target: None,
            checksum: server_checksum(
                $out.checksum_crc64_nvme(),
                $out.checksum_crc32_c(),
                $out.checksum_crc32(),
                $out.checksum_type().map(|t| t.as_str()),
                $out.e_tag()
                    .is_some_and(|e| crate::integrity::bare_etag(e).contains('-')),
            ),
        }
    };
}

/// The CRC the server keeps for an object, from the headers it answered with: the cheapest
/// to check first (all are far cheaper than MD5).
// After `object_meta!`, which it uses.
mod versions;

pub(crate) fn server_checksum(
    crc64nvme: Option<&str>,
    crc32c: Option<&str>,
    crc32: Option<&str>,
    checksum_type: Option<&str>,
    multipart: bool,
) -> Option<Box<ServerChecksum>> {
    [
        (CrcKind::Crc64Nvme, crc64nvme),
        (CrcKind::Crc32c, crc32c),
        (CrcKind::Crc32, crc32),
    ]
    .into_iter()
    .find_map(|(kind, value)| ServerChecksum::parse(kind, value?, checksum_type, multipart))
    .map(Box::new)
}

pub(crate) fn timestamp(t: Option<&aws_smithy_types::DateTime>) -> Option<jiff::Timestamp> {
    let t = t?;
    jiff::Timestamp::new(t.secs(), t.subsec_nanos() as i32).ok()
}

/// A part layout the server gave, checked before anything is sized by it: S3 allows at most
/// 10,000 parts, each but the last of at least 5 MiB.
fn check_layout(key: &ObjectKey, parts: u32, first: u64) -> Result<()> {
    if u64::from(parts) > MAX_PARTS || (parts > 1 && first < MIN_PART_SIZE) {
        return Err(StorageError::new(
            ErrorKind::Server,
            format!(
                "the server says {key:?} has {parts} parts, the first of {first} bytes, which S3 \
                 does not allow (at most {MAX_PARTS} parts of at least 5 MiB); the answer was not used"
            ),
        ));
    }
    Ok(())
}

/// `Content-Range: bytes 10-19/100` → 10.
fn start_from_content_range(range: Option<&str>) -> Option<u64> {
    range?
        .strip_prefix("bytes ")?
        .split('-')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// `Content-Range: bytes 0-9/100` → 100.
fn total_from_content_range(range: Option<&str>) -> Option<u64> {
    range?.rsplit('/').next()?.parse().ok()
}

#[async_trait]
impl Backend for S3Backend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: true,
            server_side_copy: true,
            list_buckets: true,
            empty_folders: true,
            multipart: true,
            pieces: false,
            links: false,
        }
    }

    fn describe(&self) -> String {
        format!(
            "s3://{}/{} at {}",
            self.inner.config.bucket, self.inner.config.prefix, self.inner.endpoint
        )
    }

    fn identity(&self, key: &ObjectKey) -> Identity {
        Identity::s3(
            &normalize_endpoint(self.inner.config.endpoint_url.as_deref()),
            &self.inner.config.bucket,
            &self.full_key(key),
        )
    }

    async fn name_folding(&self, _: &ObjectKey, _: bool) -> Result<NameFolding> {
        Ok(NameFolding::EXACT)
    }

    fn list(
        &self,
        prefix: &ObjectKey,
        options: ListOptions,
    ) -> BoxStream<'static, Result<ListPage>> {
        list::list(self.clone(), prefix.clone(), options)
    }

    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let action = format!("read {key:?}");
        let out = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .set_version_id(self.version_of(key))
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        let size = out.content_length().unwrap_or(0).max(0) as u64;
        Ok(object_meta!(out, key, size))
    }

    async fn stat_with_checksum(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        // Not asked of endpoints set to send checksums only where required (servers that
        // refuse flexible checksums); a server that keeps none ignores the question.
        if self.config().checksums != ChecksumMode::WhenSupported {
            return self.stat(key).await;
        }
        let action = format!("read {key:?}");
        let answer = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .set_version_id(self.version_of(key))
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
            .map_err(|e| self.fail(&action, e));
        match answer {
            Ok(out) => {
                let size = out.content_length().unwrap_or(0).max(0) as u64;
                Ok(object_meta!(out, key, size))
            }
            // Under SSE-KMS the checksum takes kms:Decrypt, which a HEAD alone does not.
            Err(e) if e.kind == ErrorKind::AccessDenied => self.stat(key).await,
            Err(e) => Err(e),
        }
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<GetObject> {
        let action = format!("read {key:?}");
        let out = self
            .client()
            .get_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .set_version_id(self.version_of(key))
            .set_range(range.map(ByteRange::to_header))
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        let length = out.content_length().unwrap_or(0).max(0) as u64;
        let size = total_from_content_range(out.content_range()).unwrap_or(length);
        if let Some(range) = range {
            // A range answered with other bytes than asked for is refused before any is used.
            let expected = range
                .end
                .unwrap_or(size)
                .min(size)
                .saturating_sub(range.start);
            let start = start_from_content_range(out.content_range());
            if length != expected || start.is_some_and(|s| s != range.start) {
                return Err(StorageError::new(
                    ErrorKind::Corrupt,
                    format!(
                        "the server answered a request for bytes {}..{} of {key:?} with {length} bytes ({}); nothing was written",
                        range.start,
                        range.start + expected,
                        out.content_range().unwrap_or("no Content-Range")
                    ),
                ));
            }
        }
        let meta = object_meta!(out, key, size);
        Ok(GetObject {
            meta,
            body: Box::new(crate::bandwidth::Throttled::new(
                out.body.into_async_read(),
                self.config().bandwidth.down.clone(),
            )),
        })
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: PutBody,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        key.check_length()?;
        self.writable(key)?;
        let size = body.len;
        // The upload was verified against its MD5s; a HEAD would only cost a round trip.
        let etag = upload::put(self, key, body, options).await?;
        Ok(ObjectMeta {
            key: key.clone(),
            size,
            etag,
            last_modified: Some(jiff::Timestamp::now()),
            ..ObjectMeta::default()
        })
    }

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey, mode: WriteMode) -> Result<ObjectMeta> {
        self.writable(to)?;
        copy::copy(self, from, self.version_of(from).as_deref(), to, mode).await?;
        self.stat(to).await
    }

    async fn put_link(&self, key: &ObjectKey, target: &str, _: WriteMode) -> Result<()> {
        Err(StorageError::unsupported(format!(
            "{key:?} cannot be a symbolic link (to {target:?}): S3 has no links"
        )))
    }

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<()> {
        use crate::backend::BackendExt;
        self.writable(from)?;
        let source = self.stat(from).await?;
        if self.try_stat(to).await?.is_some() {
            return Err(StorageError::new(
                ErrorKind::AlreadyExists,
                format!("{to} already exists; it was not replaced"),
            ));
        }
        let copied = self.copy(from, to, WriteMode::Create).await?;
        if copied.size != source.size {
            return Err(StorageError::new(
                ErrorKind::Server,
                format!(
                    "the copy of {from} has {} bytes instead of {}; the original was kept",
                    copied.size, source.size
                ),
            ));
        }
        let failures = self.delete_many(std::slice::from_ref(from)).await?;
        match failures.first() {
            None => Ok(()),
            Some(f) => Err(StorageError::new(
                ErrorKind::AccessDenied,
                format!(
                    "{to} was created but {from} could not be removed: {}",
                    f.message
                ),
            )),
        }
    }

    async fn delete_many(&self, keys: &[ObjectKey]) -> Result<Vec<DeleteFailure>> {
        for key in keys {
            self.writable(key)?;
        }
        let mut failures = Vec::new();
        for chunk in keys.chunks(DELETE_BATCH) {
            failures.extend(self.delete_batch(chunk).await?);
        }
        Ok(failures)
    }

    async fn create_folder(&self, key: &ObjectKey) -> Result<()> {
        self.writable(key)?;
        let key = key.as_folder();
        let action = format!("create folder {key:?}");
        self.client()
            .put_object()
            .bucket(self.bucket())
            .key(self.full_key(&key))
            .content_length(0)
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        Ok(())
    }

    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String> {
        if expires_in > MAX_PRESIGN || expires_in.is_zero() {
            return Err(StorageError::new(
                ErrorKind::InvalidRequest,
                "a link must expire after more than 0 seconds and at most 7 days",
            ));
        }
        let config = PresigningConfig::expires_in(expires_in)
            .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?;
        let action = format!("sign a link for {key:?}");
        let full = self.full_key(key);
        let request = match method {
            PresignMethod::Get => self
                .client()
                .get_object()
                .bucket(self.bucket())
                .key(full)
                .presigned(config)
                .await
                .map_err(|e| self.fail(&action, e))?,
            PresignMethod::Put => self
                .client()
                .put_object()
                .bucket(self.bucket())
                .key(full)
                .presigned(config)
                .await
                .map_err(|e| self.fail(&action, e))?,
        };
        Ok(request.uri().to_string())
    }

    fn copy_source(&self, key: &ObjectKey) -> Option<crate::backend::CopySource> {
        let config = self.config();
        let credentials = match &config.credentials {
            S3Credentials::Static { access_key_id, .. } => format!("key:{access_key_id}"),
            S3Credentials::AwsChain { profile } => {
                format!("profile:{}", profile.as_deref().unwrap_or("default"))
            }
        };
        Some(crate::backend::CopySource {
            identity: format!("{}|{}|{credentials}", self.inner.endpoint, config.region),
            bucket: config.bucket.clone(),
            key: self.full_key(key),
            version: self.version_of(key),
        })
    }

    async fn copy_from(
        &self,
        source: &crate::backend::CopySource,
        size: u64,
        to: &ObjectKey,
        log: Option<Arc<dyn crate::integrity::MultipartLog>>,
        mode: WriteMode,
    ) -> Result<ObjectMeta> {
        to.check_length()?;
        self.writable(to)?;
        copy::copy_object(
            self,
            copy::CopySource {
                bucket: &source.bucket,
                key: &source.key,
                version: source.version.as_deref(),
            },
            size,
            to,
            log.as_deref(),
            mode,
        )
        .await?;
        self.stat(to).await
    }

    async fn part_layout(&self, key: &ObjectKey) -> Result<Option<(u32, u64)>> {
        let action = format!("read {key:?}");
        let out = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .set_version_id(self.version_of(key))
            .part_number(1)
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        let parts = out.parts_count().unwrap_or(1).max(1) as u32;
        let first = out.content_length().unwrap_or(0).max(0) as u64;
        check_layout(key, parts, first)?;
        Ok((parts > 1).then_some((parts, first)))
    }

    async fn put_pieces(
        &self,
        key: &ObjectKey,
        _: u64,
        _: BoxStream<'_, Result<(u64, bytes::Bytes)>>,
        _: &PutOptions,
    ) -> Result<ObjectMeta> {
        Err(StorageError::unsupported(format!(
            "{key:?}: S3 objects are written whole or in parts, not in pieces"
        )))
    }

    fn local_path(&self, _: &ObjectKey) -> Option<std::path::PathBuf> {
        None
    }

    async fn abort_upload(&self, key: &ObjectKey, upload_id: &str) -> Result<()> {
        abort::abort_upload(self, &self.full_key(key), upload_id)
            .await
            .map(drop)
    }

    async fn test_connection(&self) -> ConnectionReport {
        probe::test_connection(self).await
    }

    async fn carried(&self, key: &ObjectKey) -> Result<crate::backend::Carried> {
        let (full, version) = (self.full_key(key), self.version_of(key));
        let head = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(&full)
            .set_version_id(version.clone())
            .send()
            .await
            .map_err(|e| self.fail(&format!("read the headers of {key:?}"), e))?;
        let text = |v: Option<&str>| v.map(str::to_string);
        Ok(crate::backend::Carried {
            content_type: text(head.content_type()),
            cache_control: text(head.cache_control()),
            content_disposition: text(head.content_disposition()),
            content_encoding: text(head.content_encoding()),
            content_language: text(head.content_language()),
            metadata: head
                .metadata()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .collect(),
            tags: tags::tags_to_keep(self, self.bucket(), &full, version.as_deref()).await?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_layouts_s3_does_not_allow_are_refused() {
        let key = ObjectKey::new("k");
        assert!(check_layout(&key, 1, 10).is_ok(), "one part of any size");
        assert!(check_layout(&key, 3, MIN_PART_SIZE).is_ok());
        assert!(check_layout(&key, 10_000, MIN_PART_SIZE).is_ok());
        assert!(
            check_layout(&key, 10_001, MIN_PART_SIZE).is_err(),
            "too many parts"
        );
        assert!(
            check_layout(&key, 3, MIN_PART_SIZE - 1).is_err(),
            "parts too small"
        );
    }

    #[test]
    fn content_ranges_are_read() {
        assert_eq!(total_from_content_range(Some("bytes 10-19/100")), Some(100));
        assert_eq!(start_from_content_range(Some("bytes 10-19/100")), Some(10));
        assert_eq!(start_from_content_range(None), None);
    }
}
