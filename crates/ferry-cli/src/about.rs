//! What `ferry --version` says: the version, the commit and who built it, and where this copy
//! was installed from, so a bug report names the exact build.

use std::path::Path;

/// `ferry -V`: one line.
pub fn short() -> String {
    format!(
        "{} ({} {})",
        env!("CARGO_PKG_VERSION"),
        env!("FERRY_COMMIT"),
        env!("FERRY_COMMIT_DATE")
    )
}

/// `ferry --version`: the short line, who built it, and where this copy came from.
pub fn long() -> String {
    let exe = std::env::current_exe().ok();
    let origin = match exe.as_deref() {
        Some(path) => format!("{} ({})", path.display(), installed_by(path)),
        None => "unknown (the running program's path could not be read)".into(),
    };
    format!(
        "{}\nbuilt by: {}\nthis copy: {origin}",
        short(),
        env!("FERRY_BUILT_BY")
    )
}

/// Which package manager put `exe` where it is, read from its own records (no command is run).
fn installed_by(exe: &Path) -> String {
    let listed = |list: &Path| {
        std::fs::read_to_string(list)
            .is_ok_and(|text| text.lines().any(|line| Path::new(line) == exe))
    };
    if listed(Path::new("/var/lib/dpkg/info/ferry.list")) {
        return "installed by the Debian package \"ferry\"; remove with: sudo apt remove ferry"
            .into();
    }
    if exe.starts_with("/usr/bin") {
        return "in /usr/bin but not from the Debian package: an .rpm or another installer".into();
    }
    "not installed by a package".into()
}
