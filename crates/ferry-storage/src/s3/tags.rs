//! Object tags: read them, replace them. S3 keeps at most 10 per object; keys up to 128
//! characters, values up to 256, of letters, digits, spaces and `_ . : / = + - @`.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{Tag, Tagging};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

use super::S3Backend;
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// Most tags S3 keeps on one object.
pub const MAX_TAGS: usize = 10;

/// Refuses tags S3 would refuse, naming the first wrong one, before anything is sent.
pub fn check_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    let invalid = |message: String| Err(StorageError::new(ErrorKind::InvalidRequest, message));
    if tags.len() > MAX_TAGS {
        return invalid(format!(
            "{} tags: an object keeps at most {MAX_TAGS}",
            tags.len()
        ));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > 128 {
            return invalid(format!("tag key {key:?} must be 1 to 128 characters"));
        }
        if value.chars().count() > 256 {
            return invalid(format!(
                "the value of tag {key:?} is longer than 256 characters"
            ));
        }
        // AWS's rule: letters, digits, spaces and `_ . : / = + - @` (moto enforces it too).
        let allowed = |c: char| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c);
        if let Some(c) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
            return invalid(format!(
                "tag {key:?}={value:?}: {c:?} is not allowed (letters, digits, spaces and _ . : / = + - @ are)"
            ));
        }
        if key.starts_with("aws:") {
            return invalid(format!("tag key {key:?}: keys starting aws: are AWS's own"));
        }
    }
    Ok(())
}

/// `tags` as `x-amz-tagging` (`k=v&k2=v2`, URL-encoded); none when there are none.
pub(super) fn tagging_header(tags: &BTreeMap<String, String>) -> Option<String> {
    let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    (!tags.is_empty()).then(|| {
        tags.iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect::<Vec<_>>()
            .join("&")
    })
}

/// The tags of `bucket/key` (at `version`) for a copy to keep: none when the server keeps no
/// tags at all (NotImplemented: there are none to lose), or when the credentials may not read
/// them — tags are worth keeping, not worth failing a copy for (logged).
pub(super) async fn tags_to_keep(
    backend: &S3Backend,
    bucket: &str,
    key: &str,
    version: Option<&str>,
) -> Result<BTreeMap<String, String>> {
    let answer = backend
        .client()
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .set_version_id(version.map(str::to_string))
        .send()
        .await;
    match answer {
        Ok(out) => Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect()),
        Err(e) => match backend.fail(&format!("read the tags of {key:?}"), e) {
            e if e.kind == ErrorKind::Unsupported => Ok(BTreeMap::new()),
            e if e.kind == ErrorKind::AccessDenied => {
                tracing::warn!(error = %e, "the copy goes on without the source's tags");
                Ok(BTreeMap::new())
            }
            e => Err(e),
        },
    }
}

impl S3Backend {
    pub async fn tags(&self, key: &ObjectKey) -> Result<BTreeMap<String, String>> {
        let out = self
            .client()
            .get_object_tagging()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .send()
            .await
            .map_err(|e| self.fail(&format!("read the tags of {key:?}"), e))?;
        Ok(out
            .tag_set()
            .iter()
            .map(|t| (t.key().to_string(), t.value().to_string()))
            .collect())
    }

    /// Replaces every tag of `key` with `tags` (none: removes them all).
    pub async fn set_tags(&self, key: &ObjectKey, tags: &BTreeMap<String, String>) -> Result<()> {
        check_tags(tags)?;
        let action = format!("tag {key:?}");
        if tags.is_empty() {
            self.client()
                .delete_object_tagging()
                .bucket(self.bucket())
                .key(self.full_key(key))
                .send()
                .await
                .map_err(|e| self.fail(&action, e))?;
            return Ok(());
        }
        let mut set = Vec::with_capacity(tags.len());
        for (k, v) in tags {
            set.push(
                Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?,
            );
        }
        let tagging = Tagging::builder()
            .set_tag_set(Some(set))
            .build()
            .map_err(|e| StorageError::new(ErrorKind::InvalidRequest, e.to_string()))?;
        self.client()
            .put_object_tagging()
            .bucket(self.bucket())
            .key(self.full_key(key))
            .tagging(tagging)
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_s3_would_refuse_are_refused_first() {
        let tags = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>()
        };
        assert!(check_tags(&tags(&[("team", "ops")])).is_ok());
        assert!(check_tags(&tags(&[("a b", "x y=z+1/2@é")])).is_ok());
        assert!(check_tags(&tags(&[("k", "x&y")])).is_err());
        assert!(check_tags(&tags(&[("", "x")])).is_err());
        assert!(check_tags(&tags(&[("aws:cloudformation", "x")])).is_err());
        let long = "v".repeat(257);
        assert!(check_tags(&tags(&[("k", &long)])).is_err());
        let many: Vec<(String, String)> = (0..11).map(|i| (format!("k{i}"), "v".into())).collect();
        assert!(check_tags(&many.into_iter().collect()).is_err());
    }

    #[test]
    fn tags_travel_url_encoded() {
        let tags: BTreeMap<String, String> = [
            ("a b".to_string(), "x y=z+1/2".to_string()),
            ("team".to_string(), "ops".to_string()),
        ]
        .into();
        assert_eq!(
            tagging_header(&tags).as_deref(),
            Some("a%20b=x%20y%3Dz%2B1%2F2&team=ops")
        );
        assert_eq!(tagging_header(&BTreeMap::new()), None);
    }
}
