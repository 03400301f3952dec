//! The settings file's shape. The field names are the file's; `schemars` derives the shipped
//! JSON Schema from these types, so editors validate hand edits against the same definition.

use std::collections::BTreeMap;
use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The version this build writes. Older files are migrated on load; newer ones are refused.
pub const CURRENT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Ferry settings")]
pub struct Settings {
    /// Format version of this file.
    #[serde(default = "current_version")]
    pub version: u32,
    #[serde(default)]
    pub workspaces: Vec<Workspace>,
    /// The `id` of the workspace opened first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_workspace: Option<String>,
    #[serde(default)]
    pub transfer: TransferPrefs,
    /// Syncs saved to run again by name (`ferry sync --pair NAME`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sync_pairs: Vec<SyncPair>,
    /// Request and egress prices per provider (`aws`, `digitalocean`, `r2`, `wasabi`, `b2`,
    /// `minio`, `custom`), for a sync plan's cost estimate; a provider not listed uses Ferry's
    /// list prices.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub prices: BTreeMap<String, Price>,
    /// Where the desktop app looks for a newer Ferry. Without it Ferry never asks anyone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    // Boxed: rarely set, and `Settings` travels by value in `Parsed`.
    pub updates: Option<Box<UpdateFeed>>,
    /// Fields this version does not know, kept so that a round trip loses nothing.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// An update feed: Tauri's static update JSON (`version`, `notes`, `pub_date`, and per platform
/// the package's `url` and `signature`), and the key its packages must be signed with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFeed {
    /// The feed's address: https://…, or http:// on this machine (a local mirror).
    pub feed: String,
    /// The public key (base64, as `tauri signer generate` prints it) whose signature every
    /// update must carry, bound to the version it announces; anything else is refused.
    pub public_key: String,
    /// Look when the app starts [default: true]; otherwise only when asked (Settings → Updates).
    #[serde(default = "yes")]
    pub check_on_start: bool,
}

/// A sync saved by name: where from, where to, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct SyncPair {
    /// What it is called (`ferry sync --pair NAME`).
    pub name: String,
    /// `WORKSPACE:folder` or a local folder.
    pub source: String,
    /// `WORKSPACE:folder` or a local folder, made to match the source.
    pub destination: String,
    /// Also delete destination files the source does not have.
    #[serde(default)]
    pub delete: bool,
    /// How to tell that a file changed.
    #[serde(default)]
    pub compare: PairCompare,
    /// A file changed on both sides since the last sync [default: the transfer setting].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conflict: Option<ConflictPolicy>,
    /// Carry only files matching one of these globs (see the README's Filters).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub include: Vec<String>,
    /// Leave out files matching any of these globs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude: Vec<String>,
    /// A run that would delete more files than this stops for review instead of deleting
    /// unattended.
    #[serde(default = "default_max_deletes")]
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub max_deletes: u64,
    /// Run every this many minutes while the app is open [default: only when asked].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub every_minutes: Option<u64>,
}

/// What a provider charges, in US dollars: per 1,000 requests of each class, and per GB (10⁹
/// bytes) read out of it over the internet.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema, Default)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(deny_unknown_fields)]
pub struct Price {
    /// PUT, POST, COPY (uploads and their parts, server-side copies).
    pub write_per_1000: f64,
    /// GET and HEAD (downloads, ranges).
    pub read_per_1000: f64,
    /// LIST (1,000 keys a page).
    pub list_per_1000: f64,
    /// DELETE.
    pub delete_per_1000: f64,
    /// Bytes read out of the provider (downloads, copies to another provider).
    pub egress_per_gb: f64,
}

fn default_max_deletes() -> u64 {
    100
}

/// How a saved sync tells that a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum PairCompare {
    /// Size and modification time (quick).
    #[default]
    SizeMtime,
    /// Content (MD5): reads files whose size and time agree.
    Checksum,
}

fn current_version() -> u32 {
    CURRENT_VERSION
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Workspace {
    /// Stable identifier: lowercase letters, digits, `-` and `_`. Credentials are stored under it.
    pub id: String,
    /// Name shown to people.
    pub name: String,
    pub storage: Storage,
    /// What every upload into this workspace gets: compression, where each file goes, a size
    /// limit, whether an existing file may be replaced. A command's own flags win.
    #[serde(default, skip_serializing_if = "UploadPolicy::is_empty")]
    pub upload: UploadPolicy,
    /// The media-planning workspace settings file whose plans are kept here (set when it is
    /// imported or its storage moved): the app offers to move them between local and S3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_plan: Option<PathBuf>,
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

/// A workspace's rules for what is uploaded into it (documents 001 and 002 of the seeds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadPolicy {
    /// `gzip`: each file is compressed and stored as `NAME.gz`, typed `application/gzip`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<Compression>,
    /// Where each file goes below the destination folder, e.g.
    /// `{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}` (see the README's key templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_template: Option<String>,
    /// What `{entity}` stands for [default: the top folder of the file's path below what is
    /// uploaded, or the uploaded folder's own name].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// A larger file is refused before anything is sent (MiB).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_file_size_mb: Option<u64>,
    /// `false`: a file already in the workspace is never replaced — not by a copy, a sync or
    /// a migration, whatever their conflict rule (keep both still works).
    #[serde(default = "yes", skip_serializing_if = "is_yes")]
    pub file_overwrite: bool,
}

impl Default for UploadPolicy {
    fn default() -> Self {
        UploadPolicy {
            compression: None,
            key_template: None,
            entity: None,
            max_file_size_mb: None,
            file_overwrite: true,
        }
    }
}

impl UploadPolicy {
    pub fn is_empty(&self) -> bool {
        *self == UploadPolicy::default()
    }

    /// The policy in words, as previews show it ("" for none).
    pub fn describe(&self) -> String {
        let mut policy = Vec::new();
        if self.compression.is_some() {
            policy.push("gzip (name.gz)".to_string());
        }
        if let Some(t) = &self.key_template {
            policy.push(format!("keys {t}"));
        }
        if let Some(mb) = self.max_file_size_mb {
            policy.push(format!("files up to {mb} MiB"));
        }
        if !self.file_overwrite {
            policy.push("never replaces a file".into());
        }
        policy.join(", ")
    }
}

impl CredentialSource {
    /// Where the keys come from, in words.
    pub fn describe(&self) -> String {
        match self {
            CredentialSource::Keychain => "access key in the keychain".into(),
            CredentialSource::Aws { profile: Some(p) } => format!("AWS profile {p}"),
            CredentialSource::Aws { profile: None } | CredentialSource::Unset => {
                "the AWS chain (environment, ~/.aws)".into()
            }
        }
    }
}

fn yes() -> bool {
    true
}

fn is_yes(b: &bool) -> bool {
    *b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Compression {
    Gzip,
}

// A handful of these exist per process; boxing the S3 variant would only complicate matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type")]
pub enum Storage {
    /// A folder on this computer.
    #[serde(rename = "local")]
    Local(LocalStorage),
    /// An S3 or S3-compatible bucket and prefix.
    #[serde(rename = "s3")]
    S3(S3Storage),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LocalStorage {
    /// Absolute path of the folder (`~/` is expanded).
    pub base_path: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct S3Storage {
    pub bucket: String,
    /// Folder inside the bucket, e.g. `mediaplans/`. Empty for the whole bucket.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub prefix: String,
    /// Region of the bucket; `us-east-1` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Endpoint of an S3-compatible service (MinIO, Spaces, R2, Wasabi…); AWS when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint_url: Option<String>,
    /// `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub path_style: bool,
    /// Unset: the AWS chain on AWS itself (the seed's minimal form); refused on any other
    /// endpoint, where the AWS chain's keys would go to another service.
    #[serde(default, skip_serializing_if = "CredentialSource::is_unset")]
    pub credentials: CredentialSource,
    /// Server-side encryption for uploads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sse: Option<Sse>,
    /// KMS key for `"sse": "aws:kms"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// Storage class for uploads, e.g. `STANDARD_IA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Canned ACL for uploads, e.g. `private` or `public-read`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<String>,
    /// `Cache-Control` header for uploads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_control: Option<String>,
    /// Public or CDN address that serves this bucket and prefix, for share links.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_base_url: Option<String>,
    /// CRC checksums on every request (`when_supported`) or only where S3 requires them
    /// (`when_required`, for servers that reject the former). Defaults to `when_supported` on
    /// AWS and `when_required` on custom endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksums: Option<Checksums>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Checksums {
    WhenSupported,
    WhenRequired,
}

/// Where an S3 workspace's credentials come from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum CredentialSource {
    /// The OS keychain, under service `ferry` and the workspace id.
    Keychain,
    /// The standard AWS chain: environment variables, `~/.aws/credentials` and `config`, SSO.
    Aws {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        profile: Option<String>,
    },
    /// Not named in settings.json (never written: the field is left out). The seed's minimal
    /// form names no credentials and relies on the AWS CLI's.
    #[default]
    #[serde(skip)]
    #[schemars(skip)]
    Unset,
}

impl CredentialSource {
    pub fn is_unset(&self) -> bool {
        matches!(self, CredentialSource::Unset)
    }

    /// The source in effect for a workspace on `endpoint` (None: AWS itself): an unset source
    /// is the AWS chain on AWS, and nothing elsewhere.
    pub fn effective(&self, endpoint: Option<&str>) -> Option<CredentialSource> {
        match (self, endpoint) {
            (CredentialSource::Unset, None) => Some(CredentialSource::Aws { profile: None }),
            (CredentialSource::Unset, Some(_)) => None,
            (source, _) => Some(source.clone()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Sse {
    #[serde(rename = "AES256")]
    Aes256,
    #[serde(rename = "aws:kms")]
    AwsKms,
}

impl Sse {
    pub fn as_str(self) -> &'static str {
        match self {
            Sse::Aes256 => "AES256",
            Sse::AwsKms => "aws:kms",
        }
    }
}

/// What to do when a transfer meets an existing destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "kebab-case")]
pub enum ConflictPolicy {
    /// Ask each time (the desktop app prompts; the CLI refuses and reports).
    #[default]
    Ask,
    Skip,
    /// Keep both: the new copy becomes `name (1).ext`.
    Rename,
    Overwrite,
    OverwriteIfNewer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default, deny_unknown_fields)]
pub struct TransferPrefs {
    /// Files in flight at once.
    pub concurrency: u32,
    /// Parts of one large file in flight at once.
    pub part_concurrency: u32,
    /// Part size for multipart uploads, in MiB (at least 5).
    pub part_size_mib: u32,
    /// Files at least this large (MiB) are uploaded in parts.
    pub multipart_threshold_mib: u32,
    /// Most MiB of file data held in memory at once across all transfers (part buffers).
    pub memory_budget_mib: u32,
    /// Seconds a server may stay silent (no answer, or a body that stops flowing) before the
    /// request is abandoned and retried.
    pub silence_timeout_secs: u32,
    pub conflict: ConflictPolicy,
    /// Copies read through symbolic links (the CLI's `--follow-links`); off, a link is skipped
    /// and listed. Deletes and moves never follow a link.
    pub follow_links: bool,
    /// The app's downloads from S3 unpack each `NAME.gz` into `NAME` once it arrived and was
    /// verified, never over a file that is there (the CLI: `ferry cp --gunzip`).
    pub unpack_gz: bool,
    /// Most bytes per second sent and received, all transfers together (0: no limit). A
    /// change applies at once, to transfers already running too.
    pub bandwidth_limit: BandwidthLimit,
}

/// Bytes per second, each way (0: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default, deny_unknown_fields)]
pub struct BandwidthLimit {
    /// Uploads: bytes per second sent to servers.
    // A number in TypeScript, exact up to 2^53 bytes per second.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub up: u64,
    /// Downloads: bytes per second received from servers.
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub down: u64,
}

impl Default for TransferPrefs {
    fn default() -> Self {
        Self {
            // Chosen from bench/ (see bench/README.md): many files in flight hide each request's
            // latency; 8 MiB parts keep a 1 GiB transfer under 64 MiB of memory.
            concurrency: 64,
            part_concurrency: 4,
            part_size_mib: 8,
            multipart_threshold_mib: 16,
            memory_budget_mib: 64,
            silence_timeout_secs: 60,
            conflict: ConflictPolicy::Ask,
            follow_links: false,
            unpack_gz: false,
            bandwidth_limit: BandwidthLimit::default(),
        }
    }
}

impl Settings {
    /// The settings of a first run: one local workspace, so Ferry works with no cloud account.
    pub fn first_run(local_folder: PathBuf) -> Self {
        Settings {
            version: CURRENT_VERSION,
            workspaces: vec![Workspace {
                id: "local".into(),
                name: "Local files".into(),
                storage: Storage::Local(LocalStorage {
                    base_path: local_folder,
                }),
                upload: Default::default(),
                media_plan: None,

                extra: BTreeMap::new(),
            }],
            default_workspace: Some("local".into()),
            transfer: TransferPrefs::default(),
            sync_pairs: Vec::new(),
            prices: BTreeMap::new(),
            updates: None,
            extra: BTreeMap::new(),
        }
    }

    /// A saved sync by name (case-insensitive).
    pub fn sync_pair(&self, name: &str) -> Option<&SyncPair> {
        let name = name.to_lowercase();
        self.sync_pairs
            .iter()
            .find(|p| p.name.to_lowercase() == name)
    }

    pub fn workspace(&self, id: &str) -> Option<&Workspace> {
        self.workspaces.iter().find(|w| w.id == id)
    }

    /// A workspace by id, or else by name (case-insensitive), as people type them.
    pub fn find(&self, id_or_name: &str) -> Option<&Workspace> {
        self.workspace(id_or_name).or_else(|| {
            self.workspaces
                .iter()
                .find(|w| w.name.eq_ignore_ascii_case(id_or_name))
        })
    }
}

/// The JSON Schema of the settings file.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Settings);
    let mut text = serde_json::to_string_pretty(&schema).expect("a schema always serializes");
    text.push('\n');
    text
}
