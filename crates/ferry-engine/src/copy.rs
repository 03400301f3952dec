//! Copy and move between any two stores, one file or a whole folder.
//!
//! Semantics follow `aws s3 cp`: copying a folder copies what is *in* it into the destination
//! folder. Nothing is overwritten unless the conflict policy says so; a move deletes a source
//! only after its copy was verified. Per-file failures are reported and the rest goes on.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use ferry_storage::{
    Backend, BackendExt, Entry, ErrorKind, ListOptions, ObjectKey, ObjectMeta, PutBody, PutOptions,
    StorageError,
};
use futures::stream::{self, StreamExt};
use serde::Serialize;
use tokio::io::{AsyncRead, ReadBuf};

use crate::browse;
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;
use crate::workspace::Resolved;

#[derive(Debug, Clone, Copy)]
pub struct CopyOptions {
    pub recursive: bool,
    pub conflict: ConflictPolicy,
    /// Delete each source once its copy is verified.
    pub delete_source: bool,
    /// Files in flight at once.
    pub concurrency: usize,
}

/// Receives progress as it happens; the CLI draws bars with it.
pub trait Progress: Send + Sync {
    /// More work was found: `files` files of `bytes` bytes in all.
    fn add_total(&self, files: u64, bytes: u64);
    /// Bytes moved.
    fn advance(&self, bytes: u64);
    /// One file is done, one way or another.
    fn finished(&self, outcome: &Outcome);
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {
    fn add_total(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
    fn finished(&self, _: &Outcome) {}
}

#[derive(Debug, Clone, Serialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    Copied {
        source: String,
        destination: String,
        bytes: u64,
    },
    Skipped {
        source: String,
        destination: String,
        reason: String,
    },
    Failed {
        source: String,
        destination: String,
        message: String,
        hint: String,
    },
}

#[derive(Debug, Default, Serialize)]
pub struct CopyReport {
    pub copied: u64,
    pub skipped: u64,
    pub failed: u64,
    pub bytes: u64,
    pub folders_created: u64,
    pub failures: Vec<Outcome>,
}

impl CopyReport {
    fn add(&mut self, outcome: Outcome) {
        match &outcome {
            Outcome::Copied { bytes, .. } => {
                self.copied += 1;
                self.bytes += bytes;
            }
            Outcome::Skipped { .. } => self.skipped += 1,
            Outcome::Failed { .. } => {
                self.failed += 1;
                self.failures.push(outcome);
            }
        }
    }
}

/// One file to carry.
struct Item {
    source: ObjectKey,
    destination: ObjectKey,
    size: u64,
    modified: Option<jiff::Timestamp>,
}

pub async fn copy(
    src: &Resolved,
    dst: &Resolved,
    options: CopyOptions,
    progress: Arc<dyn Progress>,
) -> Result<CopyReport> {
    // With -r a name that is a folder means the folder; asking for it as an object first would
    // also trip servers that fail HEAD on folder-like keys.
    let as_folder = src.key.is_root()
        || src.key.is_folder()
        || (options.recursive && src.backend.folder_exists(&src.key).await?);
    let single = if as_folder {
        None
    } else {
        src.backend.try_stat(&src.key).await?
    };
    match single {
        Some(meta) => copy_one(src, dst, meta, options, progress).await,
        None => {
            let folder = src.key.as_folder();
            if !folder.is_root() && !src.backend.folder_exists(&folder).await? {
                return Err(Error::NotFound(format!(
                    "{} does not exist in {}",
                    src.key,
                    src.backend.describe()
                )));
            }
            if !options.recursive {
                return Err(Error::Invalid(format!(
                    "{} is a folder: pass -r to copy it and everything in it",
                    if folder.is_root() {
                        src.backend.describe()
                    } else {
                        folder.to_string()
                    }
                )));
            }
            let from = src.backend.address(&folder);
            let into = dst.backend.address(&dst.key.as_folder());
            if into.starts_with(&from) {
                return Err(Error::Invalid(format!(
                    "cannot copy {} into itself ({}); choose a destination outside it",
                    src.backend.address(&src.key),
                    dst.backend.address(&dst.key)
                )));
            }
            copy_tree(src, &folder, dst, options, progress).await
        }
    }
}

async fn copy_one(
    src: &Resolved,
    dst: &Resolved,
    meta: ObjectMeta,
    options: CopyOptions,
    progress: Arc<dyn Progress>,
) -> Result<CopyReport> {
    let into_folder =
        dst.key.is_root() || dst.key.is_folder() || dst.backend.folder_exists(&dst.key).await?;
    let destination = if into_folder {
        dst.key.as_folder().concat(meta.key.name())
    } else {
        dst.key.clone()
    };
    if src.backend.address(&meta.key) == dst.backend.address(&destination) {
        return Err(Error::Invalid(format!(
            "{} is both the source and the destination; nothing was done",
            src.backend.address(&meta.key)
        )));
    }
    progress.add_total(1, meta.size);
    let item = Item {
        source: meta.key.clone(),
        destination,
        size: meta.size,
        modified: meta.last_modified,
    };
    let outcome = carry(src, dst, item, options, progress.clone()).await;
    progress.finished(&outcome);
    let mut report = CopyReport::default();
    report.add(outcome);
    Ok(report)
}

async fn copy_tree(
    src: &Resolved,
    folder: &ObjectKey,
    dst: &Resolved,
    options: CopyOptions,
    progress: Arc<dyn Progress>,
) -> Result<CopyReport> {
    let target = dst.key.as_folder();
    let listing = src.backend.list(
        folder,
        ListOptions {
            recursive: true,
            page_size: None,
        },
    );
    let mut report = CopyReport::default();
    let mut listing_error = None;
    {
        // Listing and copying overlap: files go out while later pages are still being listed.
        let entries = listing
            .filter_map(|page| {
                let entries = match page {
                    Ok(page) => page.entries,
                    Err(e) => {
                        listing_error.get_or_insert(e);
                        Vec::new()
                    }
                };
                async move { Some(stream::iter(entries)) }
            })
            .flatten();
        let outcomes = entries
            .map(|entry| {
                let relative = entry
                    .key()
                    .strip_prefix(folder)
                    .unwrap_or(entry.key().as_str());
                let destination = target.concat(relative);
                let progress = progress.clone();
                async move {
                    match entry {
                        Entry::Folder { .. } => match dst.backend.create_folder(&destination).await
                        {
                            Ok(()) => None,
                            Err(e) => Some(failed(entry.key(), &destination, &e.into())),
                        },
                        Entry::Object(meta) => {
                            progress.add_total(1, meta.size);
                            let item = Item {
                                source: meta.key,
                                destination,
                                size: meta.size,
                                modified: meta.last_modified,
                            };
                            let outcome = carry(src, dst, item, options, progress.clone()).await;
                            progress.finished(&outcome);
                            Some(outcome)
                        }
                    }
                }
            })
            .buffer_unordered(options.concurrency.max(1));
        let mut outcomes = std::pin::pin!(outcomes);
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Some(outcome) => report.add(outcome),
                None => report.folders_created += 1,
            }
        }
    }
    if let Some(e) = listing_error {
        return Err(e.into());
    }
    if options.delete_source && report.failed == 0 {
        browse::remove_empty_folders(src.backend.as_ref(), folder).await?;
        if !folder.is_root() {
            src.backend
                .delete_many(std::slice::from_ref(folder))
                .await?;
        }
    }
    Ok(report)
}

fn failed(source: &ObjectKey, destination: &ObjectKey, err: &Error) -> Outcome {
    Outcome::Failed {
        source: source.to_string(),
        destination: destination.to_string(),
        message: err.to_string(),
        hint: err.hint(),
    }
}

/// Copies one file following the conflict policy, verifies it, and for a move deletes the source.
async fn carry(
    src: &Resolved,
    dst: &Resolved,
    item: Item,
    options: CopyOptions,
    progress: Arc<dyn Progress>,
) -> Outcome {
    // Defence in depth: copying a file onto itself, then deleting the "source", loses it.
    if src.backend.address(&item.source) == dst.backend.address(&item.destination) {
        let e = Error::Invalid("the source and the destination are the same file".into());
        return failed(&item.source, &item.destination, &e);
    }
    let destination = match resolve_conflict(dst.backend.as_ref(), &item, options.conflict).await {
        Ok(Ok(destination)) => destination,
        Ok(Err(reason)) => {
            progress.advance(item.size);
            return Outcome::Skipped {
                source: item.source.to_string(),
                destination: item.destination.to_string(),
                reason,
            };
        }
        Err(e) => return failed(&item.source, &item.destination, &e),
    };
    let result = transfer(src, dst, &item, &destination, progress).await;
    let written = match result {
        Ok(meta) => meta,
        Err(e) => return failed(&item.source, &destination, &e),
    };
    if written.size != item.size {
        let e = StorageError::new(
            ErrorKind::Server,
            format!(
                "verification failed: {destination} has {} bytes, the source {}; the source was kept",
                written.size, item.size
            ),
        );
        return failed(&item.source, &destination, &e.into());
    }
    if options.delete_source {
        let removed = src
            .backend
            .delete_many(std::slice::from_ref(&item.source))
            .await;
        let problem = match removed {
            Ok(failures) => failures.into_iter().next().map(|f| f.message),
            Err(e) => Some(e.to_string()),
        };
        if let Some(problem) = problem {
            let e = Error::Invalid(format!(
                "copied and verified to {destination}, but the source could not be deleted: {problem}"
            ));
            return failed(&item.source, &destination, &e);
        }
    }
    Outcome::Copied {
        source: item.source.to_string(),
        destination: destination.to_string(),
        bytes: item.size,
    }
}

async fn transfer(
    src: &Resolved,
    dst: &Resolved,
    item: &Item,
    destination: &ObjectKey,
    progress: Arc<dyn Progress>,
) -> Result<ObjectMeta> {
    let same_store = src.workspace.is_some() && src.workspace == dst.workspace;
    if same_store {
        let meta = src.backend.copy(&item.source, destination).await?;
        progress.advance(item.size);
        return Ok(meta);
    }
    let got = src.backend.get(&item.source, None).await?;
    let reader = Counting {
        inner: got.body,
        progress,
    };
    let body = PutBody::from_reader(Box::new(reader), item.size);
    Ok(dst
        .backend
        .put(destination, body, &PutOptions::default())
        .await?)
}

/// `Ok(Ok(key))` to write to `key`, `Ok(Err(reason))` to skip.
async fn resolve_conflict(
    dst: &dyn Backend,
    item: &Item,
    policy: ConflictPolicy,
) -> Result<std::result::Result<ObjectKey, String>> {
    let Some(existing) = dst.try_stat(&item.destination).await? else {
        return Ok(Ok(item.destination.clone()));
    };
    match policy {
        ConflictPolicy::Overwrite => Ok(Ok(item.destination.clone())),
        ConflictPolicy::Skip => Ok(Err("the destination exists".into())),
        ConflictPolicy::OverwriteIfNewer => match (item.modified, existing.last_modified) {
            (Some(new), Some(old)) if new > old => Ok(Ok(item.destination.clone())),
            _ => Ok(Err("the destination is as new or newer".into())),
        },
        ConflictPolicy::Rename => {
            for n in 1..10_000 {
                let candidate = numbered(&item.destination, n);
                if dst.try_stat(&candidate).await?.is_none() {
                    return Ok(Ok(candidate));
                }
            }
            Err(Error::Invalid(format!(
                "no free name found for {}",
                item.destination
            )))
        }
        ConflictPolicy::Ask => Err(StorageError::new(
            ErrorKind::AlreadyExists,
            format!(
                "{} already exists and was not overwritten",
                item.destination
            ),
        )
        .into()),
    }
}

/// `dir/name.ext` → `dir/name (n).ext`.
fn numbered(key: &ObjectKey, n: u32) -> ObjectKey {
    let name = key.name();
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    key.parent().concat(&format!("{stem} ({n}){ext}"))
}

/// Reports bytes as they are read.
struct Counting {
    inner: ferry_storage::Reader,
    progress: Arc<dyn Progress>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        if read > 0 {
            self.progress.advance(read as u64);
        }
        poll
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renames_keep_the_extension() {
        assert_eq!(
            numbered(&ObjectKey::new("a/b.txt"), 1).as_str(),
            "a/b (1).txt"
        );
        assert_eq!(numbered(&ObjectKey::new("noext"), 2).as_str(), "noext (2)");
        assert_eq!(
            numbered(&ObjectKey::new(".hidden"), 1).as_str(),
            ".hidden (1)"
        );
    }
}
