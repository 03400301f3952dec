//! Finding and counting below a folder (`ferry find`, `ferry du`) on local disks and the real
//! test servers, each answer compared with what an oracle filters from the tree that was
//! written; and, through a proxy playing a 100,000-object bucket, that a search reads the
//! listing only as fast as its results are taken, holds one page at a time, and stops when it
//! is dropped.

use std::collections::BTreeMap;
use std::sync::Arc;

use ferry_tests::proxy::{Action, Proxy};
use ferry_tests::{Server, User, moto, s3s, unique_bucket};
use futures::StreamExt;

/// The tree every search runs over: key → size. Names with spaces, case and accents, three
/// folders down, and a key sharing the searched folder's first letters outside it.
fn tree() -> BTreeMap<&'static str, usize> {
    [
        ("top.txt", 10),
        ("docs/Report 2024.PDF", 3000),
        ("docs/report-07.txt", 700),
        ("docs/notes/été.md", 50),
        ("docs/notes/deep/er/target.csv", 1200),
        ("docs/notes/deep/er/other.CSV", 20),
        ("docs/photos/a.jpg", 5000),
        ("docs/photos/b.jpeg", 0),
        ("docsx/report.txt", 99),
    ]
    .into()
}

/// What `ferry find --json` printed: key → size.
fn found(user: &User, args: &[&str]) -> BTreeMap<String, u64> {
    let mut all = vec!["find", "--json"];
    all.extend_from_slice(args);
    let run = user.run(&all);
    assert_eq!(run.code, 0, "{}", run.output());
    run.stdout
        .lines()
        .map(|line| {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            (
                v["key"].as_str().unwrap().to_string(),
                v["size"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The oracle: the tree's keys below `docs/` that `keep` wants, named from `root` (`docs/` for
/// a bare local path, whose store is the folder itself; "" for a workspace's bucket).
fn expected(root: &str, keep: impl Fn(&str, usize) -> bool) -> BTreeMap<String, u64> {
    tree()
        .into_iter()
        .filter(|(k, _)| k.starts_with("docs/"))
        .filter(|(k, size)| keep(k, *size))
        .map(|(k, size)| (k.strip_prefix(root).unwrap().to_string(), size as u64))
        .collect()
}

/// Runs every query against `at` (a location ending in `docs/`), whose keys are printed named
/// from `root`.
fn searches_and_counts(user: &User, at: &str, root: &str) {
    let name = |k: &str| k.rsplit('/').next().unwrap().to_lowercase();
    assert_eq!(
        found(user, &[at]),
        expected(root, |_, _| true),
        "everything"
    );
    assert_eq!(
        found(user, &[at, "--name", "REPORT"]),
        expected(root, |k, _| name(k).contains("report")),
        "text in the name, any case; not docsx/, which is outside"
    );
    assert_eq!(
        found(user, &[at, "--name", "*.csv"]),
        expected(root, |k, _| name(k).ends_with(".csv")),
        "a glob, three folders down"
    );
    assert_eq!(
        found(user, &[at, "--name", "notes/**/*.csv"]),
        expected(root, |k, _| k.starts_with("docs/notes/")
            && name(k).ends_with(".csv")),
        "a glob with a path, anchored at the folder searched"
    );
    assert_eq!(
        found(user, &[at, "--name", "été"]),
        expected(root, |k, _| k.ends_with("été.md")),
        "accents"
    );
    assert_eq!(
        found(user, &[at, "--larger-than", "1K", "--smaller-than", "4K"]),
        expected(root, |_, size| size > 1024 && size < 4096),
        "sizes"
    );
    assert_eq!(
        found(user, &[at, "--newer-than", "1d"]),
        expected(root, |_, _| true),
        "written just now"
    );
    assert!(
        found(user, &[at, "--older-than", "1d"]).is_empty(),
        "none older"
    );

    let du = user.run(&["du", "--json", at]);
    assert_eq!(du.code, 0, "{}", du.output());
    let usage: serde_json::Value = serde_json::from_str(&du.stdout).unwrap();
    let all = expected(root, |_, _| true);
    assert_eq!(usage["objects"], all.len());
    assert_eq!(usage["bytes"], all.values().sum::<u64>());

    let bad = user.run(&["find", at, "--name", "*[a-"]);
    assert_eq!(bad.code, 2, "{}", bad.output());
    assert!(bad.stderr.contains("not a pattern"), "{}", bad.output());
}

fn write_local(root: &std::path::Path) {
    for (key, size) in tree() {
        let path = root.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, vec![b'x'; size]).unwrap();
    }
}

#[test]
fn find_and_du_on_a_local_folder() {
    let user = User::new();
    let root = user.home.path().join("tree");
    write_local(&root);
    // A bare path's keys are named from that path.
    let at = format!("{}/docs/", root.display());
    searches_and_counts(&user, &at, "docs/");
}

fn on_server(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("find"));
    let src = user.home.path().join("tree");
    write_local(&src);
    let up = user.run(&[
        "cp",
        "-r",
        &format!("{}/", src.display()),
        &format!("{ws}:"),
    ]);
    assert_eq!(up.code, 0, "{}", up.output());
    searches_and_counts(&user, &format!("{ws}:docs/"), "");
}

#[test]
fn find_and_du_on_moto() {
    on_server(&moto());
}

#[test]
fn find_and_du_on_s3s() {
    on_server(&s3s());
}

/// `count` keys, `page` to a ListObjectsV2 answer, the n-th answer starting at key n × page.
fn listing_page(target: &str, count: usize, page: usize) -> String {
    let start: usize = target
        .split('&')
        .find_map(|p| p.strip_prefix("continuation-token="))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let end = (start + page).min(count);
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><Prefix>big/</Prefix>"#,
    );
    xml.push_str(&format!(
        "<KeyCount>{}</KeyCount><MaxKeys>{page}</MaxKeys><IsTruncated>{}</IsTruncated>",
        end - start,
        end < count
    ));
    if end < count {
        xml.push_str(&format!(
            "<NextContinuationToken>{end}</NextContinuationToken>"
        ));
    }
    for i in start..end {
        // Every 1,000th is a .csv, the rest .log; sizes grow with the number.
        let ext = if i % 1000 == 7 { "csv" } else { "log" };
        xml.push_str(&format!(
            "<Contents><Key>big/d{}/f{i}.{ext}</Key><LastModified>2026-12-01T00:00:00.000Z</LastModified><ETag>\"0\"</ETag><Size>{i}</Size><StorageClass>STANDARD</StorageClass></Contents>",
            i % 50
        ));
    }
    xml.push_str("</ListBucketResult>");
    xml
}

/// A search of a 100,000-object folder asks for the listing's next page only when its caller
/// takes the next result page (nothing read ahead, one page held at a time: bounded memory
/// whatever the folder's size), stops asking when dropped, and finds exactly what matches.
#[tokio::test(flavor = "multi_thread")]
async fn a_search_of_100000_objects_reads_as_it_is_read_and_stops_when_dropped() {
    const COUNT: usize = 100_000;
    const PAGE: usize = 1000;
    let server = moto();
    let proxy = Proxy::start(&server.endpoint, |_, method, target| {
        if method == "GET" && target.contains("list-type=2") {
            Action::Answer(listing_page(target, COUNT, PAGE))
        } else {
            Action::Forward
        }
    })
    .await;
    let lists = || {
        proxy
            .seen()
            .iter()
            .filter(|s| s.target.contains("list-type=2"))
            .count()
    };
    let user = User::new();
    let ws = user.add_s3_workspace(&server.through(&proxy), &unique_bucket("big"));
    let engine = ferry_engine::Engine::load(
        user.config.path(),
        Arc::new(ferry_engine::secrets::Keychain),
    )
    .unwrap();
    let at = engine
        .resolve(&engine.parse_location(&format!("{ws}:big/")).unwrap())
        .await
        .unwrap();
    let query = ferry_engine::find::FindQuery {
        name: Some("*.csv".into()),
        ..Default::default()
    };

    let mut results = ferry_engine::find::find(&at, &query).await.unwrap();
    let first = results.next().await.unwrap().unwrap();
    assert_eq!(first.entries.len(), 1, "f7.csv, from the first page");
    let asked = lists();
    // Whether the folder exists may be asked with a listing of one key first.
    assert!(asked <= 2, "{asked} listings asked for one page of results");
    drop(results);
    // Dropped: a new search starts from the beginning; the old one asked nothing more.
    assert_eq!(lists(), asked, "nothing asked after the search was dropped");

    proxy.clear();
    let mut results = ferry_engine::find::find(&at, &query).await.unwrap();
    let (mut matched, mut pages, mut largest) = (Vec::new(), 0, 0);
    while let Some(page) = results.next().await {
        let page = page.unwrap();
        pages += 1;
        largest = largest.max(page.entries.len());
        matched.extend(page.entries.into_iter().map(|e| e.key().to_string()));
    }
    assert_eq!(matched.len(), COUNT / 1000, "{matched:?}");
    assert!(matched.iter().all(|k| k.ends_with(".csv")));
    assert!(
        pages >= COUNT / PAGE,
        "one result page per listing page: {pages}"
    );
    assert!(largest <= PAGE);
    assert!(
        lists() <= COUNT / PAGE + 1,
        "each listing page asked once: {}",
        lists()
    );

    let mut totals = ferry_engine::find::usage(&at).await.unwrap();
    let mut last = ferry_engine::find::Usage::default();
    let mut steps = 0;
    while let Some(now) = totals.next().await {
        let now = now.unwrap();
        assert!(now.objects >= last.objects, "totals only grow");
        last = now;
        steps += 1;
    }
    assert_eq!(last.objects, COUNT as u64);
    assert_eq!(last.bytes, (0..COUNT as u64).sum::<u64>());
    assert!(steps >= COUNT / PAGE, "progress at every page: {steps}");
}
