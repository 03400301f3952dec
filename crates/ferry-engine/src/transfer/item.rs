//! Carrying one item: conflict policy, transfer (server-side, resumable upload from a local
//! file, or verified stream), retries of temporary failures, and for a move the deletion of the
//! source once its copy is verified.

use std::sync::Arc;
use std::time::Duration;

use ferry_storage::{BackendExt, ErrorKind, ObjectKey, ObjectMeta, StorageError, WriteMode};

use super::conflict::{self, Decision};
use super::journal::{ItemRow, Journal, SyncRecord};
use super::progress::{Accounting, Meter};
use super::send::send;
use super::{ItemAction, ItemState, JobKind, JobOptions, sync};
use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// Writes an item tries before giving up on a destination where files keep appearing.
const LANDING_ROUNDS: u32 = 8;

/// Everything an item needs from its job.
pub(super) struct Ctx {
    pub src: Resolved,
    pub dst: Resolved,
    pub kind: JobKind,
    pub options: JobOptions,
    pub journal: Arc<Journal>,
    pub job: String,
    pub progress: Arc<Accounting>,
    /// Parts of one file in flight at once.
    pub part_concurrency: usize,
    /// Range size for parallel downloads when the upload's part size is unknown.
    pub range_size: u64,
    /// Shared by every part buffer of every job of the process ([`super::Runner`]).
    pub memory: ferry_storage::MemoryBudget,
    /// The day key templates name: the job's, so a resumed job plans the keys it planned.
    pub date: jiff::civil::Date,
    /// Source and destination are one store (a file could be its own destination).
    pub same_store: bool,
    /// An edit job's store, which changes objects in place.
    pub editor: Option<ferry_storage::S3Backend>,
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

pub(super) async fn execute(ctx: &Ctx, item: &ItemRow, meter: &Meter) -> Done {
    let label = item_label(item);
    let mut attempt = 0;
    // The conflict decision is made once: a failed attempt may already have written the
    // destination, which a second look must not mistake for someone else's file.
    // Across retries and crashes too: the journal keeps the decision.
    let mut decided: Option<Decision> = ctx
        .journal
        .claimed(&ctx.job, item.seq)
        .ok()
        .flatten()
        .map(|claim| claim.map(|(key, mode)| (ObjectKey::new(key), mode)));
    if let Some(why) = changed_since_review(ctx, item, decided.as_ref()).await {
        return Done {
            state: ItemState::Skipped,
            bytes: 0,
            error: Some(why),
        };
    }
    loop {
        attempt += 1;
        let result = match item.action {
            ItemAction::Copy | ItemAction::Update | ItemAction::Link => {
                carry(ctx, item, &mut decided, meter).await
            }
            ItemAction::Delete => delete(ctx, item).await,
            ItemAction::Edit => edit(ctx, item, meter).await,
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
                let mut error = left_alone(ctx, item, state);
                if let (ItemState::Done, true, Some(Some((written, _)))) =
                    (state, ctx.options.gunzip, &decided)
                    && matches!(item.action, ItemAction::Copy | ItemAction::Update)
                {
                    let modified = item.modified.as_deref().and_then(|t| t.parse().ok());
                    let source = ObjectKey::new(&item.source_key);
                    error = super::gunzip::restore(ctx, &source, written, modified).await;
                }
                break Done {
                    state,
                    bytes,
                    error,
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
    }
}

/// Why a reviewed job leaves this update or delete alone: the destination is no longer what
/// the person reviewing the plan saw. A delete whose file is already gone has nothing left to
/// do (an earlier attempt may have deleted it) and is not held back; nor is an update whose
/// destination went (writing it loses nothing), nor one whose destination is this item's own
/// earlier write (an attempt that wrote and then failed, or a job resumed after a crash). A
/// look that fails holds the item back too.
async fn changed_since_review(
    ctx: &Ctx,
    item: &ItemRow,
    decided: Option<&Decision>,
) -> Option<String> {
    let expected = item.expected.as_deref()?;
    if !ctx.options.reviewed || !matches!(item.action, ItemAction::Update | ItemAction::Delete) {
        return None;
    }
    let key = ObjectKey::new(&item.dest_key);
    let own = async {
        match decided {
            Some(Some((written, _))) if *written == key => {
                let source = ObjectKey::new(&item.source_key);
                conflict::is_own_write(ctx, item, &source, &key)
                    .await
                    .unwrap_or(false)
            }
            _ => false,
        }
    };
    match ctx.dst.backend.try_stat(&key).await {
        Ok(Some(meta)) if super::sync::is_version(&meta, expected) => None,
        Ok(Some(_)) if own.await => None,
        Ok(Some(_)) => Some(format!(
            "{key} changed since the plan was reviewed; it was left as it is (compare again to review it)"
        )),
        Ok(None) => None,
        Err(e) => Some(format!(
            "{key} could not be checked against the reviewed plan ({e}); it was left as it is"
        )),
    }
}

/// Why an item was skipped, where the plan did not say it would be: the workspace never
/// replaces a file; or, in a reviewed job, a file appeared at a new file's destination after
/// the review (it is not replaced unseen), or the conflict rule kept the destination's.
fn left_alone(ctx: &Ctx, item: &ItemRow, state: ItemState) -> Option<String> {
    if state != ItemState::Skipped {
        return None;
    }
    let carries = matches!(item.action, ItemAction::Copy | ItemAction::Update);
    if ctx.options.keep_existing && carries {
        return Some(format!(
            "{} is already there and was kept: this workspace never replaces a file (file_overwrite: false)",
            item.dest_key
        ));
    }
    if !ctx.options.reviewed {
        return None;
    }
    Some(match (&item.note, item.action) {
        (Some(_), _) => format!(
            "{}: the conflict rule kept the destination's",
            item.dest_key
        ),
        (None, ItemAction::Copy | ItemAction::Link) => format!(
            "{}: a file appeared there after the review; it was left as it is (compare again to review it)",
            item.dest_key
        ),
        _ => return None,
    })
}

/// Records an item cancelled by the user, aborting the multipart upload it may have open. One
/// the server will not abort stays recorded: `ferry jobs cancel` tries it again.
pub(super) async fn cancelled(ctx: &Ctx, item: &ItemRow) -> Done {
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
    Done {
        state: ItemState::Skipped,
        bytes: 0,
        error: Some(error),
    }
}

pub(super) fn item_label(item: &ItemRow) -> String {
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

async fn delete(ctx: &Ctx, item: &ItemRow) -> Result<(ItemState, u64)> {
    let key = ObjectKey::new(&item.dest_key);
    let failures = ctx
        .dst
        .backend
        .delete_many(std::slice::from_ref(&key))
        .await?;
    if let Some(f) = failures.into_iter().next() {
        return Err(StorageError::new(ErrorKind::AccessDenied, f.message).into());
    }
    if ctx.kind == JobKind::Sync {
        let (journal, at) = (
            ctx.journal.clone(),
            ctx.dst.backend.identity(&key).to_string(),
        );
        blocking(move || journal.forget_synced(&at)).await?;
    }
    Ok((ItemState::Done, 0))
}

/// Changes one object's properties in place, as the job's edit says; the store checks the
/// object reads back as edited, with the bytes it had.
async fn edit(ctx: &Ctx, item: &ItemRow, meter: &Meter) -> Result<(ItemState, u64)> {
    let (Some(store), Some(edit)) = (&ctx.editor, &ctx.options.edit) else {
        return Err(Error::Invalid(
            "an edit job without an edit or an S3 store".into(),
        ));
    };
    store
        .edit_properties(&ObjectKey::new(&item.dest_key), edit)
        .await?;
    meter.advance(item.size);
    Ok((ItemState::Done, item.size))
}

/// What an item puts at its destination.
enum Payload {
    /// The source file's bytes.
    File,
    /// A symbolic link to this target (a move between local folders).
    Link(String),
}

/// Carries one item: decides (once, recorded) where it goes and whether it may replace what is
/// there, writes it — a write that may only create loses to a file that appeared meanwhile,
/// and the decision is then made again — verifies it, and for a move deletes the source.
async fn carry(
    ctx: &Ctx,
    item: &ItemRow,
    decided: &mut Option<Decision>,
    meter: &Meter,
) -> Result<(ItemState, u64)> {
    let source = ObjectKey::new(&item.source_key);
    let planned = ObjectKey::new(&item.dest_key);
    if ctx.same_store && ctx.src.backend.identity(&source) == ctx.dst.backend.identity(&planned) {
        return Err(Error::Overlap(
            "the source and the destination are the same file".into(),
        ));
    }
    let payload = match item.action {
        ItemAction::Link => {
            let meta = ctx.src.backend.stat(&source).await?;
            let target = meta.link_target.ok_or_else(|| {
                Error::Invalid(format!(
                    "{source} is no longer a symbolic link; it was left in place"
                ))
            })?;
            Payload::Link(target)
        }
        _ => Payload::File,
    };
    let modified = item.modified.as_deref().and_then(|t| t.parse().ok());
    // A move killed between deleting its source and recording the item as done resumes here:
    // the copy was verified before the source went.
    let copied = ctx.kind == JobKind::Move && ctx.journal.is_copied(&ctx.job, item.seq)?;
    // A decision made by an earlier attempt may already have been carried out by it.
    let mut earlier = decided.is_some();
    let mut written = None;
    for _ in 0..LANDING_ROUNDS {
        let decision = match decided.clone() {
            Some(decision) => decision,
            None => {
                let decision = conflict::decide(ctx, item, &planned, modified).await?;
                let claim = decision.as_ref().map(|(k, m)| (k.as_str(), *m));
                ctx.journal.claim(&ctx.job, item.seq, claim)?;
                *decided = Some(decision.clone());
                decision
            }
        };
        let Some((destination, mode)) = decision else {
            return Ok((ItemState::Skipped, 0));
        };
        // The copy a crashed move made is still there: only the source's removal is left.
        if copied && ctx.dst.backend.try_stat(&destination).await?.is_some() {
            written = Some((destination, None));
            break;
        }
        let outcome = match &payload {
            Payload::File => send(ctx, item, &source, &destination, modified, mode, meter)
                .await
                .map(Some),
            Payload::Link(target) => ctx
                .dst
                .backend
                .put_link(&destination, target, mode)
                .await
                .map(|()| None)
                .map_err(Error::from),
        };
        match outcome {
            Ok(meta) => {
                written = Some((destination, meta));
                break;
            }
            Err(e) if mode == WriteMode::Create && conflict::is_taken(&e) => {
                if earlier && conflict::is_own_write(ctx, item, &source, &destination).await? {
                    meter.advance(item.size);
                    let meta = ctx.dst.backend.stat(&destination).await?;
                    written = Some((destination, Some(meta)));
                    break;
                }
                // Someone else's file appeared there: decide again, with it there.
                *decided = None;
                earlier = false;
            }
            Err(e) => return Err(e),
        }
    }
    let Some((destination, meta)) = written else {
        return Err(StorageError::new(
            ErrorKind::AlreadyExists,
            format!("{planned}: files kept appearing at the destination; nothing was replaced"),
        )
        .into());
    };
    if let Some(meta) = &meta
        && meta.size != item.size
        && !ctx.options.upload.gzip()
    {
        return Err(StorageError::new(
            ErrorKind::Corrupt,
            format!(
                "verification failed: {destination} has {} bytes, the source {}; the source was kept",
                meta.size, item.size
            ),
        )
        .into());
    }
    if let (Some(meta), Some(version), true) = (&meta, &item.version, destination == planned) {
        remember_sync(ctx, &source, &destination, version, meta).await?;
    }
    if ctx.kind == JobKind::Move {
        ctx.journal.mark_copied(&ctx.job, item.seq)?;
        source_unchanged(ctx, item, &source, &destination).await?;
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

/// A move deletes its source only as it was listed: one changed meanwhile (edited while the
/// move ran) holds work the copy does not, and is kept.
async fn source_unchanged(
    ctx: &Ctx,
    item: &ItemRow,
    source: &ObjectKey,
    destination: &ObjectKey,
) -> Result<()> {
    let Some(now) = ctx.src.backend.try_stat(source).await? else {
        return Ok(());
    };
    let listed: Option<jiff::Timestamp> = item.modified.as_deref().and_then(|t| t.parse().ok());
    // To the second: a listing gives milliseconds, a HEAD's Last-Modified whole seconds.
    let same_time = match (listed, now.last_modified) {
        (Some(a), Some(b)) => a.as_second() == b.as_second(),
        (None, _) => true,
        (Some(_), None) => false,
    };
    if now.size == item.size && same_time {
        return Ok(());
    }
    Err(StorageError::new(
        ErrorKind::Corrupt,
        format!(
            "{source} changed while it was being moved ({} bytes now, {} when listed); it was \
             kept, and {destination} holds the version from before",
            now.size, item.size
        ),
    )
    .into())
}

/// Records what a sync wrote, and from which version of the source, so that the next sync can
/// tell a file changed on both sides from one changed on one.
async fn remember_sync(
    ctx: &Ctx,
    source: &ObjectKey,
    destination: &ObjectKey,
    version: &str,
    written: &ObjectMeta,
) -> Result<()> {
    let at = ctx.dst.backend.identity(destination).to_string();
    let record = SyncRecord {
        source: ctx.src.backend.identity(source).to_string(),
        source_version: version.to_string(),
        destination_version: sync::version(written),
    };
    let journal = ctx.journal.clone();
    blocking(move || journal.record_synced(&at, &record)).await
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Journal(e.to_string()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_bounded() {
        for attempt in 1..10 {
            let d = backoff(attempt);
            assert!(d >= Duration::from_millis(50) && d <= Duration::from_millis(250 << 6));
        }
    }
}
