//! What an item does when its destination is taken: the job's conflict policy, decided once
//! and recorded, and carried out so that it cannot be raced — every write except an overwrite
//! only creates ([`WriteMode::Create`]), so a file that appears between the look and the write
//! is never replaced; the decision is then made again with it there.

use ferry_storage::{BackendExt, ErrorKind, ObjectKey, StorageError, WriteMode};

use super::item::Ctx;
use super::journal::ItemRow;
use super::{ItemAction, JobKind};
use crate::error::{Error, Result};
use crate::settings::ConflictPolicy;

/// Where an item writes and whether it may replace what is there; `None`: skip it.
pub(super) type Decision = Option<(ObjectKey, WriteMode)>;

/// Candidate names tried by the rename policy.
const RENAME_TRIES: u32 = 10_000;

/// Decides what the item does about its planned destination, as things are now.
pub(super) async fn decide(
    ctx: &Ctx,
    item: &ItemRow,
    planned: &ObjectKey,
    modified: Option<jiff::Timestamp>,
) -> Result<Decision> {
    let keep = ctx.options.keep_existing;
    let policy = match (ctx.kind, item.action, &item.note) {
        // The update a sync is for: the destination is out of date and nobody else changed it.
        (JobKind::Sync | JobKind::Migrate, ItemAction::Update, None) if !keep => {
            return Ok(Some((planned.clone(), WriteMode::Overwrite)));
        }
        // …unless the workspace never replaces a file (`file_overwrite: false`).
        (JobKind::Sync | JobKind::Migrate, ItemAction::Update, None) => ConflictPolicy::Skip,
        // A conflict someone decided for this file in a reviewed plan.
        _ => item.policy.unwrap_or(ctx.options.conflict),
    };
    let policy = match policy {
        // Nothing to ask either: the answer is always "keep it".
        ConflictPolicy::Overwrite | ConflictPolicy::OverwriteIfNewer | ConflictPolicy::Ask
            if keep =>
        {
            ConflictPolicy::Skip
        }
        other => other,
    };
    if policy == ConflictPolicy::Overwrite {
        return Ok(Some((planned.clone(), WriteMode::Overwrite)));
    }
    let Some(existing) = ctx.dst.backend.try_stat(planned).await? else {
        return Ok(Some((planned.clone(), WriteMode::Create)));
    };
    match policy {
        ConflictPolicy::Overwrite => Ok(Some((planned.clone(), WriteMode::Overwrite))),
        ConflictPolicy::Skip => Ok(None),
        ConflictPolicy::OverwriteIfNewer => match (modified, existing.last_modified) {
            (Some(new), Some(old)) if new > old => {
                Ok(Some((planned.clone(), WriteMode::Overwrite)))
            }
            _ => Ok(None),
        },
        ConflictPolicy::Rename => rename(ctx, item, planned).await.map(Some),
        ConflictPolicy::Ask => Err(refused(item, planned)),
    }
}

/// The first free `name (n).ext`: free at the destination, and planned or claimed by no other
/// item of the job (a claim is atomic, so two items never choose one name).
async fn rename(ctx: &Ctx, item: &ItemRow, planned: &ObjectKey) -> Result<(ObjectKey, WriteMode)> {
    for n in 1..RENAME_TRIES {
        let candidate = numbered(planned, n);
        if ctx.dst.backend.try_stat(&candidate).await?.is_some() {
            continue;
        }
        let (journal, job, seq, key) = (
            ctx.journal.clone(),
            ctx.job.clone(),
            item.seq,
            candidate.to_string(),
        );
        let free = tokio::task::spawn_blocking(move || journal.claim_free(&job, seq, &key))
            .await
            .map_err(|e| Error::Journal(e.to_string()))??;
        if free {
            return Ok((candidate, WriteMode::Create));
        }
    }
    Err(Error::Invalid(format!("no free name found for {planned}")))
}

/// The error of an item the policy (`ask`, where nobody can be asked) does not let replace.
fn refused(item: &ItemRow, planned: &ObjectKey) -> Error {
    let message = match &item.note {
        Some(why) => format!("{planned}: {why}; it was not replaced"),
        None => format!("{planned} already exists and was not replaced"),
    };
    StorageError::new(ErrorKind::AlreadyExists, message).into()
}

/// Whether an error says the destination was taken when the item only creates.
pub(super) fn is_taken(e: &Error) -> bool {
    matches!(e, Error::Storage(s) if s.kind == ErrorKind::AlreadyExists)
}

/// `dir/name.ext` → `dir/name (n).ext`.
pub(super) fn numbered(key: &ObjectKey, n: u32) -> ObjectKey {
    let name = key.name();
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    key.parent().concat(&format!("{stem} ({n}){ext}"))
}

/// Whether what is at `destination` is this item's own earlier write (a retry after the write
/// landed but before the item was recorded as done): the same size and, as far as the stores
/// can tell, the same bytes — the same MD5, the item's upload tag, or for a local file the
/// source's time Ferry gave it. Unsure is no.
pub(super) async fn is_own_write(
    ctx: &Ctx,
    item: &ItemRow,
    source: &ObjectKey,
    destination: &ObjectKey,
) -> Result<bool> {
    let Some(there) = ctx.dst.backend.try_stat(destination).await? else {
        return Ok(false);
    };
    // The item's upload tag first: a compressed upload's size is not the source's.
    let tag = format!("{}/{}", ctx.job, item.seq);
    if there.link_target.is_none()
        && there
            .metadata
            .get(ferry_storage::integrity::UPLOAD_METADATA)
            == Some(&tag)
    {
        return Ok(true);
    }
    if there.size != item.size || there.link_target.is_some() {
        return Ok(false);
    }
    let ours = match ctx.src.backend.try_stat(source).await? {
        Some(meta) => super::sync::md5_of(ctx.src.backend.as_ref(), &meta).await,
        None => None,
    };
    let theirs = super::sync::md5_of(ctx.dst.backend.as_ref(), &there).await;
    if let (Some(a), Some(b)) = (ours, theirs) {
        return Ok(a == b);
    }
    let listed: Option<jiff::Timestamp> = item.modified.as_deref().and_then(|t| t.parse().ok());
    Ok(ctx.dst.backend.local_path(destination).is_some()
        && listed.is_some()
        && there.last_modified.map(|t| t.as_second()) == listed.map(|t| t.as_second()))
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
