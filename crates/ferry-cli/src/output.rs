//! How results and errors are printed.

use std::borrow::Cow;

use ferry_engine::Error;
use serde::Serialize;

pub fn error(err: &Error) {
    eprintln!("error: {}", lines(&err.to_string()));
    eprintln!("  hint: {}", lines(&err.hint()));
}

/// Whether `c` must not reach a terminal as itself: control characters (C0, DEL, C1), which can
/// move the cursor, recolour, retitle or fake a line, and the bidirectional overrides that make
/// what follows read in another order.
fn hidden(c: char) -> bool {
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

/// An error as JSON on stdout, for callers that asked for `--json`.
pub fn json_error(err: &Error) {
    json(&serde_json::json!({
        "error": { "code": err.code(), "message": err.to_string(), "hint": err.hint() }
    }));
}

pub fn json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not encode the result as JSON: {e}"),
    }
}

/// 1536 → "1.5 KiB".
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

pub fn time(t: Option<jiff::Timestamp>) -> String {
    t.map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".into())
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
