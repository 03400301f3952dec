//! A sync planned, reviewed and run later (`ferry sync --plan-out`, `--plan`), on the real test
//! servers: the run carries out exactly the reviewed actions whose files are still as planned;
//! an action taken out of the plan is not done; one whose file changed since — at the source or
//! at the destination — is reported and left alone; what the tree gained since is reported and
//! not done.

use ferry_tests::{Server, User, moto, s3s, unique_bucket};

fn cat(user: &User, location: &str) -> Option<String> {
    let out = user.home.path().join("cat.out");
    let _ = std::fs::remove_file(&out);
    let run = user.run(&["cp", location, out.to_str().unwrap()]);
    (run.code == 0).then(|| std::fs::read_to_string(out).unwrap())
}

fn put(user: &User, text: &str, location: &str) {
    let file = user.home.path().join("put.in");
    std::fs::write(&file, text).unwrap();
    let run = user.run(&["cp", "--overwrite", file.to_str().unwrap(), location]);
    assert_eq!(run.code, 0, "{}", run.output());
}

fn plan_then_run(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("plan"));
    let src = user.home.path().join("site");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["a.txt", "b.txt", "c.txt"] {
        std::fs::write(src.join(name), format!("{name} first\n")).unwrap();
    }
    let from = format!("{}/", src.display());
    let to = format!("{ws}:");
    let first = user.run(&["sync", &from, &to]);
    assert_eq!(first.code, 0, "{}", first.output());
    put(&user, "only at the destination\n", &format!("{ws}:x.txt"));

    // Changes to plan for: a changed, d new, c deleted here, x only there.
    std::fs::write(src.join("a.txt"), "a.txt second, longer\n").unwrap();
    std::fs::write(src.join("d.txt"), "d.txt new\n").unwrap();
    std::fs::remove_file(src.join("c.txt")).unwrap();
    let file = user.home.path().join("plan.json");
    let planned = user.run(&[
        "sync",
        &from,
        &to,
        "--delete",
        "--conflict=overwrite",
        "--plan-out",
        file.to_str().unwrap(),
    ]);
    assert_eq!(planned.code, 0, "{}", planned.output());
    assert_eq!(
        cat(&user, &format!("{ws}:a.txt")).as_deref(),
        Some("a.txt first\n"),
        "nothing changed yet"
    );
    let mut plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let actions = |plan: &serde_json::Value| -> Vec<(String, String)> {
        plan["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["action"].as_str().unwrap().to_string(),
                    a["destination"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let mut listed = actions(&plan);
    listed.sort();
    assert_eq!(
        listed,
        [
            ("copy".into(), "d.txt".into()),
            ("delete".into(), "c.txt".into()),
            ("delete".into(), "x.txt".into()),
            ("update".into(), "a.txt".into()),
        ]
    );
    // The reviewer takes the delete of c.txt out.
    plan["actions"]
        .as_array_mut()
        .unwrap()
        .retain(|a| a["destination"] != "c.txt");
    std::fs::write(&file, serde_json::to_string_pretty(&plan).unwrap()).unwrap();

    // Meanwhile: d.txt changes again here, x.txt is rewritten there, b.txt changes (unplanned).
    std::fs::write(src.join("d.txt"), "d.txt rewritten after the review\n").unwrap();
    put(
        &user,
        "rewritten at the destination after the review\n",
        &format!("{ws}:x.txt"),
    );
    std::fs::write(src.join("b.txt"), "b.txt changed after the plan\n").unwrap();

    let run = user.run(&["sync", "--plan", file.to_str().unwrap()]);
    assert_eq!(
        run.code,
        1,
        "some reviewed actions were not done: {}",
        run.output()
    );
    let out = run.stdout.clone();
    assert!(
        out.contains("not done  copy      d.txt: changed since the plan was made"),
        "{out}"
    );
    assert!(
        out.contains("not done  delete    x.txt: changed since the plan was made"),
        "{out}"
    );
    assert!(out.contains("not in the plan  update    b.txt"), "{out}");
    assert!(out.contains("not in the plan  delete    c.txt"), "{out}");
    assert!(
        out.contains("1 action(s) still as planned, 2 not done, 2 not in the reviewed plan"),
        "{out}"
    );

    assert_eq!(
        cat(&user, &format!("{ws}:a.txt")).as_deref(),
        Some("a.txt second, longer\n"),
        "reviewed and unchanged: done"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:c.txt")).as_deref(),
        Some("c.txt first\n"),
        "taken out of the plan: kept"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:d.txt")),
        None,
        "changed since: not copied"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:x.txt")).as_deref(),
        Some("rewritten at the destination after the review\n"),
        "changed there since: not deleted"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:b.txt")).as_deref(),
        Some("b.txt first\n"),
        "not reviewed: not done"
    );

    // A file that is not a plan is named, and nothing runs.
    std::fs::write(&file, r#"{"ferry_plan": 1, "kind": "sync"}"#).unwrap();
    let bad = user.run(&["sync", "--plan", file.to_str().unwrap()]);
    assert_eq!(bad.code, 2, "{}", bad.output());
    assert!(
        bad.stderr.contains("is not a plan Ferry wrote"),
        "{}",
        bad.output()
    );
}

#[test]
fn a_reviewed_plan_runs_as_reviewed_on_moto() {
    plan_then_run(&moto());
}

#[test]
fn a_reviewed_plan_runs_as_reviewed_on_s3s() {
    plan_then_run(&s3s());
}

/// Writes `pairs` into the user's settings.json, as a person editing it would.
fn set_pairs(user: &User, pairs: serde_json::Value) {
    let path = user.config.path().join("settings.json");
    if !path.exists() {
        // A first run writes it.
        assert_eq!(user.run(&["workspace", "list"]).code, 0);
    }
    let mut settings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    settings["sync_pairs"] = pairs;
    std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
}

/// A saved sync runs by name with its own rules; one that would delete more than its limit
/// stops for review and changes nothing.
#[test]
fn a_saved_sync_pair_runs_by_name_and_stops_before_deleting_too_much() {
    let user = User::new();
    let src = user.home.path().join("src");
    let dst = user.home.path().join("dst");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&dst).unwrap();
    for name in ["a.txt", "b.txt", "notes.tmp"] {
        std::fs::write(src.join(name), name).unwrap();
    }
    for i in 0..5 {
        std::fs::write(dst.join(format!("old-{i}.txt")), "old").unwrap();
    }
    std::fs::write(dst.join("keep.tmp"), "excluded: left alone").unwrap();
    // Saved as a person writes it: the destination under ~ (the home folder, wherever the
    // command runs — found by review: it was read relative to the current folder, so the
    // delete limit counted an empty place and the run deleted elsewhere).
    let pair = |max: u64| {
        serde_json::json!([{
            "name": "Site",
            "source": format!("{}/", src.display()),
            "destination": "~/dst/",
            "delete": true,
            "exclude": ["*.tmp"],
            "max_deletes": max,
        }])
    };
    set_pairs(&user, pair(3));
    let before = ferry_tests::read_tree(&dst);

    let dry = user.run_with(
        {
            let mut cmd = user.command(&["sync", "--pair", "site", "--dry-run"]);
            cmd.current_dir(&src);
            cmd
        },
        None,
    );
    assert_eq!(dry.code, 0, "{}", dry.output());
    assert!(dry.stdout.contains("delete 5"), "{}", dry.output());
    let stopped = user.run(&["sync", "--pair", "site"]);
    assert_eq!(stopped.code, 2, "{}", stopped.output());
    assert!(
        stopped
            .stderr
            .contains("would delete 5 files, more than its max_deletes (3)"),
        "{}",
        stopped.output()
    );
    assert_eq!(ferry_tests::read_tree(&dst), before, "nothing changed");
    // The limit is the job's: retrying the refused job refuses again (a failed job is not
    // resumed at all).
    let job = user.journal().jobs().unwrap()[0].id.clone();
    let retry = user.run(&["jobs", "retry", &job]);
    assert_ne!(retry.code, 0, "{}", retry.output());
    assert!(
        retry.stderr.contains("more than its max_deletes (3)"),
        "{}",
        retry.output()
    );
    let resume = user.run(&["jobs", "resume", &job]);
    assert_ne!(resume.code, 0, "{}", resume.output());
    assert_eq!(
        ferry_tests::read_tree(&dst),
        before,
        "neither changed anything"
    );
    // A plain sync takes a limit too.
    let limited = user.run(&[
        "sync",
        &format!("{}/", src.display()),
        &format!("{}/", dst.display()),
        "--delete",
        "--max-delete=2",
    ]);
    assert_eq!(limited.code, 2, "{}", limited.output());
    assert_eq!(ferry_tests::read_tree(&dst), before, "nothing changed");

    set_pairs(&user, pair(10));
    let ran = user.run(&["sync", "--pair", "site"]);
    assert_eq!(ran.code, 0, "{}", ran.output());
    let after: Vec<String> = ferry_tests::read_tree(&dst).into_keys().collect();
    assert_eq!(after, ["a.txt", "b.txt", "keep.tmp"]);

    let unknown = user.run(&["sync", "--pair", "nope"]);
    assert_eq!(unknown.code, 2, "{}", unknown.output());
    assert!(
        unknown.stderr.contains("(saved: Site)"),
        "{}",
        unknown.output()
    );

    // A reviewed plan runs as reviewed: flags that would change it are refused, not ignored.
    let plan = user.home.path().join("p.json");
    let out = user.run(&[
        "sync",
        "--pair",
        "site",
        "--plan-out",
        plan.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 0, "{}", out.output());
    for flag in ["--dry-run", "--delete", "--exclude=x"] {
        let mixed = user.run(&["sync", "--plan", plan.to_str().unwrap(), flag]);
        assert_eq!(mixed.code, 2, "{flag}: {}", mixed.output());
    }
    let mixed = user.run(&["sync", "--pair", "site", "--conflict", "skip"]);
    assert_eq!(mixed.code, 2, "{}", mixed.output());

    // A place that is neither a workspace nor a full path is refused where it is written.
    set_pairs(
        &user,
        serde_json::json!([{ "name": "rel", "source": "site/", "destination": "~/d/" }]),
    );
    let relative = user.run(&["sync", "--pair", "rel"]);
    assert_eq!(relative.code, 2, "{}", relative.output());
    assert!(
        relative.stderr.contains("write the full path"),
        "{}",
        relative.output()
    );

    // A malformed pair is a settings problem, named where it is.
    set_pairs(
        &user,
        serde_json::json!([{ "name": "x", "source": "", "destination": "d/", "every_minutes": 0 }]),
    );
    let broken = user.run(&["sync", "--pair", "x"]);
    assert_eq!(broken.code, 2, "{}", broken.output());
    assert!(
        broken.stderr.contains("sync_pairs[0]"),
        "{}",
        broken.output()
    );
}
