//! One conformance suite that every [`Backend`] must pass. Each check works in a fresh folder of
//! its own, so checks can share a store and run in parallel. Integration tests call these
//! against `LocalBackend` and against each real S3-compatible test server.

use std::collections::BTreeSet;

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use crate::backend::{
    Backend, BackendExt, ByteRange, Entry, ListOptions, PutBody, PutOptions, WriteMode,
};
use crate::error::ErrorKind;
use crate::key::ObjectKey;

/// Known defects of a test server, each of which a check works around explicitly rather than
/// passing silently.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quirks {
    /// The server stores an empty `dir/` marker but never lists it, and HEAD on it fails
    /// (s3s-fs 0.14).
    pub hides_folder_markers: bool,
    /// The server fails on keys near 1,024 bytes (s3s-fs 0.14 derives >255-byte file names).
    pub fails_long_keys: bool,
    /// CopyObject replaces the destination despite `If-None-Match: *` (moto 5, s3s-fs 0.14,
    /// MinIO and Garage; AWS honours it). Ferry checks just before such a copy instead.
    pub copy_ignores_if_none_match: bool,
}

/// Keys that S3 accepts and a browser must show exactly. All are valid local names too.
pub const PORTABLE_TRICKY_KEYS: &[&str] = &[
    "with space.txt",
    "plus+percent%hash#q?amp&eq=.bin",
    "caf\u{e9}-nfc.txt",
    "cafe\u{301}-nfd.txt",
    "\u{65e5}\u{672c}\u{8a9e}/\u{1f600}.txt",
    "semi;colon,comma'quote\"@!$().txt",
    "deep/a/b/c/d/e/f/g/leaf.txt",
];

/// Keys S3 accepts that can never be local file names.
pub const S3_ONLY_TRICKY_KEYS: &[&str] = &["a//b", "../x", "a/../../b", "/abs", "./dot"];

/// A fresh folder for one check.
pub fn scratch(check: &str) -> ObjectKey {
    ObjectKey::new(format!(
        "conformance-{check}-{}/",
        uuid::Uuid::new_v4().simple()
    ))
}

/// Deterministic, incompressible-enough test data.
pub fn pattern(len: usize, seed: u8) -> Bytes {
    let mut state = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect::<Vec<u8>>()
        .into()
}

pub async fn put_get_stat(b: &dyn Backend) {
    let dir = scratch("put-get");
    let key = dir.concat("hello.txt");
    let data = pattern(10_000, 1);
    let put = b.put_bytes(&key, data.clone()).await.expect("put");
    assert_eq!(put.size, 10_000, "put must report the stored size");
    assert_eq!(
        b.get_bytes(&key).await.expect("get"),
        data,
        "get returns what put stored"
    );
    let meta = b.stat(&key).await.expect("stat");
    assert_eq!(meta.size, 10_000);
    assert_eq!(meta.key, key);
    assert!(
        meta.last_modified.is_some(),
        "stat must report a modification time"
    );
    assert_eq!(
        meta.content_type.as_deref(),
        Some("text/plain"),
        "content type is guessed from the name"
    );

    b.put_bytes(&key, Bytes::from_static(b"replaced"))
        .await
        .expect("overwrite");
    assert_eq!(&b.get_bytes(&key).await.unwrap()[..], b"replaced");

    let empty = dir.concat("empty.bin");
    b.put_bytes(&empty, Bytes::new()).await.expect("put empty");
    assert_eq!(b.stat(&empty).await.unwrap().size, 0);
    assert!(b.get_bytes(&empty).await.unwrap().is_empty());
}

pub async fn missing_is_not_found(b: &dyn Backend) {
    let key = scratch("missing").concat("nope.txt");
    assert_eq!(b.stat(&key).await.unwrap_err().kind, ErrorKind::NotFound);
    assert_eq!(
        b.get(&key, None).await.err().unwrap().kind,
        ErrorKind::NotFound
    );
    assert!(b.try_stat(&key).await.unwrap().is_none());
}

pub async fn byte_ranges(b: &dyn Backend) {
    let key = scratch("ranges").concat("data.bin");
    let data = pattern(4096, 2);
    b.put_bytes(&key, data.clone()).await.unwrap();
    for (start, end) in [
        (0, Some(1)),
        (100, Some(200)),
        (4000, None),
        (0, Some(4096)),
    ] {
        let mut got = b
            .get(&key, Some(ByteRange::new(start, end).unwrap()))
            .await
            .unwrap();
        let mut buf = Vec::new();
        got.body.read_to_end(&mut buf).await.unwrap();
        let end = end.unwrap_or(4096) as usize;
        assert_eq!(&buf[..], &data[start as usize..end], "range {start}..{end}");
        assert_eq!(
            got.meta.size, 4096,
            "a ranged read still reports the object's full size"
        );
    }
}

pub async fn list_delimited(b: &dyn Backend) {
    let dir = scratch("list");
    for name in [
        "b.txt",
        "a.txt",
        "sub/one.txt",
        "sub/two.txt",
        "sub2/x.txt",
        "a.txt.bak",
    ] {
        b.put_bytes(&dir.concat(name), Bytes::from_static(b"x"))
            .await
            .unwrap();
    }
    let entries = b.list_collect(&dir, false).await.unwrap();
    let shown: Vec<(String, bool)> = entries
        .iter()
        .map(|e| {
            (
                e.key().strip_prefix(&dir).unwrap().to_string(),
                matches!(e, Entry::Folder { .. }),
            )
        })
        .collect();
    assert_eq!(
        shown,
        vec![
            ("a.txt".to_string(), false),
            ("a.txt.bak".to_string(), false),
            ("b.txt".to_string(), false),
            ("sub/".to_string(), true),
            ("sub2/".to_string(), true),
        ],
        "one level, folders rolled up, in key order"
    );
    let partial = b.list_collect(&dir.concat("a."), false).await.unwrap();
    assert_eq!(
        partial.len(),
        2,
        "a prefix need not end at a folder boundary: {partial:?}"
    );
    let nested = b.list_collect(&dir.concat("sub/"), false).await.unwrap();
    assert_eq!(nested.len(), 2);
    let none = b
        .list_collect(&dir.concat("nothing-here/"), false)
        .await
        .unwrap();
    assert!(
        none.is_empty(),
        "listing a missing folder is empty, not an error"
    );
}

pub async fn list_recursive_in_pages(b: &dyn Backend) {
    use futures::StreamExt;
    let dir = scratch("pages");
    let mut expected = BTreeSet::new();
    for i in 0..7 {
        let key = dir.concat(&format!("f{}/item-{i}.txt", i % 3));
        b.put_bytes(&key, Bytes::from_static(b"p")).await.unwrap();
        expected.insert(key.into_string());
    }
    let mut pages = b.list(
        &dir,
        ListOptions {
            recursive: true,
            page_size: Some(3),
        },
    );
    let mut seen = Vec::new();
    let mut page_count = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        assert!(
            page.entries.len() <= 3,
            "a page holds at most page_size entries"
        );
        page_count += 1;
        seen.extend(
            page.entries
                .into_iter()
                .map(|e| e.key().as_str().to_string()),
        );
    }
    assert!(
        page_count >= 3,
        "7 entries in pages of 3 take at least 3 pages"
    );
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "recursive listings come in key order");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);
}

/// Each key is written, listed back exactly, read back, and deleted.
pub async fn tricky_keys(b: &dyn Backend, keys: &[&str]) {
    let dir = scratch("tricky");
    for (i, raw) in keys.iter().enumerate() {
        let key = dir.concat(raw);
        b.put_bytes(&key, pattern(100 + i, i as u8))
            .await
            .unwrap_or_else(|e| panic!("put {raw:?}: {e}"));
    }
    let listed: BTreeSet<String> = b
        .list_collect(&dir, true)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.key().strip_prefix(&dir).unwrap().to_string())
        .collect();
    let wanted: BTreeSet<String> = keys.iter().map(|k| k.to_string()).collect();
    assert_eq!(listed, wanted, "every key is listed exactly as written");
    for (i, raw) in keys.iter().enumerate() {
        let key = dir.concat(raw);
        assert_eq!(
            b.get_bytes(&key).await.unwrap(),
            pattern(100 + i, i as u8),
            "{raw:?}"
        );
        assert_eq!(b.stat(&key).await.unwrap().key, key);
    }
    let all: Vec<ObjectKey> = keys.iter().map(|k| dir.concat(k)).collect();
    assert!(b.delete_many(&all).await.unwrap().is_empty());
}

pub async fn long_key(b: &dyn Backend, quirks: Quirks) {
    if quirks.fails_long_keys {
        eprintln!("skipped: this server cannot store 1,024-byte keys");
        return;
    }
    let dir = scratch("long");
    // 1,024 bytes in all, in segments short enough for any local filesystem.
    let mut rest = 1024 - dir.as_str().len();
    let mut tail = String::new();
    while rest > 200 {
        tail.push_str(&"k".repeat(199));
        tail.push('/');
        rest -= 200;
    }
    tail.push_str(&"k".repeat(rest));
    let key = dir.concat(&tail);
    assert_eq!(key.as_str().len(), 1024);
    b.put_bytes(&key, Bytes::from_static(b"long"))
        .await
        .unwrap();
    let listed = b.list_collect(&dir, true).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key(), &key);
    let too_long = dir.concat(&"x".repeat(1100));
    assert!(
        b.put_bytes(&too_long, Bytes::from_static(b"x"))
            .await
            .is_err(),
        "keys over 1,024 bytes are refused"
    );
}

pub async fn copy_rename_delete(b: &dyn Backend) {
    let dir = scratch("copy");
    let a = dir.concat("a file.txt");
    let data = pattern(3000, 3);
    b.put_bytes(&a, data.clone()).await.unwrap();
    let copied = b
        .copy(&a, &dir.concat("copy/of a.txt"), WriteMode::Overwrite)
        .await
        .unwrap();
    assert_eq!(copied.size, 3000);
    assert_eq!(
        b.get_bytes(&dir.concat("copy/of a.txt")).await.unwrap(),
        data
    );

    let renamed = dir.concat("renamed.txt");
    b.rename(&a, &renamed).await.unwrap();
    assert!(
        b.try_stat(&a).await.unwrap().is_none(),
        "rename removes the source"
    );
    assert_eq!(b.get_bytes(&renamed).await.unwrap(), data);
    let err = b
        .rename(&renamed, &dir.concat("copy/of a.txt"))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::AlreadyExists, "rename never replaces");
    assert!(
        b.try_stat(&renamed).await.unwrap().is_some(),
        "a refused rename keeps the source"
    );

    let failures = b
        .delete_many(&[
            renamed.clone(),
            dir.concat("copy/of a.txt"),
            dir.concat("never-existed"),
        ])
        .await
        .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    let left = b.list_collect(&dir, true).await.unwrap();
    assert!(
        left.iter().all(|e| matches!(e, Entry::Folder { .. })),
        "every object is gone (stores may keep empty folders): {left:?}"
    );
}

/// A write that may only create never replaces: not a small one, not one in parts (the
/// completion carries the condition), not a copy — and leaves what was there as it was.
pub async fn create_only(b: &dyn Backend, large: usize, quirks: Quirks) {
    let dir = scratch("create-only");
    let create = PutOptions {
        mode: WriteMode::Create,
        ..PutOptions::default()
    };
    let key = dir.concat("taken.bin");
    let first = pattern(1000, 7);
    b.put(&key, PutBody::from_bytes(first.clone()), &create)
        .await
        .expect("creating a new key works");
    for (what, body) in [
        ("a small write", pattern(2000, 8)),
        ("a write in parts", pattern(large, 9)),
    ] {
        let err = b
            .put(&key, PutBody::from_bytes(body), &create)
            .await
            .expect_err(what);
        assert_eq!(err.kind, ErrorKind::AlreadyExists, "{what}: {err}");
        assert_eq!(
            b.get_bytes(&key).await.unwrap(),
            first,
            "{what} left the existing object as it was"
        );
    }
    let source = dir.concat("source.bin");
    b.put_bytes(&source, pattern(500, 10)).await.unwrap();
    let copied = b.copy(&source, &key, WriteMode::Create).await;
    if quirks.copy_ignores_if_none_match {
        assert!(
            copied.is_ok(),
            "this server ignores the condition on copies (a quirk)"
        );
    } else {
        let err = copied.expect_err("a copy onto a taken key");
        assert_eq!(err.kind, ErrorKind::AlreadyExists, "{err}");
        assert_eq!(b.get_bytes(&key).await.unwrap(), first);
    }
    b.put(
        &key,
        PutBody::from_bytes(pattern(10, 11)),
        &PutOptions::default(),
    )
    .await
    .expect("an overwrite replaces");
}

pub async fn folders(b: &dyn Backend, quirks: Quirks) {
    let dir = scratch("folders");
    let folder = dir.concat("empty folder/");
    b.create_folder(&folder).await.unwrap();
    if quirks.hides_folder_markers {
        eprintln!("skipped: this server never lists folder markers; only creation is checked");
    } else {
        let entries = b.list_collect(&dir, false).await.unwrap();
        assert_eq!(
            entries,
            vec![Entry::Folder {
                key: folder.clone()
            }],
            "an empty folder is listed"
        );
        let inside = b.list_collect(&folder, false).await.unwrap();
        assert!(
            inside.is_empty(),
            "a folder does not contain its own marker: {inside:?}"
        );
        assert!(
            b.folder_exists(&folder).await.unwrap(),
            "an empty folder exists"
        );
        assert!(!b.folder_exists(&dir.concat("never-made/")).await.unwrap());
    }
    b.delete_many(std::slice::from_ref(&folder)).await.unwrap();
    assert!(
        b.list_collect(&dir, true).await.unwrap().is_empty(),
        "the folder is gone"
    );
}

pub async fn large_upload(b: &dyn Backend, len: usize) {
    let dir = scratch("large");
    let data = pattern(len, 4);
    let from_bytes = dir.concat("bytes.bin");
    b.put(
        &from_bytes,
        PutBody::from_bytes(data.clone()),
        &PutOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(b.get_bytes(&from_bytes).await.unwrap(), data);

    let reader = dir.concat("reader.bin");
    let body = PutBody::from_reader(Box::new(std::io::Cursor::new(data.clone())), len as u64);
    b.put(&reader, body, &PutOptions::default()).await.unwrap();
    assert_eq!(b.get_bytes(&reader).await.unwrap(), data);

    let tmp = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(tmp.path(), &data).unwrap();
    let file = dir.concat("file.bin");
    b.put(
        &file,
        PutBody::from_file(tmp.path()).await.unwrap(),
        &PutOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(b.stat(&file).await.unwrap().size, len as u64);
    assert_eq!(b.get_bytes(&file).await.unwrap(), data);

    let short = PutBody::from_reader(
        Box::new(std::io::Cursor::new(data.slice(..len / 2))),
        len as u64,
    );
    let key = dir.concat("short.bin");
    assert!(
        b.put(&key, short, &PutOptions::default()).await.is_err(),
        "a source shorter than announced fails"
    );
    assert!(
        b.try_stat(&key).await.unwrap().is_none(),
        "and leaves nothing behind"
    );
}

pub async fn connection_ok(b: &dyn Backend) {
    let report = b.test_connection().await;
    assert!(report.ok(), "{report:#?}");
    let names: Vec<_> = report.checks.iter().map(|c| c.name).collect();
    use crate::diagnose::CheckName::*;
    assert_eq!(names, vec![Connect, List, Write, Cleanup]);
    let leftovers = b.list_collect(&ObjectKey::root(), false).await.unwrap();
    assert!(
        leftovers
            .iter()
            .all(|e| !e.key().as_str().starts_with(".ferry-probe")),
        "the connection test leaves nothing behind: {leftovers:?}"
    );
}
