//! Importing the storage settings people already have, on the real test servers: each format
//! (written here as its software writes it) becomes a workspace that `ferry workspace test`
//! passes; keys found go to the keychain only when asked (`--store-keys`), never into
//! settings.json; what has no place is listed; a preview (`--dry-run`) saves nothing.

use ferry_tests::{Server, User, moto, s3s, unique_bucket};

fn bucket(user: &User, server: &Server, prefix: &str) -> String {
    // A throwaway workspace makes the bucket.
    let name = unique_bucket(prefix);
    let ws = user.add_s3(server, &name);
    assert_eq!(user.run(&["workspace", "remove", &ws]).code, 0);
    name
}

fn import(user: &User, file: &str, text: &str, extra: &[&str]) -> String {
    let path = user.home.path().join(file);
    std::fs::write(&path, text).unwrap();
    let mut args = vec!["workspace", "import", path.to_str().unwrap()];
    args.extend_from_slice(extra);
    // Keychain entries are by workspace id, and the tests share one keychain: names apart.
    let unique = format!("{file} {}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    if !extra.contains(&"--name") && !extra.contains(&"--dry-run") {
        args.extend_from_slice(&["--name", &unique]);
    }
    let run = user.run(&args);
    assert_eq!(run.code, 0, "{}", run.output());
    run.output()
}

/// The id of the workspace an import added (from "added workspace ID (…)").
fn added(output: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix("added workspace "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no workspace added: {output}"))
        .to_string()
}

fn works(user: &User, ws: &str) {
    let run = user.run(&["workspace", "test", ws]);
    assert_eq!(run.code, 0, "{ws}: {}", run.output());
}

fn settings_text(user: &User) -> String {
    std::fs::read_to_string(user.config.path().join("settings.json")).unwrap()
}

fn every_format_imports(server: &Server) {
    let user = User::new();
    let (key, secret) = (&server.access_key_id, &server.secret_access_key);
    let endpoint = &server.endpoint;

    // An export's sync_config (document 002), its keys stored when asked.
    let b = bucket(&user, server, "export");
    let text = serde_json::json!({
        "credentials": { "aws_access_key_id": key, "aws_secret_access_key": secret,
                         "aws_session_token": "SESSION" },
        "sync_config": { "s3": {
            "bucket": b, "region": "us-east-1", "key_prefix": "flexprice-exports",
            "compression": "gzip", "encryption": "AES256", "endpoint_url": endpoint,
            "virtual_host_style": false, "max_file_size_mb": 50, "interval": "daily" } }
    })
    .to_string();
    let preview = import(&user, "billing-export.json", &text, &["--dry-run"]);
    assert!(preview.contains("nothing was saved"), "{preview}");
    assert!(
        preview.contains("not imported: sync_config.s3.interval"),
        "{preview}"
    );
    assert!(preview.contains("aws_session_token"), "{preview}");
    assert!(
        !preview.contains(secret.as_str()),
        "a preview never prints a secret"
    );
    assert!(
        !settings_text(&user).contains("billing-export"),
        "a dry run saves nothing"
    );
    let out = import(
        &user,
        "billing-export.json",
        &text,
        &["--yes", "--store-keys"],
    );
    let ws = added(&out);
    works(&user, &ws);
    let settings = settings_text(&user);
    assert!(
        !settings.contains(secret.as_str()),
        "keys never go into settings.json"
    );
    assert!(
        settings.contains("\"prefix\": \"flexprice-exports/\""),
        "{settings}"
    );
    assert!(settings.contains("\"max_file_size_mb\": 50"), "{settings}");
    assert!(
        settings.contains("{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}"),
        "{settings}"
    );

    // A Django .env (document 001).
    let b = bucket(&user, server, "django");
    let media = format!(
        "Site media {}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let env = format!(
        "STORAGE_BACKEND=s3\nAWS_ACCESS_KEY_ID={key}\nAWS_SECRET_ACCESS_KEY=\"{secret}\"\n\
         AWS_STORAGE_BUCKET_NAME={b}\nAWS_S3_REGION_NAME=us-east-1  # region\n\
         AWS_S3_ENDPOINT_URL={endpoint}\nDEBUG=True\n"
    );
    let out = import(
        &user,
        ".env",
        &env,
        &["--yes", "--store-keys", "--name", &media],
    );
    assert!(out.contains("not imported: DEBUG"), "{out}");
    assert!(out.contains("never replaces a file"), "{out}");
    let ws = added(&out);
    assert_eq!(ws, media.to_lowercase().replace(' ', "-"));
    works(&user, &ws);

    // A media-planning workspace settings file, `storage.mode` form; its keys are set apart.
    let b = bucket(&user, server, "mediaplan");
    let plan = serde_json::json!({
        "workspace_name": "Campaigns",
        "storage": { "mode": "s3", "local": { "base_path": "/srv/plans" },
                     "s3": { "bucket": b, "region": "us-east-1", "prefix": "mediaplans",
                             "endpoint_url": endpoint } }
    })
    .to_string();
    let out = import(&user, "workspace_settings.json", &plan, &["--yes"]);
    let ws = added(&out);
    assert!(out.contains(&format!("ferry secret set {ws}")), "{out}");
    let stored = user.run_stdin(&["secret", "set", &ws], &format!("{key}\n{secret}\n"));
    assert_eq!(stored.code, 0, "{}", stored.output());
    works(&user, &ws);
    // Keys in a media-planning file are found (for the keychain) and never printed.
    let with_keys = serde_json::json!({
        "storage": { "type": "s3", "bucket": "x-bucket", "region": "us-east-1",
                     "endpoint_url": endpoint, "secret_access_key": secret,
                     "aws_access_key_id": key, "api_password": "hunter2" }
    })
    .to_string();
    let shown = import(&user, "keys.json", &with_keys, &["--dry-run"]);
    assert!(shown.contains("keys found in the file"), "{shown}");
    assert!(
        !shown.contains(secret.as_str()) && !shown.contains("hunter2"),
        "{shown}"
    );
    assert!(
        shown.contains("not imported: storage.api_password:"),
        "{shown}"
    );
    // …and the flat form, local.
    let folder = user.home.path().join("plans");
    std::fs::create_dir_all(&folder).unwrap();
    let flat =
        serde_json::json!({ "storage": { "type": "local", "base_path": folder } }).to_string();
    let ws = added(&import(&user, "flat.json", &flat, &["--yes"]));
    works(&user, &ws);

    // rclone's remote, keys for the keychain.
    let b = bucket(&user, server, "rclone");
    let conf = format!(
        "[box]\ntype = s3\nprovider = Minio\naccess_key_id = {key}\nsecret_access_key = {secret}\n\
         endpoint = {endpoint}\nregion = us-east-1\nchunk_size = 64M\n\n[drive]\ntype = drive\n"
    );
    let out = import(
        &user,
        "rclone.conf",
        &conf,
        &["--yes", "--store-keys", "--bucket", &b],
    );
    assert!(out.contains("not imported: [box] chunk_size"), "{out}");
    assert!(!out.contains("drive"), "only S3 remotes: {out}");
    works(&user, &added(&out));

    // AWS CLI profiles: the keys stay in ~/.aws (the workspace uses the profile).
    let b = bucket(&user, server, "awscli");
    let aws = user.home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!("[ferrytest]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    let config = format!(
        "[profile ferrytest]\nregion = us-east-1\nservices = local\n\n[services local]\ns3 =\n  endpoint_url = {endpoint}\n  addressing_style = path\n"
    );
    let out = import(&user, "config", &config, &["--yes", "--bucket", &b]);
    assert!(out.contains("AWS profile ferrytest"), "{out}");
    works(&user, &added(&out));

    // A .ferry file someone else exported (`ferry workspace export`): the workspace's settings
    // and no key; whoever imports it enters their own.
    let b = bucket(&user, server, "shared");
    let origin = User::new();
    let theirs = origin.add_s3_workspace(server, &b);
    let shared = origin.run(&["workspace", "export", &theirs]);
    assert_eq!(shared.code, 0, "{}", shared.output());
    assert!(
        !shared.stdout.contains(key.as_str()) && !shared.stdout.contains(secret.as_str()),
        "keys in the shared file: {}",
        shared.stdout
    );
    let out = import(&user, "team.ferry", &shared.stdout, &["--yes"]);
    assert!(out.contains("a Ferry workspace file"), "{out}");
    let id = added(&out);
    let run = user.run_stdin(&["secret", "set", &id], &format!("{key}\n{secret}\n"));
    assert_eq!(run.code, 0, "{}", run.output());
    works(&user, &id);
}

#[test]
fn every_format_imports_into_a_working_workspace_on_moto() {
    every_format_imports(&moto());
}

#[test]
fn every_format_imports_into_a_working_workspace_on_s3s() {
    every_format_imports(&s3s());
}

/// Without a terminal, an import neither guesses yes nor stores keys unasked.
#[test]
fn an_import_without_a_terminal_asks_for_yes() {
    let user = User::new();
    let path = user.home.path().join("flat.json");
    let folder = user.home.path().join("plans");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        &path,
        serde_json::json!({ "storage": { "type": "local", "base_path": folder } }).to_string(),
    )
    .unwrap();
    let run = user.run(&["workspace", "import", path.to_str().unwrap()]);
    assert_ne!(run.code, 0);
    assert!(run.output().contains("add --yes"), "{}", run.output());
    let unknown = user.home.path().join("notes.txt");
    std::fs::write(&unknown, "hello\n").unwrap();
    let run = user.run(&["workspace", "import", unknown.to_str().unwrap()]);
    assert!(
        run.output().contains("not a format Ferry imports"),
        "{}",
        run.output()
    );
}
