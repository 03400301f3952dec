//! Running a job: plan into the journal while executing what is planned, with bounded
//! concurrency; a job interrupted by a crash continues from the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use ferry_storage::ObjectKey;
use futures::StreamExt;
use serde::Serialize;
use tokio::sync::mpsc;

use super::control::JobControl;
use super::item::{self, Ctx};
use super::journal::{ItemRow, JobRow, Journal, Tally};
pub use super::plan::Source;
use super::plan::{self, PlanSummary, PlannedAction, Sink};
use super::progress::{Accounting, End};
use super::{ItemAction, ItemState, JobKind, JobState};
use crate::Engine;
use crate::error::{Error, ErrorCode, Result};

#[derive(Debug, Clone, Serialize)]
pub struct JobReport {
    pub id: String,
    pub kind: JobKind,
    pub source: String,
    pub destination: String,
    pub state: JobState,
    pub tally: Tally,
    pub plan: PlanSummary,
    pub seconds: f64,
    pub failures: Vec<ItemRow>,
    /// Items the plan decided not to carry, each with its reason (symbolic links not followed,
    /// items that would land inside their source).
    pub skipped: Vec<ItemRow>,
    /// Multipart uploads the server would not abort, which still hold parts there (and cost);
    /// `ferry jobs cancel` aborts them, `ferry jobs retry` continues a failed item's.
    pub kept_uploads: usize,
    /// Report files written (migrate).
    pub report_files: Vec<PathBuf>,
    /// What the job did after its files (a settings file it set to the new storage).
    pub note: Option<String>,
    /// Files carried with something to say (a `.gz` kept as downloaded, with why).
    pub notes: Vec<ItemRow>,
}

/// Holds a job's lock file for as long as it runs; the OS drops the lock when the process dies,
/// which is how an interrupted job is told from a running one.
pub struct JobLock {
    _file: std::fs::File,
}

pub fn try_lock(locks: &Path, id: &str) -> Result<Option<JobLock>> {
    super::journal::private_dir(locks)
        .map_err(|e| Error::Journal(format!("could not create {}: {e}", locks.display())))?;
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(0o600)
        .open(locks.join(format!("{id}.lock")))
        .map_err(|e| Error::Journal(format!("could not open the lock of job {id}: {e}")))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(JobLock { _file: file })),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => {
            Err(Error::Journal(format!("could not lock job {id}: {e}")))
        }
    }
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Journal(e.to_string()))?
}

pub async fn run_job(
    engine: &Engine,
    id: &str,
    progress: Arc<Accounting>,
    control: JobControl,
) -> Result<JobReport> {
    let journal = engine.journal()?;
    let job = journal.job(id)?.ok_or_else(|| Error::no_job(id))?;
    if job.state.is_finished() {
        return Err(Error::Refused {
            message: format!("job {id} already ended ({:?})", job.state),
            code: ErrorCode::Config,
            hint: "The job is not in a state for that.",
            remedy: crate::error::Remedy::RetryJob { job: id.into() },
        });
    }
    let _lock = try_lock(&engine.locks_dir(), id)?
        .ok_or_else(|| Error::Invalid(format!("job {id} is running in another process")))?;
    let started = Instant::now();
    let Ends {
        src,
        dst,
        source,
        editor,
    } = ends(
        engine,
        job.kind,
        &job.source,
        &job.destination,
        &job.options,
    )
    .await?;
    check_pins(&job, &src, &source, &dst)?;
    journal.set_state(id, JobState::Running, None)?;
    // What earlier runs ended counts too: the figures are the whole job's, as its tally is.
    progress.seed(&journal.tally(id)?);

    let runner = engine.runner().clone();
    let same_store = same_store(&src, &dst);
    let ctx = Arc::new(Ctx {
        src,
        dst,
        kind: job.kind,
        options: job.options.clone(),
        journal: journal.clone(),
        job: id.to_string(),
        progress: progress.clone(),
        part_concurrency: engine.settings().transfer.part_concurrency as usize,
        range_size: u64::from(engine.settings().transfer.part_size_mib) * 1024 * 1024,
        memory: runner.memory(),
        date: job_date(&job),
        same_store,
        editor,
    });
    let (src, dst) = (&ctx.src, &ctx.dst);
    let (tx, rx) = mpsc::channel::<ItemRow>(512);
    let folding = dst.backend.name_folding(&dst.key, true).await?;
    let mut sink = Sink::new(
        Some((journal.clone(), id.to_string())),
        Some(tx),
        progress.clone(),
    )
    .with_folding(folding);
    let planner = plan_job(&job, &ctx, &source, &mut sink);
    let concurrency = engine.settings().transfer.concurrency.max(1) as usize;
    // Every item task holds a sender: when all are gone, no item can still be starting a
    // multipart upload that a cancel's clean-up would miss.
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    let executor = tokio_stream_of(rx)
        .map(|item| {
            let (ctx, control, runner) = (ctx.clone(), control.clone(), runner.clone());
            let alive = alive.clone();
            // Each item is a task of its own, so items of one job (and of several) run on
            // every worker thread, not all inside the one task that polls this stream.
            let task = tokio::spawn(async move {
                let _alive = alive;
                run_item(&ctx, &control, &runner, item).await
            });
            // Dropping the job (cancelled, or its caller gone) ends its items too.
            let task = AbortOnDrop(task);
            async move { task.join().await }
        })
        .buffer_unordered(concurrency)
        .fold(Ok(()), |acc: Result<()>, r| async move { acc.and(r) });

    let outcome = tokio::select! {
        (planned, executed) = async { futures::join!(planner, executor) } => Some((planned, executed)),
        () = control.cancelled() => None,
    };
    let summary = sink.summary.clone();
    drop(sink);
    drop(alive);
    let Some((planned, executed)) = outcome else {
        // The items were aborted with the executor; wait until each has let go.
        while all_ended.recv().await.is_some() {}
        let aborted = cancel_uploads(&journal, dst, id).await;
        journal.set_state(id, JobState::Cancelled, Some("cancelled"))?;
        aborted?;
        return report(
            engine,
            &journal,
            &job,
            JobState::Cancelled,
            summary,
            started,
        )
        .await;
    };
    executed?;
    end_set_aside(&journal, dst, id).await;
    let state = match &planned {
        Err(e) => {
            journal.set_state(id, JobState::Failed, Some(&e.to_string()))?;
            return Err(planned
                .err()
                .unwrap_or_else(|| Error::Invalid("planning failed".into())));
        }
        Ok(source) => {
            journal.set_listed(id)?;
            let tally = journal.tally(id)?;
            if tally.failed > 0 {
                JobState::CompletedWithErrors
            } else {
                if job.kind == JobKind::Move
                    && let Source::Folder(folder) = source
                {
                    remove_moved_folder(src, folder).await?;
                }
                JobState::Completed
            }
        }
    };
    if state == JobState::Completed
        && let Some(rewrite) = &job.options.after
    {
        // Only a job that carried every file (none skipped, as a link is) makes the settings
        // file point at the new place.
        let tally = journal.tally(id)?;
        let done = if tally.skipped > 0 {
            Err(Error::Invalid(format!(
                "{} was left as it is: {} file(s) were skipped, so the new place does not hold every plan",
                rewrite.file.display(),
                tally.skipped
            )))
        } else {
            match all_arrived(&ctx).await {
                Ok(()) => crate::import::storage_move::finish(rewrite),
                Err(why) => Err(Error::Invalid(format!(
                    "{} was left as it is: {why}",
                    rewrite.file.display()
                ))),
            }
        };
        match done {
            Ok(note) => journal.set_note(id, &note)?,
            Err(e) => {
                journal.set_note(id, &e.to_string())?;
                journal.set_state(id, JobState::CompletedWithErrors, Some(&e.to_string()))?;
                return report(
                    engine,
                    &journal,
                    &job,
                    JobState::CompletedWithErrors,
                    summary,
                    started,
                )
                .await;
            }
        }
    }
    journal.set_state(id, state, None)?;
    report(engine, &journal, &job, state, summary, started).await
}

/// Whether every file the source holds now (listed again: one saved while the job ran counts)
/// is at the destination with its size; a source with no file at all is not taken for a
/// finished move (a prefix read wrongly would look like one).
async fn all_arrived(ctx: &Ctx) -> std::result::Result<(), String> {
    use ferry_storage::BackendExt;
    let (src, dst) = (&ctx.src, &ctx.dst);
    let entries = src
        .backend
        .list_collect(&src.key, true)
        .await
        .map_err(|e| format!("the source could not be listed again ({e})"))?;
    let mut files = 0;
    for entry in entries {
        let ferry_storage::Entry::Object(meta) = entry else {
            continue;
        };
        if meta.key.is_folder() || meta.link_target.is_some() {
            continue;
        }
        files += 1;
        let rel = meta.key.strip_prefix(&src.key).unwrap_or(meta.key.as_str());
        let there = dst
            .backend
            .try_stat(&dst.key.concat(rel))
            .await
            .map_err(|e| format!("{rel} could not be checked at the destination ({e})"))?;
        if there.map(|m| m.size) != Some(meta.size) {
            return Err(format!(
                "{rel} is not at the destination as it is at the source (saved while the move ran?); move again"
            ));
        }
    }
    if files == 0 {
        return Err(format!(
            "no files were found at {} (if the plans are there, check the file's prefix)",
            src.backend.describe()
        ));
    }
    Ok(())
}

/// One item, as a task of its own: waits while its job is paused and for a file slot (a pause
/// that comes while it waits is honoured, a cancel of the item is heard), carries it, records
/// it in the journal, and counts it as recorded.
async fn run_item(
    ctx: &Ctx,
    control: &JobControl,
    runner: &super::Runner,
    item: ItemRow,
) -> Result<()> {
    let slot = loop {
        control.wait_while_paused().await;
        // A job cancelled while paused wakes its waiting items: they stop here, pending in the
        // journal as an aborted item is, never taking a slot they would only give back (taking
        // a free slot does not yield, so that loop would spin and keep the task from its abort).
        if control.is_cancelled() {
            return Ok(());
        }
        let slot = tokio::select! {
            slot = runner.file_slot(&ctx.job) => Some(slot),
            () = control.item_cancelled(item.seq) => None,
        };
        match slot {
            // Paused while it waited: the slot goes back to the other jobs.
            Some(_) if control.is_paused() => continue,
            slot => break slot,
        }
    };
    let watch = ctx.progress.started(&item::item_label(&item));
    let done = match slot {
        Some(_) if !control.is_item_cancelled(item.seq) => tokio::select! {
            done = item::execute(ctx, &item, watch.meter()) => done,
            () = control.item_cancelled(item.seq) => item::cancelled(ctx, &item).await,
        },
        _ => item::cancelled(ctx, &item).await,
    };
    let (journal, job, seq) = (ctx.journal.clone(), ctx.job.clone(), item.seq);
    let error = done.error.clone();
    blocking(move || journal.finish_item(&job, seq, done.state, done.bytes, error.as_deref()))
        .await?;
    // Counted as the journal now records it: live figures and the tally agree.
    let shown = done
        .error
        .as_deref()
        .filter(|_| done.state == ItemState::Failed);
    watch.ended(End {
        counts: item.action != ItemAction::Delete,
        state: done.state,
        size: item.size,
        bytes: done.bytes,
        error: shown.map(|e| e.lines().next().unwrap_or(e)),
    });
    drop(slot);
    Ok(())
}

/// A spawned item, aborted when whoever waits for it lets go: a job's items never outlive it.
struct AbortOnDrop(tokio::task::JoinHandle<Result<()>>);

impl AbortOnDrop {
    async fn join(mut self) -> Result<()> {
        match (&mut self.0).await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::Journal(format!("an item's task ended early: {e}"))),
        }
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn tokio_stream_of(mut rx: mpsc::Receiver<ItemRow>) -> impl futures::Stream<Item = ItemRow> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

/// Sends what the journal already holds (a resumed job), then plans what it does not. Where
/// two sources could land on one destination (a destination folding names, the rename policy)
/// the whole plan is made and its collisions refused before anything is sent. The executor's
/// queue ends when this lets go of it, on every path.
async fn plan_job<'s>(
    job: &JobRow,
    ctx: &Ctx,
    source: &'s Source,
    sink: &mut Sink,
) -> Result<&'s Source> {
    let result = plan_and_send(job, ctx, source, sink).await;
    sink.tx = None;
    ctx.progress.counted();
    result.map(|()| source)
}

async fn plan_and_send(job: &JobRow, ctx: &Ctx, source: &Source, sink: &mut Sink) -> Result<()> {
    // A limit on deletes is checked on the whole plan, before anything is sent.
    let hold = !sink.folding().is_exact()
        || job.options.conflict == crate::settings::ConflictPolicy::Rename
        || job.options.max_deletes.is_some()
        || job.options.upload.max_file_size.is_some();
    let tx = if hold { sink.tx.take() } else { None };
    if !hold {
        send_pending(job, ctx, sink.tx.as_ref()).await?;
    }
    if !job.listed {
        plan_into(job.kind, ctx, source, sink).await?;
        sink.refuse_collisions(&ctx.dst.backend.describe()).await?;
    }
    if job.options.upload.max_file_size.is_some() {
        let (journal, id) = (ctx.journal.clone(), job.id.clone());
        let pending = blocking(move || journal.pending_items(&id)).await?;
        super::policy::check_sizes(
            &job.options,
            pending
                .iter()
                .filter(|i| i.action != ItemAction::Delete)
                .map(|i| (i.source_key.as_str(), i.size)),
        )?;
    }
    if let Some(max) = job.options.max_deletes {
        let (journal, id) = (ctx.journal.clone(), job.id.clone());
        let pending = blocking(move || journal.pending_items(&id)).await?;
        let deletes = pending
            .iter()
            .filter(|i| i.action == ItemAction::Delete)
            .count() as u64;
        if deletes > max {
            return Err(Error::Invalid(format!(
                "this sync would delete {deletes} files, more than its max_deletes ({max}); \
                 nothing was changed: review the plan first, or raise the limit"
            )));
        }
    }
    if hold {
        sink.tx = tx;
        send_pending(job, ctx, sink.tx.as_ref()).await?;
    }
    Ok(())
}

/// Sends the job's pending items to the executor, counting them in the totals.
async fn send_pending(job: &JobRow, ctx: &Ctx, tx: Option<&mpsc::Sender<ItemRow>>) -> Result<()> {
    let Some(tx) = tx else {
        return Ok(());
    };
    let journal = ctx.journal.clone();
    let id = job.id.clone();
    let pending = blocking(move || journal.pending_items(&id)).await?;
    for item in pending {
        if item.action != ItemAction::Delete {
            ctx.progress.add_total(1, item.size);
        }
        if tx.send(item).await.is_err() {
            break;
        }
    }
    Ok(())
}

async fn plan_into(kind: JobKind, ctx: &Ctx, source: &Source, sink: &mut Sink) -> Result<()> {
    match (kind, source) {
        (JobKind::Sync | JobKind::Migrate, Source::Folder(folder)) => {
            plan::plan_sync(ctx, folder, sink).await
        }
        (JobKind::Sync | JobKind::Migrate, Source::One(_)) => Err(Error::Invalid(
            "sync and migrate work on folders; use `ferry cp` for one file".into(),
        )),
        (JobKind::Edit, _) => plan::plan_edit(ctx, source, sink).await,
        _ => plan::plan_copy(ctx, source, sink).await,
    }
}

/// Where a job reads and writes, resolved and checked.
pub struct Ends {
    pub src: crate::workspace::Resolved,
    pub dst: crate::workspace::Resolved,
    pub source: Source,
    /// An edit job's store, which changes objects in place.
    pub editor: Option<ferry_storage::S3Backend>,
}

/// Resolves a job's source and destination as it will take them, and refuses, before anything
/// is written, what must not run: a source that does not exist, a move that would follow
/// links or take all of `/`, places that overlap ([`super::overlap::check`]), a key template
/// that would merge files or write outside the destination. Jobs check this when they are
/// made, again when they run (a workspace may have changed), and dry runs too.
pub async fn ends(
    engine: &Engine,
    kind: JobKind,
    source: &crate::workspace::Location,
    destination: &crate::workspace::Location,
    options: &super::JobOptions,
) -> Result<Ends> {
    if kind == JobKind::Move && options.follow_links {
        return Err(Error::Invalid(
            "a move does not follow symbolic links: deleting what it moved would delete what \
             the links point to; copy with --follow-links, then remove the source"
                .into(),
        ));
    }
    // A bad pattern is named before anything is listed.
    options.filters.compile()?;
    let src = match &options.source_version {
        Some(version) => engine.version_source(kind, source, version).await?,
        None => {
            engine
                .resolve_with(source, kind.source_links(options))
                .await?
        }
    };
    let dst = engine.resolve(destination).await?;
    if options.gunzip {
        if !matches!(kind, JobKind::Copy | JobKind::Move) {
            return Err(Error::Invalid(
                "--gunzip unpacks what a copy or a move downloads".into(),
            ));
        }
        let on_this_computer = match &destination.place {
            crate::workspace::Place::Local(_) => true,
            crate::workspace::Place::Workspace(id) => matches!(
                engine.workspace(id).map(|w| &w.storage),
                Ok(crate::settings::Storage::Local(_))
            ),
        };
        if !on_this_computer {
            return Err(Error::Invalid(format!(
                "--gunzip unpacks downloads into a folder on this computer; {} is not one",
                destination.display()
            )));
        }
        if options.upload.gzip() {
            return Err(Error::Invalid(
                "--gunzip and --gzip undo each other: choose one".into(),
            ));
        }
    }
    let editor = match kind {
        JobKind::Edit => Some(engine.edit_store(source, destination, options).await?),
        _ => None,
    };
    let from = plan::source(&src, options, kind).await?;
    if kind == JobKind::Move && crate::browse::is_filesystem_root(&src) {
        return Err(Error::Invalid(
            "refusing to move / (everything on this computer)".into(),
        ));
    }
    super::overlap::check(
        kind,
        &src,
        &from,
        &dst,
        (&source.display(), &destination.display()),
    )?;
    if let Some(template) = &options.upload.key_template {
        plan::check_template(template, matches!(from, Source::Folder(_)))?;
        plan::check_template_within(template, &dst.key)?;
    }
    Ok(Ends {
        src,
        dst,
        source: from,
        editor,
    })
}

/// Refuses to run a job whose workspaces now resolve elsewhere than when it was made: a resume
/// must never write into a place the user did not choose.
fn check_pins(
    job: &JobRow,
    src: &crate::workspace::Resolved,
    source: &Source,
    dst: &crate::workspace::Resolved,
) -> Result<()> {
    let Some(pinned) = &job.pins else {
        return Ok(());
    };
    let now = super::Pins::of(src, source, dst);
    for (side, then, now, named) in [
        ("source", &pinned.source, &now.source, &job.source),
        (
            "destination",
            &pinned.destination,
            &now.destination,
            &job.destination,
        ),
    ] {
        if then.store != now.store || then.path != now.path {
            return Err(Error::Repointed {
                job: job.id.clone(),
                message: format!(
                    "job {} was made for its {side} {} at {then}, which is now {now}; it was not \
                     resumed, so nothing is written where you did not choose",
                    job.id,
                    named.display()
                ),
            });
        }
    }
    Ok(())
}

/// The day the job was made (UTC), which key templates name.
fn job_date(job: &JobRow) -> jiff::civil::Date {
    job.created
        .parse::<jiff::Timestamp>()
        .unwrap_or_else(|_| jiff::Timestamp::now())
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
}

/// Whether source and destination are one store, where a file could be its own destination.
fn same_store(src: &crate::workspace::Resolved, dst: &crate::workspace::Resolved) -> bool {
    src.backend.identity(&ObjectKey::root()).store == dst.backend.identity(&ObjectKey::root()).store
}

/// What a dry run found: the plan's counts and every action.
#[derive(Debug, Clone, Serialize)]
pub struct DryRun {
    #[serde(flatten)]
    pub summary: PlanSummary,
    pub actions: Vec<PlannedAction>,
    /// The items behind the actions (both of two colliding items are among them).
    #[serde(skip)]
    pub items: Vec<super::journal::NewItem>,
}

/// Plans without recording or sending anything: what a job would do, action by action. The
/// same checks as a job's refuse first (overlap, key templates).
pub async fn dry_run(engine: &Engine, job: &JobRow) -> Result<DryRun> {
    let job = &JobRow {
        options: super::policy::apply(
            engine,
            job.kind,
            &job.source,
            &job.destination,
            &job.options,
        ),
        ..job.clone()
    };
    let Ends {
        src,
        dst,
        source,
        editor,
    } = ends(
        engine,
        job.kind,
        &job.source,
        &job.destination,
        &job.options,
    )
    .await?;
    let progress = Arc::new(Accounting::default());
    let same_store = same_store(&src, &dst);
    let ctx = Ctx {
        src,
        dst,
        kind: job.kind,
        options: job.options.clone(),
        journal: engine.journal()?,
        job: job.id.clone(),
        progress: progress.clone(),
        part_concurrency: 1,
        range_size: 0,
        memory: ferry_storage::MemoryBudget::new(1),
        date: job_date(job),
        same_store,
        editor,
    };
    // A dry run changes nothing: how names compare is asked without a probe file.
    let folding = ctx.dst.backend.name_folding(&ctx.dst.key, false).await?;
    let mut sink = Sink::new(None, None, progress).with_folding(folding);
    plan_into(job.kind, &ctx, &source, &mut sink).await?;
    super::policy::check_sizes(
        &job.options,
        sink.items
            .iter()
            .filter(|i| i.action != ItemAction::Delete && i.state == ItemState::Pending)
            .map(|i| (i.source_key.as_str(), i.size)),
    )?;
    Ok(DryRun {
        summary: sink.summary,
        actions: sink.actions,
        items: sink.items,
    })
}

/// Removes what a move emptied: the source's empty folders, and the source folder itself
/// unless it is a workspace's root (a bare local folder named by the user goes, as `mv` does).
async fn remove_moved_folder(src: &crate::workspace::Resolved, folder: &ObjectKey) -> Result<()> {
    crate::browse::remove_empty_folders(src.backend.as_ref(), folder).await?;
    if !folder.is_root() || src.workspace.is_none() {
        src.backend
            .delete_many(std::slice::from_ref(folder))
            .await?;
    }
    Ok(())
}

/// Tries again to abort the uploads the job's items set aside (the server would not abort them
/// then); one still refused stays kept and is shown with the job.
async fn end_set_aside(journal: &Journal, dst: &crate::workspace::Resolved, id: &str) {
    for (key, upload_id) in journal.set_aside_uploads(id).unwrap_or_default() {
        match dst
            .backend
            .abort_upload(&ObjectKey::new(&key), &upload_id)
            .await
        {
            Ok(()) => {
                if let Err(e) = journal.forget_upload_id(id, &upload_id) {
                    tracing::warn!(error = %e, "could not record an aborted upload");
                }
            }
            Err(e) => tracing::warn!(key, error = %e, "an upload set aside is still refused"),
        }
    }
}

/// Aborts the job's open multipart uploads. One the server will not abort stays recorded, so a
/// later cancel tries it again, and comes back as the error.
async fn cancel_uploads(
    journal: &Journal,
    dst: &crate::workspace::Resolved,
    id: &str,
) -> Result<()> {
    let mut refused = Vec::new();
    for (key, upload_id) in journal.open_uploads(id)? {
        match dst
            .backend
            .abort_upload(&ObjectKey::new(&key), &upload_id)
            .await
        {
            Ok(()) => journal.forget_upload_id(id, &upload_id)?,
            Err(e) => refused.push(e.to_string()),
        }
    }
    match refused.first() {
        None => Ok(()),
        Some(first) => Err(Error::Refused {
            message: format!(
                "{} multipart upload(s) of job {id} could not be aborted and still hold their \
                 parts on the server ({first}); cancelling the job again tries again",
                refused.len()
            ),
            code: ErrorCode::Failed,
            hint: "Their parts take space (and cost) on the server until they are aborted; try again once the server allows it.",
            remedy: crate::error::Remedy::CancelJob { job: id.into() },
        }),
    }
}

/// Cancels a job that is not running: aborts its open multipart uploads (no hidden parts keep
/// costing money) and marks it cancelled, also when an abort is refused (that is the error).
/// On a job whose items failed this is giving up on them; a job that ended well stays as it was
/// (only the uploads it kept are aborted). Files already carried stay. Returns the job's state.
pub async fn cancel_job(engine: &Engine, id: &str) -> Result<JobState> {
    let journal = engine.journal()?;
    // Locked first: the state read below is then this process's to change.
    let _lock = try_lock(&engine.locks_dir(), id)?.ok_or_else(|| {
        Error::Invalid(format!(
            "job {id} is running in another process; stop it there (Ctrl-C)"
        ))
    })?;
    let job = journal.job(id)?.ok_or_else(|| Error::no_job(id))?;
    let dst = engine.resolve(&job.destination).await?;
    let aborted = cancel_uploads(&journal, &dst, id).await;
    let why = match (job.state, &job.error) {
        (JobState::Failed | JobState::CompletedWithErrors, Some(error)) => {
            Some(format!("given up after: {error}"))
        }
        (JobState::Failed | JobState::CompletedWithErrors, None) => {
            Some("given up after failures; what was carried stays".to_string())
        }
        (state, _) if !state.is_finished() => Some("cancelled".to_string()),
        _ => None,
    };
    let state = match why {
        Some(why) => {
            journal.set_state(id, JobState::Cancelled, Some(&why))?;
            JobState::Cancelled
        }
        None => job.state,
    };
    aborted.map(|()| state)
}

/// Queues the failed items of an ended job to run again; returns how many. Refuses a job that
/// has not ended or that another Ferry process is running, whose state is not this one's to set.
pub fn requeue_job(engine: &Engine, id: &str) -> Result<u64> {
    let journal = engine.journal()?;
    // Held while the state is read and changed: two retries at once cannot both pass.
    let _lock = try_lock(&engine.locks_dir(), id)?
        .ok_or_else(|| Error::Invalid(format!("job {id} is running in another Ferry process")))?;
    let job = journal.job(id)?.ok_or_else(|| Error::no_job(id))?;
    if !job.state.is_finished() {
        return Err(Error::Refused {
            message: format!("job {id} has not ended"),
            code: ErrorCode::Config,
            hint: "The job is not in a state for that.",
            remedy: crate::error::Remedy::ResumeJob { job: id.into() },
        });
    }
    let requeued = journal.requeue_failed(id)?;
    journal.set_state(id, JobState::Queued, None)?;
    Ok(requeued)
}

async fn report(
    engine: &Engine,
    journal: &Journal,
    job: &JobRow,
    state: JobState,
    plan: PlanSummary,
    started: Instant,
) -> Result<JobReport> {
    let mut report = JobReport {
        id: job.id.clone(),
        kind: job.kind,
        source: job.source.display(),
        destination: job.destination.display(),
        state,
        tally: journal.tally(&job.id)?,
        plan,
        seconds: started.elapsed().as_secs_f64(),
        failures: journal.failed_items(&job.id)?,
        skipped: journal.noted_skips(&job.id)?,
        kept_uploads: journal.open_uploads(&job.id)?.len(),
        report_files: Vec::new(),
        note: journal.job(&job.id)?.and_then(|j| j.note),
        notes: journal.noted_done(&job.id)?,
    };
    if job.kind == JobKind::Migrate {
        report.report_files = write_report(&engine.reports_dir(), &report)?;
    }
    Ok(report)
}

/// The migrate report, as JSON and as text, in the data dir.
fn write_report(dir: &Path, report: &JobReport) -> Result<Vec<PathBuf>> {
    let io = |e: std::io::Error| {
        Error::Journal(format!(
            "could not write the report in {}: {e}",
            dir.display()
        ))
    };
    super::journal::private_dir(dir).map_err(io)?;
    let stem = dir.join(format!("migrate-{}", report.id));
    let json = stem.with_extension("json");
    write_private(
        &json,
        serde_json::to_string_pretty(report).unwrap_or_default(),
    )
    .map_err(io)?;
    let mut text = format!(
        "Ferry migration {}\n{} → {}\nstate: {:?}\ncopied: {}\nskipped (already there): {}\nfailed: {}\nbytes: {}\nduration: {:.1} s\n",
        report.id,
        report.source,
        report.destination,
        report.state,
        report.tally.done,
        report.tally.skipped + report.plan.unchanged,
        report.tally.failed,
        report.tally.bytes_done,
        report.seconds
    );
    for item in &report.failures {
        text.push_str(&format!(
            "FAILED {}: {}\n",
            item.source_key,
            item.error.as_deref().unwrap_or("unknown error")
        ));
    }
    let txt = stem.with_extension("txt");
    write_private(&txt, text).map_err(io)?;
    Ok(vec![json, txt])
}

/// Writes a file only its owner can read: reports name every file a job touched.
fn write_private(path: &Path, text: String) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())
}

impl ItemState {
    pub fn is_final(self) -> bool {
        !matches!(self, ItemState::Pending)
    }
}
