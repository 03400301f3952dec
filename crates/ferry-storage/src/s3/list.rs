//! ListObjectsV2 as a stream of pages: one request per page, never the whole bucket in memory.

use aws_sdk_s3::error::SdkError;
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
    seen: SeenTokens,
    /// Asking for URL-encoded keys: a page was unreadable without (see [`Cursor::next_page`]).
    encoded: bool,
}

/// The continuation tokens a listing was given. One given twice would keep Ferry listing
/// forever (a server handing back the same page, or pages in a cycle), so it ends the listing.
#[derive(Default)]
pub(super) struct SeenTokens(std::collections::HashSet<String>);

impl SeenTokens {
    /// Checks the next token of a listing of `what` that says it continues.
    pub fn next(&mut self, token: Option<&str>, what: &str) -> Result<()> {
        let Some(token) = token else {
            return Err(StorageError::new(
                ErrorKind::Server,
                format!("the server said the {what} continues but gave no continuation token"),
            ));
        };
        if !self.0.insert(token.to_string()) {
            return Err(StorageError::new(
                ErrorKind::Server,
                format!(
                    "the server answered the {what} with a continuation token it had given before; the listing would never end"
                ),
            ));
        }
        Ok(())
    }
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
        seen: SeenTokens::default(),
        encoded: false,
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
    /// One page. Keys are asked for as they are; a key holding a character XML 1.0 cannot carry
    /// (a control character, legal in S3) makes that answer unreadable, and then this page and
    /// the rest are asked for with `encoding-type=url` and decoded. Not asked for from the start:
    /// some servers (s3s-fs 0.14) claim to apply it without doing so, which would corrupt keys
    /// holding `+` or `%`. Such a server cannot list such a key either way.
    async fn next_page(&mut self) -> Result<(ListPage, bool)> {
        let b = &self.backend;
        let full_prefix = b.full_key(&self.prefix);
        let used = self.token.take();
        let ask = |encoded: bool| {
            // No delimiter at all for recursive listings: some servers treat `delimiter=` as one.
            b.client()
                .list_objects_v2()
                .bucket(b.bucket())
                .prefix(&full_prefix)
                .set_delimiter((!self.options.recursive).then(|| "/".to_string()))
                .set_max_keys(self.options.page_size.map(|n| n.clamp(1, 1000) as i32))
                .set_continuation_token(used.clone())
                .set_encoding_type(encoded.then_some(EncodingType::Url))
                .send()
        };
        let out = match ask(self.encoded).await {
            Err(e) if !self.encoded && unreadable(&e) => {
                tracing::debug!(prefix = %full_prefix, "a listing could not be read; asking for URL-encoded keys");
                self.encoded = true;
                ask(true).await
            }
            other => other,
        }
        .map_err(|e| b.fail("list", e))?;
        let decoded = out.encoding_type() == Some(&EncodingType::Url);
        let name = |raw: &str| -> Result<String> {
            if decoded {
                url_decoded(raw)
            } else {
                Ok(raw.to_string())
            }
        };
        let mut objects = Vec::new();
        let mut folder_marker = false;
        for obj in out.contents() {
            let full = name(obj.key().unwrap_or_default())?;
            let key = b.relative_key(&full);
            if full == full_prefix && full.ends_with('/') {
                // The folder marker of the listed folder itself is not something inside it.
                folder_marker = true;
                continue;
            }
            if key.is_folder() {
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
            let full = name(common.prefix().unwrap_or_default())?;
            folders.push(Entry::Folder {
                key: b.relative_key(&full),
            });
        }
        // S3 returns objects and prefixes as two sorted lists; merge them into key order.
        let mut entries: Vec<Entry> = objects.into_iter().chain(folders).collect();
        entries.sort_by(|a, b| a.key().as_str().cmp(b.key().as_str()));

        let more = out.is_truncated().unwrap_or(false);
        self.token = out.next_continuation_token().map(str::to_string);
        if more {
            self.seen.next(self.token.as_deref(), "listing")?;
        }
        Ok((
            ListPage {
                entries,
                folder_marker,
            },
            more,
        ))
    }
}

/// Whether `e` is an answer that came (HTTP 2xx) but could not be read as a listing.
fn unreadable<E>(e: &SdkError<E, aws_smithy_runtime_api::http::Response>) -> bool {
    match e {
        SdkError::ResponseError(_) => true,
        SdkError::ServiceError(service) => service.raw().status().is_success(),
        _ => false,
    }
}

/// A key as `encoding-type=url` sends it: percent-encoded, a space also as `+` (AWS; moto sends
/// `%20`, and both send a `+` of the key as `%2B`).
pub(super) fn url_decoded(raw: &str) -> Result<String> {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|k| k.into_owned())
        .map_err(|_| {
            StorageError::new(
                ErrorKind::Server,
                format!(
                    "the server listed a key that does not decode to text ({:?})",
                    raw.escape_debug().to_string()
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::url_decoded;

    #[test]
    fn url_encoded_keys_decode_as_aws_and_moto_send_them() {
        assert_eq!(url_decoded("a%01b/c").unwrap(), "a\u{1}b/c");
        assert_eq!(url_decoded("two+words").unwrap(), "two words");
        assert_eq!(url_decoded("two%20words").unwrap(), "two words");
        assert_eq!(url_decoded("a%2Bb%25").unwrap(), "a+b%");
        assert_eq!(url_decoded("caf%C3%A9").unwrap(), "café");
        assert!(url_decoded("bad%FF").is_err());
    }
}
