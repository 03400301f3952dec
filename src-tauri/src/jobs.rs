//! Running jobs: their controls, their progress on the UI's channel (at most ten updates a
//! second per job, plus the final one), and a desktop notification when a long one ends.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ferry_engine::transfer::{self, Accounting, JobControl, JobKind, JobRow, JobState, Snapshot};
use ferry_engine::workspace::Location as EnginePlace;
use ferry_engine::{Engine, JobSummary};
use tauri::AppHandle;
use tauri::ipc::Channel;

use crate::dto::{ItemFailure, JobStatus, JobView};
use crate::error::IpcError;
use crate::state::AppState;

/// Jobs that run longer than this end with a desktop notification.
const NOTIFY_AFTER: Duration = Duration::from_secs(10);
const TICK: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Jobs {
    running: Mutex<HashMap<String, Running>>,
    sink: Mutex<Option<Channel<JobView>>>,
}

#[derive(Clone)]
struct Running {
    row: JobRow,
    control: JobControl,
    accounting: Arc<Accounting>,
}

impl Jobs {
    /// Where updates go: the channel of the window's transfer panel (the latest one wins).
    pub fn set_sink(&self, channel: Channel<JobView>) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(channel);
    }

    fn send(&self, view: JobView) {
        if let Some(channel) = &*self.sink.lock().unwrap_or_else(|p| p.into_inner()) {
            // The window may be reloading; the next update or `jobs_watch` catches it up.
            let _ = channel.send(view);
        }
    }

    pub fn control(&self, id: &str) -> Option<JobControl> {
        self.running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(|r| r.control.clone())
    }

    fn live(&self, id: &str) -> Option<JobView> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        let r = running.get(id)?;
        Some(live_view(
            &r.row,
            &r.accounting.snapshot(),
            r.control.is_paused(),
        ))
    }

    /// Every job the journal knows, newest first, with live progress for running ones.
    pub fn views(&self, engine: &Engine) -> Result<Vec<JobView>, IpcError> {
        let mut views = Vec::new();
        for summary in engine.jobs()? {
            match self.live(&summary.job.id) {
                Some(view) => views.push(view),
                None => views.push(rest_view(engine, &summary)),
            }
        }
        views.sort_by(|a, b| b.created.cmp(&a.created));
        views.truncate(200);
        Ok(views)
    }

    /// Sends the job's current state to the UI (after a cancel or a retry of a job at rest).
    pub fn publish(&self, engine: &Engine, id: &str) {
        if let Some(view) = self.live(id) {
            return self.send(view);
        }
        if let Ok(jobs) = engine.jobs()
            && let Some(summary) = jobs.iter().find(|j| j.job.id == id)
        {
            self.send(rest_view(engine, summary));
        }
    }
}

/// Runs job `id` in the background; progress goes to the UI's channel.
pub fn spawn(
    app: AppHandle,
    state: AppState,
    engine: Arc<Engine>,
    id: String,
) -> Result<(), IpcError> {
    let row = engine
        .journal()?
        .job(&id)?
        .ok_or_else(|| IpcError::invalid(format!("no job {id}")))?;
    if state.jobs.control(&id).is_some() {
        return Err(IpcError::invalid(format!("job {id} is already running")));
    }
    let running = Running {
        row,
        control: JobControl::default(),
        accounting: Arc::new(Accounting::default()),
    };
    state
        .jobs
        .running
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), running.clone());
    tauri::async_runtime::spawn(async move {
        let started = Instant::now();
        let ticker = {
            let state = state.clone();
            let id = id.clone();
            tauri::async_runtime::spawn(async move {
                loop {
                    if let Some(view) = state.jobs.live(&id) {
                        state.jobs.send(view);
                    }
                    tokio::time::sleep(TICK).await;
                }
            })
        };
        let result = transfer::run_job(
            &engine,
            &id,
            running.accounting.clone(),
            running.control.clone(),
        )
        .await;
        ticker.abort();
        state
            .jobs
            .running
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&id);
        let mut view = engine
            .jobs()
            .ok()
            .and_then(|jobs| jobs.into_iter().find(|j| j.job.id == id))
            .map(|summary| rest_view(&engine, &summary))
            .unwrap_or_else(|| live_view(&running.row, &running.accounting.snapshot(), false));
        if let Err(e) = result {
            view.status = JobStatus::Failed;
            view.error = Some(e.into());
        }
        if started.elapsed() >= NOTIFY_AFTER {
            notify(&app, &view);
        }
        state.jobs.send(view);
    });
    Ok(())
}

fn notify(app: &AppHandle, view: &JobView) {
    use tauri_plugin_notification::NotificationExt;
    let outcome = match view.status {
        JobStatus::Completed => "finished".to_string(),
        JobStatus::CompletedWithErrors => format!("finished, {} failed", view.files_failed),
        JobStatus::Cancelled => "was cancelled".to_string(),
        _ => "failed".to_string(),
    };
    if let Err(e) = app
        .notification()
        .builder()
        .title("Ferry")
        .body(format!("{} {outcome}", notification_text(&view.title)))
        .show()
    {
        tracing::debug!("no desktop notification: {e}");
    }
}

/// A name as a notification body may carry it: notification servers read a little markup
/// (`<b>`, `<a href>`, `<img>`) in the body, and a file name is plain text. Control characters
/// become spaces.
fn notification_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn status_of(state: JobState) -> JobStatus {
    match state {
        JobState::Queued => JobStatus::Queued,
        JobState::Running => JobStatus::Running,
        JobState::Completed => JobStatus::Completed,
        JobState::CompletedWithErrors => JobStatus::CompletedWithErrors,
        JobState::Failed => JobStatus::Failed,
        JobState::Cancelled => JobStatus::Cancelled,
    }
}

/// What a job is about: the last part of its key, else of its folder (a job records a local
/// place as the folder it is rooted at plus a key below it) or the workspace's name.
fn name_of(place: &EnginePlace) -> String {
    let name = place.key.name();
    if !name.is_empty() {
        return name.to_string();
    }
    match &place.place {
        ferry_engine::workspace::Place::Local(path) => path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string()),
        ferry_engine::workspace::Place::Workspace(ws) => ws.clone(),
    }
}

fn title(row: &JobRow) -> String {
    let local = |p: &EnginePlace| matches!(p.place, ferry_engine::workspace::Place::Local(_));
    let verb = match row.kind {
        JobKind::Move if row.source.place == row.destination.place => "Rename",
        JobKind::Move => "Move",
        JobKind::Sync => "Sync",
        JobKind::Migrate => "Migrate",
        JobKind::Copy if local(&row.source) && !local(&row.destination) => "Upload",
        JobKind::Copy if !local(&row.source) && local(&row.destination) => "Download",
        JobKind::Copy => "Copy",
    };
    format!("{verb} {}", name_of(&row.source))
}

fn touches(row: &JobRow) -> Vec<String> {
    let mut out = Vec::new();
    for place in [&row.source, &row.destination] {
        if let ferry_engine::workspace::Place::Workspace(ws) = &place.place
            && !out.contains(ws)
        {
            out.push(ws.clone());
        }
    }
    out
}

fn base_view(row: &JobRow) -> JobView {
    JobView {
        id: row.id.clone(),
        kind: format!("{:?}", row.kind).to_lowercase(),
        title: title(row),
        source: row.source.display(),
        destination: row.destination.display(),
        status: status_of(row.state),
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
    }
}

fn live_view(row: &JobRow, snap: &Snapshot, paused: bool) -> JobView {
    let mut view = base_view(row);
    view.status = if paused {
        JobStatus::Paused
    } else {
        JobStatus::Running
    };
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
        .map(|(item, message)| ItemFailure {
            item: item.clone(),
            message: message.clone(),
        })
        .collect();
    view
}

fn rest_view(engine: &Engine, summary: &JobSummary) -> JobView {
    let mut view = base_view(&summary.job);
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
        view.error = Some(IpcError::new(
            crate::error::ErrorCode::Failed,
            message.clone(),
            "Retry the job, or check the workspace in Settings with Test connection.",
        ));
    }
    if t.failed > 0
        && let Ok(journal) = engine.journal()
        && let Ok(items) = journal.failed_items(&summary.job.id)
    {
        view.failures = items
            .into_iter()
            .take(50)
            .map(|item| ItemFailure {
                item: if item.source_key.is_empty() {
                    item.dest_key
                } else {
                    item.source_key
                },
                message: item.error.unwrap_or_else(|| "unknown error".into()),
            })
            .collect();
    }
    if t.skipped > 0
        && let Ok(journal) = engine.journal()
        && let Ok(items) = journal.noted_skips(&summary.job.id)
    {
        view.skipped = items
            .into_iter()
            .take(50)
            .map(|item| ItemFailure {
                item: item.source_key,
                message: item.note.unwrap_or_default(),
            })
            .collect();
    }
    view
}

#[cfg(test)]
mod tests {
    use super::notification_text;

    #[test]
    fn names_reach_notifications_as_text_not_markup() {
        assert_eq!(notification_text("report.pdf"), "report.pdf");
        assert_eq!(
            notification_text("<a href=\"https://evil.example\">click</a>&<img src=x>"),
            "&lt;a href=&quot;https://evil.example&quot;&gt;click&lt;/a&gt;&amp;&lt;img src=x&gt;"
        );
        assert_eq!(notification_text("a\nb\x1bc"), "a b c");
    }
}
