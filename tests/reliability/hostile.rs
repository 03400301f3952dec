//! Hostile input: keys fuzzed against the key→local-path mapping, settings text fuzzed against
//! the parser, a server whose listings carry 1,024-byte keys, path tricks, control characters,
//! invalid UTF-8 and sizes that lie, settings files that are empty, truncated, huge or not
//! JSON, and endpoints that point at metadata services or carry credentials.

use std::collections::BTreeMap;
use std::path::{Component, Path};
use std::sync::{Arc, Mutex};

use ferry_engine::settings::{Parsed, parse};
use ferry_storage::backend::PutOptions;
use ferry_storage::{Backend, LocalBackend, ObjectKey, PutBody};
use ferry_tests::User;
use ferry_tests::canned::{Answer, serve};
use proptest::prelude::*;

use crate::common::{Report, assert_clear_failure, canned_user, full, partial_files};

/// 1,000 cases a run, 20,000 under FERRY_RELIABILITY_FULL; no failure files written.
fn fuzz_config() -> ProptestConfig {
    ProptestConfig {
        cases: if full() { 20_000 } else { 1_000 },
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Keys built from the pieces that break path mappings, and arbitrary strings.
fn hostile_key() -> impl Strategy<Value = String> {
    let segment = prop_oneof![
        Just("..".to_string()),
        Just(".".to_string()),
        Just(String::new()),
        Just("a".to_string()),
        Just("ü €".to_string()),
        Just("..\\..".to_string()),
        Just("\\".to_string()),
        Just("C:".to_string()),
        Just("\0".to_string()),
        Just("\u{1}\u{7f}\n".to_string()),
        Just("x".repeat(256)),
        "[a-z.]{1,4}",
        any::<String>(),
    ];
    prop_oneof![
        any::<String>(),
        (
            prop::bool::ANY,
            prop::collection::vec(segment, 0..8),
            prop::bool::ANY
        )
            .prop_map(|(lead, parts, trail)| {
                let mut key = parts.join("/");
                if lead {
                    key.insert(0, '/');
                }
                if trail {
                    key.push('/');
                }
                key
            }),
    ]
}

/// Writes through the local backend with every fuzzed key into `root/dest`; nothing may ever
/// appear in its sibling `root/outside`.
#[test]
fn no_fuzzed_key_escapes_the_destination_folder() {
    let mut report = Report::new("hostile/key-to-path fuzz");
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("dest");
    let outside = root.path().join("outside");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    let backend = LocalBackend::new(&dest);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let tried = Arc::new(Mutex::new(0usize));
    let counter = tried.clone();
    let config = fuzz_config();
    proptest!(config, |(key in hostile_key())| {
        *counter.lock().unwrap() += 1;
        let k = ObjectKey::new(key.clone());
        if let Ok(rel) = k.to_relative_path() {
            prop_assert!(rel.components().all(|c| matches!(c, Component::Normal(_))), "{key:?} → {rel:?}");
            prop_assert!(dest.join(&rel).starts_with(&dest));
            if !rel.as_os_str().is_empty() {
                let back = ObjectKey::from_relative_path(&rel).unwrap();
                prop_assert_eq!(back.as_str(), key.strip_suffix('/').unwrap_or(&key));
            }
        }
        if !k.is_folder() {
            let _ = runtime.block_on(backend.put(&k, PutBody::from_bytes(&b"x"[..]), &PutOptions::default()));
        }
    });
    report.jobs = *tried.lock().unwrap();
    let escaped: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
    assert!(
        escaped.is_empty(),
        "files escaped the destination: {escaped:?}"
    );
    assert!(partial_files(&dest).is_empty());
}

/// A settings file as a person might have written it: every field that has one.
fn sample_settings() -> String {
    serde_json::json!({
        "version": 1,
        "default_workspace": "local",
        "workspaces": [
            {"id": "local", "name": "Local files", "storage": {"type": "local", "base_path": "/tmp/x"}},
            {"id": "s3", "name": "Media", "storage": {"type": "s3", "bucket": "media-bucket", "region": "eu-central-1",
              "endpoint_url": "https://s3.example.com", "path_style": true, "prefix": "a/b/"}}
        ],
        "transfer": {"concurrency": 8, "part_size_mib": 8}
    })
    .to_string()
}

#[test]
fn the_settings_parser_survives_fuzzed_and_truncated_text() {
    let mut report = Report::new("hostile/settings fuzz");
    let sample = sample_settings();
    assert!(
        matches!(parse(&sample), Parsed::Ok { .. }),
        "the sample itself is valid"
    );
    let tried = Arc::new(Mutex::new(0usize));
    let counter = tried.clone();
    let config = fuzz_config();
    let base = sample.clone();
    proptest!(config, |(text in any::<String>(), cut in 0..sample.len(), at in 0..sample.len(), junk in any::<String>())| {
        *counter.lock().unwrap() += 3;
        // Arbitrary text: any outcome but a panic.
        let _ = parse(&text);
        // Truncated: never accepted, and the position reported lies within the text.
        if let Some(prefix) = base.get(..cut) {
            match parse(prefix) {
                Parsed::Syntax { line, column, .. } => {
                    prop_assert!(line >= 1 && line <= prefix.lines().count().max(1));
                    prop_assert!(column >= 1);
                }
                Parsed::Ok { .. } => prop_assert!(false, "a truncated file was accepted: {prefix:?}"),
                _ => prop_assert!(false, "a truncated file parsed as JSON: {prefix:?}"),
            }
        }
        // Junk spliced in: any outcome but a panic.
        if base.is_char_boundary(at) {
            let spliced = format!("{}{junk}{}", &base[..at], &base[at..]);
            let _ = parse(&spliced);
        }
    });
    report.jobs = *tried.lock().unwrap();
}

/// Each broken settings file: the CLI says what is wrong and where, and leaves the file exactly
/// as it was.
#[test]
fn broken_settings_files_are_reported_and_left_untouched() {
    let mut report = Report::new("hostile/settings files");
    let valid = sample_settings();
    let huge = format!(
        "{{\"version\": 1, \"workspaces\": [], \"padding\": \"{}\"}}",
        "x".repeat(64 * 1024 * 1024)
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("truncated", valid.as_bytes()[..valid.len() / 2].to_vec()),
        ("not JSON", b"workspaces:\n  - id: local\n".to_vec()),
        ("binary", vec![0xff, 0xfe, 0x00, 0x9c, 0x80, 0x01]),
        ("huge", huge.into_bytes()),
        ("a JSON array", b"[1, 2, 3]".to_vec()),
    ];
    for (what, bytes) in cases {
        let user = User::new();
        let path = user.config.path().join("settings.json");
        std::fs::write(&path, &bytes).unwrap();
        let run = user.run(&["workspace", "list"]);
        report.job(&run);
        assert_ne!(run.code, 0, "{what}: {}", run.output());
        assert_clear_failure(&run, &format!("settings file {what}"));
        assert!(
            run.stderr.contains("settings.json"),
            "{what}: the error names the file: {}",
            run.stderr
        );
        assert!(
            run.stderr.len() < 4096,
            "{what}: the error does not echo the file"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "{what}: the file is untouched"
        );
        report.files_verified += 1;
    }
    assert_eq!(report.panics, 0);
}

#[test]
fn endpoints_for_metadata_services_files_or_with_credentials_are_refused() {
    let mut report = Report::new("hostile/endpoints");
    let user = User::new();
    for (endpoint, says) in [
        ("file:///etc/passwd", "https://"),
        ("http://169.254.169.254", "not at a storage service"),
        (
            "http://169.254.169.254/latest/meta-data/iam/",
            "not at a storage service",
        ),
        ("http://[fd00:ec2::254]", "not at a storage service"),
        (
            "http://metadata.google.internal",
            "not at a storage service",
        ),
        (
            "https://FAKEKEY:hunter2secret@s3.example.com",
            "must not contain credentials",
        ),
    ] {
        let run = user.run(&[
            "workspace",
            "add",
            "bad",
            "--bucket",
            "some-bucket",
            "--endpoint",
            endpoint,
        ]);
        report.job(&run);
        assert_ne!(run.code, 0, "{endpoint} was accepted: {}", run.output());
        assert!(run.output().contains(says), "{endpoint}: {}", run.output());
        assert!(
            !run.output().contains("hunter2secret"),
            "the password is echoed: {}",
            run.output()
        );
        report.secrets_found += run.output().matches("hunter2secret").count();
    }
    let settings =
        std::fs::read_to_string(user.config.path().join("settings.json")).unwrap_or_default();
    assert!(
        !settings.contains("bad"),
        "no refused workspace was saved: {settings}"
    );
    // The same endpoints written into settings.json by hand: refused on load, secret not echoed.
    let path = user.config.path().join("settings.json");
    let mut value: serde_json::Value = serde_json::from_str(&sample_settings()).unwrap();
    value["workspaces"][1]["storage"]["endpoint_url"] =
        "http://FAKEKEY:hunter2secret@169.254.169.254".into();
    std::fs::write(&path, value.to_string()).unwrap();
    let run = user.run(&["workspace", "list"]);
    report.job(&run);
    assert_ne!(run.code, 0, "{}", run.output());
    assert!(run.output().contains("endpoint_url"), "{}", run.output());
    report.secrets_found += run.output().matches("hunter2secret").count();
    assert_eq!(report.secrets_found, 0, "{}", run.output());
}

/// What the hostile server holds: key → (size it lists, bytes it serves). Keys are written into
/// the XML as given, so a test can put raw or escaped text there.
type Objects = Vec<(String, String, Vec<u8>)>;

fn listing_xml(objects: &Objects, truncated: bool) -> Vec<u8> {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hostile</Name><Prefix></Prefix>",
    );
    for (key, size, _) in objects {
        xml.push_str(&format!(
            "<Contents><Key>{key}</Key><Size>{size}</Size><ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>"
        ));
    }
    if truncated {
        xml.push_str(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>same</NextContinuationToken>",
        );
    } else {
        xml.push_str("<IsTruncated>false</IsTruncated>");
    }
    xml.push_str("</ListBucketResult>");
    xml.into_bytes()
}

/// A server that lists `objects` (or answers listings with `raw_listing`; an endless one when
/// `truncated`) and serves their bytes.
async fn hostile_server(objects: Objects, raw_listing: Option<Vec<u8>>, truncated: bool) -> String {
    let listing = raw_listing.unwrap_or_else(|| listing_xml(&objects, truncated));
    let served: BTreeMap<String, Vec<u8>> = objects
        .iter()
        .map(|(k, _, body)| (unescape(k), body.clone()))
        .collect();
    serve(move |method, target| {
        if target.contains("list-type=2") {
            return Answer {
                status: 200,
                headers: vec![("content-type".into(), "application/xml".into())],
                body: listing.clone(),
            };
        }
        let path = target.split('?').next().unwrap_or_default();
        let key = percent_encoding::percent_decode_str(path.trim_start_matches("/hostile/"))
            .decode_utf8_lossy()
            .into_owned();
        match served.get(&key) {
            Some(body) => {
                let etag = format!("\"{}\"", ferry_storage::integrity::md5_hex(body));
                let mut answer = Answer {
                    status: 200,
                    headers: vec![
                        ("etag".into(), etag),
                        (
                            "last-modified".into(),
                            "Thu, 01 Jan 2026 00:00:00 GMT".into(),
                        ),
                    ],
                    body: body.clone(),
                };
                if method == "HEAD" {
                    answer
                        .headers
                        .push(("x-ferry-len".into(), body.len().to_string()));
                    answer.body.clear();
                }
                answer
            }
            None => Answer::error(404, "NoSuchKey", "The specified key does not exist."),
        }
    })
    .await
}

fn unescape(xml: &str) -> String {
    xml.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#x1;", "\u{1}")
        .replace("&amp;", "&")
}

fn hostile_user(endpoint: &str) -> (User, String) {
    (canned_user(endpoint, "hostile"), "hostile".into())
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_listings_never_escape_never_panic_and_never_leave_wrong_files() {
    let mut report = Report::new("hostile/listings");
    let long_key = {
        let mut k = String::from("long/");
        while k.len() < 1000 {
            k.push_str(&"k".repeat(200));
            k.push('/');
        }
        k.push_str(&"z".repeat(1024 - k.len()));
        k
    };
    assert_eq!(long_key.len(), 1024);
    let objects: Objects = vec![
        ("fine.txt".into(), "5".into(), b"fine!".to_vec()),
        (long_key.clone(), "4".into(), b"long".to_vec()),
        (
            "seg/".to_string() + &"s".repeat(300),
            "3".into(),
            b"seg".to_vec(),
        ),
        (
            "../../outside/escaped.txt".into(),
            "7".into(),
            b"escaped".to_vec(),
        ),
        (
            "../../../../../../../../../../tmp/ferry-hostile-canary".into(),
            "6".into(),
            b"canary".to_vec(),
        ),
        ("/abs/olute.txt".into(), "3".into(), b"abs".to_vec()),
        ("a//double.txt".into(), "3".into(), b"dbl".to_vec()),
        ("ctl&#x1;char.txt".into(), "3".into(), b"ctl".to_vec()),
        (
            "amp &amp; &lt;tag&gt;.txt".into(),
            "3".into(),
            b"amp".to_vec(),
        ),
        (
            "lies-bigger.bin".into(),
            "1000".into(),
            b"only ten b".to_vec(),
        ),
        (
            "lies-smaller.bin".into(),
            "2".into(),
            b"twenty bytes, really".to_vec(),
        ),
    ];
    let endpoint = hostile_server(objects.clone(), None, false).await;
    let (user, ws) = hostile_user(&endpoint);
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("a/b/dest");
    std::fs::create_dir_all(root.path().join("a/outside")).unwrap();

    let ls = user.run(&["ls", "-r", "--json", &format!("{ws}:")]);
    report.job(&ls);
    assert_eq!(ls.code, 0, "{}", ls.output());
    let listed: serde_json::Value = serde_json::from_str(&ls.stdout).unwrap();
    let keys: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["key"].as_str())
        .collect();
    assert!(
        keys.contains(&long_key.as_str()),
        "the 1,024-byte key is listed exactly"
    );
    assert!(
        keys.contains(&"../../outside/escaped.txt"),
        "keys are data: listed as they are"
    );

    let cp = user.run(&["cp", "-r", &format!("{ws}:"), dest.to_str().unwrap()]);
    report.job(&cp);
    assert_ne!(
        cp.code,
        0,
        "the refused keys make the job report failures: {}",
        cp.output()
    );
    assert_clear_failure(&cp, "download of hostile keys");
    for refused in [
        "escaped.txt",
        "ferry-hostile-canary",
        "olute.txt",
        "double.txt",
        "longer than 255",
    ] {
        assert!(
            cp.output().contains(refused),
            "{refused} is named in the report: {}",
            cp.output()
        );
    }
    assert!(
        !Path::new("/tmp/ferry-hostile-canary").exists(),
        "a key escaped to /tmp"
    );
    assert_eq!(
        std::fs::read_dir(root.path().join("a/outside"))
            .unwrap()
            .count(),
        0,
        "a key escaped the destination"
    );
    assert!(partial_files(root.path()).is_empty());
    // Every file written holds exactly what the server serves for its key.
    let got = ferry_tests::read_tree(&dest);
    let served: BTreeMap<String, Vec<u8>> = objects
        .iter()
        .map(|(k, _, b)| (unescape(k), b.clone()))
        .collect();
    for (name, bytes) in &got {
        assert_eq!(
            served.get(name),
            Some(bytes),
            "{name} holds what the server serves"
        );
        report.files_verified += 1;
    }
    for must in ["fine.txt", long_key.as_str(), "amp & <tag>.txt"] {
        assert!(
            got.contains_key(must),
            "{must} was downloaded: {:?}",
            got.keys()
        );
    }
    // A size the listing got wrong is reported, never silently written as something else.
    for liar in ["lies-bigger.bin", "lies-smaller.bin"] {
        assert!(
            !got.contains_key(liar) || cp.output().contains(liar),
            "{liar}: a listing that lies about the size is reported: {}",
            cp.output()
        );
    }
    assert_eq!(report.panics, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_utf8_and_endless_listings_end_in_a_clear_error() {
    let mut report = Report::new("hostile/broken listings");
    let mut invalid = listing_xml(&vec![("ok.txt".into(), "1".into(), b"x".to_vec())], false);
    let at = invalid.windows(6).position(|w| w == b"ok.txt").unwrap();
    invalid[at] = 0xff;
    invalid[at + 1] = 0xfe;
    for (what, endpoint) in [
        (
            "invalid UTF-8",
            hostile_server(vec![], Some(invalid), false).await,
        ),
        (
            "an endless listing",
            hostile_server(
                vec![("loop.txt".into(), "1".into(), b"x".to_vec())],
                None,
                true,
            )
            .await,
        ),
        (
            "not XML",
            hostile_server(vec![], Some(b"\x00\x01garbage<<<".to_vec()), false).await,
        ),
        (
            "sizes out of range",
            hostile_server(
                vec![
                    ("neg.txt".into(), "-5".into(), b"x".to_vec()),
                    (
                        "huge.txt".into(),
                        "184467440737095516160".into(),
                        b"x".to_vec(),
                    ),
                ],
                None,
                false,
            )
            .await,
        ),
    ] {
        let (user, ws) = hostile_user(&endpoint);
        let dest = tempfile::tempdir().unwrap();
        for args in [
            vec!["ls".to_string(), "-r".into(), format!("{ws}:")],
            vec![
                "cp".into(),
                "-r".into(),
                format!("{ws}:"),
                dest.path().join("d").to_string_lossy().into(),
            ],
        ] {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = user.run(&args);
            report.job(&run);
            assert_ne!(run.code, 0, "{what}: {args:?}: {}", run.output());
            assert_clear_failure(&run, what);
        }
        assert!(partial_files(dest.path()).is_empty());
    }
    assert_eq!(report.panics, 0);
}
