//! Upload headers: the call's options over the workspace defaults.

use aws_sdk_s3::types::{ObjectCannedAcl, ServerSideEncryption, StorageClass};

use super::S3Backend;
use crate::backend::PutOptions;
use crate::key::ObjectKey;

pub(super) struct Headers {
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
    pub content_disposition: Option<String>,
    pub content_language: Option<String>,
    /// `x-amz-tagging`: the tags a copy keeps.
    pub tagging: Option<String>,
    pub sse: Option<ServerSideEncryption>,
    pub kms_key_id: Option<String>,
    pub storage_class: Option<StorageClass>,
    pub acl: Option<ObjectCannedAcl>,
    pub metadata: Option<std::collections::HashMap<String, String>>,
}

impl Headers {
    pub fn new(backend: &S3Backend, key: &ObjectKey, options: &PutOptions) -> Self {
        let defaults = &backend.config().upload;
        let kept = options.kept.clone().unwrap_or_default();
        // The source's metadata, less Ferry's own notes on how its bytes were sent (this write
        // makes its own), under what the call sets.
        let mut metadata = kept.metadata;
        metadata.retain(|k, _| !crate::integrity::is_ferry_metadata(k));
        metadata.extend(options.metadata.clone());
        Headers {
            content_type: options
                .content_type
                .clone()
                .or(kept.content_type)
                .or_else(|| {
                    mime_guess::from_path(key.name())
                        .first()
                        .map(|m| m.essence_str().to_string())
                }),
            content_encoding: options.content_encoding.clone().or(kept.content_encoding),
            cache_control: options
                .cache_control
                .clone()
                .or(kept.cache_control)
                .or_else(|| defaults.cache_control.clone()),
            content_disposition: kept.content_disposition,
            content_language: kept.content_language,
            tagging: super::tags::tagging_header(&kept.tags),
            sse: options
                .sse
                .as_deref()
                .or(defaults.sse.as_deref())
                .map(ServerSideEncryption::from),
            kms_key_id: defaults.kms_key_id.clone(),
            storage_class: options
                .storage_class
                .as_deref()
                .or(defaults.storage_class.as_deref())
                .map(StorageClass::from),
            acl: defaults.acl.as_deref().map(ObjectCannedAcl::from),
            metadata: (!metadata.is_empty()).then(|| metadata.into_iter().collect()),
        }
    }

    /// With SSE-KMS (or DSSE) the ETag is not an MD5 of the content and cannot be checked.
    pub fn etag_is_md5(&self) -> bool {
        !self
            .sse
            .as_ref()
            .is_some_and(|sse| crate::integrity::sse_hides_md5(sse.as_str()))
    }
}

/// PutObject and CreateMultipartUpload take the same headers through two unrelated builders.
macro_rules! with_headers {
    ($request:expr, $h:expr) => {
        $request
            .set_content_type($h.content_type)
            .set_content_encoding($h.content_encoding)
            .set_cache_control($h.cache_control)
            .set_content_disposition($h.content_disposition)
            .set_content_language($h.content_language)
            .set_tagging($h.tagging)
            .set_server_side_encryption($h.sse)
            .set_ssekms_key_id($h.kms_key_id)
            .set_storage_class($h.storage_class)
            .set_acl($h.acl)
            .set_metadata($h.metadata)
    };
}
pub(super) use with_headers;
