//! Archived objects (S3 Glacier Flexible Retrieval, Deep Archive, and Intelligent-Tiering's
//! archive tiers): whether one can be read now, asking for a temporary copy to be restored, and
//! what the restore is doing (`x-amz-restore`).

use aws_sdk_s3::types::{ArchiveStatus, GlacierJobParameters, RestoreRequest, Tier};
use serde::Serialize;

use super::S3Backend;
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// How fast (and at what price) an archived object comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RestoreTier {
    /// Minutes (Glacier Flexible Retrieval only); the dearest.
    Expedited,
    /// Hours.
    Standard,
    /// Up to two days; the cheapest.
    Bulk,
}

/// Whether an object can be read now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ArchiveState {
    /// Readable (GLACIER_IR is instant and counts here).
    Readable,
    /// In an archive tier: it must be restored before it can be read.
    Archived { class: String },
    /// A restore was asked for and is under way.
    Restoring { class: String },
    /// A restored copy can be read until `until` (RFC 1123, as the server says it).
    Restored {
        class: String,
        until: Option<String>,
    },
}

/// The `x-amz-restore` header: `ongoing-request="true"`, or `ongoing-request="false",
/// expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`.
fn parse_restore(header: &str) -> (bool, Option<String>) {
    let ongoing = header.contains("ongoing-request=\"true\"");
    let until = header
        .split_once("expiry-date=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .map(|(date, _)| date.to_string());
    (ongoing, until)
}

/// Whether objects of storage class `class` must be restored before they can be read (Glacier
/// Flexible Retrieval, Deep Archive); Glacier Instant Retrieval reads at once. A listing's class
/// is enough to tell, except for Intelligent-Tiering's archive tiers, which only a HEAD shows.
pub fn needs_restore(class: &str) -> bool {
    matches!(class, "GLACIER" | "DEEP_ARCHIVE")
}

impl S3Backend {
    /// Whether `key` can be read now, or is archived (and how its restore stands).
    pub async fn archive_state(&self, key: &ObjectKey) -> Result<ArchiveState> {
        let out = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| self.fail(&format!("read {key:?}"), e))?;
        let class = out
            .storage_class()
            .map(|c| c.as_str().to_string())
            .unwrap_or_default();
        let tiered = matches!(
            out.archive_status(),
            Some(ArchiveStatus::ArchiveAccess | ArchiveStatus::DeepArchiveAccess)
        );
        let archived = tiered || needs_restore(&class);
        if !archived {
            return Ok(ArchiveState::Readable);
        }
        Ok(match out.restore().map(parse_restore) {
            Some((true, _)) => ArchiveState::Restoring { class },
            Some((false, until)) => ArchiveState::Restored { class, until },
            None => ArchiveState::Archived { class },
        })
    }

    /// Asks the server to restore a readable copy of archived `key` for `days` days, at
    /// `tier`'s speed. (Intelligent-Tiering's archive tiers take no days: the object moves
    /// back to a readable tier.)
    pub async fn request_restore(
        &self,
        key: &ObjectKey,
        days: u32,
        tier: RestoreTier,
    ) -> Result<ArchiveState> {
        let state = self.archive_state(key).await?;
        let ArchiveState::Archived { class } = &state else {
            return Ok(state);
        };
        let tier = match tier {
            RestoreTier::Expedited => Tier::Expedited,
            RestoreTier::Standard => Tier::Standard,
            RestoreTier::Bulk => Tier::Bulk,
        };
        let jobs = GlacierJobParameters::builder()
            .tier(tier)
            .build()
            .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?;
        let mut request = RestoreRequest::builder().glacier_job_parameters(jobs);
        if class != "INTELLIGENT_TIERING" {
            request = request.days(days.clamp(1, 30_000) as i32);
        }
        self.client()
            .restore_object()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .restore_request(request.build())
            .send()
            .await
            .map_err(|e| self.fail(&format!("restore {key:?} from the archive"), e))?;
        self.archive_state(key).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_restore_header_says_whether_a_copy_is_there_and_until_when() {
        assert_eq!(parse_restore(r#"ongoing-request="true""#), (true, None));
        assert_eq!(
            parse_restore(
                r#"ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT""#
            ),
            (false, Some("Fri, 21 Dec 2012 00:00:00 GMT".into()))
        );
    }
}
