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
