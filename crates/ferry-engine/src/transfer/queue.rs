//! The jobs running in this process, as a queue a person steers: start, pause, resume, cancel,
//! retry, move up or down, pause all. Each running job's figures come from its live
//! accounting; a front end hears of every change through one sink (at most ten updates a
//! second per job, plus the final one) and asks for the whole list with [`Runner::views`].

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::control::JobControl;
use super::journal::JobRow;
use super::progress::Accounting;
use super::runner::{Runner, lock};
use super::view::{self, JobStatus, JobView};
use crate::Engine;
use crate::error::{Error, ErrorCode, ErrorReport, Remedy, Result};

const TICK: Duration = Duration::from_millis(100);

/// Jobs listed at most (newest first).
const LISTED: usize = 200;

#[derive(Clone)]
pub(super) struct Running {
    row: JobRow,
    control: JobControl,
    accounting: Arc<Accounting>,
}

/// What a front end hears about jobs.
#[derive(Debug, Clone)]
pub enum JobEvent {
    /// A job's figures changed (or its status, or its place in the queue).
    Changed(JobView),
    /// A job ended; `after` is how long this run took.
    Ended { view: JobView, after: Duration },
}

pub(super) type Sink = Arc<dyn Fn(JobEvent) + Send + Sync>;

/// A move in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Shift {
    Up,
    Down,
    Top,
    Bottom,
}

fn not_running(id: &str) -> Error {
    Error::Refused {
        message: format!("job {id} is not running"),
        code: ErrorCode::Config,
        hint: "The job is not in a state for that.",
        remedy: Remedy::ResumeJob { job: id.into() },
    }
}

impl Runner {
    /// Where job updates go (the latest sink wins: the app's window that subscribed last).
    pub fn set_sink(&self, sink: impl Fn(JobEvent) + Send + Sync + 'static) {
        *lock(&self.sink) = Some(Arc::new(sink));
    }

    fn send(&self, event: JobEvent) {
        let sink = lock(&self.sink).clone();
        if let Some(sink) = sink {
            sink(event);
        }
    }

    pub fn control(&self, id: &str) -> Option<JobControl> {
        lock(&self.running).get(id).map(|r| r.control.clone())
    }

    /// A running job's view from its live figures.
    fn live(&self, id: &str) -> Option<JobView> {
        let running = lock(&self.running).get(id).cloned()?;
        let snap = running.accounting.snapshot();
        let position = self.slots().order().iter().position(|j| j == id);
        let status = if running.control.is_paused() {
            JobStatus::Paused
        } else if snap.current.is_empty() && self.slots().waiting_for(id) > 0 {
            JobStatus::Queued
        } else {
            JobStatus::Running
        };
        Some(view::live(
            &running.row,
            &snap,
            status,
            position.unwrap_or_default(),
        ))
    }

    /// Every job the journal knows, newest first, with live figures for those running here
    /// (jobs a crash interrupted show as `interrupted`, ready to resume).
    pub fn views(&self, engine: &Engine) -> Result<Vec<JobView>> {
        let mut views: Vec<JobView> = engine
            .jobs()?
            .iter()
            .map(|summary| {
                self.live(&summary.job.id)
                    .unwrap_or_else(|| view::at_rest(engine, summary))
            })
            .collect();
        views.sort_by(|a, b| b.created.cmp(&a.created));
        views.truncate(LISTED);
        Ok(views)
    }

    /// Job `id` as it is now.
    pub fn view(&self, engine: &Engine, id: &str) -> Option<JobView> {
        self.live(id).or_else(|| {
            let jobs = engine.jobs().ok()?;
            let summary = jobs.iter().find(|j| j.job.id == id)?;
            Some(view::at_rest(engine, summary))
        })
    }

    /// Tells the sink how job `id` is now.
    fn publish(&self, engine: &Engine, id: &str) {
        if let Some(view) = self.view(engine, id) {
            self.send(JobEvent::Changed(view));
        }
    }

    /// Runs job `id` in the background, at the end of the queue; the sink hears how it goes.
    pub fn start(self: &Arc<Self>, engine: Arc<Engine>, id: &str) -> Result<()> {
        let row = engine
            .journal()?
            .job(id)?
            .ok_or_else(|| Error::no_job(id))?;
        let running = Running {
            row,
            control: JobControl::default(),
            accounting: Arc::new(Accounting::default()),
        };
        {
            let mut all = lock(&self.running);
            if all.contains_key(id) {
                return Err(Error::Refused {
                    message: format!("job {id} is already running"),
                    code: ErrorCode::Config,
                    hint: "The job is not in a state for that.",
                    remedy: Remedy::ListJobs,
                });
            }
            all.insert(id.to_string(), running.clone());
        }
        self.slots().enter(id);
        let (runner, id) = (self.clone(), id.to_string());
        tokio::spawn(async move {
            let started = Instant::now();
            let ticker = tokio::spawn({
                let (runner, id) = (runner.clone(), id.clone());
                async move {
                    loop {
                        if let Some(view) = runner.live(&id) {
                            runner.send(JobEvent::Changed(view));
                        }
                        tokio::time::sleep(TICK).await;
                    }
                }
            });
            let result = super::run_job(
                &engine,
                &id,
                running.accounting.clone(),
                running.control.clone(),
            )
            .await;
            ticker.abort();
            lock(&runner.running).remove(&id);
            runner.slots().leave(&id);
            let mut view = runner.view(&engine, &id).unwrap_or_else(|| {
                view::live(
                    &running.row,
                    &running.accounting.snapshot(),
                    JobStatus::Failed,
                    0,
                )
            });
            if let Err(e) = result {
                view.status = JobStatus::Failed;
                view.error = Some(ErrorReport::from(e));
            }
            // Nobody waiting is no fault.
            let _ = runner.ended.send(view.clone());
            runner.send(JobEvent::Ended {
                view,
                after: started.elapsed(),
            });
        });
        Ok(())
    }

    /// Runs job `id` as [`Runner::start`] does and waits for its end: how it ended.
    pub async fn run_to_end(self: &Arc<Self>, engine: Arc<Engine>, id: &str) -> Result<JobView> {
        // Listening before it starts: an end cannot slip past.
        let mut ends = self.ended.subscribe();
        self.start(engine.clone(), id)?;
        loop {
            match ends.recv().await {
                Ok(view) if view.id == id => return Ok(view),
                Ok(_) => {}
                // Many jobs ended at once and this one's end was among those dropped: the
                // journal has it once the job no longer runs.
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    if self.control(id).is_none()
                        && let Some(view) = self.view(&engine, id)
                    {
                        return Ok(view);
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                    return Err(Error::no_job(id));
                }
            }
        }
    }

    /// Pauses a running job: what is in flight finishes, nothing new starts.
    pub fn pause(&self, id: &str) -> Result<()> {
        let control = self.control(id).ok_or_else(|| not_running(id))?;
        control.pause();
        Ok(())
    }

    /// Resumes a paused job, or runs again one that a crash or quit interrupted.
    pub fn resume(self: &Arc<Self>, engine: Arc<Engine>, id: &str) -> Result<()> {
        match self.control(id) {
            Some(control) => {
                control.resume();
                Ok(())
            }
            None => self.start(engine, id),
        }
    }

    /// Cancels a running job; of one at rest, aborts the uploads it kept and ends it (a job
    /// that ended well keeps its state).
    pub async fn cancel(&self, engine: &Engine, id: &str) -> Result<()> {
        if let Some(control) = self.control(id) {
            control.cancel();
            return Ok(());
        }
        // Ends a job that has not ended well even when an abort is refused (that is the error,
        // and the upload stays kept). The sink hears of it either way.
        let cancelled = super::cancel_job(engine, id).await;
        self.publish(engine, id);
        cancelled.map(|_| ())
    }

    /// Runs the failed items of an ended job again.
    pub fn retry(self: &Arc<Self>, engine: Arc<Engine>, id: &str) -> Result<()> {
        if self.control(id).is_some() {
            return Err(Error::Refused {
                message: format!("job {id} is still running"),
                code: ErrorCode::Config,
                hint: "The job is not in a state for that.",
                remedy: Remedy::ListJobs,
            });
        }
        super::requeue_job(&engine, id)?;
        self.start(engine, id)
    }

    /// Pauses (`true`) or resumes every running job.
    pub fn pause_all(&self, paused: bool) {
        let controls: Vec<JobControl> = lock(&self.running)
            .values()
            .map(|r| r.control.clone())
            .collect();
        for control in controls {
            if paused {
                control.pause();
            } else {
                control.resume();
            }
        }
    }

    /// Moves a running job in the queue: a job further up gets freed file slots first.
    pub fn shift(&self, engine: &Engine, id: &str, shift: Shift) -> Result<()> {
        if self.control(id).is_none() {
            return Err(not_running(id));
        }
        let by = match shift {
            Shift::Up => -1,
            Shift::Down => 1,
            Shift::Top => isize::MIN,
            Shift::Bottom => isize::MAX,
        };
        if self.slots().shift(id, by) {
            // Every running job's place may have changed.
            for job in self.slots().order() {
                self.publish(engine, &job);
            }
        }
        Ok(())
    }

    /// The running jobs' ids in queue order.
    pub fn queue(&self) -> Vec<String> {
        self.slots().order()
    }
}
