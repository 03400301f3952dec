//! Atomic local writes: temp file in the destination folder, fsync, rename, fsync the folder.
//!
//! File I/O runs on blocking threads with plain `std::fs` calls, each trip doing as much as it
//! can: tokio's `File` sends every small write to the blocking pool on its own, which measured
//! as the main cost of downloads (a 1 GiB stream made ~130,000 trips).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::AsyncReadExt;

use super::{LocalBackend, PARTIAL_PREFIX};
use crate::backend::{PutBody, PutSource};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// Bodies up to this size are gathered in memory and written by one blocking call.
pub(super) const SMALL_WRITE: u64 = 256 * 1024;

/// Streamed bodies are written in chunks of this size.
const CHUNK: usize = 1024 * 1024;

/// Pieces written at once while more arrive.
const PIECE_WRITERS: usize = 4;

/// One partial name per destination: a write interrupted by a crash is replaced by the next
/// attempt instead of being left behind.
fn partial_path(parent: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = crate::integrity::md5_hex(name.as_bytes());
    parent.join(format!("{PARTIAL_PREFIX}{}", &digest[..16]))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        StorageError::new(ErrorKind::LocalIo, format!("local write task failed: {e}"))
    })?
}

/// A partial file being written; removed on drop unless committed, so no error path (or
/// cancelled task) leaves half a file behind.
struct Partial {
    file: Option<std::fs::File>,
    temp: PathBuf,
    path: PathBuf,
}

impl Partial {
    /// Creates the parent folders, checks the target can be a file, and opens the partial file.
    fn create(backend: &LocalBackend, key: &ObjectKey) -> Result<Self> {
        let path = backend.resolve(key)?;
        let parent = path.parent().ok_or_else(|| {
            StorageError::new(
                ErrorKind::InvalidKey,
                format!("{key:?} has no parent folder"),
            )
        })?;
        std::fs::create_dir_all(parent)
            .map_err(|e| StorageError::io("create folder", parent, e))?;
        // Creating the folders may have raced with a symlink swap; check again before writing.
        backend.resolve(key)?;
        if std::fs::metadata(&path).is_ok_and(|m| m.is_dir()) {
            return Err(StorageError::new(
                ErrorKind::AlreadyExists,
                format!("{} is a folder; a file cannot replace it", path.display()),
            ));
        }
        let temp = partial_path(parent, &path);
        // A fresh file, not the leftover of an earlier attempt reopened: each attempt's clean-up
        // then knows its own file by inode.
        let _ = std::fs::remove_file(&temp);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| StorageError::io("create", &temp, e))?;
        Ok(Self {
            file: Some(file),
            temp,
            path,
        })
    }

    fn file(&self) -> &std::fs::File {
        self.file
            .as_ref()
            .expect("a partial file is open until committed")
    }

    fn write_at(&self, bytes: &[u8], offset: u64) -> Result<()> {
        use std::os::unix::fs::FileExt;
        self.file()
            .write_all_at(bytes, offset)
            .map_err(|e| StorageError::io("write", &self.path, e))
    }

    fn check_len(&self, written: u64, expected: u64) -> Result<()> {
        if written == expected {
            return Ok(());
        }
        Err(StorageError::new(
            ErrorKind::Corrupt,
            format!(
                "the source ended after {written} of {expected} bytes; {} was not written",
                self.path.display()
            ),
        ))
    }

    /// Flushes to disk, stamps the modification time, renames into place, and makes the
    /// rename durable.
    fn commit(mut self, modified: Option<jiff::Timestamp>) -> Result<()> {
        let file = self.file.take().expect("committed once");
        let path = &self.path;
        file.sync_all()
            .map_err(|e| StorageError::io("flush to disk", path, e))?;
        if let Some(time) = modified {
            file.set_modified(std::time::SystemTime::from(time))
                .map_err(|e| StorageError::io("set the modification time of", path, e))?;
        }
        drop(file);
        std::fs::rename(&self.temp, path)
            .map_err(|e| StorageError::io("move into place", path, e))?;
        if let Some(parent) = path.parent()
            && let Ok(dir) = std::fs::File::open(parent)
        {
            // Makes the rename durable; failure here does not lose data already written.
            let _ = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        use std::os::unix::fs::MetadataExt;
        let Some(file) = self.file.take() else { return };
        // A retry may already have replaced the partial file under the same name: remove only
        // the file this attempt wrote.
        if let (Ok(ours), Ok(there)) = (file.metadata(), std::fs::symlink_metadata(&self.temp))
            && (ours.dev(), ours.ino()) == (there.dev(), there.ino())
        {
            let _ = std::fs::remove_file(&self.temp);
        }
    }
}

/// Writes a whole body atomically.
pub(super) async fn write_atomically(
    backend: &LocalBackend,
    key: &ObjectKey,
    body: PutBody,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    let expected = body.len;
    if expected <= SMALL_WRITE {
        // One trip: a small file costs a dozen otherwise, which bounded downloads of many.
        let bytes = gather(body).await?;
        let (backend, key) = (backend.clone(), key.clone());
        return blocking(move || {
            let partial = Partial::create(&backend, &key)?;
            partial.check_len(bytes.len() as u64, expected)?;
            partial
                .file()
                .write_all(&bytes)
                .map_err(|e| StorageError::io("write", &partial.path, e))?;
            partial.commit(modified)
        })
        .await;
    }
    let mut reader = body.into_reader().await?;
    let partial = {
        let (backend, key) = (backend.clone(), key.clone());
        Arc::new(blocking(move || Partial::create(&backend, &key)).await?)
    };
    let mut written = 0u64;
    let mut buf = Vec::with_capacity(CHUNK);
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(CHUNK as u64)
            .read_to_end(&mut buf)
            .await
            .map_err(StorageError::reading)?;
        if n == 0 {
            break;
        }
        let (p, chunk, offset) = (partial.clone(), std::mem::take(&mut buf), written);
        buf = blocking(move || p.write_at(&chunk, offset).map(|()| chunk)).await?;
        written += n as u64;
    }
    partial.check_len(written, expected)?;
    blocking(move || sole(partial)?.commit(modified)).await
}

/// The partial file once every write into it has returned.
fn sole(partial: Arc<Partial>) -> Result<Partial> {
    Arc::try_unwrap(partial).map_err(|p| {
        StorageError::new(
            ErrorKind::LocalIo,
            format!("a write into {} was still running", p.path.display()),
        )
    })
}

/// Reads a small body whole.
async fn gather(body: PutBody) -> Result<bytes::Bytes> {
    if let PutSource::Bytes(bytes) = body.source {
        return Ok(bytes);
    }
    let len = body.len;
    let mut reader = body.into_reader().await?;
    let mut buf = Vec::with_capacity(len as usize);
    reader
        .read_to_end(&mut buf)
        .await
        .map_err(StorageError::reading)?;
    Ok(bytes::Bytes::from(buf))
}

/// Writes pieces at their offsets into the partial file, a few at once while more arrive, then
/// commits it like any write.
pub(super) async fn write_pieces(
    backend: &LocalBackend,
    key: &ObjectKey,
    len: u64,
    pieces: futures::stream::BoxStream<'_, Result<(u64, bytes::Bytes)>>,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    use futures::TryStreamExt;
    let partial = {
        let (backend, key) = (backend.clone(), key.clone());
        Arc::new(blocking(move || Partial::create(&backend, &key)).await?)
    };
    let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
    pieces
        .try_for_each_concurrent(PIECE_WRITERS, |(offset, bytes)| {
            let (partial, written) = (partial.clone(), written.clone());
            async move {
                let n = bytes.len() as u64;
                blocking(move || partial.write_at(&bytes, offset)).await?;
                written.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                Ok(())
            }
        })
        .await?;
    partial.check_len(written.load(std::sync::atomic::Ordering::Relaxed), len)?;
    blocking(move || sole(partial)?.commit(modified)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_abandoned_attempt_leaves_a_newer_one_alone() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let key = ObjectKey::new("a/file.bin");
        let old = Partial::create(&backend, &key).unwrap();
        let new = Partial::create(&backend, &key).unwrap();
        new.write_at(b"second", 0).unwrap();
        drop(old);
        new.commit(None).unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("a/file.bin")).unwrap(),
            b"second"
        );
        let left: Vec<_> = std::fs::read_dir(dir.path().join("a")).unwrap().collect();
        assert_eq!(left.len(), 1, "only the committed file remains");
    }

    #[test]
    fn an_uncommitted_attempt_removes_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let partial = Partial::create(&backend, &ObjectKey::new("f.bin")).unwrap();
        partial.write_at(b"half", 0).unwrap();
        drop(partial);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
