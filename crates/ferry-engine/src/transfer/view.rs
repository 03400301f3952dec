//! A job as a person sees it — the transfer panel's row, the CLI's `jobs` line — built from the
//! one source of truth for each figure: the live [`Accounting`](super::Accounting) while the job
//! runs in this process, the journal's [`Tally`](super::Tally) once it rests.

use serde::Serialize;

use super::journal::JobRow;
use super::progress::Snapshot;
use super::{JobKind, JobState};
use crate::error::ErrorReport;
use crate::workspace::{Location, Place};
use crate::{Engine, JobSummary};

/// What a job is doing now: the journal's state, plus what only the running process knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for its turn: every file slot is taken by jobs ahead of it in the queue.
    Queued,
    Running,
    Paused,
    Completed,
    CompletedWithErrors,
    Failed,
    Cancelled,
    /// Stopped by a crash or a quit; can be resumed.
    Interrupted,
}

impl From<JobState> for JobStatus {
    fn from(state: JobState) -> Self {
        match state {
            JobState::Queued => JobStatus::Queued,
            JobState::Running => JobStatus::Running,
            JobState::Completed => JobStatus::Completed,
            JobState::CompletedWithErrors => JobStatus::CompletedWithErrors,
            JobState::Failed => JobStatus::Failed,
            JobState::Cancelled => JobStatus::Cancelled,
        }
    }
}

/// An item and what happened to it (a failure, or why the plan skipped it).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ItemNote {
    pub item: String,
    pub message: String,
}

/// A job as the transfer panel shows it; sent whole on every update.
///
/// Counts are `u64` here and numbers in TypeScript (`specta(type = u32)` changes only the
/// generated type): JSON carries them as numbers, exact up to 2^53.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct JobView {
    pub id: String,
    pub kind: JobKind,
    /// "Upload report.pdf", "Rename photos"…
    pub title: String,
    pub source: String,
    pub destination: String,
    pub status: JobStatus,
    /// Its place in the queue of running jobs (0: first), while it runs.
    pub position: Option<u32>,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files_done: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files_total: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files_failed: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files_skipped: u64,
    /// Still finding what to transfer: the totals are still growing.
    pub counting: bool,
    /// Bytes carried.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes_done: u64,
    /// Bytes of skipped files: settled, though not carried (a job that skipped everything is
    /// complete, its bar full).
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes_skipped: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes_total: u64,
    /// Bytes per second.
    pub speed: f64,
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub eta_seconds: Option<u64>,
    pub current: Vec<String>,
    pub failures: Vec<ItemNote>,
    /// Items the plan chose not to carry, with why (a symbolic link not followed).
    pub skipped: Vec<ItemNote>,
    pub error: Option<ErrorReport>,
    pub created: String,
    /// Workspace ids whose listings this job changes, so a front end can refresh them.
    pub touches: Vec<String>,
    /// Of an ended job: multipart uploads the server would not abort, still holding parts there;
    /// cancelling the job tries again.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub kept_uploads: u64,
    /// What the job did after its files (a settings file it set to the new storage).
    pub note: Option<String>,
    /// Files carried with something to say (a `.gz` kept as downloaded, with why).
    pub notes: Vec<ItemNote>,
}

/// Failures and skips listed with a job, at most.
const LISTED: usize = 50;

/// What a job is about: the last part of its key, else of its folder (a job records a local
/// place as the folder it is rooted at plus a key below it) or the workspace's name.
fn name_of(place: &Location) -> String {
    let name = place.key.name();
    if !name.is_empty() {
        return name.to_string();
    }
    match &place.place {
        Place::Local(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        Place::Workspace(ws) => ws.clone(),
    }
}

fn title(row: &JobRow) -> String {
    let local = |p: &Location| matches!(p.place, Place::Local(_));
    let verb = match row.kind {
        JobKind::Move if row.source.place == row.destination.place => "Rename",
        JobKind::Move => "Move",
        JobKind::Sync => "Sync",
        JobKind::Migrate => "Migrate",
        JobKind::Edit => "Edit properties of",
        JobKind::Copy if local(&row.source) && !local(&row.destination) => "Upload",
        JobKind::Copy if !local(&row.source) && local(&row.destination) => "Download",
        JobKind::Copy => "Copy",
    };
    match &row.options.source_version {
        // Version ids run to 32 characters or more; the start tells them apart in a list.
        Some(version) => {
            let short: String = version.chars().take(12).collect();
            let more = if short.len() < version.len() {
                "…"
            } else {
                ""
            };
            format!("{verb} {} (version {short}{more})", name_of(&row.source))
        }
        None => format!("{verb} {}", name_of(&row.source)),
    }
}

fn touches(row: &JobRow) -> Vec<String> {
    let mut out = Vec::new();
    for place in [&row.source, &row.destination] {
        if let Place::Workspace(ws) = &place.place
            && !out.contains(ws)
        {
            out.push(ws.clone());
        }
    }
    out
}

fn base(row: &JobRow) -> JobView {
    JobView {
        id: row.id.clone(),
        kind: row.kind,
        title: title(row),
        source: row.source.display(),
        destination: row.destination.display(),
        status: row.state.into(),
        position: None,
        files_done: 0,
        files_total: 0,
        files_failed: 0,
        files_skipped: 0,
        counting: false,
        bytes_done: 0,
        bytes_skipped: 0,
        bytes_total: 0,
        speed: 0.0,
        eta_seconds: None,
        current: Vec::new(),
        failures: Vec::new(),
        skipped: Vec::new(),
        error: None,
        created: row.created.clone(),
        touches: touches(row),
        kept_uploads: 0,
        note: row.note.clone(),
        notes: Vec::new(),
    }
}

/// A job running in this process, from its live accounting.
pub(super) fn live(row: &JobRow, snap: &Snapshot, status: JobStatus, position: usize) -> JobView {
    let mut view = base(row);
    view.status = status;
    view.position = Some(position as u32);
    view.files_done = snap.files_done;
    view.files_skipped = snap.files_skipped;
    view.files_failed = snap.files_failed;
    view.files_total = snap.files_total;
    view.counting = snap.counting;
    view.bytes_done = snap.bytes_done;
    view.bytes_skipped = snap.bytes_skipped;
    view.bytes_total = snap.bytes_total;
    view.speed = snap.speed;
    view.eta_seconds = snap.eta_seconds;
    view.current = snap.current.clone();
    view.failures = snap
        .errors
        .iter()
        .map(|(item, message)| ItemNote {
            item: item.clone(),
            message: message.clone(),
        })
        .collect();
    view
}

/// A job at rest (ended, interrupted, or running in another process), from the journal.
pub fn at_rest(engine: &Engine, summary: &JobSummary) -> JobView {
    let mut view = base(&summary.job);
    if summary.interrupted {
        view.status = JobStatus::Interrupted;
    }
    let t = &summary.tally;
    view.files_done = t.done;
    view.files_skipped = t.skipped;
    view.files_failed = t.failed;
    view.files_total = t.done + t.skipped + t.failed + t.pending;
    view.bytes_done = t.bytes_done;
    view.bytes_skipped = t.bytes_skipped;
    view.bytes_total = t.bytes_total;
    view.kept_uploads = summary.kept_uploads as u64;
    // A cancelled job's note ("cancelled", "given up after: …") is no failure to act on.
    if let Some(message) = &summary.job.error
        && summary.job.state != JobState::Cancelled
    {
        view.error = Some(ErrorReport::job_failed(&summary.job.id, message));
    }
    let Ok(journal) = engine.journal() else {
        return view;
    };
    if t.failed > 0
        && let Ok(items) = journal.failed_items(&summary.job.id)
    {
        view.failures = items
            .into_iter()
            .take(LISTED)
            .map(|item| ItemNote {
                item: if item.source_key.is_empty() {
                    item.dest_key
                } else {
                    item.source_key
                },
                message: item.error.unwrap_or_else(|| "unknown error".into()),
            })
            .collect();
    }
    if summary.job.options.gunzip
        && let Ok(items) = journal.noted_done(&summary.job.id)
    {
        view.notes = items
            .into_iter()
            .take(LISTED)
            .map(|item| ItemNote {
                item: item.dest_key,
                message: item.error.unwrap_or_default(),
            })
            .collect();
    }
    if t.skipped > 0
        && let Ok(items) = journal.noted_skips(&summary.job.id)
    {
        view.skipped = items
            .into_iter()
            .take(LISTED)
            .map(|item| ItemNote {
                item: if item.source_key.is_empty() {
                    item.dest_key
                } else {
                    item.source_key
                },
                message: item.error.or(item.note).unwrap_or_default(),
            })
            .collect();
    }
    view
}
