//! The storage seam. [`Backend`] is the minimal contract every store implements, with no default
//! methods (a default that is right for one store is usually wrong for another); conveniences
//! built on it live in [`BackendExt`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures::stream::BoxStream;
use jiff::Timestamp;
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::diagnose::ConnectionReport;
use crate::error::{ErrorKind, Result, StorageError};
pub use crate::identity::{Identity, NameFolding};
use crate::key::ObjectKey;

/// What a listing returns, one page at a time.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
// Most entries of a listing are objects: boxing each would cost an allocation per entry to
// save the size of a meta on the few folders.
#[allow(clippy::large_enum_variant)]
pub enum Entry {
    Object(ObjectMeta),
    /// A common prefix: a "folder" in a delimited listing. The key ends with `/`.
    Folder {
        key: ObjectKey,
    },
}

impl Entry {
    pub fn key(&self) -> &ObjectKey {
        match self {
            Entry::Object(meta) => &meta.key,
            Entry::Folder { key } => key,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ObjectMeta {
    pub key: ObjectKey,
    pub size: u64,
    pub last_modified: Option<Timestamp>,
    pub etag: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub storage_class: Option<String>,
    pub server_side_encryption: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// A symbolic link (local stores): what it points to, as written. Such an entry is the link
    /// itself — deleting or moving it never touches what it points to — and a copy follows it
    /// only when asked (`--follow-links`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// A CRC the server keeps for the object (S3 stores answering a stat that asked for it).
    /// Boxed: listings hold many metas, few with a checksum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<Box<crate::checksum::ServerChecksum>>,
}

impl ObjectMeta {
    /// Whether the ETag is the MD5 of the content (or of its parts' MD5s): not under SSE-KMS,
    /// whose ETags are opaque. A listing does not tell; only a stat or a get does.
    pub fn etag_is_md5(&self) -> bool {
        !self
            .server_side_encryption
            .as_deref()
            .is_some_and(crate::integrity::sse_hides_md5)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListPage {
    pub entries: Vec<Entry>,
    /// The listed folder itself exists as an (empty) folder: a local directory, or an S3 `dir/`
    /// marker object. Only the first page says so.
    pub folder_marker: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions {
    /// Every key below the prefix, instead of one level with folders as common prefixes.
    pub recursive: bool,
    /// Entries per page; the store's own default (1,000 on S3) when `None`.
    pub page_size: Option<u32>,
}

/// An inclusive-start, exclusive-end byte range; `end: None` reads to the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: Option<u64>,
}

impl ByteRange {
    pub fn new(start: u64, end: Option<u64>) -> Result<Self> {
        if let Some(end) = end
            && end < start
        {
            return Err(StorageError::new(
                ErrorKind::InvalidRequest,
                format!("byte range {start}..{end} ends before it starts"),
            ));
        }
        Ok(Self { start, end })
    }

    /// The HTTP `Range` header value.
    pub fn to_header(self) -> String {
        match self.end {
            Some(end) if end > self.start => format!("bytes={}-{}", self.start, end - 1),
            Some(_) => format!("bytes={}-{}", self.start, self.start),
            None => format!("bytes={}-", self.start),
        }
    }
}

pub type Reader = Box<dyn AsyncRead + Send + Unpin>;

pub struct GetObject {
    pub meta: ObjectMeta,
    pub body: Reader,
}

/// Where the bytes of an upload come from. The length is always known up front: it decides
/// between a single PUT and multipart, and it is what the destination is verified against.
pub enum PutSource {
    /// A local file (a range of it). Stores that can re-read it use it for retries and parallel parts.
    File {
        path: PathBuf,
        offset: u64,
    },
    Reader(Reader),
    Bytes(Bytes),
}

pub struct PutBody {
    pub source: PutSource,
    pub len: u64,
}

impl PutBody {
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Self {
        let bytes = bytes.into();
        Self {
            len: bytes.len() as u64,
            source: PutSource::Bytes(bytes),
        }
    }

    pub async fn from_file(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let meta = tokio::fs::metadata(&path)
            .await
            .map_err(|e| StorageError::io("read", &path, e))?;
        Ok(Self {
            len: meta.len(),
            source: PutSource::File { path, offset: 0 },
        })
    }

    pub fn from_reader(reader: Reader, len: u64) -> Self {
        Self {
            source: PutSource::Reader(reader),
            len,
        }
    }

    /// The body as one reader, whatever its source.
    pub async fn into_reader(self) -> Result<Reader> {
        match self.source {
            PutSource::Bytes(bytes) => Ok(Box::new(std::io::Cursor::new(bytes))),
            PutSource::Reader(reader) => Ok(reader),
            PutSource::File { path, offset } => {
                use tokio::io::AsyncSeekExt;
                let mut file = tokio::fs::File::open(&path)
                    .await
                    .map_err(|e| StorageError::io("open", &path, e))?;
                file.seek(std::io::SeekFrom::Start(offset))
                    .await
                    .map_err(|e| StorageError::io("read", &path, e))?;
                Ok(Box::new(file.take(self.len)))
            }
        }
    }
}

/// A cap on the bytes held in memory across all transfers (part buffers), shared by clones.
#[derive(Clone, Debug)]
pub struct MemoryBudget {
    permits: std::sync::Arc<tokio::sync::Semaphore>,
    total: u32,
}

/// What a [`MemoryBudget`] lends: returned when dropped.
pub type MemoryLoan = Option<tokio::sync::OwnedSemaphorePermit>;

impl MemoryBudget {
    const UNIT: u64 = 1024 * 1024;

    pub fn new(bytes: u64) -> Self {
        let total = bytes
            .div_ceil(Self::UNIT)
            .clamp(1, u64::from(u32::MAX >> 3)) as u32;
        Self {
            permits: std::sync::Arc::new(tokio::sync::Semaphore::new(total as usize)),
            total,
        }
    }

    /// The whole budget, in MiB.
    pub fn total_mib(&self) -> u32 {
        self.total
    }

    /// MiB lent now (rounded up per loan).
    pub fn lent_mib(&self) -> u32 {
        self.total
            .saturating_sub(self.permits.available_permits() as u32)
    }

    /// Waits until `bytes` fit. A request larger than the whole budget waits for all of it, so
    /// it runs alone rather than never.
    pub async fn take(&self, bytes: u64) -> MemoryLoan {
        let units = bytes.div_ceil(Self::UNIT).clamp(1, u64::from(self.total)) as u32;
        self.permits.clone().acquire_many_owned(units).await.ok()
    }
}

/// Borrows from an optional budget.
pub async fn borrow(budget: Option<&MemoryBudget>, bytes: u64) -> MemoryLoan {
    match budget {
        Some(budget) => budget.take(bytes).await,
        None => None,
    }
}

/// Whether a write may replace what is already at its key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WriteMode {
    /// Replace whatever is there (atomically: readers see the old or the new object).
    #[default]
    Overwrite,
    /// Create only: fail with [`ErrorKind::AlreadyExists`] when something is there. Atomic where
    /// the store allows — a local rename that never replaces (`renameat2(RENAME_NOREPLACE)`,
    /// else `link`), S3 `If-None-Match: *` on PutObject and CompleteMultipartUpload — and
    /// checked just before the write where it does not (servers that ignore the header).
    Create,
}

/// What a copy into another store keeps of an object besides its bytes: the headers a reader
/// is given, user metadata and tags. Storage class and encryption are not among them: they are
/// the destination's (another provider may not have the class at all).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Carried {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    /// Kept with the bytes as they are: a gzip-encoded object stays encoded, and says so.
    pub content_encoding: Option<String>,
    pub content_language: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
}

/// Per-upload settings; a store adds its own defaults (SSE, ACL, storage class…) for fields left
/// empty.
#[derive(Clone, Default)]
pub struct PutOptions {
    /// What the source of a copy had, given where the fields above give nothing (metadata:
    /// merged under them).
    pub kept: Option<Carried>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    pub storage_class: Option<String>,
    pub sse: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// Modification time to give the written file (local stores), so a later sync sees it as
    /// unchanged.
    pub modified: Option<Timestamp>,
    /// Where a multipart upload records its parts, so that it can resume after a crash.
    pub multipart_log: Option<std::sync::Arc<dyn crate::integrity::MultipartLog>>,
    /// Part buffers are borrowed from this budget.
    pub memory: Option<MemoryBudget>,
    /// Replace an existing object, or only create.
    pub mode: WriteMode,
}

impl std::fmt::Debug for PutOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PutOptions")
            .field("kept", &self.kept)
            .field("content_type", &self.content_type)
            .field("content_encoding", &self.content_encoding)
            .field("cache_control", &self.cache_control)
            .field("storage_class", &self.storage_class)
            .field("sse", &self.sse)
            .field("metadata", &self.metadata)
            .field("modified", &self.modified)
            .field("multipart_log", &self.multipart_log.is_some())
            .field("memory", &self.memory)
            .field("mode", &self.mode)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PresignMethod {
    Get,
    Put,
}

/// An object another store on the same endpoint, with the same credentials, can copy without
/// the bytes leaving the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopySource {
    /// Endpoint, region and credentials: copies work only between equal identities.
    pub identity: String,
    pub bucket: String,
    /// The full key in the bucket.
    pub key: String,
    /// The version to copy; `None` is the current object.
    pub version: Option<String>,
}

/// One key a batched delete could not remove, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeleteFailure {
    pub key: ObjectKey,
    pub message: String,
}

/// What a store can do; tests read it to decide what to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub presign: bool,
    pub server_side_copy: bool,
    pub list_buckets: bool,
    /// Whether an empty folder can exist on its own (a local directory, an S3 `dir/` marker).
    pub empty_folders: bool,
    /// Whether large uploads go in parts that can be resumed (see `integrity::MultipartLog`).
    pub multipart: bool,
    /// Whether a file can be written from pieces arriving in any order ([`Backend::put_pieces`]).
    pub pieces: bool,
    /// Whether a key can be a symbolic link ([`Backend::put_link`]).
    pub links: bool,
}

/// The minimal contract of a store. Keys are relative to the store's root (a local base folder,
/// or a bucket plus prefix), so the same key means the same thing everywhere.
#[async_trait]
pub trait Backend: Send + Sync + std::fmt::Debug {
    fn capabilities(&self) -> Capabilities;

    /// A human description of where this store points, for messages (`s3://bucket/prefix`).
    fn describe(&self) -> String;

    /// Where `key` really is, comparable across stores: two keys name the same thing, or one
    /// lies inside the other, exactly when their identities do ([`Identity::contains`]).
    fn identity(&self, key: &ObjectKey) -> Identity;

    /// How this store compares names below `folder`: whether `A` and `a`, or a name in NFC and
    /// in NFD, are one file there. S3 keys are exact; local folders are asked — without writing
    /// where a name already there tells, else (when `may_write`) with a probe file.
    async fn name_folding(&self, folder: &ObjectKey, may_write: bool) -> Result<NameFolding>;

    /// Lists keys starting with `prefix`, page by page, in key order. Without `recursive`,
    /// keys below a further `/` are rolled up into [`Entry::Folder`].
    fn list(
        &self,
        prefix: &ObjectKey,
        options: ListOptions,
    ) -> BoxStream<'static, Result<ListPage>>;

    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta>;

    /// [`Backend::stat`], with the CRC the store keeps for the object when it can tell
    /// ([`ObjectMeta::checksum`]): asked only before a download, since asking may cost more
    /// (under SSE-KMS an S3 server decrypts to answer).
    async fn stat_with_checksum(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.stat(key).await
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<GetObject>;

    /// Writes an object, replacing any existing one. Conflict policy is the caller's job.
    async fn put(&self, key: &ObjectKey, body: PutBody, options: &PutOptions)
    -> Result<ObjectMeta>;

    /// Copies within this store, server-side where the store allows.
    async fn copy(&self, from: &ObjectKey, to: &ObjectKey, mode: WriteMode) -> Result<ObjectMeta>;

    /// Makes `key` a symbolic link to `target` (local stores; others say they cannot).
    async fn put_link(&self, key: &ObjectKey, target: &str, mode: WriteMode) -> Result<()>;

    /// Renames one object (or an empty folder marker); `to` must not exist.
    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<()>;

    /// Deletes many keys at once; missing keys are not failures. Returns the keys that failed.
    async fn delete_many(&self, keys: &[ObjectKey]) -> Result<Vec<DeleteFailure>>;

    /// Creates an empty folder (a directory, or an S3 `dir/` marker object).
    async fn create_folder(&self, key: &ObjectKey) -> Result<()>;

    async fn presign(
        &self,
        key: &ObjectKey,
        method: PresignMethod,
        expires_in: Duration,
    ) -> Result<String>;

    /// Where `key` can be copied from server-side, if this store allows that.
    fn copy_source(&self, key: &ObjectKey) -> Option<CopySource>;

    /// Copies server-side from `source` (of `size` bytes) to `to` in this store. A copy in parts
    /// records its upload in `log` while it is open, so that one the server will not abort is
    /// never forgotten; a copy is not continued, so a recorded one is aborted first.
    async fn copy_from(
        &self,
        source: &CopySource,
        size: u64,
        to: &ObjectKey,
        log: Option<std::sync::Arc<dyn crate::integrity::MultipartLog>>,
        mode: WriteMode,
    ) -> Result<ObjectMeta>;

    /// How a multipart object was uploaded: (number of parts, size of the first part). `None`
    /// for single-part objects and stores without parts.
    async fn part_layout(&self, key: &ObjectKey) -> Result<Option<(u32, u64)>>;

    /// Writes an object of `len` bytes from pieces `(offset, bytes)` arriving in any order,
    /// atomically: an error from the stream (a failed check) leaves nothing behind, and nothing
    /// is committed before the stream has ended (its last item may be that error).
    async fn put_pieces(
        &self,
        key: &ObjectKey,
        len: u64,
        pieces: BoxStream<'_, Result<(u64, Bytes)>>,
        options: &PutOptions,
    ) -> Result<ObjectMeta>;

    /// The file behind `key` when this store is a local folder (so an upload can re-read any
    /// part of it, e.g. to resume); `None` elsewhere.
    fn local_path(&self, key: &ObjectKey) -> Option<PathBuf>;

    /// Aborts an unfinished multipart upload (its parts cost money until then). Stores without
    /// multipart uploads have nothing to do.
    async fn abort_upload(&self, key: &ObjectKey, upload_id: &str) -> Result<()>;

    /// Checks reachability, credentials, the bucket, and list and write permission, leaving
    /// nothing behind.
    async fn test_connection(&self) -> ConnectionReport;

    /// What a copy of `key` into another store should keep besides its bytes
    /// ([`PutOptions::kept`]); nothing, for a store that keeps nothing beyond them.
    async fn carried(&self, _key: &ObjectKey) -> Result<Carried> {
        Ok(Carried::default())
    }
}

/// Conveniences over [`Backend`], for every store alike.
#[async_trait]
pub trait BackendExt: Backend {
    /// `Ok(None)` when the key does not exist.
    async fn try_stat(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
        match self.stat(key).await {
            Ok(meta) => Ok(Some(meta)),
            Err(e) if e.kind == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether anything at all lives below `folder` (an S3 "folder" exists only through them).
    async fn folder_exists(&self, folder: &ObjectKey) -> Result<bool> {
        use futures::StreamExt;
        let folder = folder.as_folder();
        let mut pages = self.list(
            &folder,
            ListOptions {
                recursive: false,
                page_size: Some(1),
            },
        );
        match pages.next().await {
            Some(Ok(page)) => Ok(page.folder_marker || !page.entries.is_empty()),
            Some(Err(e)) => Err(e),
            None => Ok(false),
        }
    }

    /// Reads a whole object into memory. Only for small objects (tests, probes).
    async fn get_bytes(&self, key: &ObjectKey) -> Result<Bytes> {
        let mut got = self.get(key, None).await?;
        let mut buf = Vec::with_capacity(got.meta.size as usize);
        got.body.read_to_end(&mut buf).await.map_err(|e| {
            StorageError::with_source(ErrorKind::Server, format!("could not read {key}"), e)
        })?;
        Ok(Bytes::from(buf))
    }

    async fn put_bytes(&self, key: &ObjectKey, bytes: Bytes) -> Result<ObjectMeta> {
        self.put(key, PutBody::from_bytes(bytes), &PutOptions::default())
            .await
    }

    /// Every entry below `prefix`, collected. Only for bounded listings (tests, small folders):
    /// browsing code consumes [`Backend::list`] page by page.
    async fn list_collect(&self, prefix: &ObjectKey, recursive: bool) -> Result<Vec<Entry>> {
        use futures::TryStreamExt;
        let pages: Vec<ListPage> = self
            .list(
                prefix,
                ListOptions {
                    recursive,
                    page_size: None,
                },
            )
            .try_collect()
            .await?;
        Ok(pages.into_iter().flat_map(|p| p.entries).collect())
    }
}

impl<T: Backend + ?Sized> BackendExt for T {}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::FutureExt;

    const MIB: u64 = 1024 * 1024;

    #[tokio::test]
    async fn a_memory_budget_makes_borrowers_wait() {
        let budget = MemoryBudget::new(4 * MIB);
        let first = budget.take(3 * MIB).await;
        assert!(
            budget.take(2 * MIB).now_or_never().is_none(),
            "2 MiB more do not fit in 4 while 3 are lent"
        );
        assert!(
            budget.take(MIB).now_or_never().is_some(),
            "1 MiB still fits"
        );
        drop(first);
        assert!(
            budget.take(2 * MIB).now_or_never().is_some(),
            "returned memory is lent again"
        );
        assert!(
            budget.take(100 * MIB).now_or_never().is_some(),
            "a request larger than the budget runs alone instead of never"
        );
    }
}
