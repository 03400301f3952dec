//! What crosses IPC. Each type is generated into `ui/src/ipc/bindings.ts`; engine types stay
//! behind this line so the UI sees a small, stable shape.
//!
//! Byte counts are `u64` in Rust and plain numbers in TypeScript (`#[specta(type = u32)]` only
//! changes the generated type): JSON carries them as numbers, exact up to 2^53 bytes.

use serde::{Deserialize, Serialize};
use specta::Type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum StorageKind {
    Local,
    S3,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// Access key id and secret in the OS keychain.
    Keychain,
    /// The AWS chain (environment, ~/.aws, SSO), optionally a named profile.
    Aws,
}

/// A workspace as the settings dialog edits it: every field a string, empty meaning unset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Type)]
pub struct WorkspaceForm {
    /// Empty for a new workspace (derived from the name on save).
    pub id: String,
    pub name: String,
    pub kind: StorageKind,
    pub base_path: String,
    pub bucket: String,
    pub prefix: String,
    pub region: String,
    pub endpoint_url: String,
    pub path_style: bool,
    pub credentials: CredentialKind,
    pub profile: String,
    /// "", "AES256" or "aws:kms".
    pub sse: String,
    pub kms_key_id: String,
    pub storage_class: String,
    pub acl: String,
    pub cache_control: String,
    pub public_base_url: String,
    /// "", "when_supported" or "when_required".
    pub checksums: String,
    /// The upload policy: compress each file (stored as NAME.gz).
    pub upload_gzip: bool,
    pub key_template: String,
    pub entity: String,
    /// MiB, "" for no limit.
    pub max_file_size_mb: String,
    /// False: a file already there is never replaced.
    pub file_overwrite: bool,
}

/// Keys typed into the dialog. They travel in only; nothing sends them back.
#[derive(Clone, Deserialize, Type)]
pub struct SecretInput {
    pub access_key_id: String,
    pub secret_access_key: String,
}

impl std::fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretInput(…)")
    }
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct WorkspaceView {
    pub form: WorkspaceForm,
    pub provider: ferry_engine::settings::Provider,
    /// "s3://bucket/prefix at endpoint" or the folder.
    pub description: String,
    pub is_default: bool,
    /// Whether the keychain holds keys for it. The keys themselves never leave the engine.
    pub secret_set: bool,
    /// The media-planning settings file whose plans it holds (Move to S3 / Move to local).
    pub media_plan: Option<String>,
}

/// Why settings.json could not be used, with where to look.
#[derive(Debug, Clone, Serialize, Type)]
pub struct SettingsProblem {
    pub message: String,
    pub hint: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct SettingsView {
    pub path: String,
    pub workspaces: Vec<WorkspaceView>,
    pub default_workspace: Option<String>,
    pub transfer: ferry_engine::settings::TransferPrefs,
    /// Set when settings.json is malformed; the app then shows it and never writes the file.
    pub problem: Option<SettingsProblem>,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct EntryView {
    pub name: String,
    /// Relative to the workspace; folders end with `/`.
    pub path: String,
    pub is_folder: bool,
    #[specta(type = u32)]
    pub size: u64,
    /// RFC 3339.
    pub modified: Option<String>,
    pub storage_class: Option<String>,
    /// A symbolic link (local workspaces): where it points. It is listed, deleted and moved as
    /// a link; copies skip it unless Settings → Transfers says to follow links.
    pub link_target: Option<String>,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct ListingPage {
    /// Pass to `list_more` for the next page.
    pub listing: u32,
    pub entries: Vec<EntryView>,
    pub done: bool,
}

/// A folder's objects and bytes counted so far; `done` once the count has ended.
#[derive(Debug, Clone, Serialize, Type)]
pub struct FolderSize {
    /// Pass to `folder_size_more` to count on.
    pub count: u32,
    pub usage: ferry_engine::find::Usage,
    pub done: bool,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct MetaPair {
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct Properties {
    pub path: String,
    pub name: String,
    pub is_folder: bool,
    #[specta(type = u32)]
    pub size: u64,
    pub modified: Option<String>,
    pub etag: Option<String>,
    /// The MD5 the ETag stands for, when it is one (single-part uploads).
    pub md5: Option<String>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub storage_class: Option<String>,
    pub sse: Option<String>,
    pub metadata: Vec<MetaPair>,
    /// Where it lives, as the CLI writes it (`workspace:path`).
    pub location: String,
    /// A symbolic link: where it points.
    pub link_target: Option<String>,
}

/// A place: a workspace and a path in it, or (no workspace) an absolute path on this computer.
#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct Place {
    pub workspace: Option<String>,
    pub path: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    Copy,
    Move,
}

#[derive(Debug, Clone, Serialize, Deserialize, Type)]
pub struct TransferRequest {
    pub kind: TransferKind,
    pub sources: Vec<Place>,
    /// The folder they go into.
    pub destination: Place,
    /// `None` follows the settings' conflict policy.
    pub conflict: Option<ferry_engine::settings::ConflictPolicy>,
    /// Copy this version of the one source (an S3 object) instead of its current content.
    pub version: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, Type)]
#[serde(rename_all = "snake_case")]
pub enum PickKind {
    Files,
    Folder,
    /// A folder to download into.
    Destination,
    /// A local workspace's folder.
    Workspace,
}

#[derive(Debug, Clone, Serialize, Type)]
pub struct AppInfo {
    pub version: String,
    pub settings_path: String,
    pub data_dir: String,
}

/// What Quick look shows of a file (see `ferry_engine::preview`).
#[derive(Debug, Clone, Serialize, Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PreviewView {
    Text {
        text: String,
        encoding: String,
        /// Only the first part is shown.
        truncated: bool,
        /// JSON shown pretty-printed.
        pretty: bool,
        /// Checked against the server's checksum.
        verified: bool,
    },
    Table {
        rows: Vec<Vec<String>>,
        encoding: String,
        truncated: bool,
        verified: bool,
    },
    Image {
        /// A PNG made by the app, as a `data:` URL (never the object itself).
        src: String,
        width: u32,
        height: u32,
        source_width: u32,
        source_height: u32,
        verified: bool,
    },
    /// Played from `ferry-media:` ranges; `token` names it there and to `preview_close`.
    Media {
        media: ferry_engine::preview::Kind,
        token: String,
        content_type: String,
        #[specta(type = u32)]
        size: u64,
        /// Where an audio or video player reads it instead, when players cannot use
        /// `ferry-media:` (Linux: a loopback address of the app's).
        stream_url: Option<String>,
    },
    None {
        reason: String,
    },
}

/// A file opened in another app.
#[derive(Debug, Clone, Serialize, Type)]
pub struct Opened {
    /// Being edited: saves are sent back (`EditSaved`, `EditConflict`); `edit_stop` ends it.
    pub edit: Option<u32>,
    /// A copy in Ferry's cache was opened (an S3 object), not the file itself.
    pub cached: bool,
}
