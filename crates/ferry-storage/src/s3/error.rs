//! Turns SDK errors into [`StorageError`]s that name the cause in the user's terms.

use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::http::Response;
use aws_smithy_types::error::display::DisplayErrorContext;

use crate::error::{ErrorKind, StorageError};
use crate::text::{HELPER_OUTPUT_WITHHELD, without_helper_output};

/// What the request was about, for the message.
pub(crate) struct Context<'a> {
    pub endpoint: &'a str,
    pub bucket: &'a str,
    pub region: &'a str,
    /// "list", "read x", "write x"…
    pub action: &'a str,
}

pub(crate) fn map_sdk_error<E>(err: SdkError<E, Response>, ctx: &Context<'_>) -> StorageError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    // The full context (with Debug output) classifies; people read only the Display chain.
    // Neither carries what a credential_process helper printed (see `without_helper_output`).
    let chain = without_helper_output(&DisplayErrorContext(&err).to_string());
    let shown = without_helper_output(&display_chain(&err));
    if chain.contains(HELPER_OUTPUT_WITHHELD) {
        // The SDK's error holds the helper's words: it is not kept as the source.
        return StorageError::new(
            ErrorKind::NoCredentials,
            format!("no AWS credentials could be loaded: {shown}"),
        );
    }
    match &err {
        SdkError::ServiceError(service) => {
            let raw = service.raw();
            let status = raw.status().as_u16();
            let code = service.err().code().unwrap_or("").to_string();
            let server_message = service.err().message().unwrap_or("").to_string();
            let region_header = raw.headers().get("x-amz-bucket-region").map(str::to_string);
            let (kind, message) = classify(
                &code,
                status,
                &server_message,
                region_header.as_deref(),
                ctx,
            );
            let bucket_region = (kind == ErrorKind::WrongRegion)
                .then(|| region_header.or_else(|| region_from_message(&server_message)))
                .flatten()
                .filter(|actual| actual != ctx.region);
            let mut error = StorageError::with_source(kind, message, err);
            error.bucket_region = bucket_region;
            error
        }
        SdkError::DispatchFailure(failure) => {
            let (kind, message) = if failure.is_timeout() {
                (
                    ErrorKind::Unreachable,
                    format!("timed out connecting to {}", ctx.endpoint),
                )
            } else {
                unreachable_message(&chain, &shown, ctx)
            };
            StorageError::with_source(kind, message, err)
        }
        SdkError::TimeoutError(_) => StorageError::with_source(
            ErrorKind::Unreachable,
            format!("{} did not answer in time ({})", ctx.endpoint, ctx.action),
            err,
        ),
        SdkError::ResponseError(_) => StorageError::with_source(
            ErrorKind::Server,
            format!(
                "{} sent a response that could not be read ({}): {shown}",
                ctx.endpoint, ctx.action
            ),
            err,
        ),
        _ => {
            let lower = chain.to_lowercase();
            if lower.contains("credential") {
                StorageError::with_source(
                    ErrorKind::NoCredentials,
                    format!("no AWS credentials could be loaded: {shown}"),
                    err,
                )
            } else {
                StorageError::with_source(
                    ErrorKind::InvalidRequest,
                    format!("could not {}: {shown}", ctx.action),
                    err,
                )
            }
        }
    }
}

/// Each error's message down the `source()` chain, without the Debug dumps
/// `DisplayErrorContext` appends (which carry raw responses and internal type names).
fn display_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

fn unreachable_message(chain: &str, shown: &str, ctx: &Context<'_>) -> (ErrorKind, String) {
    if chain.contains(super::guard::REFUSED) {
        return (
            ErrorKind::InvalidRequest,
            format!("refused to connect to {}: {shown}", ctx.endpoint),
        );
    }
    let lower = chain.to_lowercase();
    let cause = if lower.contains("dns error") || lower.contains("failed to lookup address") {
        "the host name could not be resolved (DNS)"
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("ssl") {
        "the TLS handshake failed (certificate or protocol problem)"
    } else if lower.contains("connection refused") {
        "the connection was refused (nothing is listening there)"
    } else if lower.contains("credential") {
        return (
            ErrorKind::NoCredentials,
            format!("no AWS credentials could be loaded: {shown}"),
        );
    } else {
        "the connection failed"
    };
    (
        ErrorKind::Unreachable,
        format!("could not reach {}: {cause}", ctx.endpoint),
    )
}

fn classify(
    code: &str,
    status: u16,
    server_message: &str,
    region_header: Option<&str>,
    ctx: &Context<'_>,
) -> (ErrorKind, String) {
    let bucket = ctx.bucket;
    match code {
        "NoSuchKey" => (
            ErrorKind::NotFound,
            format!("{} failed: no such object", ctx.action),
        ),
        "NoSuchUpload" => (
            ErrorKind::NotFound,
            format!(
                "{} failed: the multipart upload no longer exists (NoSuchUpload)",
                ctx.action
            ),
        ),
        "NoSuchBucket" => (
            ErrorKind::BucketMissing,
            format!("bucket {bucket:?} does not exist at {}", ctx.endpoint),
        ),
        "ExpiredToken" | "InvalidToken" | "TokenRefreshRequired" => (
            ErrorKind::UnknownAccessKey,
            format!(
                "{} rejected the session token: it is expired or invalid ({code})",
                ctx.endpoint
            ),
        ),
        // s3s answers NotSignedUp for a key it does not know.
        "InvalidAccessKeyId" | "NotSignedUp" => (
            ErrorKind::UnknownAccessKey,
            format!("{} does not know this access key id ({code})", ctx.endpoint),
        ),
        "SignatureDoesNotMatch" => (
            ErrorKind::WrongSecret,
            format!(
                "{} rejected the request signature: the secret access key is wrong (SignatureDoesNotMatch)",
                ctx.endpoint
            ),
        ),
        "RequestTimeTooSkewed" => (
            ErrorKind::ClockSkew,
            format!(
                "{} says this computer's clock is too far from its own (RequestTimeTooSkewed)",
                ctx.endpoint
            ),
        ),
        // Glacier and Deep Archive objects are read only once a restored copy is there.
        "InvalidObjectState" => (
            ErrorKind::Archived,
            format!(
                "{} cannot {}: the object is archived (Glacier or Deep Archive) and must be restored before it can be read",
                ctx.endpoint, ctx.action
            ),
        ),
        // A server that lacks a feature (s3s-fs: versions, tags) says so; retrying will not help.
        "NotImplemented" => (
            ErrorKind::Unsupported,
            format!(
                "{} cannot {}: the server does not implement it (NotImplemented)",
                ctx.endpoint, ctx.action
            ),
        ),
        "PermanentRedirect"
        | "AuthorizationHeaderMalformed"
        | "IllegalLocationConstraintException" => wrong_region(region_header, server_message, ctx),
        "AccessDenied" | "AllAccessDisabled" | "AccountProblem" => (
            ErrorKind::AccessDenied,
            format!(
                "{} denied permission to {} in bucket {bucket:?} (AccessDenied)",
                ctx.endpoint, ctx.action
            ),
        ),
        "SlowDown" | "ServiceUnavailable" | "RequestLimitExceeded" | "Throttling" => (
            ErrorKind::Throttled,
            format!("{} asked to slow down ({code})", ctx.endpoint),
        ),
        "InvalidRange" => (
            ErrorKind::InvalidRequest,
            format!(
                "{} failed: the byte range is outside the object",
                ctx.action
            ),
        ),
        "BucketAlreadyOwnedByYou" | "BucketAlreadyExists" => (
            ErrorKind::AlreadyExists,
            format!("bucket {bucket:?} already exists ({code})"),
        ),
        _ => classify_status(code, status, server_message, region_header, ctx),
    }
}

fn classify_status(
    code: &str,
    status: u16,
    server_message: &str,
    region_header: Option<&str>,
    ctx: &Context<'_>,
) -> (ErrorKind, String) {
    let detail = match (code, server_message) {
        ("", "") => format!("HTTP {status}"),
        ("", m) => format!("HTTP {status}: {m}"),
        (c, "") => format!("{c}, HTTP {status}"),
        (c, m) => format!("{c}: {m}"),
    };
    match status {
        301 => wrong_region(region_header, server_message, ctx),
        // HEAD answers carry no body, so a bare 404 is all we learn.
        404 => (
            ErrorKind::NotFound,
            format!("{} failed: not found", ctx.action),
        ),
        // `If-None-Match: *` on a key that exists: nothing was written.
        412 => (
            ErrorKind::AlreadyExists,
            format!(
                "{} refused to {}: something already exists there, and it was not replaced ({detail})",
                ctx.endpoint, ctx.action
            ),
        ),
        // Two conditional writes to one key at once: AWS asks the loser to try again.
        409 if code == "ConditionalRequestConflict" => (
            ErrorKind::Throttled,
            format!("{} asks to retry {} ({detail})", ctx.endpoint, ctx.action),
        ),
        403 => (
            ErrorKind::AccessDenied,
            format!(
                "{} denied permission to {} ({detail})",
                ctx.endpoint, ctx.action
            ),
        ),
        503 => (
            ErrorKind::Throttled,
            format!("{} is unavailable ({detail})", ctx.endpoint),
        ),
        500..=599 => (
            ErrorKind::Server,
            format!("{} failed to {} ({detail})", ctx.endpoint, ctx.action),
        ),
        _ => (
            ErrorKind::InvalidRequest,
            format!("{} refused to {} ({detail})", ctx.endpoint, ctx.action),
        ),
    }
}

fn wrong_region(
    region_header: Option<&str>,
    server_message: &str,
    ctx: &Context<'_>,
) -> (ErrorKind, String) {
    let actual = region_header
        .map(str::to_string)
        .or_else(|| region_from_message(server_message));
    let message = match actual {
        Some(actual) if actual != ctx.region => format!(
            "bucket {:?} is in region {actual:?}, not {:?}: set the workspace's region to {actual}",
            ctx.bucket, ctx.region
        ),
        _ => format!(
            "bucket {:?} is in another region than {:?} (the server did not say which)",
            ctx.bucket, ctx.region
        ),
    };
    (ErrorKind::WrongRegion, message)
}

/// AWS words it "the region 'us-east-1' is wrong; expecting 'eu-west-1'".
fn region_from_message(message: &str) -> Option<String> {
    let after = message.split("expecting '").nth(1)?;
    let region = after.split('\'').next()?;
    (!region.is_empty()).then(|| region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Context<'static> {
        Context {
            endpoint: "http://127.0.0.1:9000",
            bucket: "photos",
            region: "us-east-1",
            action: "list",
        }
    }

    #[test]
    fn names_the_right_region() {
        let (kind, msg) = classify("PermanentRedirect", 301, "", Some("eu-west-1"), &ctx());
        assert_eq!(kind, ErrorKind::WrongRegion);
        assert!(msg.contains("eu-west-1"), "{msg}");
        let (kind, msg) = classify(
            "AuthorizationHeaderMalformed",
            400,
            "the region 'us-east-1' is wrong; expecting 'ap-south-1'",
            None,
            &ctx(),
        );
        assert_eq!(kind, ErrorKind::WrongRegion);
        assert!(msg.contains("ap-south-1"), "{msg}");
    }

    #[test]
    fn tells_credential_failures_apart() {
        assert_eq!(
            classify("InvalidAccessKeyId", 403, "", None, &ctx()).0,
            ErrorKind::UnknownAccessKey
        );
        assert_eq!(
            classify("SignatureDoesNotMatch", 403, "", None, &ctx()).0,
            ErrorKind::WrongSecret
        );
        assert_eq!(
            classify("RequestTimeTooSkewed", 403, "", None, &ctx()).0,
            ErrorKind::ClockSkew
        );
        assert_eq!(
            classify("AccessDenied", 403, "", None, &ctx()).0,
            ErrorKind::AccessDenied
        );
        assert_eq!(classify("", 404, "", None, &ctx()).0, ErrorKind::NotFound);
        assert_eq!(classify("", 503, "", None, &ctx()).0, ErrorKind::Throttled);
    }

    #[test]
    fn tells_network_failures_apart() {
        let (_, msg) = unreachable_message("dns error: failed to lookup address", "", &ctx());
        assert!(msg.contains("DNS"), "{msg}");
        let (_, msg) = unreachable_message("tcp connect error: Connection refused", "", &ctx());
        assert!(msg.contains("refused"), "{msg}");
        let (_, msg) = unreachable_message("invalid peer certificate: UnknownIssuer", "", &ctx());
        assert!(msg.contains("TLS"), "{msg}");
    }

    #[test]
    fn messages_carry_each_cause_once_and_no_debug_dump() {
        #[derive(Debug)]
        struct Inner;
        impl std::fmt::Display for Inner {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("end of file before message length reached")
            }
        }
        impl std::error::Error for Inner {}
        #[derive(Debug)]
        struct Outer(Inner);
        impl std::fmt::Display for Outer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("response error")
            }
        }
        impl std::error::Error for Outer {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                Some(&self.0)
            }
        }
        let shown = display_chain(&Outer(Inner));
        assert_eq!(
            shown,
            "response error: end of file before message length reached"
        );
    }
}
