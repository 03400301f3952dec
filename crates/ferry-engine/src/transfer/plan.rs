//! From a request to items: walk the source (and for sync the destination) page by page and
//! hand items to the journal as they are found, so sending starts before the walk ends.

use std::sync::Arc;

use ferry_storage::{Backend, BackendExt, Entry, ListOptions, ObjectKey, ObjectMeta};
use futures::stream::{BoxStream, StreamExt};
use tokio::sync::mpsc;

use super::journal::{ItemRow, Journal, NewItem};
use super::progress::Accounting;
use super::sync::{self, Compare};
use super::{ItemAction, JobKind, JobOptions};
use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// Batches new items into the journal and passes the recorded ones to the executor.
pub(super) struct Sink {
    /// The journal and job to record into; `None` for a dry run, which only counts.
    pub journal: Option<(Arc<Journal>, String)>,
    pub tx: Option<mpsc::Sender<ItemRow>>,
    pub progress: Arc<Accounting>,
    batch: Vec<NewItem>,
    /// What the plan holds, for `--dry-run` and reports.
    pub summary: PlanSummary,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct PlanSummary {
    pub copy: u64,
    pub copy_bytes: u64,
    pub update: u64,
    pub update_bytes: u64,
    pub delete: u64,
    pub unchanged: u64,
}

/// Flush often enough that the executor never waits long on a slow listing.
const BATCH: usize = 64;

impl Sink {
    pub fn new(
        journal: Option<(Arc<Journal>, String)>,
        tx: Option<mpsc::Sender<ItemRow>>,
        progress: Arc<Accounting>,
    ) -> Self {
        Self {
            journal,
            tx,
            progress,
            batch: Vec::new(),
            summary: PlanSummary::default(),
        }
    }

    async fn push(&mut self, item: NewItem) -> Result<()> {
        if self.journal.is_none() {
            return Ok(());
        }
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    pub async fn flush(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.batch);
        let Some((journal, job)) = self.journal.clone() else {
            return Ok(());
        };
        let added = tokio::task::spawn_blocking(move || journal.add_items(&job, batch))
            .await
            .map_err(|e| Error::Journal(e.to_string()))??;
        for item in added {
            if item.action == ItemAction::Copy {
                self.progress.add_total(1, item.size);
            }
            // The executor stopping (cancel) is not a planning error.
            if let Some(tx) = &self.tx
                && tx.send(item).await.is_err()
            {
                break;
            }
        }
        Ok(())
    }
}

/// What the source names: one object, or a folder whose contents are carried.
pub(super) enum Source {
    One(ObjectMeta),
    Folder(ObjectKey),
}

pub(super) async fn source(src: &Resolved, options: &JobOptions, kind: JobKind) -> Result<Source> {
    let tree = matches!(kind, JobKind::Sync | JobKind::Migrate) || options.recursive;
    // With -r a name that is a folder means the folder; asking for it as an object first would
    // also trip servers that fail HEAD on folder-like keys.
    let as_folder = src.key.is_root()
        || src.key.is_folder()
        || (tree && src.backend.folder_exists(&src.key).await?);
    if !as_folder && let Some(meta) = src.backend.try_stat(&src.key).await? {
        return Ok(Source::One(meta));
    }
    let folder = src.key.as_folder();
    if !folder.is_root() && !src.backend.folder_exists(&folder).await? {
        return Err(Error::NotFound(format!(
            "{:?} does not exist in {}",
            src.key.as_str(),
            src.backend.describe()
        )));
    }
    if !tree {
        return Err(Error::Invalid(format!(
            "{} is a folder: pass -r to copy it and everything in it",
            src.backend.address(&folder)
        )));
    }
    Ok(Source::Folder(folder))
}

/// Refuses plans that would destroy what they read.
pub(super) fn check_targets(
    src: &Resolved,
    from: &ObjectKey,
    dst: &Resolved,
    to: &ObjectKey,
) -> Result<()> {
    let a = src.backend.address(from);
    let b = dst.backend.address(to);
    if a == b {
        return Err(Error::Invalid(format!(
            "{a} is both the source and the destination; nothing was done"
        )));
    }
    if from.is_folder() || from.is_root() {
        let folder = if a.ends_with('/') {
            a.clone()
        } else {
            format!("{a}/")
        };
        if b.starts_with(&folder) {
            return Err(Error::Invalid(format!(
                "cannot copy {a} into itself ({b}); choose a destination outside it"
            )));
        }
    }
    Ok(())
}

/// Copy and move: every object below the source, to the same relative key below the target.
pub(super) async fn plan_copy(
    src: &Resolved,
    dst: &Resolved,
    source: &Source,
    options: &JobOptions,
    sink: &mut Sink,
) -> Result<()> {
    match source {
        Source::One(meta) => {
            let into_folder = dst.key.is_root()
                || dst.key.is_folder()
                || dst.backend.folder_exists(&dst.key).await?;
            let dest = if into_folder {
                dst.key.as_folder().concat(meta.key.name())
            } else {
                dst.key.clone()
            };
            let dest = apply_template(options, &dst.key.as_folder(), meta.key.name(), dest);
            check_targets(src, &meta.key, dst, &dest)?;
            sink.summary.copy += 1;
            sink.summary.copy_bytes += meta.size;
            sink.push(copy_item(meta, dest)).await?;
        }
        Source::Folder(folder) => {
            let target = dst.key.as_folder();
            check_targets(src, folder, dst, &target)?;
            let mut pages = objects(src.backend.as_ref(), folder);
            while let Some(page) = pages.next().await {
                for entry in page? {
                    let relative = entry
                        .key()
                        .strip_prefix(folder)
                        .unwrap_or(entry.key().as_str())
                        .to_string();
                    let dest = target.concat(&relative);
                    match entry {
                        Entry::Folder { key } => {
                            sink.push(NewItem {
                                action: ItemAction::Mkdir,
                                source_key: key.into_string(),
                                dest_key: dest.into_string(),
                                size: 0,
                                modified: None,
                            })
                            .await?
                        }
                        Entry::Object(meta) => {
                            let dest = apply_template(options, &target, &relative, dest);
                            sink.summary.copy += 1;
                            sink.summary.copy_bytes += meta.size;
                            sink.push(copy_item(&meta, dest)).await?
                        }
                    }
                }
                sink.flush().await?;
            }
        }
    }
    sink.flush().await
}

fn copy_item(meta: &ObjectMeta, dest: ObjectKey) -> NewItem {
    NewItem {
        action: ItemAction::Copy,
        source_key: meta.key.to_string(),
        dest_key: dest.into_string(),
        size: meta.size,
        modified: meta.last_modified.map(|t| t.to_string()),
    }
}

/// Pages of entries below `folder`, recursively.
fn objects(backend: &dyn Backend, folder: &ObjectKey) -> BoxStream<'static, Result<Vec<Entry>>> {
    backend
        .list(
            folder,
            ListOptions {
                recursive: true,
                page_size: None,
            },
        )
        .map(|page| page.map(|p| p.entries).map_err(Error::from))
        .boxed()
}

/// Key templates put uploads into date folders: `{prefix}` is the destination folder (without
/// its trailing `/`), `{name}` the file's relative path, `{yyyy}`, `{mm}`, `{dd}` today's date
/// (UTC). Without a template the key is the one planned.
pub(super) fn apply_template(
    options: &JobOptions,
    target: &ObjectKey,
    relative: &str,
    planned: ObjectKey,
) -> ObjectKey {
    let Some(template) = &options.upload.key_template else {
        return planned;
    };
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let key = template
        .replace("{prefix}", target.as_str().trim_end_matches('/'))
        .replace("{yyyy}", &format!("{:04}", today.year()))
        .replace("{mm}", &format!("{:02}", today.month()))
        .replace("{dd}", &format!("{:02}", today.day()))
        .replace("{name}", relative);
    ObjectKey::new(key.trim_start_matches('/'))
}

/// Sync and migrate: walk source and destination side by side (both list in key order) and
/// plan copies of what is new or changed, and deletes of what only the destination has.
pub(super) async fn plan_sync(
    src: &Resolved,
    dst: &Resolved,
    folder: &ObjectKey,
    options: &JobOptions,
    sink: &mut Sink,
) -> Result<()> {
    let target = dst.key.as_folder();
    check_targets(src, folder, dst, &target)?;
    let files = |b: &dyn Backend, f: &ObjectKey| {
        objects(b, f)
            .map(|page| {
                futures::stream::iter(match page {
                    Ok(entries) => entries
                        .into_iter()
                        .filter_map(|e| match e {
                            Entry::Object(meta) => Some(Ok(meta)),
                            Entry::Folder { .. } => None,
                        })
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            })
            .flatten()
            .boxed()
    };
    let mut left = files(src.backend.as_ref(), folder).peekable();
    let mut right = files(dst.backend.as_ref(), &target).peekable();
    loop {
        let l = peek_key(&mut left, folder).await?;
        let r = peek_key(&mut right, &target).await?;
        let order = match (&l, &r) {
            (None, None) => break,
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(a), Some(b)) => a.as_bytes().cmp(b.as_bytes()),
        };
        match order {
            std::cmp::Ordering::Less => {
                let meta = next(&mut left).await?;
                let dest = target.concat(l.as_deref().unwrap_or_default());
                sink.summary.copy += 1;
                sink.summary.copy_bytes += meta.size;
                sink.push(copy_item(&meta, dest)).await?;
            }
            std::cmp::Ordering::Greater => {
                let meta = next(&mut right).await?;
                if options.delete_extraneous {
                    sink.summary.delete += 1;
                    sink.push(NewItem {
                        action: ItemAction::Delete,
                        source_key: String::new(),
                        dest_key: meta.key.into_string(),
                        size: meta.size,
                        modified: None,
                    })
                    .await?;
                }
            }
            std::cmp::Ordering::Equal => {
                let a = next(&mut left).await?;
                let b = next(&mut right).await?;
                let (ma, mb) = if options.compare == Compare::Checksum {
                    (
                        md5_of(src.backend.as_ref(), &a).await,
                        md5_of(dst.backend.as_ref(), &b).await,
                    )
                } else {
                    (None, None)
                };
                if sync::differs(&a, &b, options.compare, ma.as_deref(), mb.as_deref()).is_some() {
                    sink.summary.update += 1;
                    sink.summary.update_bytes += a.size;
                    sink.push(copy_item(&a, b.key)).await?;
                } else {
                    sink.summary.unchanged += 1;
                }
            }
        }
    }
    sink.flush().await
}

async fn peek_key(
    files: &mut futures::stream::Peekable<BoxStream<'static, Result<ObjectMeta>>>,
    base: &ObjectKey,
) -> Result<Option<String>> {
    let mut pinned = std::pin::Pin::new(files);
    let failed = match pinned.as_mut().peek().await {
        None => return Ok(None),
        Some(Ok(meta)) => {
            let relative = meta.key.strip_prefix(base).unwrap_or(meta.key.as_str());
            return Ok(Some(relative.to_string()));
        }
        Some(Err(_)) => true,
    };
    debug_assert!(failed);
    match pinned.next().await {
        Some(Err(e)) => Err(e),
        _ => Ok(None),
    }
}

async fn next(
    files: &mut futures::stream::Peekable<BoxStream<'static, Result<ObjectMeta>>>,
) -> Result<ObjectMeta> {
    match files.next().await {
        Some(result) => result,
        None => Err(Error::Journal("listing ended unexpectedly".into())),
    }
}

/// The MD5 of an object when it can be had: an S3 single-part ETag, or a local file's content.
async fn md5_of(backend: &dyn Backend, meta: &ObjectMeta) -> Option<String> {
    if let Some(md5) = sync::etag_md5(meta) {
        return Some(md5);
    }
    let path = backend.local_path(&meta.key)?;
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(path).ok()?;
        let mut digest = ferry_storage::integrity::StreamDigest::new(None);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
        }
        Some(digest.hex())
    })
    .await
    .ok()
    .flatten()
}
