//! Storage errors: a kind a caller can branch on, words a person can act on.

use std::fmt;

use crate::key::KeyError;

/// What went wrong, in the user's terms. Each kind has a fixed hint (see [`ErrorKind::hint`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The object or folder does not exist.
    NotFound,
    /// The destination already exists and the operation will not replace it.
    AlreadyExists,
    /// The bucket does not exist.
    BucketMissing,
    /// The bucket lives in another region than the one configured.
    WrongRegion,
    /// The server does not know this access key id.
    UnknownAccessKey,
    /// The access key is known but the secret does not match (signature mismatch).
    WrongSecret,
    /// The local clock differs too much from the server's.
    ClockSkew,
    /// The credentials are valid but lack permission for this action.
    AccessDenied,
    /// No credentials could be found or loaded.
    NoCredentials,
    /// The endpoint could not be reached (connection refused, DNS, TLS, timeout).
    Unreachable,
    /// The server asked us to slow down or failed temporarily.
    Throttled,
    /// The server failed (5xx) or answered something we cannot understand.
    Server,
    /// A key cannot be mapped to a local file or is not a valid key.
    InvalidKey,
    /// A local filesystem problem (permissions, disk full, not a directory…).
    LocalIo,
    /// What arrived is not what was sent (size or checksum mismatch).
    Corrupt,
    /// The operation is not something this kind of storage can do.
    Unsupported,
    /// The request was invalid (bad range, bad argument).
    InvalidRequest,
    /// The object is archived (Glacier, Deep Archive): it must be restored before it is read.
    Archived,
}

impl ErrorKind {
    /// A next step a person can take.
    pub fn hint(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "Check the path and what the folder holds.",
            ErrorKind::AlreadyExists => {
                "Choose another name, or say what happens to files that already exist (overwrite, skip, rename)."
            }
            ErrorKind::BucketMissing => {
                "Check the bucket name in the workspace settings, or create the bucket first."
            }
            ErrorKind::WrongRegion => "Set the workspace's region to the bucket's region.",
            ErrorKind::UnknownAccessKey => {
                "The access key id is not known to this endpoint: check it, and check that the endpoint is the right one."
            }
            ErrorKind::WrongSecret => "The secret access key is wrong: enter it again.",
            ErrorKind::ClockSkew => {
                "This computer's clock is off; enable automatic time synchronisation and retry."
            }
            ErrorKind::AccessDenied => {
                "The credentials work but lack permission for this action: ask for the S3 permission named above."
            }
            ErrorKind::NoCredentials => {
                "Enter the workspace's access key and secret, or use an AWS profile."
            }
            ErrorKind::Unreachable => {
                "Check the endpoint URL, your network, and that the server is running."
            }
            ErrorKind::Throttled => "The server is busy; retry in a moment.",
            ErrorKind::Server => "The server failed; retry later, and report it if it persists.",
            ErrorKind::InvalidKey => {
                "Ferry never follows such a name on local disk: rename the object, or use another destination."
            }
            ErrorKind::LocalIo => "Check the local folder: free space, permissions, and path.",
            ErrorKind::Corrupt => {
                "The damaged copy was not kept and the source is untouched; retry, and check the network or server if it repeats."
            }
            ErrorKind::Unsupported => {
                "This storage or server cannot do that; another S3 service (or AWS) may."
            }
            ErrorKind::InvalidRequest => "Check the arguments.",
            ErrorKind::Archived => {
                "Ask for it to be restored from the archive, then read it once the copy is there (minutes to two days, by tier)."
            }
        }
    }

    /// Whether retrying the same request may succeed.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            ErrorKind::Throttled | ErrorKind::Server | ErrorKind::Unreachable
        )
    }
}

/// A storage failure: its kind, a message naming what failed, and the underlying cause.
#[derive(Debug)]
pub struct StorageError {
    pub kind: ErrorKind,
    pub message: String,
    /// Of a [`ErrorKind::WrongRegion`]: the bucket's region, when the server said it.
    pub bucket_region: Option<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl StorageError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            bucket_region: None,
            source: None,
        }
    }

    pub fn with_source(
        kind: ErrorKind,
        message: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            kind,
            message: message.into(),
            bucket_region: None,
            source: Some(Box::new(source)),
        }
    }

    pub fn not_found(what: impl fmt::Display) -> Self {
        Self::new(ErrorKind::NotFound, format!("{what} does not exist"))
    }

    pub fn unsupported(what: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unsupported, what)
    }

    /// A local IO failure while doing `action` on `path`; disk-full and permission errors get
    /// their own wording because they need different fixes.
    pub fn io(action: &str, path: &std::path::Path, err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::NotFound => ErrorKind::NotFound,
            std::io::ErrorKind::AlreadyExists => ErrorKind::AlreadyExists,
            _ => ErrorKind::LocalIo,
        };
        let cause = match err.kind() {
            std::io::ErrorKind::StorageFull => "the disk is full".to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::ReadOnlyFilesystem => "the filesystem is read-only".to_string(),
            _ => err.to_string(),
        };
        Self::with_source(
            kind,
            format!("could not {action} {}: {cause}", path.display()),
            err,
        )
    }

    /// Reading what is being copied failed (as opposed to writing it): a checksum or length
    /// mismatch is corruption; anything else (a dropped connection) is worth a retry.
    pub fn reading(err: std::io::Error) -> Self {
        let kind = match err.kind() {
            std::io::ErrorKind::InvalidData => ErrorKind::Corrupt,
            _ => ErrorKind::Server,
        };
        Self::with_source(kind, format!("reading the source failed: {err}"), err)
    }

    pub fn hint(&self) -> &'static str {
        self.kind.hint()
    }
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StorageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<KeyError> for StorageError {
    fn from(err: KeyError) -> Self {
        let message = err.to_string();
        Self::with_source(ErrorKind::InvalidKey, message, err)
    }
}

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
