use std::path::Path;

use super::*;

fn write(dir: &Path, text: &str) {
    std::fs::write(dir.join(FILE_NAME), text).unwrap();
}

fn load(dir: &Path) -> Result<SettingsFile, SettingsError> {
    SettingsFile::load_or_create(dir, &dir.join("Ferry"))
}

#[test]
fn first_run_creates_a_local_workspace() {
    let dir = tempfile::tempdir().unwrap();
    let file = load(dir.path()).unwrap();
    let ws = &file.settings().workspaces;
    assert_eq!(ws.len(), 1);
    assert!(matches!(&ws[0].storage, Storage::Local(l) if l.base_path == dir.path().join("Ferry")));
    assert_eq!(file.settings().default_workspace.as_deref(), Some("local"));
    assert!(
        dir.path().join("Ferry").is_dir(),
        "the default folder is created"
    );
    assert!(
        dir.path().join(FILE_NAME).is_file(),
        "the first run writes the file"
    );
    let again = load(dir.path()).unwrap();
    assert_eq!(
        again.settings(),
        file.settings(),
        "what was written loads back"
    );
}

#[test]
fn seed_minimal_form_loads_as_written() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        r#"{"workspaces": [{"id": "plans", "name": "Plans", "storage": {
            "type": "s3", "bucket": "my-mediaplan-bucket", "prefix": "mediaplans/", "region": "us-east-1"
        }}]}"#,
    );
    let file = load(dir.path()).unwrap();
    let Storage::S3(s3) = &file.settings().workspaces[0].storage else {
        panic!("an s3 workspace")
    };
    assert_eq!(s3.bucket, "my-mediaplan-bucket");
    assert_eq!(s3.prefix, "mediaplans/");
    // No source named: the AWS chain, on AWS itself (and nothing on another endpoint).
    assert_eq!(s3.credentials, CredentialSource::Unset);
    assert_eq!(
        s3.credentials.effective(s3.endpoint_url.as_deref()),
        Some(CredentialSource::Aws { profile: None })
    );
    assert_eq!(
        s3.credentials.effective(Some("https://minio.example.com")),
        None
    );
}

#[test]
fn syntax_errors_name_line_and_column_and_leave_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  \"workspaces\": [\n    {\"id\": \"a\",, }\n  ]\n}\n";
    write(dir.path(), text);
    let err = load(dir.path()).unwrap_err();
    let SettingsError::Syntax { line, column, .. } = &err else {
        panic!("expected a syntax error, got {err}")
    };
    assert_eq!((*line, *column), (3, 16), "{err}");
    assert!(err.to_string().contains("line 3, column 16"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
        text
    );
}

#[test]
fn every_problem_is_reported_with_path_and_position() {
    let dir = tempfile::tempdir().unwrap();
    let text = r#"{
  "workspaces": [
    {"id": "ok", "name": "Fine", "storage": {"type": "local", "base_path": "/tmp"}},
    {"id": "bad", "name": "Bad", "storage": {"type": "s3",
      "bucket": "My_Bucket", "endpoint_url": "ftp://x"}},
    {"id": "ok", "name": "Dup", "storage": {"type": "s3", "bucket": "fine-bucket", "bukcet": 1}}
  ],
  "default_workspace": "nope",
  "transfer": {"concurrency": 0}
}"#;
    write(dir.path(), text);
    let err = load(dir.path()).unwrap_err();
    let SettingsError::Invalid { problems, .. } = &err else {
        panic!("expected problems, got {err}")
    };
    let shown = err.to_string();
    let bucket = problems
        .iter()
        .find(|p| p.path == "workspaces[1].storage.bucket")
        .unwrap_or_else(|| panic!("bucket problem missing: {shown}"));
    assert_eq!(
        bucket.message,
        "\"My_Bucket\" is not a valid bucket name (lowercase letters, digits, dots, hyphens; 3–63 chars)"
    );
    assert_eq!((bucket.line, bucket.column), (5, 17), "{shown}");
    for path in [
        "workspaces[1].storage.endpoint_url",
        "workspaces[2].storage.bukcet",
        "default_workspace",
        "transfer.concurrency",
    ] {
        assert!(
            problems.iter().any(|p| p.path == path),
            "{path} missing in {shown}"
        );
    }
    assert!(
        shown.contains("bukcet"),
        "the unknown field is named: {shown}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
        text
    );
}

#[test]
fn free_text_fields_are_one_bounded_line() {
    let dir = tempfile::tempdir().unwrap();
    let long_name = "n".repeat(201);
    let text = format!(
        r#"{{
  "workspaces": [
    {{"id": "a", "name": "{long_name}", "storage": {{"type": "local", "base_path": "/tmp"}}}},
    {{"id": "b", "name": "Two\nlines", "storage": {{"type": "s3", "bucket": "fine-bucket",
      "cache_control": "max-age=1\r\nx-amz-acl: public-read", "sse": "aws:kms",
      "kms_key_id": "{kms}", "credentials": {{"source": "aws", "profile": "p\u0007"}}}}}},
    {{"id": "c", "name": "Fine — 200 chars of {wide}", "storage": {{"type": "s3", "bucket": "fine-bucket",
      "cache_control": "max-age=60", "endpoint_url": "https://s3.example.com"}}}},
    {{"id": "d", "name": "Header", "storage": {{"type": "s3", "bucket": "fine-bucket",
      "cache_control": "max-âge=60"}}}}
  ]
}}"#,
        kms = "k".repeat(2049),
        wide = "é".repeat(150)
    );
    write(dir.path(), &text);
    let err = load(dir.path()).unwrap_err();
    let SettingsError::Invalid { problems, .. } = &err else {
        panic!("expected problems, got {err}")
    };
    let message = |path: &str| {
        problems
            .iter()
            .find(|p| p.path == path)
            .map(|p| p.message.clone())
            .unwrap_or_else(|| panic!("no problem at {path}: {err}"))
    };
    assert_eq!(
        message("workspaces[0].name"),
        "is 201 characters long; at most 200 are allowed"
    );
    for path in [
        "workspaces[1].name",
        "workspaces[1].storage.cache_control",
        "workspaces[1].storage.credentials.profile",
    ] {
        assert_eq!(
            message(path),
            "must be one line of text, without control characters"
        );
    }
    assert!(message("workspaces[1].storage.kms_key_id").starts_with("is 2049 characters long"));
    assert!(message("workspaces[3].storage.cache_control").starts_with("must be ASCII"));
    assert!(
        !problems.iter().any(|p| p.path.starts_with("workspaces[2]")),
        "ordinary values pass: {err}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
        text,
        "the file is left as it was"
    );
}

#[test]
fn save_is_atomic_private_and_keeps_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = load(dir.path()).unwrap();
    let before = std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap();
    let mut settings = file.settings().clone();
    settings.workspaces[0].name = "Renamed".into();
    file.save(settings).unwrap();
    let bak = std::fs::read_to_string(dir.path().join("settings.json.bak")).unwrap();
    assert_eq!(bak, before, "the backup is the previous version");
    assert_eq!(
        load(dir.path()).unwrap().settings().workspaces[0].name,
        "Renamed"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join(FILE_NAME))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
}

#[test]
fn save_refuses_to_overwrite_a_hand_edit() {
    let dir = tempfile::tempdir().unwrap();
    let mut file = load(dir.path()).unwrap();
    let edited = std::fs::read_to_string(dir.path().join(FILE_NAME))
        .unwrap()
        .replace("Local files", "Edited by hand");
    write(dir.path(), &edited);
    let mut settings = file.settings().clone();
    settings.transfer.concurrency = 3;
    let err = file.save(settings).unwrap_err();
    assert!(matches!(err, SettingsError::ChangedOnDisk { .. }), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
        edited
    );
}

#[test]
fn unknown_fields_survive_a_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        r#"{"version": 1, "future_option": {"x": 1}, "workspaces": [
            {"id": "l", "name": "L", "color": "teal", "storage": {"type": "local", "base_path": "/tmp"}}]}"#,
    );
    let mut file = load(dir.path()).unwrap();
    assert_eq!(file.warnings().len(), 2, "{:?}", file.warnings());
    let settings = file.settings().clone();
    file.save(settings).unwrap();
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap())
            .unwrap();
    assert_eq!(saved["future_option"]["x"], 1);
    assert_eq!(saved["workspaces"][0]["color"], "teal");
}

#[test]
fn newer_versions_and_empty_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), r#"{"version": 99}"#);
    assert!(matches!(
        load(dir.path()).unwrap_err(),
        SettingsError::TooNew { version: 99, .. }
    ));
    write(dir.path(), "");
    assert!(matches!(
        load(dir.path()).unwrap_err(),
        SettingsError::Syntax { .. }
    ));
    write(dir.path(), "[1, 2]");
    assert!(matches!(
        load(dir.path()).unwrap_err(),
        SettingsError::Invalid { .. }
    ));
    assert_eq!(
        std::fs::read_to_string(dir.path().join(FILE_NAME)).unwrap(),
        "[1, 2]"
    );
}

#[test]
fn shipped_schema_is_current() {
    let shipped = include_str!("../../../../schema/settings.schema.json");
    assert_eq!(
        shipped,
        json_schema(),
        "schema/settings.schema.json is stale: run `cargo run -p ferry-cli -- settings schema > schema/settings.schema.json`"
    );
}

/// An update feed is fetched only over https (http only on this machine) and must name a key;
/// a good one loads as written, and a file without one asks no one.
#[test]
fn update_feeds_need_https_and_a_key() {
    const KEY: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IG1pbmlzaWduIHB1YmxpYyBrZXk6IDc1RkREMzVCMkE4NUE3RUQKUldUdHA0VXFXOVA5ZFNTQnRseDFQSGFzRFo5NktWbFpwUy9RV3NOVGYyL3RvODZ3ZnBWVGc4QnMK";
    let dir = tempfile::tempdir().unwrap();
    let with = |feed: &str, key: &str| {
        format!(r#"{{"workspaces": [], "updates": {{"feed": "{feed}", "public_key": "{key}"}}}}"#)
    };
    for (feed, key, bad) in [
        (
            "http://updates.example.com/latest.json",
            KEY,
            "updates.feed",
        ),
        ("ftp://updates.example.com/latest.json", KEY, "updates.feed"),
        ("not a url", KEY, "updates.feed"),
        (
            "https://updates.example.com/latest.json",
            "aGVsbG8=",
            "updates.public_key",
        ),
        (
            "https://updates.example.com/latest.json",
            "",
            "updates.public_key",
        ),
    ] {
        write(dir.path(), &with(feed, key));
        let err = load(dir.path()).unwrap_err();
        let SettingsError::Invalid { problems, .. } = &err else {
            panic!("{feed}: expected problems, got {err}")
        };
        assert!(problems.iter().any(|p| p.path == bad), "{feed}: {err}");
    }
    for feed in [
        "https://updates.example.com/latest.json",
        "http://127.0.0.1:8080/latest.json",
        "http://localhost/latest.json",
    ] {
        write(dir.path(), &with(feed, KEY));
        let file = load(dir.path()).unwrap_or_else(|e| panic!("{feed}: {e}"));
        let updates = file.settings().updates.clone().unwrap();
        assert_eq!(updates.feed, feed);
        assert!(
            updates.check_on_start,
            "checked at start unless said otherwise"
        );
    }
    write(dir.path(), r#"{"workspaces": []}"#);
    assert_eq!(load(dir.path()).unwrap().settings().updates, None);
}
