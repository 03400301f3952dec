//! When is a destination file out of date? The rule lives here, in one function.

use ferry_storage::ObjectMeta;
use ferry_storage::integrity::md5_of_etag;
use serde::{Deserialize, Serialize};

/// How `ferry sync` decides that a file changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compare {
    /// Sizes, then modification times (cheap; the default).
    #[default]
    SizeMtime,
    /// Sizes, then MD5 checksums where both sides can tell theirs (local files are read).
    Checksum,
}

/// Clocks and filesystems round times; closer than this counts as the same moment.
pub const MTIME_WINDOW_SECONDS: i64 = 2;

/// Why the source must be copied over the destination, or `None` when they match.
///
/// 1. Different sizes always differ.
/// 2. `Checksum`: when both MD5s are known (a local file's, or an S3 single-part ETag), they
///    decide. When either is unknown, fall through to 3.
/// 3. The source is newer than the destination by more than [`MTIME_WINDOW_SECONDS`]. A copy
///    made by Ferry is never older than its source: uploads are stamped at upload time, and
///    downloads get the source's time — so an unchanged tree compares equal on a second run.
pub fn differs(
    source: &ObjectMeta,
    destination: &ObjectMeta,
    compare: Compare,
    source_md5: Option<&str>,
    destination_md5: Option<&str>,
) -> Option<&'static str> {
    if source.size != destination.size {
        return Some("size differs");
    }
    if compare == Compare::Checksum
        && let (Some(a), Some(b)) = (source_md5, destination_md5)
    {
        return (a != b).then_some("checksum differs");
    }
    match (source.last_modified, destination.last_modified) {
        (Some(src), Some(dst)) if src.as_second() > dst.as_second() + MTIME_WINDOW_SECONDS => {
            Some("source is newer")
        }
        _ => None,
    }
}

/// A version of a file as a listing shows it, to tell later whether it changed: its ETag where
/// the store gives one (S3), else its size and modification time (local files; Ferry gives a
/// file it writes its source's time, so the time is the version's, not the copy's).
pub fn version(meta: &ObjectMeta) -> String {
    match meta
        .etag
        .as_deref()
        .map(ferry_storage::integrity::bare_etag)
    {
        Some(etag) if !etag.is_empty() => format!("etag:{etag}"),
        _ => format!(
            "{}@{}",
            meta.size,
            meta.last_modified.map(|t| t.as_second()).unwrap_or(0)
        ),
    }
}

/// Whether `meta` is still the version written down as `version`, compared in the form it
/// was written in: a listing may give no ETag where a stat of the same object does.
pub fn is_version(meta: &ObjectMeta, version: &str) -> bool {
    if version.starts_with("etag:") {
        return self::version(meta) == version;
    }
    let plain = ObjectMeta {
        etag: None,
        ..meta.clone()
    };
    self::version(&plain) == version
}

/// The MD5 an S3 ETag stands for, when it is one (single-part, not SSE-KMS).
pub fn etag_md5(meta: &ObjectMeta) -> Option<String> {
    if !meta.etag_is_md5() {
        return None;
    }
    md5_of_etag(meta.etag.as_deref()?)
}

/// The MD5 of an object when it can be had: an S3 single-part ETag (asked of the object when
/// the listing gave none, as some servers' listings do not), or a local file's content.
pub(super) async fn md5_of(
    backend: &dyn ferry_storage::Backend,
    meta: &ObjectMeta,
) -> Option<String> {
    if let Some(md5) = etag_md5(meta) {
        return Some(md5);
    }
    let Some(path) = backend.local_path(&meta.key) else {
        if meta.etag.is_some() {
            return None;
        }
        return etag_md5(&backend.stat(&meta.key).await.ok()?);
    };
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut file = std::fs::File::open(path).ok()?;
        let mut digest = ferry_storage::integrity::StreamDigest::new(None);
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).ok()?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
        }
        Some(digest.hex())
    })
    .await
    .ok()
    .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(size: u64, secs: i64, etag: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            size,
            last_modified: Some(jiff::Timestamp::from_second(secs).unwrap()),
            etag: etag.map(str::to_string),
            ..ObjectMeta::default()
        }
    }

    #[test]
    fn the_rule() {
        let a = meta(10, 1000, None);
        assert_eq!(
            differs(&a, &meta(11, 1000, None), Compare::SizeMtime, None, None),
            Some("size differs")
        );
        assert_eq!(
            differs(&a, &meta(10, 1000, None), Compare::SizeMtime, None, None),
            None
        );
        assert_eq!(
            differs(&a, &meta(10, 999, None), Compare::SizeMtime, None, None),
            None,
            "within the window"
        );
        assert_eq!(
            differs(&a, &meta(10, 5000, None), Compare::SizeMtime, None, None),
            None,
            "an upload is newer"
        );
        assert_eq!(
            differs(&meta(10, 9000, None), &a, Compare::SizeMtime, None, None),
            Some("source is newer")
        );
        assert_eq!(
            differs(
                &meta(10, 9000, None),
                &a,
                Compare::Checksum,
                Some("x"),
                Some("x")
            ),
            None,
            "checksums decide"
        );
        assert_eq!(
            differs(&a, &a, Compare::Checksum, Some("x"), Some("y")),
            Some("checksum differs")
        );
        assert_eq!(
            differs(
                &meta(10, 9000, None),
                &a,
                Compare::Checksum,
                None,
                Some("y")
            ),
            Some("source is newer")
        );
    }

    #[test]
    fn etags_that_are_md5s() {
        let md5 = "d41d8cd98f00b204e9800998ecf8427e";
        assert_eq!(
            etag_md5(&meta(0, 0, Some(&format!("\"{md5}\"")))).as_deref(),
            Some(md5)
        );
        assert_eq!(etag_md5(&meta(0, 0, Some("\"abc-3\""))), None);
    }
}
