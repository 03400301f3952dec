//! Upload, download, list, copy, move and sync through the fault proxy. Every job either
//! completes with verified, identical data or fails with a clear cause; then, with the network
//! healed, a retry completes it. Never a partial or corrupt file, never a lost source, and no
//! multipart upload left open once the job is done.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ferry_tests::proxy::{Action, Proxy};
use ferry_tests::{Run, Server, User, moto, read_tree, s3s, unique_bucket};

use crate::common::{
    Report, Rng, assert_clear_failure, check_tree, full, last_job, per_server, s3_tree,
    sample_tree, seeds, small_parts, still_open,
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Upload,
    Download,
    List,
    Copy,
    Move,
    Sync,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Cut,
    Stall,
    Reset,
    Delay,
    Error500,
    SlowDown,
    Truncate,
    Malform,
}

const FAULTS: [Fault; 8] = [
    Fault::Cut,
    Fault::Stall,
    Fault::Reset,
    Fault::Delay,
    Fault::Error500,
    Fault::SlowDown,
    Fault::Truncate,
    Fault::Malform,
];

/// Whether a request is part of what `op` is about (the SDK names most operations in the
/// query: `x-id=GetObject`, `list-type=2`).
fn concerns(op: Op, method: &str, target: &str) -> bool {
    let listing = target.contains("list-type=");
    match op {
        Op::Upload | Op::Copy => matches!(method, "PUT" | "POST"),
        Op::Download => matches!(method, "GET" | "HEAD") && !listing,
        Op::List => listing,
        Op::Move | Op::Sync => true,
    }
}

/// Which requests to break: a few, at seeded places, or (persistent) every one the operation
/// makes, until healed.
struct Schedule {
    op: Op,
    fault: Fault,
    rng: Mutex<Rng>,
    left: AtomicUsize,
    persistent: AtomicBool,
    healed: AtomicBool,
}

impl Schedule {
    fn action(&self, method: &str, target: &str) -> Action {
        if self.healed.load(Ordering::SeqCst) || !concerns(self.op, method, target) {
            return Action::Forward;
        }
        let mut rng = self.rng.lock().unwrap();
        if !self.persistent.load(Ordering::SeqCst) {
            if self.left.load(Ordering::SeqCst) == 0 || rng.below(3) != 0 {
                return Action::Forward;
            }
            self.left.fetch_sub(1, Ordering::SeqCst);
        }
        match self.fault {
            Fault::Cut => Action::CutAfter([0, 12, 100, 400, 4096, 70_000][rng.below(6) as usize]),
            Fault::Stall => Action::Stall,
            Fault::Reset => Action::Reset,
            Fault::Delay => Action::Delay(Duration::from_millis(50 + rng.below(400))),
            Fault::Error500 => Action::InternalError,
            Fault::SlowDown => Action::SlowDown,
            Fault::Truncate => Action::Truncate,
            Fault::Malform => Action::Malform,
        }
    }
}

struct Setup {
    user: User,
    server: Server,
    bucket: String,
    /// The workspace that reaches the server directly, to prepare and to check.
    direct: String,
    /// The same bucket through the fault proxy.
    faulty: String,
    proxy: Proxy,
    schedule: std::sync::Arc<Schedule>,
    tree: BTreeMap<String, Vec<u8>>,
}

async fn setup(server: Server, op: Op, fault: Fault, seed: u64) -> Setup {
    let schedule = std::sync::Arc::new(Schedule {
        op,
        fault,
        rng: Mutex::new(Rng::new(seed)),
        left: AtomicUsize::new(3),
        persistent: AtomicBool::new(false),
        healed: AtomicBool::new(true),
    });
    let rule = schedule.clone();
    let proxy = Proxy::start(&server.endpoint, move |_, method, target| {
        rule.action(method, target)
    })
    .await;
    let user = User::new();
    let bucket = unique_bucket("fault");
    let direct = user.add_s3(&server, &bucket);
    let faulty = user.add_s3_workspace(&server.through(&proxy), &bucket);
    small_parts(&user);
    let tree = sample_tree(&user.home.path().join("src"), seed);
    if matches!(op, Op::Download | Op::List | Op::Copy) {
        let src = user.home.path().join("src");
        let run = user.run(&[
            "cp",
            "-r",
            src.to_str().unwrap(),
            &format!("{direct}:data/"),
        ]);
        assert_eq!(run.code, 0, "{}", run.output());
    }
    Setup {
        user,
        server,
        bucket,
        direct,
        faulty,
        proxy,
        schedule,
        tree,
    }
}

impl Setup {
    fn src(&self) -> String {
        self.user
            .home
            .path()
            .join("src")
            .to_string_lossy()
            .into_owned()
    }

    /// Runs `op` through the proxy into destination number `round`.
    fn run(&self, op: Op, round: usize) -> Run {
        let (f, src) = (&self.faulty, self.src());
        let down = self.user.home.path().join(format!("down{round}"));
        let args: Vec<String> = match op {
            Op::Upload => vec!["cp".into(), "-r".into(), src, format!("{f}:up{round}/")],
            Op::Download => vec![
                "cp".into(),
                "-r".into(),
                format!("{f}:data"),
                down.to_string_lossy().into_owned(),
            ],
            Op::List => vec![
                "ls".into(),
                "-r".into(),
                "--json".into(),
                format!("{f}:data"),
            ],
            Op::Copy => vec![
                "cp".into(),
                "-r".into(),
                format!("{f}:data"),
                format!("{f}:copy{round}/"),
            ],
            Op::Move => vec!["mv".into(), "-r".into(), src, format!("{f}:moved{round}/")],
            Op::Sync => vec!["sync".into(), src, format!("{f}:synced{round}/")],
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.user.run(&args)
    }

    /// Checks what `op` left in destination `round`; `complete` when the job said it finished.
    fn check(&self, report: &mut Report, op: Op, round: usize, run: &Run, complete: bool) {
        let what = format!("{op:?} round {round}");
        match op {
            Op::List => {
                if complete {
                    let listed: serde_json::Value = serde_json::from_str(&run.stdout)
                        .unwrap_or_else(|e| {
                            panic!("{what}: listing is not JSON ({e}): {}", run.output())
                        });
                    let sizes: BTreeMap<String, u64> = listed
                        .as_array()
                        .unwrap()
                        .iter()
                        .filter(|e| e["type"] == "object")
                        .map(|e| {
                            let key = e["key"].as_str().unwrap();
                            (
                                key.split_once("data/").map_or(key, |(_, k)| k).to_string(),
                                e["size"].as_u64().unwrap(),
                            )
                        })
                        .collect();
                    let want: BTreeMap<String, u64> = self
                        .tree
                        .iter()
                        .map(|(k, v)| (k.clone(), v.len() as u64))
                        .collect();
                    assert_eq!(sizes, want, "{what}: the listing is complete and exact");
                    report.files_verified += sizes.len();
                }
            }
            Op::Download => {
                let down = self.user.home.path().join(format!("down{round}"));
                let got = if down.exists() {
                    read_tree(&down)
                } else {
                    BTreeMap::new()
                };
                check_tree(report, &what, &self.tree, &got, complete);
            }
            Op::Upload | Op::Copy | Op::Sync | Op::Move => {
                let prefix = match op {
                    Op::Upload => format!("up{round}"),
                    Op::Copy => format!("copy{round}"),
                    Op::Sync => format!("synced{round}"),
                    _ => format!("moved{round}"),
                };
                let got = s3_tree(&self.user, &self.direct, &prefix);
                check_tree(report, &what, &self.tree, &got, complete);
                if op == Op::Move {
                    self.check_move_sources(report, &what, &got);
                }
            }
        }
    }

    /// A move's source may be gone only where its destination holds identical bytes.
    fn check_move_sources(
        &self,
        report: &mut Report,
        what: &str,
        moved: &BTreeMap<String, Vec<u8>>,
    ) {
        let src = std::path::Path::new(&self.src()).to_path_buf();
        let left = if src.exists() {
            read_tree(&src)
        } else {
            BTreeMap::new()
        };
        for (name, bytes) in &self.tree {
            match (left.get(name), moved.get(name)) {
                (Some(l), _) if l == bytes => {}
                (None, Some(m)) if m == bytes => {}
                _ => {
                    report.bytes_lost += bytes.len() as u64;
                    panic!("{what}: {name} is neither in the source nor safely at the destination");
                }
            }
        }
    }

    /// Restores the source a move consumed, for the next round.
    fn restore_source(&self) {
        let src = std::path::Path::new(&self.src()).to_path_buf();
        for (name, bytes) in &self.tree {
            let path = src.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, bytes).unwrap();
        }
    }
}

/// One round: run `op` with the schedule armed; check; heal; retry if it failed; check again;
/// and make sure no multipart upload stays open.
async fn round(s: &Setup, report: &mut Report, op: Op, round: usize, persistent: bool) {
    s.schedule.persistent.store(persistent, Ordering::SeqCst);
    s.schedule.left.store(3, Ordering::SeqCst);
    s.schedule.healed.store(false, Ordering::SeqCst);
    let before = s.proxy.faults();
    let run = s.run(op, round);
    s.schedule.healed.store(true, Ordering::SeqCst);
    report.faults += s.proxy.faults() - before;
    report.job(&run);
    let what = format!(
        "{op:?} with {:?} (round {round}, persistent {persistent})",
        s.schedule.fault
    );
    if s.schedule.fault == Fault::Delay {
        assert_eq!(
            run.code,
            0,
            "{what}: a slow server is not an error: {}",
            run.output()
        );
    }
    if run.code != 0 {
        assert_clear_failure(&run, &what);
    }
    // Before checking: reading the destination back is a job of its own.
    let job = (op != Op::List).then(|| last_job(&s.user));
    s.check(report, op, round, &run, run.code == 0);
    if run.code != 0
        && let Some(job) = &job
    {
        // A failed job may keep uploads open to resume them, but only ones its journal knows
        // (so `ferry jobs cancel` or a retry ends them), never a hidden one.
        let known: Vec<String> = s
            .user
            .journal()
            .open_uploads(job)
            .unwrap()
            .into_iter()
            .map(|(_, id)| id)
            .collect();
        let open = still_open(&s.server, &s.bucket, &s.proxy.upload_ids()).await;
        let hidden: Vec<&String> = open
            .iter()
            .filter(|o| !known.iter().any(|id| o.contains(id.as_str())))
            .collect();
        assert!(
            hidden.is_empty(),
            "{what}: uploads open that the journal does not know: {hidden:?}"
        );
    }
    if run.code != 0 {
        let again = if op == Op::List {
            s.run(op, round)
        } else {
            s.user.run(&["jobs", "retry", job.as_deref().unwrap()])
        };
        report.job(&again);
        assert_eq!(
            again.code,
            0,
            "{what}: retried on a healthy network: {}",
            again.output()
        );
        let check_run = if op == Op::List { &again } else { &run };
        s.check(report, op, round, check_run, true);
    }
    let open = still_open(&s.server, &s.bucket, &s.proxy.upload_ids()).await;
    assert!(
        open.is_empty(),
        "{what}: multipart uploads left open: {open:?}"
    );
    if op == Op::Move {
        s.restore_source();
    }
}

async fn all_faults(server: Server, op: Op) {
    let persistent_too = full();
    for seed in seeds(1, 4) {
        for fault in FAULTS {
            let mut report = Report::new(format!(
                "faults/{}/{op:?}/{fault:?}/seed {seed}",
                server.name
            ));
            let s = setup(server.clone(), op, fault, seed).await;
            round(&s, &mut report, op, 1, false).await;
            // Every request broken until healed: on every run with the cheap faults, and with
            // all of them under FERRY_RELIABILITY_FULL (a stall costs seconds per attempt).
            if persistent_too || matches!(fault, Fault::Error500 | Fault::Reset | Fault::Malform) {
                round(&s, &mut report, op, 2, true).await;
            }
            assert_eq!(report.bytes_lost, 0);
            assert_eq!(report.panics, 0);
        }
    }
}

per_server! {
    all_faults;
    upload_through_faults_on_s3s: s3s(), Op::Upload;
    download_through_faults_on_s3s: s3s(), Op::Download;
    list_through_faults_on_s3s: s3s(), Op::List;
    copy_through_faults_on_s3s: s3s(), Op::Copy;
    move_through_faults_on_s3s: s3s(), Op::Move;
    sync_through_faults_on_s3s: s3s(), Op::Sync;
    upload_through_faults_on_moto: moto(), Op::Upload;
    download_through_faults_on_moto: moto(), Op::Download;
    list_through_faults_on_moto: moto(), Op::List;
    copy_through_faults_on_moto: moto(), Op::Copy;
    move_through_faults_on_moto: moto(), Op::Move;
    sync_through_faults_on_moto: moto(), Op::Sync;
}
