//! Local paths the person chose — in a native file chooser or by dropping files on the window —
//! and so the only local paths outside workspaces that commands accept. The web view names
//! paths, but only Rust-side events can grant them: a compromised page cannot upload
//! `~/.ssh`, move (delete) a folder, or download over `~/.bashrc`.

use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

use crate::error::{ErrorCode, IpcError, IpcResult};

#[derive(Default)]
pub struct Grants(Mutex<Vec<PathBuf>>);

impl Grants {
    pub fn grant(&self, paths: impl IntoIterator<Item = PathBuf>) {
        let mut granted = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for path in paths {
            if path.is_absolute() && !granted.contains(&path) {
                granted.push(path);
            }
        }
    }

    /// `path` itself, or something inside a folder, that was granted.
    pub fn check(&self, path: &Path) -> IpcResult<()> {
        if !path.is_absolute() {
            return Err(IpcError::invalid(format!(
                "{:?} is not an absolute path",
                path.display()
            )));
        }
        let plain = path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)));
        let granted = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if plain && granted.iter().any(|g| path.starts_with(g)) {
            return Ok(());
        }
        Err(IpcError::new(
            ErrorCode::Config,
            format!(
                "{} was not chosen in a file chooser or dropped on the window",
                path.display()
            ),
            "Choose it with Upload or Download (or drop it on the window), or add a local workspace for its folder.",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_chosen_paths_and_what_is_inside_chosen_folders_pass() {
        let grants = Grants::default();
        grants.grant([
            PathBuf::from("/home/u/Downloads"),
            PathBuf::from("/tmp/a.txt"),
        ]);
        assert!(grants.check(Path::new("/home/u/Downloads")).is_ok());
        assert!(
            grants
                .check(Path::new("/home/u/Downloads/report.pdf"))
                .is_ok()
        );
        assert!(grants.check(Path::new("/tmp/a.txt")).is_ok());
        for refused in [
            "/home/u/.ssh/id_ed25519",
            "/home/u/Downloads/../.bashrc",
            "/home/u/Downloads2",
            "/tmp/a.txt.bak",
            "relative/path",
            "/",
        ] {
            assert!(grants.check(Path::new(refused)).is_err(), "{refused}");
        }
    }
}
