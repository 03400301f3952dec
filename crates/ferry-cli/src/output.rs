//! How results and errors are printed.

use ferry_engine::Error;
pub use ferry_storage::text::{lines, plain};
use serde::Serialize;

pub fn error(err: &Error) {
    eprintln!("error: {}", lines(&err.to_string()));
    eprintln!("  hint: {}", lines(&err.hint()));
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
