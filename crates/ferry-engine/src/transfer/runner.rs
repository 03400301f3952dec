//! What every job of one process shares: the limit on files in flight and the memory budget
//! (`transfer.concurrency`, `transfer.memory_budget_mib`). Two jobs started together run side
//! by side within one limit and one budget, as the settings promise, instead of each taking
//! the whole of both.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ferry_storage::{BandwidthLimits, MemoryBudget};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::settings::TransferPrefs;

/// The limits a runner was made with; a runner is kept across settings changes that leave
/// them alone (see [`crate::Engine::keep_runner`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Limits {
    files: usize,
    memory_mib: u32,
}

impl Limits {
    fn of(transfer: &TransferPrefs) -> Self {
        Self {
            files: transfer.concurrency.max(1) as usize,
            memory_mib: transfer.memory_budget_mib,
        }
    }
}

pub struct Runner {
    limits: Limits,
    files: Arc<Semaphore>,
    memory: MemoryBudget,
    /// Shared by every store the engine opens; changed in place (`set_bandwidth`).
    bandwidth: BandwidthLimits,
    /// Items holding a file slot now, across all jobs.
    in_flight: Arc<AtomicUsize>,
    /// Items waiting for a slot.
    waiting: AtomicUsize,
}

/// An item's place among the files in flight; given back when dropped.
pub(super) struct FileSlot {
    _permit: OwnedSemaphorePermit,
    in_flight: Arc<AtomicUsize>,
}

impl Drop for FileSlot {
    fn drop(&mut self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Runner {
    pub fn new(transfer: &TransferPrefs) -> Self {
        let limits = Limits::of(transfer);
        let runner = Self {
            limits,
            files: Arc::new(Semaphore::new(limits.files)),
            memory: MemoryBudget::new(u64::from(limits.memory_mib) * 1024 * 1024),
            bandwidth: BandwidthLimits::default(),
            in_flight: Arc::new(AtomicUsize::new(0)),
            waiting: AtomicUsize::new(0),
        };
        runner.set_bandwidth(transfer);
        runner
    }

    /// The upload and download limits every store shares.
    pub fn bandwidth(&self) -> &BandwidthLimits {
        &self.bandwidth
    }

    /// Takes the bandwidth limits `transfer` sets; running transfers slow down or speed up at
    /// their next piece.
    pub fn set_bandwidth(&self, transfer: &TransferPrefs) {
        self.set_rates(transfer.bandwidth_limit.up, transfer.bandwidth_limit.down);
    }

    /// Bytes per second up and down (0: none), as `--bwlimit` sets them for one run.
    pub fn set_rates(&self, up: u64, down: u64) {
        self.bandwidth.up.set_rate(up);
        self.bandwidth.down.set_rate(down);
    }

    /// Whether this runner keeps the limits `transfer` sets (bandwidth aside: it changes in
    /// place).
    pub fn fits(&self, transfer: &TransferPrefs) -> bool {
        self.limits == Limits::of(transfer)
    }

    /// The memory budget every part buffer of every job borrows from.
    pub fn memory(&self) -> &MemoryBudget {
        &self.memory
    }

    /// Files being carried now, all jobs together.
    pub fn files_in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Items of running jobs waiting for a file slot.
    pub fn files_waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// The most files carried at once.
    pub fn file_limit(&self) -> usize {
        self.limits.files
    }

    /// Waits for a file slot; slots are handed out in the order they were asked for, so one
    /// job cannot starve another.
    pub(super) async fn file_slot(&self) -> FileSlot {
        let permit = {
            // Counted while it waits, however the wait ends (a cancelled item stops waiting).
            self.waiting.fetch_add(1, Ordering::SeqCst);
            let _waiting = Waiting(&self.waiting);
            self.files.clone().acquire_owned().await
        };
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        FileSlot {
            // The semaphore is never closed.
            _permit: permit.expect("the runner's file slots are never closed"),
            in_flight: self.in_flight.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_past_the_limit_wait_until_one_is_given_back() {
        let transfer = TransferPrefs {
            concurrency: 2,
            ..TransferPrefs::default()
        };
        let runner = Arc::new(Runner::new(&transfer));
        let a = runner.file_slot().await;
        let _b = runner.file_slot().await;
        assert_eq!(runner.files_in_flight(), 2);
        let third = tokio::spawn({
            let runner = runner.clone();
            async move {
                let _slot = runner.file_slot().await;
            }
        });
        while runner.files_waiting() == 0 {
            tokio::task::yield_now().await;
        }
        assert!(!third.is_finished());
        assert_eq!(runner.files_in_flight(), 2);
        drop(a);
        third.await.unwrap();
        assert_eq!(runner.files_in_flight(), 1);
        assert_eq!(runner.files_waiting(), 0);
    }

    #[test]
    fn a_runner_fits_the_settings_it_was_made_for_only() {
        let transfer = TransferPrefs::default();
        let runner = Runner::new(&transfer);
        assert!(runner.fits(&transfer));
        let more = TransferPrefs {
            concurrency: transfer.concurrency + 1,
            ..transfer.clone()
        };
        assert!(!runner.fits(&more));
    }
}
