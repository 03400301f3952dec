//! Object versions: a bucket's versioning state, the versions and delete markers of a key (or
//! of everything below a folder), and what can be done with one — read it, make it the current
//! object again (a server-side copy, verified), delete it for good.

use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use jiff::Timestamp;
use serde::Serialize;

use super::copy::{CopySource, copy_object};
use super::{S3Backend, server_checksum, timestamp};
use crate::backend::{Backend, ObjectMeta, WriteMode};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// A bucket's versioning: never turned on, on, or suspended (versions kept so far stay).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Versioning {
    Off,
    Enabled,
    Suspended,
}

/// One version of a key, or a delete marker (the key reads as deleted while it is the latest).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ObjectVersion {
    #[cfg_attr(feature = "specta", specta(type = String))]
    pub key: ObjectKey,
    /// `null` for what was written while versioning was off.
    pub version_id: String,
    pub is_latest: bool,
    pub delete_marker: bool,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub size: u64,
    #[cfg_attr(feature = "specta", specta(type = Option<String>))]
    pub last_modified: Option<Timestamp>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// One page of a listing of versions; `next` continues it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionPage {
    pub versions: Vec<ObjectVersion>,
    /// Key and version markers of the next page, when there is one.
    pub next: Option<(String, String)>,
}

/// The versioning a GetBucketVersioning answer's body states: no `Status` is a bucket never
/// versioned.
fn versioning_in(body: &[u8]) -> Versioning {
    let text = String::from_utf8_lossy(body);
    let status = text
        .split_once("<Status>")
        .and_then(|(_, rest)| rest.split_once("</Status>"))
        .map(|(status, _)| status.trim());
    match status {
        Some("Enabled") => Versioning::Enabled,
        Some("Suspended") => Versioning::Suspended,
        _ => Versioning::Off,
    }
}

impl S3Backend {
    pub async fn versioning(&self) -> Result<Versioning> {
        let out = match self
            .client()
            .get_bucket_versioning()
            .bucket(self.bucket())
            .send()
            .await
        {
            Ok(out) => out,
            // AWS answers in a `VersioningConfiguration` element; moto in a
            // `GetBucketVersioningResponse`, which the SDK refuses. A 200 is read here then: its
            // one `Status` element says the same either way.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 200) => {
                let body = e.raw_response().and_then(|r| r.body().bytes());
                return Ok(versioning_in(body.unwrap_or_default()));
            }
            Err(e) => return Err(self.fail("read the bucket's versioning", e)),
        };
        Ok(match out.status() {
            Some(BucketVersioningStatus::Enabled) => Versioning::Enabled,
            Some(BucketVersioningStatus::Suspended) => Versioning::Suspended,
            _ => Versioning::Off,
        })
    }

    /// Turns versioning on (`true`) or suspends it. A bucket cannot go back to never having
    /// had it: suspended keeps the versions there are and makes no new ones.
    pub async fn set_versioning(&self, on: bool) -> Result<()> {
        let status = if on {
            BucketVersioningStatus::Enabled
        } else {
            BucketVersioningStatus::Suspended
        };
        self.client()
            .put_bucket_versioning()
            .bucket(self.bucket())
            .versioning_configuration(VersioningConfiguration::builder().status(status).build())
            .send()
            .await
            .map_err(|e| self.fail("change the bucket's versioning", e))?;
        Ok(())
    }

    /// A page of the versions and delete markers of `key` (a file: that key only; a folder:
    /// every key below it), newest first per key, continuing after `after`.
    pub async fn versions(
        &self,
        key: &ObjectKey,
        after: Option<&(String, String)>,
    ) -> Result<VersionPage> {
        let full = self.full_key(key);
        let out = self
            .client()
            .list_object_versions()
            .bucket(self.bucket())
            .prefix(&full)
            .set_key_marker(after.map(|(k, _)| k.clone()))
            .set_version_id_marker(after.map(|(_, v)| v.clone()))
            .send()
            .await
            .map_err(|e| self.fail(&format!("list the versions of {key:?}"), e))?;
        // A prefix also matches longer keys (`a.txt` and `a.txt.bak`): a file is its key only.
        // And only what is below the asked prefix, whatever the server answers: a version
        // listed from elsewhere in the bucket (outside the workspace) must never be acted on.
        let wanted = |k: &str| {
            if key.is_folder() || key.is_root() {
                k.starts_with(&full)
            } else {
                k == full
            }
        };
        let mut versions = Vec::new();
        for v in out.versions() {
            let Some(k) = v.key().filter(|k| wanted(k)) else {
                continue;
            };
            versions.push(ObjectVersion {
                key: self.relative_key(k),
                version_id: v.version_id().unwrap_or("null").to_string(),
                is_latest: v.is_latest().unwrap_or(false),
                delete_marker: false,
                size: v.size().unwrap_or(0).max(0) as u64,
                last_modified: timestamp(v.last_modified()),
                etag: v.e_tag().map(|e| e.trim_matches('"').to_string()),
                storage_class: v.storage_class().map(|c| c.as_str().to_string()),
            });
        }
        for m in out.delete_markers() {
            let Some(k) = m.key().filter(|k| wanted(k)) else {
                continue;
            };
            versions.push(ObjectVersion {
                key: self.relative_key(k),
                version_id: m.version_id().unwrap_or("null").to_string(),
                is_latest: m.is_latest().unwrap_or(false),
                delete_marker: true,
                size: 0,
                last_modified: timestamp(m.last_modified()),
                etag: None,
                storage_class: None,
            });
        }
        // The server lists versions and markers apart; a person reads them per key, newest first.
        versions.sort_by(|a, b| {
            a.key
                .as_str()
                .cmp(b.key.as_str())
                .then(b.last_modified.cmp(&a.last_modified))
                .then(b.is_latest.cmp(&a.is_latest))
        });
        let next = out
            .is_truncated()
            .unwrap_or(false)
            .then(|| {
                Some((
                    out.next_key_marker()?.to_string(),
                    out.next_version_id_marker().unwrap_or_default().to_string(),
                ))
            })
            .flatten();
        Ok(VersionPage { versions, next })
    }

    /// Every version and delete marker of `key`, all pages.
    pub async fn all_versions(&self, key: &ObjectKey) -> Result<Vec<ObjectVersion>> {
        let mut all = Vec::new();
        let mut after = None;
        loop {
            let page = self.versions(key, after.as_ref()).await?;
            all.extend(page.versions);
            match page.next {
                Some(next) if Some(&next) != after.as_ref() => after = Some(next),
                _ => return Ok(all),
            }
        }
    }

    /// Deletes one version (or delete marker) of `key` for good.
    pub async fn delete_version(&self, key: &ObjectKey, version_id: &str) -> Result<()> {
        self.client()
            .delete_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| self.fail(&format!("delete version {version_id} of {key:?}"), e))?;
        Ok(())
    }

    /// Reads version `version_id` of `key` (its size and ETag).
    pub async fn stat_version(&self, key: &ObjectKey, version_id: &str) -> Result<ObjectMeta> {
        let out = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .version_id(version_id)
            .send()
            .await
            .map_err(|e| self.fail(&format!("read version {version_id} of {key:?}"), e))?;
        let size = out.content_length().unwrap_or(0).max(0) as u64;
        Ok(object_meta!(out, key, size))
    }

    /// Makes version `version_id` of `key` the current object again: the server copies it onto
    /// the key (a new version; the others stay), and the result is checked against it — same
    /// size, and the same MD5 where both ETags are one. Answers the new current object.
    pub async fn restore_version(&self, key: &ObjectKey, version_id: &str) -> Result<ObjectMeta> {
        let old = self.stat_version(key, version_id).await?;
        let full = self.full_key(key);
        let source = CopySource {
            bucket: self.bucket(),
            key: &full,
            version: Some(version_id),
        };
        copy_object(self, source, old.size, key, None, WriteMode::Overwrite).await?;
        let now = self.stat(key).await?;
        let md5 = |m: &ObjectMeta| {
            m.etag
                .as_deref()
                .map(|e| e.trim_matches('"').to_string())
                .filter(|e| m.etag_is_md5() && !e.contains('-'))
        };
        let same_md5 = match (md5(&old), md5(&now)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        if now.size != old.size || !same_md5 {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "the restored {key:?} is not version {version_id} ({} bytes, ETag {:?}; the version has {} bytes, ETag {:?}); the version itself is untouched",
                    now.size, now.etag, old.size, old.etag
                ),
            ));
        }
        Ok(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_versioning_answer_is_read_whatever_its_root_element() {
        let moto = br#"<?xml version="1.0"?><GetBucketVersioningResponse xmlns="x"><Status>Enabled</Status></GetBucketVersioningResponse>"#;
        assert_eq!(versioning_in(moto), Versioning::Enabled);
        let aws = br#"<VersioningConfiguration xmlns="x"><Status>Suspended</Status></VersioningConfiguration>"#;
        assert_eq!(versioning_in(aws), Versioning::Suspended);
        assert_eq!(
            versioning_in(br#"<GetBucketVersioningResponse xmlns="x"/>"#),
            Versioning::Off
        );
        assert_eq!(versioning_in(b""), Versioning::Off);
    }
}
