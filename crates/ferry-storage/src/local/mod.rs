//! A folder on local disk as a store. Keys map to paths below `root`, reached through folder
//! handles that never pass a symbolic link ([`beneath`]): a link is listed, deleted, moved and
//! replaced as a link, and what it points to is read only by a store made with
//! [`LocalBackend::following_links`] (`--follow-links`). Writes go to a temporary file in the
//! same folder, are fsynced, then renamed into place, so a reader never sees half a file.

mod beneath;
mod list;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::backend::{
    Backend, ByteRange, Capabilities, DeleteFailure, GetObject, ListOptions, ListPage, ObjectMeta,
    PresignMethod, PutBody, PutOptions, WriteMode,
};
use crate::diagnose::{CheckName, ConnectionReport};
use crate::error::{ErrorKind, Result, StorageError};
use crate::identity::{Identity, NameFolding};
use crate::key::ObjectKey;
use beneath::Kind;

/// Names Ferry gives its own in-flight files; hidden from listings.
pub(crate) const PARTIAL_PREFIX: &str = ".ferry-partial-";

#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
    /// Read what links point to (`--follow-links`); writes and deletes never follow them.
    follow_links: bool,
    /// How names compare here, when known without asking the disk (tests).
    folding: Option<NameFolding>,
    /// The root folder's (device, inode) when first opened, shared by clones.
    root_id: beneath::RootId,
}

impl LocalBackend {
    /// A store rooted at `root`. The folder need not exist yet; operations say so if it doesn't.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Self {
            root,
            follow_links: false,
            folding: None,
            root_id: beneath::RootId::default(),
        }
    }

    /// The same store reading through symbolic links: a link is copied as what it points to
    /// (loops and links to nothing are listed as links, and skipped by copies).
    pub fn following_links(mut self) -> Self {
        self.follow_links = true;
        self
    }

    /// Takes names to compare as `folding` says instead of asking the disk: for tests of
    /// case-insensitive destinations on a disk that is not.
    pub fn assume_folding(mut self, folding: NameFolding) -> Self {
        self.folding = Some(folding);
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn follows_links(&self) -> bool {
        self.follow_links
    }

    fn check_root(&self) -> Result<()> {
        match std::fs::metadata(&self.root) {
            Ok(m) if m.is_dir() => Ok(()),
            Ok(_) => Err(StorageError::new(
                ErrorKind::LocalIo,
                format!("{} is not a folder", self.root.display()),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(StorageError::new(
                ErrorKind::LocalIo,
                format!(
                    "the folder {} does not exist (was it moved or deleted?); create it, or point the workspace elsewhere",
                    self.root.display()
                ),
            )),
            Err(e) => Err(StorageError::io("open folder", &self.root, e)),
        }
    }

    /// `root/key` as a path, for messages and for reading through links; keys that cannot be
    /// local names are refused.
    fn resolve(&self, key: &ObjectKey) -> Result<PathBuf> {
        Ok(self.root.join(key.to_relative_path()?))
    }

    /// `root/key` for messages, whatever the key.
    fn path_of(&self, key: &ObjectKey) -> PathBuf {
        self.resolve(key)
            .unwrap_or_else(|_| self.root.join(key.as_str()))
    }

    fn spot(&self, key: &ObjectKey, create: bool) -> Result<beneath::Spot> {
        beneath::spot(&self.root, &self.root_id, key, create)
    }

    /// Whether `key` is a folder here (not a link to one, unless following links).
    fn is_folder(&self, key: &ObjectKey) -> bool {
        if self.follow_links {
            return self.resolve(key).is_ok_and(|p| p.is_dir());
        }
        self.spot(key, false)
            .and_then(|s| s.stat())
            .is_ok_and(|s| s.is_some_and(|s| beneath::kind_of(&s) == Kind::Folder))
    }

    fn meta_for(key: ObjectKey, meta: &std::fs::Metadata) -> ObjectMeta {
        let last_modified = meta
            .modified()
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok());
        ObjectMeta {
            size: if meta.is_dir() { 0 } else { meta.len() },
            last_modified,
            content_type: content_type(&key),
            key,
            ..ObjectMeta::default()
        }
    }

    fn meta_of_stat(key: ObjectKey, stat: &rustix::fs::Stat, link: Option<String>) -> ObjectMeta {
        // The field types differ between platforms.
        #[allow(clippy::unnecessary_cast)]
        let last_modified =
            jiff::Timestamp::new(stat.st_mtime as i64, stat.st_mtime_nsec as i32).ok();
        let is_file = beneath::kind_of(stat) == Kind::File;
        ObjectMeta {
            size: if is_file { stat.st_size as u64 } else { 0 },
            last_modified,
            content_type: if is_file { content_type(&key) } else { None },
            link_target: link,
            key,
            ..ObjectMeta::default()
        }
    }

    /// A link listed as itself because it could not be followed (a loop, or it points to
    /// nothing).
    fn loop_meta(&self, key: ObjectKey) -> ObjectMeta {
        let key = ObjectKey::new(key.as_str().trim_end_matches('/'));
        let path = self.path_of(&key);
        let target = std::fs::read_link(&path)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "(a folder already being copied)".into());
        ObjectMeta {
            key,
            link_target: Some(target),
            ..ObjectMeta::default()
        }
    }

    fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(LocalBackend) -> Result<T> + Send + 'static,
    ) -> impl Future<Output = Result<T>> {
        let this = self.clone();
        async move {
            tokio::task::spawn_blocking(move || f(this))
                .await
                .map_err(|e| {
                    StorageError::new(ErrorKind::LocalIo, format!("local task failed: {e}"))
                })?
        }
    }

    /// What is at `key`, as this store sees it (links followed only when it follows them).
    fn stat_now(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.check_root()?;
        let found = if self.follow_links {
            let path = self.resolve(key)?;
            match std::fs::metadata(&path) {
                Ok(meta) => Some((meta.is_dir(), Self::meta_for(key.clone(), &meta))),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(e) => return Err(StorageError::io("read", &path, e)),
            }
        } else {
            let spot = match self.spot(key, false) {
                Ok(spot) => spot,
                Err(e) if e.kind == ErrorKind::InvalidKey && key.is_folder() => {
                    return Err(StorageError::not_found(format!("{key} (a symbolic link)")));
                }
                Err(e) => return Err(e),
            };
            match spot.stat()? {
                None => None,
                Some(stat) => {
                    let kind = beneath::kind_of(&stat);
                    let link = (kind == Kind::Link).then(|| spot.read_link()).transpose()?;
                    Some((
                        kind == Kind::Folder,
                        Self::meta_of_stat(key.clone(), &stat, link),
                    ))
                }
            }
        };
        let path = self.path_of(key);
        match found {
            None => Err(StorageError::io(
                "read",
                &path,
                std::io::Error::from(std::io::ErrorKind::NotFound),
            )),
            Some((is_dir, _)) if is_dir != key.is_folder() && !key.is_root() => {
                Err(StorageError::not_found(format!(
                    "{} ({} is a {})",
                    key,
                    path.display(),
                    if is_dir { "folder" } else { "file" }
                )))
            }
            Some((_, meta)) => Ok(meta),
        }
    }

    /// Opens the file at `key` for reading (through links only when following them).
    fn open_now(&self, key: &ObjectKey) -> Result<std::fs::File> {
        if self.follow_links {
            let path = self.resolve(key)?;
            return std::fs::File::open(&path).map_err(|e| StorageError::io("open", &path, e));
        }
        self.spot(key, false)?.open_file()
    }

    /// Whether the folder `folder` (or its nearest existing parent) folds case or Unicode
    /// forms. Asked first without writing — a name already there, looked up under another
    /// spelling — and, where that cannot tell and `may_write`, with a probe file.
    fn probe_folding(&self, folder: &ObjectKey, may_write: bool) -> NameFolding {
        use std::os::unix::fs::MetadataExt;
        use unicode_normalization::UnicodeNormalization;
        let mut dir = self.path_of(folder);
        while !dir.is_dir() {
            match dir.parent() {
                Some(parent) => dir = parent.to_path_buf(),
                None => return NameFolding::EXACT,
            }
        }
        let id = |path: &Path| {
            std::fs::symlink_metadata(path)
                .ok()
                .map(|m| (m.dev(), m.ino()))
        };
        let (mut case, mut unicode) = (None, None);
        for entry in std::fs::read_dir(&dir)
            .into_iter()
            .flatten()
            .flatten()
            .take(256)
        {
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let here = id(&entry.path());
            let swapped: String = name
                .chars()
                .map(|c| {
                    if c.is_lowercase() {
                        c.to_uppercase().next().unwrap_or(c)
                    } else {
                        c.to_lowercase().next().unwrap_or(c)
                    }
                })
                .collect();
            if case.is_none() && swapped != name {
                case = Some(id(&dir.join(&swapped)) == here);
            }
            let nfc: String = name.nfc().collect();
            let other: String = if nfc == name {
                name.nfd().collect()
            } else {
                nfc
            };
            if unicode.is_none() && other != name {
                unicode = Some(id(&dir.join(&other)) == here);
            }
            if case.is_some() && unicode.is_some() {
                break;
            }
        }
        if let (Some(case), Some(unicode)) = (case, unicode) {
            return NameFolding { case, unicode };
        }
        if !may_write {
            return NameFolding {
                case: case.unwrap_or(false),
                unicode: unicode.unwrap_or(false),
            };
        }
        let base = format!(
            ".ferry-probe-{}-",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let probe = dir.join(format!("{base}A\u{e9}"));
        if std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&probe)
            .is_err()
        {
            // A folder Ferry cannot write to is not written to by this job either.
            return NameFolding {
                case: case.unwrap_or(false),
                unicode: unicode.unwrap_or(false),
            };
        }
        let seen = |name: String| std::fs::symlink_metadata(dir.join(name)).is_ok();
        let folding = NameFolding {
            case: case.unwrap_or_else(|| seen(format!("{base}a\u{e9}"))),
            unicode: unicode.unwrap_or_else(|| seen(format!("{base}Ae\u{301}"))),
        };
        let _ = std::fs::remove_file(&probe);
        folding
    }
}

fn content_type(key: &ObjectKey) -> Option<String> {
    if key.is_folder() {
        return None;
    }
    mime_guess::from_path(key.name())
        .first()
        .map(|m| m.essence_str().to_string())
}

#[async_trait]
impl Backend for LocalBackend {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            presign: false,
            server_side_copy: true,
            list_buckets: false,
            empty_folders: true,
            multipart: false,
            pieces: true,
            links: true,
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn identity(&self, key: &ObjectKey) -> Identity {
        if key.is_root() {
            return Identity::local(&self.root, true);
        }
        let path = self.path_of(key);
        if self.follow_links {
            // Read through links, the key is where they lead.
            let real = canonical_existing(&path);
            let folder = key.is_folder() || real.is_dir();
            return Identity::local(&real, folder);
        }
        // The folder holding the key with every link and `..` resolved; the last name itself is
        // not followed (a link is its own place).
        let parent = path.parent().unwrap_or(&self.root);
        let name = path.file_name().unwrap_or_default();
        let real = canonical_existing(parent).join(name);
        let folder = key.is_folder() || self.is_folder(key);
        Identity::local(&real, folder)
    }

    async fn name_folding(&self, folder: &ObjectKey, may_write: bool) -> Result<NameFolding> {
        if let Some(folding) = self.folding {
            return Ok(folding);
        }
        let folder = folder.clone();
        self.blocking(move |this| Ok(this.probe_folding(&folder, may_write)))
            .await
    }

    fn list(
        &self,
        prefix: &ObjectKey,
        options: ListOptions,
    ) -> BoxStream<'static, Result<ListPage>> {
        list::list(self.clone(), prefix.clone(), options)
    }

    async fn stat(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        let key = key.clone();
        self.blocking(move |this| this.stat_now(&key)).await
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<GetObject> {
        if key.is_folder() {
            let meta = self.stat(key).await?;
            return Ok(GetObject {
                meta,
                body: Box::new(tokio::io::empty()),
            });
        }
        let (file, meta) = {
            let key = key.clone();
            self.blocking(move |this| {
                this.check_root()?;
                let file = this.open_now(&key)?;
                let path = this.path_of(&key);
                let meta = file
                    .metadata()
                    .map_err(|e| StorageError::io("read", &path, e))?;
                Ok((file, Self::meta_for(key, &meta)))
            })
            .await?
        };
        let path = self.path_of(key);
        let mut file = tokio::fs::File::from_std(file);
        let (start, end) = match range {
            None => (0, meta.size),
            Some(r) => (
                r.start.min(meta.size),
                r.end.unwrap_or(meta.size).min(meta.size),
            ),
        };
        if start > 0 {
            file.seek(std::io::SeekFrom::Start(start))
                .await
                .map_err(|e| StorageError::io("read", &path, e))?;
        }
        Ok(GetObject {
            meta,
            body: Box::new(file.take(end.saturating_sub(start))),
        })
    }

    async fn put(
        &self,
        key: &ObjectKey,
        body: PutBody,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        self.check_root()?;
        if key.is_folder() {
            self.create_folder(key).await?;
            return self.stat(key).await;
        }
        let written =
            write::write_atomically(self, key, body, options.modified, options.mode).await?;
        Ok(Self::meta_for(key.clone(), &written))
    }

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey, mode: WriteMode) -> Result<ObjectMeta> {
        let got = self.get(from, None).await?;
        let body = PutBody::from_reader(got.body, got.meta.size);
        let options = PutOptions {
            modified: got.meta.last_modified,
            mode,
            ..PutOptions::default()
        };
        self.put(to, body, &options).await
    }

    async fn put_link(&self, key: &ObjectKey, target: &str, mode: WriteMode) -> Result<()> {
        let (key, target) = (key.clone(), target.to_string());
        self.blocking(move |this| {
            this.check_root()?;
            this.spot(&key, true)?
                .make_link(&target, mode == WriteMode::Overwrite)
        })
        .await
    }

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<()> {
        let (from, to) = (from.clone(), to.clone());
        self.blocking(move |this| {
            this.check_root()?;
            let source = this.spot(&from, false)?;
            if source.stat()?.is_none() {
                return Err(StorageError::not_found(format!("{from}")));
            }
            let target = this.spot(&to, true)?;
            source.rename_to(&target)?;
            target.sync_folder();
            Ok(())
        })
        .await
    }

    async fn delete_many(&self, keys: &[ObjectKey]) -> Result<Vec<DeleteFailure>> {
        let keys = keys.to_vec();
        self.blocking(move |this| {
            this.check_root()?;
            let mut failures = Vec::new();
            for key in keys {
                if let Err(e) = this.delete_one(&key) {
                    failures.push(DeleteFailure {
                        key,
                        message: e.to_string(),
                    });
                }
            }
            Ok(failures)
        })
        .await
    }

    async fn create_folder(&self, key: &ObjectKey) -> Result<()> {
        let key = key.as_folder();
        self.blocking(move |this| {
            this.check_root()?;
            if key.is_root() {
                return Ok(());
            }
            this.spot(&key, true)?.make_folder()
        })
        .await
    }

    async fn presign(&self, _: &ObjectKey, _: PresignMethod, _: Duration) -> Result<String> {
        Err(StorageError::unsupported(
            "a local folder has no shareable links; links exist only for S3 workspaces",
        ))
    }

    fn copy_source(&self, _: &ObjectKey) -> Option<crate::backend::CopySource> {
        None
    }

    async fn copy_from(
        &self,
        source: &crate::backend::CopySource,
        _: u64,
        _: &ObjectKey,
        _: Option<std::sync::Arc<dyn crate::integrity::MultipartLog>>,
        _: WriteMode,
    ) -> Result<ObjectMeta> {
        Err(StorageError::unsupported(format!(
            "a local folder cannot copy {} server-side",
            source.key
        )))
    }

    async fn part_layout(&self, _: &ObjectKey) -> Result<Option<(u32, u64)>> {
        Ok(None)
    }

    async fn put_pieces(
        &self,
        key: &ObjectKey,
        len: u64,
        pieces: BoxStream<'_, Result<(u64, bytes::Bytes)>>,
        options: &PutOptions,
    ) -> Result<ObjectMeta> {
        self.check_root()?;
        let written =
            write::write_pieces(self, key, len, pieces, options.modified, options.mode).await?;
        Ok(Self::meta_for(key.clone(), &written))
    }

    fn local_path(&self, key: &ObjectKey) -> Option<PathBuf> {
        if self.follow_links {
            return self.resolve(key).ok().filter(|p| p.is_file());
        }
        // Only a regular file reached without passing a link.
        let spot = self.spot(key, false).ok()?;
        let stat = spot.stat().ok()??;
        (beneath::kind_of(&stat) == Kind::File).then_some(spot.path)
    }

    async fn abort_upload(&self, _: &ObjectKey, _: &str) -> Result<()> {
        Ok(())
    }

    async fn test_connection(&self) -> ConnectionReport {
        let mut report = ConnectionReport::new(self.describe());
        let this = self.clone();
        let outcome = tokio::task::spawn_blocking(move || this.probe()).await;
        match outcome {
            Ok(checks) => {
                for (name, result) in checks {
                    match result {
                        Ok(msg) => report.pass(name, msg),
                        Err(e) => {
                            report.fail(name, &e);
                            break;
                        }
                    }
                }
            }
            Err(e) => report.fail(
                CheckName::Connect,
                &StorageError::new(ErrorKind::LocalIo, e.to_string()),
            ),
        }
        report
    }
}

/// `path` with its existing part resolved (symlinks, `..`) and the rest appended as written.
fn canonical_existing(path: &Path) -> PathBuf {
    let mut existing = path.to_path_buf();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (
            existing.file_name().map(|n| n.to_os_string()),
            existing.parent(),
        ) {
            (Some(name), Some(parent)) => {
                rest.push(name);
                existing = parent.to_path_buf();
            }
            _ => return path.to_path_buf(),
        }
    }
}

impl LocalBackend {
    /// Deletes a file, a link (never what it points to) or an empty folder.
    fn delete_one(&self, key: &ObjectKey) -> Result<()> {
        match self.spot(key, false) {
            Ok(spot) => spot.remove(),
            // Nothing there, or nothing reachable without passing a link: nothing to delete.
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn probe(&self) -> Vec<(CheckName, Result<String>)> {
        let root = self.root.clone();
        let mut checks = vec![(
            CheckName::Connect,
            self.check_root()
                .map(|_| format!("folder {} exists", root.display())),
        )];
        checks.push((
            CheckName::List,
            std::fs::read_dir(&root)
                .map(|_| "the folder can be listed".to_string())
                .map_err(|e| StorageError::io("list", &root, e)),
        ));
        let probe = root.join(format!(".ferry-probe-{}", uuid::Uuid::new_v4()));
        checks.push((
            CheckName::Write,
            std::fs::write(&probe, b"ferry")
                .map(|_| "a probe file can be written".to_string())
                .map_err(|e| StorageError::io("write to", &root, e)),
        ));
        checks.push((
            CheckName::Cleanup,
            std::fs::remove_file(&probe)
                .map(|_| "the probe file was removed".to_string())
                .map_err(|e| StorageError::io("remove", &probe, e)),
        ));
        checks
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use crate::backend::{BackendExt, Entry};

    #[tokio::test]
    async fn a_link_is_listed_read_and_deleted_as_a_link() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), b"outside").unwrap();
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("inside.txt"), b"inside").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.path().join("escape")).unwrap();
        std::os::unix::fs::symlink(
            root.path().join("inside.txt"),
            root.path().join("alias.txt"),
        )
        .unwrap();
        let b = LocalBackend::new(root.path());

        let err = b
            .get_bytes(&ObjectKey::new("escape/secret.txt"))
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidKey, "{err}");
        let err = b.get_bytes(&ObjectKey::new("alias.txt")).await.unwrap_err();
        assert_eq!(
            err.kind,
            ErrorKind::InvalidKey,
            "a link is not read through: {err}"
        );
        let err = b
            .put_bytes(
                &ObjectKey::new("escape/new.txt"),
                bytes::Bytes::from_static(b"x"),
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidKey, "{err}");
        assert!(
            !outside.path().join("new.txt").exists(),
            "nothing written through a link"
        );

        let listed: Vec<(String, Option<String>)> = b
            .list_collect(&ObjectKey::root(), true)
            .await
            .unwrap()
            .into_iter()
            .map(|e| match e {
                Entry::Object(m) => (m.key.to_string(), m.link_target),
                Entry::Folder { key } => (key.to_string(), None),
            })
            .collect();
        let names: Vec<&str> = listed.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            vec!["alias.txt", "escape", "inside.txt"],
            "links are listed as themselves, never walked into"
        );
        assert!(listed[0].1.is_some() && listed[1].1.is_some() && listed[2].1.is_none());

        let failures = b
            .delete_many(&[
                ObjectKey::new("escape/secret.txt"),
                ObjectKey::new("escape"),
            ])
            .await
            .unwrap();
        assert_eq!(
            failures.len(),
            1,
            "a key through a link is refused: {failures:?}"
        );
        assert!(!root.path().join("escape").exists(), "the link is gone");
        assert_eq!(
            std::fs::read(outside.path().join("secret.txt")).unwrap(),
            b"outside",
            "what it pointed to stays"
        );

        let following = LocalBackend::new(root.path()).following_links();
        assert_eq!(
            &following
                .get_bytes(&ObjectKey::new("alias.txt"))
                .await
                .unwrap()[..],
            b"inside",
            "asked to, the store reads through links"
        );
    }

    #[tokio::test]
    async fn a_root_swapped_for_a_link_stops_the_store() {
        let top = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(top.path().join("shared/x/dir")).unwrap();
        std::fs::write(top.path().join("shared/x/dir/f"), b"mine").unwrap();
        std::fs::create_dir_all(top.path().join("victim/dir")).unwrap();
        std::fs::write(top.path().join("victim/dir/f"), b"theirs").unwrap();
        let b = LocalBackend::new(top.path().join("shared/x"));
        assert!(b.stat(&ObjectKey::new("dir/f")).await.is_ok(), "first look");
        // A folder above the root is swapped for a link elsewhere between two operations.
        std::fs::rename(top.path().join("shared/x"), top.path().join("shared/x.old")).unwrap();
        std::os::unix::fs::symlink(top.path().join("victim"), top.path().join("shared/x")).unwrap();
        let failures = b.delete_many(&[ObjectKey::new("dir/f")]).await;
        assert!(
            failures.is_err() || failures.is_ok_and(|f| !f.is_empty()),
            "the delete did not happen"
        );
        assert_eq!(
            std::fs::read(top.path().join("victim/dir/f")).unwrap(),
            b"theirs",
            "nothing elsewhere was deleted"
        );
    }

    #[tokio::test]
    async fn a_link_loop_is_listed_once_as_a_link() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join("a")).unwrap();
        std::fs::write(root.path().join("a/f.txt"), b"f").unwrap();
        std::os::unix::fs::symlink("..", root.path().join("a/up")).unwrap();
        std::os::unix::fs::symlink("nowhere", root.path().join("a/dangling")).unwrap();
        let b = LocalBackend::new(root.path()).following_links();
        let listed: Vec<(String, bool)> = b
            .list_collect(&ObjectKey::root(), true)
            .await
            .unwrap()
            .into_iter()
            .map(|e| match e {
                Entry::Object(m) => (m.key.to_string(), m.link_target.is_some()),
                Entry::Folder { key } => (key.to_string(), false),
            })
            .collect();
        assert_eq!(
            listed,
            vec![
                ("a/dangling".to_string(), true),
                ("a/f.txt".to_string(), false),
                ("a/up".to_string(), true),
            ],
            "the loop and the link to nothing are links; the walk ends"
        );
    }

    #[tokio::test]
    async fn create_never_replaces_and_overwrite_keeps_the_mode() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(root.path());
        let key = ObjectKey::new("f.txt");
        let create = PutOptions {
            mode: WriteMode::Create,
            ..PutOptions::default()
        };
        b.put(&key, PutBody::from_bytes(&b"first"[..]), &create)
            .await
            .unwrap();
        let err = b
            .put(&key, PutBody::from_bytes(&b"second"[..]), &create)
            .await
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
        assert_eq!(std::fs::read(root.path().join("f.txt")).unwrap(), b"first");
        std::fs::set_permissions(
            root.path().join("f.txt"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        b.put(
            &key,
            PutBody::from_bytes(&b"third"[..]),
            &PutOptions::default(),
        )
        .await
        .unwrap();
        let meta = std::fs::metadata(root.path().join("f.txt")).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "a replaced file keeps its mode"
        );
        assert_eq!(std::fs::read(root.path().join("f.txt")).unwrap(), b"third");
        let left: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left");
    }

    #[tokio::test]
    async fn a_failed_write_leaves_no_partial_file() {
        let root = tempfile::tempdir().unwrap();
        let b = LocalBackend::new(root.path());
        let short = PutBody::from_reader(Box::new(&b"12345"[..]), 10);
        assert!(
            b.put(&ObjectKey::new("f.bin"), short, &PutOptions::default())
                .await
                .is_err()
        );
        assert_eq!(
            std::fs::read_dir(root.path()).unwrap().count(),
            0,
            "no file, no temp file"
        );
    }
}
