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
use crate::transfer::{ItemAction, ItemState, JobKind, JobOptions};

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
            // `{prefix}` is the destination as named: a template never writes outside it (a
            // destination naming the file itself is a folder for the template's keys).
            let into = dst.key.as_folder();
            // The folder the file is in: its key's, or for a local file, the folder on disk.
            let top = match meta.key.parent().name() {
                "" => src
                    .backend
                    .local_path(&meta.key)
                    .and_then(|p| {
                        p.parent()
                            .and_then(|d| d.file_name())
                            .map(|n| n.to_string_lossy().into_owned())
                    })
                    .unwrap_or_default(),
                name => name.to_string(),
            };
            needs_entity(options, &top)?;
            let dest = apply_template(options, ctx.date, &into, meta.key.name(), dest, &top);
            if options.upload.key_template.is_some() && !dst.key.is_root() {
                check_within(&dest, &into)?;
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
            let top = folder_name(src, folder);
            let top = top.as_str();
            // With a template, two files must never get one key (`export/a.csv` and
            // `export/export/a.csv` under `{entity}` would): refused before anything moves.
            let mut keys = options
                .upload
                .key_template
                .is_some()
                .then(std::collections::HashSet::new);
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
                            if !relative.contains('/') {
                                needs_entity(options, top)?;
                            }
                            apply_template(options, ctx.date, &target, &relative, dest, top)
                        }
                        Entry::Folder { .. } => dest,
                    };
                    if let (Some(keys), Entry::Object(_)) = (&mut keys, &entry)
                        && !keys.insert(dest.clone())
                    {
                        return Err(Error::Invalid(format!(
                            "two files would get the key {dest} under the key template; nothing was sent: give {{entity}} a value, or change the template"
                        )));
                    }
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

/// A folder's own name: its key's, or for the top of a local folder, the folder's on disk.
fn folder_name(src: &crate::workspace::Resolved, folder: &ObjectKey) -> String {
    let name = folder.name();
    if !name.is_empty() {
        return name.to_string();
    }
    src.backend
        .local_path(folder)
        .or_else(|| src.local_root.clone())
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
}

/// Refuses a template whose `{entity}` would be empty (no entity set, no folder to take it
/// from): keys with an empty segment are nobody's plan.
fn needs_entity(options: &JobOptions, top: &str) -> Result<()> {
    let wants = options
        .upload
        .key_template
        .as_deref()
        .is_some_and(|t| t.contains("{entity}"));
    if wants && options.upload.entity.is_none() && top.is_empty() {
        return Err(Error::Invalid(
            "the key template uses {entity}, and nothing says what it is here: set the workspace's entity (or --entity NAME)".into(),
        ));
    }
    Ok(())
}
