//! Progress accounting shared by every front end: counters updated by the transfer, and
//! snapshots (bytes and files done of total, smoothed speed, ETA, current items) read from them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

/// One look at a job's progress. The CLI draws bars from it; the app's transfer panel will too.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub files_done: u64,
    pub files_total: u64,
    pub files_failed: u64,
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
    bytes_total: AtomicU64,
    files_done: AtomicU64,
    files_total: AtomicU64,
    files_failed: AtomicU64,
    counted: AtomicBool,
    current: Mutex<Vec<String>>,
    errors: Mutex<Vec<(String, String)>>,
    rate: Mutex<Rate>,
}

impl Default for Accounting {
    fn default() -> Self {
        Self {
            bytes_done: AtomicU64::new(0),
            bytes_total: AtomicU64::new(0),
            files_done: AtomicU64::new(0),
            files_total: AtomicU64::new(0),
            files_failed: AtomicU64::new(0),
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

    pub fn advance(&self, bytes: u64) {
        self.bytes_done.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn started(&self, item: &str) {
        lock(&self.current).push(item.to_string());
    }

    pub fn finished(&self, item: &str, error: Option<&str>) {
        lock(&self.current).retain(|c| c != item);
        self.files_done.fetch_add(1, Ordering::Relaxed);
        if let Some(message) = error {
            self.files_failed.fetch_add(1, Ordering::Relaxed);
            let mut errors = lock(&self.errors);
            errors.push((item.to_string(), message.to_string()));
            if errors.len() > 20 {
                errors.remove(0);
            }
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let bytes_done = self.bytes_done.load(Ordering::Relaxed);
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
        let eta_seconds = (speed > 0.0)
            .then(|| (bytes_total.saturating_sub(bytes_done) as f64 / speed).round() as u64);
        Snapshot {
            bytes_done,
            bytes_total,
            files_done: self.files_done.load(Ordering::Relaxed),
            files_total: self.files_total.load(Ordering::Relaxed),
            files_failed: self.files_failed.load(Ordering::Relaxed),
            counting: !self.counted.load(Ordering::Relaxed),
            speed,
            eta_seconds,
            current: lock(&self.current).clone(),
            errors: lock(&self.errors).clone(),
        }
    }
}
