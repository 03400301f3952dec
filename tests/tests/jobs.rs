//! Jobs through the engine's API, as the desktop app will drive them: pause, resume, cancel.

use std::sync::Arc;

use ferry_engine::Engine;
use ferry_engine::secrets::MemoryStore;
use ferry_engine::transfer::{
    Accounting, JobControl, JobKind, JobOptions, JobState, JobStatus, Shift,
};
use ferry_tests::{read_tree, wait_until};

fn engine(root: &std::path::Path) -> Engine {
    Engine::load_with(
        &root.join("config"),
        &root.join("Ferry"),
        Arc::new(MemoryStore::default()),
    )
    .unwrap()
    .with_data_dir(root.join("data"))
}

fn tree(root: &std::path::Path, files: usize) -> std::path::PathBuf {
    let src = root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..files {
        std::fs::write(src.join(format!("f{i}.txt")), format!("{i}")).unwrap();
    }
    src
}

/// Records a recursive copy from `from` to `to`; answers the job's id.
async fn recursive_copy(
    engine: &Engine,
    from: &ferry_engine::workspace::Location,
    to: &ferry_engine::workspace::Location,
) -> String {
    let options = JobOptions {
        recursive: true,
        ..JobOptions::default()
    };
    engine
        .create_job(JobKind::Copy, from, to, &options)
        .await
        .unwrap()
}

/// Records a copy of a fresh folder of `files` files to `root/dst`: (source, destination, job).
async fn copy_job(
    engine: &Engine,
    root: &std::path::Path,
    files: usize,
) -> (std::path::PathBuf, std::path::PathBuf, String) {
    let src = tree(root, files);
    let dst = root.join("dst");
    let from = engine.parse_location(src.to_str().unwrap()).unwrap();
    let to = engine.parse_location(dst.to_str().unwrap()).unwrap();
    let id = recursive_copy(engine, &from, &to).await;
    (src, dst, id)
}

/// Runs job `id` in a task of its own, as the desktop app does.
fn spawn_run(
    engine: &Arc<Engine>,
    id: &str,
    control: &JobControl,
    accounting: Arc<Accounting>,
) -> tokio::task::JoinHandle<ferry_engine::Result<ferry_engine::transfer::JobReport>> {
    let (engine, id, control) = (engine.clone(), id.to_string(), control.clone());
    tokio::spawn(
        async move { ferry_engine::transfer::run_job(&engine, &id, accounting, control).await },
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn a_paused_job_starts_nothing_until_resumed() {
    let root = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine(root.path()));
    let (src, dst, id) = copy_job(&engine, root.path(), 50).await;

    let control = JobControl::default();
    control.pause();
    let accounting = Arc::new(Accounting::default());
    assert!(accounting.snapshot().counting, "totals grow until planned");
    let run = spawn_run(&engine, &id, &control, accounting.clone());
    let journal = engine.journal().unwrap();
    tokio::task::block_in_place(|| {
        wait_until(30, "the paused job to plan all 50 files", || {
            journal.tally(&id).map(|t| t.pending == 50).unwrap_or(false)
        })
    });
    assert_eq!(
        journal.tally(&id).unwrap().done,
        0,
        "nothing is carried while paused"
    );
    assert_eq!(accounting.snapshot().files_done, 0);
    assert!(!dst.exists() || read_tree(&dst).is_empty());
    tokio::task::block_in_place(|| {
        wait_until(30, "the planner to say the totals are final", || {
            !accounting.snapshot().counting
        })
    });
    assert_eq!(accounting.snapshot().files_total, 50, "final, all counted");

    control.resume();
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.state, JobState::Completed);
    assert_eq!(report.tally.done, 50);
    assert_eq!(read_tree(&src), read_tree(&dst));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_job_stops_and_stays_cancelled() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path());
    let (_, _, id) = copy_job(&engine, root.path(), 20).await;
    let control = JobControl::default();
    control.pause();
    control.cancel();
    let report =
        ferry_engine::transfer::run_job(&engine, &id, Arc::new(Accounting::default()), control)
            .await
            .unwrap();
    assert_eq!(report.state, JobState::Cancelled);
    assert_eq!(report.tally.done, 0);
    let again = ferry_engine::transfer::run_job(
        &engine,
        &id,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await;
    assert!(again.is_err(), "a cancelled job does not run again");
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_one_item_skips_it_and_the_rest_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let engine = Arc::new(engine(root.path()));
    let (_, dst, id) = copy_job(&engine, root.path(), 10).await;
    let control = JobControl::default();
    control.pause();
    let run = spawn_run(&engine, &id, &control, Arc::new(Accounting::default()));
    let journal = engine.journal().unwrap();
    tokio::task::block_in_place(|| {
        wait_until(30, "the job to plan its 10 files", || {
            journal.tally(&id).map(|t| t.pending == 10).unwrap_or(false)
        })
    });
    let items = journal.pending_items(&id).unwrap();
    let cancelled: Vec<String> = items[..2].iter().map(|i| i.source_key.clone()).collect();
    control.cancel_item(items[0].seq);
    control.cancel_item(items[1].seq);
    control.resume();
    let report = run.await.unwrap().unwrap();
    assert_eq!(
        (report.tally.done, report.tally.skipped),
        (8, 2),
        "{report:?}"
    );
    let copied = read_tree(&dst);
    assert_eq!(copied.len(), 8);
    for key in cancelled {
        let name = key.rsplit('/').next().unwrap();
        assert!(
            !copied.contains_key(name),
            "{name} was cancelled and not copied"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_is_only_for_an_ended_job_no_other_process_is_running() {
    let root = tempfile::tempdir().unwrap();
    let engine = engine(root.path());
    let (src, dst, id) = copy_job(&engine, root.path(), 3).await;
    let journal = engine.journal().unwrap();

    let early = ferry_engine::transfer::requeue_job(&engine, &id).unwrap_err();
    assert!(
        early.to_string().contains("has not ended"),
        "a queued job is resumed, not retried: {early}"
    );
    assert_eq!(journal.job(&id).unwrap().unwrap().state, JobState::Queued);

    let report = ferry_engine::transfer::run_job(
        &engine,
        &id,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(report.state, JobState::Completed);
    assert_eq!(read_tree(&src), read_tree(&dst));
    {
        // Another Ferry process holding the job (its lock) owns its state.
        let _held = ferry_engine::transfer::run::try_lock(&engine.locks_dir(), &id)
            .unwrap()
            .unwrap();
        let busy = ferry_engine::transfer::requeue_job(&engine, &id).unwrap_err();
        assert!(busy.to_string().contains("another Ferry process"), "{busy}");
        assert_eq!(
            journal.job(&id).unwrap().unwrap().state,
            JobState::Completed
        );
    }
    assert_eq!(
        ferry_engine::transfer::requeue_job(&engine, &id).unwrap(),
        0
    );
    assert_eq!(journal.job(&id).unwrap().unwrap().state, JobState::Queued);
}

/// Two jobs started together share the process's file slots and memory budget: with room for
/// three files in flight, three of the two jobs' files are in flight, not three of each, and
/// what they hold in memory is lent from one budget.
#[tokio::test(flavor = "multi_thread")]
async fn two_jobs_started_together_share_one_file_limit_and_one_budget() {
    let server = ferry_tests::moto();
    let proxy = stalling_uploads(&server).await;
    let (_setup, engine, runs) = uploads_side_by_side(&server, &proxy, 3, &[5, 5]).await;
    let runner = engine.runner().clone();
    assert_eq!(runner.file_limit(), 3);
    // Each job takes up to three items at a time from its plan; all six are either in flight
    // or waiting for a slot once both jobs are going.
    tokio::task::block_in_place(|| {
        wait_until(60, "both jobs to have taken their items", || {
            runner.files_in_flight() + runner.files_waiting() == 6
                && proxy.seen().iter().filter(|s| s.method == "PUT").count() >= 3
        })
    });
    assert_eq!(
        runner.files_in_flight(),
        3,
        "three in flight across both jobs"
    );
    assert_eq!(runner.files_waiting(), 3);
    let puts = proxy.seen().iter().filter(|s| s.method == "PUT").count();
    assert_eq!(puts, 3, "only three uploads were started");
    assert_eq!(
        runner.memory().lent_mib(),
        3,
        "each upload in flight holds its body in the one budget"
    );
    for (control, run) in runs {
        control.cancel();
        let report = run.await.unwrap().unwrap();
        assert_eq!(report.state, JobState::Cancelled);
    }
    assert_eq!(
        runner.files_in_flight(),
        0,
        "cancelled items gave their slots back"
    );
    assert_eq!(runner.files_waiting(), 0);
    assert_eq!(runner.memory().lent_mib(), 0);
}

/// A proxy in front of `server` on which every upload hangs: an item that starts one holds its
/// file slot until its job is cancelled.
async fn stalling_uploads(server: &ferry_tests::Server) -> ferry_tests::proxy::Proxy {
    use ferry_tests::proxy::{Action, Proxy};
    Proxy::start(&server.endpoint, |_, method, _| match method {
        "PUT" => Action::Stall,
        _ => Action::Forward,
    })
    .await
}

/// Records jobs uploading folders of `files[i]` small files each into `i/` of a workspace
/// reached through `proxy`, with `concurrency` file slots for the process: their ids.
async fn upload_jobs(
    server: &ferry_tests::Server,
    proxy: &ferry_tests::proxy::Proxy,
    concurrency: u32,
    files: &[usize],
) -> (ferry_tests::ThreeParts, Arc<Engine>, Vec<String>) {
    let setup = ferry_tests::three_parts(
        server,
        proxy,
        "sharedslots",
        &[("concurrency", concurrency.into())],
    );
    let engine = Arc::new(
        Engine::load(
            setup.user.config.path(),
            Arc::new(ferry_engine::secrets::Keychain),
        )
        .unwrap()
        .with_data_dir(setup.user.home.path().join(".ferry-data")),
    );
    let mut ids = Vec::new();
    for (n, count) in files.iter().enumerate() {
        let folder = setup.user.home.path().join(n.to_string());
        std::fs::create_dir_all(&folder).unwrap();
        for i in 0..*count {
            std::fs::write(folder.join(format!("f{i}.txt")), format!("{n}-{i}")).unwrap();
        }
        let from = engine.parse_location(folder.to_str().unwrap()).unwrap();
        let to = engine
            .parse_location(&format!("{}:{n}/", setup.via))
            .unwrap();
        ids.push(recursive_copy(&engine, &from, &to).await);
    }
    (setup, engine, ids)
}

/// Jobs uploading, side by side, as [`upload_jobs`] records them, each run in a task of its
/// own. The first job's first item is in flight before the next job starts.
async fn uploads_side_by_side(
    server: &ferry_tests::Server,
    proxy: &ferry_tests::proxy::Proxy,
    concurrency: u32,
    files: &[usize],
) -> (
    ferry_tests::ThreeParts,
    Arc<Engine>,
    Vec<(
        JobControl,
        tokio::task::JoinHandle<ferry_engine::Result<ferry_engine::transfer::JobReport>>,
    )>,
) {
    let (setup, engine, ids) = upload_jobs(server, proxy, concurrency, files).await;
    let mut runs = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        let control = JobControl::default();
        let run = spawn_run(&engine, id, &control, Arc::new(Accounting::default()));
        runs.push((control, run));
        if n == 0 {
            let runner = engine.runner().clone();
            tokio::task::block_in_place(|| {
                wait_until(60, "the first job's item in flight", || {
                    runner.files_in_flight() >= 1
                })
            });
        }
    }
    (setup, engine, runs)
}

/// Uploads (PUTs) the proxy saw into folder `n/` of the bucket.
fn puts_into(proxy: &ferry_tests::proxy::Proxy, n: usize) -> usize {
    proxy
        .seen()
        .iter()
        .filter(|s| s.method == "PUT" && s.target.contains(&format!("/{n}/")))
        .count()
}

/// Starts each job through the process's runner, as the app does, the first one's item in
/// flight before the others start; collects what the runner tells a front end.
fn start_queue(
    engine: &Arc<Engine>,
    ids: &[String],
) -> Arc<std::sync::Mutex<Vec<ferry_engine::transfer::JobEvent>>> {
    let runner = engine.runner().clone();
    let heard = Arc::new(std::sync::Mutex::new(Vec::new()));
    runner.set_sink({
        let heard = heard.clone();
        move |event| heard.lock().unwrap().push(event)
    });
    for (n, id) in ids.iter().enumerate() {
        runner.start(engine.clone(), id).unwrap();
        if n == 0 {
            tokio::task::block_in_place(|| {
                wait_until(60, "the first job's item in flight", || {
                    runner.files_in_flight() == 1
                })
            });
        }
    }
    heard
}

fn status(engine: &Engine, id: &str) -> JobStatus {
    engine.runner().view(engine, id).unwrap().status
}

/// Cancels every job of the queue and waits until the runner told each one's end.
async fn end_queue(
    engine: &Arc<Engine>,
    ids: &[String],
    heard: &std::sync::Mutex<Vec<ferry_engine::transfer::JobEvent>>,
) {
    let runner = engine.runner().clone();
    for id in ids {
        // One that already ended stays as it ended.
        let _ = runner.cancel(engine, id).await;
    }
    tokio::task::block_in_place(|| {
        wait_until(60, "every job to end", || {
            let heard = heard.lock().unwrap();
            ids.iter().all(|id| {
                heard.iter().any(|e| {
                    matches!(e, ferry_engine::transfer::JobEvent::Ended { view, .. }
                    if &view.id == id && view.status == JobStatus::Cancelled)
                })
            })
        })
    });
    assert!(runner.queue().is_empty());
    assert_eq!((runner.files_in_flight(), runner.files_waiting()), (0, 0));
}

/// The queue's order decides who gets a freed file slot: a job moved up goes before one that
/// started earlier, which waits ("Waiting" in the panel) while the slot is taken.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_moved_up_the_queue_gets_the_next_free_slot() {
    let server = ferry_tests::moto();
    let proxy = stalling_uploads(&server).await;
    // One slot; three jobs of one file each: job 0's upload hangs holding the slot.
    let (_setup, engine, ids) = upload_jobs(&server, &proxy, 1, &[1, 1, 1]).await;
    let heard = start_queue(&engine, &ids);
    let runner = engine.runner().clone();
    tokio::task::block_in_place(|| {
        wait_until(60, "jobs 1 and 2 waiting for the slot", || {
            runner.files_waiting() == 2
        })
    });
    assert_eq!(runner.queue(), ids, "in the order they started");
    assert_eq!(status(&engine, &ids[0]), JobStatus::Running);
    assert_eq!(status(&engine, &ids[1]), JobStatus::Queued);
    let view = runner.view(&engine, &ids[2]).unwrap();
    assert_eq!((view.status, view.position), (JobStatus::Queued, Some(2)));

    runner.shift(&engine, &ids[2], Shift::Up).unwrap();
    assert_eq!(runner.queue(), [ids[0].as_str(), &ids[2], &ids[1]]);
    runner.cancel(&engine, &ids[0]).await.unwrap();
    tokio::task::block_in_place(|| {
        wait_until(60, "job 2's upload to start", || puts_into(&proxy, 2) == 1)
    });
    assert_eq!(puts_into(&proxy, 1), 0, "job 1 waits behind job 2");
    assert_eq!(status(&engine, &ids[1]), JobStatus::Queued);
    assert_eq!(
        runner.queue(),
        [ids[2].as_str(), &ids[1]],
        "job 0 left the queue"
    );
    let moved = heard.lock().unwrap().iter().any(|e| {
        matches!(e, ferry_engine::transfer::JobEvent::Changed(v) if v.id == ids[2] && v.position == Some(1))
    });
    assert!(moved, "the panel heard of the new place");
    assert!(
        runner.shift(&engine, &ids[0], Shift::Up).is_err(),
        "an ended job has no place"
    );
    end_queue(&engine, &ids, &heard).await;
}

/// Pause all stops every running job from starting anything; resume all lets them go on.
#[tokio::test(flavor = "multi_thread")]
async fn pause_all_holds_every_job_and_resume_all_lets_them_go_on() {
    let server = ferry_tests::moto();
    let proxy = stalling_uploads(&server).await;
    let (_setup, engine, ids) = upload_jobs(&server, &proxy, 1, &[1, 2]).await;
    let heard = start_queue(&engine, &ids);
    let runner = engine.runner().clone();
    tokio::task::block_in_place(|| wait_until(60, "job 1 waiting", || runner.files_waiting() >= 1));
    runner.pause_all(true);
    for id in &ids {
        assert_eq!(status(&engine, id), JobStatus::Paused);
    }
    // The slot job 0 held goes to job 1's item, which sees the pause and gives it back.
    runner.cancel(&engine, &ids[0]).await.unwrap();
    tokio::task::block_in_place(|| {
        wait_until(60, "the slot given back", || {
            runner.queue() == [ids[1].clone()] && runner.files_in_flight() == 0
        })
    });
    assert_eq!(puts_into(&proxy, 1), 0, "nothing started while paused");
    runner.pause_all(false);
    tokio::task::block_in_place(|| {
        wait_until(60, "job 1's upload to start", || puts_into(&proxy, 1) == 1)
    });
    assert_eq!(status(&engine, &ids[1]), JobStatus::Running);
    end_queue(&engine, &ids, &heard).await;
}

/// A job paused while its items wait for a file slot starts none of them when slots free up:
/// each item that gets a slot sees the pause and gives the slot back.
#[tokio::test(flavor = "multi_thread")]
async fn a_job_paused_while_its_items_wait_for_a_slot_starts_none_of_them() {
    let server = ferry_tests::moto();
    let proxy = stalling_uploads(&server).await;
    // One slot: job 0's only file holds it (its upload hangs); job 1's files wait.
    let (_setup, engine, mut runs) = uploads_side_by_side(&server, &proxy, 1, &[1, 3]).await;
    let runner = engine.runner().clone();
    tokio::task::block_in_place(|| {
        wait_until(60, "job 1's item waiting for the slot", || {
            runner.files_waiting() == 1
        })
    });
    let (waiting_control, waiting_run) = runs.pop().unwrap();
    let (first_control, first_run) = runs.pop().unwrap();
    waiting_control.pause();
    first_control.cancel();
    assert_eq!(first_run.await.unwrap().unwrap().state, JobState::Cancelled);
    tokio::task::block_in_place(|| {
        wait_until(60, "the freed slot to be given back", || {
            runner.files_waiting() == 0 && runner.files_in_flight() == 0
        })
    });
    let started_uploads = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "PUT" && s.target.contains("/1/"))
        .count();
    assert_eq!(started_uploads, 0, "the paused job started nothing");
    waiting_control.cancel();
    let report = waiting_run.await.unwrap().unwrap();
    assert_eq!(report.state, JobState::Cancelled);
    assert_eq!(report.tally.done, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_item_whose_abort_is_refused_keeps_its_upload_on_moto() {
    a_cancelled_item_whose_abort_is_refused_keeps_its_upload(ferry_tests::moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_item_whose_abort_is_refused_keeps_its_upload_on_s3s() {
    a_cancelled_item_whose_abort_is_refused_keeps_its_upload(ferry_tests::s3s()).await;
}

/// Cancelling one item mid-upload aborts its multipart upload; when the server refuses that
/// abort, the upload stays in the journal (never an open upload nobody knows of), the item says
/// so, and giving up on the job later aborts it.
async fn a_cancelled_item_whose_abort_is_refused_keeps_its_upload(server: ferry_tests::Server) {
    use ferry_engine::secrets::Keychain;
    use ferry_tests::proxy::{Action, Proxy};
    use ferry_tests::{ThreeParts, part_number, parts_left, sdk_client, three_parts};
    use std::sync::atomic::{AtomicBool, Ordering};

    // Part 1 goes through; later parts hang, and aborts are refused until healed.
    let healed = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, {
        let healed = healed.clone();
        move |_, method, target| {
            let later_part = method == "PUT" && part_number(target).is_some_and(|n| n >= 2);
            let abort = method == "DELETE" && target.contains("uploadId=");
            match (healed.load(Ordering::SeqCst), later_part, abort) {
                (false, true, _) => Action::Stall,
                (false, _, true) => Action::InternalError,
                _ => Action::Forward,
            }
        }
    })
    .await;
    let ThreeParts {
        user,
        bucket,
        via: ws,
        src,
        ..
    } = three_parts(&server, &proxy, "itemcancel", &[]);
    let engine = Arc::new(
        Engine::load(user.config.path(), Arc::new(Keychain))
            .unwrap()
            .with_data_dir(user.home.path().join(".ferry-data")),
    );
    let from = engine.parse_location(src.to_str().unwrap()).unwrap();
    let to = engine.parse_location(&format!("{ws}:big.bin")).unwrap();
    let id = engine
        .create_job(JobKind::Copy, &from, &to, &JobOptions::default())
        .await
        .unwrap();
    let control = JobControl::default();
    let run = spawn_run(&engine, &id, &control, Arc::new(Accounting::default()));
    let journal = engine.journal().unwrap();
    tokio::task::block_in_place(|| {
        wait_until(60, "part 1 to be journaled", || {
            journal.parts(&id, 1).is_ok_and(|p| !p.is_empty())
        })
    });
    let kept = journal.open_uploads(&id).unwrap();
    control.cancel_item(1);
    let report = run.await.unwrap().unwrap();
    assert_eq!(report.tally.skipped, 1, "{report:?}");
    assert_eq!(
        journal.open_uploads(&id).unwrap(),
        kept,
        "the upload the server would not abort is kept"
    );
    let item = journal.items(&id).unwrap().pop().unwrap();
    let said = item.error.unwrap_or_default();
    assert!(said.contains("tries again"), "{said}");
    let client = sdk_client(&server);
    let (key, upload_id) = &kept[0];
    assert!(parts_left(&client, &server, &bucket, key, upload_id).await > 0);

    healed.store(true, Ordering::SeqCst);
    ferry_engine::transfer::cancel_job(&engine, &id)
        .await
        .unwrap();
    assert!(journal.open_uploads(&id).unwrap().is_empty());
    assert_eq!(
        parts_left(&client, &server, &bucket, key, upload_id).await,
        0,
        "giving up aborted it"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_job_whose_workspace_now_points_elsewhere_is_not_resumed() {
    use ferry_engine::settings::Workspace;
    use ferry_engine::workspace::{Location, Place};
    let root = tempfile::tempdir().unwrap();
    let mut engine = engine(root.path());
    let src = tree(root.path(), 3);
    let local = |id: &str, dir: &std::path::Path| -> Workspace {
        serde_json::from_value(serde_json::json!({
            "id": id, "name": id,
            "storage": { "type": "local", "base_path": dir }
        }))
        .unwrap()
    };
    std::fs::create_dir_all(root.path().join("first")).unwrap();
    std::fs::create_dir_all(root.path().join("second")).unwrap();
    engine
        .add_workspace(local("dest", &root.path().join("first")), false)
        .unwrap();
    let from = engine.parse_location(src.to_str().unwrap()).unwrap();
    let to = Location {
        place: Place::Workspace("dest".into()),
        key: ferry_storage::ObjectKey::new("in/"),
    };
    let id = recursive_copy(&engine, &from, &to).await;
    // Re-pointed before the job ran (as between a crash and `ferry jobs resume`).
    engine
        .replace_workspace(local("dest", &root.path().join("second")))
        .unwrap();
    let err = ferry_engine::transfer::run_job(
        &engine,
        &id,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(err, ferry_engine::Error::Repointed { .. }),
        "a typed error: {message}"
    );
    assert!(
        message.contains(&id) && message.contains("first") && message.contains("second"),
        "the message names the job and both places: {message}"
    );
    assert!(
        read_tree(&root.path().join("second")).is_empty()
            && read_tree(&root.path().join("first")).is_empty(),
        "nothing was written anywhere"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn names_one_on_a_folding_destination_are_refused_before_anything_moves() {
    let root = tempfile::tempdir().unwrap();
    // As on macOS or Windows: the destination does not tell case or Unicode forms apart.
    let engine = engine(root.path()).assume_local_folding(ferry_storage::NameFolding {
        case: true,
        unicode: true,
    });
    let src = root.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("README.md"), "upper").unwrap();
    std::fs::write(src.join("readme.md"), "lower").unwrap();
    std::fs::write(src.join("caf\u{e9}.txt"), "nfc").unwrap();
    std::fs::write(src.join("cafe\u{301}.txt"), "nfd").unwrap();
    std::fs::write(src.join("other.txt"), "other").unwrap();
    let from = engine.parse_location(src.to_str().unwrap()).unwrap();
    let to = engine
        .parse_location(root.path().join("dst").to_str().unwrap())
        .unwrap();
    let options = JobOptions {
        recursive: true,
        conflict: ferry_engine::settings::ConflictPolicy::Overwrite,
        ..JobOptions::default()
    };
    let id = engine
        .create_job(JobKind::Copy, &from, &to, &options)
        .await
        .unwrap();
    let report = ferry_engine::transfer::run_job(
        &engine,
        &id,
        Arc::new(Accounting::default()),
        JobControl::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        report.tally.failed, 4,
        "both of each pair refused: {report:?}"
    );
    assert!(
        report.failures.iter().all(|f| f
            .error
            .as_deref()
            .is_some_and(|e| e.contains("would be one file at the destination"))),
        "{:?}",
        report.failures
    );
    assert_eq!(
        read_tree(&root.path().join("dst"))
            .keys()
            .collect::<Vec<_>>(),
        vec!["other.txt"],
        "only the file without a twin was copied"
    );
}

/// Found by the load test in CI: two `ferry` commands opening a new journal at once both added
/// the same column ("duplicate column name: pins"), or one was told "database is locked" while
/// the other switched the file to WAL, and failed.
#[test]
fn many_processes_opening_a_new_journal_at_once_all_succeed() {
    use ferry_engine::transfer::journal::Journal;
    for round in 0..20 {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join("data").join("journal.sqlite");
        let start = Arc::new(std::sync::Barrier::new(8));
        let openers: Vec<_> = (0..8)
            .map(|_| {
                let (path, start) = (path.clone(), start.clone());
                std::thread::spawn(move || {
                    start.wait();
                    Journal::open(&path).map(|_| ())
                })
            })
            .collect();
        for opener in openers {
            let opened = opener.join().unwrap();
            assert!(opened.is_ok(), "round {round}: {opened:?}");
        }
    }
}

/// A random job for [`live_figures_end_as_the_tally`]: source files (folder, size, whether a
/// file is already at its destination), empty folders, links (not followed), and the policy.
#[derive(Debug, Clone)]
struct Scene {
    files: Vec<(u8, usize, bool)>,
    empty_folders: usize,
    links: usize,
    policy: ferry_engine::settings::ConflictPolicy,
}

fn scene() -> impl proptest::strategy::Strategy<Value = Scene> {
    use ferry_engine::settings::ConflictPolicy;
    use proptest::prelude::*;
    (
        proptest::collection::vec((0u8..3, 0usize..5000, any::<bool>()), 1..12),
        0usize..3,
        0usize..3,
        prop_oneof![
            Just(ConflictPolicy::Ask),
            Just(ConflictPolicy::Skip),
            Just(ConflictPolicy::Overwrite),
            Just(ConflictPolicy::OverwriteIfNewer),
            Just(ConflictPolicy::Rename),
        ],
    )
        .prop_map(|(files, empty_folders, links, policy)| Scene {
            files,
            empty_folders,
            links,
            policy,
        })
}

/// Runs `scene` as a copy job; answers the figures it showed as it ended, and its report.
fn run_scene(
    runtime: &tokio::runtime::Runtime,
    scene: &Scene,
) -> (
    ferry_engine::transfer::Snapshot,
    ferry_engine::transfer::JobReport,
) {
    let root = tempfile::tempdir().unwrap();
    let (src, dst) = (root.path().join("src"), root.path().join("dst"));
    for (i, (folder, size, there)) in scene.files.iter().enumerate() {
        let name = format!("d{folder}/f{i}.bin");
        std::fs::create_dir_all(src.join(format!("d{folder}"))).unwrap();
        std::fs::write(src.join(&name), vec![b'x'; *size]).unwrap();
        if *there {
            std::fs::create_dir_all(dst.join(format!("d{folder}"))).unwrap();
            std::fs::write(dst.join(&name), b"already here").unwrap();
        }
    }
    for i in 0..scene.empty_folders {
        std::fs::create_dir_all(src.join(format!("empty{i}"))).unwrap();
    }
    for i in 0..scene.links {
        std::os::unix::fs::symlink("d0", src.join(format!("link{i}"))).unwrap();
    }
    let engine = engine(root.path());
    let options = JobOptions {
        recursive: true,
        conflict: scene.policy,
        ..JobOptions::default()
    };
    let accounting = Arc::new(Accounting::default());
    let report = runtime.block_on(async {
        let from = engine.parse_location(src.to_str().unwrap()).unwrap();
        let to = engine.parse_location(dst.to_str().unwrap()).unwrap();
        let id = engine
            .create_job(JobKind::Copy, &from, &to, &options)
            .await
            .unwrap();
        ferry_engine::transfer::run_job(&engine, &id, accounting.clone(), JobControl::default())
            .await
            .unwrap()
    });
    (accounting.snapshot(), report)
}

/// What a job shows while it runs becomes, when it ends, exactly what its tally (the journal)
/// says: files carried, skipped and failed, bytes carried and skipped, totals — whatever the
/// tree, whatever was at the destination already, whatever the conflict policy. And a job
/// with no failure ends with a full bar (carried + skipped = total). Before, a job with two
/// refused files read "10/10 files" live and "8/10" at the end.
#[test]
fn live_figures_end_as_the_tally() {
    use proptest::prelude::*;
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let config = ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(scene in scene())| {
        let (live, report) = run_scene(&runtime, &scene);
        let t = &report.tally;
        prop_assert_eq!(
            (live.files_done, live.files_skipped, live.files_failed, live.files_total),
            (t.done, t.skipped, t.failed, t.done + t.skipped + t.failed + t.pending),
            "files, live and in the tally"
        );
        prop_assert_eq!(
            (live.bytes_done, live.bytes_skipped, live.bytes_total),
            (t.bytes_done, t.bytes_skipped, t.bytes_total),
            "bytes, live and in the tally"
        );
        if t.failed == 0 {
            prop_assert_eq!(live.bytes_done + live.bytes_skipped, live.bytes_total);
        }
    });
}

/// The case from the issue, by name: ten files, two of them refused (already there, policy
/// `ask`): eight carried and two failed, live and at the end alike.
#[test]
fn two_refused_files_of_ten_count_as_failed_live_and_at_the_end() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scene = Scene {
        files: (0..10).map(|i| (0, 100, i < 2)).collect(),
        empty_folders: 0,
        links: 0,
        policy: ferry_engine::settings::ConflictPolicy::Ask,
    };
    let (live, report) = run_scene(&runtime, &scene);
    assert_eq!(
        (live.files_done, live.files_failed, live.files_total),
        (8, 2, 10)
    );
    assert_eq!((report.tally.done, report.tally.failed), (8, 2));
    assert_eq!(live.bytes_done, 800);
}

/// A job whose every file was already there and is skipped (policy `skip`) is complete: its
/// bar full of skipped bytes, none carried.
#[test]
fn a_job_that_skips_everything_ends_with_a_full_bar() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let scene = Scene {
        files: (0..4).map(|_| (1, 1000, true)).collect(),
        empty_folders: 0,
        links: 0,
        policy: ferry_engine::settings::ConflictPolicy::Skip,
    };
    let (live, report) = run_scene(&runtime, &scene);
    assert_eq!(
        (live.files_done, live.files_skipped, live.files_total),
        (0, 4, 4)
    );
    assert_eq!(
        (live.bytes_done, live.bytes_skipped, live.bytes_total),
        (0, 4000, 4000)
    );
    assert_eq!(report.tally.skipped, 4);
}

/// Uploads and downloads go through the process's bandwidth limits, whatever their path
/// (a multipart upload from a file, ranged downloads): every byte is charged to the limit of
/// its direction, and arrives intact. (The rate itself is measured by `bench/run`, not here.)
#[tokio::test(flavor = "multi_thread")]
async fn transfers_are_charged_to_the_bandwidth_limit_of_their_direction() {
    use ferry_tests::proxy::{Action, Proxy};

    let server = ferry_tests::moto();
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let setup = ferry_tests::three_parts(&server, &proxy, "bwlimit", &[]);
    let engine = Engine::load(
        setup.user.config.path(),
        Arc::new(ferry_engine::secrets::Keychain),
    )
    .unwrap()
    .with_data_dir(setup.user.home.path().join(".ferry-data"));
    let limits = engine.runner().bandwidth().clone();
    // Fast enough not to slow the test; a limit all the same.
    engine.runner().set_rates(256 << 20, 256 << 20);
    let size = std::fs::metadata(&setup.src).unwrap().len();
    let run = |from: String, to: String| {
        let engine = &engine;
        async move {
            let from = engine.parse_location(&from).unwrap();
            let to = engine.parse_location(&to).unwrap();
            let id = engine
                .create_job(JobKind::Copy, &from, &to, &JobOptions::default())
                .await
                .unwrap();
            ferry_engine::transfer::run_job(
                engine,
                &id,
                Arc::new(Accounting::default()),
                JobControl::default(),
            )
            .await
            .unwrap()
        }
    };
    let up = run(
        setup.src.to_str().unwrap().to_string(),
        format!("{}:big.bin", setup.direct),
    )
    .await;
    assert_eq!(up.tally.done, 1, "{up:?}");
    assert_eq!(limits.up.charged(), size, "every byte sent was charged");
    assert_eq!(limits.down.charged(), 0);
    let back = setup.user.home.path().join("back.bin");
    let down = run(
        format!("{}:big.bin", setup.direct),
        back.to_str().unwrap().to_string(),
    )
    .await;
    assert_eq!(down.tally.done, 1, "{down:?}");
    assert_eq!(
        limits.down.charged(),
        size,
        "every byte received was charged"
    );
    assert!(ferry_tests::same_file(&setup.src, &back));
}

/// Limits changed in the settings apply to the runner jobs are already using (no new runner,
/// no restart): bandwidth at the next piece, file slots at once.
#[test]
fn changed_limits_apply_to_the_runner_in_use() {
    let root = tempfile::tempdir().unwrap();
    let mut engine = engine(root.path());
    let runner = engine.runner().clone();
    assert_eq!(runner.bandwidth().up.rate(), 0, "no limit until one is set");
    engine
        .update(|s| {
            s.transfer.bandwidth_limit.up = 1 << 20;
            s.transfer.bandwidth_limit.down = 4 << 20;
            Ok(())
        })
        .unwrap();
    assert!(Arc::ptr_eq(&runner, engine.runner()));
    assert_eq!(runner.bandwidth().up.rate(), 1 << 20);
    assert_eq!(runner.bandwidth().down.rate(), 4 << 20);
    // The app's next engine, read from the file, keeps the runner and the limits.
    let next = self::engine(root.path()).keep_runner(&runner);
    assert!(Arc::ptr_eq(&runner, next.runner()));
    assert_eq!(next.runner().bandwidth().down.rate(), 4 << 20);
    engine
        .update(|s| {
            s.transfer.concurrency = 7;
            s.transfer.memory_budget_mib = 96;
            Ok(())
        })
        .unwrap();
    assert!(Arc::ptr_eq(&runner, engine.runner()), "still one queue");
    assert_eq!(runner.file_limit(), 7);
    assert_eq!(runner.memory().total_mib(), 96);
    assert_eq!(runner.bandwidth().up.rate(), 1 << 20);
}
