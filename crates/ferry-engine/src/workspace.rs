//! From a workspace's settings to a store, and from what a person types (`WORKSPACE:path`, or a
//! bare local path) to a store and a key.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_storage::s3::{ChecksumMode, S3Config, S3Credentials, UploadDefaults};
use ferry_storage::{Backend, LocalBackend, ObjectKey, S3Backend};

use crate::error::{Error, Result};
use crate::secrets::SecretStore;
use crate::settings::{
    Checksums, CredentialSource, S3Storage, Settings, Storage, TransferPrefs, Workspace,
    expand_home,
};

const MIB: u64 = 1024 * 1024;

/// The region used when a workspace names none.
pub const DEFAULT_REGION: &str = "us-east-1";

/// The S3 settings for `s3` with `credentials`, before any network access.
pub fn s3_config(s3: &S3Storage, credentials: S3Credentials, prefs: &TransferPrefs) -> S3Config {
    let region = s3.region.clone().unwrap_or_else(|| DEFAULT_REGION.into());
    let mut config = S3Config::new(&s3.bucket, region);
    config.prefix = s3.prefix.clone();
    config.endpoint_url = s3.endpoint_url.clone();
    config.path_style = s3.path_style;
    config.credentials = credentials;
    config.checksums = match s3.checksums {
        Some(Checksums::WhenSupported) => ChecksumMode::WhenSupported,
        Some(Checksums::WhenRequired) => ChecksumMode::WhenRequired,
        // Custom endpoints are where CRC-by-default breaks; AWS itself wants it.
        None if s3.endpoint_url.is_some() => ChecksumMode::WhenRequired,
        None => ChecksumMode::WhenSupported,
    };
    config.upload = UploadDefaults {
        sse: s3.sse.map(|s| s.as_str().to_string()),
        kms_key_id: s3.kms_key_id.clone(),
        storage_class: s3.storage_class.clone(),
        acl: s3.acl.clone(),
        cache_control: s3.cache_control.clone(),
    };
    config.part_size = u64::from(prefs.part_size_mib) * MIB;
    config.multipart_threshold = u64::from(prefs.multipart_threshold_mib) * MIB;
    config.part_concurrency = prefs.part_concurrency as usize;
    config.silence_timeout = std::time::Duration::from_secs(u64::from(prefs.silence_timeout_secs));
    config
}

/// The credentials of an S3 workspace, from the keychain or the AWS chain.
pub fn s3_credentials(
    workspace: &Workspace,
    s3: &S3Storage,
    secrets: &dyn SecretStore,
) -> Result<S3Credentials> {
    match &s3.credentials {
        CredentialSource::Aws { profile } => Ok(S3Credentials::AwsChain {
            profile: profile.clone(),
        }),
        CredentialSource::Keychain => {
            let secret = secrets.get(&workspace.id)?.ok_or_else(|| Error::NoSecret {
                workspace: workspace.id.clone(),
            })?;
            Ok(S3Credentials::Static {
                access_key_id: secret.access_key_id,
                secret_access_key: secret.secret_access_key,
                session_token: secret.session_token,
            })
        }
    }
}

/// Opens the store behind a workspace.
pub async fn open(
    workspace: &Workspace,
    prefs: &TransferPrefs,
    secrets: Arc<dyn SecretStore>,
) -> Result<Arc<dyn Backend>> {
    match &workspace.storage {
        Storage::Local(local) => Ok(Arc::new(LocalBackend::new(expand_home(&local.base_path)))),
        Storage::S3(s3) => {
            let ws = workspace.clone();
            let s3c = s3.clone();
            // The keychain is a blocking D-Bus call.
            let credentials =
                tokio::task::spawn_blocking(move || s3_credentials(&ws, &s3c, secrets.as_ref()))
                    .await
                    .map_err(|e| Error::Invalid(format!("keychain task failed: {e}")))??;
            let config = s3_config(s3, credentials, prefs);
            Ok(Arc::new(S3Backend::connect(config).await))
        }
    }
}

/// What a location on the command line points into.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Workspace(String),
    /// A path on this computer, outside any workspace.
    Local(PathBuf),
}

/// `WORKSPACE:path` or a bare local path.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub place: Place,
    /// The key inside the workspace (empty for a local path: the path is in `place`).
    pub key: ObjectKey,
}

impl Location {
    /// Parses `text`. `name:rest` names a workspace when `name` has no path separator and is
    /// not a Windows drive letter; write `./name:rest` for a local file with a colon.
    pub fn parse(text: &str, settings: &Settings) -> Result<Location> {
        if let Some((name, rest)) = text.split_once(':') {
            let drive = name.len() == 1 && cfg!(windows);
            if !name.is_empty() && !name.contains(['/', '\\']) && !drive {
                let ws = settings.find(name).ok_or_else(|| Error::UnknownWorkspace {
                    name: name.to_string(),
                    known: known(settings),
                })?;
                // A leading `/` means the workspace root, as in a path.
                return Ok(Location {
                    place: Place::Workspace(ws.id.clone()),
                    key: ObjectKey::new(rest.trim_start_matches('/')),
                });
            }
        }
        Ok(Location {
            place: Place::Local(PathBuf::from(text)),
            key: ObjectKey::root(),
        })
    }

    /// The same location independent of the working directory, for the journal.
    pub fn absolute(&self) -> Location {
        match &self.place {
            Place::Local(path) => {
                let mut abs = std::path::absolute(path)
                    .unwrap_or_else(|_| path.clone())
                    .into_os_string();
                // "into this folder" is spelled with a trailing separator; keep it.
                if path
                    .as_os_str()
                    .to_string_lossy()
                    .ends_with(std::path::MAIN_SEPARATOR)
                    && !abs.to_string_lossy().ends_with(std::path::MAIN_SEPARATOR)
                {
                    abs.push(std::path::MAIN_SEPARATOR_STR);
                }
                Location {
                    place: Place::Local(abs.into()),
                    key: self.key.clone(),
                }
            }
            Place::Workspace(_) => self.clone(),
        }
    }

    pub fn display(&self) -> String {
        match &self.place {
            Place::Workspace(id) => format!("{id}:{}", self.key),
            Place::Local(path) => path.display().to_string(),
        }
    }
}

pub fn known(settings: &Settings) -> String {
    let ids: Vec<&str> = settings.workspaces.iter().map(|w| w.id.as_str()).collect();
    if ids.is_empty() {
        "none".into()
    } else {
        ids.join(", ")
    }
}

/// A store and a key inside it, ready to use.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub backend: Arc<dyn Backend>,
    pub key: ObjectKey,
    /// Which workspace, if any: two locations in one workspace can copy server-side.
    pub workspace: Option<String>,
}

/// A bare local path as a store: the folder itself (key root) when it is one, else its parent
/// folder and the file name.
pub fn local_path(text: &str) -> Result<(LocalBackend, ObjectKey)> {
    let absolute = std::path::absolute(expand_home(Path::new(text)))
        .map_err(|e| Error::Invalid(format!("{text}: {e}")))?;
    // Climb to the deepest folder that exists; the rest becomes the key (created on write).
    let mut root = absolute.clone();
    let mut rest: Vec<String> = Vec::new();
    while !root.exists() {
        let name = root
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Invalid(format!("{text} is not a path Ferry can use")))?;
        rest.push(name.to_string());
        root = match root.parent() {
            Some(parent) => parent.to_path_buf(),
            None => {
                return Err(Error::Invalid(format!(
                    "{text}: no part of this path exists"
                )));
            }
        };
    }
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    // An existing folder is named from its parent, so that a move can remove it afterwards.
    if rest.is_empty()
        && root.is_dir()
        && let (Some(parent), Some(name)) =
            (root.parent(), root.file_name().and_then(|n| n.to_str()))
    {
        let key = ObjectKey::new(format!("{name}/"));
        return Ok((LocalBackend::new(parent), key));
    }
    if rest.is_empty() && !root.is_dir() {
        let parent = root.parent().unwrap_or(Path::new("/")).to_path_buf();
        let name = root
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        return Ok((LocalBackend::new(parent), ObjectKey::new(name)));
    }
    rest.reverse();
    let mut key = rest.join("/");
    if text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        key.push('/');
    }
    Ok((LocalBackend::new(root), ObjectKey::new(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings::first_run(PathBuf::from("/tmp/ferry-test"))
    }

    #[test]
    fn parses_locations() {
        let s = settings();
        let loc = Location::parse("local:docs/a b.txt", &s).unwrap();
        assert_eq!(loc.place, Place::Workspace("local".into()));
        assert_eq!(loc.key.as_str(), "docs/a b.txt");
        assert_eq!(
            Location::parse("Local files:/x", &s).unwrap().key.as_str(),
            "x"
        );
        assert_eq!(
            Location::parse("./dir/a:b", &s).unwrap().place,
            Place::Local(PathBuf::from("./dir/a:b"))
        );
        assert_eq!(
            Location::parse("/abs/path", &s).unwrap().place,
            Place::Local(PathBuf::from("/abs/path"))
        );
        let err = Location::parse("nosuch:x", &s).unwrap_err();
        assert!(err.to_string().contains("nosuch"), "{err}");
    }
}
