//! Source and destination must not contain each other. Compared as places ([`Identity`]), not
//! spellings: `site/public` and `site/./public/`, a symlink alias of a folder, two workspaces on
//! one bucket, or one endpoint spelled two ways are caught alike — rclone's "can't sync or move
//! files on overlapping remotes", for every way a person can name a place.

use ferry_storage::{Identity, ObjectKey};
use serde::{Deserialize, Serialize};

use super::JobKind;
use super::plan::Source;
use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// Where a job reads and writes, resolved when it was made. A resumed or retried job refuses
/// to run when its workspaces now resolve elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pins {
    pub source: Identity,
    pub destination: Identity,
}

impl Pins {
    pub fn of(src: &Resolved, source: &Source, dst: &Resolved) -> Pins {
        Pins {
            source: source_identity(src, source),
            destination: destination_identity(dst),
        }
    }
}

fn source_identity(src: &Resolved, source: &Source) -> Identity {
    match source {
        Source::Folder(folder) => src.backend.identity(folder).as_folder(),
        Source::One(meta) => src.backend.identity(&meta.key),
    }
}

fn destination_identity(dst: &Resolved) -> Identity {
    let into = dst.backend.identity(&dst.key);
    if dst.key.is_root() || dst.key.is_folder() {
        into.as_folder()
    } else {
        into
    }
}

/// Refuses a job whose source and destination overlap in a way that would change what it
/// reads: for sync, move and migrate either containing the other; for a copy, the destination
/// inside the source (it would copy its own output). A copy into a folder that contains the
/// source is allowed — nothing of the source changes, and any item that would land inside the
/// source is refused by the plan ([`lands_in_source`]).
pub fn check(
    kind: JobKind,
    src: &Resolved,
    source: &Source,
    dst: &Resolved,
    names: (&str, &str),
) -> Result<()> {
    let from = source_identity(src, source);
    let into = destination_identity(dst);
    let (a, b) = names;
    let verb = match kind {
        JobKind::Copy => "copy",
        JobKind::Move => "move",
        JobKind::Sync => "sync",
        JobKind::Migrate => "migrate",
        // An edit changes its source in place: source and destination are one on purpose.
        JobKind::Edit => return Ok(()),
    };
    if contains(&from, &into) && contains(&into, &from) {
        return Err(Error::Overlap(format!(
            "cannot {verb} {a} to {b}: {from} is both the source and the destination; nothing was done"
        )));
    }
    if matches!(source, Source::One(_)) {
        return Ok(());
    }
    if contains(&from, &into) {
        return Err(Error::Overlap(format!(
            "cannot {verb} {a} into itself: the destination {b} ({into}) lies inside the source \
             ({from}), so the {verb} would {} its own output; nothing was done",
            if kind == JobKind::Copy {
                "copy"
            } else {
                "read"
            }
        )));
    }
    if contains(&into, &from) && kind != JobKind::Copy {
        let harm = match kind {
            JobKind::Sync => "overwrite or delete (with --delete) the files it reads",
            JobKind::Move => "move files onto the ones it has yet to move",
            _ => "overwrite what it reads",
        };
        return Err(Error::Overlap(format!(
            "cannot {verb} {a} to {b}: the source ({from}) lies inside the destination ({into}), \
             so the {verb} could {harm}; nothing was done"
        )));
    }
    Ok(())
}

/// Whether `outer` is or holds `inner`: by their names, and on this computer's disks also by
/// (device, inode) — a disk that folds names (vfat or exFAT on Linux) spells one folder two
/// ways, and a path's letters alone would not tell.
fn contains(outer: &Identity, inner: &Identity) -> bool {
    outer.contains(inner) || same_disk_folder_holds(outer, inner)
}

fn same_disk_folder_holds(outer: &Identity, inner: &Identity) -> bool {
    use std::os::unix::fs::MetadataExt;
    if outer.store != "file" || inner.store != "file" || !outer.folder {
        return false;
    }
    let Ok(meta) = std::fs::metadata(&outer.path) else {
        return false;
    };
    let target = (meta.dev(), meta.ino());
    let mut here = Some(std::path::Path::new(&inner.path));
    while let Some(path) = here {
        if let Ok(m) = std::fs::symlink_metadata(path)
            && (m.dev(), m.ino()) == target
        {
            return true;
        }
        here = path.parent();
    }
    false
}

/// For a copy into a folder that contains its source: the source's place, to refuse items
/// that would land inside it (`cp -r site/public site` with a `public/x` in the source).
pub fn lands_in_source(src: &Resolved, folder: &ObjectKey, dst: &Resolved) -> Option<Identity> {
    let from = src.backend.identity(folder).as_folder();
    destination_identity(dst).contains(&from).then_some(from)
}
