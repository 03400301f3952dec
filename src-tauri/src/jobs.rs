//! Job updates to the window: the engine's runner tells of every change, the transfer panel's
//! channel hears it, and a long job's end becomes a desktop notification.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ferry_engine::transfer::{JobEvent, JobStatus, JobView, Runner};
use tauri::AppHandle;
use tauri::ipc::Channel;

/// Jobs that run longer than this end with a desktop notification.
const NOTIFY_AFTER: Duration = Duration::from_secs(10);

/// Every window's channel, by window label: each transfer panel hears every job.
#[derive(Default, Clone)]
pub struct Watchers(Arc<Mutex<HashMap<String, Channel<JobView>>>>);

impl Watchers {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Channel<JobView>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The window closed: nothing more is sent to it.
    pub fn forget(&self, window: &str) {
        self.lock().remove(window);
    }
}

/// Sends the runner's updates to `channel`, the transfer panel of `window` (a window that
/// reloads replaces its earlier channel), and to every other window's.
pub fn watch(
    app: &AppHandle,
    runner: &Runner,
    watchers: &Watchers,
    window: &str,
    channel: Channel<JobView>,
) {
    watchers.lock().insert(window.to_string(), channel);
    let app = app.clone();
    let watchers = watchers.clone();
    runner.set_sink(move |event| {
        let view = match event {
            JobEvent::Changed(view) => view,
            JobEvent::Ended { view, after } => {
                if after >= NOTIFY_AFTER {
                    notify(&app, &view);
                }
                view
            }
        };
        // A window may be reloading; the next update or its `jobs_watch` catches it up.
        let channels: Vec<Channel<JobView>> = watchers.lock().values().cloned().collect();
        for channel in channels {
            let _ = channel.send(view.clone());
        }
    });
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
