//! Atomic local writes: temp file in the destination folder, fsync, rename, fsync the folder.
//!
//! File I/O runs on blocking threads with plain `std::fs` calls, each trip doing as much as it
//! can: tokio's `File` sends every small write to the blocking pool on its own, which measured
//! as the main cost of downloads (a 1 GiB stream made ~130,000 trips).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::Arc;

use rustix::fs::{AtFlags, Mode, OFlags};
use rustix::io::Errno;
use tokio::io::AsyncReadExt;

use super::beneath::{self, Kind, Spot};
use super::{LocalBackend, PARTIAL_PREFIX};
use crate::backend::{PutBody, PutSource, WriteMode};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// Bodies up to this size are gathered in memory and written by one blocking call.
pub(super) const SMALL_WRITE: u64 = 256 * 1024;

/// Streamed bodies are written in chunks of this size.
const CHUNK: usize = 1024 * 1024;

/// Pieces written at once while more arrive: one, because writes into one file contend for its
/// inode lock (measured on a 1 GiB download: 8% of samples spinning on it with four writers;
/// system time 1.5–2.0 s with four, 1.2–1.4 s with one).
const PIECE_WRITERS: usize = 1;

/// The most one write call hands the kernel. Linux sizes a file's page-cache folios by the write
/// that fills them: 1 MiB writes take order-8 blocks from the page allocator, 32 KiB writes
/// order-3 ones, the largest it keeps ready on per-CPU lists of recently freed pages. On a VM
/// whose freed memory goes back to the host (virtio free-page reporting, as here) every large
/// block is cold and the copy into it stalls: a 1 GiB download spent 77% of its samples in
/// `copy_folio_from_iter_atomic`, 3.5–3.6 s against 1.8 s in 32 KiB writes (s5cmd writes 32
/// KiB too). On bare metal the extra calls cost ~30 ms per GiB.
const WRITE_SLICE: usize = 32 * 1024;

/// Attempts that may write one destination at once (each in its own partial file).
const SLOTS: usize = 16;

/// The partial file names of one destination: `.ferry-partial-<name digest>-<slot>`. Each live
/// attempt holds its slot's file locked, so two attempts never share one; a file left by a
/// crashed attempt is unlocked and is replaced by the next attempt that finds it.
fn partial_names(name: &std::ffi::OsStr) -> impl Iterator<Item = OsString> {
    let digest = crate::integrity::md5_hex(name.as_encoded_bytes());
    let stem = format!("{PARTIAL_PREFIX}{}", &digest[..16]);
    (0..SLOTS).map(move |slot| OsString::from(format!("{stem}-{slot}")))
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
    /// Its name in the destination's folder.
    temp: OsString,
    spot: Spot,
    mode: WriteMode,
    path: PathBuf,
    committed: bool,
}

impl Partial {
    /// Reaches the destination's folder (making missing folders, passing no link), checks the
    /// target can be a file, and opens a partial file of its own there.
    fn create(backend: &LocalBackend, key: &ObjectKey, mode: WriteMode) -> Result<Self> {
        let spot = backend.spot(key, true)?;
        match spot.stat()?.map(|s| beneath::kind_of(&s)) {
            Some(Kind::Folder) => {
                return Err(StorageError::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "{} is a folder; a file cannot replace it",
                        spot.path.display()
                    ),
                ));
            }
            // Refused now, before any byte is written; the commit checks again, atomically.
            Some(_) if mode == WriteMode::Create => {
                return Err(StorageError::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "{} already exists; it was not replaced",
                        spot.path.display()
                    ),
                ));
            }
            _ => {}
        }
        let (file, temp) = open_slot(&spot)?;
        let path = spot.path.clone();
        Ok(Self {
            file: Some(file),
            temp,
            spot,
            mode,
            path,
            committed: false,
        })
    }

    fn file(&self) -> &std::fs::File {
        self.file
            .as_ref()
            .expect("a partial file is open until dropped")
    }

    /// Writes `bytes` at `offset`, in slices of [`WRITE_SLICE`].
    fn write_at(&self, bytes: &[u8], offset: u64) -> Result<()> {
        use std::os::unix::fs::FileExt;
        let mut at = offset;
        for slice in bytes.chunks(WRITE_SLICE) {
            self.file()
                .write_all_at(slice, at)
                .map_err(|e| StorageError::io("write", &self.path, e))?;
            at += slice.len() as u64;
        }
        Ok(())
    }

    /// Starts writing a range just written out to disk, without waiting. Linux otherwise keeps
    /// a large file's pages dirty until the final fsync (below `dirty_background_ratio`, 2 GiB
    /// on a 24 GiB machine), and that fsync then writes all of it while the transfer waits:
    /// a 1 GiB download took 2.4 s with one fsync at the end, 1.7–1.9 s with writeback
    /// started after each piece (`bench/run`). The fsync at commit still waits for every byte.
    fn start_writeback(&self, offset: u64, len: u64) {
        // `sync_file_range(SYNC_FILE_RANGE_WRITE)` says this best but needs `unsafe` (rustix
        // lacks it); POSIX_FADV_DONTNEED starts the same writeback of the range's dirty pages,
        // and drops none of them (they are not clean yet). tmpfs ignores it. A failure changes
        // nothing but timing, so it is not reported.
        let _ = rustix::fs::fadvise(
            self.file(),
            offset,
            std::num::NonZeroU64::new(len),
            rustix::fs::Advice::DontNeed,
        );
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

    /// Whether the partial name still holds this attempt's file (not a file put there since).
    fn still_ours(&self) -> bool {
        use std::os::unix::fs::MetadataExt;
        let there = rustix::fs::statat(&self.spot.dir, &self.temp, AtFlags::SYMLINK_NOFOLLOW);
        match (self.file().metadata(), there) {
            (Ok(ours), Ok(there)) => (ours.dev(), ours.ino()) == beneath::file_id(&there),
            _ => false,
        }
    }

    /// Flushes to disk, stamps the modification time, gives a file it replaces its mode, and
    /// moves it into place through the folder's handle — never over anything in
    /// [`WriteMode::Create`] — then makes the rename durable. Answers the file's metadata as
    /// written, read from its handle (a second look by path would cost the caller a trip to a
    /// blocking thread and a walk from the root, per file).
    fn commit(mut self, modified: Option<jiff::Timestamp>) -> Result<std::fs::Metadata> {
        let path = self.path.clone();
        let file = self.file();
        file.sync_all()
            .map_err(|e| StorageError::io("flush to disk", &path, e))?;
        if let Some(time) = modified {
            file.set_modified(std::time::SystemTime::from(time))
                .map_err(|e| StorageError::io("set the modification time of", &path, e))?;
        }
        let replace = self.mode == WriteMode::Overwrite;
        if replace
            && let Some(old) = self.spot.stat()?
            && beneath::kind_of(&old) == Kind::File
        {
            // A replaced file keeps its permissions: a private file stays private.
            let mode = rustix::fs::Mode::from_raw_mode(old.st_mode & 0o7777);
            rustix::fs::fchmod(file, mode)
                .map_err(|e| StorageError::io("set the permissions of", &path, e.into()))?;
        }
        if !self.still_ours() {
            return Err(StorageError::new(
                ErrorKind::LocalIo,
                format!(
                    "the partial file of {} was replaced while it was written; nothing was moved into place",
                    path.display()
                ),
            ));
        }
        let written = file
            .metadata()
            .map_err(|e| StorageError::io("read", &path, e))?;
        self.spot.commit(&self.temp, replace)?;
        self.committed = true;
        self.spot.sync_folder();
        Ok(written)
    }
}

impl Drop for Partial {
    fn drop(&mut self) {
        // Another attempt may have taken the name since: remove only the file this one wrote.
        if !self.committed && self.file.is_some() && self.still_ours() {
            let _ = rustix::fs::unlinkat(&self.spot.dir, &self.temp, AtFlags::empty());
        }
    }
}

/// Opens a partial file for `spot` in the first free slot, taking over one a crashed attempt
/// left (its lock died with it).
fn open_slot(spot: &Spot) -> Result<(std::fs::File, OsString)> {
    let create =
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let existing = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let new_file = |name: &OsString| {
        rustix::fs::openat(&spot.dir, name, create, Mode::from_raw_mode(0o666))
            .map(std::fs::File::from)
    };
    for name in partial_names(&spot.name) {
        let file = match new_file(&name) {
            Ok(file) => file,
            Err(Errno::EXIST) => {
                let Ok(fd) = rustix::fs::openat(&spot.dir, &name, existing, Mode::empty()) else {
                    continue;
                };
                let left = std::fs::File::from(fd);
                if left.try_lock().is_err() {
                    continue; // a live attempt's
                }
                let _ = rustix::fs::unlinkat(&spot.dir, &name, AtFlags::empty());
                drop(left);
                match new_file(&name) {
                    Ok(file) => file,
                    Err(_) => continue,
                }
            }
            Err(e) => {
                return Err(StorageError::io("create", &spot.path, e.into()));
            }
        };
        if file.try_lock().is_ok() {
            return Ok((file, name));
        }
    }
    Err(StorageError::new(
        ErrorKind::LocalIo,
        format!(
            "{SLOTS} attempts are writing {} at once; try again when they end",
            spot.path.display()
        ),
    ))
}

/// Writes a whole body atomically; answers the written file's metadata.
pub(super) async fn write_atomically(
    backend: &LocalBackend,
    key: &ObjectKey,
    body: PutBody,
    modified: Option<jiff::Timestamp>,
    mode: WriteMode,
) -> Result<std::fs::Metadata> {
    let expected = body.len;
    if expected <= SMALL_WRITE {
        // One trip: a small file costs a dozen otherwise, which bounded downloads of many.
        let bytes = gather(body).await?;
        let (backend, key) = (backend.clone(), key.clone());
        return blocking(move || {
            let partial = Partial::create(&backend, &key, mode)?;
            partial.check_len(bytes.len() as u64, expected)?;
            partial.write_at(&bytes, 0)?;
            partial.commit(modified)
        })
        .await;
    }
    let mut reader = body.into_reader().await?;
    let partial = {
        let (backend, key) = (backend.clone(), key.clone());
        Arc::new(blocking(move || Partial::create(&backend, &key, mode)).await?)
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
        buf = blocking(move || {
            p.write_at(&chunk, offset)?;
            p.start_writeback(offset, n as u64);
            Ok(chunk)
        })
        .await?;
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

/// Writes pieces at their offsets into the partial file as they arrive, then
/// commits it like any write.
pub(super) async fn write_pieces(
    backend: &LocalBackend,
    key: &ObjectKey,
    len: u64,
    pieces: futures::stream::BoxStream<'_, Result<(u64, bytes::Bytes)>>,
    modified: Option<jiff::Timestamp>,
    mode: WriteMode,
) -> Result<std::fs::Metadata> {
    use futures::TryStreamExt;
    let partial = {
        let (backend, key) = (backend.clone(), key.clone());
        Arc::new(blocking(move || Partial::create(&backend, &key, mode)).await?)
    };
    let written = Arc::new(std::sync::atomic::AtomicU64::new(0));
    pieces
        .try_for_each_concurrent(PIECE_WRITERS, |(offset, bytes)| {
            let (partial, written) = (partial.clone(), written.clone());
            async move {
                let n = bytes.len() as u64;
                blocking(move || {
                    partial.write_at(&bytes, offset)?;
                    partial.start_writeback(offset, n);
                    Ok(())
                })
                .await?;
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
        let old = Partial::create(&backend, &key, WriteMode::Overwrite).unwrap();
        let new = Partial::create(&backend, &key, WriteMode::Overwrite).unwrap();
        assert_ne!(old.temp, new.temp, "each attempt writes a file of its own");
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
    fn a_write_larger_than_a_slice_lands_whole_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let body: Vec<u8> = (0..3 * WRITE_SLICE + 7).map(|i| (i % 251) as u8).collect();
        let partial =
            Partial::create(&backend, &ObjectKey::new("f.bin"), WriteMode::Create).unwrap();
        partial.write_at(b"head", 0).unwrap();
        partial.write_at(&body, 4).unwrap();
        partial.start_writeback(4, body.len() as u64);
        let written = partial.commit(None).unwrap();
        let back = std::fs::read(dir.path().join("f.bin")).unwrap();
        assert_eq!(&back[..4], b"head");
        assert_eq!(&back[4..], &body[..], "every slice at its own offset");
        assert_eq!(
            written.len(),
            back.len() as u64,
            "the metadata answered is the file's"
        );
    }

    #[test]
    fn an_uncommitted_attempt_removes_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let partial =
            Partial::create(&backend, &ObjectKey::new("f.bin"), WriteMode::Create).unwrap();
        partial.write_at(b"half", 0).unwrap();
        drop(partial);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_crashed_attempts_leftover_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let name = partial_names(std::ffi::OsStr::new("f.bin")).next().unwrap();
        std::fs::write(dir.path().join(&name), b"left by a crash").unwrap();
        let partial =
            Partial::create(&backend, &ObjectKey::new("f.bin"), WriteMode::Create).unwrap();
        assert_eq!(partial.temp, name, "the unlocked leftover's slot is reused");
        partial.write_at(b"new", 0).unwrap();
        partial.commit(None).unwrap();
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("f.bin")]);
    }

    #[test]
    fn a_create_loses_to_a_file_that_appears_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let backend = LocalBackend::new(dir.path());
        let partial =
            Partial::create(&backend, &ObjectKey::new("f.bin"), WriteMode::Create).unwrap();
        partial.write_at(b"mine", 0).unwrap();
        std::fs::write(dir.path().join("f.bin"), b"theirs").unwrap();
        let err = partial.commit(None).unwrap_err();
        assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
        assert_eq!(std::fs::read(dir.path().join("f.bin")).unwrap(), b"theirs");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no partial file left"
        );
    }
}
