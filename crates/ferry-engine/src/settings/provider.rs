//! Which service a workspace's endpoint belongs to, and where it points, in words — derived
//! from its settings, never stored. The CLI's `workspace list` and the app's sidebar say the
//! same.

use serde::{Deserialize, Serialize};

use super::{Storage, Workspace};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Local,
    Aws,
    Digitalocean,
    R2,
    Wasabi,
    B2,
    Minio,
    Custom,
}

/// The host of an endpoint URL, lower case, without port.
fn url_host(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let host = rest.split(['/', '?']).next().unwrap_or_default();
    host.rsplit_once(':')
        .map_or(host, |(h, _)| h)
        .to_ascii_lowercase()
}

impl Workspace {
    /// The service behind the workspace, read from its endpoint (no endpoint: AWS).
    pub fn provider(&self) -> Provider {
        let Storage::S3(s3) = &self.storage else {
            return Provider::Local;
        };
        let Some(endpoint) = &s3.endpoint_url else {
            return Provider::Aws;
        };
        let host = url_host(endpoint);
        let ends = |suffix: &str| host == suffix || host.ends_with(&format!(".{suffix}"));
        if ends("amazonaws.com") {
            Provider::Aws
        } else if ends("digitaloceanspaces.com") {
            Provider::Digitalocean
        } else if ends("r2.cloudflarestorage.com") {
            Provider::R2
        } else if ends("wasabisys.com") {
            Provider::Wasabi
        } else if ends("backblazeb2.com") {
            Provider::B2
        } else if host.contains("minio") {
            Provider::Minio
        } else {
            Provider::Custom
        }
    }

    /// Where it points: the folder, or `s3://bucket/prefix at endpoint`.
    pub fn describe(&self) -> String {
        match &self.storage {
            Storage::Local(local) => local.base_path.to_string_lossy().into_owned(),
            Storage::S3(s3) => {
                let at = s3.endpoint_url.clone().unwrap_or_else(|| {
                    format!("AWS {}", s3.region.as_deref().unwrap_or("us-east-1"))
                });
                format!("s3://{}/{} at {at}", s3.bucket, s3.prefix)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::S3Storage;

    fn at(endpoint: Option<&str>) -> Workspace {
        Workspace {
            id: "w".into(),
            name: "W".into(),
            storage: Storage::S3(S3Storage {
                bucket: "b".into(),
                endpoint_url: endpoint.map(str::to_string),
                ..S3Storage::default()
            }),
            upload: Default::default(),
            media_plan: None,

            extra: Default::default(),
        }
    }

    #[test]
    fn the_provider_is_read_from_the_endpoint_host_only() {
        assert_eq!(at(None).provider(), Provider::Aws);
        assert_eq!(
            at(Some("https://fra1.digitaloceanspaces.com")).provider(),
            Provider::Digitalocean
        );
        assert_eq!(
            at(Some("https://ACCOUNT.r2.cloudflarestorage.com:443/x")).provider(),
            Provider::R2
        );
        // A look-alike host is not the service.
        assert_eq!(
            at(Some("https://amazonaws.com.evil.example")).provider(),
            Provider::Custom
        );
        assert_eq!(
            at(Some("http://evil.example/?h=wasabisys.com")).provider(),
            Provider::Custom
        );
        assert_eq!(
            at(Some("http://127.0.0.1:9000")).describe(),
            "s3://b/ at http://127.0.0.1:9000"
        );
    }
}
