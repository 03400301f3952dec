//! A folder on local disk as a store. Keys map to paths below `root`; nothing outside it is ever
//! read or written, symlinks included. Writes go to a temporary file in the same folder, are
//! fsynced, then renamed into place, so a reader never sees half a file.

mod list;
mod write;

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use futures::stream::BoxStream;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::backend::{
    Backend, ByteRange, Capabilities, DeleteFailure, GetObject, ListOptions, ListPage, ObjectMeta,
    PresignMethod, PutBody, PutOptions,
};
use crate::diagnose::{CheckName, ConnectionReport};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// Names Ferry gives its own in-flight files; hidden from listings.
pub(crate) const PARTIAL_PREFIX: &str = ".ferry-partial-";

#[derive(Debug, Clone)]
pub struct LocalBackend {
    root: PathBuf,
}

impl LocalBackend {
    /// A store rooted at `root`. The folder need not exist yet; operations say so if it doesn't.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        let root = std::fs::canonicalize(&root).unwrap_or(root);
        Self { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
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

    /// The path for `key`, refusing keys that escape the root and paths whose existing part
    /// leads outside it through a symlink.
    pub(crate) fn resolve(&self, key: &ObjectKey) -> Result<PathBuf> {
        let relative = key.to_relative_path()?;
        let path = self.root.join(&relative);
        self.ensure_inside(key, &path)?;
        Ok(path)
    }

    fn ensure_inside(&self, key: &ObjectKey, path: &Path) -> Result<()> {
        let mut existing = path;
        loop {
            match std::fs::canonicalize(existing) {
                Ok(real) => {
                    if real.starts_with(&self.root) {
                        return Ok(());
                    }
                    return Err(StorageError::new(
                        ErrorKind::InvalidKey,
                        format!(
                            "key {key:?} leads through a symbolic link to {}, outside {}; it was not followed",
                            real.display(),
                            self.root.display()
                        ),
                    ));
                }
                Err(_) => match existing.parent() {
                    Some(parent) if parent.starts_with(&self.root) => existing = parent,
                    _ => return Ok(()),
                },
            }
        }
    }

    fn meta_for(key: ObjectKey, meta: &std::fs::Metadata) -> ObjectMeta {
        let last_modified = meta
            .modified()
            .ok()
            .and_then(|t| jiff::Timestamp::try_from(t).ok());
        let content_type = if key.is_folder() {
            None
        } else {
            mime_guess::from_path(key.name())
                .first()
                .map(|m| m.essence_str().to_string())
        };
        ObjectMeta {
            size: if meta.is_dir() { 0 } else { meta.len() },
            last_modified,
            content_type,
            key,
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
        }
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn address(&self, key: &ObjectKey) -> String {
        let root = self.root.to_string_lossy();
        format!("file://{}/{}", root.trim_end_matches('/'), key)
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
        self.blocking(move |this| {
            this.check_root()?;
            let path = this.resolve(&key)?;
            let meta = std::fs::metadata(&path).map_err(|e| StorageError::io("read", &path, e))?;
            if meta.is_dir() != key.is_folder() && !key.is_root() {
                return Err(StorageError::not_found(format!(
                    "{} ({} is a {})",
                    key,
                    path.display(),
                    if meta.is_dir() { "folder" } else { "file" }
                )));
            }
            Ok(Self::meta_for(key, &meta))
        })
        .await
    }

    async fn get(&self, key: &ObjectKey, range: Option<ByteRange>) -> Result<GetObject> {
        let meta = self.stat(key).await?;
        if key.is_folder() {
            return Ok(GetObject {
                meta,
                body: Box::new(tokio::io::empty()),
            });
        }
        let path = self.resolve(key)?;
        let mut file = tokio::fs::File::open(&path)
            .await
            .map_err(|e| StorageError::io("open", &path, e))?;
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
        if key.is_folder() {
            self.check_root()?;
            self.create_folder(key).await?;
            return self.stat(key).await;
        }
        self.check_root()?;
        write::write_atomically(self, key, body, options.modified).await?;
        self.stat(key).await
    }

    async fn copy(&self, from: &ObjectKey, to: &ObjectKey) -> Result<ObjectMeta> {
        let source = self.resolve(from)?;
        let body = PutBody::from_file(&source).await?;
        self.put(to, body, &PutOptions::default()).await
    }

    async fn rename(&self, from: &ObjectKey, to: &ObjectKey) -> Result<()> {
        let (from, to) = (from.clone(), to.clone());
        self.blocking(move |this| {
            let source = this.resolve(&from)?;
            let target = this.resolve(&to)?;
            std::fs::symlink_metadata(&source).map_err(|e| StorageError::io("read", &source, e))?;
            if std::fs::symlink_metadata(&target).is_ok() {
                return Err(StorageError::new(
                    ErrorKind::AlreadyExists,
                    format!("{to} already exists; it was not replaced"),
                ));
            }
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StorageError::io("create folder", parent, e))?;
            }
            std::fs::rename(&source, &target).map_err(|e| StorageError::io("rename", &source, e))
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
            let path = this.resolve(&key)?;
            std::fs::create_dir_all(&path).map_err(|e| StorageError::io("create folder", &path, e))
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
        write::write_pieces(self, key, len, pieces, options.modified).await?;
        self.stat(key).await
    }

    fn local_path(&self, key: &ObjectKey) -> Option<PathBuf> {
        self.resolve(key).ok().filter(|p| p.is_file())
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

impl LocalBackend {
    fn delete_one(&self, key: &ObjectKey) -> Result<()> {
        let path = self.resolve(key)?;
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StorageError::io("delete", &path, e)),
        };
        let result = if meta.is_dir() {
            std::fs::remove_dir(&path)
        } else {
            std::fs::remove_file(&path)
        };
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::DirectoryNotEmpty => Err(StorageError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "folder {} is not empty; delete its contents first",
                    path.display()
                ),
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io("delete", &path, e)),
            Ok(()) => Ok(()),
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
    use crate::backend::BackendExt;

    #[tokio::test]
    async fn never_follows_a_symlink_out_of_the_root() {
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
            "nothing written outside the root"
        );

        let listed: Vec<String> = b
            .list_collect(&ObjectKey::root(), true)
            .await
            .unwrap()
            .iter()
            .map(|e| e.key().to_string())
            .collect();
        assert_eq!(
            listed,
            vec!["alias.txt", "inside.txt"],
            "links inside the root are followed"
        );
        assert_eq!(
            &b.get_bytes(&ObjectKey::new("alias.txt")).await.unwrap()[..],
            b"inside"
        );
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
