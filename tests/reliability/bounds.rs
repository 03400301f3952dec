//! Numbers a hostile server gives are checked before Ferry sizes anything by them: a listing
//! whose continuation tokens come round again (in a cycle, not only the same one twice), the
//! same for the list of buckets, a part layout S3 does not allow, a range answered with other
//! bytes, and a download whose length is not the one listed. Each ends in a clear error, with
//! nothing written.

use ferry_tests::canned::{Answer, serve};

use crate::common::{Report, assert_clear_failure, canned_user, partial_files};

/// A listing page: one object, and (when `next` is given) a continuation token.
fn page(key: &str, next: Option<&str>) -> Answer {
    let more = match next {
        Some(token) => format!(
            "<IsTruncated>true</IsTruncated><NextContinuationToken>{token}</NextContinuationToken>"
        ),
        None => "<IsTruncated>false</IsTruncated>".into(),
    };
    Answer::ok(&format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hostile</Name><Prefix></Prefix>\
         <Contents><Key>{key}</Key><Size>1</Size><ETag>&quot;9dd4e461268c8034f5c8564e155c67a6&quot;</ETag>\
         <LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>{more}</ListBucketResult>"
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn continuation_tokens_that_come_round_again_end_the_listing() {
    let mut report = Report::new("hostile/token cycles");
    // t1 → t2 → t1 → …: never the same token twice in a row, and never an end.
    let endpoint = serve(|_, target| {
        if target.contains("continuation-token=t1") {
            page("b.txt", Some("t2"))
        } else if target.contains("continuation-token=t2") {
            page("c.txt", Some("t1"))
        } else if target.contains("list-type=2") {
            page("a.txt", Some("t1"))
        } else if target == "/" || target.starts_with("/?") {
            Answer::ok(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult><Buckets>\
                 <Bucket><Name>hostile</Name></Bucket></Buckets>\
                 <ContinuationToken>again</ContinuationToken></ListAllMyBucketsResult>",
            )
        } else {
            Answer::error(404, "NoSuchKey", "no")
        }
    })
    .await;
    let user = canned_user(&endpoint, "hostile");
    let dest = tempfile::tempdir().unwrap();
    for args in [
        vec!["ls".to_string(), "-r".into(), "hostile:".into()],
        vec![
            "cp".into(),
            "-r".into(),
            "hostile:".into(),
            dest.path().join("d").to_string_lossy().into(),
        ],
        vec!["buckets".into(), "hostile".into()],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = user.run(&args);
        report.job(&run);
        assert_ne!(run.code, 0, "{args:?}: {}", run.output());
        assert_clear_failure(&run, "a token cycle");
        assert!(
            run.stderr.contains("had given before"),
            "{args:?}: the cause is named: {}",
            run.stderr
        );
    }
    assert!(!dest.path().join("d").exists() || partial_files(dest.path()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn lengths_and_layouts_that_do_not_add_up_write_nothing() {
    let mut report = Report::new("hostile/lengths");
    const MIB: usize = 1024 * 1024;
    let big = vec![7u8; 10 * MIB + 1];
    let big_len = big.len();
    let endpoint = serve(move |method, target| {
        let path = target.split('?').next().unwrap_or_default();
        if target.contains("list-type=2") {
            return Answer::ok(&format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>hostile</Name><Prefix></Prefix>\
                 <Contents><Key>short.bin</Key><Size>10</Size><ETag>&quot;x&quot;</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>\
                 <Contents><Key>big.bin</Key><Size>{big_len}</Size><ETag>&quot;00000000000000000000000000000000-20000&quot;</ETag><LastModified>2026-01-01T00:00:00.000Z</LastModified></Contents>\
                 <IsTruncated>false</IsTruncated></ListBucketResult>"
            ));
        }
        let modified = ("last-modified".to_string(), "Thu, 01 Jan 2026 00:00:00 GMT".to_string());
        match path {
            // Listed at 10 bytes, served at 5.
            "/hostile/short.bin" => Answer {
                status: 200,
                headers: vec![modified, ("etag".into(), "\"x\"".into())],
                body: if method == "HEAD" { Vec::new() } else { b"short".to_vec() },
            }
            .header("content-length", "5"),
            // 20,000 parts of one byte, and every range answered with the whole object.
            "/hostile/big.bin" => {
                let head = method == "HEAD";
                let mut answer = Answer {
                    status: 200,
                    headers: vec![
                        modified,
                        (
                            "etag".into(),
                            "\"00000000000000000000000000000000-20000\"".into(),
                        ),
                    ],
                    body: if head { Vec::new() } else { big.clone() },
                };
                if target.contains("partNumber=1") {
                    answer = answer
                        .header("x-amz-mp-parts-count", "20000")
                        .header("content-length", "1");
                } else if head {
                    answer = answer.header("content-length", &big_len.to_string());
                }
                answer
            }
            _ => Answer::error(404, "NoSuchKey", "no"),
        }
    })
    .await;
    let user = canned_user(&endpoint, "hostile");
    user.set_transfer(&[("part_size_mib", 5.into())]);
    let dest = tempfile::tempdir().unwrap();
    let run = user.run(&[
        "cp",
        "-r",
        "hostile:",
        dest.path().join("d").to_str().unwrap(),
    ]);
    report.job(&run);
    assert_eq!(run.code, 1, "{}", run.output());
    assert_clear_failure(&run, "lengths that do not add up");
    for (name, said) in [
        ("short.bin", "not the 10 it had when the job listed it"),
        ("big.bin", "answered a request for bytes"),
    ] {
        assert!(
            run.stderr
                .lines()
                .any(|l| l.contains(name) && l.contains(said)),
            "{name}: {}",
            run.stderr
        );
    }
    assert!(
        ferry_tests::read_tree(dest.path()).is_empty(),
        "nothing written, no partial file"
    );
}
