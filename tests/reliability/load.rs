//! Load: a job of many small files and a listing of very many objects complete, with memory
//! that does not grow with their number, while other commands keep answering. Every run: 10,000
//! files and a 200,000-object listing, each against a tenth of it; with
//! FERRY_RELIABILITY_FULL=1: 100,000 files and 1,000,000 objects.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use ferry_tests::canned::{Answer, serve};
use ferry_tests::{User, read_tree, s3s, unique_bucket};

use crate::common::{Report, canned_user, full};

/// Runs `cmd` to its end, counting stdout lines and sampling the process's peak resident memory
/// (VmHWM, which only grows, so the last sample is the peak up to then). Returns (exit code,
/// lines, peak MiB, stderr).
fn run_measured(mut cmd: Command, mut while_running: impl FnMut()) -> (i32, usize, f64, String) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let lines = std::thread::spawn(move || BufReader::new(stdout).lines().count());
    let stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut BufReader::new(stderr), &mut text);
        text
    });
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0u64;
    let mut poked = false;
    // Sampling memory while waiting for the exit; a job that never ends fails the test.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3600);
    let code = loop {
        assert!(
            std::time::Instant::now() < deadline,
            "the command did not finish within an hour"
        );
        if let Ok(status) = std::fs::read_to_string(&status_path)
            && let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        {
            peak_kib = peak_kib.max(kib);
        }
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if !poked {
            poked = true;
            while_running();
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (
        code,
        lines.join().unwrap(),
        peak_kib as f64 / 1024.0,
        errors.join().unwrap(),
    )
}

fn walk_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let path = e.path();
                    if path.is_dir() { walk_files(&path) } else { 1 }
                })
                .sum()
        })
        .unwrap_or(0)
}

/// Memory that does not grow with size: ten times the work may cost at most 1.5 times the
/// memory (plus 16 MiB of allocator slack).
fn assert_flat(what: &str, small: f64, large: f64) {
    assert!(
        large <= small * 1.5 + 16.0,
        "{what}: peak memory grew with size: {small:.1} MiB → {large:.1} MiB"
    );
}

fn upload_many(count: usize, report: &mut Report) -> f64 {
    let user = User::new();
    let bucket = unique_bucket("load");
    let ws = user.add_s3(&s3s(), &bucket);
    let src = user.home.path().join("many");
    for i in 0..count {
        let dir = src.join(format!("d{:03}", i % 500));
        if i < 500 {
            std::fs::create_dir_all(&dir).unwrap();
        }
        std::fs::write(
            dir.join(format!("f{i:06}.txt")),
            format!("small file {i}\n"),
        )
        .unwrap();
    }
    let cmd = user.command(&["cp", "-r", src.to_str().unwrap(), &format!("{ws}:many/")]);
    // While the job runs, other commands still answer: a listing and the job list.
    let mut answered = Vec::new();
    let (code, _, peak, errors) = run_measured(cmd, || {
        answered.push(user.run(&["ls", &format!("{ws}:")]));
        answered.push(user.run(&["jobs", "list"]));
    });
    report.jobs += 1 + answered.len();
    report.panics += errors.matches("panicked at").count();
    assert_eq!(code, 0, "{count} files: {errors}");
    for run in &answered {
        assert_eq!(run.code, 0, "a command during the load: {}", run.output());
    }
    // Counted in s3s-fs's own storage: its listings walk the whole bucket for every page, so
    // listing 100,000 objects through it takes minutes of the server's time, not Ferry's.
    let stored = std::path::Path::new(&std::env::var("FERRY_TEST_SERVERS_DIR").unwrap())
        .join("s3s")
        .join(&bucket)
        .join("many");
    let arrived = walk_files(&stored);
    assert_eq!(arrived, count, "every file arrived");
    // Content checked on a sample that reads back quickly.
    let back = user.home.path().join("back");
    let run = user.run(&[
        "cp",
        "-r",
        &format!("{ws}:many/d007"),
        back.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let got = read_tree(&back);
    assert!(!got.is_empty());
    for (name, bytes) in &got {
        let i: usize = name
            .trim_start_matches('f')
            .trim_end_matches(".txt")
            .parse()
            .unwrap();
        assert_eq!(bytes, format!("small file {i}\n").as_bytes(), "{name}");
        report.files_verified += 1;
    }
    eprintln!("upload of {count} small files: peak {peak:.1} MiB");
    peak
}

#[test]
fn a_job_of_many_small_files_completes_with_flat_memory() {
    let mut report = Report::new("load/many small files");
    let large = if full() { 100_000 } else { 10_000 };
    let small_peak = upload_many(large / 10, &mut report);
    let large_peak = upload_many(large, &mut report);
    assert_flat("upload", small_peak, large_peak);
    assert_eq!(report.panics, 0);
}

/// A server that lists `total` generated objects, 1,000 per page, with the page number as the
/// continuation token.
async fn generated_listing(total: usize) -> String {
    serve(move |_, target| {
        if !target.contains("list-type=2") {
            return Answer::error(404, "NoSuchKey", "The specified key does not exist.");
        }
        let page: usize = target
            .split(['?', '&'])
            .find_map(|p| p.strip_prefix("continuation-token="))
            .and_then(|t| t.parse().ok())
            .unwrap_or(0);
        let start = page * 1000;
        let end = (start + 1000).min(total);
        let mut xml = String::with_capacity(200 * 1000);
        xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>generated</Name><Prefix></Prefix>");
        for i in start..end {
            xml.push_str(&format!(
                "<Contents><Key>obj/{:03}/{i:09}.dat</Key><Size>{}</Size><ETag>&quot;0123456789abcdef0123456789abcdef&quot;</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>",
                i % 997,
                i % 4096
            ));
        }
        if end < total {
            xml.push_str(&format!("<IsTruncated>true</IsTruncated><NextContinuationToken>{}</NextContinuationToken>", page + 1));
        } else {
            xml.push_str("<IsTruncated>false</IsTruncated>");
        }
        xml.push_str("</ListBucketResult>");
        Answer::ok(&xml)
    })
    .await
}

async fn list_generated(total: usize, report: &mut Report) -> f64 {
    let endpoint = generated_listing(total).await;
    let user = canned_user(&endpoint, "generated");
    let cmd = user.command(&["ls", "-r", "generated:"]);
    let (code, lines, peak, errors) = tokio::task::spawn_blocking(move || run_measured(cmd, || {}))
        .await
        .unwrap();
    report.jobs += 1;
    report.panics += errors.matches("panicked at").count();
    assert_eq!(code, 0, "{errors}");
    assert_eq!(lines, total, "every object listed once");
    report.files_verified += lines;
    eprintln!("listing of {total} objects: peak {peak:.1} MiB");
    peak
}

#[tokio::test(flavor = "multi_thread")]
async fn a_listing_of_very_many_objects_streams_with_flat_memory() {
    let mut report = Report::new("load/huge listing");
    let large = if full() { 1_000_000 } else { 200_000 };
    let small_peak = list_generated(large / 10, &mut report).await;
    let large_peak = list_generated(large, &mut report).await;
    assert_flat("listing", small_peak, large_peak);
    assert_eq!(report.panics, 0);
}
