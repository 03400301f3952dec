//! The transfer engine against the real servers: large multipart files, many small files,
//! S3→S3 on one server and across two, kill -9 and resume, cancel, failed verification, sync,
//! and a server that answers 503 to every third request.

use std::path::Path;
use std::process::Stdio;

use ferry_tests::proxy::{Action, Proxy};
use ferry_tests::{
    Server, ThreeParts, User, big_file, moto, part_number, parts_left, read_tree, s3s, same_file,
    sdk_client, three_parts, unique_bucket, wait_until,
};

/// One module per case, with a test of `$run(server, case)` on moto and one on s3s-fs.
macro_rules! on_both_servers {
    ($run:ident; $($name:ident: $case:expr;)*) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread")]
            async fn on_moto() {
                $run(moto(), $case).await;
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn on_s3s() {
                $run(s3s(), $case).await;
            }
        }
    )*};
}

fn stat_json(user: &User, at: &str) -> serde_json::Value {
    let run = user.run(&["stat", "--json", at]);
    assert_eq!(run.code, 0, "{}", run.output());
    serde_json::from_str(&run.stdout).unwrap()
}

async fn large_round_trip(server: Server) {
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let user = User::new();
    let bucket = unique_bucket("large");
    let ws = user.add_s3(&server, &bucket);
    let src = user.home.path().join("big.bin");
    big_file(&src, 200);
    let up = user.run(&["cp", src.to_str().unwrap(), &format!("{ws}:big.bin")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let meta = stat_json(&user, &format!("{ws}:big.bin"));
    assert_eq!(meta["size"], 200 * 1024 * 1024);
    let etag = meta["etag"].as_str().unwrap_or_default().to_string();
    assert!(
        etag.trim_matches('"').ends_with("-25"),
        "200 MiB went up in 25 parts of the default 8 MiB: {etag}"
    );
    let down = user.home.path().join("down.bin");
    let via_proxy = user.add_s3_workspace(&server.through(&proxy), &bucket);
    let run = user.run(&[
        "cp",
        &format!("{via_proxy}:big.bin"),
        down.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(same_file(&src, &down), "the download is byte-identical");
    let gets = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "GET" && s.target.contains("big.bin"))
        .count();
    assert_eq!(gets, 25, "downloaded in 25 parallel ranges, one per part");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_mib_file_goes_up_in_parts_and_comes_back_identical_on_moto() {
    large_round_trip(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_200_mib_file_goes_up_in_parts_and_comes_back_identical_on_s3s() {
    large_round_trip(s3s()).await;
}

fn many_small_files(server: Server) {
    let user = User::new();
    let ws = user.add_s3(&server, &unique_bucket("small"));
    let src = user.home.path().join("tree");
    for i in 0..2000 {
        let dir = src.join(format!("d{}", i % 40));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(format!("f{i}.txt")),
            format!("file {i} ").repeat(1 + i % 50),
        )
        .unwrap();
    }
    let up = user.run(&[
        "cp",
        "-r",
        "--json",
        src.to_str().unwrap(),
        &format!("{ws}:tree/"),
    ]);
    assert_eq!(up.code, 0, "{}", up.output());
    let report: serde_json::Value = serde_json::from_str(&up.stdout).unwrap();
    assert_eq!(report["tally"]["done"], 2000);
    let down = user.home.path().join("down");
    let run = user.run(&["cp", "-r", &format!("{ws}:tree"), down.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        read_tree(&src),
        read_tree(&down),
        "2,000 files came back identical"
    );
}

#[test]
fn two_thousand_small_files_up_and_down_on_moto() {
    many_small_files(moto());
}

#[test]
fn two_thousand_small_files_up_and_down_on_s3s() {
    many_small_files(s3s());
}

#[test]
fn s3_to_s3_within_a_server_and_across_servers() {
    let user = User::new();
    let a = user.add_s3(&moto(), &unique_bucket("s3a"));
    let b = user.add_s3(&s3s(), &unique_bucket("s3b"));
    let src = user.home.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    big_file(&src.join("sub/large.bin"), 12);
    std::fs::write(src.join("small.txt"), "small").unwrap();
    assert_eq!(
        user.run(&["cp", "-r", src.to_str().unwrap(), &format!("{a}:one/")])
            .code,
        0
    );

    let within = user.run(&["cp", "-r", &format!("{a}:one/"), &format!("{a}:two/")]);
    assert_eq!(within.code, 0, "server-side copy: {}", within.output());
    let across = user.run(&["cp", "-r", &format!("{a}:two/"), &format!("{b}:three/")]);
    assert_eq!(across.code, 0, "moto → s3s-fs: {}", across.output());
    let down = user.home.path().join("down");
    assert_eq!(
        user.run(&["cp", "-r", &format!("{b}:three"), down.to_str().unwrap()])
            .code,
        0
    );
    assert_eq!(read_tree(&src), read_tree(&down));
}

/// Starts `ferry cp` of a 60 MiB file in 5 MiB parts, one at a time, and kills it with
/// SIGKILL once `parts` parts are journaled. Returns the job id and the journaled parts.
fn upload_and_kill(user: &User, ws: &str, src: &Path, parts: usize) -> (String, Vec<i32>) {
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 5.into()),
        ("part_concurrency", 1.into()),
    ]);
    big_file(src, 60);
    let mut child = user
        .command(&["cp", src.to_str().unwrap(), &format!("{ws}:big.bin")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut journaled = Vec::new();
    let mut job = String::new();
    wait_until(120, "parts to be journaled", || {
        let journal = user.journal();
        let Some(row) = journal.jobs().unwrap().into_iter().next() else {
            return false;
        };
        job = row.id;
        journaled = journal
            .parts(&job, 1)
            .unwrap()
            .iter()
            .map(|p| p.number)
            .collect();
        journaled.len() >= parts
    });
    child.kill().unwrap();
    child.wait().unwrap();
    // The kill may land between two journal writes: read what survived.
    let journaled = user
        .journal()
        .parts(&job, 1)
        .unwrap()
        .iter()
        .map(|p| p.number)
        .collect();
    (job, journaled)
}

async fn kill_9_mid_upload_then_resume_sends_no_finished_part_again(server: Server) {
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let user = User::new();
    let ws = user.add_s3(&server.through(&proxy), &unique_bucket("resume"));
    let src = user.home.path().join("big.bin");
    let (job, done_before) = tokio::task::block_in_place(|| upload_and_kill(&user, &ws, &src, 4));
    assert!(done_before.len() >= 4, "{done_before:?}");
    let jobs = user.run(&["jobs", "list", "--json"]);
    let listed: Vec<serde_json::Value> = serde_json::from_str(&jobs.stdout).unwrap();
    assert_eq!(
        listed[0]["interrupted"], true,
        "the killed job shows as interrupted"
    );

    proxy.clear();
    let resumed = user.run(&["jobs", "resume"]);
    assert_eq!(resumed.code, 0, "{}", resumed.output());
    let sent: Vec<i32> = proxy
        .seen()
        .iter()
        .filter(|s| s.method == "PUT")
        .filter_map(|s| part_number(&s.target))
        .collect();
    for part in &done_before {
        assert!(
            !sent.contains(part),
            "part {part} was finished before the kill and was sent again: {sent:?}"
        );
    }
    for part in 1..=12 {
        assert!(
            sent.contains(&part) || done_before.contains(&part),
            "part {part} was never sent"
        );
    }
    let down = user.home.path().join("down.bin");
    assert_eq!(
        user.run(&["cp", &format!("{ws}:big.bin"), down.to_str().unwrap()])
            .code,
        0
    );
    assert!(
        same_file(&src, &down),
        "the resumed upload is byte-identical"
    );
    assert!(
        user.journal().parts(&job, 1).unwrap().is_empty(),
        "the journal forgets finished uploads"
    );
}

async fn cancel_leaves_no_open_multipart_upload(server: Server) {
    let user = User::new();
    let bucket = unique_bucket("cancel");
    let ws = user.add_s3(&server, &bucket);
    let src = user.home.path().join("big.bin");
    let (job, _) = tokio::task::block_in_place(|| upload_and_kill(&user, &ws, &src, 2));
    let recorded = user.journal().open_uploads(&job).unwrap();
    assert_eq!(recorded.len(), 1, "the killed upload is recorded");
    let client = sdk_client(&server);
    let (key, upload_id) = &recorded[0];
    assert!(
        parts_left(&client, &server, &bucket, key, upload_id).await > 0,
        "parts are on the server before the cancel"
    );
    let cancel = user.run(&["jobs", "cancel", &job]);
    assert_eq!(cancel.code, 0, "{}", cancel.output());
    assert_eq!(
        parts_left(&client, &server, &bucket, key, upload_id).await,
        0,
        "cancel aborted the upload"
    );
    if server.name == "moto" {
        let open = client
            .list_multipart_uploads()
            .bucket(&bucket)
            .send()
            .await
            .unwrap();
        assert!(
            open.uploads().is_empty(),
            "no open upload at all: {:?}",
            open.uploads()
        );
    }
    let resume = user.run(&["jobs", "resume", &job]);
    assert_eq!(
        resume.code,
        2,
        "a cancelled job does not resume: {}",
        resume.output()
    );
}

async fn a_move_whose_verification_fails_keeps_the_source(server: Server) {
    let proxy = Proxy::start(&server.endpoint, |_, method, _| {
        if method == "PUT" {
            Action::ForwardWithEtag("\"00000000000000000000000000000000\"".into())
        } else {
            Action::Forward
        }
    })
    .await;
    let user = User::new();
    let ws = user.add_s3(&server.through(&proxy), &unique_bucket("verify"));
    let file = user.home.path().join("precious.txt");
    std::fs::write(&file, "do not lose me").unwrap();
    let run = user.run(&["mv", file.to_str().unwrap(), &format!("{ws}:")]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stderr.contains("verification failed"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "do not lose me",
        "the source is intact"
    );
}

async fn a_second_sync_of_an_unchanged_tree_sends_nothing(server: Server) {
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let user = User::new();
    let ws = user.add_s3(&server.through(&proxy), &unique_bucket("sync"));
    let src = user.home.path().join("site");
    for i in 0..30 {
        std::fs::create_dir_all(src.join(format!("p{}", i % 3))).unwrap();
        std::fs::write(
            src.join(format!("p{}/page{i}.html", i % 3)),
            format!("<p>{i}</p>"),
        )
        .unwrap();
    }
    let first = user.run(&[
        "sync",
        "--json",
        src.to_str().unwrap(),
        &format!("{ws}:site/"),
    ]);
    assert_eq!(first.code, 0, "{}", first.output());
    let report: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    assert_eq!(report["tally"]["done"], 30);

    proxy.clear();
    let second = user.run(&[
        "sync",
        "--json",
        src.to_str().unwrap(),
        &format!("{ws}:site/"),
    ]);
    assert_eq!(second.code, 0, "{}", second.output());
    let report: serde_json::Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(report["tally"]["bytes_done"], 0, "{}", second.stdout);
    assert_eq!(report["plan"]["unchanged"], 30);
    let writes = proxy.seen().iter().filter(|s| s.method == "PUT").count();
    assert_eq!(writes, 0, "no object was written on the second run");

    std::fs::write(src.join("p0/page0.html"), "<p>changed, longer</p>").unwrap();
    std::fs::remove_file(src.join("p1/page1.html")).unwrap();
    let third = user.run(&[
        "sync",
        "--delete",
        "--json",
        src.to_str().unwrap(),
        &format!("{ws}:site/"),
    ]);
    let report: serde_json::Value = serde_json::from_str(&third.stdout).unwrap();
    assert_eq!(
        (
            report["plan"]["update"].clone(),
            report["plan"]["delete"].clone()
        ),
        (1.into(), 1.into())
    );
    let down = user.home.path().join("down");
    assert_eq!(
        user.run(&["sync", &format!("{ws}:site/"), down.to_str().unwrap()])
            .code,
        0
    );
    assert_eq!(
        read_tree(&src),
        read_tree(&down),
        "the destination matches the source"
    );
}

async fn every_third_request_answered_503_still_completes_identically(server: Server) {
    let proxy = Proxy::start(&server.endpoint, |n, _, _| {
        if n % 3 == 0 {
            Action::SlowDown
        } else {
            Action::Forward
        }
    })
    .await;
    let user = User::new();
    let direct = user.add_s3(&server, &unique_bucket("flaky"));
    let bucket = user.run(&["workspace", "show", "--json", &direct]);
    let bucket: serde_json::Value = serde_json::from_str(&bucket.stdout).unwrap();
    let flaky = user.add_s3_workspace(
        &server.through(&proxy),
        bucket["storage"]["bucket"].as_str().unwrap(),
    );
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 5.into()),
    ]);
    let src = user.home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    big_file(&src.join("large.bin"), 12);
    for i in 0..40 {
        std::fs::write(src.join(format!("f{i}.txt")), format!("{i}").repeat(100)).unwrap();
    }
    let up = user.run(&["cp", "-r", src.to_str().unwrap(), &format!("{flaky}:data/")]);
    assert_eq!(up.code, 0, "{}", up.output());
    assert!(
        proxy.seen().iter().filter(|s| s.refused).count() >= 10,
        "the proxy did refuse requests"
    );
    let down = user.home.path().join("down");
    let run = user.run(&[
        "cp",
        "-r",
        &format!("{direct}:data"),
        down.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert_eq!(
        read_tree(&src),
        read_tree(&down),
        "the data is identical despite the 503s"
    );
}

/// What the person does about a failed upload the server would not let Ferry abort.
#[derive(Clone, Copy, PartialEq)]
enum Then {
    /// `ferry jobs cancel` once the server is reachable again.
    GiveUp,
    /// `ferry jobs cancel` while the abort is still refused, then again once it is not.
    GiveUpTwice,
    /// `ferry jobs retry` once the server is reachable again.
    Retry,
    /// Edits the file (same size) and then retries.
    EditThenRetry,
    /// Edits the file and retries while aborts are still refused, then gives up on the job once
    /// they are not.
    EditThenRetryWhileAbortsAreRefused,
    /// As `EditThenRetryWhileAbortsAreRefused`, but aborts work again once the new upload has
    /// begun: the job's end aborts the one set aside.
    EditThenRetryWhileAbortsAreRefusedAtFirst,
}

/// A failed upload is aborted on the spot; when the server refuses that too, the job keeps the
/// upload in its journal (never an open upload nobody knows of). Giving up on the job aborts it
/// and ends the job as cancelled (cancelled even while the abort is refused, which is the error
/// and is tried again next time); a retry carries the kept upload on, unless the file changed:
/// then it is aborted, or set aside (still known) while the server refuses that, and the file is
/// sent anew.
async fn failed_upload_whose_abort_failed(server: Server, then: Then) {
    use ferry_engine::transfer::JobState;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    // The first part goes through; every later part, and the abort, are refused until healed.
    let healed = Arc::new(AtomicBool::new(false));
    let aborts_healed = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, {
        let (healed, aborts_healed) = (healed.clone(), aborts_healed.clone());
        move |_, method, target| {
            let later_part = method == "PUT" && part_number(target).is_some_and(|n| n >= 2);
            let abort = method == "DELETE" && target.contains("uploadId=");
            let begins = method == "POST" && target.contains("?uploads");
            if begins
                && then == Then::EditThenRetryWhileAbortsAreRefusedAtFirst
                && healed.load(Ordering::SeqCst)
            {
                aborts_healed.store(true, Ordering::SeqCst);
            }
            if (later_part && !healed.load(Ordering::SeqCst))
                || (abort && !aborts_healed.load(Ordering::SeqCst))
            {
                Action::InternalError
            } else {
                Action::Forward
            }
        }
    })
    .await;
    // Part 1 is answered (and journaled) before a later one is refused.
    let ThreeParts {
        user,
        bucket,
        via: ws,
        src,
        ..
    } = three_parts(&server, &proxy, "giveup", &[("part_concurrency", 1.into())]);
    let up = user.run(&["cp", src.to_str().unwrap(), &format!("{ws}:big.bin")]);
    assert_ne!(up.code, 0, "every later part is refused: {}", up.output());
    let journal = user.journal();
    let job = journal.jobs().unwrap().pop().unwrap();
    assert_eq!(
        job.state,
        JobState::CompletedWithErrors,
        "its one item failed"
    );
    let kept = journal.open_uploads(&job.id).unwrap();
    assert_eq!(kept.len(), 1, "the failed upload is kept for a retry");
    let client = sdk_client(&server);
    let (key, upload_id) = &kept[0];
    assert!(parts_left(&client, &server, &bucket, key, upload_id).await > 0);

    if then == Then::GiveUpTwice {
        let refused = user.run(&["jobs", "cancel", &job.id]);
        assert_ne!(refused.code, 0, "{}", refused.output());
        assert!(
            refused.stderr.contains("could not be aborted")
                && refused.stderr.contains("tries again"),
            "{}",
            refused.output()
        );
        let after = journal.job(&job.id).unwrap().unwrap();
        assert_eq!(after.state, JobState::Cancelled, "given up all the same");
        assert_eq!(journal.open_uploads(&job.id).unwrap(), kept, "still known");
    }
    if then == Then::EditThenRetryWhileAbortsAreRefusedAtFirst {
        healed.store(true, Ordering::SeqCst);
        let mut data = std::fs::read(&src).unwrap();
        data[100] ^= 0xff;
        std::fs::write(&src, data).unwrap();
        let retry = user.run(&["jobs", "retry", &job.id]);
        assert_eq!(retry.code, 0, "sent anew: {}", retry.output());
        assert!(
            !retry.stderr.contains("ferry jobs cancel"),
            "nothing is left kept: {}",
            retry.output()
        );
        assert!(journal.open_uploads(&job.id).unwrap().is_empty());
        assert_eq!(
            parts_left(&client, &server, &bucket, key, upload_id).await,
            0,
            "the job's end aborted the upload set aside"
        );
        let down = user.home.path().join("down.bin");
        let get = user.run(&["cp", &format!("{ws}:big.bin"), down.to_str().unwrap()]);
        assert_eq!(get.code, 0, "{}", get.output());
        assert!(same_file(&src, &down), "the object is the edited file");
        return;
    }
    if then == Then::EditThenRetryWhileAbortsAreRefused {
        healed.store(true, Ordering::SeqCst);
        let mut data = std::fs::read(&src).unwrap();
        data[100] ^= 0xff;
        std::fs::write(&src, data).unwrap();
        let retry = user.run(&["jobs", "retry", &job.id]);
        assert_eq!(retry.code, 0, "sent anew: {}", retry.output());
        assert!(
            retry
                .stderr
                .contains(&format!("`ferry jobs cancel {}`", job.id)),
            "says an upload is kept: {}",
            retry.output()
        );
        assert_eq!(
            journal.set_aside_uploads(&job.id).unwrap(),
            kept,
            "the earlier upload is set aside, still known"
        );
        assert!(parts_left(&client, &server, &bucket, key, upload_id).await > 0);
        let listed = user.run(&["jobs"]);
        assert!(
            listed.stdout.contains("1 unfinished multipart upload(s)"),
            "{}",
            listed.output()
        );
        let down = user.home.path().join("down.bin");
        let get = user.run(&["cp", &format!("{ws}:big.bin"), down.to_str().unwrap()]);
        assert_eq!(get.code, 0, "{}", get.output());
        assert!(same_file(&src, &down), "the object is the edited file");

        aborts_healed.store(true, Ordering::SeqCst);
        let cancel = user.run(&["jobs", "cancel", &job.id]);
        assert_eq!(cancel.code, 0, "{}", cancel.output());
        assert!(journal.open_uploads(&job.id).unwrap().is_empty());
        assert_eq!(
            parts_left(&client, &server, &bucket, key, upload_id).await,
            0,
            "giving up aborted the upload set aside"
        );
        let after = journal.job(&job.id).unwrap().unwrap();
        assert_eq!(after.state, JobState::Completed, "what was done stays done");
        return;
    }
    healed.store(true, Ordering::SeqCst);
    aborts_healed.store(true, Ordering::SeqCst);
    proxy.clear();
    if matches!(then, Then::Retry | Then::EditThenRetry) {
        if then == Then::EditThenRetry {
            // Part 1 is on the server; the same bytes must not stand for the new ones.
            let mut data = std::fs::read(&src).unwrap();
            data[100] ^= 0xff;
            std::fs::write(&src, data).unwrap();
        }
        let retry = user.run(&["jobs", "retry", &job.id]);
        assert_eq!(retry.code, 0, "{}", retry.output());
        let created = proxy
            .seen()
            .iter()
            .filter(|s| s.method == "POST" && s.target.contains("uploads"))
            .count();
        let fresh = usize::from(then == Then::EditThenRetry);
        assert_eq!(created, fresh, "new multipart uploads: {:?}", proxy.seen());
        let down = user.home.path().join("down.bin");
        let get = user.run(&["cp", &format!("{ws}:big.bin"), down.to_str().unwrap()]);
        assert_eq!(get.code, 0, "{}", get.output());
        assert!(
            same_file(&src, &down),
            "the object is the file as it is now"
        );
        assert!(journal.open_uploads(&job.id).unwrap().is_empty());
        assert_eq!(
            parts_left(&client, &server, &bucket, key, upload_id).await,
            0,
            "the kept upload was completed or aborted, not left open"
        );
        return;
    }
    let cancel = user.run(&["jobs", "cancel", &job.id]);
    assert_eq!(cancel.code, 0, "{}", cancel.output());
    assert_eq!(
        parts_left(&client, &server, &bucket, key, upload_id).await,
        0,
        "giving up aborted the upload"
    );
    let after = journal.job(&job.id).unwrap().unwrap();
    assert_eq!(after.state, JobState::Cancelled);
    assert!(journal.open_uploads(&job.id).unwrap().is_empty());
}

on_both_servers! {
    failed_upload_whose_abort_failed;
    a_failed_upload_whose_abort_failed_is_given_up: Then::GiveUp;
    a_failed_upload_whose_abort_is_still_refused_is_given_up_twice: Then::GiveUpTwice;
    a_failed_upload_whose_abort_failed_is_retried: Then::Retry;
    a_failed_upload_whose_file_changed_is_retried_from_scratch: Then::EditThenRetry;
    a_failed_upload_whose_file_changed_is_sent_anew_while_its_abort_is_refused:
        Then::EditThenRetryWhileAbortsAreRefused;
    a_failed_upload_set_aside_is_aborted_when_its_job_ends:
        Then::EditThenRetryWhileAbortsAreRefusedAtFirst;
}

/// An answer the network lost after the server had acted on the request.
#[derive(Clone, Copy, PartialEq)]
enum Lost {
    /// CompleteMultipartUpload's answers; everything else goes through.
    Completion,
    /// CompleteMultipartUpload's answers, and then the network fails until healed.
    CompletionThenDown,
    /// Every part after the first is refused, and the abort that follows is carried out but its
    /// answer is lost; then ListParts shows the upload holds nothing.
    Abort,
    /// As `Abort`, and then the network fails until healed.
    AbortThenDown,
}

/// A server may act on a request whose answer never arrives. A completed upload is recognised by
/// its object (the multipart ETag of the parts Ferry sent, and the size): done, with nothing
/// sent again, on the spot or at the retry. An upload aborted behind Ferry's back is forgotten
/// once the server shows it holds nothing, and otherwise kept, but not continued (s3s-fs
/// answers ListParts even for an upload that is gone): the retry starts anew.
async fn lost_answer(server: Server, lost: Lost) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let healed = Arc::new(AtomicBool::new(false));
    // Set by the request whose answer is lost; only then does the network go down (before it,
    // Ferry looks for what it would replace).
    let down = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, {
        let healed = healed.clone();
        move |_, method, target| {
            if healed.load(Ordering::SeqCst) {
                return Action::Forward;
            }
            let upload = target.contains("uploadId=");
            let lost_here = match lost {
                Lost::Completion | Lost::CompletionThenDown => method == "POST" && upload,
                Lost::Abort | Lost::AbortThenDown => method == "DELETE" && upload,
            };
            let refused_part = matches!(lost, Lost::Abort | Lost::AbortThenDown)
                && method == "PUT"
                && part_number(target).is_some_and(|n| n >= 2);
            if lost_here {
                if matches!(lost, Lost::CompletionThenDown | Lost::AbortThenDown) {
                    down.store(true, Ordering::SeqCst);
                }
                Action::CutAfter(0)
            } else if refused_part || down.load(Ordering::SeqCst) {
                Action::InternalError
            } else {
                Action::Forward
            }
        }
    })
    .await;
    // One part at a time: part 1 is answered before a later one is refused, so no part of it
    // is still on its way when the upload is aborted.
    let ThreeParts {
        user,
        bucket,
        direct,
        via: ws,
        src,
    } = three_parts(&server, &proxy, "lost", &[("part_concurrency", 1.into())]);
    let up = user.run(&["cp", src.to_str().unwrap(), &format!("{ws}:big.bin")]);
    let journal = user.journal();
    let job = journal.jobs().unwrap().pop().unwrap();
    let created = |proxy: &Proxy| {
        proxy
            .seen()
            .iter()
            .filter(|s| s.method == "POST" && s.target.contains("uploads"))
            .count()
    };
    let parts_sent = |proxy: &Proxy| {
        proxy
            .seen()
            .iter()
            .filter(|s| s.method == "PUT" && part_number(&s.target).is_some())
            .count()
    };
    // Every upload the server began, the first run's included.
    let mut begun = proxy.upload_ids();
    if lost == Lost::Completion {
        assert_eq!(up.code, 0, "the object is there: {}", up.output());
        assert_eq!(created(&proxy), 1, "one upload: {:?}", proxy.seen());
        assert_eq!(parts_sent(&proxy), 3, "each part once: {:?}", proxy.seen());
    } else {
        assert_ne!(up.code, 0, "{}", up.output());
        let kept = usize::from(lost != Lost::Abort);
        assert_eq!(
            journal.open_uploads(&job.id).unwrap().len(),
            kept,
            "kept only while the server could not show the upload holds nothing: {}",
            up.output()
        );
        healed.store(true, Ordering::SeqCst);
        proxy.clear();
        let retry = user.run(&["jobs", "retry", &job.id]);
        assert_eq!(retry.code, 0, "{}", retry.output());
        let (fresh, resent) = match lost {
            // Nothing to send: the object was complete all along.
            Lost::CompletionThenDown => (0, 0),
            _ => (1, 3),
        };
        assert_eq!(created(&proxy), fresh, "new uploads: {:?}", proxy.seen());
        assert_eq!(parts_sent(&proxy), resent, "parts: {:?}", proxy.seen());
        begun.extend(proxy.upload_ids());
    }
    let down = user.home.path().join("down.bin");
    let get = user.run(&["cp", &format!("{direct}:big.bin"), down.to_str().unwrap()]);
    assert_eq!(get.code, 0, "{}", get.output());
    assert!(same_file(&src, &down), "the object is the file");
    assert!(journal.open_uploads(&job.id).unwrap().is_empty());
    let client = sdk_client(&server);
    for (target, id) in begun {
        let key = target
            .split('?')
            .next()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap();
        assert_eq!(
            parts_left(&client, &server, &bucket, key, &id).await,
            0,
            "upload {id} is not left open"
        );
    }
}

/// A completion the server refused, without acting on it, while an object with the same bytes
/// (written earlier, with other headers) is at the key: the upload is not taken for done, since
/// it was still open; the retry writes the object with the new headers.
async fn an_identical_earlier_object_is_no_completion(server: Server) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let healed = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, {
        let healed = healed.clone();
        move |_, method, target| {
            let completion = method == "POST" && target.contains("uploadId=");
            if completion && !healed.load(Ordering::SeqCst) {
                Action::InternalError
            } else {
                Action::Forward
            }
        }
    })
    .await;
    let ThreeParts {
        user,
        direct,
        via: ws,
        src,
        ..
    } = three_parts(&server, &proxy, "earlier", &[]);
    let src = src.to_str().unwrap();
    let earlier = user.run(&[
        "cp",
        "--content-type",
        "text/x-earlier",
        src,
        &format!("{direct}:big.bin"),
    ]);
    assert_eq!(earlier.code, 0, "{}", earlier.output());

    let up = user.run(&[
        "cp",
        "--overwrite",
        "--content-type",
        "application/x-new",
        src,
        &format!("{ws}:big.bin"),
    ]);
    assert_ne!(up.code, 0, "the server never completed it: {}", up.output());
    let job = user.journal().jobs().unwrap().pop().unwrap();
    assert!(
        user.journal().open_uploads(&job.id).unwrap().is_empty(),
        "aborted"
    );
    let before = stat_json(&user, &format!("{direct}:big.bin"));
    assert_eq!(before["content_type"], "text/x-earlier", "untouched");

    healed.store(true, Ordering::SeqCst);
    let retry = user.run(&["jobs", "retry", &job.id]);
    assert_eq!(retry.code, 0, "{}", retry.output());
    let after = stat_json(&user, &format!("{direct}:big.bin"));
    assert_eq!(after["content_type"], "application/x-new");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identical_earlier_object_is_no_completion_on_moto() {
    an_identical_earlier_object_is_no_completion(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_identical_earlier_object_is_no_completion_on_s3s() {
    an_identical_earlier_object_is_no_completion(s3s()).await;
}

on_both_servers! {
    lost_answer;
    an_upload_completed_whose_answer_was_lost_is_done: Lost::Completion;
    an_upload_completed_whose_answer_was_lost_is_done_at_the_retry: Lost::CompletionThenDown;
    an_upload_aborted_whose_answer_was_lost_is_forgotten: Lost::Abort;
    an_upload_aborted_whose_answer_was_lost_starts_anew_at_the_retry: Lost::AbortThenDown;
}

/// A bucket that applies SSE-KMS by default, unasked: AWS then answers with ETags that are not
/// MD5s. Uploads (one request and in parts) and downloads (streamed and in ranges) complete
/// with identical bytes; no good object is taken for a damaged one, and none is removed.
async fn a_bucket_encrypting_with_kms_by_default(server: Server) {
    // moto checks the part ETags named at completion against the MD5s it keeps, so there its
    // parts' answers stay as they are (s3s-fs takes the opaque ones, as AWS does).
    let plain_parts = server.name == "moto";
    let proxy = Proxy::start(&server.endpoint, move |_, _, target| {
        if plain_parts && part_number(target).is_some() {
            Action::Forward
        } else {
            Action::ForwardAsKms
        }
    })
    .await;
    let user = User::new();
    let bucket = unique_bucket("kms");
    let direct = user.add_s3(&server, &bucket);
    let ws = user.add_s3_workspace(&server.through(&proxy), &bucket);
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 5.into()),
    ]);
    let src = user.home.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    big_file(&src.join("big.bin"), 12);
    std::fs::write(src.join("small.txt"), "under the threshold").unwrap();
    let up = user.run(&["cp", "-r", src.to_str().unwrap(), &format!("{ws}:data/")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let sse = stat_json(&user, &format!("{ws}:data/big.bin"));
    assert_eq!(sse["server_side_encryption"], "aws:kms", "as AWS would say");

    let down = user.home.path().join("down");
    let get = user.run(&["cp", "-r", &format!("{ws}:data"), down.to_str().unwrap()]);
    assert_eq!(get.code, 0, "{}", get.output());
    assert_eq!(read_tree(&src), read_tree(&down), "identical both ways");
    let kept = user.home.path().join("kept");
    let back = user.run(&[
        "cp",
        "-r",
        &format!("{direct}:data"),
        kept.to_str().unwrap(),
    ]);
    assert_eq!(back.code, 0, "{}", back.output());
    assert_eq!(read_tree(&src), read_tree(&kept), "the server holds both");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_encrypting_with_kms_by_default_on_moto() {
    a_bucket_encrypting_with_kms_by_default(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bucket_encrypting_with_kms_by_default_on_s3s() {
    a_bucket_encrypting_with_kms_by_default(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_then_resume_sends_no_finished_part_again_on_moto() {
    kill_9_mid_upload_then_resume_sends_no_finished_part_again(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_mid_upload_then_resume_sends_no_finished_part_again_on_s3s() {
    kill_9_mid_upload_then_resume_sends_no_finished_part_again(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_leaves_no_open_multipart_upload_on_moto() {
    cancel_leaves_no_open_multipart_upload(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancel_leaves_no_open_multipart_upload_on_s3s() {
    cancel_leaves_no_open_multipart_upload(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_whose_verification_fails_keeps_the_source_on_moto() {
    a_move_whose_verification_fails_keeps_the_source(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_move_whose_verification_fails_keeps_the_source_on_s3s() {
    a_move_whose_verification_fails_keeps_the_source(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sync_of_an_unchanged_tree_sends_nothing_on_moto() {
    a_second_sync_of_an_unchanged_tree_sends_nothing(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_second_sync_of_an_unchanged_tree_sends_nothing_on_s3s() {
    a_second_sync_of_an_unchanged_tree_sends_nothing(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_third_request_answered_503_still_completes_identically_on_moto() {
    every_third_request_answered_503_still_completes_identically(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_third_request_answered_503_still_completes_identically_on_s3s() {
    every_third_request_answered_503_still_completes_identically(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_whose_parts_do_not_match_the_etag_leaves_no_file() {
    let server = moto();
    let proxy = Proxy::start(&server.endpoint, |_, method, _| {
        if method == "HEAD" {
            Action::ForwardWithEtag("\"0123456789abcdef0123456789abcdef-4\"".into())
        } else {
            Action::Forward
        }
    })
    .await;
    let user = User::new();
    let bucket = unique_bucket("badetag");
    let direct = user.add_s3(&server, &bucket);
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 5.into()),
    ]);
    let src = user.home.path().join("src.bin");
    big_file(&src, 20);
    assert_eq!(
        user.run(&["cp", src.to_str().unwrap(), &format!("{direct}:x.bin")])
            .code,
        0
    );
    let flaky = user.add_s3_workspace(&server.through(&proxy), &bucket);
    let dest = user.home.path().join("out");
    std::fs::create_dir_all(&dest).unwrap();
    let run = user.run(&["cp", &format!("{flaky}:x.bin"), dest.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.output());
    assert!(run.stderr.contains("checksum mismatch"), "{}", run.stderr);
    assert!(
        std::fs::read_dir(&dest).unwrap().next().is_none(),
        "no file, not even a partial one"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn copies_between_buckets_of_one_endpoint_stay_on_the_server() {
    let server = moto();
    let proxy = Proxy::start(&server.endpoint, |_, _, _| Action::Forward).await;
    let user = User::new();
    let a = user.add_s3(&server.through(&proxy), &unique_bucket("ssa"));
    let b = user.add_s3(&server.through(&proxy), &unique_bucket("ssb"));
    let src = user.home.path().join("x.bin");
    big_file(&src, 3);
    assert_eq!(
        user.run(&["cp", src.to_str().unwrap(), &format!("{a}:x.bin")])
            .code,
        0
    );
    proxy.clear();
    let run = user.run(&["cp", &format!("{a}:x.bin"), &format!("{b}:copied/x.bin")]);
    assert_eq!(run.code, 0, "{}", run.output());
    let seen = proxy.seen();
    let object_gets = seen
        .iter()
        .filter(|s| {
            s.method == "GET" && s.target.split('?').next().unwrap_or("").ends_with("x.bin")
        })
        .count();
    assert_eq!(
        object_gets, 0,
        "no byte of the object came through Ferry: {seen:?}"
    );
    assert!(
        seen.iter().any(|s| s.target.contains("CopyObject")),
        "the server copied: {seen:?}"
    );
    let down = user.home.path().join("down.bin");
    assert_eq!(
        user.run(&["cp", &format!("{b}:copied/x.bin"), down.to_str().unwrap()])
            .code,
        0
    );
    assert!(same_file(&src, &down));
}

/// Above CopyObject's limit a copy is a multipart upload of copied parts, which starts with no
/// headers: the source's content type, cache control, disposition and user metadata must still
/// arrive (a CopyObject carries them by itself).
async fn a_copy_in_parts_keeps_the_source_headers_and_metadata(server: Server) {
    use ferry_storage::BackendExt;
    use ferry_storage::backend::{Backend, PutBody, PutOptions};
    use ferry_storage::key::ObjectKey;
    use ferry_storage::s3::{ChecksumMode, S3Backend};

    let made = server
        .fresh_backend("mpcopy", ChecksumMode::WhenRequired)
        .await;
    let mut config = made.config().clone();
    config.max_single_copy = 1024 * 1024;
    let backend = S3Backend::connect(config).await;
    let data = bytes::Bytes::from(
        (0..3 * 1024 * 1024 + 5)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>(),
    );
    let options = PutOptions {
        content_type: Some("application/x-ferry-test".into()),
        cache_control: Some("max-age=60".into()),
        metadata: [("owner".to_string(), "ferry tests".to_string())].into(),
        ..PutOptions::default()
    };
    let (from, to) = (
        ObjectKey::new("src/data.raw"),
        ObjectKey::new("dst/copy.txt"),
    );
    backend
        .put(&from, PutBody::from_bytes(data.clone()), &options)
        .await
        .unwrap();
    let copied = backend
        .copy(&from, &to, ferry_storage::WriteMode::Overwrite)
        .await
        .unwrap();

    let etag = copied.etag.clone().unwrap_or_default();
    assert!(
        etag.contains('-'),
        "copied in parts (a multipart ETag), got {etag:?}"
    );
    assert_eq!(backend.get_bytes(&to).await.unwrap(), data);
    assert_eq!(
        copied.content_type.as_deref(),
        Some("application/x-ferry-test"),
        "the source's type, not one guessed from the new name"
    );
    assert_eq!(copied.cache_control.as_deref(), Some("max-age=60"));
    assert_eq!(
        copied.metadata.get("owner").map(String::as_str),
        Some("ferry tests")
    );
}

/// A copy in parts records its upload in the journal while it is open. When its completion and
/// then its abort are refused, the upload stays recorded (never one nobody knows of). The next
/// copy of the item aborts it before beginning anew; while that abort is still refused, it is
/// set aside, still known, and the copy begins anew all the same.
async fn a_copy_in_parts_whose_abort_is_refused_is_kept(server: Server) {
    use ferry_engine::transfer::Journal;
    use ferry_engine::transfer::journal::ItemLog;
    use ferry_storage::BackendExt;
    use ferry_storage::backend::{Backend, PutBody, PutOptions};
    use ferry_storage::integrity::MultipartLog;
    use ferry_storage::key::ObjectKey;
    use ferry_storage::s3::{ChecksumMode, S3Backend};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let healed = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, {
        let healed = healed.clone();
        move |_, method, target| {
            let ends_upload = matches!(method, "POST" | "DELETE") && target.contains("uploadId=");
            if ends_upload && !healed.load(Ordering::SeqCst) {
                Action::InternalError
            } else {
                Action::Forward
            }
        }
    })
    .await;
    let direct = server
        .fresh_backend("keptcopy", ChecksumMode::WhenRequired)
        .await;
    let mut config = direct.config().clone();
    config.endpoint_url = Some(proxy.url.clone());
    config.max_single_copy = 1024 * 1024;
    let via = S3Backend::connect(config).await;
    let data = ferry_storage::testkit::pattern(3 * 1024 * 1024 + 5, 3);
    let (from, to) = (
        ObjectKey::new("src/data.raw"),
        ObjectKey::new("dst/copy.raw"),
    );
    direct
        .put(
            &from,
            PutBody::from_bytes(data.clone()),
            &PutOptions::default(),
        )
        .await
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let journal = Arc::new(Journal::open(&home.path().join("journal.sqlite")).unwrap());
    let log = || -> Option<Arc<dyn MultipartLog>> {
        Some(Arc::new(ItemLog {
            journal: journal.clone(),
            job: "copyjob".into(),
            seq: 1,
            dest_key: to.to_string(),
            on_part: Box::new(|_| {}),
        }))
    };
    let source = via.copy_source(&from).unwrap();
    let size = data.len() as u64;

    let failed = via
        .copy_from(
            &source,
            size,
            &to,
            log(),
            ferry_storage::WriteMode::Overwrite,
        )
        .await;
    assert!(failed.is_err(), "the completion is refused");
    let kept = journal.open_uploads("copyjob").unwrap();
    assert_eq!(
        kept.len(),
        1,
        "the upload the server would not abort is kept"
    );
    let client = sdk_client(&server);
    let bucket = direct.config().bucket.clone();
    let (key, upload_id) = &kept[0];
    let full_key = format!("{}{key}", direct.config().prefix);
    assert!(parts_left(&client, &server, &bucket, &full_key, upload_id).await > 0);

    // Still refused: the first is set aside, the second (refused in turn) is the item's.
    assert!(
        via.copy_from(
            &source,
            size,
            &to,
            log(),
            ferry_storage::WriteMode::Overwrite
        )
        .await
        .is_err()
    );
    assert_eq!(journal.set_aside_uploads("copyjob").unwrap(), kept);
    let known = journal.open_uploads("copyjob").unwrap();
    assert_eq!(known.len(), 2, "both still known: {known:?}");
    let second = known.iter().find(|u| **u != kept[0]).unwrap().1.clone();

    healed.store(true, Ordering::SeqCst);
    via.copy_from(
        &source,
        size,
        &to,
        log(),
        ferry_storage::WriteMode::Overwrite,
    )
    .await
    .unwrap();
    assert_eq!(direct.get_bytes(&to).await.unwrap(), data);
    assert_eq!(
        journal.open_uploads("copyjob").unwrap(),
        kept,
        "the item's own was aborted before the copy began anew; the one set aside is left for \
         its job to end"
    );
    assert_eq!(
        parts_left(&client, &server, &bucket, &full_key, &second).await,
        0
    );
    assert!(parts_left(&client, &server, &bucket, &full_key, upload_id).await > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_in_parts_whose_abort_is_refused_is_kept_on_moto() {
    a_copy_in_parts_whose_abort_is_refused_is_kept(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_in_parts_whose_abort_is_refused_is_kept_on_s3s() {
    a_copy_in_parts_whose_abort_is_refused_is_kept(s3s()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_in_parts_keeps_the_source_headers_and_metadata_on_moto() {
    a_copy_in_parts_keeps_the_source_headers_and_metadata(moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_in_parts_keeps_the_source_headers_and_metadata_on_s3s() {
    a_copy_in_parts_keeps_the_source_headers_and_metadata(s3s()).await;
}

/// A lost answer to CreateMultipartUpload leaves an upload Ferry never learned of, which it
/// aborts; an upload of the same key that another client began before is not Ferry's and stays
/// (S3 shows no metadata of an upload in progress: what was open before Ferry asked is not its).
#[tokio::test(flavor = "multi_thread")]
async fn a_stray_is_aborted_but_another_clients_upload_of_the_key_stays() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let server = moto();
    let cut = Arc::new(AtomicBool::new(false));
    let proxy = Proxy::start(&server.endpoint, move |_, method, target| {
        if method == "POST" && target.contains("?uploads") && !cut.swap(true, Ordering::SeqCst) {
            Action::CutAfter(0)
        } else {
            Action::Forward
        }
    })
    .await;
    let ThreeParts {
        user,
        bucket,
        via,
        src,
        ..
    } = three_parts(&server, &proxy, "stray", &[]);
    let client = sdk_client(&server);
    let theirs = client
        .create_multipart_upload()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap()
        .upload_id
        .unwrap();
    let up = user.run(&["cp", src.to_str().unwrap(), &format!("{via}:big.bin")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let begun: Vec<String> = proxy.upload_ids().into_iter().map(|(_, id)| id).collect();
    assert_eq!(
        begun.len(),
        2,
        "the lost one and the one used: {:?}",
        proxy.seen()
    );
    let open: Vec<String> = client
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap()
        .uploads()
        .iter()
        .filter_map(|u| u.upload_id().map(str::to_string))
        .collect();
    assert_eq!(
        open,
        vec![theirs],
        "Ferry's stray {} is aborted, theirs is not",
        begun[0]
    );
}

/// An object the server keeps a whole-object CRC for is downloaded in parallel ranges checked
/// by that CRC (far cheaper than MD5): the ranges' CRCs must combine to the server's, so one
/// range answered with other bytes fails the job before any file is written, and the message
/// names the checksum. A multipart object whose checksum is not clearly composite or whole
/// (moto prints a composite CRC without its `-N`) is checked by its ETag instead — and a good
/// download of it still succeeds.
async fn a_ranged_download_is_checked_by_the_servers_crc(server: Server, multipart: bool) {
    let user = User::new();
    let bucket = unique_bucket("crc");
    let direct = user.add_s3(&server, &bucket);
    let run = user.run(&[
        "workspace",
        "edit",
        &direct,
        "--checksums",
        "when-supported",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let threshold = if multipart { 6 } else { 64 };
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", threshold.into()),
    ]);
    let src = user.home.path().join("big.bin");
    big_file(&src, 13);
    let run = user.run(&["cp", src.to_str().unwrap(), &format!("{direct}:big.bin")]);
    assert_eq!(run.code, 0, "{}", run.output());
    let head = sdk_client(&server)
        .head_object()
        .bucket(&bucket)
        .key("big.bin")
        .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
        .send()
        .await
        .unwrap();
    assert!(
        multipart || head.checksum_crc32().is_some(),
        "{} keeps no CRC32 of an upload that sent one: {head:?}",
        server.name
    );

    let damage = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let rule = damage.clone();
    // Only the second ranged GET is damaged: the others, and the HEAD, are answered truly.
    let proxy = Proxy::start(&server.endpoint, move |n, method, target| {
        let get = method == "GET" && !target.contains("list-type=");
        if get && rule.load(std::sync::atomic::Ordering::SeqCst) && n % 2 == 0 {
            Action::Malform
        } else {
            Action::Forward
        }
    })
    .await;
    let faulty = user.add_s3_workspace(&server.through(&proxy), &bucket);
    let run = user.run(&[
        "workspace",
        "edit",
        &faulty,
        "--checksums",
        "when-supported",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let out = user.home.path().join("out.bin");
    let run = user.run(&["cp", &format!("{faulty}:big.bin"), out.to_str().unwrap()]);
    assert_ne!(run.code, 0, "{}", run.output());
    assert!(
        run.output().contains("checksum mismatch") && (multipart || run.output().contains("CRC32")),
        "the failure names the server's CRC: {}",
        run.output()
    );
    assert!(!out.exists(), "nothing is written from damaged ranges");
    let left: Vec<_> = std::fs::read_dir(user.home.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".ferry-partial")
        })
        .collect();
    assert!(left.is_empty(), "no partial file stays: {left:?}");

    damage.store(false, std::sync::atomic::Ordering::SeqCst);
    let run = user.run(&["cp", &format!("{faulty}:big.bin"), out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.output());
    assert!(same_file(&src, &out));
}

on_both_servers! { a_ranged_download_is_checked_by_the_servers_crc;
    crc_checked_ranges_of_one_part: false;
    crc_checked_ranges_of_parts: true;
}

/// A large upload's parts are not held in memory: each is summed from the file, then streamed
/// from it. A file written while a part is on its way is noticed after the send — the part's
/// sums would describe other bytes than were sent — so that upload is abandoned (aborted):
/// either the job says the file changed, or it sent the file anew and the object is the file
/// as it now is — never a mix of before and after.
#[tokio::test(flavor = "multi_thread")]
async fn a_file_written_while_its_part_is_sent_abandons_that_upload() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("stamp");
    user.add_s3(&server, &bucket);
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 6.into()),
    ]);
    // Parts are held at the proxy for a while, so the file can be written meanwhile.
    let proxy = Proxy::start(&server.endpoint, |_, method, target| {
        if method == "PUT" && target.contains("partNumber=") {
            Action::Delay(std::time::Duration::from_millis(1500))
        } else {
            Action::Forward
        }
    })
    .await;
    let faulty = user.add_s3_workspace(&server.through(&proxy), &bucket);
    let src = user.home.path().join("big.bin");
    big_file(&src, 11);
    let child = user
        .command(&["cp", src.to_str().unwrap(), &format!("{faulty}:big.bin")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until(60, "a part on its way", || {
        proxy
            .seen()
            .iter()
            .any(|s| s.target.contains("partNumber="))
    });
    let mut bytes = std::fs::read(&src).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&src, &bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = proxy.seen();
    let aborts = seen
        .iter()
        .filter(|s| s.method == "DELETE" && s.target.contains("AbortMultipartUpload"))
        .count();
    assert!(
        aborts >= 1,
        "the upload whose file changed under it was abandoned: {seen:#?}"
    );
    if !out.status.success() {
        // Caught while the part was sent, or as the file shrank under the read: either way
        // the upload is abandoned and the item fails, saying why.
        assert!(
            text.contains("changed while part") || text.contains("shrank while it was being sent"),
            "{text}"
        );
        return;
    }
    let got = sdk_client(&server)
        .get_object()
        .bucket(&bucket)
        .key("big.bin")
        .send()
        .await
        .unwrap()
        .body
        .collect()
        .await
        .unwrap()
        .into_bytes();
    assert!(
        got[..] == bytes[..],
        "the object is the file as it is now, not a mix of before and after"
    );
}
