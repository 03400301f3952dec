//! The engine's errors, and the small [`ErrorCode`] front ends branch on.

use ferry_storage::{ErrorKind, StorageError};
use serde::Serialize;

use crate::secrets::SecretError;
use crate::settings::SettingsError;

/// What kind of failure this is, for front ends: the CLI's exit code, the app's icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The settings file or a command's arguments are wrong.
    Config,
    /// No credentials, or the keychain is unavailable.
    Credentials,
    /// The credentials were rejected or lack permission.
    Auth,
    NotFound,
    Conflict,
    Unreachable,
    /// The operation ran and failed (server error, local IO, refused key…).
    Failed,
    /// A local path the person did not choose: a front end that acts only on what the person
    /// picked (the app: file chooser, drop, a confirmation it drew) refuses others.
    NotGranted,
}

impl ErrorCode {
    /// Whether the fix lies in the configuration or the command line rather than the world.
    pub fn is_configuration(self) -> bool {
        matches!(self, ErrorCode::Config)
    }
}

/// What a person can do about an error. The engine says what; each front end says how in its
/// own terms — the CLI as a command or flag, the app as a button or the place in its windows —
/// so no front end shows another's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Remedy {
    /// Say what happens to files that already exist: overwrite, skip, rename.
    ChooseConflict,
    /// Enter the workspace's access key and secret (for the keychain). `None`: the workspace in
    /// question.
    EnterKeys { workspace: Option<String> },
    /// Say where a workspace's keys come from: the keychain, or the AWS chain on purpose.
    ChooseCredentials { workspace: String },
    /// Set the workspace's region to `region` (the bucket's, when the server said it).
    FixRegion { region: Option<String> },
    /// Give the workspace a public (CDN) address for its objects.
    SetPublicUrl { workspace: String },
    /// Ask for the archived object to be restored (then read it once the copy is there).
    RestoreArchive,
    /// Look at the workspaces there are.
    ListWorkspaces,
    /// Look at what the folder holds.
    ListFolder,
    /// Look at the jobs there are.
    ListJobs,
    /// Give the job up (what it set aside on the server is aborted).
    CancelJob { job: String },
    /// Run the job's failed items again.
    RetryJob { job: String },
    /// Continue the job from where it stopped.
    ResumeJob { job: String },
    /// Look at how the command or dialog is used.
    CheckArguments,
}

/// An error as it crosses to a front end that is not Rust (the app's web view, `--json`):
/// what kind, what happened, what to do — in words, and as a [`Remedy`] to act on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ErrorReport {
    pub code: ErrorCode,
    pub message: String,
    /// Advice that holds in any front end (no commands, no buttons).
    pub hint: String,
    pub remedy: Option<Remedy>,
}

impl ErrorReport {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: hint.into(),
            remedy: None,
        }
    }

    pub fn with_remedy(mut self, remedy: Remedy) -> Self {
        self.remedy = Some(remedy);
        self
    }

    /// A job that ended failed, with the note the journal keeps.
    pub fn job_failed(job: &str, message: &str) -> Self {
        Self::new(
            ErrorCode::Failed,
            message,
            "Retry the job once the cause is fixed; testing the workspace's connection shows what is wrong with it.",
        )
        .with_remedy(Remedy::RetryJob {
            job: job.to_string(),
        })
    }
}

impl From<&Error> for ErrorReport {
    fn from(e: &Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            hint: e.hint(),
            remedy: e.remedy(),
        }
    }
}

impl From<Error> for ErrorReport {
    fn from(e: Error) -> Self {
        Self::from(&e)
    }
}

impl From<StorageError> for ErrorReport {
    fn from(e: StorageError) -> Self {
        Self::from(Error::from(e))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("no workspace is called {name:?} (known: {known})")]
    UnknownWorkspace { name: String, known: String },
    #[error("workspace {workspace:?} has no credentials in the keychain")]
    NoSecret { workspace: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("the transfer journal failed: {0}")]
    Journal(String),
    /// A request the engine will not carry out as asked (no such job, a job not in a state
    /// for it, a workspace without what it needs), with what to do instead.
    #[error("{message}")]
    Refused {
        message: String,
        code: ErrorCode,
        hint: &'static str,
        remedy: Remedy,
    },
    /// A new name (rename, new folder) that something already has.
    #[error("{0}")]
    NameTaken(String),
    /// Source and destination overlap: one contains the other (or they are one place).
    #[error("{0}")]
    Overlap(String),
    /// A job's workspace now points elsewhere than when the job was made.
    #[error("{message}")]
    Repointed { job: String, message: String },
    /// The keychain's keys were entered for another endpoint or bucket than the workspace's.
    #[error(
        "the keys stored for workspace {workspace:?} were entered for {entered_for}, and it now points at {now}; Ferry will not send them there"
    )]
    KeysElsewhere {
        workspace: String,
        entered_for: String,
        now: String,
    },
    /// A custom endpoint with no credential source named: the AWS chain's keys are not sent
    /// to whatever server that is.
    #[error(
        "workspace {workspace:?} uses the endpoint {endpoint} but names no credentials; Ferry will not send your AWS credentials (environment, ~/.aws) to another service unasked"
    )]
    NoCredentialSource { workspace: String, endpoint: String },
}

impl Error {
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Settings(_)
            | Error::UnknownWorkspace { .. }
            | Error::Invalid(_)
            | Error::NoSecret { .. }
            | Error::NoCredentialSource { .. }
            | Error::Overlap(_)
            | Error::Repointed { .. } => ErrorCode::Config,
            Error::Secret(_) | Error::KeysElsewhere { .. } => ErrorCode::Credentials,
            Error::NotFound(_) => ErrorCode::NotFound,
            Error::NameTaken(_) => ErrorCode::Conflict,
            Error::Journal(_) => ErrorCode::Failed,
            Error::Refused { code, .. } => *code,
            Error::Storage(e) => match e.kind {
                ErrorKind::NotFound | ErrorKind::BucketMissing => ErrorCode::NotFound,
                ErrorKind::AlreadyExists => ErrorCode::Conflict,
                ErrorKind::UnknownAccessKey
                | ErrorKind::WrongSecret
                | ErrorKind::ClockSkew
                | ErrorKind::AccessDenied
                | ErrorKind::WrongRegion => ErrorCode::Auth,
                ErrorKind::NoCredentials => ErrorCode::Credentials,
                ErrorKind::Unreachable => ErrorCode::Unreachable,
                ErrorKind::Unsupported | ErrorKind::Archived => ErrorCode::Config,
                _ => ErrorCode::Failed,
            },
        }
    }

    pub fn hint(&self) -> String {
        match self {
            Error::Settings(e) => e.hint().into(),
            Error::Secret(e) => e.hint().into(),
            Error::Storage(e) => e.hint().into(),
            Error::UnknownWorkspace { .. } => "Check the workspace's name.".into(),
            Error::NoSecret { .. } => {
                "Enter the workspace's access key and secret, or switch it to an AWS profile.".into()
            }
            Error::KeysElsewhere { .. } => {
                "If you trust where it points now, enter the keys again.".into()
            }
            Error::NoCredentialSource { .. } => {
                "Say where its keys come from: the keychain (then enter them), or your AWS credentials, on purpose.".into()
            }
            Error::Invalid(_) => "Correct the value and try again.".into(),
            Error::NotFound(_) => "Check the name and where it was looked for.".into(),
            Error::NameTaken(_) => "Choose another name, or delete or rename the other one first.".into(),
            Error::Overlap(_) => {
                "Choose a destination outside the source, and a source outside the destination.".into()
            }
            Error::Repointed { .. } => {
                "Point the workspace back to where it was, or give the job up.".into()
            }
            Error::Refused { hint, .. } => (*hint).into(),
            Error::Journal(_) => {
                "Check free space and permissions of Ferry's data folder (FERRY_DATA_DIR, else ~/.local/share/ferry).".into()
            }
        }
    }
}

impl Error {
    /// What a person can do about it, for the front end to offer in its own terms.
    pub fn remedy(&self) -> Option<Remedy> {
        use ferry_storage::ErrorKind as K;
        Some(match self {
            Error::UnknownWorkspace { .. } => Remedy::ListWorkspaces,
            Error::NoSecret { workspace } | Error::KeysElsewhere { workspace, .. } => {
                Remedy::EnterKeys {
                    workspace: Some(workspace.clone()),
                }
            }
            Error::NoCredentialSource { workspace, .. } => Remedy::ChooseCredentials {
                workspace: workspace.clone(),
            },
            Error::Repointed { job, .. } => Remedy::CancelJob { job: job.clone() },
            Error::Refused { remedy, .. } => remedy.clone(),
            Error::Invalid(_) => Remedy::CheckArguments,
            Error::NotFound(_) => Remedy::ListFolder,
            Error::Secret(SecretError::Corrupt { workspace, .. }) => Remedy::EnterKeys {
                workspace: Some(workspace.clone()),
            },
            Error::Storage(e) => match e.kind {
                K::NotFound => Remedy::ListFolder,
                K::AlreadyExists => Remedy::ChooseConflict,
                K::WrongRegion => Remedy::FixRegion {
                    region: e.bucket_region.clone(),
                },
                K::WrongSecret | K::NoCredentials => Remedy::EnterKeys { workspace: None },
                K::Archived => Remedy::RestoreArchive,
                _ => return None,
            },
            _ => return None,
        })
    }
}

impl Error {
    /// There is no job `id`.
    pub fn no_job(id: &str) -> Self {
        Error::Refused {
            message: format!("no job {id:?}"),
            code: ErrorCode::NotFound,
            hint: "Check the job's id.",
            remedy: Remedy::ListJobs,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
