//! Large multipart objects come down in ranges, several at once, each streamed to its offset in
//! pieces of [`PIECE`] bytes. Memory stays flat whatever the part size (a piece per range and a
//! few being written), and when the upload's part size is known the ranges are its parts, whose
//! MD5s must compose the object's ETag before the file is committed.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use ferry_storage::integrity::{PART_SIZE_METADATA, StreamDigest, bare_etag, multipart_etag};
use ferry_storage::{
    Backend, ByteRange, ErrorKind, ObjectKey, ObjectMeta, PutOptions, Reader, StorageError,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;

use super::item::Ctx;
use super::progress::Accounting;
use crate::error::Result;

/// Bytes read from a range before they are handed to the writer.
const PIECE: u64 = 1024 * 1024;

/// How to fetch an object in ranges.
pub(super) struct Plan {
    range: u64,
    /// The ETag the ranges' MD5s must compose; `None` when the ranges are not the upload's parts.
    etag: Option<String>,
}

/// Whether to download in parallel ranges, and how. Only multipart objects (ETag `…-N`)
/// qualify; a single-part object streams, so its whole MD5 is checked on the way.
pub(super) async fn plan(ctx: &Ctx<'_>, source: &ObjectKey, size: u64) -> Option<Plan> {
    // Small files gain nothing from ranges; asking would cost each a request.
    if size < ctx.range_size.saturating_mul(2) {
        return None;
    }
    let meta = ctx.src.backend.stat(source).await.ok()?;
    if meta.size != size {
        // Changed since it was listed: the streamed path refuses it before writing.
        return None;
    }
    let etag = meta.etag.clone()?;
    if !bare_etag(&etag).contains('-') {
        return None;
    }
    if !meta.etag_is_md5() {
        // Under SSE-KMS the ETag says nothing of the bytes: ranges, sizes checked.
        return Some(Plan {
            range: ctx.range_size,
            etag: None,
        });
    }
    match ctx.src.backend.part_layout(source).await {
        Ok(Some((parts, first))) if first > 0 && size.div_ceil(first) == u64::from(parts) => {
            Some(Plan {
                range: first,
                etag: Some(etag),
            })
        }
        // The server cannot say how the object was split; Ferry's own uploads record it.
        _ => match recorded_part_size(&meta.metadata, &etag, size) {
            Some(part) => Some(Plan {
                range: part,
                etag: Some(etag),
            }),
            None => Some(Plan {
                range: ctx.range_size,
                etag: None,
            }),
        },
    }
}

/// How a multipart object was split, so a streamed download can check its ETag too: what
/// Ferry recorded at upload, else what the server says (one HEAD, multipart objects only).
pub(super) async fn part_size(ctx: &Ctx<'_>, source: &ObjectKey, meta: &ObjectMeta) -> Option<u64> {
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
    ctx: &Ctx<'_>,
    size: u64,
    source: &ObjectKey,
    destination: &ObjectKey,
    plan: Plan,
    options: &PutOptions,
) -> Result<ObjectMeta> {
    let count = size.div_ceil(plan.range).max(1);
    let md5s = Arc::new(Mutex::new(vec![String::new(); count as usize]));
    let ranges = {
        let (src, source, md5s, progress) = (
            ctx.src.backend.clone(),
            source.clone(),
            md5s.clone(),
            ctx.progress.clone(),
        );
        futures::stream::iter(0..count)
            .map(move |i| {
                let start = i * plan.range;
                let end = (start + plan.range).min(size);
                let slot = Slot {
                    md5s: md5s.clone(),
                    index: i as usize,
                };
                range_pieces(
                    src.clone(),
                    source.clone(),
                    start..end,
                    slot,
                    progress.clone(),
                )
            })
            .flatten_unordered(ctx.part_concurrency.max(1))
    };
    let key = source.to_string();
    let check = futures::stream::once(async move {
        let Some(etag) = plan.etag else {
            return Ok(None);
        };
        let md5s = md5s.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let actual = multipart_etag(&md5s);
        if bare_etag(&etag) == actual {
            Ok(None)
        } else {
            Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "checksum mismatch: the parts of {key} compose {actual}, not its ETag {etag}"
                ),
            ))
        }
    })
    .try_filter_map(|piece: Option<(u64, Bytes)>| async move { Ok(piece) });
    let pieces = ranges.chain(check).boxed();
    Ok(ctx
        .dst
        .backend
        .put_pieces(destination, size, pieces, options)
        .await?)
}

/// Where a range records its MD5 once it has been read whole.
struct Slot {
    md5s: Arc<Mutex<Vec<String>>>,
    index: usize,
}

struct RangeRead {
    src: Arc<dyn Backend>,
    source: ObjectKey,
    at: u64,
    end: u64,
    body: Option<Reader>,
    digest: StreamDigest,
    slot: Slot,
    progress: Arc<Accounting>,
}

/// One range as a stream of `(offset, bytes)` pieces; its request is sent when first polled.
fn range_pieces(
    src: Arc<dyn Backend>,
    source: ObjectKey,
    range: std::ops::Range<u64>,
    slot: Slot,
    progress: Arc<Accounting>,
) -> BoxStream<'static, ferry_storage::Result<(u64, Bytes)>> {
    let read = RangeRead {
        src,
        source,
        at: range.start,
        end: range.end,
        body: None,
        digest: StreamDigest::new(None),
        slot,
        progress,
    };
    futures::stream::try_unfold(read, |mut r| async move {
        if r.at == r.end {
            let digest = std::mem::replace(&mut r.digest, StreamDigest::new(None));
            r.slot.md5s.lock().unwrap_or_else(|p| p.into_inner())[r.slot.index] = digest.hex();
            return Ok(None);
        }
        if r.body.is_none() {
            let range = ByteRange::new(r.at, Some(r.end))?;
            r.body = Some(r.src.get(&r.source, Some(range)).await?.body);
        }
        let Some(body) = r.body.as_mut() else {
            return Ok(None);
        };
        let want = (r.end - r.at).min(PIECE);
        let mut buf = Vec::with_capacity(want as usize);
        body.take(want)
            .read_to_end(&mut buf)
            .await
            .map_err(StorageError::reading)?;
        if buf.len() as u64 != want {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "{} ended at byte {} of the range ending at {}",
                    r.source,
                    r.at + buf.len() as u64,
                    r.end
                ),
            ));
        }
        r.digest.update(&buf);
        r.progress.advance(want);
        let offset = r.at;
        r.at += want;
        Ok(Some(((offset, Bytes::from(buf)), r)))
    })
    .boxed()
}
