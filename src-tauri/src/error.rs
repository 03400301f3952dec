//! The one error shape that crosses IPC is the engine's [`ErrorReport`]: `{code, message, hint,
//! remedy}`. The UI branches on `code` and offers `remedy` in its own terms; nothing here
//! rewrites the engine's words.

pub use ferry_engine::error::{ErrorCode, ErrorReport as IpcError, Remedy};

pub type IpcResult<T> = Result<T, IpcError>;

/// A value the person gave that cannot be used.
pub fn invalid(message: impl Into<String>) -> IpcError {
    IpcError::new(
        ErrorCode::Config,
        message,
        "Correct the value and try again.",
    )
}
