//! Progress accounting shared by every front end: counters updated by the transfer, and
//! snapshots (bytes and files done of total, smoothed speed, ETA, current items) read from them.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::ItemState;
use super::journal::Tally;

/// One look at a job's progress. The CLI draws bars from it; the app's transfer panel will too.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Bytes carried: of ended items, what each carried; of items in flight, what has arrived.
    pub bytes_done: u64,
    /// Bytes of the items skipped (their files were not carried, and need not be).
    pub bytes_skipped: u64,
    pub bytes_total: u64,
    /// Items carried. Items count as the journal counts them (everything but deletions), so a
    /// snapshot taken once a job ends equals the job's [`super::Tally`].
    pub files_done: u64,
    pub files_skipped: u64,
    pub files_failed: u64,
    pub files_total: u64,
    /// The job is still finding what to transfer, so the totals are still growing.
    pub counting: bool,
    /// Bytes per second, smoothed.
    pub speed: f64,
    /// Seconds left at the current speed, when it can be told.
    pub eta_seconds: Option<u64>,
    /// Items in flight.
    pub current: Vec<String>,
    /// The most recent failures: (item, message).
    pub errors: Vec<(String, String)>,
}

#[derive(Default)]
struct Rate {
    last: Option<(Instant, u64)>,
    smoothed: f64,
}

/// Counters a running job updates from many tasks at once.
pub struct Accounting {
    bytes_done: AtomicU64,
    bytes_skipped: AtomicU64,
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    files_skipped: AtomicU64,
    files_failed: AtomicU64,
    files_total: AtomicU64,
    counted: AtomicBool,
    current: Mutex<Vec<String>>,
    errors: Mutex<Vec<(String, String)>>,
    rate: Mutex<Rate>,
}

impl Default for Accounting {
    fn default() -> Self {
        Self {
            bytes_done: AtomicU64::new(0),
            bytes_skipped: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            files_skipped: AtomicU64::new(0),
            files_failed: AtomicU64::new(0),
            files_total: AtomicU64::new(0),
            counted: AtomicBool::new(false),
            current: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
            rate: Mutex::new(Rate::default()),
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Accounting {
    pub fn add_total(&self, files: u64, bytes: u64) {
        self.files_total.fetch_add(files, Ordering::Relaxed);
        self.bytes_total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// Planning has ended: the totals are final.
    pub fn counted(&self) {
        self.counted.store(true, Ordering::Relaxed);
    }

    /// Counts what an earlier run of the job already ended (a resumed or retried job), so that
    /// the figures are the whole job's, as its tally is.
    pub(super) fn seed(&self, earlier: &Tally) {
        let ended = earlier.done + earlier.skipped + earlier.failed;
        self.add_total(ended, earlier.bytes_total - earlier.bytes_pending);
        self.files_done.fetch_add(earlier.done, Ordering::Relaxed);
        self.files_skipped
            .fetch_add(earlier.skipped, Ordering::Relaxed);
        self.files_failed
            .fetch_add(earlier.failed, Ordering::Relaxed);
        self.bytes_done
            .fetch_add(earlier.bytes_done, Ordering::Relaxed);
        self.bytes_skipped
            .fetch_add(earlier.bytes_skipped, Ordering::Relaxed);
    }

    /// An item the plan ended before it ran (a link not followed, names that collide): it
    /// counts in the totals and as ended, as the journal records it.
    pub(super) fn planned_ended(&self, state: ItemState, size: u64) {
        self.add_total(1, size);
        self.count_end(state, size, 0);
    }

    fn count_end(&self, state: ItemState, size: u64, carried: u64) {
        match state {
            ItemState::Done => {
                self.files_done.fetch_add(1, Ordering::Relaxed);
                self.bytes_done.fetch_add(carried, Ordering::Relaxed);
            }
            ItemState::Skipped => {
                self.files_skipped.fetch_add(1, Ordering::Relaxed);
                self.bytes_skipped.fetch_add(size, Ordering::Relaxed);
            }
            ItemState::Failed => {
                self.files_failed.fetch_add(1, Ordering::Relaxed);
            }
            ItemState::Pending => {}
        }
    }

    /// An item starts: shown as current, its bytes measured on a meter of its own until it
    /// ends ([`ItemWatch::ended`]) or is dropped unended (its job cancelled, its journal write
    /// failed), which takes back what the meter counted.
    pub(super) fn started(self: &Arc<Self>, label: &str) -> ItemWatch {
        lock(&self.current).push(label.to_string());
        ItemWatch {
            label: label.to_string(),
            meter: Meter {
                job: self.clone(),
                carried: Arc::new(AtomicU64::new(0)),
            },
            ended: false,
        }
    }

    /// Takes back what `meter` counted, and closes it: a piece of the item still in flight
    /// (a range task not yet stopped) counts nothing afterwards.
    fn settle(&self, meter: &Meter) {
        let counted = meter.carried.fetch_or(CLOSED, Ordering::Acquire) & !CLOSED;
        self.bytes_done.fetch_sub(counted, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> Snapshot {
        let bytes_done = self.bytes_done.load(Ordering::Relaxed);
        let bytes_skipped = self.bytes_skipped.load(Ordering::Relaxed);
        let bytes_total = self.bytes_total.load(Ordering::Relaxed);
        let speed = {
            let mut rate = lock(&self.rate);
            let now = Instant::now();
            if let Some((then, bytes)) = rate.last {
                let secs = now.duration_since(then).as_secs_f64();
                if secs >= 0.2 {
                    let instant = (bytes_done.saturating_sub(bytes)) as f64 / secs;
                    // Exponential smoothing: steady enough to read, quick enough to follow.
                    rate.smoothed = if rate.smoothed == 0.0 {
                        instant
                    } else {
                        0.7 * rate.smoothed + 0.3 * instant
                    };
                    rate.last = Some((now, bytes_done));
                }
            } else {
                rate.last = Some((now, bytes_done));
            }
            rate.smoothed
        };
        let left = bytes_total.saturating_sub(bytes_done + bytes_skipped);
        let eta_seconds = (speed > 0.0).then(|| (left as f64 / speed).round() as u64);
        Snapshot {
            bytes_done,
            bytes_skipped,
            bytes_total,
            files_done: self.files_done.load(Ordering::Relaxed),
            files_skipped: self.files_skipped.load(Ordering::Relaxed),
            files_failed: self.files_failed.load(Ordering::Relaxed),
            files_total: self.files_total.load(Ordering::Relaxed),
            counting: !self.counted.load(Ordering::Relaxed),
            speed,
            eta_seconds,
            current: lock(&self.current).clone(),
            errors: lock(&self.errors).clone(),
        }
    }
}

/// How an item ended, for [`ItemWatch::ended`].
pub(super) struct End<'a> {
    /// Whether the item counts among the job's files (every action but a deletion).
    pub counts: bool,
    pub state: ItemState,
    pub size: u64,
    /// Bytes it carried, as the journal records them.
    pub bytes: u64,
    pub error: Option<&'a str>,
}

/// The bit of a meter's count that says it is closed.
const CLOSED: u64 = 1 << 63;

/// One item's bytes as they arrive, counted in its job's figures at once and set right when
/// the item ends.
#[derive(Clone)]
pub(super) struct Meter {
    job: Arc<Accounting>,
    carried: Arc<AtomicU64>,
}

impl Meter {
    pub fn advance(&self, bytes: u64) {
        // Counted in the job first: whoever takes the meter's count (Acquire) subtracts bytes
        // already added. A closed meter's item has ended: its late bytes are taken back.
        self.job.bytes_done.fetch_add(bytes, Ordering::Relaxed);
        if self.carried.fetch_add(bytes, Ordering::Release) & CLOSED != 0 {
            self.job.bytes_done.fetch_sub(bytes, Ordering::Relaxed);
        }
    }
}

/// A running item's place in its job's figures.
pub(super) struct ItemWatch {
    label: String,
    meter: Meter,
    ended: bool,
}

impl ItemWatch {
    pub fn meter(&self) -> &Meter {
        &self.meter
    }

    /// The item ended as the journal now records it: `state`, having carried `bytes` of its
    /// `size`. What its meter counted on the way (parts of a failed attempt, a body fetched
    /// for a file that turned out taken) is replaced by what it carried. Deletions are not
    /// items in these figures, as in the tally.
    pub fn ended(mut self, end: End<'_>) {
        let job = self.meter.job.clone();
        job.settle(&self.meter);
        if end.counts {
            job.count_end(end.state, end.size, end.bytes);
        }
        if let Some(message) = end.error {
            let mut errors = lock(&job.errors);
            errors.push((self.label.clone(), message.to_string()));
            if errors.len() > 20 {
                errors.remove(0);
            }
        }
        lock(&job.current).retain(|c| c != &self.label);
        self.ended = true;
    }
}

impl Drop for ItemWatch {
    fn drop(&mut self) {
        if !self.ended {
            let job = &self.meter.job;
            job.settle(&self.meter);
            lock(&job.current).retain(|c| c != &self.label);
        }
    }
}
