//! ListObjectsV2 as a stream of pages: one request per page, never the whole bucket in memory.

use aws_sdk_s3::types::EncodingType;
use futures::stream::{self, BoxStream, StreamExt};

use super::{S3Backend, timestamp};
use crate::backend::{Entry, ListOptions, ListPage, ObjectMeta};
use crate::error::{ErrorKind, Result, StorageError};
use crate::key::ObjectKey;

struct Cursor {
    backend: S3Backend,
    prefix: ObjectKey,
    options: ListOptions,
    token: Option<String>,
}

pub(super) fn list(
    backend: S3Backend,
    prefix: ObjectKey,
    options: ListOptions,
) -> BoxStream<'static, Result<ListPage>> {
    let cursor = Cursor {
        backend,
        prefix,
        options,
        token: None,
    };
    stream::unfold(Some(cursor), |state| async move {
        let mut cursor = state?;
        match cursor.next_page().await {
            Ok((page, more)) => {
                let next = more.then_some(cursor);
                Some((Ok(page), next))
            }
            Err(e) => Some((Err(e), None)),
        }
    })
    .boxed()
}

impl Cursor {
    async fn next_page(&mut self) -> Result<(ListPage, bool)> {
        let b = &self.backend;
        let full_prefix = b.full_key(&self.prefix);
        // Without `encoding-type=url`, keys holding characters XML cannot carry are unlistable.
        // No delimiter at all for recursive listings: some servers treat `delimiter=` as one.
        let out = b
            .client()
            .list_objects_v2()
            .bucket(b.bucket())
            .prefix(&full_prefix)
            .set_delimiter((!self.options.recursive).then(|| "/".to_string()))
            .set_max_keys(self.options.page_size.map(|n| n.clamp(1, 1000) as i32))
            .set_continuation_token(self.token.take())
            .encoding_type(EncodingType::Url)
            .send()
            .await
            .map_err(|e| b.fail("list", e))?;
        let encoded = out.encoding_type() == Some(&EncodingType::Url);
        let decode = |raw: &str| -> Result<String> {
            if encoded {
                url_decode(raw)
            } else {
                Ok(raw.to_string())
            }
        };

        let mut objects = Vec::new();
        for obj in out.contents() {
            let full = decode(obj.key().unwrap_or_default())?;
            let key = b.relative_key(&full);
            if key.is_root() {
                // The folder marker of the listed folder itself is not something inside it.
                continue;
            }
            if key.is_folder() && full != full_prefix {
                objects.push(Entry::Folder { key });
                continue;
            }
            objects.push(Entry::Object(ObjectMeta {
                size: obj.size().unwrap_or(0).max(0) as u64,
                last_modified: timestamp(obj.last_modified()),
                etag: obj.e_tag().map(str::to_string),
                storage_class: obj.storage_class().map(|s| s.as_str().to_string()),
                key,
                ..ObjectMeta::default()
            }));
        }
        let mut folders = Vec::new();
        for common in out.common_prefixes() {
            let full = decode(common.prefix().unwrap_or_default())?;
            folders.push(Entry::Folder {
                key: b.relative_key(&full),
            });
        }
        // S3 returns objects and prefixes as two sorted lists; merge them into key order.
        let mut entries: Vec<Entry> = objects.into_iter().chain(folders).collect();
        entries.sort_by(|a, b| a.key().as_str().cmp(b.key().as_str()));

        let more = out.is_truncated().unwrap_or(false);
        self.token = out.next_continuation_token().map(str::to_string);
        if more && self.token.is_none() {
            return Err(StorageError::new(
                ErrorKind::Server,
                "the server said the listing continues but gave no continuation token",
            ));
        }
        Ok((ListPage { entries }, more))
    }
}

/// Decodes a key from a listing made with `encoding-type=url` (`+` is a space there; a literal
/// plus arrives as `%2B`).
fn url_decode(raw: &str) -> Result<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            StorageError::new(
                ErrorKind::Server,
                format!("the server listed a key that is not valid UTF-8: {raw:?}"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::url_decode;

    #[test]
    fn decodes_listed_keys() {
        assert_eq!(url_decode("a+b%2Bc%25%23").unwrap(), "a b+c%#");
        assert_eq!(url_decode("caf%C3%A9").unwrap(), "café");
        assert!(url_decode("%FF").is_err());
    }
}
