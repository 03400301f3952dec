//! From a request to items: walk the source (and for sync the destination) page by page and
//! hand items to the journal as they are found, so sending starts before the walk ends —
//! except where two sources could land on one destination (a destination that folds case or
//! Unicode forms, the rename policy): then the whole plan is made, and collisions refused,
//! before any byte moves.

mod copy;
mod edit;
mod sync;

use std::collections::HashMap;
use std::sync::Arc;

use ferry_storage::{Backend, BackendExt, Entry, ListOptions, NameFolding, ObjectKey, ObjectMeta};
use futures::stream::{BoxStream, StreamExt};
use serde::Serialize;
use tokio::sync::mpsc;

use super::journal::{ItemRow, Journal, NewItem};
use super::progress::Accounting;
use super::{ItemAction, ItemState, JobKind, JobOptions};
use crate::error::{Error, Result};
use crate::workspace::Resolved;

pub(super) use copy::plan_copy;
pub(super) use edit::plan_edit;
pub(super) use sync::plan_sync;

/// Batches new items into the journal and passes the recorded ones to the executor.
pub(super) struct Sink {
    /// The journal and job to record into; `None` for a dry run, which only lists.
    pub journal: Option<(Arc<Journal>, String)>,
    pub tx: Option<mpsc::Sender<ItemRow>>,
    pub progress: Arc<Accounting>,
    batch: Vec<NewItem>,
    /// What the plan holds, for `--dry-run` and reports.
    pub summary: PlanSummary,
    /// Every action, for a dry run.
    pub actions: Vec<PlannedAction>,
    /// The items behind them (a dry run's), for a reviewed plan to run.
    pub items: Vec<NewItem>,
    /// How the destination compares names; where it folds, which source each folded name
    /// was planned for.
    folding: NameFolding,
    folded: HashMap<String, String>,
    /// Destination keys two sources would share: neither is carried.
    pub collisions: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct PlanSummary {
    pub copy: u64,
    pub copy_bytes: u64,
    pub update: u64,
    pub update_bytes: u64,
    pub delete: u64,
    pub unchanged: u64,
    /// Decided against before running: symbolic links not followed, items that would land
    /// inside their own source.
    pub skipped: u64,
    /// Updates the conflict policy decides (changed on both sides, a migration's differing
    /// object).
    pub conflicts: u64,
    /// Sources that would share one destination name: refused.
    pub collisions: u64,
    /// Objects an edit job changes in place.
    pub edit: u64,
}

/// One action of a plan, as `--dry-run` lists it and `--json` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct PlannedAction {
    /// `copy`, `update`, `conflict`, `delete`, `mkdir`, `link`, `edit`, `skip` or `collision`.
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub destination: String,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The source's version when planned (`etag:…`, or `size@mtime`): a reviewed plan runs the
    /// action only while it still is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The destination's version when planned, for an update or a delete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_version: Option<String>,
    /// For a conflict in a reviewed plan: what the reviewer chose for this file (`skip` keeps
    /// the destination's, `overwrite` replaces it, `rename` keeps both) [default: the job's
    /// conflict policy].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<crate::settings::ConflictPolicy>,
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
            actions: Vec::new(),
            items: Vec::new(),
            folding: NameFolding::EXACT,
            folded: HashMap::new(),
            collisions: Vec::new(),
        }
    }

    /// Names compare as `folding` says at the destination: two sources whose names fold to
    /// one are a collision.
    pub fn with_folding(mut self, folding: NameFolding) -> Self {
        self.folding = folding;
        self
    }

    pub fn folding(&self) -> NameFolding {
        self.folding
    }

    async fn push(&mut self, item: NewItem) -> Result<()> {
        self.count(&item);
        if self.journal.is_none() {
            self.actions.push(PlannedAction::of(&item));
            self.items.push(item);
            return Ok(());
        }
        self.batch.push(item);
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    fn count(&mut self, item: &NewItem) {
        let s = &mut self.summary;
        match (item.state, item.action) {
            (ItemState::Skipped | ItemState::Failed, _) => s.skipped += 1,
            (_, ItemAction::Copy | ItemAction::Link) => {
                s.copy += 1;
                s.copy_bytes += item.size;
            }
            (_, ItemAction::Update) => {
                s.update += 1;
                s.update_bytes += item.size;
                s.conflicts += u64::from(item.note.is_some());
            }
            (_, ItemAction::Delete) => s.delete += 1,
            (_, ItemAction::Edit) => s.edit += 1,
            (_, ItemAction::Mkdir) => {}
        }
        if self.folding.is_exact()
            || item.action == ItemAction::Delete
            || item.state != ItemState::Pending
        {
            return;
        }
        let folded = self.folding.fold(item.dest_key.trim_end_matches('/'));
        match self.folded.get(&folded) {
            Some(first) if *first != item.dest_key => {
                self.summary.collisions += 1;
                self.collisions.push((first.clone(), item.dest_key.clone()));
                if self.journal.is_none() {
                    self.actions.push(PlannedAction {
                        action: "collision".into(),
                        note: Some(format!(
                            "would be the same file as {first} at the destination"
                        )),
                        ..PlannedAction::of(item)
                    });
                }
            }
            Some(_) => {}
            None => {
                self.folded.insert(folded, item.dest_key.clone());
            }
        }
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
            // Deletions are not among the job's files, here as in its tally.
            if item.state != ItemState::Pending {
                if item.action != ItemAction::Delete {
                    self.progress.planned_ended(item.state, item.size);
                }
                continue;
            }
            let Some(tx) = &self.tx else {
                // Held until the whole plan is made; counted when sent (`send_pending`).
                continue;
            };
            if item.action != ItemAction::Delete {
                self.progress.add_total(1, item.size);
            }
            // The executor stopping (cancel) is not a planning error.
            if tx.send(item).await.is_err() {
                break;
            }
        }
        Ok(())
    }

    /// Ends the items of every collision as failed, before they run.
    pub async fn refuse_collisions(&mut self, describe: &str) -> Result<()> {
        let Some((journal, job)) = self.journal.clone() else {
            return Ok(());
        };
        for (first, second) in std::mem::take(&mut self.collisions) {
            let message = format!(
                "{first} and {second} would be one file at the destination ({describe} does not \
                 tell {} apart); neither was copied\n  hint: Rename one of them at the source.",
                match (self.folding.case, self.folding.unicode) {
                    (true, true) => "upper from lower case, nor Unicode spellings,",
                    (true, false) => "upper from lower case",
                    _ => "Unicode spellings of one name",
                }
            );
            let (journal, job) = (journal.clone(), job.clone());
            let failed = tokio::task::spawn_blocking(move || {
                journal.fail_planned(&job, &[first, second], &message)
            })
            .await
            .map_err(|e| Error::Journal(e.to_string()))??;
            for size in failed {
                self.progress.planned_ended(ItemState::Failed, size);
            }
        }
        Ok(())
    }
}

impl PlannedAction {
    pub(crate) fn of(item: &NewItem) -> Self {
        let action = match (item.state, item.action) {
            (ItemState::Skipped | ItemState::Failed, _) => "skip",
            (_, ItemAction::Copy) => "copy",
            (_, ItemAction::Update) if item.note.is_some() => "conflict",
            (_, ItemAction::Update) => "update",
            (_, ItemAction::Delete) => "delete",
            (_, ItemAction::Mkdir) => "mkdir",
            (_, ItemAction::Link) => "link",
            (_, ItemAction::Edit) => "edit",
        };
        PlannedAction {
            action: action.to_string(),
            source: (!item.source_key.is_empty()).then(|| item.source_key.clone()),
            destination: item.dest_key.clone(),
            size: item.size,
            note: item.note.clone(),
            source_version: item.version.clone(),
            destination_version: item.expected.clone(),
            resolution: None,
        }
    }
}

/// Where a source read through links (`--follow-links`) leads: never into the destination, nor
/// to a folder holding it, or the job would change (with `--delete` remove) what it reads, or
/// copy its own output.
#[derive(Clone)]
pub(super) struct Reach {
    into: Option<(ferry_storage::Identity, Arc<dyn Backend>)>,
    /// Folders of the source already looked at (each is looked at once).
    seen: Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
}

impl Reach {
    pub fn new(ctx: &super::item::Ctx, target: &ObjectKey) -> Reach {
        Reach {
            into: ctx.options.follow_links.then(|| {
                (
                    ctx.dst.backend.identity(target).as_folder(),
                    ctx.src.backend.clone(),
                )
            }),
            seen: Arc::default(),
        }
    }

    /// Refuses an entry that leads into the destination, or whose folders lead to one holding
    /// it. (Only links can: the roots were compared when the job was made.)
    pub fn check(&self, key: &ObjectKey) -> Result<()> {
        let Some((into, src)) = &self.into else {
            return Ok(());
        };
        let mut places = vec![(key.clone(), key.is_folder())];
        let mut folder = key.parent();
        while !folder.is_root() {
            let fresh = self
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(folder.to_string());
            if !fresh {
                break;
            }
            places.push((folder.clone(), true));
            folder = folder.parent();
        }
        for (place, is_folder) in places {
            let real = src.identity(&place);
            let holds = is_folder && real.as_folder().contains(into);
            if into.contains(&real) || holds {
                return Err(Error::Overlap(format!(
                    "{place} in the source leads through a symbolic link to {real}, which {} the \
                     destination {into}; with --follow-links the job would change what it reads, \
                     so nothing was done",
                    if holds { "holds" } else { "lies inside" }
                )));
            }
        }
        Ok(())
    }
}

/// What the source names: one object, or a folder whose contents are carried.
// One per job: the size of a meta is no cost worth an allocation.
#[allow(clippy::large_enum_variant)]
pub enum Source {
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
            src.backend.identity(&folder)
        )));
    }
    Ok(Source::Folder(folder))
}

/// An item that carries `meta` to `dest`.
fn copy_item(meta: &ObjectMeta, dest: ObjectKey) -> NewItem {
    NewItem {
        action: ItemAction::Copy,
        source_key: meta.key.to_string(),
        dest_key: dest.into_string(),
        size: meta.size,
        modified: meta.last_modified.map(|t| t.to_string()),
        state: ItemState::Pending,
        note: None,
        version: None,
        expected: None,
        policy: None,
    }
}

/// An item the plan decided not to carry, and why.
fn skipped(meta: &ObjectMeta, dest: ObjectKey, note: String) -> NewItem {
    NewItem {
        state: ItemState::Skipped,
        note: Some(note),
        ..copy_item(meta, dest)
    }
}

/// Why a symbolic link in the source is not carried.
fn link_note(meta: &ObjectMeta, follow: bool, into_s3: bool) -> String {
    let target = meta.link_target.as_deref().unwrap_or("?");
    if follow {
        format!(
            "symbolic link to {target}: not followed (it points to nothing, or back into a folder being copied)"
        )
    } else if into_s3 {
        format!(
            "symbolic link to {target}: not copied (S3 has no links; --follow-links copies what it points to)"
        )
    } else {
        format!("symbolic link to {target}: not copied (--follow-links copies what it points to)")
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
/// its trailing `/`), `{name}` the file's relative path, `{yyyy}`, `{mm}`, `{dd}` the date the
/// job was made (UTC; one date for the whole job, so a job resumed after midnight plans the
/// keys it planned before). Without a template the key is the one planned.
pub(super) fn apply_template(
    options: &JobOptions,
    date: jiff::civil::Date,
    target: &ObjectKey,
    relative: &str,
    planned: ObjectKey,
    top: &str,
) -> ObjectKey {
    let key = match &options.upload.key_template {
        None => planned,
        Some(template) => {
            // `{entity}`: as set, else the file's top folder below what is uploaded (and
            // `{name}` the rest of its path), else the uploaded folder's own name.
            let (entity, name) = match &options.upload.entity {
                Some(entity) => (entity.as_str(), relative),
                None if template.contains("{entity}") => match relative.split_once('/') {
                    Some((first, rest)) => (first, rest),
                    None => (top, relative),
                },
                None => ("", relative),
            };
            let key = template
                .replace("{prefix}", target.as_str().trim_end_matches('/'))
                .replace("{entity}", entity)
                .replace("{yyyy}", &format!("{:04}", date.year()))
                .replace("{mm}", &format!("{:02}", date.month()))
                .replace("{dd}", &format!("{:02}", date.day()))
                .replace("{name}", name);
            ObjectKey::new(key.trim_start_matches('/'))
        }
    };
    // A compressed file is named for what it holds (one already `.gz` is compressed again,
    // and says so: `.gz.gz`).
    if options.upload.gzip() {
        return ObjectKey::new(format!("{key}.gz"));
    }
    key
}

/// Refuses a key template that names something unknown, or that would put every file of a
/// folder at one key (no `{name}`): two sources never land on one destination.
pub fn check_template(template: &str, folder: bool) -> Result<()> {
    const KNOWN: [&str; 6] = ["{prefix}", "{entity}", "{name}", "{yyyy}", "{mm}", "{dd}"];
    let mut rest = template.to_string();
    for known in KNOWN {
        rest = rest.replace(known, "");
    }
    if let Some(start) = rest.find('{') {
        let unknown: String = rest[start..].chars().take_while(|&c| c != '}').collect();
        return Err(Error::Invalid(format!(
            "the key template {template:?} names {unknown}}}, which Ferry does not know; it knows {}",
            KNOWN.join(", ")
        )));
    }
    if folder && !template.contains("{name}") {
        return Err(Error::Invalid(format!(
            "the key template {template:?} has no {{name}}, so every file of the folder would get \
             the same key (each would replace the one before); add {{name}}"
        )));
    }
    Ok(())
}

/// Where a file would go today under an upload policy: `relative` (its path below what is
/// uploaded, whose own name is `top`) uploaded into `into` — the workspace editor's preview.
pub fn preview_key(
    template: Option<&str>,
    entity: Option<&str>,
    gzip: bool,
    into: &ObjectKey,
    relative: &str,
    top: &str,
) -> Result<ObjectKey> {
    if let Some(template) = template {
        check_template(template, true)?;
    }
    let options = JobOptions {
        upload: super::UploadOptions {
            key_template: template.map(str::to_string),
            entity: entity.map(str::to_string),
            gzip: Some(gzip),
            ..Default::default()
        },
        ..JobOptions::default()
    };
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let target = into.as_folder();
    Ok(apply_template(
        &options,
        today,
        &target,
        relative,
        target.concat(relative),
        top,
    ))
}

/// Refuses a key template that puts files outside the destination folder `destination`
/// (one without `{prefix}`, when the destination is not a store's root).
pub fn check_template_within(template: &str, destination: &ObjectKey) -> Result<()> {
    let target = destination.as_folder();
    let options = JobOptions {
        upload: super::UploadOptions {
            key_template: Some(template.to_string()),
            ..Default::default()
        },
        ..JobOptions::default()
    };
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date();
    let sample = apply_template(&options, today, &target, "x", target.concat("x"), "x");
    copy::check_within(&sample, &target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_is_set_or_the_top_folder_and_gzip_names_the_file() {
        let date = jiff::civil::date(2026, 12, 7);
        let target = ObjectKey::new("archive/");
        let options = |entity: Option<&str>, gzip| JobOptions {
            upload: super::super::UploadOptions {
                key_template: Some("{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}".into()),
                entity: entity.map(str::to_string),
                gzip: Some(gzip),
                ..Default::default()
            },
            ..JobOptions::default()
        };
        let key = |o: &JobOptions, relative: &str| {
            apply_template(
                o,
                date,
                &target,
                relative,
                target.concat(relative),
                "export",
            )
            .to_string()
        };
        let top = options(None, false);
        assert_eq!(
            key(&top, "billing/inv.csv"),
            "archive/billing/2026/12/07/inv.csv"
        );
        assert_eq!(key(&top, "inv.csv"), "archive/export/2026/12/07/inv.csv");
        let set = options(Some("acme"), true);
        assert_eq!(
            key(&set, "billing/inv.csv"),
            "archive/acme/2026/12/07/billing/inv.csv.gz"
        );
        assert_eq!(key(&set, "old.gz"), "archive/acme/2026/12/07/old.gz.gz");
    }

    #[test]
    fn templates_that_would_merge_files_are_refused() {
        assert!(check_template("{prefix}/{yyyy}/{mm}/{dd}/{name}", true).is_ok());
        let err = check_template("{prefix}/latest.csv", true).unwrap_err();
        assert!(err.to_string().contains("same key"), "{err}");
        assert!(
            check_template("{prefix}/latest.csv", false).is_ok(),
            "one file, one key"
        );
        let err = check_template("{prefix}/{tenant}/{name}", true).unwrap_err();
        assert!(err.to_string().contains("{tenant}"), "{err}");
        let into = ObjectKey::new("archive/");
        assert!(check_template_within("{prefix}/{yyyy}/{name}", &into).is_ok());
        let err = check_template_within("{yyyy}/{name}", &into).unwrap_err();
        assert!(err.to_string().contains("outside the destination"), "{err}");
        assert!(
            check_template_within("{yyyy}/{name}", &ObjectKey::root()).is_ok(),
            "at a store's root every key is inside"
        );
    }
}
