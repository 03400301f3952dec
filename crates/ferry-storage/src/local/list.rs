//! Local listings in S3 order, streamed page by page.
//!
//! S3 lists keys in byte order. Sorting each folder's children by name, with a `/` appended to
//! folder names, and walking depth-first yields exactly that order for the full keys.
//!
//! A symbolic link is listed as itself (an object whose `link_target` says where it points) and
//! never walked into, unless the store follows links (`--follow-links`): then what it points
//! to is listed in its place, and a link back to a folder being walked (a loop) or to nothing is
//! listed as the link.

use std::collections::VecDeque;
use std::os::unix::fs::MetadataExt;

use futures::stream::{self, BoxStream, StreamExt};

use super::beneath::{self, Kind};
use super::{LocalBackend, PARTIAL_PREFIX};
use crate::backend::{Entry, ListOptions, ListPage, ObjectMeta};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

const DEFAULT_PAGE: usize = 1000;

struct Child {
    /// Full key; folders end with `/`.
    key: ObjectKey,
    folder: bool,
    meta: ObjectMeta,
    /// (device, inode) of a folder, to find loops when following links.
    id: (u64, u64),
}

struct Walk {
    backend: LocalBackend,
    recursive: bool,
    page_size: usize,
    /// Children still to visit, one queue per open folder, with that folder's (device, inode).
    stack: Vec<(VecDeque<Child>, (u64, u64))>,
    started: bool,
    prefix: ObjectKey,
    marker: bool,
}

pub(super) fn list(
    backend: LocalBackend,
    prefix: ObjectKey,
    options: ListOptions,
) -> BoxStream<'static, Result<ListPage>> {
    let walk = Walk {
        backend,
        recursive: options.recursive,
        page_size: options
            .page_size
            .map(|n| n.max(1) as usize)
            .unwrap_or(DEFAULT_PAGE),
        stack: Vec::new(),
        started: false,
        prefix,
        marker: false,
    };
    stream::unfold(Some(walk), |state| async move {
        let walk = state?;
        let outcome = tokio::task::spawn_blocking(move || {
            let mut walk = walk;
            let page = walk.next_page();
            (walk, page)
        })
        .await;
        match outcome {
            Ok((_, Ok(None))) => None,
            Ok((walk, Ok(Some(page)))) => Some((Ok(page), Some(walk))),
            Ok((_, Err(e))) => Some((Err(e), None)),
            Err(e) => Some((
                Err(StorageError::new(
                    ErrorKind::LocalIo,
                    format!("listing failed: {e}"),
                )),
                None,
            )),
        }
    })
    .boxed()
}

impl Walk {
    fn next_page(&mut self) -> Result<Option<ListPage>> {
        if !self.started {
            self.started = true;
            self.backend.check_root()?;
            let (folder, name_prefix) = split_prefix(&self.prefix);
            let (children, id) = self.read_children(&folder, name_prefix)?;
            self.marker =
                name_prefix.is_empty() && !folder.is_root() && self.backend.is_folder(&folder);
            self.stack.push((children, id));
        }
        let mut entries = Vec::new();
        while entries.len() < self.page_size {
            let Some((top, _)) = self.stack.last_mut() else {
                break;
            };
            let Some(child) = top.pop_front() else {
                self.stack.pop();
                continue;
            };
            if !child.folder {
                entries.push(Entry::Object(child.meta));
            } else if !self.recursive {
                entries.push(Entry::Folder { key: child.key });
            } else if self.stack.iter().any(|(_, id)| *id == child.id) {
                // A followed link back to a folder being walked: list it as the link it is.
                entries.push(Entry::Object(self.backend.loop_meta(child.key)));
            } else {
                let (grandchildren, id) = self.read_children(&child.key, "")?;
                if grandchildren.is_empty() {
                    // An empty folder is the local twin of an S3 folder marker: keep it visible.
                    entries.push(Entry::Folder { key: child.key });
                } else {
                    self.stack.push((grandchildren, id));
                }
            }
        }
        let folder_marker = std::mem::take(&mut self.marker);
        if entries.is_empty() && self.stack.is_empty() && !folder_marker {
            return Ok(None);
        }
        Ok(Some(ListPage {
            entries,
            folder_marker,
        }))
    }

    fn read_children(
        &self,
        folder: &ObjectKey,
        name_prefix: &str,
    ) -> Result<(VecDeque<Child>, (u64, u64))> {
        let (mut children, id) = if self.backend.follows_links() {
            self.read_following(folder, name_prefix)?
        } else {
            self.read_beneath(folder, name_prefix)?
        };
        children.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        Ok((children.into(), id))
    }

    /// Reads a folder through handles that refuse links: a link is a child, never a folder.
    fn read_beneath(
        &self,
        folder: &ObjectKey,
        name_prefix: &str,
    ) -> Result<(Vec<Child>, (u64, u64))> {
        let fd = match self.backend.spot(folder, false) {
            Ok(spot) => match spot.open_folder() {
                Ok(fd) => fd,
                // A folder that is not there (or is a file or a link) holds nothing.
                Err(_) => return Ok((Vec::new(), (0, 0))),
            },
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::NotFound | ErrorKind::InvalidKey | ErrorKind::AlreadyExists
                ) =>
            {
                return Ok((Vec::new(), (0, 0)));
            }
            Err(e) => return Err(e),
        };
        let path = self.backend.path_of(folder);
        let here = rustix::fs::fstat(&fd).map_err(|e| StorageError::io("list", &path, e.into()))?;
        let dir = rustix::fs::Dir::read_from(&fd)
            .map_err(|e| StorageError::io("list", &path, e.into()))?;
        let mut children = Vec::new();
        for item in dir {
            let item = item.map_err(|e| StorageError::io("list", &path, e.into()))?;
            let raw = item.file_name().to_bytes();
            if raw == b"." || raw == b".." {
                continue;
            }
            let Ok(name) = std::str::from_utf8(raw) else {
                tracing::warn!(folder = %path.display(), "skipping a file whose name is not UTF-8");
                continue;
            };
            if !name.starts_with(name_prefix) || name.starts_with(PARTIAL_PREFIX) {
                continue;
            }
            let Ok(stat) =
                rustix::fs::statat(&fd, item.file_name(), rustix::fs::AtFlags::SYMLINK_NOFOLLOW)
            else {
                continue;
            };
            let key = folder.concat(name);
            let child = match beneath::kind_of(&stat) {
                Kind::Folder => Child {
                    key: key.as_folder(),
                    folder: true,
                    meta: ObjectMeta::default(),
                    id: beneath::file_id(&stat),
                },
                Kind::File => Child {
                    meta: LocalBackend::meta_of_stat(key.clone(), &stat, None),
                    key,
                    folder: false,
                    id: beneath::file_id(&stat),
                },
                Kind::Link => {
                    let target = rustix::fs::readlinkat(&fd, item.file_name(), Vec::new())
                        .map(|t| t.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Child {
                        meta: LocalBackend::meta_of_stat(key.clone(), &stat, Some(target)),
                        key,
                        folder: false,
                        id: beneath::file_id(&stat),
                    }
                }
                Kind::Other => continue,
            };
            children.push(child);
        }
        Ok((children, beneath::file_id(&here)))
    }

    /// Reads a folder following links (`--follow-links`): what a link points to is listed in its
    /// place; a link to nothing is listed as the link.
    fn read_following(
        &self,
        folder: &ObjectKey,
        name_prefix: &str,
    ) -> Result<(Vec<Child>, (u64, u64))> {
        let path = self.backend.path_of(folder);
        let dir = match std::fs::read_dir(&path) {
            Ok(dir) => dir,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok((Vec::new(), (0, 0)));
            }
            Err(e) => return Err(StorageError::io("list", &path, e)),
        };
        let here = std::fs::metadata(&path).map_err(|e| StorageError::io("list", &path, e))?;
        let mut children = Vec::new();
        for item in dir {
            let item = item.map_err(|e| StorageError::io("list", &path, e))?;
            let Some(name) = item.file_name().to_str().map(str::to_string) else {
                tracing::warn!(path = %item.path().display(), "skipping a file whose name is not UTF-8");
                continue;
            };
            if !name.starts_with(name_prefix) || name.starts_with(PARTIAL_PREFIX) {
                continue;
            }
            let key = folder.concat(&name);
            let child = match std::fs::metadata(item.path()) {
                Ok(meta) if meta.is_dir() => Child {
                    key: key.as_folder(),
                    folder: true,
                    meta: ObjectMeta::default(),
                    id: (meta.dev(), meta.ino()),
                },
                Ok(meta) if meta.is_file() => Child {
                    meta: LocalBackend::meta_for(key.clone(), &meta),
                    key,
                    folder: false,
                    id: (meta.dev(), meta.ino()),
                },
                Ok(_) => continue,
                // A link to nothing: listed as the link, so the plan can say it was skipped.
                Err(_) => Child {
                    meta: self.backend.loop_meta(key.clone()),
                    key,
                    folder: false,
                    id: (0, 0),
                },
            };
            children.push(child);
        }
        Ok((children, (here.dev(), here.ino())))
    }
}

/// `a/b/ca` → (`a/b/`, `ca`): the folder to read and the start every name must have.
fn split_prefix(prefix: &ObjectKey) -> (ObjectKey, &str) {
    let raw = prefix.as_str();
    match raw.rfind('/') {
        Some(i) => (ObjectKey::new(&raw[..=i]), &raw[i + 1..]),
        None => (ObjectKey::root(), raw),
    }
}
