//! How results and errors are printed.

use ferry_engine::Error;
use ferry_engine::error::{ErrorReport, Remedy};
pub use ferry_storage::text::{lines, plain};
use serde::Serialize;

pub fn error(err: &Error) {
    eprintln!("error: {}", lines(&err.to_string()));
    eprintln!("  hint: {}", lines(&err.hint()));
    if let Some(remedy) = err.remedy() {
        eprintln!("  try: {}", remedy_text(&remedy));
    }
}

/// A remedy as the CLI offers it: the command or flag that does it.
pub fn remedy_text(remedy: &Remedy) -> String {
    match remedy {
        Remedy::ChooseConflict => {
            "--overwrite, or --conflict skip|rename|overwrite-if-newer".into()
        }
        Remedy::EnterKeys { workspace } => format!(
            "`ferry secret set {}`",
            workspace.as_deref().unwrap_or("WORKSPACE")
        ),
        Remedy::ChooseCredentials { workspace } => format!(
            "`ferry workspace edit {workspace} --keychain` (then `ferry secret set {workspace}`), \
             or `--aws-chain` (or `--profile NAME`) to use your AWS credentials there on purpose"
        ),
        Remedy::FixRegion { region } => format!(
            "`ferry workspace edit WORKSPACE --region {}`",
            region.as_deref().unwrap_or("REGION")
        ),
        Remedy::SetPublicUrl { workspace } => {
            format!("`ferry workspace edit {workspace} --public-base-url URL`")
        }
        Remedy::RestoreArchive => {
            "`ferry restore LOCATION --archive` (then again once it is restored)".into()
        }
        Remedy::ListWorkspaces => "`ferry workspace list` shows the workspaces".into(),
        Remedy::ListFolder => "`ferry ls` shows what is there".into(),
        Remedy::ListJobs => "`ferry jobs` lists them".into(),
        Remedy::CancelJob { job } => format!("`ferry jobs cancel {job}`"),
        Remedy::RetryJob { job } => format!("`ferry jobs retry {job}` runs its failed items again"),
        Remedy::ResumeJob { job } => format!("`ferry jobs resume {job}` continues it"),
        Remedy::CheckArguments => "`ferry --help`".into(),
    }
}

/// An error as JSON on stdout, for callers that asked for `--json`: the same report the app
/// gets, with the remedy as a command too.
pub fn json_error(err: &Error) {
    let report = ErrorReport::from(err);
    let command = report.remedy.as_ref().map(remedy_text);
    json(&serde_json::json!({ "error": report, "try": command }));
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
