//! Steering a running job from outside: cancel it or one of its items, or pause and resume
//! it. A paused job finishes what is in flight and starts nothing new until resumed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, watch};
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct JobControl {
    cancel: CancellationToken,
    paused: Arc<watch::Sender<bool>>,
    cancelled_items: Arc<(Mutex<HashSet<i64>>, Notify)>,
}

impl Default for JobControl {
    fn default() -> Self {
        Self {
            cancel: CancellationToken::new(),
            paused: Arc::new(watch::channel(false).0),
            cancelled_items: Arc::new((Mutex::new(HashSet::new()), Notify::new())),
        }
    }
}

impl JobControl {
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    pub fn pause(&self) {
        self.paused.send_replace(true);
    }

    pub fn resume(&self) {
        self.paused.send_replace(false);
    }

    /// Cancels one item (by its sequence number in the journal): it is skipped if it has not
    /// started, and stopped (its open upload aborted) if it has.
    pub fn cancel_item(&self, seq: i64) {
        let (set, notify) = &*self.cancelled_items;
        set.lock().unwrap_or_else(|p| p.into_inner()).insert(seq);
        notify.notify_waiters();
    }

    pub(super) fn is_item_cancelled(&self, seq: i64) -> bool {
        let (set, _) = &*self.cancelled_items;
        set.lock().unwrap_or_else(|p| p.into_inner()).contains(&seq)
    }

    /// Returns when item `seq` is cancelled.
    pub(super) async fn item_cancelled(&self, seq: i64) {
        let (_, notify) = &*self.cancelled_items;
        loop {
            let notified = notify.notified();
            if self.is_item_cancelled(seq) {
                return;
            }
            notified.await;
        }
    }

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
    }

    pub(super) fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }

    pub(super) async fn cancelled(&self) {
        self.cancel.cancelled().await
    }

    /// Returns at once unless paused; then when resumed (or cancelled).
    pub(super) async fn wait_while_paused(&self) {
        let mut rx = self.paused.subscribe();
        tokio::select! {
            _ = rx.wait_for(|paused| !paused) => {}
            () = self.cancel.cancelled() => {}
        }
    }
}
