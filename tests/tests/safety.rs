//! What the user did not select stays as it was. Each test here is a case that destroyed or
//! changed data before (the five commands of issue 14 first), run through the `ferry` binary as
//! a person would, and what the person sees then. `tests/reliability/safety.rs` searches for
//! the cases nobody thought of.

use std::os::unix::fs::symlink;
use std::path::Path;

use ferry_tests::{User, moto, read_tree, unique_bucket};

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn s(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// `ferry sync site/public site --delete` deleted every file of `site/public`.
#[test]
fn a_sync_into_the_sources_parent_is_refused_and_the_source_stays() {
    let user = User::new();
    let site = user.home.path().join("site");
    write(&site.join("public/index.html"), "index");
    write(&site.join("public/css/a.css"), "css");
    write(&site.join("README.md"), "readme");
    let before = read_tree(&site);
    let run = user.run(&["sync", s(&site.join("public")), s(&site), "--delete"]);
    assert_eq!(run.code, 2, "refused as a usage error: {}", run.output());
    assert!(
        run.stderr.contains("lies inside the destination") && run.stderr.contains("site/public"),
        "the message names both places and why: {}",
        run.stderr
    );
    assert_eq!(read_tree(&site), before, "nothing changed");
    // The other way round too, and through a symlink alias, and spelled with `..`.
    let back = user.run(&["sync", s(&site), s(&site.join("public")), "--delete"]);
    assert_eq!(back.code, 2, "{}", back.output());
    symlink(site.join("public"), user.home.path().join("alias")).unwrap();
    let alias = user.run(&[
        "sync",
        s(&site.join("public")),
        s(&user.home.path().join("alias")),
        "--delete",
    ]);
    assert_eq!(
        alias.code,
        2,
        "a symlink alias is the same place: {}",
        alias.output()
    );
    let dotted = format!("{}/public/css/..", site.display());
    let dots = user.run(&["mv", "-r", &dotted, s(&site.join("public/css"))]);
    assert_eq!(dots.code, 2, "`..` is resolved: {}", dots.output());
    assert_eq!(read_tree(&site), before, "still nothing changed");
}

/// `ferry rm -r dir` with `dir/link -> ../other` deleted the files in `other/`.
#[test]
fn rm_r_removes_a_link_never_what_it_points_to() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("other/keep.txt"), "keep");
    write(&home.join("dir/own.txt"), "own");
    symlink("../other", home.join("dir/link")).unwrap();
    symlink("../other/keep.txt", home.join("dir/file-link")).unwrap();
    let run = user.run(&["rm", "-r", s(&home.join("dir"))]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        !home.join("dir").exists(),
        "the folder and its links are gone"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("other/keep.txt")).unwrap(),
        "keep",
        "what the links pointed to stays"
    );
    // A link named directly is removed as a link too.
    symlink("other", home.join("named")).unwrap();
    let named = user.run(&["rm", "-r", s(&home.join("named"))]);
    assert_eq!(named.code, 0, "{}", named.output());
    assert!(std::fs::symlink_metadata(home.join("named")).is_err());
    assert!(home.join("other/keep.txt").exists());
}

/// `ferry mv -r src dst` with `src/link -> ../other` moved the files of `other/` away.
#[test]
fn mv_r_moves_a_link_as_a_link() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("other/keep.txt"), "keep");
    write(&home.join("src/own.txt"), "own");
    symlink("../other", home.join("src/link")).unwrap();
    let run = user.run(&["mv", "-r", s(&home.join("src")), s(&home.join("dst"))]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        std::fs::read_link(home.join("dst/link")).unwrap(),
        Path::new("../other"),
        "the link arrived as a link"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("dst/own.txt")).unwrap(),
        "own"
    );
    assert!(!home.join("src").exists(), "the moved folder is gone");
    assert_eq!(
        read_tree(&home.join("other")).len(),
        1,
        "other/ keeps its file"
    );
}

/// `ferry sync empty/ dir --delete` deleted the files a symlink inside `dir` points to.
#[test]
fn sync_delete_removes_links_as_links() {
    let user = User::new();
    let home = user.home.path();
    std::fs::create_dir_all(home.join("empty")).unwrap();
    write(&home.join("other/keep.txt"), "keep");
    write(&home.join("dir/extra.txt"), "extra");
    symlink("../other", home.join("dir/link")).unwrap();
    let run = user.run(&[
        "sync",
        s(&home.join("empty")),
        s(&home.join("dir")),
        "--delete",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        std::fs::symlink_metadata(home.join("dir/link")).is_err(),
        "the link went"
    );
    assert!(!home.join("dir/extra.txt").exists());
    assert_eq!(
        std::fs::read_to_string(home.join("other/keep.txt")).unwrap(),
        "keep",
        "what it pointed to stays"
    );
}

/// `ferry migrate` replaced an S3 object with a changed local file although the settings say
/// `"conflict": "ask"`, and said so only in its report.
#[test]
fn migrate_never_replaces_a_changed_object_unasked() {
    let user = User::new();
    let bucket = unique_bucket("migrate");
    let ws = user.add_s3(&moto(), &bucket);
    let local = user.home.path().join("Ferry");
    write(&local.join("a.txt"), "first");
    let first = user.run(&["migrate", "local", &ws]);
    assert_eq!(first.code, 0, "{}", first.output());
    write(&local.join("a.txt"), "changed locally");
    let second = user.run(&["migrate", "local", &ws]);
    assert_eq!(
        second.code,
        1,
        "a refused item fails the job: {}",
        second.output()
    );
    assert!(
        second.stderr.contains("a.txt") && second.stderr.contains("not replaced"),
        "the terminal says which file and that it was kept: {}",
        second.stderr
    );
    let down = user.home.path().join("check.txt");
    assert_eq!(user.run(&["cp", &format!("{ws}:a.txt"), s(&down)]).code, 0);
    assert_eq!(
        std::fs::read_to_string(&down).unwrap(),
        "first",
        "the object was kept"
    );
    let told = user.run(&["migrate", "local", &ws, "--conflict", "overwrite"]);
    assert_eq!(told.code, 0, "{}", told.output());
    std::fs::remove_file(&down).unwrap();
    assert_eq!(user.run(&["cp", &format!("{ws}:a.txt"), s(&down)]).code, 0);
    assert_eq!(std::fs::read_to_string(&down).unwrap(), "changed locally");
}

#[test]
fn two_workspaces_on_one_bucket_overlap_whatever_the_endpoint_spelling() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("overlap");
    let outer = user.add_s3(&server, &bucket);
    // The same server spelled otherwise (localhost, a trailing slash), a prefix inside.
    let mut other = server.clone();
    other.endpoint = format!("{}/", server.endpoint.replace("127.0.0.1", "localhost"));
    let inner = user.add_s3_workspace(&other, &bucket);
    let edit = user.run(&["workspace", "edit", &inner, "--prefix", "photos/"]);
    assert_eq!(edit.code, 0, "{}", edit.output());
    let src = user.home.path().join("src");
    write(&src.join("photos/a.jpg"), "a");
    assert_eq!(
        user.run(&["cp", "-r", s(&src), &format!("{outer}:")]).code,
        0
    );
    for (verb, from, to) in [
        ("sync", format!("{outer}:"), format!("{inner}:")),
        ("sync", format!("{inner}:"), format!("{outer}:")),
        ("mv", format!("{outer}:photos/"), format!("{inner}:sub/")),
    ] {
        let mut args = vec![verb, from.as_str(), to.as_str()];
        if verb == "mv" {
            args.insert(1, "-r");
        }
        let run = user.run(&args);
        assert_eq!(run.code, 2, "{verb} {from} {to}: {}", run.output());
        assert!(run.stderr.contains("inside"), "{}", run.stderr);
    }
    let ls = user.run(&["ls", "-r", "--json", &format!("{outer}:")]);
    assert!(
        ls.stdout.contains("photos/a.jpg"),
        "nothing moved: {}",
        ls.stdout
    );
}

#[test]
fn a_copy_may_go_into_the_sources_parent_but_never_into_the_source() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("site/public/index.html"), "index");
    // A file whose copy would land on a file of the source itself.
    write(&home.join("site/public/public/index.html"), "nested");
    let before = read_tree(&home.join("site/public"));
    let into = user.run(&[
        "cp",
        "-r",
        s(&home.join("site")),
        s(&home.join("site/public/copy")),
    ]);
    assert_eq!(
        into.code,
        2,
        "a copy into its own source: {}",
        into.output()
    );
    let up = user.run(&[
        "cp",
        "-r",
        "--overwrite",
        s(&home.join("site/public")),
        s(&home.join("site")),
    ]);
    assert_eq!(up.code, 0, "into the parent is allowed: {}", up.output());
    assert!(
        up.stderr.contains("would land inside the source"),
        "{}",
        up.stderr
    );
    assert_eq!(
        read_tree(&home.join("site/public")),
        before,
        "nothing of the source changed, even with --overwrite"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("site/index.html")).unwrap(),
        "index"
    );
}

#[test]
fn links_are_skipped_with_a_notice_or_followed_when_asked() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("other/secret.txt"), "outside");
    write(&home.join("src/a.txt"), "a");
    symlink("../other", home.join("src/dir-link")).unwrap();
    symlink("a.txt", home.join("src/file-link")).unwrap();
    symlink("loop", home.join("src/loop")).unwrap();
    let run = user.run(&["cp", "-r", s(&home.join("src")), s(&home.join("out"))]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        read_tree(&home.join("out"))
            .keys()
            .cloned()
            .collect::<Vec<_>>(),
        vec!["a.txt"],
        "links are not copied"
    );
    assert!(
        run.stderr.contains("skipped:") && run.stderr.contains("symbolic link to ../other"),
        "each link is named: {}",
        run.stderr
    );
    let follow = user.run(&[
        "cp",
        "-r",
        "-L",
        s(&home.join("src")),
        s(&home.join("followed")),
    ]);
    assert_eq!(follow.code, 0, "{}", follow.output());
    let got = read_tree(&home.join("followed"));
    assert_eq!(
        got.get("dir-link/secret.txt").map(Vec::as_slice),
        Some(&b"outside"[..])
    );
    assert_eq!(got.get("file-link").map(Vec::as_slice), Some(&b"a"[..]));
    assert!(
        follow.stderr.contains("loop") && follow.stderr.contains("not followed"),
        "a link loop is reported, not followed forever: {}",
        follow.stderr
    );
}

#[test]
fn the_rename_policy_never_takes_a_name_another_source_lands_on() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("src/a.txt"), "source a");
    write(&home.join("src/a (1).txt"), "source a (1)");
    write(&home.join("dst/a.txt"), "already there");
    let run = user.run(&[
        "cp",
        "-r",
        "--conflict",
        "rename",
        s(&home.join("src")),
        s(&home.join("dst")),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let got = read_tree(&home.join("dst"));
    assert_eq!(got["a.txt"], b"already there");
    assert_eq!(
        got["a (1).txt"], b"source a (1)",
        "each source under its own name"
    );
    assert_eq!(
        got["a (2).txt"], b"source a",
        "the renamed one skipped the taken name"
    );
    assert_eq!(got.len(), 3);
}

#[test]
fn a_key_template_that_would_merge_files_is_refused() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("logs/a.csv"), "a");
    write(&home.join("logs/b.csv"), "b");
    let run = user.run(&[
        "cp",
        "-r",
        "--key-template",
        "{prefix}/latest.csv",
        s(&home.join("logs")),
        s(&home.join("out")),
    ]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("{name}"), "{}", run.stderr);
    assert!(!home.join("out").exists(), "nothing was written");
}

#[test]
fn a_file_changed_on_both_sides_is_a_conflict_not_an_overwrite() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("a/notes.txt"), "v1");
    write(&home.join("a/other.txt"), "o1");
    let first = user.run(&["sync", s(&home.join("a")), s(&home.join("b"))]);
    assert_eq!(first.code, 0, "{}", first.output());
    // Both sides change notes.txt; only the source changes other.txt.
    let later = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
        + 10;
    let touch = |path: &Path, text: &str, secs: i64| {
        std::fs::write(path, text).unwrap();
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs as u64);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(time)
            .unwrap();
    };
    touch(
        &home.join("b/notes.txt"),
        "edited at the destination",
        later,
    );
    touch(
        &home.join("a/notes.txt"),
        "edited at the source!",
        later + 10,
    );
    touch(&home.join("a/other.txt"), "o2", later + 10);
    let dry = user.run(&["sync", s(&home.join("a")), s(&home.join("b")), "--dry-run"]);
    assert_eq!(dry.code, 0, "{}", dry.output());
    assert!(
        dry.stdout.contains("conflict")
            && dry.stdout.contains("notes.txt")
            && dry.stdout.contains("changed on both sides"),
        "the plan lists the conflict: {}",
        dry.stdout
    );
    let json = user.run(&[
        "sync",
        s(&home.join("a")),
        s(&home.join("b")),
        "--dry-run",
        "--json",
    ]);
    let plan: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let actions: Vec<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["conflict", "update"], "{}", json.stdout);
    let run = user.run(&["sync", s(&home.join("a")), s(&home.join("b"))]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stderr.contains("changed on both sides"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.join("b/notes.txt")).unwrap(),
        "edited at the destination",
        "the destination's change is kept"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("b/other.txt")).unwrap(),
        "o2"
    );
    let told = user.run(&[
        "sync",
        s(&home.join("a")),
        s(&home.join("b")),
        "--conflict",
        "overwrite",
    ]);
    assert_eq!(told.code, 0, "{}", told.output());
    assert_eq!(
        std::fs::read_to_string(home.join("b/notes.txt")).unwrap(),
        "edited at the source!"
    );
}

#[test]
fn journal_locks_and_reports_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let user = User::new();
    let home = user.home.path();
    write(&home.join("src/a.txt"), "a");
    assert_eq!(
        user.run(&["cp", "-r", s(&home.join("src")), s(&home.join("dst"))])
            .code,
        0
    );
    let data = home.join(".ferry-data");
    let mut seen = 0;
    for entry in walk(&data) {
        let mode = std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode & 0o077, 0, "{} is {mode:o}", entry.display());
        seen += 1;
    }
    assert!(seen >= 2, "the journal and a lock were checked");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn rm_refuses_dot_and_dotdot_as_rm_does() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("dir/sub/keep.txt"), "keep");
    for named in [
        format!("{}/.", home.join("dir").display()),
        format!("{}/..", home.join("dir/sub").display()),
        format!("{}/./", home.join("dir").display()),
    ] {
        let run = user.run(&["rm", "-r", &named]);
        assert_eq!(run.code, 2, "{named}: {}", run.output());
        assert!(run.stderr.contains("refusing"), "{}", run.stderr);
    }
    assert!(home.join("dir/sub/keep.txt").exists());
}

// Found by a review that tried to break the change (each was a way to lose or change a file).

#[test]
fn a_key_template_cannot_write_outside_the_destination() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("s/x"), "outer");
    write(&home.join("s/s/x"), "inner");
    let before = read_tree(home);
    for verb in ["cp", "mv"] {
        let run = user.run(&[
            verb,
            "-r",
            "--overwrite",
            "--key-template",
            "{name}",
            s(&home.join("s")),
            s(&home.join("new")),
        ]);
        assert_eq!(run.code, 2, "{verb}: {}", run.output());
        assert!(
            run.stderr.contains("outside the destination"),
            "{}",
            run.stderr
        );
    }
    assert_eq!(read_tree(home), before, "nothing was written or moved");
}

#[test]
fn follow_links_cannot_hide_an_overlap() {
    let user = User::new();
    assert_eq!(user.run(&["workspace", "list"]).code, 0);
    let ferry = user.home.path().join("Ferry");
    write(&ferry.join("a/sub/y"), "s");
    write(&ferry.join("a/x"), "hi");
    symlink("a", ferry.join("alias")).unwrap();
    let run = user.run(&["sync", "-L", "local:alias", "local:a/sub", "--delete"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert_eq!(std::fs::read_to_string(ferry.join("a/sub/y")).unwrap(), "s");

    // A link inside the source that leads into the destination.
    let home = user.home.path();
    write(&home.join("b/sub/y"), "PRECIOUS");
    std::fs::create_dir_all(home.join("a")).unwrap();
    symlink(home.join("b/sub"), home.join("a/l")).unwrap();
    let run = user.run(&[
        "sync",
        "-L",
        s(&home.join("a")),
        s(&home.join("b")),
        "--delete",
    ]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("leads through a symbolic link"),
        "{}",
        run.stderr
    );
    assert_eq!(
        std::fs::read_to_string(home.join("b/sub/y")).unwrap(),
        "PRECIOUS"
    );
}

#[test]
fn a_link_not_followed_keeps_what_the_destination_holds_below_its_name() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("usb/photos/p1"), "1");
    std::fs::create_dir_all(home.join("a")).unwrap();
    symlink(home.join("usb/photos"), home.join("a/photos")).unwrap();
    let first = user.run(&[
        "sync",
        "-L",
        s(&home.join("a")),
        s(&home.join("b")),
        "--delete",
    ]);
    assert_eq!(first.code, 0, "{}", first.output());
    assert_eq!(
        std::fs::read_to_string(home.join("b/photos/p1")).unwrap(),
        "1"
    );
    // The drive is unplugged: the link leads nowhere; and a sync without -L skips it anyway.
    std::fs::rename(home.join("usb"), home.join("usb.unplugged")).unwrap();
    let (a, b) = (home.join("a"), home.join("b"));
    for args in [vec!["sync", "-L"], vec!["sync"]] {
        let mut args = args;
        args.extend([s(&a), s(&b), "--delete"]);
        let run = user.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.output());
        assert_eq!(
            std::fs::read_to_string(home.join("b/photos/p1")).unwrap(),
            "1",
            "{args:?}: the only copy left stays"
        );
    }
}

#[test]
fn a_move_onto_a_link_replaces_the_link_never_what_it_points_to() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("a/x"), "moved");
    write(&home.join("victim/v"), "victim");
    symlink(home.join("victim/v"), home.join("dlink")).unwrap();
    let run = user.run(&[
        "mv",
        "--overwrite",
        s(&home.join("a/x")),
        s(&home.join("dlink")),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        std::fs::read_to_string(home.join("victim/v")).unwrap(),
        "victim"
    );
    let dlink = std::fs::symlink_metadata(home.join("dlink")).unwrap();
    assert!(
        dlink.is_file(),
        "the link was replaced by the file, as mv does"
    );
    assert_eq!(
        std::fs::read_to_string(home.join("dlink")).unwrap(),
        "moved"
    );
}

#[test]
fn a_dry_run_writes_nothing_not_even_a_probe() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("a/new.txt"), "n");
    std::fs::create_dir_all(home.join("b")).unwrap();
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::open(home.join("b"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let run = user.run(&["sync", s(&home.join("a")), s(&home.join("b")), "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.stdout.contains("copy"), "{}", run.stdout);
    let after = std::fs::metadata(home.join("b"))
        .unwrap()
        .modified()
        .unwrap();
    assert_eq!(after, old, "the destination folder was not touched");
}

// Found by the invariant suite (tests/reliability/safety), each shrunk to its minimal world.

#[test]
fn a_file_where_the_destination_has_a_folder_keeps_the_folders_contents() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("src/a"), "a file");
    write(&home.join("dst/a/x"), "the only copy");
    let run = user.run(&[
        "sync",
        s(&home.join("src")),
        s(&home.join("dst")),
        "--delete",
    ]);
    assert_eq!(
        run.code,
        1,
        "the file cannot replace a folder: {}",
        run.output()
    );
    assert_eq!(
        std::fs::read_to_string(home.join("dst/a/x")).unwrap(),
        "the only copy",
        "what lies below a name the source has is not the source's to delete"
    );
}

#[test]
fn follow_links_to_a_folder_holding_or_being_the_destination_is_refused() {
    let user = User::new();
    let home = user.home.path();
    write(&home.join("w/src/f"), "f");
    symlink("..", home.join("w/src/up")).unwrap();
    let up = user.run(&[
        "cp",
        "-r",
        "-L",
        s(&home.join("w/src")),
        s(&home.join("w/new")),
    ]);
    assert_eq!(
        up.code,
        2,
        "the link leads to a folder holding the destination: {}",
        up.output()
    );
    assert!(!home.join("w/new").exists());
    std::fs::create_dir_all(home.join("dst")).unwrap();
    symlink("../../dst", home.join("w/src/into")).unwrap();
    std::fs::remove_file(home.join("w/src/up")).unwrap();
    let into = user.run(&["sync", "-L", s(&home.join("w/src")), s(&home.join("dst"))]);
    assert_eq!(
        into.code,
        2,
        "an empty destination reached through a link: {}",
        into.output()
    );
    assert_eq!(read_tree(&home.join("dst")).len(), 0);
}

/// Found by the invariant suite on s3s-fs (seed 3838230056894034058): a sync comparing by
/// checksum compared by time where the server's listing gives no ETag, and took a changed
/// object of the same size for unchanged.
#[test]
fn a_checksum_sync_asks_the_object_when_the_listing_has_no_etag() {
    let user = User::new();
    let bucket = unique_bucket("sum");
    let ws = user.add_s3(&ferry_tests::s3s(), &bucket);
    let home = user.home.path();
    write(&home.join("src/a.txt"), "abc");
    let up = user.run(&["cp", "-r", s(&home.join("src")), &format!("{ws}:")]);
    assert_eq!(up.code, 0, "{}", up.output());
    // Changed since, to the same size, and dated before the upload.
    write(&home.join("src/a.txt"), "xyz");
    let old = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options()
        .write(true)
        .open(home.join("src/a.txt"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let run = user.run(&[
        "sync",
        "--compare",
        "checksum",
        "--dry-run",
        s(&home.join("src")),
        &format!("{ws}:"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("a.txt") && !run.stdout.contains("unchanged 1"),
        "the changed bytes are seen: {}",
        run.stdout
    );
}
