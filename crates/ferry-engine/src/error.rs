//! The engine's errors, and the small [`ErrorCode`] front ends branch on.

use ferry_storage::{ErrorKind, StorageError};
use serde::Serialize;

use crate::secrets::SecretError;
use crate::settings::SettingsError;

/// What kind of failure this is, for front ends: the CLI's exit code, the app's icons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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
}

impl ErrorCode {
    /// Whether the fix lies in the configuration or the command line rather than the world.
    pub fn is_configuration(self) -> bool {
        matches!(self, ErrorCode::Config)
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
            Error::Journal(_) => ErrorCode::Failed,
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
                ErrorKind::Unsupported => ErrorCode::Config,
                _ => ErrorCode::Failed,
            },
        }
    }

    pub fn hint(&self) -> String {
        match self {
            Error::Settings(e) => e.hint().into(),
            Error::Secret(e) => e.hint().into(),
            Error::Storage(e) => e.hint().into(),
            Error::UnknownWorkspace { .. } => "`ferry workspace list` shows the workspaces.".into(),
            Error::NoSecret { workspace } => format!(
                "Store them with `ferry secret set {workspace}`, or switch the workspace to an AWS profile."
            ),
            Error::KeysElsewhere { workspace, .. } => format!(
                "If you trust where it points now, enter the keys again: `ferry secret set {workspace}`."
            ),
            Error::NoCredentialSource { workspace, .. } => format!(
                "Say where its keys come from: `ferry workspace edit {workspace} --keychain` (then `ferry secret set {workspace}`), \
                 or `--aws-chain` (or `--profile NAME`) to use your AWS credentials there on purpose."
            ),
            Error::Invalid(_) => "See `ferry --help`.".into(),
            Error::NotFound(_) => "`ferry ls` shows what is there.".into(),
            Error::Overlap(_) => {
                "Choose a destination outside the source, and a source outside the destination.".into()
            }
            Error::Repointed { job, .. } => format!(
                "Point the workspace back to where it was, or give the job up with `ferry jobs cancel {job}`."
            ),
            Error::Journal(_) => {
                "Check free space and permissions of Ferry's data folder (FERRY_DATA_DIR, else ~/.local/share/ferry).".into()
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
