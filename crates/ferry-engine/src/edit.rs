//! Opening files with the person's own apps, and sending their edits back.
//!
//! An object is downloaded (a normal, verified job) into a private cache — a folder only this
//! user can enter, one folder per object so the file keeps its name for the app that opens it,
//! the least recently opened evicted beyond a size cap. Editing watches the copy: each save is
//! uploaded back as a job, after checking that the object is still the one that was opened (its
//! ETag then). When someone else changed it meanwhile, nothing is sent until the person says
//! what happens: overwrite it, upload theirs as a copy beside it, or drop their edit.
//!
//! The check and the upload are two requests: a write landing between them is overwritten.
//! The window is the upload's start, not the edit's length; S3's conditional PUT (If-Match)
//! would close it where servers keep it, and uploads are jobs that do not carry it yet.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ferry_storage::{ObjectKey, ObjectMeta};

use crate::Engine;
use crate::actions::Planned;
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;
use crate::transfer::JobKind;
use crate::workspace::{Location, Place};

/// The cache keeps at most this much; the least recently opened go first.
pub const CACHE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// Where opened files are kept: `FERRY_CACHE_DIR`, else beside the data of a `FERRY_DATA_DIR`,
/// else the user's cache folder.
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERRY_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("FERRY_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir).join("cache");
    }
    directories::ProjectDirs::from("", "", "ferry")
        .map(|d| d.cache_dir().join("open"))
        .unwrap_or_else(|| PathBuf::from(".ferry-cache"))
}

/// A folder only this user may enter (0700), made if missing and tightened if it was not.
fn private_folder(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|e| local(path, "create", e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| local(path, "protect", e))?;
    }
    Ok(())
}

fn local(path: &Path, action: &str, e: std::io::Error) -> Error {
    ferry_storage::StorageError::io(action, path, e).into()
}

/// What a cached copy is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Opened to look at, or dragged out: replaced by each new download.
    View,
    /// Being edited: holds the person's saves.
    Edit,
}

/// The cache of opened files.
#[derive(Debug, Clone)]
pub struct OpenCache {
    dir: PathBuf,
    cap: u64,
}

impl OpenCache {
    pub fn new(dir: PathBuf, cap: u64) -> Result<Self> {
        private_folder(&dir)?;
        Ok(Self { dir, cap })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The folder the object at `workspace`/`key` is downloaded into for `use_`: its own, named
    /// by a hash of where it comes from (two `report.pdf`s of two buckets do not meet) and what
    /// for (a copy to look at is never downloaded over a copy being edited), made private.
    pub fn folder_for(&self, workspace: &str, key: &ObjectKey, use_: Use) -> Result<PathBuf> {
        let id = ferry_storage::integrity::md5_hex(
            format!("{workspace}\0{key}\0{}", use_ as u8).as_bytes(),
        );
        let folder = self.dir.join(&id[..16]);
        private_folder(&folder)?;
        // Opened now: the last to be evicted.
        let _ = std::fs::File::open(&folder).and_then(|f| f.set_modified(SystemTime::now()));
        Ok(folder)
    }

    /// Removes the least recently opened folders until the cache holds at most its cap, never
    /// one in `keep` (files being edited). Says how many bytes went.
    pub fn evict(&self, keep: &[PathBuf]) -> Result<u64> {
        let mut folders: Vec<(SystemTime, u64, PathBuf)> = Vec::new();
        let entries = std::fs::read_dir(&self.dir).map_err(|e| local(&self.dir, "read", e))?;
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if !meta.is_dir() {
                continue;
            }
            let used = folder_bytes(&path);
            let opened = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            folders.push((opened, used, path));
        }
        let mut total: u64 = folders.iter().map(|f| f.1).sum();
        folders.sort();
        let mut freed = 0;
        for (_, used, path) in folders {
            if total <= self.cap {
                break;
            }
            if keep.iter().any(|k| k.starts_with(&path)) {
                continue;
            }
            if std::fs::remove_dir_all(&path).is_ok() {
                total -= used;
                freed += used;
            }
        }
        Ok(freed)
    }
}

fn folder_bytes(folder: &Path) -> u64 {
    std::fs::read_dir(folder)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Kinds of file an opener would run rather than show: launchers, programs, scripts, installers.
const RUNNABLE: &[&str] = &[
    "desktop",
    "exe",
    "msi",
    "bat",
    "cmd",
    "com",
    "scr",
    "pif",
    "ps1",
    "vbs",
    "vbe",
    "js",
    "jse",
    "wsf",
    "hta",
    "jar",
    "appimage",
    "run",
    "sh",
    "bash",
    "zsh",
    "csh",
    "command",
    "app",
    "dmg",
    "pkg",
    "deb",
    "rpm",
    "flatpakref",
    "snap",
    "lnk",
    "url",
    "reg",
    "py",
    "pl",
    "rb",
];

/// Whether Ferry may hand `name` to the desktop's opener: not a kind of file it would run
/// (`executable`: a local file with an execute bit). Opening is showing, never running: a file
/// from a bucket — or a page gone bad asking — must not start a program.
pub fn may_open(name: &str, executable: bool) -> Result<()> {
    // `evil.desktop ` and `evil.desktop.` are still launchers to some desktops.
    let trimmed = name.trim_end_matches(|c: char| c.is_whitespace() || c == '.');
    let ext = trimmed
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase());
    if executable || ext.as_deref().is_some_and(|e| RUNNABLE.contains(&e)) {
        return Err(Error::Invalid(format!(
            "{name:?} is a program or script: Ferry opens files to show them, never to run them; download it and open it yourself if you trust it"
        )));
    }
    Ok(())
}

/// Whether the file's first bytes make it a program whatever its name says: a desktop names a
/// file by its content when its name does not (`README` holding `[Desktop Entry]`).
pub fn may_open_content(path: &Path) -> Result<()> {
    use std::io::Read;
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| local(path, "read", e))?;
    let head = &head[..n];
    let text = String::from_utf8_lossy(head);
    let runnable = head.starts_with(b"#!")
        || head.starts_with(b"\x7fELF")
        || head.starts_with(b"MZ")
        || text.trim_start().starts_with("[Desktop Entry]");
    if runnable {
        return Err(Error::Invalid(format!(
            "{} holds a program or launcher: Ferry opens files to show them, never to run them",
            path.file_name().unwrap_or_default().to_string_lossy()
        )));
    }
    Ok(())
}

/// What a file looked like: a save changes its size or its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fingerprint {
    pub size: u64,
    pub modified: Option<SystemTime>,
}

pub fn fingerprint(path: &Path) -> Option<Fingerprint> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Fingerprint {
        size: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// Where an edit goes when it is uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTo {
    /// Over the object.
    Object,
    /// Beside it, as `name (1).ext`: the object is left as it is.
    Copy,
}

/// What the object is now, next to what it was when the edit began.
#[derive(Debug, Clone, PartialEq)]
pub enum Remote {
    /// As opened (or as last saved): an upload replaces what the person saw.
    AsOpened,
    /// Someone changed it meanwhile.
    Changed(Box<ObjectMeta>),
    /// Someone deleted it meanwhile.
    Gone,
}

/// A file opened for editing: the object it came from, the copy the person edits, and what
/// both were when they last agreed.
#[derive(Debug, Clone)]
pub struct Edit {
    pub workspace: String,
    pub key: ObjectKey,
    pub file: PathBuf,
    /// The object as downloaded or last uploaded.
    base: ObjectMeta,
    /// The copy as downloaded or last uploaded.
    saved: Option<Fingerprint>,
}

impl Edit {
    /// An edit of the object (now `base`) whose copy is `file`, as it is now.
    pub fn new(workspace: String, key: ObjectKey, file: PathBuf, base: ObjectMeta) -> Self {
        let saved = fingerprint(&file);
        Self {
            workspace,
            key,
            file,
            base,
            saved,
        }
    }

    pub fn location(&self) -> Location {
        Location::in_workspace(&self.workspace, self.key.as_str())
    }

    /// The copy as it is now, when it differs from what was downloaded or last uploaded.
    pub fn changed(&self) -> Option<Fingerprint> {
        let now = fingerprint(&self.file)?;
        (Some(now) != self.saved).then_some(now)
    }

    /// Whether the object is still the one the edit began from.
    pub async fn remote(&self, engine: &Engine) -> Result<Remote> {
        let at = engine.resolve(&self.location()).await?;
        let Some(now) = ferry_storage::BackendExt::try_stat(at.backend.as_ref(), &at.key).await?
        else {
            return Ok(Remote::Gone);
        };
        let same = match (&now.etag, &self.base.etag) {
            (Some(a), Some(b)) => a == b,
            _ => now.size == self.base.size && now.last_modified == self.base.last_modified,
        };
        Ok(if same {
            Remote::AsOpened
        } else {
            Remote::Changed(Box::new(now))
        })
    }

    /// Makes the job that uploads the copy (not started): over the object, or beside it.
    pub async fn upload_job(&self, engine: &Engine, to: SaveTo) -> Result<String> {
        let planned = Planned {
            from: Location {
                place: Place::Local(self.file.clone()),
                key: ObjectKey::root(),
            },
            to: self.location(),
            is_folder: false,
            version: None,
            gunzip: false,
        };
        let conflict = match to {
            SaveTo::Object => ConflictPolicy::Overwrite,
            SaveTo::Copy => ConflictPolicy::Rename,
        };
        let ids = engine
            .create_jobs(
                JobKind::Copy,
                std::slice::from_ref(&planned),
                Some(conflict),
            )
            .await?;
        ids.into_iter()
            .next()
            .ok_or_else(|| Error::Invalid("nothing to upload".into()))
    }

    /// After a successful upload of the copy as it was (`sent`) over the object: both agree
    /// again, and the object as it is now is what the next save is checked against.
    pub async fn uploaded(&mut self, engine: &Engine, sent: Option<Fingerprint>) -> Result<()> {
        let at = engine.resolve(&self.location()).await?;
        self.base = crate::browse::stat(&at).await?;
        self.saved = sent;
        Ok(())
    }

    /// The person chose to keep the object as it is now: their later saves are checked
    /// against it.
    pub fn accept(&mut self, remote: ObjectMeta) {
        self.base = remote;
        self.saved = fingerprint(&self.file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_and_scripts_are_not_opened() {
        assert!(may_open("report.pdf", false).is_ok());
        assert!(may_open("notes", false).is_ok());
        for name in [
            "evil.desktop",
            "SETUP.EXE",
            "x.AppImage",
            "run.sh",
            "a.tar.deb",
        ] {
            assert!(may_open(name, false).is_err(), "{name}");
        }
        assert!(
            may_open("looks-harmless.txt", true).is_err(),
            "an execute bit"
        );
    }
}
