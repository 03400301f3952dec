//! A reviewed plan run the way the app runs it (plan kept, reviewed, run as a job at once), on
//! the real test servers: unticked actions are not done, each conflict takes the reviewer's
//! choice, and a destination changed between the review and the run is left alone and
//! reported — never replaced unseen.

use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::settings::ConflictPolicy;
use ferry_engine::transfer::reviewed;
use ferry_engine::transfer::{Compare, ItemState, JobKind, JobOptions, JobStatus};
use ferry_storage::WriteMode;
use ferry_tests::{Server, User, moto, s3s, unique_bucket};

fn engine(user: &User) -> Arc<Engine> {
    Arc::new(
        Engine::load(
            user.config.path(),
            Arc::new(ferry_engine::secrets::Keychain),
        )
        .unwrap()
        // The CLI's: the first sync's records are the plan's.
        .with_data_dir(user.home.path().join(".ferry-data")),
    )
}

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

async fn reviewed_then_run(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("review"));
    let src = user.home.path().join("site");
    std::fs::create_dir_all(&src).unwrap();
    for name in ["a.txt", "both1.txt", "both2.txt", "c.txt", "e.txt"] {
        std::fs::write(src.join(name), format!("{name} first\n")).unwrap();
    }
    let from = format!("{}/", src.display());
    let first = user.run(&["sync", &from, &format!("{ws}:")]);
    assert_eq!(first.code, 0, "{}", first.output());

    // Here: a, c changed, d new; both1 and both2 changed here and there.
    for name in ["a.txt", "both1.txt", "both2.txt", "c.txt"] {
        std::fs::write(src.join(name), format!("{name} ours, second\n")).unwrap();
    }
    std::fs::write(src.join("d.txt"), "d new\n").unwrap();
    std::fs::remove_file(src.join("e.txt")).unwrap();
    put(&user, "both1 theirs\n", &format!("{ws}:both1.txt"));
    put(&user, "both2 theirs\n", &format!("{ws}:both2.txt"));

    let engine = engine(&user);
    let options = JobOptions {
        recursive: true,
        conflict: ConflictPolicy::Ask,
        delete_extraneous: true,
        compare: Compare::SizeMtime,
        ..JobOptions::default()
    };
    let (source, destination) = (
        engine.parse_location(&from).unwrap(),
        engine.parse_location(&format!("{ws}:")).unwrap(),
    );
    let plan = reviewed::make(&engine, JobKind::Sync, &source, &destination, &options)
        .await
        .unwrap();
    let mut listed: Vec<(&str, &str)> = plan
        .actions
        .iter()
        .map(|a| (a.action.as_str(), a.destination.as_str()))
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("conflict", "both1.txt"),
            ("conflict", "both2.txt"),
            ("copy", "d.txt"),
            ("delete", "e.txt"),
            ("update", "a.txt"),
            ("update", "c.txt"),
        ]
    );
    let at = |dest: &str| {
        plan.actions
            .iter()
            .position(|a| a.destination == dest)
            .unwrap()
    };
    // Unticked: d. Decided: both1 keeps both, both2 stays theirs.
    let chosen = plan
        .clone()
        .choose(
            &[at("d.txt")],
            &[
                (at("both1.txt"), ConflictPolicy::Rename),
                (at("both2.txt"), ConflictPolicy::Skip),
            ],
        )
        .unwrap();
    let done = reviewed::create_job(&engine, &chosen).await.unwrap();
    assert_eq!((done.carried, done.declined), (4, 1), "{done:?}");
    assert!(
        done.refused.is_empty() && done.unreviewed.is_empty(),
        "{done:?}"
    );

    // Between the review and the run, someone writes c at the destination.
    put(
        &user,
        "c theirs, after the review\n",
        &format!("{ws}:c.txt"),
    );
    put(
        &user,
        "e theirs, after the review\n",
        &format!("{ws}:e.txt"),
    );
    let job = done.job.unwrap();
    // As if an earlier attempt had decided both updates and then failed (a retry, a resume):
    // a decision made before does not skip the look at the destination.
    let journal = engine.journal().unwrap();
    for item in journal.items(&job).unwrap() {
        if ["a.txt", "c.txt"].contains(&item.dest_key.as_str()) {
            journal
                .claim(&job, item.seq, Some((&item.dest_key, WriteMode::Overwrite)))
                .unwrap();
        }
    }
    let ended = engine
        .runner()
        .run_to_end(engine.clone(), &job)
        .await
        .unwrap();
    assert_eq!(ended.status, JobStatus::Completed, "{:?}", ended.error);

    let items = engine.journal().unwrap().items(&job).unwrap();
    assert_eq!(
        cat(&user, &format!("{ws}:a.txt")).as_deref(),
        Some("a.txt ours, second\n"),
        "{items:?}"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:both1.txt")).as_deref(),
        Some("both1 theirs\n")
    );
    assert_eq!(
        cat(&user, &format!("{ws}:both1 (1).txt")).as_deref(),
        Some("both1.txt ours, second\n"),
        "kept both"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:both2.txt")).as_deref(),
        Some("both2 theirs\n")
    );
    assert_eq!(
        cat(&user, &format!("{ws}:c.txt")).as_deref(),
        Some("c theirs, after the review\n"),
        "a destination changed since the review is not replaced"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:d.txt")),
        None,
        "unticked: not done"
    );
    assert_eq!(
        cat(&user, &format!("{ws}:e.txt")).as_deref(),
        Some("e theirs, after the review\n"),
        "a file rewritten since the review is not deleted"
    );
    let items = engine.journal().unwrap().items(&job).unwrap();
    for held in ["c.txt", "e.txt"] {
        let c = items.iter().find(|i| i.dest_key == held).unwrap();
        assert_eq!(c.state, ItemState::Skipped);
        assert!(
            c.error
                .as_deref()
                .is_some_and(|e| e.contains("changed since the plan was reviewed")),
            "{c:?}"
        );
    }

    // The plan's actions are numbered: one that does not exist is refused, and a choice is
    // only for a conflict.
    assert!(plan.clone().choose(&[99], &[]).is_err());
    assert!(
        plan.clone()
            .choose(&[], &[(at("a.txt"), ConflictPolicy::Overwrite)])
            .is_err()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewed_plan_keeps_its_choices_and_holds_back_what_changed_on_moto() {
    reviewed_then_run(&moto()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reviewed_plan_keeps_its_choices_and_holds_back_what_changed_on_s3s() {
    reviewed_then_run(&s3s()).await;
}
