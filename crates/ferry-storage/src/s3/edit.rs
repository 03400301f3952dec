//! Changing an object's properties after upload — Content-Type, Cache-Control,
//! Content-Disposition, user metadata, storage class, encryption — by a server-side copy onto
//! itself (CopyObject with `MetadataDirective: REPLACE`, or a copy in parts above the
//! single-copy limit), keeping every property not edited, then checking the result.

use std::collections::BTreeMap;

use aws_sdk_s3::types::{MetadataDirective, ServerSideEncryption, StorageClass};
use serde::{Deserialize, Serialize};

use super::S3Backend;
use super::copy::{CopySource, Props, copy_multipart};
use super::headers::Headers;
use crate::backend::{Backend, ObjectMeta, PutOptions, WriteMode};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

/// What to change; `None` keeps what the object has. An empty text removes that header.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct PropertyEdit {
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    /// STANDARD, STANDARD_IA, GLACIER_IR, GLACIER, DEEP_ARCHIVE…
    pub storage_class: Option<String>,
    /// AES256 or aws:kms.
    pub sse: Option<String>,
    /// User metadata to set (`x-amz-meta-KEY`).
    pub metadata: BTreeMap<String, String>,
    /// User metadata to remove.
    pub remove_metadata: Vec<String>,
}

impl PropertyEdit {
    pub fn is_empty(&self) -> bool {
        self == &PropertyEdit::default()
    }

    /// Refuses what no server can do, before any object is touched: S3 gives every object a
    /// Content-Type, a storage class and (on AWS) encryption, so "removing" one would only
    /// swap it for the server's default — and then fail to read back as asked.
    pub fn check(&self) -> Result<()> {
        for (value, header, example) in [
            (
                &self.content_type,
                "Content-Type",
                "application/octet-stream",
            ),
            (&self.storage_class, "the storage class", "STANDARD"),
            (&self.sse, "the encryption", "AES256"),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(StorageError::new(
                    ErrorKind::InvalidRequest,
                    format!(
                        "{header} cannot be removed (every object has one); name another, e.g. {example}"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// `edit`'s value over what the object has: `None` keeps, `""` removes.
fn over(edit: &Option<String>, now: Option<&str>) -> Option<String> {
    match edit {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(v.clone()),
        None => now.map(str::to_string),
    }
}

impl S3Backend {
    /// Applies `edit` to `key`, keeping what it does not change; answers the object as it now is.
    /// The copy reads the object as it was looked at (If-Match), so a write in between fails
    /// the edit instead of being overwritten.
    pub async fn edit_properties(
        &self,
        key: &ObjectKey,
        edit: &PropertyEdit,
    ) -> Result<ObjectMeta> {
        let full = self.full_key(key);
        let action = format!("change the properties of {key:?}");
        let head = self
            .client()
            .head_object()
            .bucket(self.bucket())
            .key(&full)
            .send()
            .await
            .map_err(|e| self.fail(&action, e))?;
        let size = head.content_length().unwrap_or(0).max(0) as u64;
        let etag = head.e_tag().map(str::to_string);
        let mut metadata = head.metadata().cloned().unwrap_or_default();
        for gone in &edit.remove_metadata {
            metadata.remove(gone);
        }
        metadata.extend(edit.metadata.clone());
        let props = Props {
            content_type: over(&edit.content_type, head.content_type()),
            cache_control: over(&edit.cache_control, head.cache_control()),
            content_disposition: over(&edit.content_disposition, head.content_disposition()),
            content_encoding: head.content_encoding().map(str::to_string),
            content_language: head.content_language().map(str::to_string),
            metadata,
        };
        let mut h = Headers::new(self, key, &PutOptions::default());
        h.storage_class = over(
            &edit.storage_class,
            head.storage_class().map(|c| c.as_str()),
        )
        .map(|c| StorageClass::from(c.as_str()));
        h.sse = over(&edit.sse, head.server_side_encryption().map(|s| s.as_str()))
            .map(|s| ServerSideEncryption::from(s.as_str()));
        h.kms_key_id = match h.sse {
            Some(ServerSideEncryption::AwsKms) => {
                head.ssekms_key_id().map(str::to_string).or(h.kms_key_id)
            }
            _ => None,
        };
        let source = CopySource {
            bucket: self.bucket(),
            key: &full,
            version: None,
        };
        if size <= self.config().max_single_copy {
            self.client()
                .copy_object()
                .bucket(self.bucket())
                .key(&full)
                .copy_source(source.header())
                .set_copy_source_if_match(etag.clone())
                .metadata_directive(MetadataDirective::Replace)
                .set_content_type(props.content_type.clone())
                .set_cache_control(props.cache_control.clone())
                .set_content_disposition(props.content_disposition.clone())
                .set_content_encoding(props.content_encoding.clone())
                .set_content_language(props.content_language.clone())
                .set_metadata(Some(props.metadata.clone()))
                .set_server_side_encryption(h.sse.clone())
                .set_ssekms_key_id(h.kms_key_id.clone())
                .set_storage_class(h.storage_class.clone())
                .set_acl(h.acl.clone())
                .send()
                .await
                .map_err(|e| match self.fail(&action, e) {
                    // Here a failed precondition is the If-Match: someone wrote it meanwhile.
                    e if e.kind == ErrorKind::AlreadyExists => changed_meanwhile(key),
                    e => e,
                })?;
        } else {
            let expected = props.clone();
            copy_multipart(
                self,
                source,
                key,
                size,
                h,
                Some(expected),
                None,
                WriteMode::Overwrite,
            )
            .await?;
        }
        let now = self.stat(key).await?;
        let kept_md5 = |m: &ObjectMeta| {
            m.etag
                .as_deref()
                .map(|e| e.trim_matches('"').to_string())
                .filter(|e| m.etag_is_md5() && !e.contains('-'))
        };
        let was = ObjectMeta {
            etag: etag.clone(),
            server_side_encryption: head.server_side_encryption().map(|s| s.as_str().into()),
            ..now.clone()
        };
        let same_bytes = match (kept_md5(&was), kept_md5(&now)) {
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let as_asked =
            now.content_type == props.content_type && now.cache_control == props.cache_control;
        if now.size != size || !same_bytes || !as_asked {
            return Err(StorageError::new(
                ErrorKind::Corrupt,
                format!(
                    "{key:?} does not read back as edited ({} bytes, ETag {:?}, Content-Type {:?}; expected {size} bytes, Content-Type {:?})",
                    now.size, now.etag, now.content_type, props.content_type
                ),
            ));
        }
        Ok(now)
    }
}

fn changed_meanwhile(key: &ObjectKey) -> StorageError {
    StorageError::new(
        ErrorKind::Corrupt,
        format!(
            "{key:?} changed while its properties were being changed; nothing was overwritten, try again"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_keeps_what_it_leaves_out_and_removes_what_it_empties() {
        assert_eq!(over(&None, Some("text/plain")), Some("text/plain".into()));
        assert_eq!(over(&Some(String::new()), Some("text/plain")), None);
        assert_eq!(
            over(&Some("image/png".into()), None),
            Some("image/png".into())
        );
        assert!(PropertyEdit::default().is_empty());
    }

    #[test]
    fn what_every_object_has_cannot_be_removed() {
        let removing = |edit: PropertyEdit| edit.check().unwrap_err().message;
        assert!(
            removing(PropertyEdit {
                content_type: Some(String::new()),
                ..Default::default()
            })
            .contains("Content-Type cannot be removed")
        );
        assert!(
            removing(PropertyEdit {
                storage_class: Some(" ".into()),
                ..Default::default()
            })
            .contains("storage class")
        );
        let clearing = PropertyEdit {
            cache_control: Some(String::new()),
            content_disposition: Some(String::new()),
            ..Default::default()
        };
        assert!(clearing.check().is_ok(), "optional headers can be removed");
    }
}
