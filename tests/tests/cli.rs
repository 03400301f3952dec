//! The `ferry` binary end to end, as a person uses it: a real keychain (run under
//! `scripts/with-keychain`) and real S3 servers (under `scripts/with-test-servers`).

use std::path::Path;

use ferry_storage::testkit::{PORTABLE_TRICKY_KEYS, S3_ONLY_TRICKY_KEYS, pattern};
use ferry_storage::{BackendExt, ObjectKey};
use ferry_tests::{Server, User, moto, read_tree, s3s, unique_bucket};

#[test]
fn first_run_shows_the_default_local_workspace() {
    let user = User::new();
    let run = user.run(&["workspace", "list"]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(run.stdout.contains("local"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains(&user.home.path().join("Ferry").display().to_string())
    );
    assert!(
        user.config.path().join("settings.json").is_file(),
        "the first run writes settings"
    );
    let json = user.run(&["workspace", "list", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(parsed["default_workspace"], "local");
    assert_eq!(parsed["workspaces"][0]["storage"]["type"], "local");
}

/// An error's remedy reaches a script as data (`--json`) and a person as the command to run;
/// the hint itself names no command (the app shows the same hint).
#[test]
fn an_error_carries_its_remedy_as_data_and_as_a_command() {
    let user = User::new();
    let run = user.run(&["ls", "--json", "nosuchworkspace:"]);
    assert_ne!(run.code, 0, "{}", run.output());
    let parsed: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let error = &parsed["error"];
    assert_eq!(error["code"], "config", "{}", run.stdout);
    assert_eq!(error["remedy"]["kind"], "list_workspaces", "{}", run.stdout);
    assert!(
        !error["hint"].as_str().unwrap().contains("ferry "),
        "{}",
        run.stdout
    );
    assert_eq!(parsed["try"], "`ferry workspace list` shows the workspaces");
    let plain = user.run(&["ls", "nosuchworkspace:"]);
    assert!(
        plain.stderr.contains("try: `ferry workspace list`"),
        "{}",
        plain.stderr
    );
}

/// A public link needs the workspace's public address: without one the error says which
/// workspace and the command that sets it; with one, the link is that address and the key.
#[test]
fn a_public_link_without_a_public_address_names_the_command_that_sets_it() {
    let user = User::new();
    let run = user.run(&["presign", "--public", "local:report.pdf"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("no public or CDN address"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("try: `ferry workspace edit local --public-base-url URL`"),
        "{}",
        run.stderr
    );
}

/// A folder holding every portable tricky name, some nested, one empty file, one big enough
/// for multipart.
fn tricky_tree(root: &Path) {
    for (i, name) in PORTABLE_TRICKY_KEYS.iter().enumerate() {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, pattern(1000 + i * 37, i as u8)).unwrap();
    }
    std::fs::write(root.join("empty.bin"), b"").unwrap();
    std::fs::create_dir_all(root.join("sub dir")).unwrap();
    std::fs::write(root.join("sub dir/big.bin"), pattern(7 * 1024 * 1024, 9)).unwrap();
}

fn round_trip(server: Server) {
    let user = User::new();
    let bucket = unique_bucket("cli");
    let ws = user.add_s3(&server, &bucket);
    // Multipart on the way up for the 7 MiB file.
    let mut settings: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(user.config.path().join("settings.json")).unwrap(),
    )
    .unwrap();
    settings["transfer"]["multipart_threshold_mib"] = 5.into();
    settings["transfer"]["part_size_mib"] = 5.into();
    std::fs::write(
        user.config.path().join("settings.json"),
        serde_json::to_string_pretty(&settings).unwrap(),
    )
    .unwrap();

    let test = user.run(&["workspace", "test", &ws]);
    assert_eq!(test.code, 0, "{}", test.output());
    assert!(test.stdout.trim_end().ends_with("OK"), "{}", test.stdout);

    let src = user.home.path().join("src");
    tricky_tree(&src);
    let up = user.run(&["cp", "-r", src.to_str().unwrap(), &format!("{ws}:up/")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let listed = user.run(&["ls", "-r", "--json", &format!("{ws}:up")]);
    assert_eq!(listed.code, 0, "{}", listed.output());
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    for name in PORTABLE_TRICKY_KEYS {
        let key = format!("up/{name}");
        assert!(
            entries.iter().any(|e| e["key"] == key.as_str()),
            "{key:?} listed exactly: {}",
            listed.stdout
        );
    }

    let down = user.home.path().join("down");
    let run = user.run(&["cp", "-r", &format!("{ws}:up"), down.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        read_tree(&src),
        read_tree(&down),
        "down is byte-identical to up"
    );

    let again = user.run(&["cp", "-r", &format!("{ws}:up"), down.to_str().unwrap()]);
    assert_eq!(
        again.code,
        1,
        "existing files are not overwritten: {}",
        again.output()
    );
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
    assert_eq!(
        read_tree(&src),
        read_tree(&down),
        "and are left as they were"
    );

    let secret = &server.secret_access_key;
    for run in [&test, &up, &listed, &again] {
        assert!(
            !run.output().contains(secret.as_str()),
            "the secret never appears in output"
        );
    }
    assert_secret_absent(user.config.path(), secret);
}

fn assert_secret_absent(dir: &Path, secret: &str) {
    for (path, bytes) in read_tree(dir) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(secret),
            "the secret was written to {path}"
        );
    }
}

#[test]
fn tricky_names_round_trip_on_moto() {
    round_trip(moto());
}

#[test]
fn tricky_names_round_trip_on_s3s() {
    round_trip(s3s());
}

#[test]
fn a_wrong_secret_is_named_and_exits_1() {
    let server = s3s();
    let user = User::new();
    let bucket = unique_bucket("wrong");
    let ws = user.add_s3(&server, &bucket);
    let wrong = format!("{}\nnot-the-right-secret\n", server.access_key_id);
    assert_eq!(user.run_stdin(&["secret", "set", &ws], &wrong).code, 0);
    let run = user.run(&["ls", &format!("{ws}:")]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(
        run.stderr.contains("secret access key is wrong"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("try: `ferry secret set"),
        "the remedy, as the command that does it: {}",
        run.stderr
    );
    let test = user.run(&["workspace", "test", &ws, "--json"]);
    assert_eq!(test.code, 1);
    let report: serde_json::Value = serde_json::from_str(&test.stdout).unwrap();
    assert_eq!(
        report["checks"][0]["kind"], "wrong_secret",
        "{}",
        test.stdout
    );
    assert!(!test.output().contains("not-the-right-secret"));
}

#[test]
fn an_unknown_access_key_is_named() {
    let server = s3s();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("unknown"));
    let unknown = format!("FERRYUNKNOWNKEY00000\n{}\n", server.secret_access_key);
    assert_eq!(user.run_stdin(&["secret", "set", &ws], &unknown).code, 0);
    let test = user.run(&["workspace", "test", &ws, "--json"]);
    assert_eq!(test.code, 1, "{}", test.output());
    let report: serde_json::Value = serde_json::from_str(&test.stdout).unwrap();
    assert_eq!(
        report["checks"][0]["kind"], "unknown_access_key",
        "{}",
        test.stdout
    );
}

#[test]
fn settings_syntax_error_exits_2_with_position_and_leaves_the_file() {
    let user = User::new();
    let text = "{\n  \"workspaces\": [\n    {\"id\": \"x\" \"name\": \"y\"}\n  ]\n}\n";
    std::fs::write(user.config.path().join("settings.json"), text).unwrap();
    let run = user.run(&["workspace", "list"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("line 3, column 16"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(user.config.path().join("settings.json")).unwrap(),
        text,
        "the malformed file is left untouched"
    );
    assert!(!user.config.path().join("settings.json.bak").exists());
}

#[test]
fn invalid_settings_name_path_and_position() {
    let user = User::new();
    let text = r#"{"workspaces": [
  {"id": "a", "name": "A", "storage": {"type": "local", "base_path": "/tmp"}},
  {"id": "b", "name": "B", "storage": {"type": "s3", "bucket": "My_Bucket"}}
]}"#;
    std::fs::write(user.config.path().join("settings.json"), text).unwrap();
    let run = user.run(&["ls", "a:"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("workspaces[1].storage.bucket: \"My_Bucket\" is not a valid bucket name (lowercase letters, digits, dots, hyphens; 3–63 chars) (line 3, column 64)"),
        "{}",
        run.stderr
    );
}

#[tokio::test]
async fn hostile_keys_are_refused_on_download_and_nothing_escapes() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("hostile");
    let ws = user.add_s3(&server, &bucket);
    let backend = ferry_storage::S3Backend::connect(server.config(&bucket)).await;
    for key in S3_ONLY_TRICKY_KEYS.iter().chain(["fine.txt"].iter()) {
        backend
            .put_bytes(
                &ObjectKey::new(format!("in/{key}")),
                bytes::Bytes::from_static(b"payload"),
            )
            .await
            .unwrap();
    }
    let outer = user.home.path().join("outer");
    let dest = outer.join("dest");
    std::fs::create_dir_all(&dest).unwrap();
    let run = user.run(&["cp", "-r", &format!("{ws}:in/"), dest.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.output());
    for key in S3_ONLY_TRICKY_KEYS {
        assert!(
            run.stderr.contains(&format!("failed: in/{key}: key ")),
            "the refusal names {key:?}: {}",
            run.stderr
        );
    }
    assert_eq!(
        run.stderr.matches("it was refused").count(),
        S3_ONLY_TRICKY_KEYS.len()
    );
    let outside = read_tree(&outer);
    assert_eq!(
        outside.keys().collect::<Vec<_>>(),
        vec!["dest/fine.txt"],
        "only the safe key was written, inside the destination"
    );
    assert!(!user.home.path().join("x").exists() && !user.home.path().join("b").exists());
}

#[tokio::test]
async fn conflicts_moves_folders_links_and_deletes() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("ops");
    let ws = user.add_s3(&server, &bucket);
    let file = user.home.path().join("report.txt");
    std::fs::write(&file, "first").unwrap();
    let at = |p: &str| format!("{ws}:{p}");
    assert_eq!(
        user.run(&["cp", file.to_str().unwrap(), &at("docs/")]).code,
        0
    );
    std::fs::write(&file, "second").unwrap();
    let refused = user.run(&["cp", file.to_str().unwrap(), &at("docs/")]);
    assert_eq!(refused.code, 1, "{}", refused.output());
    let renamed = user.run(&[
        "cp",
        "--conflict",
        "rename",
        file.to_str().unwrap(),
        &at("docs/"),
    ]);
    assert_eq!(renamed.code, 0, "{}", renamed.output());
    let stat = user.run(&["stat", "--json", &at("docs/report (1).txt")]);
    assert_eq!(stat.code, 0, "{}", stat.output());
    let meta: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert_eq!(meta["size"], 6);
    assert_eq!(meta["content_type"], "text/plain");
    assert_eq!(
        user.run(&["cp", "--overwrite", file.to_str().unwrap(), &at("docs/")])
            .code,
        0
    );

    let link = user.run(&["presign", "--expires", "10m", &at("docs/report.txt")]);
    assert_eq!(link.code, 0, "{}", link.output());
    let body = reqwest::get(link.stdout.trim())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "second", "the pre-signed link serves the object");

    let moved = user.home.path().join("moved.txt");
    let mv = user.run(&["mv", &at("docs/report (1).txt"), moved.to_str().unwrap()]);
    assert_eq!(mv.code, 0, "{}", mv.output());
    assert_eq!(std::fs::read_to_string(&moved).unwrap(), "second");
    assert_eq!(
        user.run(&["stat", &at("docs/report (1).txt")]).code,
        1,
        "mv removed the source"
    );

    assert_eq!(user.run(&["mkdir", &at("empty/")]).code, 0);
    let refuse_rm = user.run(&["rm", &at("docs")]);
    assert_eq!(
        refuse_rm.code,
        2,
        "a folder needs -r: {}",
        refuse_rm.output()
    );
    let rm = user.run(&["rm", "-r", &at("docs")]);
    assert_eq!(rm.code, 0, "{}", rm.output());
    let left = user.run(&["ls", "--json", &at("")]);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&left.stdout).unwrap();
    let keys: Vec<&str> = entries.iter().map(|e| e["key"].as_str().unwrap()).collect();
    assert_eq!(keys, vec!["empty/"], "docs is gone, the empty folder stays");
}

#[test]
fn no_keychain_is_a_clear_error_and_nothing_is_written() {
    let user = User::new();
    let run = user.run(&[
        "workspace",
        "add",
        "S3",
        "--id",
        "nokeys",
        "--bucket",
        "some-bucket",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let mut cmd = user.command(&["secret", "set", "nokeys"]);
    cmd.env(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/ferry-test-bus",
    );
    let run = user.run_with(cmd, Some("AKIDFERRYTEST\nsecret-that-must-not-land\n"));
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stderr.contains("keychain"), "{}", run.stderr);
    assert!(
        run.stderr.contains("hint:"),
        "the error says what to do: {}",
        run.stderr
    );
    assert_secret_absent(user.config.path(), "secret-that-must-not-land");
    assert_secret_absent(user.home.path(), "secret-that-must-not-land");
}

#[test]
fn secrets_stay_out_of_logs_status_and_settings() {
    let server = s3s();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("leak"));
    let status = user.run(&["secret", "status", &ws, "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(parsed["is_set"], true);
    let mut cmd = user.command(&["workspace", "test", &ws]);
    cmd.env("FERRY_LOG", "trace");
    let traced = user.run_with(cmd, None);
    assert_eq!(traced.code, 0, "{}", traced.output());
    assert!(traced.stderr.len() > 1000, "trace logging is on");
    let show = user.run(&["workspace", "show", &ws, "--json"]);
    for run in [&status, &traced, &show] {
        assert!(
            !run.output().contains(&server.secret_access_key),
            "secret leaked: {}",
            run.output()
        );
    }
    assert_secret_absent(user.config.path(), &server.secret_access_key);
    assert_eq!(user.run(&["secret", "clear", &ws]).code, 0);
    let status = user.run(&["secret", "status", &ws, "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(parsed["is_set"], false, "clear removes the keychain entry");
}

#[test]
fn an_aws_profile_supplies_credentials() {
    let server = s3s();
    let user = User::new();
    let aws = user.home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[ferry-test]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key_id, server.secret_access_key
        ),
    )
    .unwrap();
    let bucket = unique_bucket("profile");
    let add = user.run(&[
        "workspace",
        "add",
        "Profile",
        "--id",
        "prof",
        "--bucket",
        &bucket,
        "--endpoint",
        &server.endpoint,
        "--path-style",
        "--profile",
        "ferry-test",
    ]);
    assert_eq!(add.code, 0, "{}", add.output());
    let status = user.run(&["secret", "status", "prof", "--json"]);
    let parsed: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(parsed["source"], "aws");
    assert_eq!(parsed["profile"], "ferry-test");
    let create = user.run(&["buckets", "prof", "--create", &bucket]);
    assert_eq!(create.code, 0, "{}", create.output());
    let test = user.run(&["workspace", "test", "prof"]);
    assert_eq!(
        test.code,
        0,
        "the profile's keys are used: {}",
        test.output()
    );
    let listed = user.run(&["buckets", "prof", "--json"]);
    let buckets: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert!(
        buckets.iter().any(|b| b["name"] == bucket.as_str()),
        "{}",
        listed.stdout
    );

    std::fs::write(
        aws.join("credentials"),
        format!(
            "[ferry-test]\naws_access_key_id = {}\naws_secret_access_key = nope\n",
            server.access_key_id
        ),
    )
    .unwrap();
    let wrong = user.run(&["ls", "prof:"]);
    assert_eq!(wrong.code, 1);
    assert!(
        wrong.stderr.contains("secret access key is wrong"),
        "{}",
        wrong.stderr
    );
}

#[test]
fn workspace_upload_defaults_are_applied() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("defaults");
    let ws = user.add_s3(&server, &bucket);
    let edit = user.run(&[
        "workspace",
        "edit",
        &ws,
        "--cache-control",
        "max-age=60",
        "--storage-class",
        "STANDARD_IA",
        "--sse",
        "AES256",
    ]);
    assert_eq!(edit.code, 0, "{}", edit.output());
    let page = user.home.path().join("index.html");
    std::fs::write(&page, "<h1>hi</h1>").unwrap();
    assert_eq!(
        user.run(&["cp", page.to_str().unwrap(), &format!("{ws}:site/")])
            .code,
        0
    );
    let stat = user.run(&["stat", "--json", &format!("{ws}:site/index.html")]);
    let meta: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert_eq!(meta["content_type"], "text/html", "{}", stat.stdout);
    assert_eq!(meta["cache_control"], "max-age=60");
    assert_eq!(meta["storage_class"], "STANDARD_IA");
    assert_eq!(meta["server_side_encryption"], "AES256");
}

#[tokio::test]
async fn a_presigned_put_link_uploads() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("putlink"));
    let link = user.run(&[
        "presign",
        "--put",
        "--expires",
        "5m",
        &format!("{ws}:drop/new.bin"),
    ]);
    assert_eq!(link.code, 0, "{}", link.output());
    let response = reqwest::Client::new()
        .put(link.stdout.trim())
        .body("uploaded through a link")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{:?}", response.status());
    let stat = user.run(&["stat", "--json", &format!("{ws}:drop/new.bin")]);
    let meta: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert_eq!(meta["size"], 23);
    let too_long = user.run(&["presign", "--expires", "8d", &format!("{ws}:drop/new.bin")]);
    assert_eq!(
        too_long.code,
        2,
        "links live at most 7 days: {}",
        too_long.output()
    );
}

#[test]
fn a_folder_is_never_copied_into_itself() {
    let user = User::new();
    let src = user.home.path().join("tree");
    std::fs::create_dir_all(src.join("inner")).unwrap();
    std::fs::write(src.join("inner/a.txt"), "a").unwrap();
    for dest in [src.join("backup"), src.join("inner")] {
        let run = user.run(&["cp", "-r", src.to_str().unwrap(), dest.to_str().unwrap()]);
        assert_eq!(run.code, 2, "{}", run.output());
        assert!(run.stderr.contains("into itself"), "{}", run.stderr);
    }
    assert_eq!(read_tree(&src).len(), 1, "nothing was written");
}

#[test]
fn moving_a_file_onto_itself_is_refused_and_keeps_it() {
    let user = User::new();
    assert_eq!(user.run(&["workspace", "list"]).code, 0);
    let ferry_dir = user.home.path().join("Ferry");
    let file = ferry_dir.join("keep.txt");
    std::fs::write(&file, "important").unwrap();
    let dir = format!("{}/", ferry_dir.display());
    for (src, dst) in [
        (file.to_str().unwrap(), file.to_str().unwrap()),
        (file.to_str().unwrap(), dir.as_str()),
        ("local:keep.txt", file.to_str().unwrap()),
    ] {
        let run = user.run(&["mv", "--overwrite", src, dst]);
        assert_eq!(run.code, 2, "{src} → {dst}: {}", run.output());
        assert!(
            run.stderr.contains("both the source and the destination"),
            "{}",
            run.stderr
        );
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "important",
            "the file survives"
        );
    }
}

#[test]
fn folders_move_whole_and_destinations_are_created() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("folders"));
    let src = user.home.path().join("trip");
    std::fs::create_dir_all(src.join("day1")).unwrap();
    std::fs::write(src.join("day1/a.jpg"), "a").unwrap();
    std::fs::write(src.join("b.jpg"), "b").unwrap();
    let mv = user.run(&["mv", "-r", src.to_str().unwrap(), &format!("{ws}:moved/")]);
    assert_eq!(mv.code, 0, "{}", mv.output());
    assert!(!src.exists(), "a moved folder is gone, not left empty");

    let deep = user.home.path().join("not/yet/there/");
    let cp = user.run(&["cp", &format!("{ws}:moved/b.jpg"), deep.to_str().unwrap()]);
    assert_eq!(cp.code, 0, "{}", cp.output());
    assert_eq!(std::fs::read_to_string(deep.join("b.jpg")).unwrap(), "b");

    assert_eq!(user.run(&["mkdir", &format!("{ws}:empty/")]).code, 0);
    let ls = user.run(&["ls", &format!("{ws}:empty/")]);
    assert_eq!(ls.code, 0, "a new folder can be listed: {}", ls.output());
    assert!(ls.stdout.contains("(empty folder)"), "{}", ls.stdout);

    let refused = user.run(&["rm", "-r", &format!("{ws}:")]);
    assert_eq!(refused.code, 2, "{}", refused.output());
    assert!(refused.stderr.contains("--all"), "{}", refused.stderr);
    let listed = user.run(&["ls", "-r", "--json", &format!("{ws}:")]);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(entries.len(), 3, "nothing was deleted: {}", listed.stdout);
    let all = user.run(&["rm", "-r", "--all", &format!("{ws}:/")]);
    assert_eq!(all.code, 0, "{}", all.output());
    let after = user.run(&["ls", "-r", &format!("{ws}:")]);
    assert!(
        after.stdout.contains("(empty folder)"),
        "{}",
        after.output()
    );
}

#[test]
fn workspaces_stay_unambiguous_and_credentials_go_where_used() {
    let user = User::new();
    assert_eq!(
        user.run(&["workspace", "add", "Dup", "--local", "/tmp"])
            .code,
        0
    );
    let twice = user.run(&["workspace", "add", "dup", "--local", "/tmp"]);
    assert_eq!(twice.code, 2, "{}", twice.output());
    assert!(twice.stderr.contains("confused"), "{}", twice.stderr);
    let aws = user.run(&[
        "workspace",
        "add",
        "Aws",
        "--bucket",
        "some-bucket",
        "--profile",
        "p",
    ]);
    assert_eq!(aws.code, 0, "{}", aws.output());
    let set = user.run_stdin(&["secret", "set", "aws"], "KEY\nSECRET\n");
    assert_eq!(
        set.code,
        2,
        "keys for an AWS-chain workspace would never be used: {}",
        set.output()
    );
    assert!(set.stderr.contains("--keychain"), "{}", set.stderr);
}

#[test]
fn unknown_transfer_settings_are_reported() {
    let user = User::new();
    std::fs::write(
        user.config.path().join("settings.json"),
        r#"{"workspaces": [], "transfer": {"concurency": 3}}"#,
    )
    .unwrap();
    let run = user.run(&["settings", "check"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("transfer.concurency"), "{}", run.stderr);
}

#[test]
fn upload_options_gzip_templates_and_metadata() {
    let server = moto();
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("options"));
    let src = user.home.path().join("logs");
    std::fs::create_dir_all(&src).unwrap();
    let text = "a line of a log that compresses well\n".repeat(500);
    std::fs::write(src.join("app.log"), &text).unwrap();
    let run = user.run(&[
        "cp",
        "-r",
        "--gzip",
        "--key-template",
        "{prefix}/{yyyy}/{mm}/{dd}/{name}",
        "--meta",
        "team=ops",
        "--cache-control",
        "no-cache",
        src.to_str().unwrap(),
        &format!("{ws}:archive/"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let listed = user.run(&["ls", "-r", "--json", &format!("{ws}:archive/")]);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&listed.stdout).unwrap();
    assert_eq!(entries.len(), 1, "{}", listed.stdout);
    let key = entries[0]["key"].as_str().unwrap().to_string();
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts[0], "archive");
    assert_eq!(parts[1].len(), 4, "a year folder: {key}");
    assert!(
        key.ends_with("/app.log.gz"),
        "named for what it holds: {key}"
    );
    let stat = user.run(&["stat", "--json", &format!("{ws}:{key}")]);
    let meta: serde_json::Value = serde_json::from_str(&stat.stdout).unwrap();
    assert!(
        meta["size"].as_u64().unwrap() < text.len() as u64 / 5,
        "stored compressed: {meta}"
    );
    assert_eq!(meta["metadata"]["team"], "ops");
    assert_eq!(meta["cache_control"], "no-cache");
    assert_eq!(meta["content_type"], "application/gzip", "{meta}");
}

// ---- the trust boundary: where keys go, what is printed ----------------------------------------

/// Points workspace `id` at `endpoint` by editing settings.json, as a person (or another program)
/// may, without going through Ferry.
fn set_endpoint_by_hand(user: &User, id: &str, endpoint: &str) {
    let path = user.config.path().join("settings.json");
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ws = settings["workspaces"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|w| w["id"] == id)
        .unwrap();
    ws["storage"]["endpoint_url"] = endpoint.into();
    std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
}

/// Requests the proxy saw that were signed with `key_id`.
fn signed_with(proxy: &ferry_tests::proxy::Proxy, key_id: &str) -> usize {
    proxy
        .seen()
        .iter()
        .filter(|s| {
            s.authorization
                .as_deref()
                .is_some_and(|a| a.contains(key_id))
        })
        .count()
}

/// Keys belong to the endpoint and bucket they were entered for. A workspace re-pointed by hand
/// in settings.json is refused before any request; re-pointed with `workspace edit`, it loses its
/// keys. Neither sends the old key id (let alone a signature made with the secret) to the new
/// host, which here records every request.
#[tokio::test(flavor = "multi_thread")]
async fn keys_are_sent_only_to_the_endpoint_they_were_entered_for() {
    use ferry_tests::proxy::{Action, Proxy};
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("bound");
    let id = user.add_s3(&server, &bucket);
    let works = user.run(&["ls", &format!("{id}:")]);
    assert_eq!(works.code, 0, "{}", works.output());
    let elsewhere = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;

    set_endpoint_by_hand(&user, &id, &elsewhere.url);
    let refused = user.run(&["ls", &format!("{id}:")]);
    assert_eq!(refused.code, 1, "{}", refused.output());
    assert!(
        refused.stderr.contains("were entered for") && refused.stderr.contains("secret set"),
        "{}",
        refused.stderr
    );
    let copy = user.run(&[
        "cp",
        "-r",
        &format!("{id}:"),
        user.home.path().join("got").to_str().unwrap(),
    ]);
    assert_ne!(copy.code, 0, "{}", copy.output());
    assert_eq!(
        signed_with(&elsewhere, &server.access_key_id),
        0,
        "{:?}",
        elsewhere.seen()
    );

    // Back where they were entered, they work again; `workspace edit` to elsewhere removes them.
    set_endpoint_by_hand(&user, &id, &server.endpoint);
    assert_eq!(user.run(&["ls", &format!("{id}:")]).code, 0);
    let edit = user.run(&["workspace", "edit", &id, "--endpoint", &elsewhere.url]);
    assert_eq!(edit.code, 0, "{}", edit.output());
    assert!(edit.stdout.contains("keys were removed"), "{}", edit.stdout);
    let status = user.run(&["secret", "status", &id, "--json"]);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    assert_eq!(status["is_set"], false, "{status}");
    let none = user.run(&["ls", &format!("{id}:")]);
    assert_ne!(none.code, 0, "{}", none.output());
    assert_eq!(
        signed_with(&elsewhere, &server.access_key_id),
        0,
        "{:?}",
        elsewhere.seen()
    );
    // Keys entered for the new place are used there.
    let secret = format!("{}\n{}\n", server.access_key_id, server.secret_access_key);
    assert_eq!(user.run_stdin(&["secret", "set", &id], &secret).code, 0);
    let now = user.run(&["ls", &format!("{id}:")]);
    assert_eq!(now.code, 0, "{}", now.output());
    assert!(signed_with(&elsewhere, &server.access_key_id) > 0);
}

/// A workspace on a custom endpoint that names no credentials sends none — not the AWS
/// environment's keys, which belong to AWS — and says how to choose; the CLI warns on every run.
#[tokio::test(flavor = "multi_thread")]
async fn a_custom_endpoint_without_a_credential_source_gets_no_aws_keys() {
    use ferry_tests::proxy::{Action, Proxy};
    let server = moto();
    let user = User::new();
    let recorder = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let bucket = unique_bucket("nocreds");
    let settings = serde_json::json!({
        "version": 1,
        "workspaces": [{"id": "spaces", "name": "Spaces",
            "storage": {"type": "s3", "bucket": bucket, "endpoint_url": recorder.url, "path_style": true}}],
    });
    std::fs::write(
        user.config.path().join("settings.json"),
        serde_json::to_string_pretty(&settings).unwrap(),
    )
    .unwrap();
    let mut ls = user.command(&["ls", "spaces:"]);
    ls.env("AWS_ACCESS_KEY_ID", "FAKEENVKEYFORTESTS01")
        .env("AWS_SECRET_ACCESS_KEY", "environment-secret");
    let run = user.run_with(ls, None);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(
        run.stderr.contains("names no credentials"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--keychain"), "{}", run.stderr);
    assert!(
        run.stderr.contains("warning:") && run.stderr.contains("none are sent"),
        "settings.json is warned about: {}",
        run.stderr
    );
    assert!(recorder.seen().is_empty(), "{:?}", recorder.seen());
    let show = user.run(&["workspace", "show", "spaces"]);
    assert!(show.stdout.contains("none named"), "{}", show.stdout);
    // `workspace add` names the source itself.
    let add = user.run(&[
        "workspace",
        "add",
        "New",
        "--bucket",
        "some-bucket",
        "--endpoint",
        "https://s3.example.com",
    ]);
    assert_eq!(add.code, 0, "{}", add.output());
    let written = std::fs::read_to_string(user.config.path().join("settings.json")).unwrap();
    assert!(written.contains("\"keychain\""), "{written}");
}

/// Plain `http://` to another machine is allowed, and said, every time; to this machine it is
/// the usual test setup and not worth a word. Metadata-service addresses are refused however
/// they are spelled.
#[test]
fn endpoints_http_is_warned_about_and_metadata_addresses_refused() {
    let user = User::new();
    let add = |name: &str, endpoint: &str| {
        user.run(&[
            "workspace",
            "add",
            name,
            "--bucket",
            "some-bucket",
            "--endpoint",
            endpoint,
            "--keychain",
        ])
    };
    let plain = add("Plain", "http://storage.example.com:9000");
    assert_eq!(plain.code, 0, "{}", plain.output());
    let again = user.run(&["workspace", "list"]);
    assert!(
        again.stderr.contains("warning:") && again.stderr.contains("http://"),
        "{}",
        again.stderr
    );
    let user2 = User::new();
    let local = user2.run(&[
        "workspace",
        "add",
        "Here",
        "--bucket",
        "some-bucket",
        "--endpoint",
        "http://127.0.0.1:9000",
        "--keychain",
    ]);
    assert_eq!(local.code, 0, "{}", local.output());
    let quiet = user2.run(&["workspace", "list"]);
    assert!(!quiet.stderr.contains("warning"), "{}", quiet.stderr);
    for (i, spelling) in [
        "http://169.254.169.254",
        "http://[::ffff:169.254.169.254]",
        "http://[::ffff:a9fe:a9fe]/",
        "http://2852039166",
        "http://0xa9fea9fe",
        "http://0251.0376.0251.0376",
        "http://169.254.43518",
        "http://[fd00:ec2::254]",
    ]
    .iter()
    .enumerate()
    {
        let run = add(&format!("Meta{i}"), spelling);
        assert_eq!(run.code, 2, "{spelling}: {}", run.output());
        assert!(
            run.stderr.contains("metadata") || run.stderr.contains("link-local"),
            "{spelling}: {}",
            run.stderr
        );
    }
}

/// A key holding control characters (legal in S3, written by another client) is listed with the
/// rest of its folder, printed escaped (nothing reaches the terminal that could move the cursor
/// or retitle it), and downloaded under its own name.
#[tokio::test(flavor = "multi_thread")]
async fn keys_with_control_characters_are_listed_escaped_and_downloaded() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("ctl");
    let id = user.add_s3(&server, &bucket);
    let client = ferry_tests::sdk_client(&server);
    let odd = [
        "bell\u{7}.txt",
        "esc\u{1b}]0;pwned\u{7}.txt",
        "x\u{1}y.txt",
        "fine.txt",
    ];
    for key in odd {
        client
            .put_object()
            .bucket(&bucket)
            .key(format!("dir/{key}"))
            .body(aws_sdk_s3::primitives::ByteStream::from(
                key.as_bytes().to_vec(),
            ))
            .send()
            .await
            .unwrap();
    }
    let mut ls = user.command(&["ls", &format!("{id}:dir/")]);
    ls.env("FERRY_LOG", "debug");
    let ls = user.run_with(ls, None);
    assert_eq!(ls.code, 0, "{}", ls.output());
    for shown in [
        "bell\\x07.txt",
        "esc\\x1b]0;pwned\\x07.txt",
        "x\\x01y.txt",
        "fine.txt",
    ] {
        assert!(ls.stdout.contains(shown), "{shown} in {}", ls.stdout);
    }
    let raw = ls.output();
    assert!(
        !raw.contains('\u{1b}') && !raw.contains('\u{7}') && !raw.contains('\u{1}'),
        "a control character reached the terminal (logs included): {raw:?}"
    );
    let into = user.home.path().join("got");
    let cp = user.run(&["cp", "-r", &format!("{id}:dir/"), into.to_str().unwrap()]);
    assert_eq!(cp.code, 0, "{}", cp.output());
    for key in odd {
        assert_eq!(
            std::fs::read(into.join(key)).unwrap(),
            key.as_bytes(),
            "{key:?}"
        );
    }
}

/// A `credential_process` helper's error output can hold a token: it reaches no message and no
/// journal entry, while the message still says what failed.
#[test]
fn a_credential_helpers_error_output_is_not_repeated() {
    let server = moto();
    let user = User::new();
    let aws = user.home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile helper]\ncredential_process = sh -c 'echo \"token=HELPERSECRET42\" >&2; exit 3'\n",
    )
    .unwrap();
    let add = user.run(&[
        "workspace",
        "add",
        "Helper",
        "--id",
        "helper",
        "--bucket",
        "helper-bucket",
        "--endpoint",
        &server.endpoint,
        "--path-style",
        "--profile",
        "helper",
    ]);
    assert_eq!(add.code, 0, "{}", add.output());
    let ls = user.run(&["ls", "helper:"]);
    assert_ne!(ls.code, 0, "{}", ls.output());
    assert!(ls.stderr.contains("credentials"), "{}", ls.stderr);
    let file = user.home.path().join("a.txt");
    std::fs::write(&file, b"a").unwrap();
    let cp = user.run(&["cp", file.to_str().unwrap(), "helper:a.txt"]);
    assert_ne!(cp.code, 0, "{}", cp.output());
    let jobs = user.run(&["jobs", "list", "--json"]);
    for (what, text) in [
        ("ls", ls.output()),
        ("cp", cp.output()),
        ("jobs", jobs.output()),
    ] {
        assert!(!text.contains("HELPERSECRET42"), "{what}: {text}");
    }
    for file in ["journal.sqlite", "journal.sqlite-wal"] {
        let bytes =
            std::fs::read(user.home.path().join(".ferry-data").join(file)).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("HELPERSECRET42"),
            "{file} holds the helper's output"
        );
    }
}

/// `--bwlimit` takes rates as rclone writes them, and a rate that is not one is a usage error
/// that says how to write one; nothing runs.
#[test]
fn a_bandwidth_limit_is_read_as_rclone_writes_it_and_a_wrong_one_is_explained() {
    let user = User::new();
    let src = user.home.path().join("a.txt");
    std::fs::write(&src, b"limited").unwrap();
    let dst = user.home.path().join("b.txt");
    let run = user.run(&[
        "cp",
        "--bwlimit",
        "512K:1M",
        src.to_str().unwrap(),
        dst.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(std::fs::read(&dst).unwrap(), b"limited");
    let run = user.run(&["ls", "--bwlimit", "fast"]);
    assert_eq!(run.code, 2, "{}", run.output());
    assert!(run.stderr.contains("is not a rate"), "{}", run.stderr);
    assert!(run.stderr.contains("10M"), "{}", run.stderr);
}

/// What a package installs beside the program is made from the program's own definitions:
/// each shell's completion knows the subcommands, every subcommand has a man page, and the
/// version says which commit it was built from and that this copy came from no package.
#[test]
fn completions_man_pages_and_version_come_from_the_program() {
    let user = User::new();
    for (shell, marker) in [
        ("bash", "complete -F _ferry"),
        ("zsh", "#compdef ferry"),
        ("fish", "complete -c ferry"),
    ] {
        let run = user.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{}", run.output());
        assert!(run.stdout.contains(marker), "{shell}: {}", run.stdout);
        for sub in ["sync", "move-storage", "versions"] {
            assert!(run.stdout.contains(sub), "{shell} lacks {sub}");
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let run = user.run(&["manpages", &dir.path().display().to_string()]);
    assert_eq!(run.code, 0, "{}", run.output());
    let sync = std::fs::read_to_string(dir.path().join("ferry-sync.1")).unwrap();
    assert!(sync.contains("Make a destination folder match a source folder"));
    assert!(sync.contains("max\\-delete"), "{sync}");
    assert!(
        dir.path().join("ferry-workspace-move-storage.1").is_file(),
        "nested subcommands have pages of their own"
    );
    assert!(
        !dir.path().join("ferry-manpages.1").exists(),
        "the packagers' command is hidden"
    );
    let short = user.run(&["-V"]);
    let long = user.run(&["--version"]);
    // "ferry VERSION (COMMIT DATE)", COMMIT one of this repository's (HEAD when built from a
    // clean clone; an earlier one for a build left from before a commit).
    let rest = short
        .stdout
        .strip_prefix(&format!("ferry {} (", env!("CARGO_PKG_VERSION")))
        .unwrap_or_else(|| panic!("{}", short.stdout));
    let commit = rest.split_whitespace().next().unwrap();
    assert_eq!(commit.len(), 12, "{}", short.stdout);
    let known = std::process::Command::new("git")
        .args(["cat-file", "-e", &format!("{commit}^{{commit}}")])
        .status()
        .unwrap();
    assert!(known.success(), "{commit} is no commit here");
    assert!(long.stdout.contains("built by: "), "{}", long.stdout);
    assert!(
        long.stdout.contains("(not installed by a package)"),
        "{}",
        long.stdout
    );
}
