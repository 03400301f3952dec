//! The connection doctor: tells apart an unreachable endpoint, unknown key, wrong secret, clock
//! skew, missing bucket, wrong region and missing list or write permission.

use futures::StreamExt;

use super::S3Backend;
use crate::backend::{Backend, ListOptions, PutBody, PutOptions};
use crate::diagnose::{CheckName, ConnectionReport};
use crate::error::{ErrorKind, StorageError};
use crate::key::ObjectKey;

pub(super) async fn test_connection(backend: &S3Backend) -> ConnectionReport {
    let mut report = ConnectionReport::new(backend.describe());
    let listing = backend
        .list(
            &ObjectKey::root(),
            ListOptions {
                recursive: false,
                page_size: Some(1),
            },
        )
        .next()
        .await
        .unwrap_or_else(|| Ok(Default::default()));
    match listing {
        Ok(_) => {
            report.pass(CheckName::Connect, connected(backend));
            report.pass(CheckName::List, "the bucket and prefix can be listed");
        }
        // A refusal to list proves the endpoint, the key and the secret are right.
        Err(e) if e.kind == ErrorKind::AccessDenied => {
            report.pass(CheckName::Connect, connected(backend));
            report.fail(CheckName::List, &e);
        }
        Err(e) => {
            report.fail(CheckName::Connect, &e);
            return report;
        }
    }

    let probe = ObjectKey::new(format!(".ferry-probe-{}", uuid::Uuid::new_v4()));
    let written = backend
        .put(
            &probe,
            PutBody::from_bytes(&b""[..]),
            &PutOptions::default(),
        )
        .await;
    if let Err(e) = written {
        report.fail(CheckName::Write, &e);
        return report;
    }
    report.pass(CheckName::Write, "a probe object can be written");
    match backend.delete_many(std::slice::from_ref(&probe)).await {
        Ok(failures) if failures.is_empty() => {
            report.pass(CheckName::Cleanup, "the probe object was removed")
        }
        Ok(failures) => report.fail(
            CheckName::Cleanup,
            &left_behind(backend, &probe, &failures[0].message),
        ),
        Err(e) => report.fail(
            CheckName::Cleanup,
            &left_behind(backend, &probe, &e.message),
        ),
    }
    report
}

fn connected(backend: &S3Backend) -> String {
    format!(
        "{} answered, accepted the credentials, and bucket {:?} exists",
        backend.inner.endpoint,
        backend.bucket()
    )
}

fn left_behind(backend: &S3Backend, probe: &ObjectKey, cause: &str) -> StorageError {
    StorageError::new(
        ErrorKind::AccessDenied,
        format!(
            "the probe object {:?} could not be deleted and was left behind ({cause}); delete permission is missing",
            backend.full_key(probe)
        ),
    )
}
