//! Paths below a store's root, reached one folder at a time through directory handles opened
//! with `O_NOFOLLOW`: a symbolic link on the way is refused, never followed. So whatever swaps a
//! folder for a link between a listing and a write or a delete, the operation fails instead of
//! landing elsewhere — `rm -r`'s and rsync's rule that a link is removed as a link, made to hold
//! against races too. The last component is acted on through its folder's handle (`unlinkat`,
//! `renameat`, `openat`), so it is never followed either.

use std::ffi::{OsStr, OsString};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::{self as rfs, AtFlags, FileType, Mode, OFlags, RenameFlags};
use rustix::io::Errno;

use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

const DIR: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

/// A name in a folder that was reached from the root without passing a symbolic link.
pub(super) struct Spot {
    /// The folder holding `name`.
    pub dir: OwnedFd,
    /// The last component of the key (the root's own name for the root).
    pub name: OsString,
    /// `root/key`, for messages and for reading it by path.
    pub path: PathBuf,
}

/// What is at a spot, as `lstat` sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    File,
    Folder,
    Link,
    /// A device, socket or pipe: never read or written by Ferry.
    Other,
}

pub(super) fn kind_of(stat: &rfs::Stat) -> Kind {
    match FileType::from_raw_mode(stat.st_mode) {
        FileType::RegularFile => Kind::File,
        FileType::Directory => Kind::Folder,
        FileType::Symlink => Kind::Link,
        _ => Kind::Other,
    }
}

fn io(action: &str, path: &Path, e: Errno) -> StorageError {
    StorageError::io(action, path, std::io::Error::from(e))
}

/// The (device, inode) a store's root had when first opened. The root is reached by its path,
/// so a folder above it swapped for a link would move it elsewhere: every later opening must
/// find the same folder, or the operation stops.
pub(super) type RootId = std::sync::Arc<std::sync::OnceLock<(u64, u64)>>;

/// Opens `root` itself (its own path is the user's: links in it were resolved when the store
/// was made), checking it is the folder first opened.
fn open_root(root: &Path, id: &RootId) -> Result<OwnedFd> {
    let fd = rfs::open(root, DIR, Mode::empty()).map_err(|e| match e {
        Errno::NOENT => StorageError::new(
            ErrorKind::LocalIo,
            format!(
                "the folder {} does not exist (was it moved or deleted?)",
                root.display()
            ),
        ),
        e => io("open folder", root, e),
    })?;
    let here = rfs::fstat(&fd).map_err(|e| io("open folder", root, e))?;
    same_root(root, id, file_id(&here))?;
    Ok(fd)
}

fn same_root(root: &Path, id: &RootId, here: (u64, u64)) -> Result<()> {
    if *id.get_or_init(|| here) != here {
        return Err(StorageError::new(
            ErrorKind::LocalIo,
            format!(
                "{} is no longer the folder Ferry began with (it, or a folder above it, was \
                 replaced); nothing more was done there",
                root.display()
            ),
        ));
    }
    Ok(())
}

/// The spot of `key` below `root`. With `create`, missing folders on the way are made.
pub(super) fn spot(root: &Path, id: &RootId, key: &ObjectKey, create: bool) -> Result<Spot> {
    let relative = key.to_relative_path()?;
    let mut parts: Vec<&OsStr> = relative.iter().collect();
    let Some(name) = parts.pop() else {
        // The root itself, through its parent: only a bare local folder's own removal needs it.
        let parent = root.parent().ok_or_else(|| {
            StorageError::new(ErrorKind::InvalidKey, "the root folder has no parent")
        })?;
        let dir =
            rfs::open(parent, DIR, Mode::empty()).map_err(|e| io("open folder", parent, e))?;
        let name = root.file_name().unwrap_or_default().to_os_string();
        if let Ok(here) = rfs::statat(&dir, &name, AtFlags::SYMLINK_NOFOLLOW) {
            same_root(root, id, file_id(&here))?;
        }
        return Ok(Spot {
            dir,
            name,
            path: root.to_path_buf(),
        });
    };
    let mut dir = open_root(root, id)?;
    let mut here = root.to_path_buf();
    for part in parts {
        here.push(part);
        dir = match rfs::openat(&dir, part, DIR, Mode::empty()) {
            Ok(next) => next,
            Err(Errno::NOENT) if create => {
                match rfs::mkdirat(&dir, part, Mode::from_raw_mode(0o777)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(io("create folder", &here, e)),
                }
                rfs::openat(&dir, part, DIR, Mode::empty())
                    .map_err(|e| refused(&dir, part, &here, key, e))?
            }
            Err(e) => return Err(refused(&dir, part, &here, key, e)),
        };
    }
    here.push(name);
    Ok(Spot {
        dir,
        name: name.to_os_string(),
        path: here,
    })
}

/// Why a folder on the way could not be entered, in the user's terms.
fn refused(dir: &OwnedFd, part: &OsStr, here: &Path, key: &ObjectKey, e: Errno) -> StorageError {
    let found = rfs::statat(dir, part, AtFlags::SYMLINK_NOFOLLOW)
        .ok()
        .map(|s| kind_of(&s));
    match (e, found) {
        (_, Some(Kind::Link)) => StorageError::new(
            ErrorKind::InvalidKey,
            format!(
                "{key:?} leads through the symbolic link {}; Ferry does not follow links there",
                here.display()
            ),
        ),
        (_, Some(Kind::File | Kind::Other)) => StorageError::new(
            ErrorKind::AlreadyExists,
            format!("{} is a file, not a folder", here.display()),
        ),
        (Errno::NOENT, _) => StorageError::not_found(format!("{}", here.display())),
        (e, _) => io("open folder", here, e),
    }
}

impl Spot {
    /// What is here, without following a link; `None` when nothing is.
    pub fn stat(&self) -> Result<Option<rfs::Stat>> {
        match rfs::statat(&self.dir, &self.name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => Ok(Some(stat)),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(io("read", &self.path, e)),
        }
    }

    /// Opens the file here for reading; a link here is refused, not followed.
    pub fn open_file(&self) -> Result<std::fs::File> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let fd = rfs::openat(&self.dir, &self.name, flags, Mode::empty()).map_err(|e| match e {
            Errno::LOOP | Errno::MLINK => StorageError::new(
                ErrorKind::InvalidKey,
                format!(
                    "{} is a symbolic link; it is not followed (pass --follow-links to copy what it points to)",
                    self.path.display()
                ),
            ),
            Errno::NOENT => StorageError::not_found(format!("{}", self.path.display())),
            e => io("open", &self.path, e),
        })?;
        let file = std::fs::File::from(fd);
        let meta = file
            .metadata()
            .map_err(|e| StorageError::io("read", &self.path, e))?;
        if !meta.is_file() {
            return Err(StorageError::new(
                ErrorKind::InvalidKey,
                format!("{} is not a regular file", self.path.display()),
            ));
        }
        Ok(file)
    }

    /// The folder here, opened without following a link.
    pub fn open_folder(&self) -> std::result::Result<OwnedFd, Errno> {
        rfs::openat(&self.dir, &self.name, DIR, Mode::empty())
    }

    /// Removes the file, link or empty folder here; a link goes, what it points to stays.
    pub fn remove(&self) -> Result<()> {
        let Some(stat) = self.stat()? else {
            return Ok(());
        };
        let flags = if kind_of(&stat) == Kind::Folder {
            AtFlags::REMOVEDIR
        } else {
            AtFlags::empty()
        };
        match rfs::unlinkat(&self.dir, &self.name, flags) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(Errno::NOTEMPTY | Errno::EXIST) => Err(StorageError::new(
                ErrorKind::InvalidRequest,
                format!(
                    "folder {} is not empty; delete its contents first",
                    self.path.display()
                ),
            )),
            Err(e) => Err(io("delete", &self.path, e)),
        }
    }

    /// Makes the folder here (and is content when it exists).
    pub fn make_folder(&self) -> Result<()> {
        match rfs::mkdirat(&self.dir, &self.name, Mode::from_raw_mode(0o777)) {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) => match self.stat()?.map(|s| kind_of(&s)) {
                Some(Kind::Folder) => Ok(()),
                _ => Err(StorageError::new(
                    ErrorKind::AlreadyExists,
                    format!("{} exists and is not a folder", self.path.display()),
                )),
            },
            Err(e) => Err(io("create folder", &self.path, e)),
        }
    }

    pub fn read_link(&self) -> Result<String> {
        let target = rfs::readlinkat(&self.dir, &self.name, Vec::new())
            .map_err(|e| io("read the link", &self.path, e))?;
        Ok(target.to_string_lossy().into_owned())
    }

    /// Makes a symbolic link here. Creating one never replaces anything; `replace` removes a
    /// file or link that is here first.
    pub fn make_link(&self, target: &str, replace: bool) -> Result<()> {
        if replace
            && let Some(stat) = self.stat()?
            && kind_of(&stat) != Kind::Folder
        {
            self.remove()?;
        }
        rfs::symlinkat(target, &self.dir, &self.name).map_err(|e| match e {
            Errno::EXIST => exists(&self.path),
            e => io("create the link", &self.path, e),
        })
    }

    /// Moves `temp` (a name in this spot's folder) onto this spot: replacing what is here, or
    /// only when nothing is. Without replacing it is one atomic step: `renameat2` with
    /// `RENAME_NOREPLACE`, else a hard link then an unlink (filesystems without the flag),
    /// else — on filesystems with neither (vfat, exFAT) — a check just before the rename.
    pub fn commit(&self, temp: &OsStr, replace: bool) -> Result<()> {
        if replace {
            return rfs::renameat(&self.dir, temp, &self.dir, &self.name)
                .map_err(|e| io("move into place", &self.path, e));
        }
        match rfs::renameat_with(
            &self.dir,
            temp,
            &self.dir,
            &self.name,
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => return Ok(()),
            Err(Errno::EXIST) => return Err(exists(&self.path)),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {}
            Err(e) => return Err(io("move into place", &self.path, e)),
        }
        match rfs::linkat(&self.dir, temp, &self.dir, &self.name, AtFlags::empty()) {
            Ok(()) => {
                let _ = rfs::unlinkat(&self.dir, temp, AtFlags::empty());
                return Ok(());
            }
            Err(Errno::EXIST) => return Err(exists(&self.path)),
            Err(Errno::PERM | Errno::NOTSUP | Errno::NOSYS | Errno::MLINK) => {}
            Err(e) => return Err(io("move into place", &self.path, e)),
        }
        if self.stat()?.is_some() {
            return Err(exists(&self.path));
        }
        rfs::renameat(&self.dir, temp, &self.dir, &self.name)
            .map_err(|e| io("move into place", &self.path, e))
    }

    /// Renames what is here to `to`, never replacing what is there (as [`Spot::commit`]).
    pub fn rename_to(&self, to: &Spot) -> Result<()> {
        match rfs::renameat_with(
            &self.dir,
            &self.name,
            &to.dir,
            &to.name,
            RenameFlags::NOREPLACE,
        ) {
            Ok(()) => Ok(()),
            Err(Errno::EXIST) => Err(exists(&to.path)),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                if to.stat()?.is_some() {
                    return Err(exists(&to.path));
                }
                rfs::renameat(&self.dir, &self.name, &to.dir, &to.name)
                    .map_err(|e| io("rename", &self.path, e))
            }
            Err(Errno::NOENT) => Err(StorageError::not_found(format!("{}", self.path.display()))),
            Err(e) => Err(io("rename", &self.path, e)),
        }
    }

    /// Makes a rename in this folder durable.
    pub fn sync_folder(&self) {
        // Failure here does not lose data already written.
        let _ = rfs::fsync(&self.dir);
    }
}

fn exists(path: &Path) -> StorageError {
    StorageError::new(
        ErrorKind::AlreadyExists,
        format!("{} already exists; it was not replaced", path.display()),
    )
}

/// The (device, inode) of a stat, to tell one file from another.
pub(super) fn file_id(stat: &rfs::Stat) -> (u64, u64) {
    (stat.st_dev, stat.st_ino)
}
