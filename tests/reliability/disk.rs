//! Downloads into a filesystem that fills up and into a read-only one (real tmpfs mounts): a
//! clear error, no partial file, the source untouched, and the job completes once the disk
//! has room or is writable again.

use std::path::{Path, PathBuf};

use ferry_tests::{User, read_tree, s3s, unique_bucket};

use crate::common::{
    Report, assert_clear_failure, check_tree, last_job, partial_files, s3_tree, sample_tree,
    small_parts,
};

/// A tmpfs mounted for one test, unmounted when dropped.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(size: &str) -> Mount {
        let dir = tempfile::tempdir().unwrap();
        mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            dir.path(),
        );
        Mount { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn remount(&self, mode: &str) {
        mount(&["-o", &format!("remount,{mode}")], self.path());
    }
}

fn mount(args: &[&str], at: &Path) {
    let out = std::process::Command::new("mount")
        .args(args)
        .arg(at)
        .output()
        .expect("run mount");
    assert!(
        out.status.success(),
        "mounting a tmpfs needs root (CI runs as root): mount {args:?} {}: {}",
        at.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

struct Source {
    user: User,
    ws: String,
    tree: std::collections::BTreeMap<String, Vec<u8>>,
}

/// The sample tree (7.7 MiB, one multipart file) in a fresh bucket.
fn source(seed: u64) -> Source {
    let user = User::new();
    let ws = user.add_s3(&s3s(), &unique_bucket("disk"));
    small_parts(&user);
    let src = user.home.path().join("src");
    let tree = sample_tree(&src, seed);
    let run = user.run(&["cp", "-r", src.to_str().unwrap(), &format!("{ws}:data/")]);
    assert_eq!(run.code, 0, "{}", run.output());
    Source { user, ws, tree }
}

fn download(s: &Source, report: &mut Report, into: &Path) -> ferry_tests::Run {
    let run = s.user.run(&[
        "cp",
        "-r",
        &format!("{}:data", s.ws),
        into.to_str().unwrap(),
    ]);
    report.job(&run);
    run
}

/// The failed download left complete files only, and the bucket still holds every source.
fn check_after_failure(s: &Source, report: &mut Report, what: &str, dest: &Path) {
    let partials = partial_files(dest);
    assert!(
        partials.is_empty(),
        "{what}: partial files left: {partials:?}"
    );
    let got = if dest.exists() {
        read_tree(dest)
    } else {
        Default::default()
    };
    check_tree(report, what, &s.tree, &got, false);
    let remote = s3_tree(&s.user, &s.ws, "data");
    check_tree(
        report,
        &format!("{what}: the source"),
        &s.tree,
        &remote,
        true,
    );
}

fn retry(s: &Source, report: &mut Report, job: &str, what: &str) {
    let again = s.user.run(&["jobs", "retry", job]);
    report.job(&again);
    assert_eq!(again.code, 0, "{what}: the retry: {}", again.output());
}

#[test]
fn a_download_onto_a_full_disk_fails_cleanly_and_completes_once_space_is_freed() {
    let mut report = Report::new("disk/full");
    let s = source(11);
    let disk = Mount::tmpfs("6m");
    // Room for the small files but not for the 7 MiB one.
    let dest: PathBuf = disk.path().join("down");
    let run = download(&s, &mut report, &dest);
    assert_ne!(run.code, 0, "7.7 MiB cannot fit in 6 MiB: {}", run.output());
    assert_clear_failure(&run, "download onto a full disk");
    assert!(
        run.output().contains("space"),
        "the error names the cause (no space left): {}",
        run.output()
    );
    let job = last_job(&s.user);
    check_after_failure(&s, &mut report, "full disk", &dest);
    disk.remount("size=32m");
    retry(&s, &mut report, &job, "full disk");
    check_tree(
        &mut report,
        "after freeing space",
        &s.tree,
        &read_tree(&dest),
        true,
    );
    assert!(partial_files(&dest).is_empty());
    assert_eq!((report.bytes_lost, report.panics), (0, 0));
}

#[test]
fn a_download_into_a_read_only_folder_fails_cleanly_and_completes_once_writable() {
    let mut report = Report::new("disk/read-only");
    let s = source(12);
    let disk = Mount::tmpfs("32m");
    let dest = disk.path().join("down");
    std::fs::create_dir_all(&dest).unwrap();
    disk.remount("ro");
    let run = download(&s, &mut report, &dest);
    assert_ne!(run.code, 0, "nothing can be written: {}", run.output());
    assert_clear_failure(&run, "download into a read-only folder");
    assert!(
        run.output().to_lowercase().contains("read-only"),
        "the error names the cause: {}",
        run.output()
    );
    let job = last_job(&s.user);
    check_after_failure(&s, &mut report, "read-only", &dest);
    disk.remount("rw");
    retry(&s, &mut report, &job, "read-only");
    check_tree(
        &mut report,
        "once writable",
        &s.tree,
        &read_tree(&dest),
        true,
    );
    assert_eq!((report.bytes_lost, report.panics), (0, 0));
}
