//! Where logs go: standard error, without what a `credential_process` helper printed. The AWS
//! SDK logs a failed helper's error output at WARN, and a helper may print a token there; Ferry's
//! own messages leave it out too (ferry-storage's S3 errors).

use std::io::{self, Write};

/// Standard error for a tracing subscriber (`.with_writer(|| LogWriter)`): each event is one
/// write, and an event quoting a helper's output keeps only what comes before it.
pub struct LogWriter;

/// `event` as it may be logged.
pub fn redacted(event: &str) -> std::borrow::Cow<'_, str> {
    if event.contains("Stderr:") {
        format!("{}\n", ferry_storage::text::without_helper_output(event)).into()
    } else {
        event.into()
    }
}

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        io::stderr().write_all(redacted(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

#[cfg(test)]
mod tests {
    use super::redacted;

    #[test]
    fn a_helpers_output_is_cut_from_log_events() {
        let event = "WARN aws_config::profile::credentials: failed: external process exited with code 3. Stderr: token=SECRET\n (ProviderError { source: \"… Stderr: token=SECRET\\n\" })\n";
        let out = redacted(event);
        assert!(!out.contains("SECRET"), "{out}");
        assert!(out.starts_with(
            "WARN aws_config::profile::credentials: failed: external process exited with code 3. "
        ));
        assert_eq!(redacted("INFO listing\n"), "INFO listing\n");
    }
}
