//! What every job of one process shares: the limit on files in flight and the memory budget
//! (`transfer.concurrency`, `transfer.memory_budget_mib`). Two jobs started together run side
//! by side within one limit and one budget, as the settings promise, instead of each taking
//! the whole of both.

use std::collections::HashMap;
use std::sync::Mutex;

use ferry_storage::{BandwidthLimits, MemoryBudget};

use super::queue::Running;
use super::slots::{Slot, Slots};
use crate::settings::TransferPrefs;

/// One per process, for its whole life: the app keeps it across settings changes (limits
/// change in place) and every job of the process runs through it.
pub struct Runner {
    slots: Slots,
    /// The budget new jobs borrow from; a changed budget is a new one (jobs running keep theirs
    /// until they end: their loans return where they came from).
    memory: Mutex<(u32, MemoryBudget)>,
    /// Shared by every store the engine opens; changed in place (`set_bandwidth`).
    bandwidth: BandwidthLimits,
    /// Rates `--bwlimit` set for this run: a settings change made by the same command (a
    /// workspace it adds) does not undo them.
    pinned: Mutex<Option<(u64, u64)>>,
    /// The jobs running in this process, by id ([`super::queue`]).
    pub(super) running: Mutex<HashMap<String, Running>>,
    pub(super) sink: Mutex<Option<super::queue::Sink>>,
    /// Every job's end, for whoever waits on one ([`Runner::run_to_end`]).
    pub(super) ended: tokio::sync::broadcast::Sender<super::view::JobView>,
}

pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn budget(mib: u32) -> MemoryBudget {
    MemoryBudget::new(u64::from(mib) * 1024 * 1024)
}

impl Runner {
    pub fn new(transfer: &TransferPrefs) -> Self {
        let runner = Self {
            slots: Slots::new(transfer.concurrency.max(1) as usize),
            memory: Mutex::new((
                transfer.memory_budget_mib,
                budget(transfer.memory_budget_mib),
            )),
            bandwidth: BandwidthLimits::default(),
            pinned: Mutex::new(None),
            running: Mutex::new(HashMap::new()),
            sink: Mutex::new(None),
            ended: tokio::sync::broadcast::channel(64).0,
        };
        runner.set_bandwidth(transfer);
        runner
    }

    /// Takes the limits `transfer` sets: more file slots wake waiting items at once, fewer let
    /// the ones in flight finish; bandwidth changes at each transfer's next piece; a new memory
    /// budget serves jobs started from now on.
    pub fn apply(&self, transfer: &TransferPrefs) {
        self.slots.set_limit(transfer.concurrency.max(1) as usize);
        let mut memory = lock(&self.memory);
        if memory.0 != transfer.memory_budget_mib {
            *memory = (
                transfer.memory_budget_mib,
                budget(transfer.memory_budget_mib),
            );
        }
        drop(memory);
        self.set_bandwidth(transfer);
    }

    /// The upload and download limits every store shares.
    pub fn bandwidth(&self) -> &BandwidthLimits {
        &self.bandwidth
    }

    /// Takes the bandwidth limits `transfer` sets; running transfers slow down or speed up at
    /// their next piece.
    pub fn set_bandwidth(&self, transfer: &TransferPrefs) {
        let (up, down) = lock(&self.pinned)
            .unwrap_or((transfer.bandwidth_limit.up, transfer.bandwidth_limit.down));
        self.set_rates(up, down);
    }

    /// Rates for the rest of this process, whatever the settings say (`--bwlimit`).
    pub fn pin_rates(&self, up: u64, down: u64) {
        *lock(&self.pinned) = Some((up, down));
        self.set_rates(up, down);
    }

    /// Bytes per second up and down (0: none), as `--bwlimit` sets them for one run.
    pub fn set_rates(&self, up: u64, down: u64) {
        self.bandwidth.up.set_rate(up);
        self.bandwidth.down.set_rate(down);
    }

    /// The memory budget every part buffer of every job borrows from.
    pub fn memory(&self) -> MemoryBudget {
        lock(&self.memory).1.clone()
    }

    /// Files being carried now, all jobs together.
    pub fn files_in_flight(&self) -> usize {
        self.slots.in_flight()
    }

    /// Items of running jobs waiting for a file slot.
    pub fn files_waiting(&self) -> usize {
        self.slots.waiting()
    }

    /// The most files carried at once.
    pub fn file_limit(&self) -> usize {
        self.slots.limit()
    }

    /// Waits for a file slot for an item of `job`: a freed slot goes to the first job in the
    /// queue's order with an item waiting, and within a job to the item that asked first.
    pub(super) async fn file_slot(&self, job: &str) -> Slot {
        self.slots.take(job).await
    }

    pub(super) fn slots(&self) -> &Slots {
        &self.slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// `--bwlimit` holds for the whole command: a settings change the command makes (a
    /// workspace it adds) does not put the settings' rates back.
    #[test]
    fn pinned_rates_outlast_a_settings_change() {
        let runner = Runner::new(&TransferPrefs::default());
        runner.pin_rates(1024, 2048);
        runner.apply(&TransferPrefs::default());
        assert_eq!(runner.bandwidth().up.rate(), 1024);
        assert_eq!(runner.bandwidth().down.rate(), 2048);
    }

    #[tokio::test]
    async fn slots_past_the_limit_wait_until_one_is_given_back() {
        let transfer = TransferPrefs {
            concurrency: 2,
            ..TransferPrefs::default()
        };
        let runner = Arc::new(Runner::new(&transfer));
        let a = runner.file_slot("j").await;
        let _b = runner.file_slot("j").await;
        assert_eq!(runner.files_in_flight(), 2);
        let third = tokio::spawn({
            let runner = runner.clone();
            async move {
                let _slot = runner.file_slot("j").await;
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
    fn new_limits_apply_in_place() {
        let transfer = TransferPrefs::default();
        let runner = Runner::new(&transfer);
        let before = runner.memory();
        runner.apply(&TransferPrefs {
            concurrency: 3,
            memory_budget_mib: transfer.memory_budget_mib + 64,
            ..transfer.clone()
        });
        assert_eq!(runner.file_limit(), 3);
        assert_eq!(runner.memory().total_mib(), before.total_mib() + 64);
    }
}
