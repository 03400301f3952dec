//! Moving a media-planning workspace's storage (document 000, "Switching Between Storage
//! Backends") with the SDK itself: `mediaplanpy` (from PyPI, in `.tools/mediaplan`) saves a
//! plan in its local folder, `ferry workspace move-storage --to s3` migrates the folder and
//! sets only the settings file's storage section, and the SDK loads the plan from S3 — then the
//! way back. The file's other bytes, and a `.bak` of it, are checked; a destination that holds
//! a different file leaves the settings file as it was.

use std::path::{Path, PathBuf};

use ferry_tests::{Server, User, moto, s3s, unique_bucket};

/// The SDK's side of the test: create a workspace, save a plan, load one.
const SDK: &str = r#"
import sys
from mediaplanpy import WorkspaceManager, MediaPlan
cmd = sys.argv[1]
if cmd == "create":
    ws = WorkspaceManager()
    wid, path = ws.create(settings_path_name=sys.argv[2], storage_path_name=sys.argv[3],
                          workspace_name="Campaign plans")
    print(path)
elif cmd == "save":
    ws = WorkspaceManager(); ws.load(workspace_path=sys.argv[2])
    plan = MediaPlan.create(created_by="planner@example.com", campaign_name=sys.argv[3],
        campaign_objective="Awareness", campaign_start_date="2025-09-01",
        campaign_end_date="2025-11-30", campaign_budget=10000, workspace_manager=ws)
    plan.create_lineitem({"name": "Search Ads", "channel": "Search", "cost_total": 2500,
                          "cost_currency": "USD"})
    plan.save(ws)
    print(plan.meta.id)
elif cmd == "load":
    ws = WorkspaceManager(); ws.load(workspace_path=sys.argv[2])
    plan = MediaPlan.load(ws, media_plan_id=sys.argv[3])
    print(ws.get_storage_config()["mode"], plan.campaign.name)
"#;

fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join(".tools/mediaplan/bin/python");
    assert!(
        python.exists(),
        "the media-planning SDK is not installed in .tools/mediaplan: run scripts/setup --tests"
    );
    python
}

/// Runs the SDK as the user would (their home, their ~/.aws), returning its last line.
fn sdk(user: &User, args: &[&str]) -> String {
    let script = user.home.path().join("sdk.py");
    std::fs::write(&script, SDK).unwrap();
    let mut cmd = std::process::Command::new(python());
    cmd.arg(&script)
        .args(args)
        .env("HOME", user.home.path())
        .current_dir(user.home.path());
    for (key, _) in std::env::vars() {
        if key.starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "SDK {args:?} failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout.trim().lines().last().unwrap_or_default().to_string()
}

/// A bucket on `server`, and a profile `ferrytest` with its keys in the user's ~/.aws: the
/// SDK and Ferry both read it.
fn bucket_and_profile(user: &User, server: &Server) -> String {
    let name = unique_bucket("plans");
    let ws = user.add_s3(server, &name);
    assert_eq!(user.run(&["workspace", "remove", &ws]).code, 0);
    let aws = user.home.path().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        format!(
            "[ferrytest]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            server.access_key_id, server.secret_access_key
        ),
    )
    .unwrap();
    std::fs::write(
        aws.join("config"),
        "[profile ferrytest]\nregion = us-east-1\n",
    )
    .unwrap();
    name
}

/// Fills the file's `s3` block as a person would in an editor: only those values change.
fn fill_s3_block(file: &Path, bucket: &str, server: &Server) {
    let text = std::fs::read_to_string(file).unwrap();
    let filled = text
        .replacen("\"bucket\": \"\"", &format!("\"bucket\": \"{bucket}\""), 1)
        .replacen("\"region\": \"\"", "\"region\": \"us-east-1\"", 1)
        .replacen("\"profile\": \"\"", "\"profile\": \"ferrytest\"", 1)
        .replacen(
            "\"endpoint_url\": \"\"",
            &format!("\"endpoint_url\": \"{}\"", server.endpoint),
            1,
        )
        .replacen("\"use_ssl\": true", "\"use_ssl\": false", 1);
    assert_ne!(text, filled, "the SDK's template has an empty s3 block");
    std::fs::write(file, filled).unwrap();
}

fn round_trip(server: &Server) {
    let user = User::new();
    let bucket = bucket_and_profile(&user, server);
    let home = user.home.path();
    let store = home.join("plans");
    let settings = sdk(
        &user,
        &["create", home.to_str().unwrap(), store.to_str().unwrap()],
    );
    let file = PathBuf::from(&settings);
    let first = sdk(&user, &["save", &settings, "Autumn launch"]);
    assert!(store.join(format!("mediaplans/{first}.json")).exists());
    fill_s3_block(&file, &bucket, server);
    let before = std::fs::read_to_string(&file).unwrap();

    // A preview changes nothing.
    let run = user.run(&[
        "workspace",
        "move-storage",
        &settings,
        "--to",
        "s3",
        "--dry-run",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("a workspace Ferry will add"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("\"mode\": \"s3\""), "{}", run.stdout);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);

    let run = user.run(&[
        "workspace",
        "move-storage",
        &settings,
        "--to",
        "s3",
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("now keeps its plans in s3 storage"),
        "{}",
        run.stdout
    );

    // Only the storage mode changed; the old text is the backup.
    let after = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        after,
        before.replacen("\"mode\": \"local\"", "\"mode\": \"s3\"", 1)
    );
    let backup = PathBuf::from(format!("{settings}.bak"));
    assert_eq!(std::fs::read_to_string(&backup).unwrap(), before);

    // The SDK now reads the plan from S3 (and the local copy stays, as a backup).
    assert_eq!(sdk(&user, &["load", &settings, &first]), "s3 Autumn launch");
    assert!(store.join(format!("mediaplans/{first}.json")).exists());

    // A plan saved on S3, then the way back: the new plan comes home too. The copies left
    // here are older than those on S3 by then (an hour, say): compared by content, they are
    // the same files, not conflicts.
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(store.join("mediaplans")).unwrap() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.unwrap().path())
            .unwrap();
        file.set_modified(hour_ago).unwrap();
    }
    let second = sdk(&user, &["save", &settings, "Winter push"]);
    assert!(!store.join(format!("mediaplans/{second}.json")).exists());
    let run = user.run(&[
        "workspace",
        "move-storage",
        &settings,
        "--to",
        "local",
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert_eq!(
        sdk(&user, &["load", &settings, &second]),
        "local Winter push"
    );
    assert_eq!(
        sdk(&user, &["load", &settings, &first]),
        "local Autumn launch"
    );
    assert!(PathBuf::from(format!("{settings}.bak.1")).exists());
}

#[test]
fn the_sdk_finds_its_plans_after_a_move_to_s3_and_back_on_moto() {
    round_trip(&moto());
}

#[test]
fn the_sdk_finds_its_plans_after_a_move_to_s3_and_back_on_s3s() {
    round_trip(&s3s());
}

/// A move into a workspace Ferry has (keys in the keychain): the block gets its place, and the
/// person is told the SDK cannot read the keychain. A different file already there is not
/// replaced, and the settings file is left as it was.
#[test]
fn a_move_into_a_workspace_that_holds_a_different_plan_changes_nothing() {
    let server = s3s();
    let user = User::new();
    let bucket = unique_bucket("into");
    let ws = user.add_s3(&server, &bucket);
    let store = user.home.path().join("plans");
    std::fs::create_dir_all(store.join("mediaplans")).unwrap();
    std::fs::write(store.join("mediaplans/p1.json"), "{\"ours\": 1}").unwrap();
    let file = user.home.path().join("ws_settings.json");
    let text = format!(
        "{{\n  \"workspace_id\": \"w1\",\n  \"workspace_name\": \"Plans\",\n  \"storage\": {{\n    \"mode\": \"local\",\n    \"local\": {{ \"base_path\": \"{}\" }},\n    \"s3\": {{ \"bucket\": \"\", \"aws_secret_access_key\": \"SECRETVALUE\" }}\n  }},\n  \"logging\": {{ \"level\": \"INFO\" }}\n}}\n",
        store.display()
    );
    std::fs::write(&file, &text).unwrap();
    let theirs = user.home.path().join("theirs.json");
    std::fs::write(&theirs, "{\"theirs\": 2}").unwrap();
    let put = user.run(&[
        "cp",
        theirs.to_str().unwrap(),
        &format!("{ws}:mediaplans/p1.json"),
    ]);
    assert_eq!(put.code, 0, "{}", put.output());

    let f = file.to_str().unwrap();
    let run = user.run(&[
        "workspace",
        "move-storage",
        f,
        "--to",
        "s3",
        "--into",
        &ws,
        "--dry-run",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(
        run.stdout.contains("the SDK does not read"),
        "{}",
        run.stdout
    );
    // A key the file holds is shown as hidden, never printed.
    assert!(!run.output().contains("SECRETVALUE"), "{}", run.output());
    assert!(
        run.stdout
            .contains("\"aws_secret_access_key\": \"(hidden)\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(&format!("\"bucket\": \"{bucket}\"")),
        "{}",
        run.stdout
    );

    let run = user.run(&[
        "workspace",
        "move-storage",
        f,
        "--to",
        "s3",
        "--into",
        &ws,
        "--yes",
    ]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    assert!(!user.home.path().join("ws_settings.json.bak").exists());
    let get = user.home.path().join("got.json");
    let run = user.run(&[
        "cp",
        &format!("{ws}:mediaplans/p1.json"),
        get.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(std::fs::read_to_string(&get).unwrap(), "{\"theirs\": 2}");

    // With the difference gone the move completes, and the block names the workspace's place.
    std::fs::write(store.join("mediaplans/p1.json"), "{\"theirs\": 2}").unwrap();
    let run = user.run(&[
        "workspace",
        "move-storage",
        f,
        "--to",
        "s3",
        "--into",
        &ws,
        "--yes",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let now: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(now["storage"]["mode"], "s3");
    assert_eq!(now["storage"]["s3"]["bucket"], bucket.as_str());
    assert_eq!(
        now["storage"]["s3"]["endpoint_url"],
        server.endpoint.as_str()
    );
    assert_eq!(now["storage"]["s3"]["use_ssl"], false);
    assert_eq!(now["logging"]["level"], "INFO");
    let written = std::fs::read_to_string(&file).unwrap();
    assert!(written.starts_with("{\n  \"workspace_id\": \"w1\",\n  \"workspace_name\": \"Plans\",\n  \"storage\": {\n    \"mode\": \"s3\",\n    \"local\": { \"base_path\": "));
    assert!(
        written.ends_with("  },\n  \"logging\": { \"level\": \"INFO\" }\n}\n"),
        "{written}"
    );
    assert_eq!(now["storage"]["s3"]["aws_secret_access_key"], "SECRETVALUE");
}

/// A source with no files is not taken for a finished move: a prefix read wrongly would look
/// like one, and the SDK would then find none of its plans. The file is left as it was.
#[test]
fn a_move_from_an_empty_place_leaves_the_file_as_it_was() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("empty");
    let ws = user.add_s3(&server, &bucket);
    let store = user.home.path().join("nothing-here");
    std::fs::create_dir_all(&store).unwrap();
    let file = user.home.path().join("ws_settings.json");
    let text = format!(
        "{{\"workspace_id\": \"w2\", \"storage\": {{\"mode\": \"local\", \"local\": {{\"base_path\": \"{}\"}}}}}}",
        store.display()
    );
    std::fs::write(&file, &text).unwrap();
    let run = user.run(&[
        "workspace",
        "move-storage",
        file.to_str().unwrap(),
        "--to",
        "s3",
        "--into",
        &ws,
        "--yes",
    ]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert!(
        run.output().contains("no files were found"),
        "{}",
        run.output()
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
}

/// Files a move cannot handle safely are refused before anything happens, each saying why.
#[test]
fn settings_a_move_cannot_handle_are_refused_with_why() {
    let user = User::new();
    let home = user.home.path();
    let plans = home.join("plans");
    std::fs::create_dir_all(&plans).unwrap();
    let cases = [
        (
            "comment.json".to_string(),
            format!(
                "{{\"storage\": {{\"mode\": \"local\", \"local\": {{\"base_path\": \"{}\"}}}} // note\n}}",
                plans.display()
            ),
            "is not plain JSON",
        ),
        (
            "plans/inside.json".to_string(),
            format!(
                "{{\"storage\": {{\"mode\": \"local\", \"local\": {{\"base_path\": \"{}\"}}, \"s3\": {{\"bucket\": \"b\", \"region\": \"us-east-1\"}}}}}}",
                plans.display()
            ),
            "is inside the plans folder",
        ),
        (
            "root.json".to_string(),
            "{\"storage\": {\"mode\": \"local\", \"local\": {\"base_path\": \"/\"}, \"s3\": {\"bucket\": \"b\", \"region\": \"us-east-1\"}}}".to_string(),
            "all of this computer",
        ),
    ];
    for (name, text, why) in cases {
        let file = home.join(&name);
        std::fs::write(&file, &text).unwrap();
        let run = user.run(&[
            "workspace",
            "move-storage",
            file.to_str().unwrap(),
            "--to",
            "s3",
            "--dry-run",
        ]);
        assert_ne!(run.code, 0, "{name}: {}", run.output());
        assert!(run.output().contains(why), "{name}: {}", run.output());
        assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    }
}
