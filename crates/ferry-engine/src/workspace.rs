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
    let source = s3
        .credentials
        .effective(s3.endpoint_url.as_deref())
        .ok_or_else(|| Error::NoCredentialSource {
            workspace: workspace.id.clone(),
            endpoint: s3.endpoint_url.clone().unwrap_or_default(),
        })?;
    match source {
        CredentialSource::Aws { profile } => Ok(S3Credentials::AwsChain { profile }),
        CredentialSource::Unset => unreachable!("effective() never answers Unset"),
        CredentialSource::Keychain => {
            let mut secret = secrets.get(&workspace.id)?.ok_or_else(|| Error::NoSecret {
                workspace: workspace.id.clone(),
            })?;
            let here = crate::secrets::binding(s3.endpoint_url.as_deref(), &s3.bucket);
            match &secret.bound_to {
                Some(there) if *there != here => {
                    return Err(Error::KeysElsewhere {
                        workspace: workspace.id.clone(),
                        entered_for: there.clone(),
                        now: here,
                    });
                }
                Some(_) => {}
                // Stored by an older Ferry: bound to where they are used first. (Saving a
                // workspace with another endpoint or bucket clears them, so this is it.)
                None => {
                    secret.bound_to = Some(here);
                    secrets.set(&workspace.id, &secret)?;
                }
            }
            Ok(S3Credentials::Static {
                access_key_id: secret.access_key_id,
                secret_access_key: secret.secret_access_key,
                session_token: secret.session_token,
            })
        }
    }
}

/// How symbolic links are taken where a location is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Links {
    /// A link the location names is the link itself (rm, a move's source, stat); links below
    /// it are links.
    Own,
    /// A link the location names is followed to the folder or file it points to (what a copy
    /// reads from); links below it are links.
    Into,
    /// A link the location names is followed when it points to a folder (a place to list or to
    /// copy into, as `cp src link/` does); a link to a file is the link itself, so a write
    /// replaces the link, never the file it points to (as `mv` does).
    #[default]
    IntoFolder,
    /// Links, named and below, are read through (`--follow-links`): a copy carries what they
    /// point to. Writes and deletes never follow a link whatever this says.
    Follow,
}

/// Opens the store behind a workspace.
pub async fn open(
    workspace: &Workspace,
    prefs: &TransferPrefs,
    secrets: Arc<dyn SecretStore>,
) -> Result<Arc<dyn Backend>> {
    let unlimited = ferry_storage::BandwidthLimits::default();
    open_with(workspace, prefs, secrets, Links::Into, &unlimited).await
}

/// Opens the store behind a workspace, reading through links when `links` says so.
pub async fn open_with(
    workspace: &Workspace,
    prefs: &TransferPrefs,
    secrets: Arc<dyn SecretStore>,
    links: Links,
    bandwidth: &ferry_storage::BandwidthLimits,
) -> Result<Arc<dyn Backend>> {
    match &workspace.storage {
        Storage::Local(local) => {
            let store = LocalBackend::new(expand_home(&local.base_path));
            Ok(Arc::new(if links == Links::Follow {
                store.following_links()
            } else {
                store
            }))
        }
        Storage::S3(s3) => Ok(Arc::new(
            open_s3(workspace, s3, prefs, secrets, bandwidth).await?,
        )),
    }
}

/// The store of an S3 workspace, with its credentials read from where it keeps them.
pub async fn open_s3(
    workspace: &Workspace,
    s3: &S3Storage,
    prefs: &TransferPrefs,
    secrets: Arc<dyn SecretStore>,
    bandwidth: &ferry_storage::BandwidthLimits,
) -> Result<S3Backend> {
    let ws = workspace.clone();
    let s3c = s3.clone();
    // The keychain is a blocking D-Bus call.
    let credentials =
        tokio::task::spawn_blocking(move || s3_credentials(&ws, &s3c, secrets.as_ref()))
            .await
            .map_err(|e| Error::Invalid(format!("keychain task failed: {e}")))??;
    let mut config = s3_config(s3, credentials, prefs);
    config.bandwidth = bandwidth.clone();
    Ok(S3Backend::connect(config).await)
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
            Place::Local(path) if self.key.is_root() => path.display().to_string(),
            Place::Local(path) => path.join(self.key.as_str()).display().to_string(),
        }
    }

    /// The location as it was resolved: a bare local path becomes its store's root folder and
    /// the key below it, so that a job resumed after the folder was created (or a link in the
    /// path re-pointed) reads and writes exactly where it began.
    pub fn resolved(&self, at: &Resolved) -> Location {
        match (&self.place, &at.local_root) {
            (Place::Local(_), Some(root)) => Location {
                place: Place::Local(root.clone()),
                key: at.key.clone(),
            },
            _ => self.absolute(),
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
    /// For a bare local path: the folder its store is rooted at.
    pub local_root: Option<PathBuf>,
}

/// A bare local path as a store. A folder is a store rooted at itself (key root), so that
/// nothing beside it is within reach; a file (or a link taken as itself) is its folder's store
/// and its name; a path that does not exist yet is its deepest existing folder and the rest as
/// a key (created on write). Links in the folders leading there are resolved (they are part of
/// how the user named the place); a link the path itself names is taken as `links` says.
pub fn local_path(text: &str, links: Links) -> Result<(LocalBackend, ObjectKey)> {
    let absolute = std::path::absolute(expand_home(Path::new(text)))
        .map_err(|e| Error::Invalid(format!("{text}: {e}")))?;
    let store = |root: PathBuf| {
        let store = LocalBackend::new(root);
        if links == Links::Follow {
            store.following_links()
        } else {
            store
        }
    };
    let (parent, name) = match (absolute.parent(), absolute.file_name()) {
        (Some(parent), Some(name)) => (parent.to_path_buf(), name.to_os_string()),
        // `/`, or a path ending in `..`: a folder, resolved whole.
        _ => {
            let real = std::fs::canonicalize(&absolute)
                .map_err(|e| Error::Invalid(format!("{text}: {e}")))?;
            return Ok((store(real), ObjectKey::root()));
        }
    };
    let name = name
        .to_str()
        .ok_or_else(|| Error::Invalid(format!("{text}: the name is not valid UTF-8")))?
        .to_string();
    let trailing = text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR);
    // Climb to the deepest folder that exists; the rest becomes the key (created on write).
    let mut root = parent.clone();
    let mut rest: Vec<String> = Vec::new();
    while std::fs::symlink_metadata(&root).is_err() {
        let part = root
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::Invalid(format!("{text} is not a path Ferry can use")))?;
        rest.push(part.to_string());
        root = match root.parent() {
            Some(up) => up.to_path_buf(),
            None => {
                return Err(Error::Invalid(format!(
                    "{text}: no part of this path exists"
                )));
            }
        };
    }
    let root = std::fs::canonicalize(&root).unwrap_or(root);
    if !rest.is_empty() {
        rest.reverse();
        rest.push(name);
        let mut key = rest.join("/");
        if trailing {
            key.push('/');
        }
        return Ok((store(root), ObjectKey::new(key)));
    }
    let path = root.join(&name);
    let found = std::fs::symlink_metadata(&path).ok();
    let link = found.as_ref().is_some_and(|m| m.file_type().is_symlink());
    if link && links != Links::Own {
        // Named, and followed: the place it points to (a link to nothing stays the link).
        if let Ok(real) = std::fs::canonicalize(&path) {
            if real.is_dir() {
                return Ok((store(real), ObjectKey::root()));
            }
            if links != Links::IntoFolder
                && let (Some(dir), Some(file)) =
                    (real.parent(), real.file_name().and_then(|n| n.to_str()))
            {
                return Ok((store(dir.to_path_buf()), ObjectKey::new(file)));
            }
        }
    }
    if found.as_ref().is_some_and(|m| m.is_dir()) {
        return Ok((store(path), ObjectKey::root()));
    }
    let mut key = name;
    if trailing && found.is_none() {
        key.push('/');
    }
    Ok((store(root), ObjectKey::new(key)))
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
