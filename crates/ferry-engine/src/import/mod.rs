//! Workspaces from the storage settings people already have (`ferry workspace import`, the
//! app's Add workspace → Import…): a media-planning workspace settings file, a Django `.env`,
//! an export's `sync_config.s3` JSON, AWS CLI profiles, rclone's S3 remotes, and `.ferry`
//! files (one workspace as Ferry writes it). Each becomes a
//! workspace to preview before anything is saved; keys found in the file are handed back apart
//! (to go to the keychain when the person agrees, never into settings.json); what has no place
//! in a workspace is listed, not dropped silently.

mod formats;
pub mod section;
pub mod shared;
pub mod storage_move;
pub mod text;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::secrets::S3Secret;
use crate::settings::{Settings, Workspace};

/// What an imported file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// A media-planning SDK workspace settings file (`storage.mode` or `storage.type`).
    MediaPlan,
    /// A Django project's environment (`STORAGE_BACKEND`, `AWS_STORAGE_BUCKET_NAME`…).
    DjangoEnv,
    /// An S3 export's settings (`sync_config.s3`: bucket, key_prefix, compression…).
    Export,
    /// AWS CLI profiles (`~/.aws/config`, with `endpoint_url` and `services` sections).
    AwsConfig,
    /// rclone's remotes (`rclone.conf`), those of type s3.
    Rclone,
    /// A `.ferry` file: one workspace as Ferry writes it (`ferry workspace export`).
    Ferry,
}

impl Format {
    /// What the file is, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Format::MediaPlan => "a media-planning workspace settings file",
            Format::DjangoEnv => "a Django .env",
            Format::Export => "an export's sync_config",
            Format::AwsConfig => "AWS CLI profiles",
            Format::Rclone => "rclone remotes",
            Format::Ferry => "a Ferry workspace file",
        }
    }
}

/// One workspace an import would add.
#[derive(Debug, Clone)]
pub struct Imported {
    /// Where in the file it came from (`profile dev`, `[spaces]`, `storage.s3`).
    pub from: String,
    pub workspace: Workspace,
    /// Keys found in the file, for the keychain (only when the person agrees).
    pub secret: Option<S3Secret>,
    /// What the file says that a workspace has no place for, each with why.
    pub unmapped: Vec<String>,
}

/// What to fill in that a file does not say: a bucket (profiles and remotes name none), a name.
#[derive(Debug, Clone, Default)]
pub struct Hints {
    pub bucket: Option<String>,
    pub name: Option<String>,
    /// Where the file is: a media-planning workspace remembers its settings file, so that its
    /// storage can be moved later.
    pub path: Option<std::path::PathBuf>,
}

/// Tells the format from the file's name and text.
pub fn detect(name: &str, text: &str) -> Option<Format> {
    let text = text.trim_start_matches('\u{feff}');
    let name = name.to_ascii_lowercase();
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        if json.get(shared::MARKER).is_some() {
            return Some(Format::Ferry);
        }
        if json.pointer("/sync_config/s3").is_some()
            || json
                .get("s3")
                .is_some_and(|s| s.get("key_prefix").is_some())
        {
            return Some(Format::Export);
        }
        if json.get("storage").is_some() {
            return Some(Format::MediaPlan);
        }
        return None;
    }
    if name.ends_with("rclone.conf") || text.lines().any(|l| l.trim().replace(' ', "") == "type=s3")
    {
        return Some(Format::Rclone);
    }
    if text.contains("STORAGE_BACKEND") || text.contains("AWS_STORAGE_BUCKET_NAME") {
        return Some(Format::DjangoEnv);
    }
    if text.lines().any(|l| {
        let l = l.trim();
        l == "[default]" || l.starts_with("[profile ") || l.starts_with("[services ")
    }) {
        return Some(Format::AwsConfig);
    }
    None
}

/// The workspaces `text` describes, with ids free in `settings` (and among themselves).
pub fn read(
    format: Format,
    file_name: &str,
    text: &str,
    hints: &Hints,
    settings: &Settings,
) -> Result<Vec<Imported>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut found = match format {
        Format::MediaPlan => formats::media_plan(file_name, text)?,
        Format::DjangoEnv => formats::django(file_name, text)?,
        Format::Export => formats::export(file_name, text)?,
        Format::AwsConfig => formats::aws_config(text, hints)?,
        Format::Rclone => formats::rclone(text, hints)?,
        Format::Ferry => shared::read(file_name, text)?,
    };
    if found.is_empty() {
        return Err(Error::Invalid(format!(
            "{file_name} holds no storage settings Ferry can import as {format:?}"
        )));
    }
    let one = found.len() == 1;
    let mut taken = settings.clone();
    for imported in &mut found {
        let ws = &mut imported.workspace;
        if let (Some(name), true) = (&hints.name, one) {
            ws.name = name.clone();
        }
        ws.id = crate::unique_id(&ws.name, &taken);
        if format == Format::MediaPlan {
            ws.media_plan = hints
                .path
                .as_ref()
                .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.clone()))
                .filter(|p| p.is_absolute());
        }
        // Checked as a save would, before the preview: an import is added whole or not at all.
        let problems = crate::settings::check_workspace(&taken, ws);
        if !problems.is_empty() {
            let list: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
            return Err(Error::Invalid(format!(
                "{file_name} ({}) cannot be imported as it is: {}",
                imported.from,
                list.join("; ")
            )));
        }
        taken.workspaces.push(ws.clone());
    }
    Ok(found)
}
