//! Carrying one item: conflict policy, transfer (server-side, resumable upload from a local
//! file, or verified stream), retries of temporary failures, and for a move the deletion of the
//! source once its copy is verified.

use std::sync::Arc;
use std::time::Duration;

use ferry_storage::{
    BackendExt, ErrorKind, ObjectKey, ObjectMeta, PutBody, PutOptions, StorageError,
};

use ferry_storage::integrity::MultipartLog;

use super::journal::{ItemLog, ItemRow, Journal};
use super::progress::Accounting;
use super::ranges;
use super::verify::VerifyingReader;
use super::{ItemAction, ItemState, JobKind, JobOptions};
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;
use crate::workspace::Resolved;

/// Everything an item needs from its job.
pub(super) struct Ctx<'a> {
    pub src: &'a Resolved,
    pub dst: &'a Resolved,
    pub kind: JobKind,
    pub options: &'a JobOptions,
    pub journal: Arc<Journal>,
    pub job: String,
    pub progress: Arc<Accounting>,
    /// Parts of one file in flight at once.
    pub part_concurrency: usize,
    /// Range size for parallel downloads when the upload's part size is unknown.
    pub range_size: u64,
    /// Shared by every part buffer of the job.
    pub memory: ferry_storage::MemoryBudget,
}

/// The outcome to record: state, bytes carried, error (message and hint).
pub(super) struct Done {
    pub state: ItemState,
    pub bytes: u64,
    pub error: Option<String>,
}

/// Attempts per item for temporary failures (throttling, 5xx, dropped connections), on top of
/// the SDK's own retries of single requests.
const ATTEMPTS: u32 = 4;

pub(super) async fn execute(ctx: &Ctx<'_>, item: &ItemRow) -> Done {
    let label = item_label(item);
    ctx.progress.started(&label);
    let mut attempt = 0;
    // The conflict decision is made once: a failed attempt may already have written the
    // destination, which a second look must not mistake for someone else's file.
    // Across retries and crashes too: the journal keeps the decision.
    let mut decided: Option<Option<ObjectKey>> = ctx
        .journal
        .claimed(&ctx.job, item.seq)
        .ok()
        .flatten()
        .map(|key| key.map(ObjectKey::new));
    let done = loop {
        attempt += 1;
        let result = match item.action {
            ItemAction::Copy => carry(ctx, item, &mut decided).await,
            ItemAction::Delete => delete(ctx, item).await,
            ItemAction::Mkdir => ctx
                .dst
                .backend
                .create_folder(&ObjectKey::new(&item.dest_key))
                .await
                .map(|()| (ItemState::Done, 0))
                .map_err(Error::from),
        };
        match result {
            Ok((state, bytes)) => {
                break Done {
                    state,
                    bytes,
                    error: None,
                };
            }
            Err(e) if attempt < ATTEMPTS && is_temporary(&e) => {
                tracing::info!(item = %label, attempt, error = %e, "retrying");
                tokio::time::sleep(backoff(attempt)).await;
            }
            Err(e) => {
                break Done {
                    state: ItemState::Failed,
                    bytes: 0,
                    error: Some(format!("{e}\n  hint: {}", e.hint())),
                };
            }
        }
    };
    ctx.progress.finished(
        &label,
        done.error.as_deref().map(|e| e.lines().next().unwrap_or(e)),
    );
    done
}

/// Records an item cancelled by the user, aborting the multipart upload it may have open. One
/// the server will not abort stays recorded: `ferry jobs cancel` tries it again.
pub(super) async fn cancelled(ctx: &Ctx<'_>, item: &ItemRow) -> Done {
    let mut error = "cancelled by the user".to_string();
    if let Ok(Some((key, upload_id))) = ctx.journal.upload_of(&ctx.job, item.seq) {
        match ctx
            .dst
            .backend
            .abort_upload(&ObjectKey::new(&key), &upload_id)
            .await
        {
            Ok(()) => {
                let _ = ctx.journal.forget_upload(&ctx.job, item.seq);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not abort the upload of a cancelled item");
                error = format!(
                    "cancelled by the user; its multipart upload could not be aborted and is kept \
                     ({e}): cancelling the job (`ferry jobs cancel {}`) tries again",
                    ctx.job
                );
            }
        }
    }
    let label = item_label(item);
    ctx.progress.finished(&label, None);
    Done {
        state: ItemState::Skipped,
        bytes: 0,
        error: Some(error),
    }
}

fn item_label(item: &ItemRow) -> String {
    match item.action {
        ItemAction::Delete => format!("delete {}", item.dest_key),
        _ => item.source_key.clone(),
    }
}

fn is_temporary(e: &Error) -> bool {
    matches!(e, Error::Storage(s) if s.kind.is_temporary())
}

/// Exponential backoff with full jitter: 0–250 ms, 0–500 ms, 0–1 s…
fn backoff(attempt: u32) -> Duration {
    let cap = 250u64 << attempt.min(6);
    let jitter = uuid::Uuid::new_v4().as_u128() as u64 % cap.max(1);
    Duration::from_millis(jitter.max(50))
}

async fn delete(ctx: &Ctx<'_>, item: &ItemRow) -> Result<(ItemState, u64)> {
    let key = ObjectKey::new(&item.dest_key);
    let failures = ctx
        .dst
        .backend
        .delete_many(std::slice::from_ref(&key))
        .await?;
    match failures.into_iter().next() {
        None => Ok((ItemState::Done, 0)),
        Some(f) => Err(StorageError::new(ErrorKind::AccessDenied, f.message).into()),
    }
}

async fn carry(
    ctx: &Ctx<'_>,
    item: &ItemRow,
    decided: &mut Option<Option<ObjectKey>>,
) -> Result<(ItemState, u64)> {
    let source = ObjectKey::new(&item.source_key);
    let planned = ObjectKey::new(&item.dest_key);
    if ctx.src.backend.address(&source) == ctx.dst.backend.address(&planned) {
        return Err(Error::Invalid(
            "the source and the destination are the same file".into(),
        ));
    }
    let modified = item.modified.as_deref().and_then(|t| t.parse().ok());
    let choice = match decided.clone() {
        Some(choice) => choice,
        None => {
            let choice = resolve_conflict(ctx, &planned, modified).await?;
            ctx.journal
                .claim(&ctx.job, item.seq, choice.as_ref().map(ObjectKey::as_str))?;
            *decided = Some(choice.clone());
            choice
        }
    };
    let Some(destination) = choice else {
        ctx.progress.advance(item.size);
        return Ok((ItemState::Skipped, 0));
    };
    // A move killed between deleting its source and recording the item as done resumes here:
    // the copy was verified before the source went.
    let copied = ctx.kind == JobKind::Move && ctx.journal.is_copied(&ctx.job, item.seq)?;
    if !copied {
        let written = transfer(ctx, item, &source, &destination, modified).await?;
        if written.size != item.size && !ctx.options.upload.gzip {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "verification failed: {destination} has {} bytes, the source {}; the source was kept",
                    written.size, item.size
                ),
            )
            .into());
        }
    }
    if ctx.kind == JobKind::Move {
        ctx.journal.mark_copied(&ctx.job, item.seq)?;
        let failures = ctx
            .src
            .backend
            .delete_many(std::slice::from_ref(&source))
            .await?;
        if let Some(f) = failures.into_iter().next() {
            return Err(Error::Invalid(format!(
                "copied and verified to {destination}, but the source could not be deleted: {}",
                f.message
            )));
        }
    }
    Ok((ItemState::Done, item.size))
}

/// `Some(key)` to write to, `None` to skip.
async fn resolve_conflict(
    ctx: &Ctx<'_>,
    planned: &ObjectKey,
    modified: Option<jiff::Timestamp>,
) -> Result<Option<ObjectKey>> {
    // Sync and migrate planned this copy because the destination is missing or out of date.
    let policy = match ctx.kind {
        JobKind::Sync | JobKind::Migrate => ConflictPolicy::Overwrite,
        _ => ctx.options.conflict,
    };
    if policy == ConflictPolicy::Overwrite {
        return Ok(Some(planned.clone()));
    }
    let Some(existing) = ctx.dst.backend.try_stat(planned).await? else {
        return Ok(Some(planned.clone()));
    };
    match policy {
        ConflictPolicy::Overwrite => Ok(Some(planned.clone())),
        ConflictPolicy::Skip => Ok(None),
        ConflictPolicy::OverwriteIfNewer => match (modified, existing.last_modified) {
            (Some(new), Some(old)) if new > old => Ok(Some(planned.clone())),
            _ => Ok(None),
        },
        ConflictPolicy::Rename => {
            for n in 1..10_000 {
                let candidate = numbered(planned, n);
                if ctx.dst.backend.try_stat(&candidate).await?.is_none() {
                    return Ok(Some(candidate));
                }
            }
            Err(Error::Invalid(format!("no free name found for {planned}")))
        }
        ConflictPolicy::Ask => Err(StorageError::new(
            ErrorKind::AlreadyExists,
            format!("{planned} already exists and was not overwritten"),
        )
        .into()),
    }
}

/// `dir/name.ext` → `dir/name (n).ext`.
pub(super) fn numbered(key: &ObjectKey, n: u32) -> ObjectKey {
    let name = key.name();
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    key.parent().concat(&format!("{stem} ({n}){ext}"))
}

/// Where the item's multipart upload is recorded while it is open; `on_part` hears of each
/// finished part's size.
fn item_log(
    ctx: &Ctx<'_>,
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

fn put_options(ctx: &Ctx<'_>, modified: Option<jiff::Timestamp>) -> PutOptions {
    let upload = &ctx.options.upload;
    PutOptions {
        content_type: upload.content_type.clone(),
        content_encoding: upload.gzip.then(|| "gzip".to_string()),
        cache_control: upload.cache_control.clone(),
        storage_class: upload.storage_class.clone(),
        sse: upload.sse.clone(),
        metadata: upload.metadata.clone(),
        modified,
        multipart_log: None,
        memory: Some(ctx.memory.clone()),
    }
}

async fn transfer(
    ctx: &Ctx<'_>,
    item: &ItemRow,
    source: &ObjectKey,
    destination: &ObjectKey,
    modified: Option<jiff::Timestamp>,
) -> Result<ObjectMeta> {
    if !ctx.options.upload.gzip {
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
                )
                .await?;
            ctx.progress.advance(item.size);
            return Ok(meta);
        }
        let same_store = ctx.src.workspace.is_some() && ctx.src.workspace == ctx.dst.workspace;
        if same_store {
            let meta = ctx.src.backend.copy(source, destination).await?;
            ctx.progress.advance(item.size);
            return Ok(meta);
        }
    }
    let mut options = put_options(ctx, modified);
    let local_file = ctx.src.backend.local_path(source);
    let remote_destination = ctx.dst.backend.capabilities().multipart;
    if remote_destination {
        // Every multipart upload is journaled while open: a crash or a refused abort never
        // leaves one nobody knows of (only one from a local file can be continued).
        options.multipart_log = Some(item_log(ctx, item, destination, Box::new(|_| {})));
    }
    if ctx.options.upload.gzip {
        let path = local_file
            .ok_or_else(|| Error::Invalid("gzip applies to uploads of local files".into()))?;
        let compressed = gzip(&path).await?;
        let body = PutBody::from_file(compressed.path()).await?;
        let meta = ctx.dst.backend.put(destination, body, &options).await?;
        ctx.progress.advance(item.size);
        return Ok(meta);
    }
    if let (Some(path), true) = (local_file, remote_destination) {
        // A local file can be re-read from any offset: send parts straight from it and record
        // them, so that a crash resumes the upload instead of restarting it.
        let progress = ctx.progress.clone();
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
        let meta = ctx.dst.backend.put(destination, body, &options).await?;
        let counted = parts_seen.load(std::sync::atomic::Ordering::Relaxed);
        ctx.progress.advance(size.saturating_sub(counted));
        return Ok(meta);
    }
    if ctx.dst.backend.capabilities().pieces
        && let Some(plan) = ranges::plan(ctx, source, item.size).await
    {
        return ranges::download(ctx, item.size, source, destination, plan, &options).await;
    }
    let got = ctx.src.backend.get(source, None).await?;
    let part_size = ranges::part_size(ctx, source, &got.meta).await;
    let reader = VerifyingReader::new(
        got.body,
        got.meta.size,
        got.meta.etag.clone().filter(|_| got.meta.etag_is_md5()),
        part_size,
        ctx.progress.clone(),
        ctx.src.backend.address(source),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_keep_the_extension() {
        assert_eq!(
            numbered(&ObjectKey::new("a/b.txt"), 1).as_str(),
            "a/b (1).txt"
        );
        assert_eq!(numbered(&ObjectKey::new("noext"), 2).as_str(), "noext (2)");
        assert_eq!(
            numbered(&ObjectKey::new(".hidden"), 1).as_str(),
            ".hidden (1)"
        );
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..10 {
            let d = backoff(attempt);
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(250 << 6));
        }
    }
}
