//! Transfers as jobs: a request is planned into items recorded in the [`journal`], run with
//! bounded concurrency, verified item by item, and resumed after a crash from where it stopped.

mod conflict;
mod control;
pub mod estimate;
pub mod filters;
mod gunzip;
mod item;
pub mod journal;
pub mod overlap;
mod plan;
pub mod policy;
mod progress;
mod queue;
mod ranges;
pub mod reviewed;
pub mod run;
mod runner;
mod send;
mod slots;
pub mod sync;
mod verify;
pub mod view;

use serde::{Deserialize, Serialize};

pub use control::JobControl;
pub use filters::{FilterSet, Filters};
pub use journal::{ItemRow, JobRow, Journal, SyncRecord, Tally};
pub use overlap::Pins;
pub use plan::{PlanSummary, PlannedAction};
pub use plan::{check_template, check_template_within, preview_key};
pub use progress::{Accounting, Snapshot};
pub use queue::{JobEvent, Shift};
pub use run::{DryRun, JobReport, cancel_job, dry_run, requeue_job, run_job};
pub use runner::Runner;
pub use sync::Compare;
pub use view::{ItemNote, JobStatus, JobView};

use crate::settings::ConflictPolicy;
use crate::workspace::Links;

impl JobKind {
    /// How a job of this kind takes links in its source: a move's named source is the link
    /// itself (moved as a link); a copy reads a named link's folder; `--follow-links` reads
    /// through every link.
    pub fn source_links(self, options: &JobOptions) -> Links {
        if options.follow_links {
            Links::Follow
        } else if self == JobKind::Move {
            Links::Own
        } else {
            Links::Into
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
    /// Change the properties of objects in place (S3): each a verified server-side copy onto
    /// itself that keeps what the edit leaves out. Source and destination are the same place.
    Edit,
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
    /// Create the destination (what is already there is the conflict policy's to decide).
    Copy,
    /// Replace a destination file the plan found out of date (sync, migrate). With a note it is
    /// a conflict — changed on both sides since the last sync, or a migration's differing
    /// object — and the conflict policy decides.
    Update,
    /// Delete the destination key (sync --delete). A link goes as a link.
    Delete,
    /// Create an empty folder at the destination.
    Mkdir,
    /// Make the destination a symbolic link like the source (a move between local folders
    /// moves a link as a link).
    Link,
    /// Apply the job's property edit to the object (an edit job).
    Edit,
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
    /// Compress with gzip: stored as `NAME.gz`, typed `application/gzip` (None: as the
    /// destination workspace's upload policy says).
    #[serde(default)]
    pub gzip: Option<bool>,
    /// What `{entity}` stands for in the key template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Refuse, before anything is sent, a file larger than this (bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size: Option<u64>,
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
    /// Copy what symbolic links point to (`--follow-links`); by default a link is skipped with
    /// a notice, as rclone does.
    #[serde(default)]
    pub follow_links: bool,
    /// Copy this version of the (one, S3) source instead of its current content: a download
    /// or copy of an earlier version (`ferry cp --version`, the Versions tab).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// What an edit job changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edit: Option<ferry_storage::s3::PropertyEdit>,
    /// Which files below the source are carried (`--include`, `--exclude`).
    #[serde(default, skip_serializing_if = "Filters::is_empty")]
    pub filters: Filters,
    /// A sync that would delete more files than this fails before changing anything (it is
    /// planned whole first); checked again when it is resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_deletes: Option<u64>,
    /// Carries out a plan a person reviewed (`ferry sync --plan`, the app's Sync): an update or
    /// a delete whose destination changed since the review is left alone and reported.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reviewed: bool,
    /// The destination workspace never replaces a file (`file_overwrite: false`): an overwrite
    /// becomes a skip, reported; keep both still works.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_existing: bool,
    /// What the job does once every file arrived (a media-planning settings file set to the
    /// storage its plans were moved to).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<crate::import::storage_move::StorageRewrite>,
    /// Downloads: a `NAME.gz` becomes `NAME` once it arrived and was verified (`--gunzip`);
    /// never over a file that is there.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gunzip: bool,
}

impl UploadOptions {
    pub fn gzip(&self) -> bool {
        self.gzip == Some(true)
    }
}

impl Default for JobOptions {
    fn default() -> Self {
        Self {
            recursive: false,
            conflict: ConflictPolicy::Ask,
            delete_extraneous: false,
            compare: Compare::SizeMtime,
            upload: UploadOptions::default(),
            follow_links: false,
            source_version: None,
            edit: None,
            filters: Filters::default(),
            max_deletes: None,
            reviewed: false,
            keep_existing: false,
            after: None,
            gunzip: false,
        }
    }
}
