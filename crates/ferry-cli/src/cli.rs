//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
// The version lines are set at start (`about.rs`): the long one says where this copy came from.
#[command(
    name = "ferry",
    about = "Browse workspaces (local folders and S3 buckets) and ferry files between them",
    after_help = "A location is WORKSPACE:path (such as photos:2024/beach.jpg); a bare path is a local file or folder.\n\
                  Exit codes: 0 success, 1 the operation failed, 2 usage or configuration error."
)]
pub struct Cli {
    /// Folder holding settings.json [default: $FERRY_CONFIG_DIR, else ~/.config/ferry]
    #[arg(long, global = true, value_name = "DIR")]
    pub config_dir: Option<PathBuf>,
    /// Most bytes per second sent and received, all transfers together: 10M, or 512K:50M for up:down; off for none [default: the settings' "bandwidth_limit"]
    #[arg(long, global = true, value_name = "RATE", value_parser = crate::rate::parse_rates)]
    pub bwlimit: Option<crate::rate::Rates>,
    #[command(subcommand)]
    pub command: Command,
}

// Parsed once per run; boxing variants would only complicate matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add, change, remove and test workspaces
    #[command(subcommand)]
    Workspace(WorkspaceCmd),
    /// Store, inspect or clear a workspace's credentials in the OS keychain
    #[command(subcommand)]
    Secret(SecretCmd),
    /// Where the settings file is, and its JSON Schema
    #[command(subcommand)]
    Settings(SettingsCmd),
    /// Print a shell completion script: `ferry completions bash > ~/.local/share/bash-completion/completions/ferry`
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
    },
    /// Write the man pages of ferry and of every subcommand (ferry-sync.1, …) into a folder
    #[command(hide = true)]
    Manpages {
        /// The folder to write into (made if missing)
        dir: PathBuf,
    },
    /// List a folder (or show one object)
    Ls {
        /// WORKSPACE:path or a local path [default: the default workspace's root]
        location: Option<String>,
        /// Everything below, not just one level
        #[arg(short, long)]
        recursive: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Find objects below a folder by name, size, age or storage class, printed as they are found
    Find {
        /// WORKSPACE:folder or a local folder
        location: String,
        /// Text the name contains, or a glob (*.jpg, report-??.pdf); with a `/` the glob is matched
        /// against the path below the folder (2024/**/*.csv). Case is ignored
        #[arg(long, value_name = "PATTERN")]
        name: Option<String>,
        /// Only objects larger than SIZE (bytes, or 500K, 10M, 1.5G)
        #[arg(long, value_name = "SIZE", value_parser = crate::rate::parse_size)]
        larger_than: Option<u64>,
        /// Only objects smaller than SIZE
        #[arg(long, value_name = "SIZE", value_parser = crate::rate::parse_size)]
        smaller_than: Option<u64>,
        /// Only objects modified less than AGE ago (90s, 15m, 1h, 7d)
        #[arg(long, value_name = "AGE")]
        newer_than: Option<String>,
        /// Only objects modified more than AGE ago
        #[arg(long, value_name = "AGE")]
        older_than: Option<String>,
        /// Only objects in this storage class (STANDARD, STANDARD_IA, GLACIER…)
        #[arg(long, value_name = "CLASS")]
        class: Option<String>,
        /// One JSON object per line, as each is found
        #[arg(long)]
        json: bool,
    },
    /// Count the objects below a folder and add up their sizes
    Du {
        /// WORKSPACE:folder or a local folder
        location: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Show an object's details
    Stat {
        location: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Copy files or folders between workspaces and local paths
    Cp(CopyArgs),
    /// Move: copy, verify, then delete the source
    Mv(CopyArgs),
    /// Make a destination folder match a source folder
    Sync(SyncArgs),
    /// Copy a whole local workspace into an S3 workspace, verified, keeping the local copy
    Migrate(MigrateArgs),
    /// List, resume, retry or cancel transfer jobs
    Jobs {
        #[command(subcommand)]
        command: Option<JobsCmd>,
    },
    /// Delete an object, or a folder with -r
    Rm {
        /// WORKSPACE:path or a local path
        location: String,
        /// Delete a folder and everything in it
        #[arg(short, long)]
        recursive: bool,
        /// Required (with -r) to empty a whole workspace
        #[arg(long)]
        all: bool,
        /// Delete this one version of the object, for good (S3 workspaces with versioning; see `ferry versions`)
        #[arg(long, value_name = "ID", conflicts_with_all = ["recursive", "all"])]
        version: Option<String>,
    },
    /// Create a folder
    Mkdir { location: String },
    /// Print a pre-signed link to an object
    Presign {
        location: String,
        /// How long the link works: 90s, 15m, 1h, 7d (at most 7 days)
        #[arg(long, default_value = "1h")]
        expires: String,
        /// A link that uploads (PUT) instead of downloads
        #[arg(long)]
        put: bool,
        /// The workspace's public/CDN address instead of a signed link
        #[arg(long, conflicts_with_all = ["put"])]
        public: bool,
    },
    /// List the buckets an S3 workspace's credentials can see, or create one
    Buckets {
        workspace: String,
        /// Create this bucket (in the workspace's region)
        #[arg(long, value_name = "BUCKET")]
        create: Option<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// List the versions and delete markers of an object, or of everything in a folder
    Versions {
        /// WORKSPACE:path in an S3 workspace
        location: String,
        /// Only what reads as deleted (its latest version is a delete marker)
        #[arg(long)]
        deleted: bool,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Make an earlier version of an object current again (a new version; none is lost), or
    /// bring an archived (Glacier, Deep Archive) object back for reading
    Restore {
        /// WORKSPACE:path of the object
        location: String,
        /// The version to bring back (`ferry versions` lists them)
        #[arg(
            long,
            value_name = "ID",
            required_unless_present = "archive",
            conflicts_with = "archive"
        )]
        version: Option<String>,
        /// Ask for a readable copy of an archived object; run it again to see how it stands
        #[arg(long)]
        archive: bool,
        /// Days the restored copy stays readable (with --archive)
        #[arg(long, default_value_t = 7, requires = "archive")]
        days: u32,
        /// How fast, and at what price (with --archive)
        #[arg(long, value_enum, default_value = "standard", requires = "archive")]
        tier: Tier,
        /// Print the object now current as JSON
        #[arg(long)]
        json: bool,
    },
    /// Bring back deleted objects: remove the delete marker that hides each
    Undelete {
        /// WORKSPACE:path of an object, or of a folder (everything deleted in it)
        location: String,
        /// Print the keys brought back as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show an object's tags, or change them: KEY=VALUE sets one, --remove KEY drops one
    Tag {
        /// WORKSPACE:path of the object
        location: String,
        /// Tags to set (or change), as KEY=VALUE
        #[arg(value_name = "KEY=VALUE")]
        set: Vec<String>,
        /// Tags to remove
        #[arg(long, value_name = "KEY")]
        remove: Vec<String>,
        /// Remove every tag (before setting the ones given)
        #[arg(long)]
        clear: bool,
        /// Print the tags as JSON
        #[arg(long)]
        json: bool,
    },
    /// Change an object's properties after upload (or every object's below a folder), keeping
    /// what is not named; an empty value removes a header
    SetMeta {
        /// WORKSPACE:path of an object, or of a folder (everything below it)
        location: String,
        #[arg(long, value_name = "TYPE")]
        content_type: Option<String>,
        #[arg(long, value_name = "VALUE")]
        cache_control: Option<String>,
        #[arg(long, value_name = "VALUE")]
        content_disposition: Option<String>,
        /// STANDARD, STANDARD_IA, INTELLIGENT_TIERING, GLACIER_IR, GLACIER, DEEP_ARCHIVE…
        #[arg(long, value_name = "CLASS")]
        storage_class: Option<String>,
        /// AES256 or aws:kms
        #[arg(long, value_name = "SSE")]
        sse: Option<String>,
        /// User metadata to set, as KEY=VALUE (repeat for more)
        #[arg(long = "meta", value_name = "KEY=VALUE")]
        meta: Vec<String>,
        /// User metadata to remove (repeat for more)
        #[arg(long, value_name = "KEY")]
        remove_meta: Vec<String>,
        /// Print the report as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show a bucket's versioning, or turn it on or suspend it
    Versioning {
        workspace: String,
        state: Option<VersioningChange>,
        /// Print the state as JSON (`off`, `enabled` or `suspended`)
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Tier {
    /// Minutes (Glacier Flexible Retrieval only); the dearest
    Expedited,
    /// Hours
    Standard,
    /// Up to two days; the cheapest
    Bulk,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VersioningChange {
    /// Keep every version of every object from now on
    On,
    /// Make no new versions; those kept so far stay
    Suspend,
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// WORKSPACE:path or a local path; with -r, the folder whose contents are copied
    pub source: String,
    /// WORKSPACE:path or a local path; a folder (ending in `/`, or existing) receives files under their own names
    pub destination: String,
    /// Copy a folder and everything in it
    #[arg(short, long)]
    pub recursive: bool,
    /// Replace existing files (same as --conflict overwrite)
    #[arg(long, conflicts_with = "conflict")]
    pub overwrite: bool,
    /// What to do when the destination exists [default: the settings' "conflict"; "ask" refuses and reports]
    #[arg(long, value_enum)]
    pub conflict: Option<Conflict>,
    /// Copy what symbolic links point to (by default a link is skipped, with a notice)
    #[arg(short = 'L', long)]
    pub follow_links: bool,
    /// Copy this earlier version of the object instead of its current content (cp of one object in an S3 workspace; `ferry versions` lists them)
    #[arg(long, value_name = "ID", conflicts_with_all = ["recursive", "follow_links"])]
    pub version: Option<String>,
    /// List every action (copy, skip, conflict…) and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print a JSON report instead of text
    #[arg(long)]
    pub json: bool,
    /// Downloads: unpack each NAME.gz into NAME once it arrived and was verified (never over a file that is there; NAME.gz is then removed)
    #[arg(long)]
    pub gunzip: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
    #[command(flatten)]
    pub upload: UploadArgs,
}

/// Which files below the folder are carried (see the README's "Filters").
#[derive(Debug, Args, Default)]
pub struct FilterArgs {
    /// Carry only files matching GLOB (repeatable): a name at any depth (`*.jpg`), or with a `/` a path below the folder (`photos/2024/**`)
    #[arg(long, value_name = "GLOB")]
    pub include: Vec<String>,
    /// Leave out files matching GLOB (repeatable; wins over --include); a sync neither copies nor deletes them
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The local workspace
    pub from: String,
    /// The S3 workspace
    pub to: String,
    /// What to do with an object that exists and differs from the local file [default: the settings' "conflict"; "ask" refuses and reports]
    #[arg(long, value_enum)]
    pub conflict: Option<Conflict>,
    /// Copy what symbolic links point to (by default a link is skipped, with a notice)
    #[arg(short = 'L', long)]
    pub follow_links: bool,
    /// List every action and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

/// How uploads are written (beyond the workspace's defaults).
#[derive(Debug, Args, Default)]
pub struct UploadArgs {
    /// Compress with gzip: each file is stored as NAME.gz (application/gzip) [default: the
    /// destination workspace's upload policy]
    #[arg(long, conflicts_with = "no_gzip")]
    pub gzip: bool,
    /// Do not compress, whatever the workspace's upload policy says
    #[arg(long)]
    pub no_gzip: bool,
    /// Destination key of each file, e.g. "{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}"
    /// [default: the workspace's upload policy]
    #[arg(long, value_name = "TEMPLATE")]
    pub key_template: Option<String>,
    /// What {entity} stands for in the key template [default: the top folder below what is
    /// uploaded]
    #[arg(long, value_name = "NAME")]
    pub entity: Option<String>,
    /// Refuse, before anything is sent, a file larger than SIZE (e.g. 100M) [default: the
    /// workspace's max_file_size_mb]
    #[arg(long, value_name = "SIZE", value_parser = crate::rate::parse_size)]
    pub max_file_size: Option<u64>,
    /// Content-Type for every file [default: guessed from the name]
    #[arg(long)]
    pub content_type: Option<String>,
    /// Cache-Control header [default: the workspace's]
    #[arg(long, value_name = "VALUE")]
    pub cache_control: Option<String>,
    /// Storage class, e.g. STANDARD_IA [default: the workspace's]
    #[arg(long, value_name = "CLASS")]
    pub storage_class: Option<String>,
    /// Server-side encryption: AES256 or aws:kms [default: the workspace's]
    #[arg(long, value_name = "SSE")]
    pub sse: Option<String>,
    /// User metadata, KEY=VALUE (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub meta: Vec<String>,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// WORKSPACE:folder or a local folder (not with --plan or --pair: they name it)
    #[arg(required_unless_present_any = ["plan", "pair"], conflicts_with_all = ["plan", "pair"])]
    pub source: Option<String>,
    /// WORKSPACE:folder or a local folder, made to match the source
    #[arg(required_unless_present_any = ["plan", "pair"], conflicts_with_all = ["plan", "pair"])]
    pub destination: Option<String>,
    /// Run the sync saved in settings.json's "sync_pairs" under NAME (its places, filters and rules); one that would delete more than its max_deletes stops for review
    #[arg(long, value_name = "NAME", conflicts_with_all = ["plan", "delete", "max_delete", "conflict", "follow_links", "compare", "include", "exclude"])]
    pub pair: Option<String>,
    /// Plan, change nothing, and write the plan as JSON to FILE for review (take out an action and it is not run)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "plan"])]
    pub plan_out: Option<std::path::PathBuf>,
    /// Run a reviewed plan from FILE: only its actions whose files are still as planned; others are reported
    #[arg(long, value_name = "FILE", conflicts_with_all = ["dry_run", "delete", "max_delete", "conflict", "follow_links", "compare", "include", "exclude"])]
    pub plan: Option<std::path::PathBuf>,
    /// List every action (copy, update, delete, conflict, skip) with counts and bytes, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Also delete destination files the source does not have (a link goes as a link)
    #[arg(long)]
    pub delete: bool,
    /// With --delete: fail before changing anything when more than N files would be deleted
    #[arg(long, value_name = "N", requires = "delete")]
    pub max_delete: Option<u64>,
    /// What to do with a file changed on both sides since the last sync [default: the settings' "conflict"; "ask" refuses and reports]
    #[arg(long, value_enum)]
    pub conflict: Option<Conflict>,
    /// Copy what symbolic links point to (by default a link is skipped, with a notice)
    #[arg(short = 'L', long)]
    pub follow_links: bool,
    /// How to tell that a file changed
    #[arg(long, value_enum, default_value = "size-mtime")]
    pub compare: CompareArg,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub filters: FilterArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompareArg {
    SizeMtime,
    Checksum,
}

#[derive(Debug, Subcommand)]
pub enum JobsCmd {
    /// List jobs and their state (the default)
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Continue an interrupted job (all interrupted jobs when no id is given)
    Resume {
        job: Option<String>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Run a job's failed items again
    Retry {
        job: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Cancel a job that is not running, aborting its open multipart uploads
    Cancel { job: String },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Conflict {
    Fail,
    Skip,
    Rename,
    Overwrite,
    OverwriteIfNewer,
}

#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum WorkspaceCmd {
    /// List workspaces
    List {
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Show one workspace's settings (never its secret)
    Show {
        workspace: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Add a workspace: --local PATH, or --bucket NAME for S3
    Add(AddArgs),
    /// Change a workspace's settings
    Edit(EditArgs),
    /// Remove a workspace (and its keychain entry; files are not touched)
    Remove { workspace: String },
    /// Add workspaces from settings you already have: a media-planning settings file, a Django
    /// .env, an export's sync_config JSON, AWS CLI profiles, rclone.conf, a .ferry file (shown first)
    Import(ImportArgs),
    /// Write a workspace as a .ferry file to share it (its settings, never its keys)
    Export {
        workspace: String,
        /// The file to write (not replaced if it exists) [default: print it]
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Move a media-planning workspace's plans between a local folder and S3, then set its
    /// settings file's storage section to the new place (a .bak kept beside it)
    MoveStorage(MoveStorageArgs),
    /// Check that a workspace works: reach, credentials, bucket, list and write permission
    Test {
        workspace: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Name shown to people
    pub name: String,
    /// Stable id [default: derived from the name]
    #[arg(long)]
    pub id: Option<String>,
    /// A local folder (or give --bucket)
    #[arg(long, value_name = "PATH", conflicts_with = "bucket")]
    pub local: Option<PathBuf>,
    /// An S3 bucket (or give --local)
    #[arg(long)]
    pub bucket: Option<String>,
    #[command(flatten)]
    pub s3: S3Args,
    /// Make it the default workspace
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    pub workspace: String,
    #[arg(long)]
    pub name: Option<String>,
    /// New local folder (local workspaces)
    #[arg(long, value_name = "PATH")]
    pub local: Option<PathBuf>,
    /// New bucket (S3 workspaces)
    #[arg(long)]
    pub bucket: Option<String>,
    #[command(flatten)]
    pub s3: S3Args,
    /// Make it the default workspace
    #[arg(long)]
    pub default: bool,
}

#[derive(Debug, Args, Default)]
pub struct S3Args {
    /// Folder inside the bucket
    #[arg(long)]
    pub prefix: Option<String>,
    /// Region of the bucket (us-east-1 when absent)
    #[arg(long)]
    pub region: Option<String>,
    /// Endpoint of an S3-compatible service (MinIO, Spaces, R2, Wasabi…)
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// Path-style addressing (needed by MinIO and most local servers)
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub path_style: Option<bool>,
    /// Use this AWS profile (the standard AWS credential chain) instead of the keychain
    #[arg(long, conflicts_with = "keychain")]
    pub profile: Option<String>,
    /// Use the standard AWS chain with its default profile
    #[arg(long, conflicts_with_all = ["profile", "keychain"])]
    pub aws_chain: bool,
    /// Keep credentials in the OS keychain (the default for new S3 workspaces)
    #[arg(long)]
    pub keychain: bool,
    /// Server-side encryption for uploads
    #[arg(long, value_enum)]
    pub sse: Option<SseArg>,
    /// KMS key for --sse aws:kms
    #[arg(long)]
    pub kms_key_id: Option<String>,
    /// Storage class for uploads, such as STANDARD_IA ("" clears)
    #[arg(long)]
    pub storage_class: Option<String>,
    /// Canned ACL for uploads, such as private or public-read ("" clears)
    #[arg(long)]
    pub acl: Option<String>,
    /// Cache-Control header for uploads ("" clears)
    #[arg(long)]
    pub cache_control: Option<String>,
    /// Public or CDN address serving this bucket and prefix
    #[arg(long, value_name = "URL")]
    pub public_base_url: Option<String>,
    /// CRC checksums on every request, or only where required (for servers that reject them)
    #[arg(long, value_enum)]
    pub checksums: Option<ChecksumArg>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SseArg {
    #[value(name = "AES256")]
    Aes256,
    #[value(name = "aws:kms")]
    AwsKms,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ChecksumArg {
    WhenSupported,
    WhenRequired,
}

#[derive(Debug, Subcommand)]
pub enum SecretCmd {
    /// Store an access key in the keychain; the secret is read from stdin or a hidden prompt
    Set {
        workspace: String,
        /// The access key id (not secret); asked for when absent
        #[arg(long)]
        access_key_id: Option<String>,
    },
    /// Whether credentials are stored (never the secret itself)
    Status {
        workspace: String,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
    },
    /// Delete the stored credentials
    Clear { workspace: String },
}

#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Print the settings file's path
    Path,
    /// Print the JSON Schema of the settings file
    Schema,
    /// Check the settings file and report every problem
    Check,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import
    pub file: std::path::PathBuf,
    /// What the file is [default: told from its name and text]
    #[arg(long, value_enum)]
    pub format: Option<ImportFormat>,
    /// The bucket, for formats that name none (AWS CLI profiles, rclone remotes)
    #[arg(long)]
    pub bucket: Option<String>,
    /// The workspace's name, when the file makes one
    #[arg(long)]
    pub name: Option<String>,
    /// Show what would be added, and save nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Add without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Store keys found in the file in the OS keychain (never in settings.json)
    #[arg(long)]
    pub store_keys: bool,
}

#[derive(Debug, Args)]
pub struct MoveStorageArgs {
    /// The media-planning workspace settings file
    pub file: std::path::PathBuf,
    /// Where its plans go
    #[arg(long, value_enum)]
    pub to: StorageTo,
    /// A Ferry workspace to move into [default: the place the file's own block names]
    #[arg(long, value_name = "WORKSPACE")]
    pub into: Option<String>,
    /// Store keys the file holds (for a workspace Ferry adds) in the OS keychain, never in settings.json
    #[arg(long)]
    pub store_keys: bool,
    /// Show what would happen, and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Move without asking
    #[arg(long, short = 'y')]
    pub yes: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StorageTo {
    Local,
    S3,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ImportFormat {
    MediaPlan,
    DjangoEnv,
    Export,
    AwsConfig,
    Rclone,
    /// A .ferry file (`ferry workspace export`)
    Ferry,
}
