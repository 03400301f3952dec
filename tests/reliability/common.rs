//! What every reliability test shares: the report it adds to, seeded randomness, sample trees,
//! and the checks that define "nothing lost, nothing corrupt, nothing left behind".

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use ferry_tests::{Run, Server, User, read_tree, sdk_client};

/// Whether to run the slow parts (more seeds, both servers, the load tests).
pub fn full() -> bool {
    std::env::var_os("FERRY_RELIABILITY_FULL").is_some()
}

/// The seeds to try: a few every time, many under FERRY_RELIABILITY_FULL.
pub fn seeds(ci: u64, full_count: u64) -> std::ops::Range<u64> {
    if full() { 1..full_count + 1 } else { 1..ci + 1 }
}

/// What one test did, added to the suite's report when it ends (also when it fails).
pub struct Report {
    name: String,
    pub faults: usize,
    pub jobs: usize,
    pub files_verified: usize,
    pub bytes_lost: u64,
    pub secrets_found: usize,
    pub panics: usize,
    /// Generated cases run against an invariant, and the invariants they broke (must be 0).
    pub cases: usize,
    pub violations: usize,
}

impl Report {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            faults: 0,
            jobs: 0,
            files_verified: 0,
            bytes_lost: 0,
            secrets_found: 0,
            panics: 0,
            cases: 0,
            violations: 0,
        }
    }

    /// Counts a run of the CLI as a job and any panic it printed.
    pub fn job(&mut self, run: &Run) {
        self.jobs += 1;
        self.panics += run.output().matches("panicked at").count();
    }
}

impl Drop for Report {
    fn drop(&mut self) {
        let path = std::env::var_os("FERRY_RELIABILITY_REPORT")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("ferry-reliability.jsonl"));
        let line = serde_json::json!({
            "test": self.name,
            "failed": std::thread::panicking(),
            "faults": self.faults,
            "jobs": self.jobs,
            "files_verified": self.files_verified,
            "bytes_lost": self.bytes_lost,
            "secrets_found": self.secrets_found,
            "panics": self.panics,
            "cases": self.cases,
            "violations": self.violations,
        });
        // One short append per test: concurrent tests' lines do not interleave.
        if let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = file.write_all(format!("{line}\n").as_bytes());
        }
    }
}

/// splitmix64: a seeded, reproducible sequence for fault schedules and kill points (a test
/// schedule needs reproducibility, not statistical quality, so no crate for it).
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5851_f42d_4c95_7f2d)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Writes a tree of files with awkward names and sizes from empty to multipart (with the 5 MiB
/// parts [`small_parts`] sets), different for every seed. Returns what it wrote.
pub fn sample_tree(root: &Path, seed: u64) -> BTreeMap<String, Vec<u8>> {
    let mut rng = Rng::new(seed);
    let names = [
        ("empty.txt", 0usize),
        ("one byte", 1),
        ("notes/read me.md", 3 * 1024),
        ("notes/ünïcödé €.txt", 40 * 1024),
        ("photos/2026/a b+c=d.jpg", 300 * 1024),
        ("photos/2026/big.raw", 7 * 1024 * 1024 + 12_345),
    ];
    let mut out = BTreeMap::new();
    for (name, len) in names {
        let mut bytes = vec![0u8; len];
        for chunk in bytes.chunks_mut(8) {
            let word = rng.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        out.insert(name.to_string(), bytes);
    }
    out
}

/// Transfer settings that make the sample tree's big file a multipart upload and a ranged
/// download, and a silent server a 2-second problem instead of a 60-second one.
pub fn small_parts(user: &User) {
    user.set_transfer(&[
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 6.into()),
        ("silence_timeout_secs", 2.into()),
    ]);
}

/// Files whose name marks an unfinished download.
pub fn partial_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(root) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                found.extend(partial_files(&path));
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(".ferry-partial"))
            {
                found.push(path);
            }
        }
    }
    found
}

/// Checks a destination tree against what the source held: every file present must be
/// byte-identical (a corrupt file counts as lost), no partial file may remain, and, when the job
/// completed, every file must be there. Adds the verified files and lost bytes to `report`.
pub fn check_tree(
    report: &mut Report,
    what: &str,
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
    complete: bool,
) {
    let mut problems = Vec::new();
    for (name, bytes) in actual {
        if name.contains(".ferry-partial") {
            problems.push(format!("partial file left: {name}"));
            continue;
        }
        match expected.get(name) {
            Some(want) if want == bytes => report.files_verified += 1,
            Some(want) => {
                report.bytes_lost += want.len() as u64;
                problems.push(format!(
                    "{name}: {} bytes, expected {} (different content)",
                    bytes.len(),
                    want.len()
                ));
            }
            None => problems.push(format!("{name}: not in the source")),
        }
    }
    if complete {
        for (name, want) in expected {
            if !actual.contains_key(name) {
                report.bytes_lost += want.len() as u64;
                problems.push(format!("{name}: missing after a completed job"));
            }
        }
    }
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

/// Everything under `prefix` of `ws`, downloaded by a separate, healthy path.
pub fn s3_tree(user: &User, ws: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let dir = tempfile::tempdir().unwrap();
    let run = user.run(&[
        "cp",
        "-r",
        &format!("{ws}:{prefix}"),
        dir.path().to_str().unwrap(),
    ]);
    let out = run.output();
    if run.code != 0 && (out.contains("not found") || out.contains("does not exist")) {
        return BTreeMap::new();
    }
    assert_eq!(run.code, 0, "reading back {ws}:{prefix}: {}", run.output());
    read_tree(dir.path())
}

/// A failed job must say what went wrong, in words, and never by panicking or dumping
/// internals.
pub fn assert_clear_failure(run: &Run, what: &str) {
    let out = run.output();
    assert!(!out.contains("panicked"), "{what} panicked:\n{out}");
    assert!(
        run.stderr.lines().any(|l| l.trim().len() > 10),
        "{what} failed without saying why:\n{out}"
    );
    for internal in [
        "DispatchFailure",
        "ConnectorError {",
        "Error {",
        "RUST_BACKTRACE",
    ] {
        assert!(
            !out.contains(internal),
            "{what} printed internals ({internal}) instead of a cause:\n{out}"
        );
    }
}

/// Multipart uploads among `started` that the server still holds open. s3s-fs cannot list
/// uploads and answers ListParts for any id, so there an upload counts as open while it holds
/// parts (a stray whose creation answer was lost holds none, and no client could find it).
pub async fn still_open(
    server: &Server,
    bucket: &str,
    started: &[(String, String)],
) -> Vec<String> {
    let client = sdk_client(server);
    let mut open = Vec::new();
    for (target, id) in started {
        let key = target
            .split('?')
            .next()
            .unwrap_or_default()
            .trim_start_matches('/')
            .trim_start_matches(bucket)
            .trim_start_matches('/');
        let key = percent_encoding::percent_decode_str(key)
            .decode_utf8_lossy()
            .into_owned();
        let listed = client
            .list_parts()
            .bucket(bucket)
            .key(&key)
            .upload_id(id)
            .send()
            .await;
        let holds = match listed {
            Ok(parts) if server.name == "s3s-fs" => !parts.parts().is_empty(),
            Ok(_) => true,
            Err(_) => false,
        };
        if holds {
            open.push(format!("{key} ({id})"));
        }
    }
    open
}

/// A user with one keychain workspace `id` (bucket `id`) on a local canned or generated
/// server at `endpoint`; the keys are obviously fake (such servers check none).
pub fn canned_user(endpoint: &str, id: &str) -> User {
    let user = User::new();
    // Named `id` (locations say `id:`), stored under an id of its own: the keychain is shared by
    // every test, and keys are bound to the endpoint they were entered for, which differs per
    // canned server.
    let unique = format!("{id}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let run = user.run(&[
        "workspace",
        "add",
        id,
        "--id",
        &unique,
        "--bucket",
        id,
        "--endpoint",
        endpoint,
        "--path-style",
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let run = user.run_stdin(
        &["secret", "set", &unique],
        "FAKEKEYFORCANNEDTEST\nnot-a-real-secret-for-a-canned-server-00\n",
    );
    assert_eq!(run.code, 0, "{}", run.output());
    user
}

/// One test per (server, operation): moto's only under FERRY_RELIABILITY_FULL.
macro_rules! per_server {
    ($run:ident; $($name:ident: $server:expr, $op:expr;)*) => {$(
        #[tokio::test(flavor = "multi_thread")]
        async fn $name() {
            if $server.name == "moto" && !crate::common::full() {
                return;
            }
            $run($server, $op).await;
        }
    )*};
}
pub(crate) use per_server;

/// The id of the user's most recent job.
pub fn last_job(user: &User) -> String {
    let run = user.run(&["jobs", "list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.output());
    let jobs: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let last = jobs.as_array().and_then(|a| a.last()).expect("a job");
    last["id"].as_str().expect("a job id").to_string()
}
