//! Transfers as jobs: a request is planned into items recorded in the [`journal`], run with
//! bounded concurrency, verified item by item, and resumed after a crash from where it stopped.

mod control;
mod item;
pub mod journal;
mod plan;
mod progress;
mod ranges;
pub mod run;
pub mod sync;
mod verify;

use serde::{Deserialize, Serialize};

pub use crate::workspace::Location as Place;
pub use control::JobControl;
pub use journal::{ItemRow, JobRow, Journal, Tally};
pub use plan::PlanSummary;
pub use progress::{Accounting, Snapshot};
pub use run::{JobReport, cancel_job, dry_run, requeue_job, run_job};
pub use sync::Compare;

use crate::settings::ConflictPolicy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobKind {
    Copy,
    /// Copy, verify, then delete each source.
    Move,
    /// Make the destination match the source: copy new and changed files, optionally delete
    /// what the source does not have.
    Sync,
    /// A whole local workspace into an S3 one, verified, keeping the local copy, with a report.
    Migrate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Completed,
    /// Finished, but some items failed (they can be retried).
    CompletedWithErrors,
    Failed,
    Cancelled,
}

impl JobState {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            JobState::Completed
                | JobState::CompletedWithErrors
                | JobState::Failed
                | JobState::Cancelled
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemAction {
    Copy,
    /// Delete the destination key (sync --delete).
    Delete,
    /// Create an empty folder at the destination.
    Mkdir,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    Pending,
    Done,
    Skipped,
    Failed,
}

/// How uploads are written, beyond the workspace's defaults.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UploadOptions {
    /// Compress with gzip and set `Content-Encoding: gzip`.
    #[serde(default)]
    pub gzip: bool,
    /// Where each file goes: `{prefix}/{yyyy}/{mm}/{dd}/{name}` and friends; see `plan::apply_template`.
    #[serde(default)]
    pub key_template: Option<String>,
    #[serde(default)]
    pub content_type: Option<String>,
    #[serde(default)]
    pub cache_control: Option<String>,
    #[serde(default)]
    pub storage_class: Option<String>,
    #[serde(default)]
    pub sse: Option<String>,
    #[serde(default)]
    pub metadata: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    pub recursive: bool,
    pub conflict: ConflictPolicy,
    /// Sync: delete destination files the source does not have.
    #[serde(default)]
    pub delete_extraneous: bool,
    #[serde(default)]
    pub compare: Compare,
    #[serde(default)]
    pub upload: UploadOptions,
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            recursive: false,
            conflict: ConflictPolicy::Ask,
            delete_extraneous: false,
            compare: Compare::SizeMtime,
            upload: UploadOptions::default(),
        }
    }
}
