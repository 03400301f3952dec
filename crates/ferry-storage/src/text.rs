//! Text that comes from elsewhere — a server, a disk, another program — as Ferry may repeat it:
//! what could drive a terminal or reorder a line escaped, and what a credential helper printed
//! left out. Used by the CLI's output, the desktop app's dialogs, S3 errors and the logs.

use std::borrow::Cow;

/// Whether `c` must not reach a terminal as itself: control characters (C0, DEL, C1), which can
/// move the cursor, recolour, retitle or fake a line, and the bidirectional overrides that make
/// what follows read in another order.
pub fn hidden(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Text from a server, a disk or another program (a key, a link target, metadata, an error
/// message) as it may be printed: those characters escaped (`\x1b`, `\u{202e}`), the rest as is.
pub fn plain(text: &str) -> Cow<'_, str> {
    if !text.chars().any(hidden) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if hidden(c) && (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if hidden(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// As [`plain`], keeping line breaks: for Ferry's own messages, which carry names inside.
pub fn lines(text: &str) -> String {
    text.split('\n').map(plain).collect::<Vec<_>>().join("\n")
}

pub(crate) const HELPER_OUTPUT_WITHHELD: &str = "(what it printed is not shown: a credential helper's \
     error output may hold secrets; run the helper yourself to read it)";

/// `text` without what a `credential_process` helper wrote to stderr, which the AWS SDK quotes
/// after `Stderr:` and which may hold a token or key: it never enters a message, a log or the
/// journal.
pub fn without_helper_output(text: &str) -> String {
    match text.find("Stderr:") {
        Some(at) => format!("{}{HELPER_OUTPUT_WITHHELD}", &text[..at]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::{lines, plain};

    #[test]
    fn what_could_drive_a_terminal_is_printed_escaped() {
        assert_eq!(plain("report.pdf"), "report.pdf");
        assert_eq!(plain("café/ünï"), "café/ünï");
        assert_eq!(plain("a\x1b]0;pwned\x07b"), "a\\x1b]0;pwned\\x07b");
        assert_eq!(plain("two\nlines\r"), "two\\x0alines\\x0d");
        assert_eq!(plain("tab\there"), "tab\\x09here");
        assert_eq!(plain("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(plain("evil\u{202e}fdp.exe"), "evil\\u{202e}fdp.exe");
        assert_eq!(plain("\x7f"), "\\x7f");
        assert_eq!(lines("one\x1b[2J\ntwo"), "one\\x1b[2J\ntwo");
    }
}

#[cfg(test)]
mod helper_output_tests {
    use super::*;

    #[test]
    fn a_credential_helpers_error_output_is_withheld() {
        let sdk = "failed to load credentials: Error retrieving credentials: external process exited with code exit status: 1. Stderr: token=hunter2-SECRET\nmore";
        let cut = without_helper_output(sdk);
        assert!(!cut.contains("hunter2"), "{cut}");
        assert!(!cut.contains("more"), "{cut}");
        assert!(cut.starts_with("failed to load credentials: Error retrieving credentials: external process exited with code exit status: 1. "), "{cut}");
        assert!(cut.contains(HELPER_OUTPUT_WITHHELD));
        assert_eq!(
            without_helper_output("connection refused"),
            "connection refused"
        );
    }
}
