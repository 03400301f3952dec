//! The settings file: where it lives, its shape and schema, validation with line and column,
//! and atomic saving.

mod file;
mod model;
mod parse;
mod provider;
mod validate;

use std::path::{Path, PathBuf};

pub use file::{FILE_NAME, SettingsFile};
pub use model::{
    BandwidthLimit, CURRENT_VERSION, Checksums, Compression, ConflictPolicy, CredentialSource,
    LocalStorage, PairCompare, Price, S3Storage, Settings, Sse, Storage, SyncPair, TransferPrefs,
    UpdateFeed, UploadPolicy, Workspace, json_schema,
};
pub use parse::{Parsed, Problem, parse};
pub use provider::Provider;
pub use validate::{
    check_bucket, check_endpoint, check_id, check_region, check_update_url, check_workspace,
    endpoint_warning, is_loopback, workspace_warnings,
};

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("could not {action} {path}: {source}", path = path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        source: std::io::Error,
    },
    #[error("{path} is not valid JSON: {message} at line {line}, column {column}; the file was left unchanged", path = path.display())]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path} has {count} problem{s}; the file was left unchanged:\n{list}",
        path = path.display(),
        count = problems.len(),
        s = if problems.len() == 1 { "" } else { "s" },
        list = problems.iter().map(|p| format!("  {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("the change was not saved:\n{list}",
        list = problems.iter().map(|p| format!("  {}: {}", p.path, p.message)).collect::<Vec<_>>().join("\n"))]
    Rejected { problems: Vec<Problem> },
    #[error("{path} was changed by someone else since Ferry loaded it; your change was not saved, so theirs is not lost", path = path.display())]
    ChangedOnDisk { path: PathBuf },
    #[error("{path} is {size} bytes; a settings file is a few kilobytes, so Ferry did not read it and left it unchanged", path = path.display())]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path} is version {version}, written by a newer Ferry (this one reads up to {CURRENT_VERSION}); it was left unchanged", path = path.display())]
    TooNew { path: PathBuf, version: u32 },
}

impl SettingsError {
    pub fn hint(&self) -> &'static str {
        match self {
            SettingsError::Io { .. } => "Check the folder's permissions and free space.",
            SettingsError::Syntax { .. } | SettingsError::Invalid { .. } => {
                "Fix the file at the position shown (a JSON Schema ships as schema/settings.schema.json), or move it away to start afresh."
            }
            SettingsError::Rejected { .. } => "Correct the values named above and try again.",
            SettingsError::ChangedOnDisk { .. } => {
                "Run the command again: Ferry will load the edited file first."
            }
            SettingsError::TooNew { .. } => "Update Ferry to the version that wrote this file.",
            SettingsError::TooLarge { .. } => {
                "Check that this is the right file; move it away to start afresh."
            }
        }
    }
}

/// Where settings live: `--config-dir`, else `FERRY_CONFIG_DIR`, else the platform config dir
/// (`~/.config/ferry` on Linux).
pub fn config_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    if let Some(dir) = std::env::var_os("FERRY_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "ferry")
        .map(|d| d.config_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".ferry"))
}

/// The folder of the first-run local workspace: `~/Ferry`.
pub fn default_local_folder() -> PathBuf {
    directories::UserDirs::new()
        .map(|d| d.home_dir().join("Ferry"))
        .unwrap_or_else(|| PathBuf::from("Ferry"))
}

/// Expands a leading `~/` to the home folder.
pub fn expand_home(path: &Path) -> PathBuf {
    match path.strip_prefix("~") {
        Ok(rest) => directories::UserDirs::new()
            .map(|d| d.home_dir().join(rest))
            .unwrap_or_else(|| path.to_path_buf()),
        Err(_) => path.to_path_buf(),
    }
}

#[cfg(test)]
mod tests;
