//! How to reach a bucket: endpoint, addressing style, region, credentials, checksum behaviour,
//! and the defaults applied to every upload.

use std::time::Duration;

use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    StalledStreamProtectionConfig, retry::RetryConfig, timeout::TimeoutConfig,
};
use serde::{Deserialize, Serialize};

use crate::sensitive::Sensitive;

/// Where credentials come from.
#[derive(Debug, Clone)]
pub enum S3Credentials {
    /// Keys held by the caller (read from the OS keychain).
    Static {
        access_key_id: String,
        secret_access_key: Sensitive<String>,
        session_token: Option<Sensitive<String>>,
    },
    /// The standard AWS chain: environment, `~/.aws/credentials` and `config` profiles, SSO.
    AwsChain { profile: Option<String> },
}

/// Whether the SDK adds CRC checksums to every request that can carry one, or only where S3
/// requires them. Some S3-compatible servers reject the former, so it is chosen per endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChecksumMode {
    #[default]
    WhenSupported,
    WhenRequired,
}

/// Applied to every upload unless the upload says otherwise.
#[derive(Debug, Clone, Default)]
pub struct UploadDefaults {
    pub sse: Option<String>,
    pub kms_key_id: Option<String>,
    pub storage_class: Option<String>,
    pub acl: Option<String>,
    pub cache_control: Option<String>,
}

#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: String,
    /// Prepended to every key; empty, or ending with `/`.
    pub prefix: String,
    pub region: String,
    pub endpoint_url: Option<String>,
    pub path_style: bool,
    pub credentials: S3Credentials,
    pub checksums: ChecksumMode,
    pub upload: UploadDefaults,
    /// Objects at least this large are uploaded in parts.
    pub multipart_threshold: u64,
    pub part_size: u64,
    /// Parts of one object in flight at once.
    pub part_concurrency: usize,
    pub connect_timeout: Duration,
    /// How long a server may send nothing — no answer to a request, or a body that stops
    /// flowing — before the attempt is abandoned (and retried). Without it a stalled server
    /// hangs a transfer forever.
    pub silence_timeout: Duration,
    /// The largest object one CopyObject copies (S3: 5 GiB); larger ones are copied in parts.
    pub max_single_copy: u64,
    /// Limits on the bytes sent (`up`) and received (`down`), shared with every other store
    /// the limits were given to.
    pub bandwidth: crate::BandwidthLimits,
}

/// S3's minimum size of every part but the last.
pub const MIN_PART_SIZE: u64 = 5 * 1024 * 1024;
/// S3's maximum number of parts in one upload.
pub const MAX_PARTS: u64 = 10_000;

impl S3Config {
    pub fn new(bucket: impl Into<String>, region: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: String::new(),
            region: region.into(),
            endpoint_url: None,
            path_style: false,
            credentials: S3Credentials::AwsChain { profile: None },
            checksums: ChecksumMode::default(),
            upload: UploadDefaults::default(),
            multipart_threshold: 64 * 1024 * 1024,
            part_size: 16 * 1024 * 1024,
            part_concurrency: 4,
            connect_timeout: Duration::from_secs(10),
            silence_timeout: Duration::from_secs(60),
            max_single_copy: 5 * 1024 * 1024 * 1024,
            bandwidth: crate::BandwidthLimits::default(),
        }
    }

    /// `prefix` as a folder: no leading `/`, one trailing `/` unless empty.
    pub fn normalize_prefix(prefix: &str) -> String {
        let trimmed = prefix.trim_start_matches('/');
        if trimmed.is_empty() || trimmed.ends_with('/') {
            trimmed.to_string()
        } else {
            format!("{trimmed}/")
        }
    }

    /// The part size for an object of `len` bytes: the configured size, grown so that the
    /// object fits in S3's 10,000 parts.
    pub fn part_size_for(&self, len: u64) -> u64 {
        let needed = len.div_ceil(MAX_PARTS);
        self.part_size.max(needed).max(MIN_PART_SIZE)
    }

    pub fn endpoint_label(&self) -> String {
        self.endpoint_url
            .clone()
            .unwrap_or_else(|| format!("AWS S3 ({})", self.region))
    }

    pub(crate) async fn build_client(&self) -> aws_sdk_s3::Client {
        let mut builder = match &self.credentials {
            S3Credentials::Static {
                access_key_id,
                secret_access_key,
                session_token,
            } => {
                // Hermetic: a keychain workspace must not pick up AWS_* variables or profiles.
                let creds = Credentials::new(
                    access_key_id,
                    secret_access_key.expose(),
                    session_token.as_ref().map(|t| t.expose().clone()),
                    None,
                    "ferry-keychain",
                );
                aws_sdk_s3::config::Builder::new()
                    .behavior_version(BehaviorVersion::latest())
                    .credentials_provider(creds)
            }
            S3Credentials::AwsChain { profile } => {
                let mut loader = aws_config::defaults(BehaviorVersion::latest())
                    .region(Region::new(self.region.clone()));
                if let Some(profile) = profile {
                    loader = loader.profile_name(profile);
                }
                aws_sdk_s3::config::Builder::from(&loader.load().await)
            }
        };
        builder = builder
            .http_client(super::guard::http_client())
            .region(Region::new(self.region.clone()))
            .force_path_style(self.path_style)
            .retry_config(RetryConfig::standard().with_max_attempts(3))
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(self.connect_timeout)
                    .read_timeout(self.silence_timeout)
                    .build(),
            )
            .stalled_stream_protection(
                StalledStreamProtectionConfig::enabled()
                    .grace_period(self.silence_timeout)
                    .build(),
            );
        if let Some(endpoint) = &self.endpoint_url {
            builder = builder.endpoint_url(endpoint);
        }
        if self.checksums == ChecksumMode::WhenRequired {
            builder = builder
                .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
                .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        }
        aws_sdk_s3::Client::from_conf(builder.build())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_become_folders() {
        assert_eq!(S3Config::normalize_prefix(""), "");
        assert_eq!(S3Config::normalize_prefix("/"), "");
        assert_eq!(S3Config::normalize_prefix("mediaplans"), "mediaplans/");
        assert_eq!(S3Config::normalize_prefix("/a/b/"), "a/b/");
    }

    #[test]
    fn part_size_fits_ten_thousand_parts() {
        let config = S3Config::new("b", "us-east-1");
        let five_tib = 5 * 1024 * 1024 * 1024 * 1024u64;
        let part = config.part_size_for(five_tib);
        assert!(
            five_tib.div_ceil(part) <= MAX_PARTS,
            "part size {part} too small"
        );
        assert_eq!(config.part_size_for(1), config.part_size);
    }
}
