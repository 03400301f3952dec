//! Shared harness for Ferry's integration tests: the real S3-compatible servers that
//! `scripts/with-test-servers` starts, fresh buckets on them, and the built `ferry` binary.

pub mod canned;
pub mod proxy;

use std::path::PathBuf;

use ferry_storage::s3::{ChecksumMode, S3Config, S3Credentials};
use ferry_storage::{S3Backend, Sensitive};

/// One running test server.
#[derive(Debug, Clone)]
pub struct Server {
    pub name: &'static str,
    pub endpoint: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// Whether the server checks request signatures (moto accepts any credentials).
    pub checks_signatures: bool,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the S3 integration tests need the real test servers. \
             Run them with `scripts/test` (or `scripts/with-test-servers cargo test --workspace`)."
        )
    })
}

pub fn moto() -> Server {
    Server {
        name: "moto",
        endpoint: env("FERRY_TEST_MOTO_URL"),
        access_key_id: "FERRYMOTOTESTKEY0001".into(),
        secret_access_key: "moto-accepts-any-secret".into(),
        checks_signatures: false,
    }
}

pub fn s3s() -> Server {
    Server {
        name: "s3s-fs",
        endpoint: env("FERRY_TEST_S3S_URL"),
        access_key_id: env("FERRY_TEST_S3S_ACCESS_KEY"),
        secret_access_key: env("FERRY_TEST_S3S_SECRET_KEY"),
        checks_signatures: true,
    }
}

/// A bucket name no other test uses.
pub fn unique_bucket(tag: &str) -> String {
    format!(
        "ferry-{tag}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    )
}

impl Server {
    /// The same server, reached through `proxy`.
    pub fn through(&self, proxy: &proxy::Proxy) -> Server {
        Server {
            endpoint: proxy.url.clone(),
            ..self.clone()
        }
    }

    pub fn config(&self, bucket: &str) -> S3Config {
        let mut config = S3Config::new(bucket, "us-east-1");
        config.endpoint_url = Some(self.endpoint.clone());
        config.path_style = true;
        config.credentials = S3Credentials::Static {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: Sensitive::new(self.secret_access_key.clone()),
            session_token: None,
        };
        config.connect_timeout = std::time::Duration::from_secs(5);
        config
    }

    /// A backend on a new, empty bucket.
    pub async fn fresh_backend(&self, tag: &str, checksums: ChecksumMode) -> S3Backend {
        let mut config = self.config(&unique_bucket(tag));
        config.checksums = checksums;
        // Small parts so that multipart paths run on modest test data.
        config.multipart_threshold = 6 * 1024 * 1024;
        config.part_size = ferry_storage::s3::MIN_PART_SIZE;
        let backend = S3Backend::connect(config).await;
        backend
            .create_bucket()
            .await
            .unwrap_or_else(|e| panic!("create a bucket on {}: {e}", self.name));
        backend
    }
}

/// The `ferry` binary built from this workspace.
pub fn ferry_bin() -> PathBuf {
    if let Ok(path) = std::env::var("FERRY_BIN") {
        return PathBuf::from(path);
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("debug").join("ferry");
    assert!(
        path.exists(),
        "{} is missing: build it first with `cargo build --workspace` (scripts/test does)",
        path.display()
    );
    path
}

/// One isolated user of the `ferry` binary: own config dir and home.
pub struct User {
    pub config: tempfile::TempDir,
    pub home: tempfile::TempDir,
}

/// What a command did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Everything the command printed.
    pub fn output(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Default for User {
    fn default() -> Self {
        Self::new()
    }
}

impl User {
    pub fn new() -> Self {
        Self {
            config: tempfile::tempdir().unwrap(),
            home: tempfile::tempdir().unwrap(),
        }
    }

    pub fn command(&self, args: &[&str]) -> std::process::Command {
        let mut cmd = std::process::Command::new(ferry_bin());
        cmd.args(args)
            .env("FERRY_CONFIG_DIR", self.config.path())
            .env("HOME", self.home.path())
            .env("FERRY_DATA_DIR", self.home.path().join(".ferry-data"))
            .env_remove("FERRY_LOG");
        for (key, _) in std::env::vars() {
            if key.starts_with("AWS_") {
                cmd.env_remove(key);
            }
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(args), None)
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str) -> Run {
        self.run_with(self.command(args), Some(stdin))
    }

    pub fn run_with(&self, mut cmd: std::process::Command, stdin: Option<&str>) -> Run {
        use std::io::Write;
        use std::process::Stdio;
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start ferry");
        if let Some(text) = stdin {
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Adds an S3 workspace for `bucket` on `server` with keychain credentials stored, and
    /// creates the bucket. Returns the workspace id.
    pub fn add_s3(&self, server: &Server, bucket: &str) -> String {
        let id = self.add_s3_workspace(server, bucket);
        let run = self.run(&["buckets", &id, "--create", bucket]);
        assert_eq!(run.code, 0, "{}", run.output());
        id
    }

    /// Adds an S3 workspace for an existing bucket, with keychain credentials stored.
    pub fn add_s3_workspace(&self, server: &Server, bucket: &str) -> String {
        let id = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let run = self.run(&[
            "workspace",
            "add",
            &id,
            "--id",
            &id,
            "--bucket",
            bucket,
            "--endpoint",
            &server.endpoint,
            "--path-style",
        ]);
        assert_eq!(run.code, 0, "{}", run.output());
        let secret = format!("{}\n{}\n", server.access_key_id, server.secret_access_key);
        let run = self.run_stdin(&["secret", "set", &id], &secret);
        assert_eq!(run.code, 0, "{}", run.output());
        id
    }
}

impl User {
    /// Rewrites settings.json's transfer preferences (as a person editing the file would).
    pub fn set_transfer(&self, changes: &[(&str, serde_json::Value)]) {
        let path = self.config.path().join("settings.json");
        let mut settings: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (k, v) in changes {
            settings["transfer"][*k] = v.clone();
        }
        std::fs::write(&path, serde_json::to_string_pretty(&settings).unwrap()).unwrap();
    }

    /// This user's transfer journal, as Ferry writes it.
    pub fn journal(&self) -> ferry_engine::transfer::Journal {
        ferry_engine::transfer::Journal::open(&self.home.path().join(".ferry-data/journal.sqlite"))
            .unwrap()
    }
}

/// A plain SDK client for a test server, to look at what Ferry left there.
pub fn sdk_client(server: &Server) -> aws_sdk_s3::Client {
    let creds = aws_sdk_s3::config::Credentials::new(
        &server.access_key_id,
        &server.secret_access_key,
        None,
        None,
        "ferry-tests",
    );
    let config = aws_sdk_s3::config::Builder::new()
        .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
        .region(aws_sdk_s3::config::Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .force_path_style(true)
        .credentials_provider(creds)
        .build();
    aws_sdk_s3::Client::from_conf(config)
}

/// Writes `mib` MiB of incompressible data, each MiB different, without holding it in memory.
/// A user with a fresh bucket reached directly (`direct`) and through a proxy (`via`), whose
/// uploads go in 5 MiB parts (`settings` added), and `src`, a 12 MiB file in their home: an
/// upload of three parts.
pub struct ThreeParts {
    pub user: User,
    pub bucket: String,
    pub direct: String,
    pub via: String,
    pub src: PathBuf,
}

pub fn three_parts(
    server: &Server,
    proxy: &proxy::Proxy,
    tag: &str,
    settings: &[(&str, serde_json::Value)],
) -> ThreeParts {
    let user = User::new();
    let bucket = unique_bucket(tag);
    let direct = user.add_s3(server, &bucket);
    let via = user.add_s3_workspace(&server.through(proxy), &bucket);
    let mut all = vec![
        ("part_size_mib", 5.into()),
        ("multipart_threshold_mib", 5.into()),
    ];
    all.extend(settings.iter().cloned());
    user.set_transfer(&all);
    let src = user.home.path().join("big.bin");
    big_file(&src, 12);
    ThreeParts {
        user,
        bucket,
        direct,
        via,
        src,
    }
}

pub fn big_file(path: &std::path::Path, mib: usize) {
    use std::io::Write;
    let base = ferry_storage::testkit::pattern(1024 * 1024, 7);
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..mib {
        let mut chunk = base.to_vec();
        chunk[..8].copy_from_slice(&(i as u64).to_le_bytes());
        file.write_all(&chunk).unwrap();
    }
    file.flush().unwrap();
}

/// Whether two files hold the same bytes, compared in chunks.
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    if fa.metadata().unwrap().len() != fb.metadata().unwrap().len() {
        return false;
    }
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let n = fa.read(&mut ba).unwrap();
        if n == 0 {
            return true;
        }
        fb.read_exact(&mut bb[..n]).unwrap();
        if ba[..n] != bb[..n] {
            return false;
        }
    }
}

/// The part number a request names (`partNumber=N` in its query), if any.
pub fn part_number(target: &str) -> Option<i32> {
    target
        .split(['?', '&'])
        .find_map(|kv| kv.strip_prefix("partNumber="))
        .and_then(|n| n.parse().ok())
}

/// Parts the server still holds for an upload: 0 once it is aborted. (moto answers ListParts
/// with a body the SDK cannot read, so there its open-upload listing is asked instead.)
pub async fn parts_left(
    client: &aws_sdk_s3::Client,
    server: &Server,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> usize {
    if server.name == "moto" {
        let open = client
            .list_multipart_uploads()
            .bucket(bucket)
            .send()
            .await
            .unwrap();
        return open
            .uploads()
            .iter()
            .filter(|u| u.upload_id() == Some(upload_id))
            .count();
    }
    match client
        .list_parts()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(out) => out.parts().len(),
        Err(_) => 0,
    }
}

/// Every file below `root`, relative path → contents.
pub fn read_tree(root: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fn walk(
        root: &std::path::Path,
        dir: &std::path::Path,
        out: &mut std::collections::BTreeMap<String, Vec<u8>>,
    ) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    walk(root, root, &mut out);
    out
}

/// Polls `condition` until it holds, failing the test after `seconds`. This waits for a
/// condition; it never stands in for one.
pub fn wait_until(seconds: u64, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while !condition() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
