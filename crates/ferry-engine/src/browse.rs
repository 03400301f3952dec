//! Looking around a store and changing it in place: list, stat, make folders, delete, links.

use std::time::Duration;

use ferry_storage::{
    Backend, BackendExt, Entry, ErrorKind, ListOptions, ListPage, ObjectKey, ObjectMeta,
    PresignMethod, StorageError,
};
use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// Lists what is at `at`: the folder's contents page by page, or the one object it names.
pub async fn list(at: &Resolved, recursive: bool) -> Result<BoxStream<'static, Result<ListPage>>> {
    let backend = &at.backend;
    let key = &at.key;
    let folder = if key.is_root() || key.is_folder() || backend.folder_exists(key).await? {
        key.as_folder()
    } else if let Some(meta) = backend.try_stat(key).await? {
        let page = ListPage {
            entries: vec![Entry::Object(meta)],
            folder_marker: false,
        };
        return Ok(futures::stream::once(async { Ok(page) }).boxed());
    } else {
        key.as_folder()
    };
    if !folder.is_root() && !backend.folder_exists(&folder).await? {
        return Err(Error::NotFound(format!(
            "{} does not exist in {}",
            key,
            backend.describe()
        )));
    }
    let options = ListOptions {
        recursive,
        page_size: None,
    };
    Ok(backend.list(&folder, options).map_err(Error::from).boxed())
}

pub async fn stat(at: &Resolved) -> Result<ObjectMeta> {
    if !at.key.is_root() && at.key.is_folder() && at.backend.folder_exists(&at.key).await? {
        // A folder: its marker object's details when it has one. A server that cannot answer
        // a HEAD of a folder's key (s3s-fs answers 500) still has the folder.
        let folder = ObjectMeta {
            key: at.key.as_folder(),
            ..ObjectMeta::default()
        };
        return Ok(match at.backend.try_stat(&at.key).await {
            Ok(Some(marker)) => marker,
            _ => folder,
        });
    }
    let stat = if at.key.is_root() {
        None
    } else {
        at.backend.try_stat(&at.key).await?
    };
    match stat {
        Some(meta) => Ok(meta),
        None if at.backend.folder_exists(&at.key).await? => Ok(ObjectMeta {
            key: at.key.as_folder(),
            ..ObjectMeta::default()
        }),
        None if at.key.is_root() => Ok(ObjectMeta::default()),
        None => Err(StorageError::not_found(format!(
            "{:?} in {}",
            at.key.as_str(),
            at.backend.describe()
        ))
        .into()),
    }
}

pub async fn make_folder(at: &Resolved) -> Result<()> {
    if at.key.is_root() {
        return Err(Error::Invalid(
            "give the new folder's path, such as WORKSPACE:photos/2024".into(),
        ));
    }
    Ok(at.backend.create_folder(&at.key).await?)
}

#[derive(Debug, Default, Serialize)]
pub struct RemoveReport {
    pub deleted: u64,
    pub failed: Vec<(String, String)>,
}

/// Deletes the object at `at`, or with `recursive` everything below the folder at `at`.
/// Emptying a whole workspace also needs `whole_workspace`, so a slip cannot do it.
pub async fn remove(at: &Resolved, recursive: bool, whole_workspace: bool) -> Result<RemoveReport> {
    let backend = &at.backend;
    let mut report = RemoveReport::default();
    if at.key.is_root() && at.workspace.is_none() {
        // A bare local folder: the store is rooted at it, and it goes with its contents.
        if is_filesystem_root(at) {
            return Err(Error::Invalid(
                "refusing to delete / (everything on this computer), as rm does".into(),
            ));
        }
        if !recursive {
            return Err(Error::Invalid(format!(
                "{} is a folder: pass -r to delete it and everything in it",
                backend.describe()
            )));
        }
        remove_tree(backend.as_ref(), &at.key, &mut report).await?;
        record(
            &mut report,
            1,
            backend.delete_many(std::slice::from_ref(&at.key)).await?,
        );
        return Ok(report);
    }
    if at.key.is_root() {
        if !(recursive && whole_workspace) {
            return Err(Error::Invalid(format!(
                "refusing to delete everything in {}: pass -r --all if that is what you mean",
                backend.describe()
            )));
        }
        remove_tree(backend.as_ref(), &at.key, &mut report).await?;
        return Ok(report);
    }
    if !at.key.is_folder() && backend.try_stat(&at.key).await?.is_some() {
        record(
            &mut report,
            1,
            backend.delete_many(std::slice::from_ref(&at.key)).await?,
        );
        return Ok(report);
    }
    let folder = at.key.as_folder();
    if !backend.folder_exists(&folder).await? {
        return Err(Error::NotFound(format!(
            "{:?} does not exist in {}",
            at.key.as_str(),
            backend.describe()
        )));
    }
    if !recursive {
        return Err(Error::Invalid(format!(
            "{} is a folder: pass -r to delete it and everything in it",
            at.key
        )));
    }
    remove_tree(backend.as_ref(), &folder, &mut report).await?;
    Ok(report)
}

/// Whether a location is the root of this computer's filesystem.
pub fn is_filesystem_root(at: &Resolved) -> bool {
    at.workspace.is_none()
        && at.key.is_root()
        && at.backend.identity(&ObjectKey::root()).path == "/"
}

fn record(report: &mut RemoveReport, attempted: u64, failures: Vec<ferry_storage::DeleteFailure>) {
    report.deleted += attempted - failures.len() as u64;
    report.failed.extend(
        failures
            .into_iter()
            .map(|f| (f.key.into_string(), f.message)),
    );
}

/// Deletes every object below `folder` page by page (1,000 per request on S3), then the empty
/// folders left behind, deepest first, then the folder itself.
pub async fn remove_tree(
    backend: &dyn Backend,
    folder: &ObjectKey,
    report: &mut RemoveReport,
) -> Result<()> {
    let options = ListOptions {
        recursive: true,
        page_size: None,
    };
    let mut pages = backend.list(folder, options);
    while let Some(page) = pages.next().await {
        let keys: Vec<ObjectKey> = page?
            .entries
            .into_iter()
            .filter_map(|e| match e {
                Entry::Object(meta) => Some(meta.key),
                Entry::Folder { .. } => None,
            })
            .collect();
        if !keys.is_empty() {
            record(report, keys.len() as u64, backend.delete_many(&keys).await?);
        }
    }
    report.deleted += remove_empty_folders(backend, folder).await?;
    if !folder.is_root() {
        let failures = backend.delete_many(std::slice::from_ref(folder)).await?;
        record(report, 1, failures);
    }
    Ok(())
}

/// Removes folders below `folder` that hold nothing, deepest first, and says how many. Folders
/// that still hold files (because a delete failed) stay.
pub async fn remove_empty_folders(backend: &dyn Backend, folder: &ObjectKey) -> Result<u64> {
    let mut removed = 0;
    loop {
        let mut empties: Vec<ObjectKey> = Vec::new();
        let options = ListOptions {
            recursive: true,
            page_size: None,
        };
        let mut pages = backend.list(folder, options);
        while let Some(page) = pages.next().await {
            empties.extend(page?.entries.into_iter().filter_map(|e| match e {
                Entry::Folder { key } => Some(key),
                Entry::Object(_) => None,
            }));
        }
        if empties.is_empty() {
            return Ok(removed);
        }
        let failures = backend.delete_many(&empties).await?;
        removed += (empties.len() - failures.len()) as u64;
        if failures.len() == empties.len() {
            return Ok(removed);
        }
    }
}

/// A link to the object: pre-signed with an expiry.
pub async fn presign(at: &Resolved, expires: Duration, method: PresignMethod) -> Result<String> {
    if at.key.is_root() || at.key.is_folder() {
        return Err(Error::Invalid(
            "a link points at one object, not a folder".into(),
        ));
    }
    if !at.backend.capabilities().presign {
        return Err(Error::Invalid(format!(
            "{} is a local folder; links exist only for S3 workspaces",
            at.backend.describe()
        )));
    }
    if expires.is_zero() || expires > ferry_storage::s3::MAX_PRESIGN {
        return Err(Error::Invalid(
            "a link must expire after more than 0 seconds and at most 7 days (7d)".into(),
        ));
    }
    if method == PresignMethod::Get && at.backend.try_stat(&at.key).await?.is_none() {
        return Err(StorageError::new(
            ErrorKind::NotFound,
            format!(
                "{:?} does not exist, so a link to it would not work",
                at.key.as_str()
            ),
        )
        .into());
    }
    Ok(at.backend.presign(&at.key, method, expires).await?)
}

/// The object's address under the workspace's public or CDN base URL.
pub fn public_url(base: &str, key: &ObjectKey) -> String {
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
    const PATH: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~')
        .remove(b'/');
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        utf8_percent_encode(key.as_str(), PATH)
    )
}

/// "1h", "30m", "7d", "3600" (seconds) → a duration.
pub fn parse_duration(text: &str) -> Result<Duration> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number.parse().map_err(|_| {
        Error::Invalid(format!(
            "{text:?} is not a duration (such as 90s, 15m, 1h, 7d)"
        ))
    })?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => {
            return Err(Error::Invalid(format!(
                "{text:?} is not a duration (such as 90s, 15m, 1h, 7d)"
            )));
        }
    };
    Ok(Duration::from_secs(secs))
}

/// Which of `names` already exist in the folder `at` (a name ending in `/` asks about a
/// folder), so a front end can ask about conflicts before a transfer starts.
pub async fn existing(at: &Resolved, names: &[String]) -> Result<Vec<String>> {
    let folder = at.key.as_folder();
    let mut found = Vec::new();
    for name in names {
        let key = folder.concat(name);
        let exists = if key.is_folder() {
            at.backend.folder_exists(&key).await?
        } else {
            at.backend.try_stat(&key).await?.is_some()
        };
        if exists {
            found.push(name.clone());
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filesystem_root_is_known_whatever_its_spelling() {
        let at = |path: &str| Resolved {
            backend: std::sync::Arc::new(ferry_storage::LocalBackend::new(path)),
            key: ObjectKey::root(),
            workspace: None,
            local_root: None,
        };
        assert!(is_filesystem_root(&at("/")));
        assert!(is_filesystem_root(&at("/tmp/..")));
        assert!(!is_filesystem_root(&at("/tmp")));
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("42").unwrap(), Duration::from_secs(42));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1y").is_err());
    }

    #[test]
    fn public_urls_escape_keys() {
        assert_eq!(
            public_url("https://cdn.example.com/", &ObjectKey::new("a b/c+d.txt")),
            "https://cdn.example.com/a%20b/c%2Bd.txt"
        );
    }
}
