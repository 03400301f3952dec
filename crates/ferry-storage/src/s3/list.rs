//! ListObjectsV2 as a stream of pages: one request per page, never the whole bucket in memory.

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
        let used = self.token.take();
        // No delimiter at all for recursive listings: some servers treat `delimiter=` as one.
        // `encoding-type=url` is not requested: some servers (s3s-fs 0.14) claim to apply it
        // without doing so, which would corrupt keys holding `+` or `%`.
        let out = b
            .client()
            .list_objects_v2()
            .bucket(b.bucket())
            .prefix(&full_prefix)
            .set_delimiter((!self.options.recursive).then(|| "/".to_string()))
            .set_max_keys(self.options.page_size.map(|n| n.clamp(1, 1000) as i32))
            .set_continuation_token(used.clone())
            .send()
            .await
            .map_err(|e| b.fail("list", e))?;
        let mut objects = Vec::new();
        let mut folder_marker = false;
        for obj in out.contents() {
            let full = obj.key().unwrap_or_default().to_string();
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
            let full = common.prefix().unwrap_or_default();
            folders.push(Entry::Folder {
                key: b.relative_key(full),
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
