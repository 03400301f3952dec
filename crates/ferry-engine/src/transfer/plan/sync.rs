//! Sync and migrate: walk source and destination side by side (both list in key order) and
//! plan copies of what is new, updates of what changed, and deletes of what only the
//! destination has. An update of a file that changed on both sides since the last sync — or,
//! for a migration, of any object that differs — is a conflict the policy decides.

use ferry_storage::{Backend, BackendExt, Entry, ObjectKey, ObjectMeta};
use futures::stream::{BoxStream, StreamExt};

use super::{NewItem, Sink, copy_item, link_note, objects, skipped};
use crate::error::{Error, Result};
use crate::transfer::item::Ctx;
use crate::transfer::sync::{self as rule, Compare};
use crate::transfer::{ItemAction, ItemState, JobKind};

pub(in crate::transfer) async fn plan_sync(
    ctx: &Ctx<'_>,
    folder: &ObjectKey,
    sink: &mut Sink,
) -> Result<()> {
    let (src, dst, options) = (ctx.src, ctx.dst, ctx.options);
    let target = dst.key.as_folder();
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
    let links_there = dst.backend.capabilities().links;
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
                if meta.link_target.is_some() {
                    let note = link_note(&meta, options.follow_links, !links_there);
                    sink.push(skipped(&meta, dest, note)).await?;
                    continue;
                }
                sink.push(NewItem {
                    version: Some(rule::version(&meta)),
                    ..copy_item(&meta, dest)
                })
                .await?;
            }
            std::cmp::Ordering::Greater => {
                let meta = next(&mut right).await?;
                // Only a sync deletes: a migration keeps whatever the destination holds.
                if options.delete_extraneous && ctx.kind == JobKind::Sync {
                    sink.push(NewItem {
                        action: ItemAction::Delete,
                        source_key: String::new(),
                        dest_key: meta.key.into_string(),
                        size: meta.size,
                        modified: None,
                        state: ItemState::Pending,
                        note: None,
                        version: None,
                    })
                    .await?;
                }
            }
            std::cmp::Ordering::Equal => {
                let a = next(&mut left).await?;
                let b = next(&mut right).await?;
                // A link in the source is skipped, and its name still counts as the source's:
                // what the destination has there is neither updated nor deleted.
                if a.link_target.is_some() {
                    let note = link_note(&a, options.follow_links, !links_there);
                    sink.push(skipped(&a, b.key, note)).await?;
                    continue;
                }
                let (ma, mb) = if options.compare == Compare::Checksum {
                    (
                        rule::md5_of(src.backend.as_ref(), &a).await,
                        rule::md5_of(dst.backend.as_ref(), &b).await,
                    )
                } else {
                    (None, None)
                };
                let differs = b.link_target.is_some()
                    || rule::differs(&a, &b, options.compare, ma.as_deref(), mb.as_deref())
                        .is_some();
                if differs {
                    let note = conflict(ctx, &a, &b).await?;
                    sink.push(NewItem {
                        action: ItemAction::Update,
                        note,
                        version: Some(rule::version(&a)),
                        ..copy_item(&a, b.key)
                    })
                    .await?;
                } else {
                    sink.summary.unchanged += 1;
                }
            }
        }
    }
    sink.flush().await
}

/// Why replacing `theirs` with `ours` is a conflict for the policy to decide, or `None` when
/// it is the update a sync is for.
///
/// - A migration keeps what the destination has: any object that differs is a conflict.
/// - A sync with a record of the last sync that wrote this file, from this source: a conflict
///   when both the source and the destination changed since.
/// - Without a record: a conflict when the destination is newer than the source (someone may
///   have worked on it there); else an update.
async fn conflict(ctx: &Ctx<'_>, ours: &ObjectMeta, theirs: &ObjectMeta) -> Result<Option<String>> {
    if ctx.kind == JobKind::Migrate {
        return Ok(Some(
            "the destination already has this file, and it differs from the local one".into(),
        ));
    }
    let destination = ctx.dst.backend.identity(&theirs.key).to_string();
    let source = ctx.src.backend.identity(&ours.key).to_string();
    let journal = ctx.journal.clone();
    let record = tokio::task::spawn_blocking(move || journal.synced(&destination))
        .await
        .map_err(|e| Error::Journal(e.to_string()))??
        .filter(|r| r.source == source);
    let Some(record) = record else {
        let newer = match (ours.last_modified, theirs.last_modified) {
            (Some(a), Some(b)) => b.as_second() > a.as_second() + rule::MTIME_WINDOW_SECONDS,
            _ => false,
        };
        return Ok(newer.then(|| {
            "the destination is newer than the source, and no earlier sync by Ferry wrote it".into()
        }));
    };
    let source_changed = record.source_version != rule::version(ours);
    let mut theirs_now = rule::version(theirs);
    if theirs.etag.is_none() && record.destination_version.starts_with("etag:") {
        // A listing without ETags (some servers): ask the object itself.
        if let Some(meta) = ctx.dst.backend.try_stat(&theirs.key).await? {
            theirs_now = rule::version(&meta);
        }
    }
    let destination_changed = record.destination_version != theirs_now;
    Ok((source_changed && destination_changed)
        .then(|| "changed on both sides since the last sync".into()))
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
