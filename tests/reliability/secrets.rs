//! Known secret values are stored, used in every way Ferry offers (with the most verbose
//! logging), used wrongly, and interrupted by kill -9; then everything Ferry wrote or printed —
//! settings, journal, data folder, home, logs, CLI output — is searched for them, plain, base64
//! and percent-encoded. The keychain holds them (so the search knows what it looks for); nothing
//! else may. (IPC answers to the web view are searched by the GUI suite, tests/gui.)

use std::path::Path;
use std::process::Stdio;

use ferry_tests::{Run, User, moto, same_file, unique_bucket, wait_until};

use crate::common::{Report, sample_tree, small_parts};

// Test code, not product code: a base64 encoder here avoids a dependency for one search.

/// Every encoding of `secret` a leak might take.
fn forms(secret: &str) -> Vec<String> {
    use std::fmt::Write;
    let b64 = {
        // Three shifts, so a secret inside a larger base64 blob is found at any alignment.
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let encode = |bytes: &[u8]| {
            let mut out = String::new();
            for chunk in bytes.chunks(3) {
                let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
                    << (8 * (3 - chunk.len()));
                for i in 0..=chunk.len() {
                    out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
                }
            }
            out
        };
        (0..3)
            .map(|shift| {
                let padded = format!("{}{secret}", "x".repeat(shift));
                // Drop the characters that depend on the padding or on what follows.
                let full = encode(padded.as_bytes());
                let skip = (shift * 4).div_ceil(3);
                full[skip..full.len().saturating_sub(2)].to_string()
            })
            .collect::<Vec<_>>()
    };
    let mut pct = String::new();
    for b in secret.bytes() {
        if b.is_ascii_alphanumeric() {
            pct.push(b as char);
        } else {
            let _ = write!(pct, "%{b:02X}");
        }
    }
    let mut all = vec![secret.to_string(), pct];
    all.extend(b64);
    all
}

/// Files below `root` (or the text given) that contain any form of `secret`.
fn search(root: &Path, secret: &str) -> Vec<String> {
    let forms = forms(secret);
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path)
                && forms.iter().any(|f| contains(&bytes, f.as_bytes()))
            {
                found.push(path.display().to_string());
            }
        }
    }
    found
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

fn leaks_in(run: &Run, secret: &str) -> usize {
    let out = run.output();
    forms(secret)
        .iter()
        .filter(|f| out.contains(f.as_str()))
        .count()
}

#[test]
fn the_search_finds_a_planted_secret_in_every_form() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "Canary/Secret+Key=0123456789abcdefghijk";
    for (i, form) in forms(secret).iter().enumerate() {
        std::fs::write(
            dir.path().join(format!("{i}.log")),
            format!("before {form} after"),
        )
        .unwrap();
    }
    let base64_inside =
        "prefix dGhlIENhbmFyeS9TZWNyZXQrS2V5PTAxMjM0NTY3ODlhYmNkZWZnaGlqaw== suffix";
    std::fs::write(dir.path().join("blob.txt"), base64_inside).unwrap();
    assert_eq!(search(dir.path(), secret).len(), forms(secret).len() + 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn secrets_appear_nowhere_but_the_keychain() {
    let mut report = Report::new("secrets/everything Ferry writes");
    let server = moto(); // accepts any secret, so each test run uses a fresh one
    let key_id = format!(
        "FAKEKEY{}",
        &uuid::Uuid::new_v4().simple().to_string()[..16].to_uppercase()
    );
    let secret = format!("FerryCanary/{}+Secret=", uuid::Uuid::new_v4().simple());
    let token = format!("FerryTokenCanary{}", uuid::Uuid::new_v4().simple());
    let user = User::new();
    let bucket = unique_bucket("secrets");
    let mut runs: Vec<Run> = Vec::new();
    let traced = |args: &[&str], stdin: Option<&str>| {
        let mut cmd = user.command(args);
        cmd.env("FERRY_LOG", "trace");
        user.run_with(cmd, stdin)
    };
    runs.push(traced(
        &[
            "workspace",
            "add",
            "canary",
            "--id",
            "canary",
            "--bucket",
            &bucket,
            "--endpoint",
            &server.endpoint,
            "--path-style",
        ],
        None,
    ));
    runs.push(traced(
        &["secret", "set", "canary"],
        Some(&format!("{key_id}\n{secret}\n{token}\n")),
    ));
    assert_eq!(
        runs.last().unwrap().code,
        0,
        "{}",
        runs.last().unwrap().output()
    );
    small_parts(&user);
    runs.push(traced(&["buckets", "canary", "--create", &bucket], None));
    runs.push(traced(&["workspace", "test", "canary"], None));
    runs.push(traced(&["workspace", "show", "canary", "--json"], None));
    runs.push(traced(&["secret", "status", "canary"], None));
    let src = user.home.path().join("src");
    sample_tree(&src, 5);
    runs.push(traced(
        &["cp", "-r", src.to_str().unwrap(), "canary:up/"],
        None,
    ));
    runs.push(traced(&["ls", "-r", "--json", "canary:"], None));
    runs.push(traced(
        &["stat", "--json", "canary:up/photos/2026/big.raw"],
        None,
    ));
    // A pre-signed link made with temporary credentials must carry the session token (S3
    // needs it to accept the link), so that one output is searched for the secret key only.
    let link = traced(&["presign", "canary:up/one byte", "--expires", "15m"], None);
    assert_eq!(link.code, 0, "{}", link.output());
    assert!(
        link.stdout.contains("X-Amz-Security-Token"),
        "{}",
        link.stdout
    );
    report.job(&link);
    report.secrets_found += leaks_in(&link, &secret);
    assert_eq!(leaks_in(&link, &secret), 0, "{}", link.output());
    let down = user.home.path().join("down");
    runs.push(traced(
        &["cp", "-r", "canary:up", down.to_str().unwrap()],
        None,
    ));
    assert!(same_file(
        &src.join("photos/2026/big.raw"),
        &down.join("photos/2026/big.raw")
    ));
    runs.push(traced(
        &["sync", src.to_str().unwrap(), "canary:synced/"],
        None,
    ));
    runs.push(traced(
        &["mv", "-r", down.to_str().unwrap(), "canary:moved/"],
        None,
    ));
    runs.push(traced(&["jobs", "list", "--json"], None));
    // Used wrongly: a missing bucket, a missing object, a dead endpoint.
    runs.push(traced(&["ls", "canary:no/such/folder/"], None));
    runs.push(traced(
        &[
            "cp",
            "canary:missing.txt",
            user.home.path().join("m").to_str().unwrap(),
        ],
        None,
    ));
    runs.push(traced(
        &[
            "workspace",
            "edit",
            "canary",
            "--bucket",
            "no-such-bucket-here",
        ],
        None,
    ));
    runs.push(traced(&["workspace", "test", "canary"], None));
    runs.push(traced(
        &[
            "workspace",
            "edit",
            "canary",
            "--bucket",
            &bucket,
            "--endpoint",
            "http://127.0.0.1:9",
        ],
        None,
    ));
    runs.push(traced(&["ls", "canary:"], None));
    runs.push(traced(
        &[
            "workspace",
            "edit",
            "canary",
            "--endpoint",
            &server.endpoint,
        ],
        None,
    ));
    // Interrupted: kill -9 mid-upload leaves a journal and whatever the process printed.
    let big = user.home.path().join("big.bin");
    ferry_tests::big_file(&big, 64);
    let mut cmd = user.command(&["cp", big.to_str().unwrap(), "canary:big.bin"]);
    cmd.env("FERRY_LOG", "trace")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let journal = user.home.path().join(".ferry-data/journal.sqlite");
    wait_until(60, "the upload to start", || {
        journal.exists() || child.try_wait().ok().flatten().is_some()
    });
    let _ = child.kill();
    let out = child.wait_with_output().unwrap();
    runs.push(Run {
        code: out.status.code().unwrap_or(-9),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    });
    runs.push(traced(&["jobs", "resume"], None));
    runs.push(traced(&["secret", "clear", "canary"], None));
    runs.push(traced(&["ls", "canary:"], None));

    for run in &runs {
        report.job(run);
        for value in [&secret, &token] {
            let n = leaks_in(run, value);
            report.secrets_found += n;
            assert_eq!(n, 0, "a secret in the CLI's output:\n{}", run.output());
        }
    }
    assert!(
        runs.iter()
            .any(|r| r.stderr.contains("TRACE") || r.stderr.contains("DEBUG")),
        "logging was on"
    );
    for root in [user.config.path(), user.home.path()] {
        for value in [&secret, &token] {
            let found = search(root, value);
            report.secrets_found += found.len();
            assert!(found.is_empty(), "a secret on disk: {found:?}");
        }
    }
    report.files_verified += 1;
    assert_eq!(report.panics, 0);
}
