//! Local paths the person chose — in a native file chooser or by dropping files on the window —
//! and so the only local paths outside workspaces that commands accept. The web view names
//! paths, but only Rust-side events can grant them: a compromised page cannot upload
//! `~/.ssh`, move (delete) a folder, or download over `~/.bashrc`.
//!
//! A grant is for one use. It holds the chosen path with every link resolved, and a path asked
//! for passes only when it resolves inside it: a link inside a granted folder does not extend the
//! grant. What was chosen to read (an upload's sources, a drop) cannot be written, what was chosen
//! to write into (a download's folder) cannot be read, and a folder chosen for a workspace serves
//! only that. A grant ends when the transfer or workspace it was given for is saved, or when a
//! new choice of the same kind replaces it (the dialog it was given for is over).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{ErrorCode, IpcError, IpcResult};

/// What a grant allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Read, as the source of an upload (Upload files/folder, a drop).
    Read,
    /// Write into, as the folder of a download.
    Write,
    /// Become a local workspace's folder.
    Workspace,
}

impl Purpose {
    fn chosen_how(self) -> &'static str {
        match self {
            Purpose::Read => "chosen to upload (with Upload, or dropped on the window)",
            Purpose::Write => "chosen as a download folder",
            Purpose::Workspace => "chosen as this workspace's folder",
        }
    }
}

#[derive(Debug, Clone)]
struct Grant {
    /// Resolved: no link, no `..`.
    path: PathBuf,
    purpose: Purpose,
}

#[derive(Default)]
pub struct Grants(Mutex<Vec<Grant>>);

/// `path` with links and `..` resolved; only paths that exist can be granted or used.
fn resolved(path: &Path) -> Option<PathBuf> {
    if !path.is_absolute() {
        return None;
    }
    std::fs::canonicalize(path).ok()
}

impl Grants {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Grant>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Grants `paths` for `purpose`, replacing what an earlier choice of that purpose granted
    /// and did not use. Drops add to each other (several can precede one upload).
    pub fn grant(&self, purpose: Purpose, paths: impl IntoIterator<Item = PathBuf>) {
        let mut granted = self.lock();
        granted.retain(|g| g.purpose != purpose);
        self.add(&mut granted, purpose, paths);
    }

    /// Grants dropped paths for reading, beside what was granted before.
    pub fn grant_drop(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut granted = self.lock();
        self.add(&mut granted, Purpose::Read, paths);
    }

    fn add(
        &self,
        granted: &mut Vec<Grant>,
        purpose: Purpose,
        paths: impl IntoIterator<Item = PathBuf>,
    ) {
        for path in paths.into_iter().filter_map(|p| resolved(&p)) {
            if !granted
                .iter()
                .any(|g| g.path == path && g.purpose == purpose)
            {
                granted.push(Grant { path, purpose });
            }
        }
    }

    /// The resolved form of `path` when it is, or lies inside, something granted for `purpose`.
    pub fn check(&self, path: &Path, purpose: Purpose) -> IpcResult<PathBuf> {
        if !path.is_absolute() {
            return Err(crate::error::invalid(format!(
                "{:?} is not an absolute path",
                path.display()
            )));
        }
        let real = resolved(path);
        let granted = self.lock();
        match real {
            Some(real)
                if granted
                    .iter()
                    .any(|g| g.purpose == purpose && real.starts_with(&g.path)) =>
            {
                Ok(real)
            }
            _ => Err(not_granted(path, purpose)),
        }
    }

    /// The resolved folder `dir`, checked as [`Grants::check`] does, and `name` inside it: when
    /// `name` is already there as a link, where it leads must be granted too (a download must not
    /// write through it).
    pub fn check_inside(&self, dir: &Path, name: &str, purpose: Purpose) -> IpcResult<PathBuf> {
        let dir = self.check(dir, purpose)?;
        let path = dir.join(name);
        let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            self.check(&path, purpose)
                .map_err(|_| not_granted(&path, purpose))?;
        }
        Ok(path)
    }

    /// Takes the grants that allow `paths` (resolved, as [`Grants::check`] returns them) for
    /// `purpose`, in one step: two requests racing for one grant cannot both have it. They serve
    /// the transfer or workspace they were given for, and end; [`Grants::give_back`] returns them
    /// when that fails.
    pub fn take(&self, paths: &[PathBuf], purpose: Purpose) -> IpcResult<Taken> {
        let mut granted = self.lock();
        let covers = |g: &Grant, p: &Path| g.purpose == purpose && p.starts_with(&g.path);
        if let Some(missing) = paths.iter().find(|p| !granted.iter().any(|g| covers(g, p))) {
            return Err(not_granted(missing, purpose));
        }
        let (used, kept): (Vec<Grant>, Vec<Grant>) = granted
            .drain(..)
            .partition(|g| paths.iter().any(|p| covers(g, p)));
        *granted = kept;
        Ok(Taken(used))
    }

    pub fn give_back(&self, taken: Taken) {
        self.lock().extend(taken.0);
    }
}

/// Grants taken for one use (see [`Grants::take`]).
#[derive(Debug, Default)]
pub struct Taken(Vec<Grant>);

fn not_granted(path: &Path, purpose: Purpose) -> IpcError {
    IpcError::new(
        ErrorCode::NotGranted,
        format!(
            "{} was not {} (a link inside a chosen folder leads only where the folder is)",
            path.display(),
            purpose.chosen_how()
        ),
        "Choose it again with Upload or Download (or drop it on the window), or add a local workspace for its folder.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Tree {
        _dir: tempfile::TempDir,
        root: PathBuf,
    }

    /// root/{chosen/{report.pdf, sub/, out -> ../secret, up -> .., self -> report.pdf},
    /// chosen2/, secret/key, file.txt}
    fn tree() -> Tree {
        let dir = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(dir.path()).unwrap();
        let chosen = root.join("chosen");
        std::fs::create_dir_all(chosen.join("sub")).unwrap();
        std::fs::create_dir_all(root.join("chosen2")).unwrap();
        std::fs::create_dir_all(root.join("secret")).unwrap();
        std::fs::write(chosen.join("report.pdf"), b"r").unwrap();
        std::fs::write(root.join("secret/key"), b"k").unwrap();
        std::fs::write(root.join("file.txt"), b"f").unwrap();
        std::os::unix::fs::symlink("../secret", chosen.join("out")).unwrap();
        std::os::unix::fs::symlink("..", chosen.join("up")).unwrap();
        std::os::unix::fs::symlink("report.pdf", chosen.join("self")).unwrap();
        Tree { _dir: dir, root }
    }

    #[test]
    fn only_chosen_paths_and_what_resolves_inside_them_pass() {
        let t = tree();
        let grants = Grants::default();
        grants.grant(
            Purpose::Read,
            [t.root.join("chosen"), t.root.join("file.txt")],
        );
        let ok = |p: &str| grants.check(&t.root.join(p), Purpose::Read);
        assert_eq!(ok("chosen").unwrap(), t.root.join("chosen"));
        assert_eq!(
            ok("chosen/report.pdf").unwrap(),
            t.root.join("chosen/report.pdf")
        );
        assert_eq!(ok("chosen/self").unwrap(), t.root.join("chosen/report.pdf"));
        assert!(ok("file.txt").is_ok());
        for refused in [
            "chosen/out",
            "chosen/out/key",
            "chosen/up",
            "chosen/up/secret/key",
            "chosen/../secret/key",
            "chosen2",
            "secret",
            "file.txt.bak",
            "chosen/missing",
        ] {
            let e = ok(refused).unwrap_err();
            assert_eq!(e.code, ErrorCode::NotGranted, "{refused}: {}", e.message);
        }
        for refused in ["relative/path", "/"] {
            assert!(
                grants.check(Path::new(refused), Purpose::Read).is_err(),
                "{refused}"
            );
        }
    }

    #[test]
    fn a_grant_made_through_a_link_is_where_the_link_leads() {
        let t = tree();
        let grants = Grants::default();
        grants.grant(Purpose::Read, [t.root.join("chosen/out")]);
        assert!(
            grants
                .check(&t.root.join("secret/key"), Purpose::Read)
                .is_ok()
        );
        assert!(
            grants
                .check(&t.root.join("chosen/report.pdf"), Purpose::Read)
                .is_err()
        );
    }

    #[test]
    fn read_write_and_workspace_grants_are_apart() {
        let t = tree();
        let grants = Grants::default();
        let chosen = t.root.join("chosen");
        grants.grant(Purpose::Read, [chosen.clone()]);
        assert!(grants.check(&chosen, Purpose::Write).is_err());
        assert!(grants.check(&chosen, Purpose::Workspace).is_err());
        grants.grant(Purpose::Write, [t.root.join("chosen2")]);
        assert!(
            grants
                .check(&t.root.join("chosen2"), Purpose::Read)
                .is_err()
        );
        assert!(
            grants
                .check(&t.root.join("chosen2"), Purpose::Write)
                .is_ok()
        );
        assert!(
            grants.check(&chosen, Purpose::Read).is_ok(),
            "another purpose keeps its grant"
        );
    }

    #[test]
    fn a_grant_ends_with_its_use_or_the_next_choice() {
        let t = tree();
        let grants = Grants::default();
        let (a, b) = (t.root.join("chosen"), t.root.join("chosen2"));
        grants.grant(Purpose::Write, [a.clone()]);
        grants.grant(Purpose::Write, [b.clone()]);
        assert!(
            grants.check(&a, Purpose::Write).is_err(),
            "replaced by the next choice"
        );
        let taken = grants
            .take(std::slice::from_ref(&b), Purpose::Write)
            .unwrap();
        assert!(grants.check(&b, Purpose::Write).is_err(), "used");
        assert!(
            grants
                .take(std::slice::from_ref(&b), Purpose::Write)
                .is_err(),
            "once"
        );
        grants.give_back(taken);
        assert!(
            grants.check(&b, Purpose::Write).is_ok(),
            "given back when its use failed"
        );
        grants.grant_drop([a.clone()]);
        grants.grant_drop([b.clone()]);
        assert!(grants.check(&a, Purpose::Read).is_ok(), "drops add up");
        let report = grants.check(&a.join("report.pdf"), Purpose::Read).unwrap();
        let secret = t.root.join("secret");
        assert!(
            grants
                .take(&[report.clone(), secret], Purpose::Read)
                .is_err(),
            "all or nothing"
        );
        grants.take(&[report], Purpose::Read).unwrap();
        assert!(
            grants.check(&a, Purpose::Read).is_err(),
            "the grant that allowed it ended"
        );
        assert!(grants.check(&b, Purpose::Read).is_ok());
    }

    #[test]
    fn a_destination_name_that_is_a_link_must_lead_inside_the_grant() {
        let t = tree();
        let grants = Grants::default();
        let chosen = t.root.join("chosen");
        grants.grant(Purpose::Write, [chosen.clone()]);
        assert_eq!(
            grants
                .check_inside(&chosen, "new.bin", Purpose::Write)
                .unwrap(),
            chosen.join("new.bin")
        );
        assert!(grants.check_inside(&chosen, "sub", Purpose::Write).is_ok());
        assert!(grants.check_inside(&chosen, "self", Purpose::Write).is_ok());
        for escape in ["out", "up"] {
            let e = grants
                .check_inside(&chosen, escape, Purpose::Write)
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::NotGranted, "{escape}");
        }
    }
}
