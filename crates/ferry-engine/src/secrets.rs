//! Credentials live only in the OS keychain (service `ferry`, one entry per workspace id) or in
//! the user's own AWS chain. They are redacted everywhere else.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

pub use ferry_storage::Sensitive;

/// The keychain service name every Ferry entry is stored under.
pub const SERVICE: &str = "ferry";

/// An S3 key pair (and optional session token).
#[derive(Clone, PartialEq)]
pub struct S3Secret {
    pub access_key_id: String,
    pub secret_access_key: Sensitive<String>,
    pub session_token: Option<Sensitive<String>>,
    /// Where these keys may be sent: the endpoint and bucket they were entered for (see
    /// [`binding`]). `None` for keys an older Ferry stored; the engine binds them at first use.
    pub bound_to: Option<String>,
}

impl S3Secret {
    /// Keys to be stored, not yet bound (the engine binds them to the workspace they are for).
    pub fn new(access_key_id: String, secret_access_key: String) -> Self {
        Self {
            access_key_id,
            secret_access_key: Sensitive::new(secret_access_key),
            session_token: None,
            bound_to: None,
        }
    }
}

/// The place keys are bound to: scheme, server and bucket. AWS's own S3 service hosts (the global
/// one and each region's, with no bucket name in the host and no path) are one server; any other
/// host, a bucket-named AWS host (`evil.s3.amazonaws.com`) or an endpoint with a path is itself:
/// another party, or another bucket, with its own owner and policy.
pub fn binding(endpoint: Option<&str>, bucket: &str) -> String {
    let Some(raw) = endpoint.map(str::trim).filter(|e| !e.is_empty()) else {
        return format!("https://aws/{bucket}");
    };
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let Ok(url) = url::Url::parse(&with_scheme) else {
        return format!("{}/{bucket}", raw.to_lowercase());
    };
    let scheme = url.scheme().to_ascii_lowercase();
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_lowercase();
    let path = url.path().trim_end_matches('/');
    let first = host.split('.').next().unwrap_or_default();
    let aws_service = (first == "s3" || first.starts_with("s3-"))
        && (host.ends_with(".amazonaws.com") || host.ends_with(".amazonaws.com.cn"))
        && path.is_empty()
        && url.port().is_none();
    let server = if aws_service {
        if host.ends_with(".cn") {
            "aws-cn".to_string()
        } else {
            "aws".to_string()
        }
    } else {
        let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
        format!("{host}{port}{path}")
    };
    format!("{scheme}://{server}/{bucket}")
}

impl fmt::Debug for S3Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Secret")
            .field("access_key_id", &mask(&self.access_key_id))
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("bound_to", &self.bound_to)
            .finish()
    }
}

/// `AKIA…WXYZ`: enough to recognise a key, not enough to use it.
pub fn mask(access_key_id: &str) -> String {
    let chars: Vec<char> = access_key_id.chars().collect();
    if chars.len() <= 8 {
        return "…".into();
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// The keychain entry's stored form. Private: the only place the secret is in plain text.
#[derive(Serialize, Deserialize)]
struct Stored {
    access_key_id: String,
    secret_access_key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    session_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bound_to: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the OS keychain is not available: {cause}")]
    Unavailable { cause: String },
    #[error("the OS keychain is locked or refused access: {cause}")]
    Locked { cause: String },
    #[error(
        "the keychain entry for workspace {workspace:?} is damaged ({cause}); set the credentials again"
    )]
    Corrupt { workspace: String, cause: String },
    #[error("the keychain failed: {cause}")]
    Failed { cause: String },
}

impl SecretError {
    pub fn hint(&self) -> &'static str {
        match self {
            SecretError::Unavailable { .. } => {
                "Ferry keeps credentials only in the OS keychain (Secret Service on Linux: GNOME Keyring or KWallet). \
                 Start and unlock it (log in to a desktop session, or run gnome-keyring-daemon inside a D-Bus session), \
                 or use an AWS profile instead (\"credentials\": {\"source\": \"aws\"})."
            }
            SecretError::Locked { .. } => {
                "Unlock your keyring (it asks for your login password) and try again."
            }
            SecretError::Corrupt { .. } => "Enter the workspace's keys again.",
            SecretError::Failed { .. } => "Check that the keychain service is running.",
        }
    }
}

/// Where secrets are kept. The OS keychain in the app and CLI; memory in fast unit tests.
pub trait SecretStore: Send + Sync {
    fn get(&self, workspace_id: &str) -> Result<Option<S3Secret>, SecretError>;
    fn set(&self, workspace_id: &str, secret: &S3Secret) -> Result<(), SecretError>;
    /// Returns whether there was something to delete.
    fn delete(&self, workspace_id: &str) -> Result<bool, SecretError>;
}

/// The OS keychain through the `keyring` crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct Keychain;

fn keyring_error(err: keyring::Error) -> SecretError {
    use keyring::Error as E;
    match err {
        E::NoDefaultStore => SecretError::Unavailable {
            cause: "no Secret Service is running on the session bus (or there is no session bus)"
                .into(),
        },
        E::NoStorageAccess(e) => SecretError::Locked {
            cause: e.to_string(),
        },
        E::PlatformFailure(e) => {
            let cause = e.to_string();
            if cause.contains("ServiceUnknown") || cause.contains("not provided by any") {
                SecretError::Unavailable { cause }
            } else {
                SecretError::Failed { cause }
            }
        }
        other => SecretError::Failed {
            cause: other.to_string(),
        },
    }
}

impl Keychain {
    fn entry(workspace_id: &str) -> Result<keyring::Entry, SecretError> {
        keyring::Entry::new(SERVICE, workspace_id).map_err(keyring_error)
    }
}

impl SecretStore for Keychain {
    fn get(&self, workspace_id: &str) -> Result<Option<S3Secret>, SecretError> {
        let raw = match Self::entry(workspace_id)?.get_password() {
            Ok(raw) => raw,
            Err(keyring::Error::NoEntry) => return Ok(None),
            Err(e) => return Err(keyring_error(e)),
        };
        let stored: Stored = serde_json::from_str(&raw).map_err(|e| SecretError::Corrupt {
            workspace: workspace_id.to_string(),
            // The serde error could quote the secret; only its category is kept.
            cause: format!("{:?} at column {}", e.classify(), e.column()),
        })?;
        Ok(Some(S3Secret {
            access_key_id: stored.access_key_id,
            secret_access_key: Sensitive::new(stored.secret_access_key),
            session_token: stored.session_token.map(Sensitive::new),
            bound_to: stored.bound_to,
        }))
    }

    fn set(&self, workspace_id: &str, secret: &S3Secret) -> Result<(), SecretError> {
        let stored = Stored {
            access_key_id: secret.access_key_id.clone(),
            secret_access_key: secret.secret_access_key.expose().clone(),
            session_token: secret.session_token.as_ref().map(|t| t.expose().clone()),
            bound_to: secret.bound_to.clone(),
        };
        let raw = serde_json::to_string(&stored).map_err(|e| SecretError::Failed {
            cause: e.to_string(),
        })?;
        Self::entry(workspace_id)?
            .set_password(&raw)
            .map_err(keyring_error)
    }

    fn delete(&self, workspace_id: &str) -> Result<bool, SecretError> {
        match Self::entry(workspace_id)?.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(keyring_error(e)),
        }
    }
}

/// Secrets in memory, for unit tests of code that needs a store.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, S3Secret>>,
}

impl SecretStore for MemoryStore {
    fn get(&self, workspace_id: &str) -> Result<Option<S3Secret>, SecretError> {
        Ok(self.lock().get(workspace_id).cloned())
    }

    fn set(&self, workspace_id: &str, secret: &S3Secret) -> Result<(), SecretError> {
        self.lock().insert(workspace_id.to_string(), secret.clone());
        Ok(())
    }

    fn delete(&self, workspace_id: &str) -> Result<bool, SecretError> {
        Ok(self.lock().remove(workspace_id).is_some())
    }
}

impl MemoryStore {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, S3Secret>> {
        // A panic while holding the lock cannot leave a map half-updated; keep going.
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = S3Secret {
            access_key_id: "AKIAfakeferrykey3456".into(),
            secret_access_key: Sensitive::new("very-secret-value".into()),
            session_token: Some(Sensitive::new("token-value".into())),
            bound_to: None,
        };
        let shown = format!("{secret:?}");
        assert!(
            !shown.contains("very-secret-value") && !shown.contains("token-value"),
            "{shown}"
        );
        assert!(
            !shown.contains("AKIAfakeferrykey3456"),
            "the key id is masked: {shown}"
        );
        assert!(shown.contains("AKIA…3456"), "{shown}");
    }

    #[test]
    fn keys_are_bound_to_scheme_server_and_bucket() {
        let aws = binding(None, "b");
        assert_eq!(
            aws,
            binding(Some("https://s3.eu-west-1.amazonaws.com"), "b")
        );
        assert_eq!(
            binding(Some("https://minio.example.com:9000"), "b"),
            binding(Some("HTTPS://Minio.Example.com:9000/"), "b")
        );
        assert_eq!(
            aws,
            binding(Some("https://s3-eu-west-1.amazonaws.com/"), "b")
        );
        for elsewhere in [
            binding(None, "other"),
            binding(Some("https://evil.example.com"), "b"),
            binding(Some("http://s3.amazonaws.com"), "b"),
            binding(Some("https://minio.example.com:9001"), "b"),
            // Another bucket on AWS, named in the host or the path: its owner's policy rules.
            binding(Some("https://evilbucket.s3.amazonaws.com"), "b"),
            binding(Some("https://s3.amazonaws.com/evilbucket"), "b"),
            binding(Some("https://s3.eu-west-1.amazonaws.com:8443"), "b"),
            binding(Some("https://minio.example.com:9000/other"), "b"),
        ] {
            assert_ne!(aws, elsewhere);
            assert_ne!(
                binding(Some("https://minio.example.com:9000"), "b"),
                elsewhere
            );
        }
    }
}
