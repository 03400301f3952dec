//! Atomic local writes: temp file in the destination folder, fsync, rename, fsync the folder.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use super::{LocalBackend, PARTIAL_PREFIX};
use crate::backend::PutBody;
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// One partial name per destination: a write interrupted by a crash is replaced by the next
/// attempt instead of being left behind.
fn partial_path(parent: &Path, path: &Path) -> std::path::PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = crate::integrity::md5_hex(name.as_bytes());
    parent.join(format!("{PARTIAL_PREFIX}{}", &digest[..16]))
}

/// Creates the parent folders and checks the target can be a file.
async fn prepare(
    backend: &LocalBackend,
    key: &ObjectKey,
    path: &Path,
) -> Result<std::path::PathBuf> {
    let parent = path.parent().ok_or_else(|| {
        StorageError::new(
            ErrorKind::InvalidKey,
            format!("{key:?} has no parent folder"),
        )
    })?;
    tokio::fs::create_dir_all(parent)
        .await
        .map_err(|e| StorageError::io("create folder", parent, e))?;
    // Creating the folders may have raced with a symlink swap; check again before writing.
    backend.resolve(key)?;
    if tokio::fs::metadata(path).await.is_ok_and(|m| m.is_dir()) {
        return Err(StorageError::new(
            ErrorKind::AlreadyExists,
            format!("{} is a folder; a file cannot replace it", path.display()),
        ));
    }
    Ok(partial_path(parent, path))
}

/// Writes pieces at their offsets into the partial file, then commits it like any write.
pub(super) async fn write_pieces(
    backend: &LocalBackend,
    key: &ObjectKey,
    path: &Path,
    len: u64,
    mut pieces: futures::stream::BoxStream<'_, Result<(u64, bytes::Bytes)>>,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    use futures::StreamExt;
    use tokio::io::AsyncSeekExt;
    let temp = prepare(backend, key, path).await?;
    let result = async {
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&temp)
            .await
            .map_err(|e| StorageError::io("create", &temp, e))?;
        file.set_len(len)
            .await
            .map_err(|e| StorageError::io("make room for", path, e))?;
        let mut written = 0u64;
        while let Some(piece) = pieces.next().await {
            let (offset, bytes) = piece?;
            file.seek(std::io::SeekFrom::Start(offset))
                .await
                .map_err(|e| StorageError::io("write", path, e))?;
            file.write_all(&bytes)
                .await
                .map_err(|e| StorageError::io("write", path, e))?;
            written += bytes.len() as u64;
        }
        if written != len {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "{written} of {len} bytes arrived for {}; it was not written",
                    path.display()
                ),
            ));
        }
        commit(file, &temp, path, modified).await
    }
    .await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}

pub(super) async fn write_atomically(
    backend: &LocalBackend,
    key: &ObjectKey,
    path: &Path,
    body: PutBody,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    let temp = prepare(backend, key, path).await?;
    let result = write_and_rename(&temp, path, body, modified).await;
    if result.is_err() {
        // Never leave a partial file behind; the error that matters is the first one.
        let _ = tokio::fs::remove_file(&temp).await;
    }
    result
}

async fn write_and_rename(
    temp: &Path,
    path: &Path,
    body: PutBody,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    let expected = body.len;
    let mut reader = body.into_reader().await?;
    let mut file = tokio::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(temp)
        .await
        .map_err(|e| StorageError::io("create", temp, e))?;
    let written = tokio::io::copy(&mut reader, &mut file)
        .await
        .map_err(|e| StorageError::io("write", path, e))?;
    if written != expected {
        return Err(StorageError::new(
            ErrorKind::Corrupt,
            format!(
                "the source ended after {written} of {expected} bytes; {} was not written",
                path.display()
            ),
        ));
    }
    commit(file, temp, path, modified).await
}

/// Flushes to disk, stamps the modification time, renames into place, and makes the rename
/// durable.
async fn commit(
    mut file: tokio::fs::File,
    temp: &Path,
    path: &Path,
    modified: Option<jiff::Timestamp>,
) -> Result<()> {
    file.flush()
        .await
        .map_err(|e| StorageError::io("write", path, e))?;
    file.sync_all()
        .await
        .map_err(|e| StorageError::io("flush to disk", path, e))?;
    let std_file = file.into_std().await;
    if let Some(time) = modified {
        std_file
            .set_modified(std::time::SystemTime::from(time))
            .map_err(|e| StorageError::io("set the modification time of", path, e))?;
    }
    drop(std_file);
    tokio::fs::rename(temp, path)
        .await
        .map_err(|e| StorageError::io("move into place", path, e))?;
    if let Some(parent) = path.parent()
        && let Ok(dir) = tokio::fs::File::open(parent).await
    {
        // Makes the rename itself durable; failure here does not lose data already written.
        let _ = dir.sync_all().await;
    }
    Ok(())
}
