//! Shared harness for Ferry's integration tests: the real S3-compatible servers that
//! `scripts/with-test-servers` starts, fresh buckets on them, and the built `ferry` binary.

pub mod canned;

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
        let id = format!("t-{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let run = self.run(&[
            "workspace",
            "add",
            "S3 under test",
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
        let run = self.run(&["buckets", &id, "--create", bucket]);
        assert_eq!(run.code, 0, "{}", run.output());
        id
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
