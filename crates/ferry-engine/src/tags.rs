//! Object tags in S3 workspaces: read and replace them. The CLI and the app call these alike.

use std::collections::BTreeMap;

use crate::Engine;
use crate::error::{Error, Result};
use crate::workspace::Location;

impl Engine {
    /// The tags of the object at `at`.
    pub async fn tags(&self, at: &Location) -> Result<BTreeMap<String, String>> {
        let (store, key) = self.versioned_store(at).await?;
        Ok(store.tags(&key).await?)
    }

    /// Replaces the tags of the object at `at` with `tags` (checked first: at most ten, keys
    /// 1–128 characters, values up to 256, no `aws:` keys).
    pub async fn set_tags(&self, at: &Location, tags: &BTreeMap<String, String>) -> Result<()> {
        // Refused before anything is sent: a usage error, not a failure of the server.
        ferry_storage::s3::check_tags(tags).map_err(|e| Error::Invalid(e.message))?;
        let (store, key) = self.versioned_store(at).await?;
        Ok(store.set_tags(&key, tags).await?)
    }
}
