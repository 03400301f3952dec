//! The one error shape that crosses IPC: `{code, message, hint}`.

use serde::Serialize;
use specta::Type;

/// What kind of failure, for the UI to branch on (never on message text). Mirrors
/// [`ferry_engine::ErrorCode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Config,
    Credentials,
    Auth,
    NotFound,
    Conflict,
    Unreachable,
    Failed,
    /// A local path the person did not choose (file chooser, drop, or a confirmation drawn by
    /// the app): the web view alone cannot name one.
    NotGranted,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct IpcError {
    pub code: ErrorCode,
    pub message: String,
    pub hint: String,
}

impl IpcError {
    pub fn new(code: ErrorCode, message: impl Into<String>, hint: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::Config,
            message,
            "Correct the value and try again.",
        )
    }
}

impl From<ferry_engine::Error> for IpcError {
    fn from(e: ferry_engine::Error) -> Self {
        use ferry_engine::ErrorCode as E;
        let code = match e.code() {
            E::Config => ErrorCode::Config,
            E::Credentials => ErrorCode::Credentials,
            E::Auth => ErrorCode::Auth,
            E::NotFound => ErrorCode::NotFound,
            E::Conflict => ErrorCode::Conflict,
            E::Unreachable => ErrorCode::Unreachable,
            E::Failed => ErrorCode::Failed,
        };
        // The CLI's hints name `ferry …` commands; in the app the same fix lives in a dialog.
        let hint = e
            .hint()
            .replace(
                "`ferry workspace list` shows the workspaces.",
                "The sidebar lists your workspaces.",
            )
            .replace(
                "`ferry ls` shows what is there.",
                "Refresh the folder to see what is there.",
            );
        let hint = if hint.contains("ferry secret set") {
            "Open Settings, choose the workspace and enter its access key and secret.".to_string()
        } else {
            hint
        };
        Self::new(code, e.to_string(), hint)
    }
}

impl From<ferry_storage::StorageError> for IpcError {
    fn from(e: ferry_storage::StorageError) -> Self {
        ferry_engine::Error::from(e).into()
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
