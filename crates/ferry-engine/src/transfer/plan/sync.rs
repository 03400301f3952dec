//! Sync and migrate: walk source and destination side by side (both list in key order) and
//! plan copies of what is new, updates of what changed, and deletes of what only the
//! destination has. An update of a file that changed on both sides since the last sync — or,
//! for a migration, of any object that differs — is a conflict the policy decides.

use ferry_storage::{Backend, BackendExt, Entry, ObjectKey, ObjectMeta};
use futures::stream::{BoxStream, StreamExt};

use super::{NewItem, Reach, Sink, copy_item, link_note, objects, skipped};
use crate::error::{Error, Result};
use crate::transfer::item::Ctx;
use crate::transfer::sync::{self as rule, Compare};
use crate::transfer::{ItemAction, ItemState, JobKind};

pub(in crate::transfer) async fn plan_sync(
    ctx: &Ctx,
    folder: &ObjectKey,
    sink: &mut Sink,
) -> Result<()> {
    let (src, dst, options) = (&ctx.src, &ctx.dst, &ctx.options);
    let target = dst.key.as_folder();
    let reach = Reach::new(ctx, &target);
    // What the filters leave out is left alone on both sides: neither copied nor deleted.
    let filters = options.filters.compile()?;
    // Folders are not compared, but one reached through a link is looked at (`reach`).
    // (Applied below, not to the listings: a name the source has still shadows what the
    // destination holds under it when the filters leave that name out.)
    let files = |b: &dyn Backend, f: &ObjectKey, reach: Option<Reach>| {
        objects(b, f)
            .map(move |page| {
                futures::stream::iter(match page {
                    Ok(entries) => entries
                        .into_iter()
                        .filter_map(|e| match e {
                            Entry::Object(meta) => Some(Ok(meta)),
                            Entry::Folder { key } => reach.as_ref()?.check(&key).err().map(Err),
                        })
                        .collect::<Vec<_>>(),
                    Err(e) => vec![Err(e)],
                })
            })
            .flatten()
            .boxed()
    };
    let links_there = dst.backend.capabilities().links;
    // What the destination holds below a name the source has as a file or a link (not
    // followed) is kept: the source still has something there.
    let mut shadows = Shadows::default();
    let mut left = files(src.backend.as_ref(), folder, Some(reach.clone())).peekable();
    let mut right = files(dst.backend.as_ref(), &target, None).peekable();
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
                let relative = l.unwrap_or_default();
                let dest = target.concat(&relative);
                reach.check(&meta.key)?;
                shadows.add(&relative);
                if !filters.keeps(&relative) {
                    continue;
                }
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
                let relative = r.unwrap_or_default();
                let shadowed = shadows.cover(&relative);
                if !filters.keeps(&relative) {
                    continue;
                }
                // Only a sync deletes: a migration keeps whatever the destination holds.
                if options.delete_extraneous && ctx.kind == JobKind::Sync && !shadowed {
                    sink.push(NewItem {
                        action: ItemAction::Delete,
                        expected: Some(rule::version(&meta)),
                        policy: None,
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
                reach.check(&a.key)?;
                shadows.add(l.as_deref().unwrap_or_default());
                if !filters.keeps(l.as_deref().unwrap_or_default()) {
                    continue;
                }
                // A link in the source is skipped, and its name still counts as the source's:
                // what the destination has there (or below it) is neither updated nor deleted.
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
                    // A workspace that never replaces a file keeps it: said in the plan, not
                    // found out when the item runs. (A conflict stays one: keep both works.)
                    if options.keep_existing && note.is_none() {
                        let why = format!(
                            "{} is already there and is kept: this workspace never replaces a file (file_overwrite: false)",
                            b.key
                        );
                        sink.push(skipped(&a, b.key, why)).await?;
                        continue;
                    }
                    sink.push(NewItem {
                        action: ItemAction::Update,
                        note,
                        version: Some(rule::version(&a)),
                        expected: Some(rule::version(&b)),
                        policy: None,
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

/// Names the source has as a file or a link whose range below them (`name/…`) the walk has
/// not passed yet. The destination may hold a folder there (a link the source did not follow,
/// a file where the destination has a folder): its contents are not the source's to delete.
/// Both sides are walked in key order, so a name's range ends for good once the walk is past
/// `name0` (`0` follows `/`), and only names still open are kept: memory stays flat.
#[derive(Default)]
struct Shadows(Vec<String>);

impl Shadows {
    fn add(&mut self, name: &str) {
        self.expire(name);
        self.0.push(name.to_string());
    }

    /// Whether `key` lies below a name the source has.
    fn cover(&mut self, key: &str) -> bool {
        self.expire(key);
        self.0.iter().any(|name| {
            key.strip_prefix(name.as_str())
                .is_some_and(|rest| rest.starts_with('/'))
        })
    }

    fn expire(&mut self, at: &str) {
        self.0.retain(|name| {
            let mut end = name.as_bytes().to_vec();
            end.push(b'0');
            at.as_bytes() < end.as_slice()
        });
    }
}

/// Why replacing `theirs` with `ours` is a conflict for the policy to decide, or `None` when
/// it is the update a sync is for.
///
/// - A migration keeps what the destination has: any object that differs is a conflict.
/// - A sync with a record of the last sync that wrote this file, from this source: a conflict
///   when both the source and the destination changed since.
/// - Without a record: a conflict when the destination is newer than the source (someone may
///   have worked on it there); else an update.
async fn conflict(ctx: &Ctx, ours: &ObjectMeta, theirs: &ObjectMeta) -> Result<Option<String>> {
    if ctx.kind == JobKind::Migrate {
        return Ok(Some(
            "the destination already has this file, and it differs from the source's".into(),
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
