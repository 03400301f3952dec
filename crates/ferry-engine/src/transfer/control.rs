//! Steering a running job from outside: cancel it, or pause and resume it. A paused job
//! finishes what is in flight and starts nothing new until resumed.

use std::sync::Arc;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct JobControl {
    cancel: CancellationToken,
    paused: Arc<watch::Sender<bool>>,
}

impl Default for JobControl {
    fn default() -> Self {
        Self {
            cancel: CancellationToken::new(),
            paused: Arc::new(watch::channel(false).0),
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

    pub fn is_paused(&self) -> bool {
        *self.paused.borrow()
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
