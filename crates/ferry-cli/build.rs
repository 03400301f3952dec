//! Records where this build came from, for `ferry --version`: the commit it was built from and
//! who built it (`FERRY_BUILT_BY`, which `scripts/package` sets; a plain cargo build says so).

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let date = git(&["log", "-1", "--format=%cs"]).unwrap_or_else(|| "unknown date".into());
    let built_by = std::env::var("FERRY_BUILT_BY").unwrap_or_else(|_| "cargo, from source".into());
    println!("cargo:rustc-env=FERRY_COMMIT={commit}");
    println!("cargo:rustc-env=FERRY_COMMIT_DATE={date}");
    println!("cargo:rustc-env=FERRY_BUILT_BY={built_by}");
    println!("cargo:rerun-if-env-changed=FERRY_BUILT_BY");
    // Only paths that exist: cargo reruns a build script every time for one that does not.
    let git_dir = Path::new("../../.git");
    for name in ["HEAD", "packed-refs", "refs/heads"] {
        let path = git_dir.join(name);
        if path.exists() {
            println!("cargo:rerun-if-changed={}", path.display());
        }
    }
}
