//! File slots handed out in the queue's order: when a slot frees, the first job in the order
//! that has an item waiting gets it, so moving a job up makes it go first (and a job further
//! down waits for it), while items of one job keep the order they asked in.
//!
//! A tokio `Semaphore` is strictly first come, first served across all waiters, which is the
//! opposite of what a reorderable queue needs; this is a small mutex-guarded queue of waiters
//! per job instead.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::oneshot;

#[derive(Default)]
struct State {
    limit: usize,
    in_flight: usize,
    /// Jobs in the order the person set (new jobs at the end).
    order: Vec<String>,
    /// Per job, the items waiting: their ticket and how to wake them.
    waiting: HashMap<String, VecDeque<(u64, oneshot::Sender<()>)>>,
    next_ticket: u64,
}

impl State {
    fn waiting_count(&self) -> usize {
        self.waiting.values().map(VecDeque::len).sum()
    }

    /// Gives free slots to waiting items, first job in the order first. A slot handed over is
    /// counted in flight from then on; the item's [`Ticket`] gives it back if it never uses it.
    fn hand_out(&mut self) {
        while self.in_flight < self.limit {
            let Some(job) = self
                .order
                .iter()
                .find(|job| self.waiting.get(*job).is_some_and(|w| !w.is_empty()))
                .cloned()
                .or_else(|| {
                    // An item of a job not in the order (never entered): after all the others.
                    self.waiting
                        .iter()
                        .find(|(_, w)| !w.is_empty())
                        .map(|(job, _)| job.clone())
                })
            else {
                return;
            };
            let Some((_, wake)) = self.waiting.get_mut(&job).and_then(VecDeque::pop_front) else {
                return;
            };
            self.in_flight += 1;
            // The receiver is only dropped after its ticket left the queue (under this lock),
            // so a wake never goes to nobody; if it did, the slot would just be given back.
            if wake.send(()).is_err() {
                self.in_flight -= 1;
            }
        }
    }
}

#[derive(Clone, Default)]
pub(super) struct Slots(Arc<Mutex<State>>);

/// An item's place among the files in flight; given back when dropped.
pub(super) struct Slot(Slots);

impl Drop for Slot {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.in_flight -= 1;
        state.hand_out();
    }
}

/// An item waiting: leaving the queue when dropped, or giving back a slot handed to it that it
/// no longer waits for.
struct Ticket {
    slots: Slots,
    job: String,
    ticket: u64,
    /// The slot handed over was taken by the item: nothing to give back.
    taken: bool,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if self.taken {
            return;
        }
        let mut state = self.slots.lock();
        let queue = state.waiting.get_mut(&self.job);
        let was_waiting = queue.is_some_and(|queue| {
            let before = queue.len();
            queue.retain(|(t, _)| *t != self.ticket);
            queue.len() < before
        });
        if state.waiting.get(&self.job).is_some_and(VecDeque::is_empty) {
            state.waiting.remove(&self.job);
        }
        if !was_waiting {
            // Handed a slot, and gone before taking it.
            state.in_flight -= 1;
            state.hand_out();
        }
    }
}

impl Slots {
    pub(super) fn new(limit: usize) -> Self {
        let slots = Self::default();
        slots.lock().limit = limit.max(1);
        slots
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for a slot for an item of `job`.
    pub(super) async fn take(&self, job: &str) -> Slot {
        let waiting = {
            let mut state = self.lock();
            if state.in_flight < state.limit && state.waiting_count() == 0 {
                state.in_flight += 1;
                None
            } else {
                let (tx, rx) = oneshot::channel();
                let ticket = state.next_ticket;
                state.next_ticket += 1;
                state
                    .waiting
                    .entry(job.to_string())
                    .or_default()
                    .push_back((ticket, tx));
                Some((
                    rx,
                    Ticket {
                        slots: self.clone(),
                        job: job.to_string(),
                        ticket,
                        taken: false,
                    },
                ))
            }
        };
        let Some(rx) = waiting else {
            // Held by the guard while it yields: dropped there, it is given back.
            let slot = Slot(self.clone());
            // A free slot is taken without waiting; this keeps it a point where a busy task
            // yields (as a semaphore's acquire is), so a loop around it cannot starve the
            // runtime or outlive an abort.
            tokio::task::coop::consume_budget().await;
            return slot;
        };
        let (rx, mut ticket) = rx;
        // The sender stays in the queue until it wakes this item: only the ticket takes it out.
        let _ = rx.await;
        // Handed a slot: it is this item's now, no longer the ticket's to give back.
        ticket.taken = true;
        Slot(self.clone())
    }

    pub(super) fn set_limit(&self, limit: usize) {
        let mut state = self.lock();
        state.limit = limit.max(1);
        state.hand_out();
    }

    pub(super) fn limit(&self) -> usize {
        self.lock().limit
    }

    pub(super) fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    pub(super) fn waiting(&self) -> usize {
        self.lock().waiting_count()
    }

    /// Items of `job` waiting for a slot.
    pub(super) fn waiting_for(&self, job: &str) -> usize {
        self.lock().waiting.get(job).map_or(0, VecDeque::len)
    }

    /// Puts `job` at the end of the order (a job that starts).
    pub(super) fn enter(&self, job: &str) {
        let mut state = self.lock();
        if !state.order.iter().any(|j| j == job) {
            state.order.push(job.to_string());
        }
    }

    /// Takes `job` out of the order (a job that ended).
    pub(super) fn leave(&self, job: &str) {
        self.lock().order.retain(|j| j != job);
    }

    pub(super) fn order(&self) -> Vec<String> {
        self.lock().order.clone()
    }

    /// Moves `job` `by` places (negative: up, towards the front). Returns whether it moved.
    pub(super) fn shift(&self, job: &str, by: isize) -> bool {
        let mut state = self.lock();
        let Some(at) = state.order.iter().position(|j| j == job) else {
            return false;
        };
        let to = at
            .saturating_add_signed(by)
            .min(state.order.len().saturating_sub(1));
        if to == at {
            return false;
        }
        let moved = state.order.remove(at);
        state.order.insert(to, moved);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn until(f: impl Fn() -> bool) {
        while !f() {
            tokio::task::yield_now().await;
        }
    }

    #[tokio::test]
    async fn a_freed_slot_goes_to_the_first_job_in_the_order() {
        let slots = Slots::new(1);
        for job in ["a", "b"] {
            slots.enter(job);
        }
        let held = slots.take("x").await;
        let b = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take("b").await }
        });
        until(|| slots.waiting_for("b") == 1).await;
        let a = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take("a").await }
        });
        until(|| slots.waiting_for("a") == 1).await;
        // b asked first, but a is ahead of it in the queue.
        drop(held);
        let a_slot = a.await.unwrap();
        assert_eq!(slots.waiting_for("b"), 1);
        assert!(!b.is_finished());
        assert!(slots.shift("b", -1));
        assert_eq!(slots.order(), ["b", "a"]);
        drop(a_slot);
        drop(b.await.unwrap());
        assert_eq!((slots.in_flight(), slots.waiting()), (0, 0));
    }

    #[tokio::test]
    async fn an_item_that_stops_waiting_leaves_no_slot_taken() {
        let slots = Slots::new(1);
        let held = slots.take("a").await;
        let waiter = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take("a").await }
        });
        until(|| slots.waiting() == 1).await;
        waiter.abort();
        let _ = waiter.await;
        assert_eq!(slots.waiting(), 0);
        drop(held);
        assert_eq!(slots.in_flight(), 0);
        let _again = slots.take("a").await;
        assert_eq!(slots.in_flight(), 1);
    }

    #[tokio::test]
    async fn a_higher_limit_wakes_waiting_items_at_once() {
        let slots = Slots::new(1);
        let _held = slots.take("a").await;
        let waiter = tokio::spawn({
            let slots = slots.clone();
            async move { slots.take("a").await }
        });
        until(|| slots.waiting() == 1).await;
        slots.set_limit(2);
        let _second = waiter.await.unwrap();
        assert_eq!(slots.in_flight(), 2);
    }

    #[test]
    fn shifting_stays_inside_the_queue() {
        let slots = Slots::new(1);
        for job in ["a", "b", "c"] {
            slots.enter(job);
        }
        assert!(!slots.shift("a", -1));
        assert!(slots.shift("a", 5));
        assert_eq!(slots.order(), ["b", "c", "a"]);
        assert!(!slots.shift("nope", 1));
        slots.leave("c");
        assert_eq!(slots.order(), ["b", "a"]);
    }
}
