//! Copy and move: every object below the source, to the same relative key below the target.

use ferry_storage::{BackendExt, Entry, ObjectKey, ObjectMeta};
use futures::stream::StreamExt;

use super::{
    NewItem, Reach, Sink, Source, apply_template, check_template, copy_item, link_note, objects,
    skipped,
};
use crate::error::{Error, Result};
use crate::transfer::item::Ctx;
use crate::transfer::overlap;
use crate::transfer::{ItemAction, ItemState, JobKind};

pub(in crate::transfer) async fn plan_copy(
    ctx: &Ctx,
    source: &Source,
    sink: &mut Sink,
) -> Result<()> {
    let (src, dst, options) = (&ctx.src, &ctx.dst, &ctx.options);
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
            if let Some(template) = &options.upload.key_template {
                check_template(template, false)?;
            }
            let dest = apply_template(
                options,
                ctx.date,
                &dst.key.as_folder(),
                meta.key.name(),
                dest,
                meta.key.parent().name(),
            );
            if options.upload.key_template.is_some() && !dst.key.is_root() {
                check_within(&dest, &dst.key.as_folder())?;
            }
            if src.backend.identity(&meta.key) == dst.backend.identity(&dest) {
                return Err(Error::Overlap(format!(
                    "{} is both the source and the destination; nothing was done",
                    src.backend.identity(&meta.key)
                )));
            }
            sink.push(entry_item(ctx, meta, dest)).await?;
        }
        Source::Folder(folder) => {
            if let Some(template) = &options.upload.key_template {
                check_template(template, true)?;
            }
            let target = dst.key.as_folder();
            let top = folder.name().to_string();
            let top = top.as_str();
            let reach = Reach::new(ctx, &target);
            // A copy into a folder holding its source: nothing may land inside the source.
            let inside = overlap::lands_in_source(src, folder, dst);
            let filters = options.filters.compile()?;
            let filtered = !options.filters.is_empty();
            let mut pages = objects(src.backend.as_ref(), folder);
            while let Some(page) = pages.next().await {
                for entry in page? {
                    let relative = entry
                        .key()
                        .strip_prefix(folder)
                        .unwrap_or(entry.key().as_str())
                        .to_string();
                    // Left out by the filters: not carried. With filters, folders come with
                    // the files written into them (an empty one is not made).
                    let left_out = match &entry {
                        Entry::Folder { .. } => filtered,
                        Entry::Object(_) => !filters.keeps(&relative),
                    };
                    if left_out {
                        continue;
                    }
                    reach.check(entry.key())?;
                    let dest = target.concat(&relative);
                    let dest = match &entry {
                        Entry::Object(_) => {
                            apply_template(options, ctx.date, &target, &relative, dest, top)
                        }
                        Entry::Folder { .. } => dest,
                    };
                    check_within(&dest, &target)?;
                    let lands_inside = inside
                        .as_ref()
                        .is_some_and(|from| from.contains(&dst.backend.identity(&dest)));
                    match entry {
                        Entry::Folder { .. } if lands_inside => {}
                        Entry::Folder { key } => {
                            sink.push(NewItem {
                                action: ItemAction::Mkdir,
                                source_key: key.into_string(),
                                dest_key: dest.into_string(),
                                size: 0,
                                modified: None,
                                state: ItemState::Pending,
                                note: None,
                                version: None,
                                expected: None,
                                policy: None,
                            })
                            .await?
                        }
                        Entry::Object(meta) if lands_inside => {
                            let note = format!(
                                "would land inside the source ({}), which a copy does not change",
                                inside.as_ref().map(|i| i.to_string()).unwrap_or_default()
                            );
                            sink.push(skipped(&meta, dest, note)).await?
                        }
                        Entry::Object(meta) => sink.push(entry_item(ctx, &meta, dest)).await?,
                    }
                }
                sink.flush().await?;
            }
        }
    }
    sink.flush().await
}

/// Refuses a key a template puts outside the destination folder: nothing outside the place
/// the user named is written.
pub(super) fn check_within(dest: &ObjectKey, target: &ObjectKey) -> Result<()> {
    if target.is_root()
        || dest
            .strip_prefix(target)
            .is_some_and(|rest| !rest.is_empty())
    {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "the key template puts {dest} outside the destination folder {target}; start it with {{prefix}}/"
    )))
}

/// The item for one source entry: a copy, a link moved as a link (between local folders), or
/// a link skipped with its reason.
fn entry_item(ctx: &Ctx, meta: &ObjectMeta, dest: ObjectKey) -> NewItem {
    if meta.link_target.is_none() {
        return copy_item(meta, dest);
    }
    let links_there = ctx.dst.backend.capabilities().links;
    if ctx.kind == JobKind::Move && links_there && !ctx.options.follow_links {
        return NewItem {
            action: ItemAction::Link,
            size: 0,
            ..copy_item(meta, dest)
        };
    }
    let note = link_note(meta, ctx.options.follow_links, !links_there);
    skipped(meta, dest, note)
}
