//! Moving one file's bytes: server-side where both ends allow, a resumable upload from a local
//! file, parallel ranges of a large object, or a verified stream — whichever fits — written
//! to the destination as the item's decision says (replacing, or only creating).

use std::sync::Arc;

use ferry_storage::integrity::MultipartLog;
use ferry_storage::{
    ErrorKind, ObjectKey, ObjectMeta, PutBody, PutOptions, StorageError, WriteMode,
};

use super::item::Ctx;
use super::journal::{ItemLog, ItemRow};
use super::progress::Meter;
use super::ranges;
use super::verify::VerifyingReader;
use crate::error::{Error, Result};

/// Where the item's multipart upload is recorded while it is open; `on_part` hears of each
/// finished part's size.
fn item_log(
    ctx: &Ctx,
    item: &ItemRow,
    destination: &ObjectKey,
    on_part: Box<dyn Fn(u64) + Send + Sync>,
) -> Arc<dyn MultipartLog> {
    Arc::new(ItemLog {
        journal: ctx.journal.clone(),
        job: ctx.job.clone(),
        seq: item.seq,
        dest_key: destination.to_string(),
        on_part,
    })
}

fn put_options(ctx: &Ctx, modified: Option<jiff::Timestamp>, mode: WriteMode) -> PutOptions {
    let upload = &ctx.options.upload;
    PutOptions {
        // A compressed file is stored as what it is, `NAME.gz` of type application/gzip: a
        // download by any tool gives a file whose name says what it holds (with
        // `Content-Encoding: gzip`, HTTP clients would unpack it under a `.gz` name).
        content_type: match upload.gzip() {
            true => Some("application/gzip".to_string()),
            false => upload.content_type.clone(),
        },
        content_encoding: None,
        cache_control: upload.cache_control.clone(),
        storage_class: upload.storage_class.clone(),
        sse: upload.sse.clone(),
        metadata: upload.metadata.clone(),
        modified,
        multipart_log: None,
        kept: None,
        memory: Some(ctx.memory.clone()),
        mode,
    }
}

/// What arrived is not what was listed: refused before a byte is written.
fn changed_since_listed(source: &str, now: u64, listed: u64) -> Error {
    StorageError::new(
        ErrorKind::Corrupt,
        format!(
            "{source} has {now} bytes, not the {listed} it had when the job listed it (it changed, \
             or the server's answer is wrong); nothing was written"
        ),
    )
    .into()
}

pub(super) async fn send(
    ctx: &Ctx,
    item: &ItemRow,
    source: &ObjectKey,
    destination: &ObjectKey,
    modified: Option<jiff::Timestamp>,
    mode: WriteMode,
    meter: &Meter,
) -> Result<ObjectMeta> {
    if !ctx.options.upload.gzip() {
        // Same endpoint and credentials (any bucket): the server copies, no byte comes here.
        if let (Some(from), Some(into)) = (
            ctx.src.backend.copy_source(source),
            ctx.dst.backend.copy_source(destination),
        ) && from.identity == into.identity
        {
            let meta = ctx
                .dst
                .backend
                .copy_from(
                    &from,
                    item.size,
                    destination,
                    Some(item_log(ctx, item, destination, Box::new(|_| {}))),
                    mode,
                )
                .await?;
            meter.advance(item.size);
            return Ok(meta);
        }
        let same_store = ctx.src.workspace.is_some() && ctx.src.workspace == ctx.dst.workspace;
        if same_store {
            let meta = ctx.src.backend.copy(source, destination, mode).await?;
            meter.advance(item.size);
            return Ok(meta);
        }
    }
    let mut options = put_options(ctx, modified, mode);
    let local_file = ctx.src.backend.local_path(source);
    let remote_destination = ctx.dst.backend.capabilities().multipart;
    if remote_destination {
        // Every multipart upload is journaled while open: a crash or a refused abort never
        // leaves one nobody knows of (only one from a local file can be continued).
        options.multipart_log = Some(item_log(ctx, item, destination, Box::new(|_| {})));
    }
    if ctx.options.upload.gzip() {
        let path = local_file
            .ok_or_else(|| Error::Invalid("gzip applies to uploads of local files".into()))?;
        let compressed = gzip(&path).await?;
        let body = PutBody::from_file(compressed.path()).await?;
        let meta = ctx.dst.backend.put(destination, body, &options).await?;
        meter.advance(item.size);
        return Ok(meta);
    }
    if let (Some(path), true) = (local_file, remote_destination) {
        // A local file can be re-read from any offset: send parts straight from it and record
        // them, so that a crash resumes the upload instead of restarting it.
        let progress = meter.clone();
        let size = item.size;
        let parts_seen = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let seen = parts_seen.clone();
        options.multipart_log = Some(item_log(
            ctx,
            item,
            destination,
            Box::new(move |n| {
                seen.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
                progress.advance(n);
            }),
        ));
        let body = PutBody::from_file(path).await?;
        if body.len != item.size {
            return Err(changed_since_listed(source.as_str(), body.len, item.size));
        }
        let meta = ctx.dst.backend.put(destination, body, &options).await?;
        let counted = parts_seen.load(std::sync::atomic::Ordering::Relaxed);
        meter.advance(size.saturating_sub(counted));
        return Ok(meta);
    }
    if ctx.dst.backend.capabilities().pieces
        && let Some(plan) = ranges::plan(ctx, source, item.size).await
    {
        return ranges::download(ctx, item.size, source, destination, plan, &options, meter).await;
    }
    if remote_destination {
        // Another server, or other keys: the object's headers, metadata and tags travel with
        // its bytes, as a server-side copy would keep them.
        options.kept = Some(ctx.src.backend.carried(source).await?);
    }
    let got = ctx.src.backend.get(source, None).await?;
    if got.meta.size != item.size {
        return Err(changed_since_listed(
            source.as_str(),
            got.meta.size,
            item.size,
        ));
    }
    let part_size = ranges::part_size(ctx, source, &got.meta).await;
    let reader = VerifyingReader::new(
        got.body,
        got.meta.size,
        got.meta.etag.clone().filter(|_| got.meta.etag_is_md5()),
        part_size,
        meter.clone(),
        ctx.src.backend.identity(source).to_string(),
    );
    let body = PutBody::from_reader(Box::new(reader), got.meta.size);
    Ok(ctx.dst.backend.put(destination, body, &options).await?)
}

/// Compresses a file into a temporary one (the compressed size must be known before sending).
async fn gzip(path: &std::path::Path) -> Result<tempfile::NamedTempFile> {
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let io = |e: std::io::Error| {
            Error::Invalid(format!("could not compress {}: {e}", path.display()))
        };
        let mut input = std::fs::File::open(&path).map_err(io)?;
        let out = tempfile::NamedTempFile::new().map_err(io)?;
        let mut encoder = flate2::write::GzEncoder::new(
            out.reopen().map_err(io)?,
            flate2::Compression::default(),
        );
        std::io::copy(&mut input, &mut encoder).map_err(io)?;
        encoder.finish().map_err(io)?;
        Ok(out)
    })
    .await
    .map_err(|e| Error::Invalid(format!("compression failed: {e}")))?
}
