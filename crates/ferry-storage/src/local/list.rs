//! Local listings in S3 order, streamed page by page.
//!
//! S3 lists keys in byte order. Sorting each folder's children by name, with a `/` appended to
//! folder names, and walking depth-first yields exactly that order for the full keys.

use std::collections::VecDeque;

use futures::stream::{self, BoxStream, StreamExt};

use super::{LocalBackend, PARTIAL_PREFIX};
use crate::backend::{Entry, ListOptions, ListPage};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

const DEFAULT_PAGE: usize = 1000;

struct Child {
    /// Full key; folders end with `/`.
    key: ObjectKey,
    meta: std::fs::Metadata,
}

struct Walk {
    backend: LocalBackend,
    recursive: bool,
    page_size: usize,
    /// Children still to visit, one queue per open folder.
    stack: Vec<VecDeque<Child>>,
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
            let children = self.read_children(&folder, name_prefix)?;
            self.marker = name_prefix.is_empty()
                && !folder.is_root()
                && self.backend.resolve(&folder).is_ok_and(|p| p.is_dir());
            self.stack.push(children);
        }
        let mut entries = Vec::new();
        while entries.len() < self.page_size {
            let Some(top) = self.stack.last_mut() else {
                break;
            };
            let Some(child) = top.pop_front() else {
                self.stack.pop();
                continue;
            };
            if !child.meta.is_dir() {
                entries.push(Entry::Object(LocalBackend::meta_for(
                    child.key,
                    &child.meta,
                )));
            } else if !self.recursive {
                entries.push(Entry::Folder { key: child.key });
            } else {
                let grandchildren = self.read_children(&child.key, "")?;
                if grandchildren.is_empty() {
                    // An empty folder is the local twin of an S3 folder marker: keep it visible.
                    entries.push(Entry::Folder { key: child.key });
                } else {
                    self.stack.push(grandchildren);
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

    fn read_children(&self, folder: &ObjectKey, name_prefix: &str) -> Result<VecDeque<Child>> {
        let path = self.backend.resolve(folder)?;
        let dir = match std::fs::read_dir(&path) {
            Ok(dir) => dir,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(VecDeque::new());
            }
            Err(e) => return Err(StorageError::io("list", &path, e)),
        };
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
            // Follows symlinks only when they stay inside the root.
            if self.backend.resolve(&key).is_err() {
                tracing::warn!(key = %key, "skipping a symbolic link that leads outside the workspace");
                continue;
            }
            let Ok(meta) = std::fs::metadata(item.path()) else {
                continue;
            };
            let key = if meta.is_dir() { key.as_folder() } else { key };
            children.push(Child { key, meta });
        }
        children.sort_by(|a, b| a.key.as_str().cmp(b.key.as_str()));
        Ok(children.into())
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
