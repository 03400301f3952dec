//! Versions on a real server: moto keeps them (ListObjectVersions, versioned GET/HEAD/DELETE,
//! CopyObject from a version). What a person does — overwrite, restore, delete, undelete,
//! delete one version — through the `ferry` CLI, and the copy-in-parts restore at the store.

use ferry_storage::s3::{ObjectVersion, S3Backend};
use ferry_storage::{Backend, BackendExt, ObjectKey, PutBody, PutOptions};
use ferry_tests::{User, moto, unique_bucket};

fn versions(user: &User, at: &str, extra: &[&str]) -> Vec<ObjectVersion> {
    let mut args = vec!["versions", "--json", at];
    args.extend_from_slice(extra);
    let run = user.run(&args);
    assert_eq!(run.code, 0, "{}", run.output());
    let parsed: Vec<serde_json::Value> = serde_json::from_str(&run.stdout).unwrap();
    parsed
        .into_iter()
        .map(|v| ObjectVersion {
            key: ObjectKey::new(v["key"].as_str().unwrap()),
            version_id: v["version_id"].as_str().unwrap().to_string(),
            is_latest: v["is_latest"].as_bool().unwrap(),
            delete_marker: v["delete_marker"].as_bool().unwrap(),
            size: v["size"].as_u64().unwrap(),
            last_modified: None,
            etag: v["etag"].as_str().map(str::to_string),
            storage_class: None,
        })
        .collect()
}

/// Overwrite, restore the old version, delete, undelete, delete one version for good — and at
/// each step the object reads as it should and no other key is touched.
#[test]
fn an_overwritten_and_deleted_file_comes_back_from_its_versions_on_moto() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("versions"));
    let at = |path: &str| format!("{ws}:{path}");

    let off = user.run(&["versioning", &ws]);
    assert!(off.stdout.contains("off"), "{}", off.output());
    std::fs::write(user.home.path().join("scrap.txt"), b"scrap").unwrap();
    let scrap = user.home.path().join("scrap.txt");
    let run = user.run(&["cp", scrap.to_str().unwrap(), &at("scrap.txt")]);
    assert_eq!(run.code, 0, "{}", run.output());
    let rm = user.run(&["rm", &at("scrap.txt")]);
    assert!(
        rm.stdout.contains("cannot be undone"),
        "a bucket that keeps no versions says so: {}",
        rm.output()
    );
    let deleted_without = user.run(&["undelete", &at("doc.txt")]);
    assert_ne!(deleted_without.code, 0, "nothing to undelete yet");
    let on = user.run(&["versioning", &ws, "on"]);
    assert_eq!(on.code, 0, "{}", on.output());
    assert!(on.stdout.contains("on:"), "{}", on.output());

    let local = user.home.path();
    let first = local.join("v1.txt");
    let second = local.join("v2.txt");
    std::fs::write(&first, b"the first words").unwrap();
    std::fs::write(&second, b"second, and longer, words").unwrap();
    let up = |file: &std::path::Path, to: &str| {
        let run = user.run(&["cp", "--overwrite", file.to_str().unwrap(), &at(to)]);
        assert_eq!(run.code, 0, "{}", run.output());
    };
    let read = |path: &str| {
        let back = local.join("back.bin");
        let _ = std::fs::remove_file(&back);
        let run = user.run(&["cp", &at(path), back.to_str().unwrap()]);
        assert_eq!(run.code, 0, "{}", run.output());
        std::fs::read(&back).unwrap()
    };
    up(&first, "doc.txt");
    up(&second, "doc.txt");
    // A key that shares the prefix is another object: never among doc.txt's versions.
    up(&first, "doc.txt.bak");

    let listed = versions(&user, &at("doc.txt"), &[]);
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(listed.iter().all(|v| v.key.as_str() == "doc.txt"));
    assert!(listed[0].is_latest && listed[0].size == 25, "newest first");
    let old = listed[1].version_id.clone();

    let restored = user.run(&["restore", &at("doc.txt"), "--version", &old]);
    assert_eq!(restored.code, 0, "{}", restored.output());
    assert_eq!(read("doc.txt"), b"the first words");
    assert_eq!(
        versions(&user, &at("doc.txt"), &[]).len(),
        3,
        "a new version"
    );

    let rm = user.run(&["rm", &at("doc.txt")]);
    assert_eq!(rm.code, 0, "{}", rm.output());
    assert!(
        rm.stdout.contains("`ferry undelete"),
        "says how to bring it back: {}",
        rm.output()
    );
    let hidden = versions(&user, &at(""), &["--deleted"]);
    assert_eq!(hidden.len(), 1, "{hidden:?}");
    assert_eq!(hidden[0].key.as_str(), "doc.txt");
    assert!(hidden[0].delete_marker);
    let back = user.run(&["undelete", &at("")]);
    assert_eq!(back.code, 0, "{}", back.output());
    assert!(
        back.stdout.contains("undeleted doc.txt"),
        "{}",
        back.output()
    );
    assert_eq!(
        read("doc.txt"),
        b"the first words",
        "the latest version again"
    );
    assert!(versions(&user, &at(""), &["--deleted"]).is_empty());

    let gone = user.run(&["rm", &at("doc.txt"), "--version", &old]);
    assert_eq!(gone.code, 0, "{}", gone.output());
    let left = versions(&user, &at("doc.txt"), &[]);
    assert_eq!(left.len(), 2, "{left:?}");
    assert!(left.iter().all(|v| v.version_id != old));
    let unknown = user.run(&["rm", &at("doc.txt"), "--version", &old]);
    assert_eq!(unknown.code, 1, "{}", unknown.output());
    assert!(
        unknown.stderr.contains("has no version"),
        "{}",
        unknown.output()
    );
    assert_eq!(read("doc.txt"), b"the first words");
    assert_eq!(
        read("doc.txt.bak"),
        b"the first words",
        "the other key untouched"
    );

    let state = user.run(&["versioning", "--json", &ws]);
    let parsed: serde_json::Value = serde_json::from_str(&state.stdout).unwrap();
    assert_eq!(parsed["versioning"], "enabled", "{}", state.output());
    let suspended = user.run(&["versioning", &ws, "suspend"]);
    assert!(
        suspended.stdout.contains("suspended"),
        "{}",
        suspended.output()
    );
}

/// A version above the single-copy limit comes back through a copy in parts, byte for byte.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_version_is_restored_by_a_copy_in_parts() {
    let server = moto();
    let mut config = server.config(&unique_bucket("bigversion"));
    config.max_single_copy = 5 * 1024 * 1024;
    let store = S3Backend::connect(config).await;
    store.create_bucket().await.unwrap();
    store.set_versioning(true).await.unwrap();
    let key = ObjectKey::new("big.bin");
    let big: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let put = |body: Vec<u8>| {
        let store = store.clone();
        let key = key.clone();
        async move {
            store
                .put(&key, PutBody::from_bytes(body), &PutOptions::default())
                .await
                .unwrap()
        }
    };
    put(big.clone()).await;
    put(b"small".to_vec()).await;
    let all = store.all_versions(&key).await.unwrap();
    let old = all.iter().find(|v| !v.is_latest).unwrap();
    let now = store.restore_version(&key, &old.version_id).await.unwrap();
    assert_eq!(now.size, big.len() as u64);
    assert_eq!(store.get_bytes(&key).await.unwrap(), big);
}

/// A server that keeps no versions (s3s-fs answers NotImplemented) says so, in words a person
/// can act on, and nothing changes.
#[test]
fn a_server_without_versions_says_so_on_s3s() {
    let server = ferry_tests::s3s();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("noversions"));
    for args in [
        vec!["versioning", ws.as_str()],
        vec!["versioning", ws.as_str(), "on"],
    ] {
        let run = user.run(&args);
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(
            run.stderr.contains("does not implement it"),
            "{}",
            run.output()
        );
    }
    let listed = user.run(&["versions", &format!("{ws}:")]);
    assert_eq!(listed.code, 2, "{}", listed.output());
}

/// An archived object (GLACIER) is not read as if it were there: the download says it is
/// archived and how to restore it; `restore --archive` asks for a copy and says how it stands;
/// once restored it downloads byte for byte. (moto restores at once.)
#[test]
fn an_archived_object_is_restored_before_it_is_read_on_moto() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("archive"));
    let cold = user.home.path().join("cold.txt");
    std::fs::write(&cold, b"kept in the cold").unwrap();
    let at = format!("{ws}:cold.txt");
    let up = user.run(&[
        "cp",
        "--storage-class",
        "GLACIER",
        cold.to_str().unwrap(),
        &at,
    ]);
    assert_eq!(up.code, 0, "{}", up.output());
    let listed = user.run(&["ls", &format!("{ws}:")]);
    assert!(
        listed
            .stdout
            .contains("cold.txt  [archived in GLACIER: `ferry restore --archive` first]"),
        "the listing marks it: {}",
        listed.output()
    );
    let back = user.home.path().join("back.txt");

    let refused = user.run(&["cp", &at, back.to_str().unwrap()]);
    assert_ne!(refused.code, 0, "{}", refused.output());
    assert!(
        refused.output().contains("archived"),
        "{}",
        refused.output()
    );
    assert!(
        refused.output().contains("restored from the archive"),
        "{}",
        refused.output()
    );
    assert!(!back.exists(), "nothing half-written");

    let asked = user.run(&["restore", &at, "--archive", "--days", "1", "--json"]);
    assert_eq!(asked.code, 0, "{}", asked.output());
    let state: serde_json::Value = serde_json::from_str(&asked.stdout).unwrap();
    assert!(
        ["restoring", "restored"].contains(&state["state"].as_str().unwrap()),
        "{}",
        asked.stdout
    );
    assert_eq!(state["class"], "GLACIER");

    let got = user.run(&["cp", &at, back.to_str().unwrap()]);
    assert_eq!(got.code, 0, "{}", got.output());
    assert_eq!(std::fs::read(&back).unwrap(), b"kept in the cold");

    let plain = user.home.path().join("plain.txt");
    std::fs::write(&plain, b"warm").unwrap();
    let warm = format!("{ws}:plain.txt");
    assert_eq!(user.run(&["cp", plain.to_str().unwrap(), &warm]).code, 0);
    let not_archived = user.run(&["restore", &warm, "--archive"]);
    assert!(
        not_archived.stdout.contains("is not archived"),
        "{}",
        not_archived.output()
    );
}

/// Tags are read and changed with `ferry tag`, refused when S3 would refuse them, and kept by a
/// copy and a move within a server — a copy in parts too.
#[tokio::test(flavor = "multi_thread")]
async fn tags_are_edited_and_kept_by_copies_on_moto() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("tags"));
    let file = user.home.path().join("a.txt");
    std::fs::write(&file, b"tagged").unwrap();
    let at = |p: &str| format!("{ws}:{p}");
    assert_eq!(
        user.run(&["cp", file.to_str().unwrap(), &at("a.txt")]).code,
        0
    );
    let tags = |p: &str| -> serde_json::Value {
        let run = user.run(&["tag", "--json", &at(p)]);
        assert_eq!(run.code, 0, "{}", run.output());
        serde_json::from_str(&run.stdout).unwrap()
    };
    assert_eq!(tags("a.txt"), serde_json::json!({}));
    let set = user.run(&["tag", &at("a.txt"), "team=ops", "kept=until 2030"]);
    assert_eq!(set.code, 0, "{}", set.output());
    assert_eq!(
        tags("a.txt"),
        serde_json::json!({"team": "ops", "kept": "until 2030"})
    );
    for bad in ["aws:x=y", "k=a&b"] {
        let refused = user.run(&["tag", &at("a.txt"), bad]);
        assert_eq!(refused.code, 2, "{bad}: {}", refused.output());
    }
    assert_eq!(tags("a.txt")["team"], "ops", "nothing changed");

    assert_eq!(user.run(&["cp", &at("a.txt"), &at("b.txt")]).code, 0);
    assert_eq!(tags("b.txt"), tags("a.txt"), "a copy keeps the tags");
    assert_eq!(user.run(&["mv", &at("b.txt"), &at("c.txt")]).code, 0);
    assert_eq!(tags("c.txt")["kept"], "until 2030", "a move keeps the tags");
    let removed = user.run(&["tag", &at("c.txt"), "--remove", "team"]);
    assert_eq!(removed.code, 0, "{}", removed.output());
    assert_eq!(tags("c.txt"), serde_json::json!({"kept": "until 2030"}));

    // A copy in parts (above the single-copy limit) is given the source's tags.
    let mut config = server.config(&unique_bucket("bigtags"));
    config.max_single_copy = 5 * 1024 * 1024;
    let store = S3Backend::connect(config).await;
    store.create_bucket().await.unwrap();
    let big = ObjectKey::new("big.bin");
    store
        .put(
            &big,
            PutBody::from_bytes(vec![7u8; 6 * 1024 * 1024]),
            &PutOptions::default(),
        )
        .await
        .unwrap();
    let wanted: std::collections::BTreeMap<String, String> =
        [("a b".to_string(), "x y=z+1/2".to_string())].into();
    store.set_tags(&big, &wanted).await.unwrap();
    let copy = ObjectKey::new("copy.bin");
    store
        .copy(&big, &copy, ferry_storage::WriteMode::Overwrite)
        .await
        .unwrap();
    assert_eq!(store.tags(&copy).await.unwrap(), wanted);
}

/// Properties change after upload and keep what the edit does not name: the bytes, the other
/// headers, the other metadata — for one object, a folder of them, and a copy in parts.
#[tokio::test(flavor = "multi_thread")]
async fn properties_change_after_upload_keeping_the_rest_on_moto() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("setmeta"));
    let at = |p: &str| format!("{ws}:{p}");
    let file = user.home.path().join("page.html");
    std::fs::write(&file, b"<p>hello</p>").unwrap();
    for key in ["site/page.html", "site/deep/other.html"] {
        let up = user.run(&[
            "cp",
            "--meta",
            "owner=web",
            file.to_str().unwrap(),
            &at(key),
        ]);
        assert_eq!(up.code, 0, "{}", up.output());
    }
    let stat = |p: &str| -> serde_json::Value {
        let run = user.run(&["stat", "--json", &at(p)]);
        assert_eq!(run.code, 0, "{}", run.output());
        serde_json::from_str(&run.stdout).unwrap()
    };
    let before = stat("site/page.html");
    assert_eq!(before["content_type"], "text/html");

    let one = user.run(&[
        "set-meta",
        &at("site/page.html"),
        "--cache-control",
        "max-age=60",
        "--meta",
        "reviewed=yes",
    ]);
    assert_eq!(one.code, 0, "{}", one.output());
    let after = stat("site/page.html");
    assert_eq!(after["cache_control"], "max-age=60");
    assert_eq!(after["content_type"], "text/html", "kept");
    assert_eq!(after["metadata"]["owner"], "web", "kept");
    assert_eq!(after["metadata"]["reviewed"], "yes");
    assert_eq!(after["size"], before["size"]);
    assert_eq!(after["etag"], before["etag"], "the same bytes");

    let folder = user.run(&[
        "set-meta",
        "--json",
        &at("site/"),
        "--content-type",
        "text/plain",
        "--remove-meta",
        "owner",
    ]);
    assert_eq!(folder.code, 0, "{}", folder.output());
    let report: serde_json::Value = serde_json::from_str(&folder.stdout).unwrap();
    assert_eq!(report["kind"], "edit", "{}", folder.stdout);
    assert_eq!(report["state"], "completed", "{}", folder.stdout);
    assert_eq!(report["tally"]["done"], 2, "{}", folder.stdout);
    let deep = stat("site/deep/other.html");
    assert_eq!(deep["content_type"], "text/plain");
    assert!(deep["metadata"].get("owner").is_none(), "{deep}");
    assert_eq!(
        stat("site/page.html")["cache_control"],
        "max-age=60",
        "kept"
    );
    let nothing = user.run(&["set-meta", &at("site/page.html")]);
    assert_eq!(nothing.code, 2, "{}", nothing.output());

    // Above the single-copy limit the copy onto itself goes in parts, with the edited headers.
    let mut config = server.config(&unique_bucket("bigmeta"));
    config.max_single_copy = 5 * 1024 * 1024;
    let store = S3Backend::connect(config).await;
    store.create_bucket().await.unwrap();
    let big = ObjectKey::new("big.bin");
    let bytes: Vec<u8> = (0..6 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let mut options = PutOptions::default();
    options.metadata.insert("owner".into(), "data".into());
    store
        .put(&big, PutBody::from_bytes(bytes.clone()), &options)
        .await
        .unwrap();
    let edit = ferry_storage::s3::PropertyEdit {
        content_type: Some("application/x-archive".into()),
        ..Default::default()
    };
    let now = store.edit_properties(&big, &edit).await.unwrap();
    assert_eq!(now.content_type.as_deref(), Some("application/x-archive"));
    assert_eq!(now.metadata.get("owner").map(String::as_str), Some("data"));
    assert_eq!(store.get_bytes(&big).await.unwrap(), bytes);
}

/// A server that lists versions outside the asked prefix (hostile, or broken) is not believed:
/// nothing outside the workspace's prefix is listed as deleted, so an undelete cannot remove a
/// delete marker elsewhere in the bucket.
#[tokio::test(flavor = "multi_thread")]
async fn versions_listed_outside_the_prefix_are_ignored() {
    use ferry_tests::proxy::{Action, Proxy};
    let server = moto();
    let listing = r#"<?xml version="1.0" encoding="UTF-8"?><ListVersionsResult><Name>b</Name><Prefix>inner/</Prefix><IsTruncated>false</IsTruncated><DeleteMarker><Key>elsewhere/secret.txt</Key><VersionId>m1</VersionId><IsLatest>true</IsLatest><LastModified>2026-12-01T00:00:00.000Z</LastModified></DeleteMarker><DeleteMarker><Key>inner/mine.txt</Key><VersionId>m2</VersionId><IsLatest>true</IsLatest><LastModified>2026-12-01T00:00:00.000Z</LastModified></DeleteMarker></ListVersionsResult>"#;
    let proxy = Proxy::start(&server.endpoint, move |_, method, target| {
        if method == "GET" && target.contains("versions") {
            Action::Answer(listing.to_string())
        } else {
            Action::Forward
        }
    })
    .await;
    let mut config = server.through(&proxy).config(&unique_bucket("hostile"));
    config.prefix = "inner/".into();
    let store = S3Backend::connect(config).await;
    let listed = store.all_versions(&ObjectKey::root()).await.unwrap();
    let keys: Vec<&str> = listed.iter().map(|v| v.key.as_str()).collect();
    assert_eq!(keys, ["mine.txt"], "only what is below the prefix");
}

/// An earlier version is downloaded as it was — in ranges, each range asked of that version
/// (never of the current object) — and copied by the server to another key; the current object
/// and its versions stay as they were. What cannot be a version's copy is refused, naming why.
#[tokio::test(flavor = "multi_thread")]
async fn an_earlier_version_is_downloaded_and_copied_as_it_was_on_moto() {
    use ferry_tests::proxy::{Action, Proxy};

    let server = moto();
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let setup = ferry_tests::three_parts(&server, &proxy, "version-cp", &[]);
    let user = &setup.user;
    let at = |path: &str| format!("{}:{path}", setup.via);
    let on = user.run(&["versioning", &setup.direct, "on"]);
    assert_eq!(on.code, 0, "{}", on.output());
    let up = user.run(&["cp", setup.src.to_str().unwrap(), &at("big.bin")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let later = user.home.path().join("later.txt");
    std::fs::write(&later, b"what replaced the big file").unwrap();
    let over = user.run(&["cp", "--overwrite", later.to_str().unwrap(), &at("big.bin")]);
    assert_eq!(over.code, 0, "{}", over.output());
    let listed = versions(user, &at("big.bin"), &[]);
    assert_eq!(listed.len(), 2, "{listed:?}");
    let old = listed[1].version_id.clone();
    assert!(
        listed[1].etag.as_deref().is_some_and(|e| e.contains("-3")),
        "{listed:?}"
    );

    proxy.clear();
    let back = user.home.path().join("back.bin");
    let down = user.run(&[
        "cp",
        "--version",
        &old,
        &at("big.bin"),
        back.to_str().unwrap(),
    ]);
    assert_eq!(down.code, 0, "{}", down.output());
    assert!(ferry_tests::same_file(&setup.src, &back), "the old bytes");
    let gets: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.method == "GET" && s.target.contains("big.bin?x-id=GetObject"))
        .map(|s| s.target)
        .collect();
    assert!(gets.len() >= 3, "downloaded in ranges: {gets:?}");
    assert!(
        gets.iter().all(|t| t.contains(&format!("versionId={old}"))),
        "every range read the old version: {gets:?}"
    );

    let copy = user.run(&["cp", "--version", &old, &at("big.bin"), &at("old/big.bin")]);
    assert_eq!(copy.code, 0, "{}", copy.output());
    let copied = user.home.path().join("copied.bin");
    let read = user.run(&["cp", &at("old/big.bin"), copied.to_str().unwrap()]);
    assert_eq!(read.code, 0, "{}", read.output());
    assert!(
        ferry_tests::same_file(&setup.src, &copied),
        "the server copied the old version"
    );

    let current = user.home.path().join("current.txt");
    let read = user.run(&["cp", &at("big.bin"), current.to_str().unwrap()]);
    assert_eq!(read.code, 0, "{}", read.output());
    assert_eq!(
        std::fs::read(&current).unwrap(),
        std::fs::read(&later).unwrap()
    );
    assert_eq!(
        versions(user, &at("big.bin"), &[]),
        listed,
        "no version added or lost"
    );

    let elsewhere = user.home.path().join("elsewhere.bin");
    let moved = user.run(&[
        "mv",
        "--version",
        &old,
        &at("big.bin"),
        elsewhere.to_str().unwrap(),
    ]);
    assert_ne!(moved.code, 0, "{}", moved.output());
    assert!(
        moved.output().contains("copied, not moved"),
        "{}",
        moved.output()
    );
    let unknown = user.run(&[
        "cp",
        "--version",
        "no-such-version",
        &at("big.bin"),
        elsewhere.to_str().unwrap(),
    ]);
    assert_ne!(unknown.code, 0, "{}", unknown.output());
    assert!(
        unknown.output().contains("has no version"),
        "{}",
        unknown.output()
    );
    let rm = user.run(&["rm", &at("big.bin")]);
    assert_eq!(rm.code, 0, "{}", rm.output());
    let marker = versions(user, &at("big.bin"), &[]).remove(0);
    assert!(marker.delete_marker, "{marker:?}");
    let of_marker = user.run(&[
        "cp",
        "--version",
        &marker.version_id,
        &at("big.bin"),
        elsewhere.to_str().unwrap(),
    ]);
    assert_ne!(of_marker.code, 0, "{}", of_marker.output());
    assert!(
        of_marker.output().contains("delete marker"),
        "{}",
        of_marker.output()
    );
    assert!(
        !elsewhere.exists(),
        "nothing was written by what was refused"
    );
}

/// An edit is a job: an object the server refuses to change is a failed item, listed with why,
/// while the others change; `ferry jobs retry` runs only that one again, once it can work.
#[tokio::test(flavor = "multi_thread")]
async fn an_edit_that_fails_on_one_object_is_retried_as_a_job() {
    use ferry_tests::proxy::{Action, Proxy};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let server = moto();
    let refuse = Arc::new(AtomicBool::new(true));
    let refusing = refuse.clone();
    let proxy = Proxy::start(&server.endpoint, move |_, method, target| {
        if refusing.load(Ordering::SeqCst)
            && method == "PUT"
            && target.contains("docs/b.txt")
            && target.contains("CopyObject")
        {
            Action::AccessDenied
        } else {
            Action::Forward
        }
    })
    .await;
    let user = User::new();
    let ws = user.add_s3(&server.through(&proxy), &unique_bucket("editjob"));
    let at = |p: &str| format!("{ws}:{p}");
    let file = user.home.path().join("f.txt");
    std::fs::write(&file, b"words").unwrap();
    for key in ["docs/a.txt", "docs/b.txt"] {
        let up = user.run(&["cp", file.to_str().unwrap(), &at(key)]);
        assert_eq!(up.code, 0, "{}", up.output());
    }
    let cache = |p: &str| -> serde_json::Value {
        let run = user.run(&["stat", "--json", &at(p)]);
        assert_eq!(run.code, 0, "{}", run.output());
        serde_json::from_str::<serde_json::Value>(&run.stdout).unwrap()["cache_control"].clone()
    };

    let run = user.run(&[
        "set-meta",
        "--json",
        &at("docs/"),
        "--cache-control",
        "max-age=5",
    ]);
    assert_eq!(run.code, 1, "{}", run.output());
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["state"], "completed_with_errors", "{}", run.stdout);
    assert_eq!(report["tally"]["done"], 1, "{}", run.stdout);
    assert_eq!(
        report["failures"][0]["dest_key"], "docs/b.txt",
        "{}",
        run.stdout
    );
    assert!(
        report["failures"][0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("denied")),
        "says why: {}",
        run.stdout
    );
    assert_eq!(cache("docs/a.txt"), "max-age=5");
    assert!(cache("docs/b.txt").is_null(), "refused, so unchanged");

    refuse.store(false, Ordering::SeqCst);
    proxy.clear();
    let id = report["id"].as_str().unwrap();
    let retry = user.run(&["jobs", "retry", id]);
    assert_eq!(retry.code, 0, "{}", retry.output());
    assert_eq!(cache("docs/b.txt"), "max-age=5");
    let copies: Vec<String> = proxy
        .seen()
        .into_iter()
        .filter(|s| s.target.contains("CopyObject"))
        .map(|s| s.target)
        .collect();
    assert!(
        copies.len() == 1 && copies[0].contains("docs/b.txt"),
        "only the failed item ran again: {copies:?}"
    );
}

/// A copy to another server (or under other keys) streams the bytes through Ferry; the
/// object's headers, user metadata and tags travel with them, as a server-side copy keeps
/// them — Content-Encoding too, so gzip-encoded bytes still say so. A large object in parts
/// is given them as well, and a move keeps them.
#[tokio::test(flavor = "multi_thread")]
async fn headers_metadata_and_tags_travel_with_a_copy_to_another_server_on_moto() {
    use ferry_tests::proxy::{Action, Proxy};

    let server = moto();
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let setup = ferry_tests::three_parts(&server, &proxy, "carry", &[]);
    let user = &setup.user;
    let client = ferry_tests::sdk_client(&server);
    client
        .put_object()
        .bucket(&setup.bucket)
        .key("src/table.csv.gz")
        .body(b"not really gzip, but said to be".to_vec().into())
        .content_type("text/csv")
        .content_encoding("gzip")
        .cache_control("max-age=600")
        .content_disposition("attachment; filename=\"table.csv\"")
        .content_language("fr-CA")
        .metadata("owner", "data")
        .tagging("team=ops&kept=until%202030")
        .send()
        .await
        .unwrap();
    let direct = |p: &str| format!("{}:{p}", setup.direct);
    let big = user.run(&[
        "cp",
        "--cache-control",
        "no-cache",
        "--meta",
        "owner=lab",
        setup.src.to_str().unwrap(),
        &direct("src/big.bin"),
    ]);
    assert_eq!(big.code, 0, "{}", big.output());
    let tagged = user.run(&["tag", &direct("src/big.bin"), "team=lab"]);
    assert_eq!(tagged.code, 0, "{}", tagged.output());

    // The source is read through the proxy: another endpoint, so no server-side copy.
    let other = unique_bucket("carried");
    let dst = user.add_s3(&server, &other);
    let via = |p: &str| format!("{}:{p}", setup.via);
    for (from, to) in [
        ("src/table.csv.gz", "table.csv.gz"),
        ("src/big.bin", "big.bin"),
    ] {
        let run = user.run(&["cp", &via(from), &format!("{dst}:{to}")]);
        assert_eq!(run.code, 0, "{}", run.output());
    }
    assert!(
        proxy
            .seen()
            .iter()
            .any(|s| s.method == "GET" && s.target.contains("/src/table.csv.gz")),
        "the bytes were streamed, not copied by the server"
    );
    let moved = user.run(&["mv", &format!("{dst}:table.csv.gz"), &via("moved.csv.gz")]);
    assert_eq!(moved.code, 0, "{}", moved.output());

    let look = |bucket: String, key: &'static str| {
        let client = client.clone();
        async move {
            let head = client
                .head_object()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            let tags = client
                .get_object_tagging()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .unwrap();
            let tags: std::collections::BTreeMap<String, String> = tags
                .tag_set()
                .iter()
                .map(|t| (t.key().to_string(), t.value().to_string()))
                .collect();
            (head, tags)
        }
    };
    // Copied to the other server, then moved back: everything came along both ways.
    {
        let key = "moved.csv.gz";
        let (head, tags) = look(setup.bucket.clone(), key).await;
        assert_eq!(head.content_type(), Some("text/csv"), "{key}");
        assert_eq!(head.content_encoding(), Some("gzip"), "{key}");
        assert_eq!(head.cache_control(), Some("max-age=600"), "{key}");
        assert_eq!(
            head.content_disposition(),
            Some("attachment; filename=\"table.csv\""),
            "{key}"
        );
        assert_eq!(head.content_language(), Some("fr-CA"), "{key}");
        assert_eq!(
            head.metadata()
                .and_then(|m| m.get("owner"))
                .map(String::as_str),
            Some("data")
        );
        assert_eq!(
            tags,
            [
                ("team".to_string(), "ops".to_string()),
                ("kept".to_string(), "until 2030".to_string())
            ]
            .into()
        );
    }
    let (head, tags) = look(other.clone(), "big.bin").await;
    assert!(
        head.e_tag().is_some_and(|e| e.contains('-')),
        "sent in parts: {:?}",
        head.e_tag()
    );
    assert_eq!(head.cache_control(), Some("no-cache"));
    assert_eq!(
        head.metadata()
            .and_then(|m| m.get("owner"))
            .map(String::as_str),
        Some("lab")
    );
    assert_eq!(tags, [("team".to_string(), "lab".to_string())].into());
}
