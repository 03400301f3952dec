//! Progress bars for jobs, drawn from the engine's progress snapshots, only on a terminal.

use crate::output;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use ferry_engine::transfer::Accounting;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
    ticker: Option<tokio::task::JoinHandle<()>>,
}

impl Bar {
    /// Redraws from `accounting` ten times a second until finished.
    pub fn start(enabled: bool, accounting: Arc<Accounting>) -> Self {
        let visible = enabled && std::io::stderr().is_terminal();
        let bar = ProgressBar::with_draw_target(
            Some(0),
            if visible {
                ProgressDrawTarget::stderr()
            } else {
                ProgressDrawTarget::hidden()
            },
        );
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let ticker = visible.then(|| {
            let bar = bar.clone();
            tokio::spawn(async move {
                let mut shown_errors = 0usize;
                loop {
                    let snap = accounting.snapshot();
                    // Skipped files need no carrying: they fill the bar as done ones do.
                    let settled = snap.bytes_done + snap.bytes_skipped;
                    bar.set_length(snap.bytes_total.max(settled));
                    bar.set_position(settled);
                    let current = snap.current.first().cloned().unwrap_or_default();
                    let more = if snap.counting { "+ (counting)" } else { "" };
                    let mut ended = String::new();
                    if snap.files_skipped > 0 {
                        ended.push_str(&format!(", {} skipped", snap.files_skipped));
                    }
                    if snap.files_failed > 0 {
                        ended.push_str(&format!(", {} failed", snap.files_failed));
                    }
                    bar.set_message(format!(
                        "{}/{}{more} files{ended} {}",
                        snap.files_done,
                        snap.files_total,
                        output::plain(&current)
                    ));
                    for (item, message) in snap.errors.iter().skip(shown_errors) {
                        bar.println(format!(
                            "failed: {}: {}",
                            output::plain(&item.to_string()),
                            output::lines(&message.to_string())
                        ));
                    }
                    shown_errors = snap.errors.len();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            })
        });
        Self { bar, ticker }
    }

    pub fn finish(self) {
        if let Some(ticker) = self.ticker {
            ticker.abort();
        }
        self.bar.finish_and_clear();
    }
}
