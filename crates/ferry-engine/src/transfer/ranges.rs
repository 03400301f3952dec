//! Large objects come down in ranges, several at once, each read and checked on a task of its
//! own and streamed to its offset in pieces of [`PIECE`] bytes. Memory stays flat whatever the
//! part size (a few pieces per range in flight). Before the file is committed the ranges must
//! prove the object: their CRCs make the checksum the server keeps, or — when it keeps none —
//! they are the upload's parts and their MD5s compose its ETag.

use std::sync::Arc;

use bytes::Bytes;
use ferry_storage::checksum::{Crc, CrcKind, ServerChecksum};
use ferry_storage::integrity::{PART_SIZE_METADATA, StreamDigest, bare_etag, multipart_etag};
use ferry_storage::{
    Backend, ByteRange, ErrorKind, ObjectKey, ObjectMeta, PutOptions, StorageError,
};
use futures::future::Either;
use futures::stream::StreamExt;
use tokio::io::AsyncReadExt;

use super::item::Ctx;
use super::progress::Meter;
use crate::error::Result;

/// Bytes read from a range before they are handed to the writer.
const PIECE: u64 = 1024 * 1024;

/// Free piece buffers a download keeps for reuse.
const KEPT_BUFFERS: usize = 16;

/// How to fetch an object in ranges.
pub(super) struct Plan {
    range: u64,
    check: Check,
}

/// What the ranges, read whole, must prove before the file is committed.
enum Check {
    /// Their CRCs make the checksum the server keeps (whole-object: any ranges; composite:
    /// the ranges are the upload's parts). Far cheaper than MD5, so preferred.
    Crc(ServerChecksum),
    /// The ranges are the upload's parts, and their MD5s compose this ETag.
    Etag(String),
    /// Only their sizes: the ETag is opaque (SSE-KMS) or the parts are unknown, and the server
    /// keeps no checksum.
    Sizes,
}

/// Whether to download in parallel ranges, and how: objects with a whole-object CRC on the
/// server, and multipart objects (ETag `…-N`). Any other single-part object streams, so its
/// whole MD5 is checked on the way.
pub(super) async fn plan(ctx: &Ctx, source: &ObjectKey, size: u64) -> Option<Plan> {
    // Small files gain nothing from ranges; asking would cost each a request.
    if size < ctx.range_size.saturating_mul(2) {
        return None;
    }
    let meta = ctx.src.backend.stat_with_checksum(source).await.ok()?;
    if meta.size != size {
        // Changed since it was listed: the streamed path refuses it before writing.
        return None;
    }
    if let Some(crc) = meta.checksum.clone().filter(|c| c.parts.is_none()) {
        return Some(Plan {
            range: ctx.range_size,
            check: Check::Crc(*crc),
        });
    }
    let etag = meta.etag.clone()?;
    if !bare_etag(&etag).contains('-') {
        return None;
    }
    // The parts are worth finding only if something can check them.
    let part = if meta.etag_is_md5() || meta.checksum.is_some() {
        part_size(ctx, source, &meta).await
    } else {
        None
    };
    let etag_is_md5 = meta.etag_is_md5();
    let check = match (meta.checksum, part) {
        (Some(crc), Some(part)) if crc.parts.map(u64::from) == Some(size.div_ceil(part)) => {
            Check::Crc(*crc)
        }
        (_, Some(_)) if etag_is_md5 => Check::Etag(etag),
        _ => Check::Sizes,
    };
    Some(Plan {
        range: part.unwrap_or(ctx.range_size),
        check,
    })
}

/// How a multipart object was split, so a streamed download can check its ETag too: what
/// Ferry recorded at upload, else what the server says (one HEAD, multipart objects only).
pub(super) async fn part_size(ctx: &Ctx, source: &ObjectKey, meta: &ObjectMeta) -> Option<u64> {
    let etag = meta.etag.as_deref()?;
    if !bare_etag(etag).contains('-') {
        return None;
    }
    if let Some(part) = recorded_part_size(&meta.metadata, etag, meta.size) {
        return Some(part);
    }
    match ctx.src.backend.part_layout(source).await {
        Ok(Some((parts, first))) if first > 0 && meta.size.div_ceil(first) == u64::from(parts) => {
            Some(first)
        }
        _ => None,
    }
}

/// The part size Ferry recorded when it uploaded the object, if it fits the ETag's part count.
fn recorded_part_size(
    metadata: &std::collections::BTreeMap<String, String>,
    etag: &str,
    size: u64,
) -> Option<u64> {
    let part: u64 = metadata.get(PART_SIZE_METADATA)?.parse().ok()?;
    let count: u64 = bare_etag(etag).rsplit_once('-')?.1.parse().ok()?;
    (part > 0 && size.div_ceil(part) == count).then_some(part)
}

pub(super) async fn download(
    ctx: &Ctx,
    size: u64,
    source: &ObjectKey,
    destination: &ObjectKey,
    plan: Plan,
    options: &PutOptions,
    meter: &Meter,
) -> Result<ObjectMeta> {
    let concurrency = ctx.part_concurrency.max(1);
    // Each range is read and hashed on a task of its own, so the MD5s of several ranges run on
    // every core (one stream polling them all hashed everything on one). Pieces reach the
    // writer through a channel; the fetch's error, or the ETag check's, is its last item, so
    // the writer never commits a file whose ranges did not all arrive intact.
    let (tx, rx) = tokio::sync::mpsc::channel(concurrency);
    let fetch = fetch(
        Fetch {
            src: ctx.src.backend.clone(),
            source: source.clone(),
            size,
            plan,
            concurrency,
            progress: meter.clone(),
        },
        tx,
    );
    let pieces =
        futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) })
            .boxed();
    let write = ctx
        .dst
        .backend
        .put_pieces(destination, size, pieces, options);
    futures::pin_mut!(fetch, write);
    // A writer that fails (a full disk) ends the download at once: dropping the fetch aborts
    // its range tasks.
    let written = match futures::future::select(write, fetch).await {
        Either::Left((written, _)) => written,
        Either::Right(((), write)) => write.await,
    };
    Ok(written?)
}

type Piece = ferry_storage::Result<(u64, Bytes)>;

struct Fetch {
    src: Arc<dyn Backend>,
    source: ObjectKey,
    size: u64,
    plan: Plan,
    concurrency: usize,
    progress: Meter,
}

/// Reads every range, `concurrency` at once, into `tx`; then checks the ranges' MD5s compose
/// the ETag. Any failure is sent as the last piece.
async fn fetch(f: Fetch, tx: tokio::sync::mpsc::Sender<Piece>) {
    let count = f.size.div_ceil(f.plan.range).max(1);
    let mut tasks = tokio::task::JoinSet::new();
    let pool = Pool::default();
    let mut sums = vec![Sum::default(); count as usize];
    let (md5, crc) = match &f.plan.check {
        Check::Crc(c) => (false, Some(c.kind)),
        Check::Etag(_) => (true, None),
        Check::Sizes => (false, None),
    };
    let mut next = 0u64;
    let outcome = async {
        loop {
            while tasks.len() < f.concurrency && next < count {
                let start = next * f.plan.range;
                let range = start..(start + f.plan.range).min(f.size);
                let (src, source, progress, pool, tx) = (
                    f.src.clone(),
                    f.source.clone(),
                    f.progress.clone(),
                    pool.clone(),
                    tx.clone(),
                );
                let index = next as usize;
                tasks.spawn(async move {
                    read_range(src, source, range, (md5, crc), (progress, pool), tx)
                        .await
                        .map(|sum| (index, sum))
                });
                next += 1;
            }
            let Some(joined) = tasks.join_next().await else {
                break;
            };
            let (index, sum) = joined.map_err(|e| {
                StorageError::new(
                    ErrorKind::LocalIo,
                    format!("reading a range of {} failed: {e}", f.source),
                )
            })??;
            sums[index] = sum;
        }
        check(&f.source, &f.plan.check, &sums)
    }
    .await;
    if let Err(e) = outcome {
        tasks.abort_all();
        let _ = tx.send(Err(e)).await;
    }
}

/// What one range was, read whole: its MD5 (hex) and CRC, when asked for, and its length.
#[derive(Default, Clone)]
struct Sum {
    md5: String,
    crc: u64,
    len: u64,
}

fn check(source: &ObjectKey, check: &Check, sums: &[Sum]) -> ferry_storage::Result<()> {
    let (expected, actual) = match check {
        Check::Sizes => return Ok(()),
        Check::Etag(etag) => {
            let md5s: Vec<String> = sums.iter().map(|s| s.md5.clone()).collect();
            let actual = multipart_etag(&md5s);
            if bare_etag(etag) == actual {
                return Ok(());
            }
            (format!("its ETag {etag}"), actual)
        }
        Check::Crc(crc) => {
            let ranges: Vec<(u64, u64)> = sums.iter().map(|s| (s.crc, s.len)).collect();
            if crc.matches(&ranges) {
                return Ok(());
            }
            let actual = ServerChecksum {
                crc: crc.of(&ranges).unwrap_or_default(),
                ..crc.clone()
            };
            (format!("its checksum {}", crc.display()), actual.display())
        }
    };
    Err(StorageError::new(
        ErrorKind::Corrupt,
        format!("checksum mismatch: the bytes read from {source} make {actual}, not {expected}"),
    ))
}

/// Reads one range in pieces of [`PIECE`] bytes, hashing each as `(md5, crc)` asks and
/// sending it on with its offset.
async fn read_range(
    src: Arc<dyn Backend>,
    source: ObjectKey,
    range: std::ops::Range<u64>,
    (md5, crc): (bool, Option<CrcKind>),
    (progress, pool): (Meter, Pool),
    tx: tokio::sync::mpsc::Sender<Piece>,
) -> ferry_storage::Result<Sum> {
    let mut body = src
        .get(&source, Some(ByteRange::new(range.start, Some(range.end))?))
        .await?
        .body;
    let mut digest = md5.then(|| StreamDigest::new(None));
    let mut crc = crc.map(Crc::new);
    let mut at = range.start;
    while at < range.end {
        let want = (range.end - at).min(PIECE);
        let mut buf = pool.take(want as usize);
        (&mut body)
            .take(want)
            .read_to_end(&mut buf)
            .await
            .map_err(StorageError::reading)?;
        if buf.len() as u64 != want {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "{source} ended at byte {} of the range ending at {}",
                    at + buf.len() as u64,
                    range.end
                ),
            ));
        }
        if let Some(digest) = digest.as_mut() {
            digest.update(&buf);
        }
        if let Some(crc) = crc.as_mut() {
            crc.update(&buf);
        }
        progress.advance(want);
        let piece = Bytes::from_owner(Pooled {
            buf,
            pool: pool.clone(),
        });
        if tx.send(Ok((at, piece))).await.is_err() {
            // The writer has stopped (it only does on an error, which is the one reported).
            return Err(StorageError::new(
                ErrorKind::LocalIo,
                format!("the writer of {source} stopped"),
            ));
        }
        at += want;
    }
    Ok(Sum {
        md5: digest.map(StreamDigest::hex).unwrap_or_default(),
        crc: crc.map(|c| c.finish()).unwrap_or_default(),
        len: range.end - range.start,
    })
}

/// A download's piece buffers, given back when the writer has written them: a fresh 1 MiB
/// buffer per piece was ~100,000 page faults per GiB (the allocator gave each back to the
/// system). Only as many are kept as can be in flight at once.
#[derive(Clone, Default)]
struct Pool(Arc<std::sync::Mutex<Vec<Vec<u8>>>>);

impl Pool {
    fn take(&self, capacity: usize) -> Vec<u8> {
        let mut buf = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop()
            .unwrap_or_default();
        buf.clear();
        buf.reserve(capacity);
        buf
    }
}

/// A piece's bytes, returned to their range's pool when the last handle to them is dropped.
struct Pooled {
    buf: Vec<u8>,
    pool: Pool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        let mut kept = self.pool.0.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() < KEPT_BUFFERS {
            kept.push(buf);
        }
    }
}
