//! Moving a media-planning workspace's storage between a local folder and S3 (document 000,
//! "Switching Between Storage Backends"): its files are migrated, each verified, and only when
//! every one arrived does Ferry set the settings file's `storage` section to the new place
//! (`mode`, and the new block's fields when the place is a Ferry workspace), keeping every
//! other byte of the file and a `.bak` of it beside it. The SDK then uses the new place on
//! its next load. The old files stay where they were, as a backup.
//!
//! The rewrite is the job's last step (`JobOptions::after`), so a resumed or retried job still
//! does it; it is refused when the file changed since the move was planned.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::section::{Field, set_fields};
use crate::Engine;
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;
use crate::settings::{CredentialSource, Storage, Workspace};
use crate::transfer::{JobKind, JobOptions};
use crate::workspace::{Location, Place};

/// Settings files are small; a larger one is not a media-planning settings file.
const MAX_FILE: u64 = 1024 * 1024;

/// Where a media-planning workspace keeps its plans.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "lowercase")]
pub enum StorageMode {
    Local,
    S3,
}

impl StorageMode {
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::Local => "local",
            StorageMode::S3 => "s3",
        }
    }

    fn of(storage: &Storage) -> Self {
        match storage {
            Storage::Local(_) => StorageMode::Local,
            Storage::S3(_) => StorageMode::S3,
        }
    }
}

/// One side of a move: a workspace Ferry has, or one it will add for the file's block.
#[derive(Debug, Clone)]
pub struct Side {
    pub workspace: Workspace,
    /// Not in Ferry's settings yet: added when the move starts.
    pub new: bool,
}

/// The settings file's rewrite, recorded with the job: the fields to set and what the file
/// held when the move was planned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageRewrite {
    pub file: PathBuf,
    /// The file's text when planned, as a digest (the text itself may hold keys).
    pub digest: String,
    /// The text as rewritten, as a digest: a job run again after the rewrite (a resume after
    /// a crash, a retry) finds it done.
    #[serde(default)]
    pub after_digest: String,
    pub to: StorageMode,
    pub fields: Vec<(Vec<String>, String, Value)>,
}

/// A planned move, to show before anything happens.
#[derive(Debug, Clone)]
pub struct StorageMove {
    pub file: PathBuf,
    pub from: Side,
    pub into: Side,
    pub rewrite: StorageRewrite,
    /// The `storage` section now, and as it will be.
    pub section_before: String,
    pub section_after: String,
    /// What the person should know (credentials the SDK cannot read, the backup left behind).
    pub notes: Vec<String>,
    /// Keys the file's block holds for the place it names (for that workspace's keychain
    /// entry, when agreed to).
    pub secret: Option<crate::secrets::S3Secret>,
}

fn read(file: &Path) -> Result<String> {
    let io = |e: std::io::Error| Error::Invalid(format!("cannot read {}: {e}", file.display()));
    let meta = std::fs::metadata(file).map_err(io)?;
    if !meta.is_file() || meta.len() > MAX_FILE {
        return Err(Error::Invalid(format!(
            "{} is not a media-planning settings file (a JSON file of at most 1 MiB)",
            file.display()
        )));
    }
    std::fs::read_to_string(file).map_err(io)
}

/// The JSON of a file's text (a byte-order mark is kept aside, and written back).
fn body(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// A section as shown: the values of fields named like secrets are hidden.
fn shown(v: &Value) -> String {
    fn hide(v: &Value) -> Value {
        match v {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = if super::formats::secret_looking(k) && !v.is_object() {
                            Value::from("(hidden)")
                        } else {
                            hide(v)
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(hide).collect()),
            other => other.clone(),
        }
    }
    serde_json::to_string_pretty(&hide(v)).unwrap_or_default()
}

/// A digest of the text, to tell whether the file changed: FNV-1a over the bytes and the
/// length (a collision needs an edit that keeps both, which no person makes by chance).
fn digest(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}-{}", text.len())
}

fn storage_value(text: &str) -> Value {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("storage").cloned())
        .unwrap_or(Value::Null)
}

/// Whether two storages are the same place (the same folder, or bucket, prefix and endpoint).
fn same_place(a: &Storage, b: &Storage) -> bool {
    match (a, b) {
        (Storage::Local(a), Storage::Local(b)) => {
            let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
            canon(&a.base_path) == canon(&b.base_path)
        }
        (Storage::S3(a), Storage::S3(b)) => {
            let endpoint = |e: &Option<String>| {
                e.as_deref()
                    .map(|e| e.trim_end_matches('/').to_ascii_lowercase())
            };
            a.bucket == b.bucket
                && a.prefix.trim_matches('/') == b.prefix.trim_matches('/')
                && endpoint(&a.endpoint_url) == endpoint(&b.endpoint_url)
        }
        _ => false,
    }
}

/// The workspace Ferry has for `found`'s place, or `found` to add under a free name.
fn side(engine: &Engine, mut found: Workspace, suffix: &str) -> Side {
    if let Some(have) = engine
        .settings()
        .workspaces
        .iter()
        .find(|w| same_place(&w.storage, &found.storage))
    {
        return Side {
            workspace: have.clone(),
            new: false,
        };
    }
    let base = format!("{} ({suffix})", found.name);
    let taken = |name: &str| {
        engine.settings().workspaces.iter().any(|w| {
            w.name.eq_ignore_ascii_case(name)
                || w.id.eq_ignore_ascii_case(name)
                || w.id == crate::unique_id(name, engine.settings())
        })
    };
    let mut name = base.clone();
    let mut n = 2;
    while taken(&name) {
        name = format!("{base} {n}");
        n += 1;
    }
    found.name = name;
    found.id = crate::unique_id(&found.name, engine.settings());
    Side {
        workspace: found,
        new: true,
    }
}

/// Plans moving the storage of the media-planning settings `file` to `to`: into the place the
/// file's own `to` block names, or into the Ferry workspace `into`.
pub fn plan(
    engine: &Engine,
    file: &Path,
    to: StorageMode,
    into: Option<&str>,
) -> Result<StorageMove> {
    let file = std::fs::canonicalize(file)
        .map_err(|e| Error::Invalid(format!("cannot read {}: {e}", file.display())))?;
    let raw = read(&file)?;
    let text = body(&raw);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if let Err(e) = serde_json::from_str::<Value>(text) {
        return Err(Error::Invalid(format!(
            "{} is not plain JSON ({e}); the SDK could not read it either",
            file.display()
        )));
    }
    let storage = storage_value(text);
    if storage.is_null() {
        return Err(Error::Invalid(format!(
            "{} has no \"storage\" section: it is not a media-planning settings file",
            file.display()
        )));
    }
    let flat = storage.get("mode").is_none() && storage.get("type").is_some();
    let from = super::formats::media_plan_as(&name, text, None)?;
    let now = StorageMode::of(&from.workspace.storage);
    if now == to {
        return Err(Error::Invalid(format!(
            "{} already keeps its plans in {} storage",
            file.display(),
            to.as_str()
        )));
    }
    let from = side(engine, from.workspace, now.as_str());
    let suffix = match to {
        StorageMode::Local => "local",
        StorageMode::S3 => "S3",
    };
    let mode_key = if flat { "type" } else { "mode" };
    let mut fields = vec![(
        vec!["storage".to_string()],
        mode_key.to_string(),
        Value::from(to.as_str()),
    )];
    let mut notes = Vec::new();
    let mut secret = None;
    let into = match into {
        Some(id) => {
            let ws = engine.workspace(id)?.clone();
            if StorageMode::of(&ws.storage) != to {
                return Err(Error::Invalid(format!(
                    "workspace {:?} is not {} storage; choose {} workspace to move into",
                    ws.name,
                    to.as_str(),
                    if to == StorageMode::S3 {
                        "an S3"
                    } else {
                        "a local"
                    }
                )));
            }
            let at: Vec<String> = if flat {
                vec!["storage".into()]
            } else {
                vec!["storage".into(), to.as_str().into()]
            };
            for (key, value) in block_fields(&ws, &mut notes) {
                fields.push((at.clone(), key.to_string(), value));
            }
            Side {
                workspace: ws,
                new: false,
            }
        }
        None => {
            let block =
                super::formats::media_plan_as(&name, text, Some(to.as_str())).map_err(|e| {
                    Error::Invalid(format!(
                        "{e}; fill in its {} block, or choose a Ferry workspace to move into",
                        to.as_str()
                    ))
                })?;
            if flat {
                return Err(Error::Invalid(format!(
                    "{} writes its storage in the flat form (\"type\"), which names one place only; choose a Ferry workspace to move into",
                    file.display()
                )));
            }
            let side = side(engine, block.workspace, suffix);
            if let Storage::S3(s3) = &side.workspace.storage
                && s3.credentials == CredentialSource::Keychain
                && (side.new || block.secret.is_some())
            {
                if block.secret.is_some() {
                    secret = block.secret;
                    notes.push(format!(
                        "the file holds the keys for {:?} ({}), which go to the keychain if you agree (never into Ferry's settings)",
                        side.workspace.name,
                        side.workspace.describe()
                    ));
                } else {
                    notes.push(format!(
                        "Ferry will add the workspace {:?} for {}; it needs keys in the keychain (`ferry secret set {}`) before the move can read or write there (the file names no profile and holds no keys)",
                        side.workspace.name,
                        side.workspace.describe(),
                        side.workspace.id
                    ));
                }
            }
            side
        }
    };
    for side in [&from, &into] {
        if let Storage::Local(local) = &side.workspace.storage {
            check_folder(&local.base_path, &file)?;
        }
    }
    if same_place(&from.workspace.storage, &into.workspace.storage) {
        return Err(Error::Invalid(
            "the plans are already in that place; nothing to move".into(),
        ));
    }
    let mut rewrite = StorageRewrite {
        file: file.clone(),
        digest: digest(text),
        after_digest: String::new(),
        to,
        fields,
    };
    let after = rewritten(text, &rewrite)?;
    rewrite.after_digest = digest(&after);
    notes.push(format!(
        "The files stay in {} as a backup; Ferry does not delete them.",
        from.workspace.describe()
    ));
    Ok(StorageMove {
        file,
        section_before: shown(&storage),
        section_after: shown(&storage_value(&after)),
        from,
        into,
        rewrite,
        notes,
        secret,
    })
}

/// A plans folder that is all of this computer or a home, or that holds the settings file
/// itself, is not one to move (the settings file would travel with the plans, and a move back
/// would meet it).
fn check_folder(folder: &Path, file: &Path) -> Result<()> {
    let real = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_path_buf());
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let home = home.map(|h| std::fs::canonicalize(&h).unwrap_or(h));
    if real.parent().is_none() || Some(&real) == home.as_ref() {
        return Err(Error::Invalid(format!(
            "the plans folder {} is {}; name the folder that holds the plans",
            folder.display(),
            if real.parent().is_none() {
                "all of this computer"
            } else {
                "your home folder"
            }
        )));
    }
    if file.starts_with(&real) {
        return Err(Error::Invalid(format!(
            "the settings file {} is inside the plans folder {}: it would be moved with the plans; keep the settings file outside it",
            file.display(),
            folder.display()
        )));
    }
    Ok(())
}

/// The fields of the SDK's block for a Ferry workspace's place.
fn block_fields(ws: &Workspace, notes: &mut Vec<String>) -> Vec<(&'static str, Value)> {
    match &ws.storage {
        Storage::Local(local) => vec![(
            "base_path",
            Value::from(local.base_path.to_string_lossy().into_owned()),
        )],
        Storage::S3(s3) => {
            let profile = match s3.credentials.effective(s3.endpoint_url.as_deref()) {
                Some(CredentialSource::Aws { profile }) => profile.unwrap_or_default(),
                _ => {
                    notes.push(format!(
                        "Ferry keeps the keys of {:?} in the keychain, which the SDK does not read: give the SDK the same keys as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or a profile",
                        ws.name
                    ));
                    String::new()
                }
            };
            vec![
                ("bucket", Value::from(s3.bucket.clone())),
                (
                    "region",
                    Value::from(s3.region.clone().unwrap_or_else(|| "us-east-1".into())),
                ),
                ("prefix", Value::from(s3.prefix.trim_end_matches('/'))),
                ("profile", Value::from(profile)),
                (
                    "endpoint_url",
                    Value::from(s3.endpoint_url.clone().unwrap_or_default()),
                ),
                (
                    "use_ssl",
                    Value::from(
                        s3.endpoint_url
                            .as_deref()
                            .is_none_or(|e| !e.starts_with("http://")),
                    ),
                ),
            ]
        }
    }
}

fn rewritten(text: &str, rewrite: &StorageRewrite) -> Result<String> {
    let fields: Vec<Field> = rewrite
        .fields
        .iter()
        .map(|(at, key, value)| Field {
            at: at.clone(),
            key: key.clone(),
            value: value.clone(),
        })
        .collect();
    set_fields(text, &fields).map_err(|why| {
        Error::Invalid(format!(
            "{} cannot be rewritten safely: {why}",
            rewrite.file.display()
        ))
    })
}

/// Where the media-planning settings `file` keeps its plans now.
pub fn current_mode(file: &Path) -> Result<StorageMode> {
    let raw = read(file)?;
    let text = body(&raw);
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let found = super::formats::media_plan_as(&name, text, None)?;
    Ok(StorageMode::of(&found.workspace.storage))
}

/// Adds the workspaces the move needs (with the keys the file holds, when `store_keys`) and
/// makes its job (started by the caller).
pub async fn start(engine: &mut Engine, plan: &StorageMove, store_keys: bool) -> Result<String> {
    prepare(engine, plan)?;
    store(engine, plan, store_keys).await?;
    create(engine, plan).await
}

/// The keys the file holds, to the keychain of the workspace Ferry added for them.
pub async fn store(engine: &Engine, plan: &StorageMove, store_keys: bool) -> Result<()> {
    if let (true, Some(secret)) = (store_keys, &plan.secret) {
        engine
            .set_secret(&plan.into.workspace.id, secret.clone())
            .await?;
    }
    Ok(())
}

/// Adds the workspaces the move needs; both places remember the settings file, so either can
/// move the plans again.
pub fn prepare(engine: &mut Engine, plan: &StorageMove) -> Result<()> {
    for side in [&plan.from, &plan.into] {
        let mut ws = side.workspace.clone();
        ws.media_plan = Some(plan.file.clone());
        if side.new {
            engine.add_workspace(ws, false)?;
        } else if side.workspace.media_plan.as_ref() != Some(&plan.file) {
            engine.replace_workspace(ws)?;
        }
    }
    Ok(())
}

/// Makes the move's job, once [`prepare`] added its workspaces.
pub async fn create(engine: &Engine, plan: &StorageMove) -> Result<String> {
    let at = |ws: &Workspace| Location {
        place: Place::Workspace(ws.id.clone()),
        key: ferry_storage::ObjectKey::root(),
    };
    // A file that is already there and differs is not replaced: the job fails that item and
    // the settings file is left as it was.
    // Compared by content: the old place's files stay as a backup, and a later move back
    // finds them older than the copies it left (by modification time they would all differ).
    let options = JobOptions {
        recursive: true,
        conflict: ConflictPolicy::Ask,
        compare: crate::transfer::Compare::Checksum,
        after: Some(plan.rewrite.clone()),
        ..JobOptions::default()
    };
    engine
        .create_job(
            JobKind::Migrate,
            &at(&plan.from.workspace),
            &at(&plan.into.workspace),
            &options,
        )
        .await
}

/// The job's last step: the settings file says the new place, its old text kept as
/// `NAME.bak` (or `NAME.bak.N`, with the file's permissions). Refused when the file changed
/// since the move was planned; done already when it says what the rewrite says (a job run
/// again after it).
pub fn finish(rewrite: &StorageRewrite) -> Result<String> {
    let file = &rewrite.file;
    let raw = read(file)?;
    let now = digest(body(&raw));
    let done = format!(
        "{} now keeps its plans in {} storage",
        file.display(),
        rewrite.to.as_str()
    );
    if !rewrite.after_digest.is_empty() && now == rewrite.after_digest {
        return Ok(done);
    }
    let changed = || {
        Error::Invalid(format!(
            "{} changed since the move was planned, so Ferry left it as it is; the files were copied — set its storage \"mode\" to \"{}\" yourself, or move again",
            file.display(),
            rewrite.to.as_str()
        ))
    };
    if now != rewrite.digest {
        return Err(changed());
    }
    let bom = &raw[..raw.len() - body(&raw).len()];
    let after = format!("{bom}{}", rewritten(body(&raw), rewrite)?);
    let io = |e: std::io::Error| Error::Invalid(format!("cannot write {}: {e}", file.display()));
    let dir = file.parent().unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let backup = (0..1000)
        .map(|n| {
            dir.join(if n == 0 {
                format!("{name}.bak")
            } else {
                format!("{name}.bak.{n}")
            })
        })
        .find(|p| std::fs::symlink_metadata(p).is_err())
        .ok_or_else(|| Error::Invalid(format!("{} has 1000 backups already", file.display())))?;
    let perms = std::fs::metadata(file).map_err(io)?.permissions();
    // The backup is a new file (never one that appeared meanwhile), as private as the file;
    // the new text replaces the file in one rename, with the file's permissions.
    {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut b = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&backup)
            .map_err(io)?;
        b.set_permissions(perms.clone()).map_err(io)?;
        b.write_all(raw.as_bytes()).map_err(io)?;
        b.sync_all().map_err(io)?;
    }
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    {
        use std::io::Write;
        tmp.write_all(after.as_bytes()).map_err(io)?;
        tmp.as_file().sync_all().map_err(io)?;
    }
    std::fs::set_permissions(tmp.path(), perms).map_err(io)?;
    // Looked at once more just before the rename: an edit made meanwhile is not lost.
    if read(file).map(|t| digest(body(&t))).ok().as_deref() != Some(now.as_str()) {
        let _ = std::fs::remove_file(&backup);
        return Err(changed());
    }
    tmp.persist(file).map_err(|e| io(e.error))?;
    Ok(format!(
        "{done} (its earlier text is in {})",
        backup.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite_of(file: &Path, text: &str) -> StorageRewrite {
        StorageRewrite {
            file: file.to_path_buf(),
            digest: digest(text),
            after_digest: String::new(),
            to: StorageMode::S3,
            fields: vec![(vec!["storage".into()], "mode".into(), Value::from("s3"))],
        }
    }

    #[test]
    fn a_file_changed_since_the_plan_is_left_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ws.json");
        let text = "{\"storage\": {\"mode\": \"local\"}}";
        std::fs::write(&file, text).unwrap();
        let rewrite = rewrite_of(&file, text);
        let edited = "{\"storage\": {\"mode\": \"local\"}, \"x\": 1}";
        std::fs::write(&file, edited).unwrap();
        let err = finish(&rewrite).unwrap_err().to_string();
        assert!(err.contains("changed since the move was planned"), "{err}");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
        assert!(!dir.path().join("ws.json.bak").exists());
    }

    /// A job run again after its rewrite (resumed after a crash, retried) finds it done,
    /// and a byte-order mark stays.
    #[test]
    fn a_rewrite_done_already_is_done_and_a_bom_stays() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ws.json");
        let text = "{\"storage\": {\"mode\": \"local\"}}";
        std::fs::write(&file, format!("\u{feff}{text}")).unwrap();
        let mut rewrite = rewrite_of(&file, text);
        rewrite.after_digest = digest("{\"storage\": {\"mode\": \"s3\"}}");
        finish(&rewrite).unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "\u{feff}{\"storage\": {\"mode\": \"s3\"}}"
        );
        let again = finish(&rewrite).unwrap();
        assert!(again.contains("now keeps its plans in s3"), "{again}");
        assert!(!dir.path().join("ws.json.bak.1").exists());
    }

    #[test]
    fn a_rewrite_keeps_a_backup_and_never_replaces_one() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ws.json");
        let text = "{\"storage\": {\"mode\": \"local\"}}";
        std::fs::write(&file, text).unwrap();
        std::fs::write(dir.path().join("ws.json.bak"), "older").unwrap();
        let note = finish(&rewrite_of(&file, text)).unwrap();
        assert!(note.contains("ws.json.bak.1"), "{note}");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "{\"storage\": {\"mode\": \"s3\"}}"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ws.json.bak")).unwrap(),
            "older"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ws.json.bak.1")).unwrap(),
            text
        );
    }
}
