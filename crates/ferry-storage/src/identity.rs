//! What a location really is, whatever it was called. Two spellings of one place — a symlink
//! alias or `..` on disk, two workspaces on one bucket, an endpoint with a trailing `/`, in
//! another case, or AWS's global host against its regional one — give one [`Identity`], so that
//! "does the destination lie inside the source?" is asked of places, not of strings.

use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A place in a store: the store (`file` for this computer's disks, `s3://ENDPOINT/BUCKET`) and
/// the path in it (an absolute path after resolving symlinks and `..`; the bucket's full key).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Identity {
    pub store: String,
    pub path: String,
    /// A folder contains what lies below it; a file only itself.
    pub folder: bool,
}

impl Identity {
    pub fn local(path: &std::path::Path, folder: bool) -> Self {
        Self {
            store: "file".into(),
            path: path.to_string_lossy().into_owned(),
            folder,
        }
    }

    pub fn s3(endpoint: &str, bucket: &str, full_key: &str) -> Self {
        Self {
            store: format!("s3://{endpoint}/{bucket}"),
            path: full_key.to_string(),
            folder: full_key.is_empty() || full_key.ends_with('/'),
        }
    }

    /// Whether `other` is this place or lies below it.
    pub fn contains(&self, other: &Identity) -> bool {
        if self.store != other.store {
            return false;
        }
        let (mine, theirs) = (
            self.path.trim_end_matches('/'),
            other.path.trim_end_matches('/'),
        );
        if mine == theirs {
            return true;
        }
        if !self.folder {
            return false;
        }
        // An empty path is a bucket's root (or `/`): everything in the store is below it.
        mine.is_empty()
            || theirs
                .strip_prefix(mine)
                .is_some_and(|r| r.starts_with('/'))
    }

    /// Whether either place contains the other.
    pub fn overlaps(&self, other: &Identity) -> bool {
        self.contains(other) || other.contains(self)
    }

    /// The same place seen as a folder (a location that names a folder without a trailing `/`).
    pub fn as_folder(&self) -> Identity {
        Identity {
            folder: true,
            ..self.clone()
        }
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.store == "file" {
            return write!(f, "{}", self.path);
        }
        write!(f, "{}/{}", self.store, self.path)
    }
}

/// An S3 endpoint as one name per server: no scheme, default port or trailing `/`, the host in
/// lower case, every AWS S3 host (global, regional, dual-stack, FIPS) as `aws` — bucket names
/// are global there, so `s3.amazonaws.com` and `s3.eu-west-1.amazonaws.com` reach one bucket —
/// and every loopback name as `loopback`.
pub fn normalize_endpoint(endpoint: Option<&str>) -> String {
    let Some(raw) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
        return "aws".into();
    };
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let Ok(url) = url::Url::parse(&with_scheme) else {
        return raw.trim_end_matches('/').to_lowercase();
    };
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_lowercase();
    if host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn") {
        let labels: Vec<&str> = host.split('.').collect();
        if labels
            .iter()
            .any(|l| *l == "s3" || l.starts_with("s3-") || *l == "s3-fips")
        {
            return if host.ends_with(".cn") {
                "aws-cn".into()
            } else {
                "aws".into()
            };
        }
    }
    let host = match host.as_str() {
        "localhost" | "127.0.0.1" | "[::1]" | "::1" => "loopback".to_string(),
        _ => host,
    };
    // `port()` is `None` for the scheme's default port, so :443 and no port agree.
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let path = url.path().trim_end_matches('/');
    format!("{host}{port}{path}")
}

/// How a store compares names: whether it folds case, and whether it treats the NFC and NFD
/// spellings of a name as one (macOS, Windows, exFAT/vfat, casefold ext4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NameFolding {
    pub case: bool,
    pub unicode: bool,
}

impl NameFolding {
    /// Names compared exactly (Linux ext4, S3).
    pub const EXACT: NameFolding = NameFolding {
        case: false,
        unicode: false,
    };

    pub fn is_exact(self) -> bool {
        self == Self::EXACT
    }

    /// The form under which two names are one file on such a store.
    pub fn fold(self, name: &str) -> String {
        let normal: String = if self.unicode || self.case {
            // Case-insensitive stores also compare canonically equivalent names as one.
            name.nfc().collect()
        } else {
            name.to_string()
        };
        if self.case {
            normal.to_lowercase()
        } else {
            normal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_endpoint_many_spellings() {
        let aws = normalize_endpoint(None);
        for spelling in [
            "https://s3.amazonaws.com",
            "https://s3.amazonaws.com/",
            "https://S3.EU-WEST-1.amazonaws.com",
            "s3.us-east-1.amazonaws.com",
            "https://s3.dualstack.eu-west-1.amazonaws.com:443/",
            "https://s3-eu-west-1.amazonaws.com",
        ] {
            assert_eq!(normalize_endpoint(Some(spelling)), aws, "{spelling}");
        }
        assert_eq!(
            normalize_endpoint(Some("http://127.0.0.1:9000/")),
            normalize_endpoint(Some("http://localhost:9000")),
        );
        assert_eq!(
            normalize_endpoint(Some("https://FRA1.digitaloceanspaces.com/")),
            normalize_endpoint(Some("https://fra1.digitaloceanspaces.com")),
        );
        assert_ne!(
            normalize_endpoint(Some("http://127.0.0.1:9000")),
            normalize_endpoint(Some("http://127.0.0.1:9001")),
            "another port is another server"
        );
        assert_ne!(
            normalize_endpoint(Some("https://ams3.digitaloceanspaces.com")),
            normalize_endpoint(Some("https://fra1.digitaloceanspaces.com")),
        );
    }

    #[test]
    fn containment_is_by_whole_segments() {
        let dir = Identity::local(std::path::Path::new("/home/u/site"), true);
        let child = Identity::local(std::path::Path::new("/home/u/site/public"), true);
        let sibling = Identity::local(std::path::Path::new("/home/u/site2"), true);
        assert!(dir.contains(&child) && !child.contains(&dir));
        assert!(dir.overlaps(&child) && child.overlaps(&dir));
        assert!(!dir.overlaps(&sibling), "site2 is not inside site");
        let root = Identity::local(std::path::Path::new("/"), true);
        assert!(root.contains(&dir));
        let bucket = Identity::s3("aws", "b", "");
        assert!(bucket.contains(&Identity::s3("aws", "b", "a/b/")));
        assert!(!bucket.contains(&Identity::s3("aws", "c", "a/b/")));
        let file = Identity::s3("aws", "b", "a/x.txt");
        assert!(!file.contains(&Identity::s3("aws", "b", "a/x.txt.bak")));
        assert!(file.contains(&file.clone()));
    }

    #[test]
    fn folding() {
        let both = NameFolding {
            case: true,
            unicode: true,
        };
        assert_eq!(both.fold("Caf\u{e9}.TXT"), both.fold("cafe\u{301}.txt"));
        assert_ne!(NameFolding::EXACT.fold("A"), NameFolding::EXACT.fold("a"));
    }
}
