//! Quick look's previews on a local folder and the real test servers: each kind of file shows
//! what it holds (text in its encoding, cut where it is long; JSON formatted; a table; a small
//! picture of a large image), bytes read whole are checked against the server's ETag (a server
//! answering other bytes is refused), and a player's ranges come from the object as it was when
//! the preview opened.

use std::sync::Arc;

use ferry_engine::preview::{self, Kind, MEDIA_CHUNK, Preview, RangeAnswer, TEXT_BYTES};
use ferry_engine::workspace::Resolved;
use ferry_storage::ObjectMeta;
use ferry_tests::proxy::{Action, Proxy};
use ferry_tests::{Server, User, moto, s3s, unique_bucket};

/// Bytes that never repeat within a few MiB, so a range's position shows in its content.
fn counting(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    picture
        .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

/// The files every preview runs over, written into `dir`.
fn write_files(dir: &std::path::Path) {
    std::fs::create_dir_all(dir).unwrap();
    let files: Vec<(&str, Vec<u8>)> = vec![
        (
            "notes.txt",
            "Ferry moves files.\nÉté, naïve, 東京.\n".into(),
        ),
        (
            "latin1.txt",
            b"Caf\xe9 cr\xe8me br\xfbl\xe9e, fran\xe7ais et \xe9t\xe9 \xe0 la plage".to_vec(),
        ),
        (
            "long.log",
            "line of a long log\n".repeat(60_000).into_bytes(),
        ),
        (
            "data.json",
            br#"{"name":"ferry","sizes":[1,2,3],"nested":{"ok":true}}"#.to_vec(),
        ),
        ("table.csv", b"name,size\n\"a, b\",10\nc,20\n".to_vec()),
        ("photo.png", png(2000, 1000)),
        ("bundle.zip", b"PK\x03\x04 not really".to_vec()),
        ("clip.mp4", counting(5 * 1024 * 1024 + 123)),
        ("tool.bin", vec![0u8, 1, 2, 3, 0, 200, 255]),
    ];
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}

async fn resolve(user: &User, location: &str) -> Resolved {
    let engine = ferry_engine::Engine::load(
        user.config.path(),
        Arc::new(ferry_engine::secrets::Keychain),
    )
    .unwrap();
    engine
        .resolve(&engine.parse_location(location).unwrap())
        .await
        .unwrap()
}

async fn look(user: &User, location: &str) -> (Resolved, ObjectMeta, Preview) {
    let at = resolve(user, location).await;
    let meta = ferry_engine::browse::stat(&at).await.unwrap();
    let shown = preview::preview(&at, &meta).await.unwrap();
    (at, meta, shown)
}

/// Every kind on the store under `base` (a `WS:` prefix or a local folder path with `/`);
/// `checked`: whether the store gives ETags whole reads are checked against.
async fn every_kind(user: &User, base: &str, checked: bool) {
    let (_, _, shown) = look(user, &format!("{base}notes.txt")).await;
    assert_eq!(
        shown,
        Preview::Text {
            text: "Ferry moves files.\nÉté, naïve, 東京.\n".into(),
            encoding: "UTF-8",
            truncated: false,
            pretty: false,
            verified: checked,
        }
    );
    let Preview::Text { text, encoding, .. } = look(user, &format!("{base}latin1.txt")).await.2
    else {
        panic!("latin1.txt is text")
    };
    assert_eq!(encoding, "windows-1252");
    assert!(text.starts_with("Café crème brûlée"), "{text}");

    let Preview::Text {
        text,
        truncated,
        verified,
        ..
    } = look(user, &format!("{base}long.log")).await.2
    else {
        panic!("long.log is text")
    };
    assert!(
        truncated && !verified,
        "only the first part, which no checksum covers"
    );
    assert_eq!(text.len() as u64, TEXT_BYTES);
    assert!(text.starts_with("line of a long log\nline"));

    let Preview::Text { text, pretty, .. } = look(user, &format!("{base}data.json")).await.2 else {
        panic!("data.json is text")
    };
    assert!(pretty);
    assert!(
        text.starts_with("{\n  \"name\": \"ferry\",\n  \"sizes\": ["),
        "{text}"
    );

    let Preview::Table { rows, .. } = look(user, &format!("{base}table.csv")).await.2 else {
        panic!("table.csv is a table")
    };
    assert_eq!(
        rows,
        vec![vec!["name", "size"], vec!["a, b", "10"], vec!["c", "20"]]
    );

    let Preview::Image {
        png,
        width,
        height,
        source_width,
        source_height,
        verified,
    } = look(user, &format!("{base}photo.png")).await.2
    else {
        panic!("photo.png is an image")
    };
    assert_eq!((source_width, source_height), (2000, 1000));
    assert_eq!((width, height), (1024, 512));
    assert_eq!(verified, checked);
    let small = image::load_from_memory(&png).unwrap();
    assert_eq!((small.width(), small.height()), (1024, 512));

    for nothing in ["bundle.zip", "tool.bin"] {
        assert!(
            matches!(
                look(user, &format!("{base}{nothing}")).await.2,
                Preview::None { .. }
            ),
            "{nothing} has no preview"
        );
    }

    // A player reads the video range by range.
    let (at, meta, shown) = look(user, &format!("{base}clip.mp4")).await;
    assert_eq!(
        shown,
        Preview::Media {
            kind: Kind::Video,
            content_type: "video/mp4".into()
        }
    );
    let all = counting(meta.size as usize);
    let part = |answer: RangeAnswer| match answer {
        RangeAnswer::Part {
            start,
            end,
            total,
            bytes,
        } => (start, end, total, bytes.to_vec()),
        other => panic!("expected bytes, got {other:?}"),
    };
    let (start, end, total, bytes) = part(
        preview::read_range(&at, &meta, Some("bytes=100-199"))
            .await
            .unwrap(),
    );
    assert_eq!((start, end, total), (100, 199, meta.size));
    assert_eq!(bytes, all[100..200]);
    // Open-ended: one chunk at a time.
    let (start, end, _, bytes) = part(
        preview::read_range(&at, &meta, Some("bytes=1000-"))
            .await
            .unwrap(),
    );
    assert_eq!((start, end), (1000, 1000 + MEDIA_CHUNK - 1));
    assert_eq!(bytes, all[1000..(1000 + MEDIA_CHUNK) as usize]);
    let (start, _, _, bytes) = part(
        preview::read_range(&at, &meta, Some("bytes=-23"))
            .await
            .unwrap(),
    );
    assert_eq!(start, meta.size - 23);
    assert_eq!(bytes, all[all.len() - 23..]);
    assert_eq!(
        preview::read_range(&at, &meta, Some(&format!("bytes={}-", meta.size)))
            .await
            .unwrap(),
        RangeAnswer::Unsatisfiable { total: meta.size }
    );

    // The object replaced meanwhile: its new bytes are not mixed into the old one's.
    let replacement = user.home.path().join("replacement.mp4");
    std::fs::write(&replacement, counting(4000)).unwrap();
    let run = user.run(&[
        "cp",
        "--overwrite",
        replacement.to_str().unwrap(),
        &format!("{base}clip.mp4"),
    ]);
    assert_eq!(run.code, 0, "{}", run.output());
    let changed = preview::read_range(&at, &meta, Some("bytes=0-9"))
        .await
        .unwrap_err();
    assert!(
        changed
            .to_string()
            .contains("changed since its preview opened"),
        "{changed}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_previews_on_a_local_folder() {
    let user = User::new();
    let dir = user.home.path().join("files");
    write_files(&dir);
    every_kind(&user, &format!("{}/", dir.display()), false).await;
}

async fn on_server(server: &Server) {
    let user = User::new();
    let ws = user.add_s3(server, &unique_bucket("look"));
    let dir = user.home.path().join("files");
    write_files(&dir);
    let up = user.run(&[
        "cp",
        "-r",
        &format!("{}/", dir.display()),
        &format!("{ws}:"),
    ]);
    assert_eq!(up.code, 0, "{}", up.output());
    every_kind(&user, &format!("{ws}:"), true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_previews_on_moto() {
    on_server(&moto()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_previews_on_s3s() {
    on_server(&s3s()).await;
}

/// A server answering other bytes than the object's: the preview is refused, not shown.
#[tokio::test(flavor = "multi_thread")]
async fn a_preview_of_bytes_that_do_not_match_the_etag_is_refused() {
    let server = moto();
    let user = User::new();
    let bucket = unique_bucket("bent");
    let ws = user.add_s3(&server, &bucket);
    let file = user.home.path().join("photo.png");
    std::fs::write(&file, png(300, 200)).unwrap();
    let up = user.run(&["cp", file.to_str().unwrap(), &format!("{ws}:photo.png")]);
    assert_eq!(up.code, 0, "{}", up.output());
    let proxy = Proxy::start(&server.endpoint, |_, method, target| {
        if method == "GET" && target.contains("photo.png") {
            Action::Malform
        } else {
            Action::Forward
        }
    })
    .await;
    let bent = user.add_s3_workspace(&server.through(&proxy), &bucket);
    let at = resolve(&user, &format!("{bent}:photo.png")).await;
    let meta = ferry_engine::browse::stat(&at).await.unwrap();
    let refused = preview::preview(&at, &meta).await.unwrap_err();
    assert!(
        refused.to_string().contains("does not match its ETag"),
        "{refused}"
    );
    assert!(proxy.faults() > 0, "the proxy bent the answer");
}
