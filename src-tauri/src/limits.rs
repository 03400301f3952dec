//! Bounds on what one command accepts from the web view. Commands trust the engine for what a
//! value means; these keep a runaway or hostile page from asking for unbounded work in one call.

use crate::error::IpcResult;

/// Items in one request (paths to delete, names to check, sources to transfer): more than any
/// selection in the window, far less than would tie the app up.
pub const MAX_ITEMS: usize = 100_000;

pub fn items<T>(what: &str, list: &[T]) -> IpcResult<()> {
    if list.len() > MAX_ITEMS {
        return Err(crate::error::invalid(format!(
            "{} {what} in one request; at most {MAX_ITEMS} (for a whole folder, select the folder)",
            list.len()
        )));
    }
    Ok(())
}

pub fn text(what: &str, value: &str, max_bytes: usize) -> IpcResult<()> {
    if value.len() > max_bytes {
        return Err(crate::error::invalid(format!(
            "the {what} is {} bytes; at most {max_bytes}",
            value.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_hold_at_the_edge() {
        assert!(items("paths", &vec![0u8; MAX_ITEMS]).is_ok());
        assert!(items("paths", &vec![0u8; MAX_ITEMS + 1]).is_err());
        assert!(text("title", "abc", 3).is_ok());
        assert!(text("title", "abcd", 3).is_err());
    }
}
