//! The storage conformance suite, run against LocalBackend and each real test server, with both
//! checksum behaviours on the S3 servers.

use ferry_storage::LocalBackend;
use ferry_storage::s3::ChecksumMode;
use ferry_storage::testkit::{self, Quirks};

/// 12 MiB: above the test multipart threshold, so it goes up in three parts.
const LARGE: usize = 12 * 1024 * 1024;

macro_rules! conformance {
    ($suite:ident, $make:expr, $quirks:expr, $tricky:expr) => {
        mod $suite {
            use super::*;

            #[tokio::test]
            async fn put_get_stat() {
                testkit::put_get_stat(&$make).await;
            }
            #[tokio::test]
            async fn missing_is_not_found() {
                testkit::missing_is_not_found(&$make).await;
            }
            #[tokio::test]
            async fn byte_ranges() {
                testkit::byte_ranges(&$make).await;
            }
            #[tokio::test]
            async fn list_delimited() {
                testkit::list_delimited(&$make).await;
            }
            #[tokio::test]
            async fn list_recursive_in_pages() {
                testkit::list_recursive_in_pages(&$make).await;
            }
            #[tokio::test]
            async fn tricky_keys() {
                testkit::tricky_keys(&$make, $tricky).await;
            }
            #[tokio::test]
            async fn long_key() {
                testkit::long_key(&$make, $quirks).await;
            }
            #[tokio::test]
            async fn copy_rename_delete() {
                testkit::copy_rename_delete(&$make).await;
            }
            #[tokio::test]
            async fn create_only() {
                testkit::create_only(&$make, LARGE, $quirks).await;
            }
            #[tokio::test]
            async fn folders() {
                testkit::folders(&$make, $quirks).await;
            }
            #[tokio::test]
            async fn large_upload() {
                testkit::large_upload(&$make, LARGE).await;
            }
            #[tokio::test]
            async fn connection_ok() {
                testkit::connection_ok(&$make).await;
            }
        }
    };
}

/// Known s3s-fs 0.14 defects; moto covers what they hide. s3s-fs also stores keys as file
/// paths, so `a//b`, `../x` and `/abs` are altered there: it gets the portable tricky keys only.
const S3S_QUIRKS: Quirks = Quirks {
    hides_folder_markers: true,
    fails_long_keys: true,
    copy_ignores_if_none_match: true,
};

/// moto 5 honours `If-None-Match: *` on PutObject and CompleteMultipartUpload, not CopyObject.
const MOTO_QUIRKS: Quirks = Quirks {
    hides_folder_markers: false,
    fails_long_keys: false,
    copy_ignores_if_none_match: true,
};

fn local() -> LocalBackend {
    // Leaked on purpose: the folder must outlive the backend, and the OS cleans /tmp.
    let dir = tempfile::tempdir().unwrap().keep();
    LocalBackend::new(dir)
}

fn all_tricky() -> &'static [&'static str] {
    let keys: Vec<&str> = testkit::PORTABLE_TRICKY_KEYS
        .iter()
        .chain(testkit::S3_ONLY_TRICKY_KEYS)
        .copied()
        .collect();
    Box::leak(keys.into_boxed_slice())
}

conformance!(
    local_folder,
    local(),
    Quirks::default(),
    testkit::PORTABLE_TRICKY_KEYS
);
conformance!(
    moto_checksums_when_supported,
    ferry_tests::moto()
        .fresh_backend("conf", ChecksumMode::WhenSupported)
        .await,
    MOTO_QUIRKS,
    all_tricky()
);
conformance!(
    moto_checksums_when_required,
    ferry_tests::moto()
        .fresh_backend("conf", ChecksumMode::WhenRequired)
        .await,
    MOTO_QUIRKS,
    all_tricky()
);
conformance!(
    s3s_checksums_when_supported,
    ferry_tests::s3s()
        .fresh_backend("conf", ChecksumMode::WhenSupported)
        .await,
    S3S_QUIRKS,
    testkit::PORTABLE_TRICKY_KEYS
);
conformance!(
    s3s_checksums_when_required,
    ferry_tests::s3s()
        .fresh_backend("conf", ChecksumMode::WhenRequired)
        .await,
    S3S_QUIRKS,
    testkit::PORTABLE_TRICKY_KEYS
);

/// What an S3 server offers beyond the core, as found on the test servers: moto keeps versions
/// and tags and edits properties; s3s-fs 0.14 answers NotImplemented to versioning and tagging.
/// Garage (by its documentation, not run here) has neither versions nor tags. Where a server
/// lacks one, Ferry says so (Unsupported, which the app and CLI explain) and the object is as
/// it was; where it has one, it works.
#[derive(Clone, Copy)]
struct Offers {
    versions: bool,
    tags: bool,
    edits: bool,
}

async fn beyond_the_core(b: ferry_storage::S3Backend, offers: Offers) {
    use ferry_storage::{BackendExt, ErrorKind, ObjectKey};
    let key = ObjectKey::new("feature.txt");
    b.put_bytes(&key, "first".into()).await.unwrap();
    let lacks = |what: &str, e: ferry_storage::StorageError| {
        assert_eq!(e.kind, ErrorKind::Unsupported, "{what}: {e}");
    };
    match b.set_versioning(true).await {
        Ok(()) => {
            assert!(offers.versions, "versions were not expected to work");
            b.put_bytes(&key, "second".into()).await.unwrap();
            let versions = b.all_versions(&key).await.unwrap();
            assert_eq!(versions.len(), 2, "{versions:?}");
            let first = &versions[1];
            b.restore_version(&key, &first.version_id).await.unwrap();
        }
        Err(e) => {
            assert!(!offers.versions, "versions: {e}");
            lacks("versioning", e);
            b.put_bytes(&key, "first".into()).await.unwrap();
        }
    }
    let tags: std::collections::BTreeMap<String, String> =
        [("team".to_string(), "ops".to_string())].into();
    match b.set_tags(&key, &tags).await {
        Ok(()) => {
            assert!(offers.tags, "tags were not expected to work");
            assert_eq!(b.tags(&key).await.unwrap(), tags);
        }
        Err(e) => {
            assert!(!offers.tags, "tags: {e}");
            lacks("tags", e);
        }
    }
    let edit = ferry_storage::s3::PropertyEdit {
        cache_control: Some("max-age=60".into()),
        ..Default::default()
    };
    match b.edit_properties(&key, &edit).await {
        Ok(meta) => {
            assert!(offers.edits, "edits were not expected to work");
            assert_eq!(meta.cache_control.as_deref(), Some("max-age=60"));
        }
        Err(e) => {
            assert!(!offers.edits, "edits: {e}");
            lacks("edits", e);
        }
    }
    assert_eq!(
        b.get_bytes(&key).await.unwrap(),
        "first",
        "the bytes are as they were"
    );
}

#[tokio::test]
async fn beyond_the_core_on_moto() {
    let b = ferry_tests::moto()
        .fresh_backend("offers", ChecksumMode::WhenSupported)
        .await;
    let offers = Offers {
        versions: true,
        tags: true,
        edits: true,
    };
    beyond_the_core(b, offers).await;
}

#[tokio::test]
async fn beyond_the_core_on_s3s() {
    let b = ferry_tests::s3s()
        .fresh_backend("offers", ChecksumMode::WhenSupported)
        .await;
    let offers = Offers {
        versions: false,
        tags: false,
        edits: true,
    };
    beyond_the_core(b, offers).await;
}
