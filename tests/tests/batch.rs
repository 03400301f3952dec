//! DeleteObjects takes at most 1,000 keys: a larger delete must be split and still remove all.

use bytes::Bytes;
use ferry_storage::s3::ChecksumMode;
use ferry_storage::{Backend, BackendExt, ObjectKey};
use futures::StreamExt;

#[tokio::test]
async fn deletes_more_than_one_batch() {
    let backend = ferry_tests::moto()
        .fresh_backend("batch", ChecksumMode::WhenSupported)
        .await;
    let keys: Vec<ObjectKey> = (0..1001)
        .map(|i| ObjectKey::new(format!("many/{i:04}")))
        .collect();
    let puts = futures::stream::iter(keys.clone())
        .map(|key| {
            let backend = backend.clone();
            async move { backend.put_bytes(&key, Bytes::from_static(b"x")).await }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    assert!(puts.iter().all(Result::is_ok));
    assert_eq!(
        backend
            .list_collect(&ObjectKey::new("many/"), true)
            .await
            .unwrap()
            .len(),
        1001
    );
    let failures = backend.delete_many(&keys).await.unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        backend
            .list_collect(&ObjectKey::new("many/"), true)
            .await
            .unwrap()
            .is_empty()
    );
}
