//! `kill -9` of the CLI at seeded points of an upload, download, move and sync: the process is
//! frozen with its K-th request in flight (the proxy holds it) and killed. After `ferry jobs
//! resume` on a healthy network every file is present exactly once and byte-identical, and a
//! move's source is gone only where its copy was verified.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use ferry_tests::proxy::{Action, Proxy};
use ferry_tests::{Server, User, moto, read_tree, s3s, unique_bucket, wait_until};

use crate::common::{
    Report, Rng, check_tree, per_server, s3_tree, sample_tree, seeds, small_parts,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Upload,
    Download,
    Move,
    Sync,
}

async fn crash_and_resume(server: Server, op: Op, seed: u64, report: &mut Report) {
    let mut rng = Rng::new(seed * 31 + op as u64);
    // Requests from the K-th on are held: the process is frozen mid-job, then killed.
    let freeze_at = Arc::new(AtomicUsize::new(usize::MAX));
    let healed = Arc::new(AtomicBool::new(false));
    let (at, ok) = (freeze_at.clone(), healed.clone());
    let proxy = Proxy::start(&server.endpoint, move |n, _, _| {
        if !ok.load(Ordering::SeqCst) && n >= at.load(Ordering::SeqCst) {
            Action::Stall
        } else {
            Action::Forward
        }
    })
    .await;
    let user = User::new();
    let bucket = unique_bucket("crash");
    let direct = user.add_s3(&server, &bucket);
    let faulty = user.add_s3_workspace(&server.through(&proxy), &bucket);
    small_parts(&user);
    // Long enough that the frozen process is still waiting when it is killed.
    user.set_transfer(&[("silence_timeout_secs", 600.into())]);
    let src = user.home.path().join("src");
    let tree = sample_tree(&src, seed);
    if op == Op::Download {
        let run = user.run(&[
            "cp",
            "-r",
            src.to_str().unwrap(),
            &format!("{direct}:data/"),
        ]);
        assert_eq!(run.code, 0, "{}", run.output());
    }
    let down = user.home.path().join("down");
    let args: Vec<String> = match op {
        Op::Upload => vec![
            "cp".into(),
            "-r".into(),
            src.to_string_lossy().into(),
            format!("{faulty}:dest/"),
        ],
        Op::Download => vec![
            "cp".into(),
            "-r".into(),
            format!("{faulty}:data"),
            down.to_string_lossy().into(),
        ],
        Op::Move => vec![
            "mv".into(),
            "-r".into(),
            src.to_string_lossy().into(),
            format!("{faulty}:dest/"),
        ],
        Op::Sync => vec![
            "sync".into(),
            src.to_string_lossy().into(),
            format!("{faulty}:dest/"),
        ],
    };
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    // The sample tree takes about a dozen requests; a point past the end means no crash.
    let k = 1 + rng.below(14) as usize;
    freeze_at.store(proxy.seen().len() + k, Ordering::SeqCst);
    let mut child = user
        .command(&args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let target = proxy.seen().len() + k;
    let mut exited = None;
    wait_until(120, "the job to reach its kill point or end", || {
        if let Ok(Some(status)) = child.try_wait() {
            exited = Some(status);
            return true;
        }
        proxy.seen().len() >= target
    });
    if exited.is_none() {
        child.kill().unwrap();
        let _ = child.wait();
    }
    let stderr = {
        use std::io::Read;
        let mut text = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut text);
        text
    };
    report.jobs += 1;
    report.faults += usize::from(exited.is_none());
    report.panics += stderr.matches("panicked at").count();
    healed.store(true, Ordering::SeqCst);

    let resumed = user.run(&["jobs", "resume"]);
    report.job(&resumed);
    assert_eq!(
        resumed.code,
        0,
        "{op:?}, kill at request {k}: resume: {}",
        resumed.output()
    );
    let what = format!(
        "{op:?} on {}, seed {seed}, killed at request {k}",
        server.name
    );
    let got: BTreeMap<String, Vec<u8>> = match op {
        Op::Download => read_tree(&down),
        _ => s3_tree(&user, &direct, "dest"),
    };
    check_tree(report, &what, &tree, &got, true);
    if op == Op::Move {
        let left = if src.exists() {
            read_tree(&src)
        } else {
            BTreeMap::new()
        };
        for (name, bytes) in &tree {
            let safe = left.get(name) == Some(bytes) || got.get(name) == Some(bytes);
            assert!(safe, "{what}: {name} lost");
        }
        assert!(
            left.is_empty(),
            "{what}: the resumed move finished, so no source is left: {:?}",
            left.keys()
        );
    }
}

async fn many_seeds(server: Server, op: Op) {
    let mut report = Report::new(format!("crash/{}/{op:?}", server.name));
    for seed in seeds(3, 20) {
        crash_and_resume(server.clone(), op, seed, &mut report).await;
    }
    assert_eq!((report.bytes_lost, report.panics), (0, 0));
}

per_server! {
    many_seeds;
    kill_9_mid_upload_then_resume_on_s3s: s3s(), Op::Upload;
    kill_9_mid_download_then_resume_on_s3s: s3s(), Op::Download;
    kill_9_mid_move_then_resume_on_s3s: s3s(), Op::Move;
    kill_9_mid_sync_then_resume_on_s3s: s3s(), Op::Sync;
    kill_9_mid_upload_then_resume_on_moto: moto(), Op::Upload;
    kill_9_mid_download_then_resume_on_moto: moto(), Op::Download;
    kill_9_mid_move_then_resume_on_moto: moto(), Op::Move;
    kill_9_mid_sync_then_resume_on_moto: moto(), Op::Sync;
}
