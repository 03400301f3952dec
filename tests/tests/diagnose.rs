//! Every connection diagnosis that can be produced on this machine: against the real servers
//! where they can produce it, and against canned HTTP answers where they cannot.

use ferry_storage::s3::ChecksumMode;
use ferry_storage::{Backend, CheckName, ErrorKind, S3Backend, Sensitive};
use ferry_tests::canned::{self, Answer};
use ferry_tests::{moto, s3s, unique_bucket};

/// Asserts that the connection check failed with `kind`, in words that include `words`.
fn expect(found: (CheckName, ErrorKind, String), kind: ErrorKind, words: &str) {
    let (check, found_kind, message) = found;
    assert_eq!((check, found_kind), (CheckName::Connect, kind), "{message}");
    assert!(message.contains(words), "expected {words:?} in: {message}");
}

/// The kind of the first failed check, and that check's name.
async fn diagnose(backend: &S3Backend) -> (CheckName, ErrorKind, String) {
    let report = backend.test_connection().await;
    let failure = report
        .failure()
        .unwrap_or_else(|| panic!("expected a failure: {report:#?}"));
    (failure.name, failure.kind.unwrap(), failure.message.clone())
}

/// Diagnoses an existing s3s-fs bucket reached with the given keys.
async fn with_keys(key_id: Option<&str>, secret: Option<&str>) -> (CheckName, ErrorKind, String) {
    let server = s3s();
    let bucket = server
        .fresh_backend("diag", ChecksumMode::WhenRequired)
        .await;
    let mut config = server.config(&bucket.config().bucket);
    config.credentials = ferry_storage::S3Credentials::Static {
        access_key_id: key_id.unwrap_or(&server.access_key_id).into(),
        secret_access_key: Sensitive::new(secret.unwrap_or(&server.secret_access_key).into()),
        session_token: None,
    };
    diagnose(&S3Backend::connect(config).await).await
}

#[tokio::test]
async fn wrong_secret() {
    expect(
        with_keys(None, Some("wrong-secret")).await,
        ErrorKind::WrongSecret,
        "secret access key is wrong",
    );
}

#[tokio::test]
async fn unknown_access_key() {
    expect(
        with_keys(Some("FERRYNOSUCHKEY000000"), None).await,
        ErrorKind::UnknownAccessKey,
        "does not know this access key",
    );
}

#[tokio::test]
async fn missing_bucket_on_both_servers() {
    for server in [moto(), s3s()] {
        let backend = S3Backend::connect(server.config(&unique_bucket("absent"))).await;
        let (check, kind, message) = diagnose(&backend).await;
        assert_eq!(
            (check, kind),
            (CheckName::Connect, ErrorKind::BucketMissing),
            "{}: {message}",
            server.name
        );
        assert!(message.contains("does not exist"), "{message}");
    }
}

#[tokio::test]
async fn dead_port() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mut server = moto();
    server.endpoint = format!("http://127.0.0.1:{port}");
    let backend = S3Backend::connect(server.config("any-bucket")).await;
    expect(diagnose(&backend).await, ErrorKind::Unreachable, "refused");
}

#[tokio::test]
async fn unresolvable_host() {
    let mut server = moto();
    server.endpoint = "http://no-such-host.invalid:9000".into();
    let backend = S3Backend::connect(server.config("any-bucket")).await;
    expect(diagnose(&backend).await, ErrorKind::Unreachable, "DNS");
}

async fn canned_backend(
    answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static,
) -> S3Backend {
    let mut server = moto();
    server.endpoint = canned::serve(answer).await;
    let mut config = server.config("canned-bucket");
    config.checksums = ChecksumMode::WhenRequired;
    S3Backend::connect(config).await
}

#[tokio::test]
async fn clock_skew() {
    let backend = canned_backend(|_, _| {
        Answer::error(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
        )
    })
    .await;
    expect(diagnose(&backend).await, ErrorKind::ClockSkew, "clock");
}

#[tokio::test]
async fn bucket_in_another_region_names_it() {
    let backend = canned_backend(|_, _| {
        Answer::error(301, "PermanentRedirect", "The bucket you are attempting to access must be addressed using the specified endpoint.")
            .header("x-amz-bucket-region", "eu-west-3")
    })
    .await;
    expect(
        diagnose(&backend).await,
        ErrorKind::WrongRegion,
        "eu-west-3",
    );
}

#[tokio::test]
async fn list_denied_but_write_allowed() {
    let backend = canned_backend(|method, _| match method {
        "GET" => Answer::error(403, "AccessDenied", "Access Denied"),
        "POST" => Answer::ok(canned::DELETED),
        _ => Answer::ok(""),
    })
    .await;
    let report = backend.test_connection().await;
    let outcome: Vec<(CheckName, bool)> = report.checks.iter().map(|c| (c.name, c.ok)).collect();
    assert_eq!(
        outcome,
        vec![
            (CheckName::Connect, true),
            (CheckName::List, false),
            (CheckName::Write, true),
            (CheckName::Cleanup, true)
        ],
        "{report:#?}"
    );
    assert_eq!(report.checks[1].kind, Some(ErrorKind::AccessDenied));
}

#[tokio::test]
async fn write_denied_is_named() {
    let backend = canned_backend(|method, _| match method {
        "GET" => Answer::ok(canned::EMPTY_LISTING),
        _ => Answer::error(403, "AccessDenied", "Access Denied"),
    })
    .await;
    let report = backend.test_connection().await;
    let failure = report.failure().expect("write must fail");
    assert_eq!(
        (failure.name, failure.kind),
        (CheckName::Write, Some(ErrorKind::AccessDenied)),
        "{report:#?}"
    );
    assert!(
        failure.message.contains("denied permission to write"),
        "{}",
        failure.message
    );
}
