//! Archived objects in S3 workspaces: whether one can be read now, and asking for a restored
//! copy. The CLI and the app call these alike.

use ferry_storage::s3::{ArchiveState, RestoreTier};

use crate::Engine;
use crate::error::Result;
use crate::workspace::Location;

impl Engine {
    /// Whether the object at `at` can be read now, or is archived (and how its restore stands).
    pub async fn archive_state(&self, at: &Location) -> Result<ArchiveState> {
        let (store, key) = self.versioned_store(at).await?;
        Ok(store.archive_state(&key).await?)
    }

    /// Asks for a readable copy of the archived object at `at`, kept `days` days, restored at
    /// `tier`'s speed; answers the state after asking (an object not archived is left alone).
    pub async fn restore_archive(
        &self,
        at: &Location,
        days: u32,
        tier: RestoreTier,
    ) -> Result<ArchiveState> {
        let (store, key) = self.versioned_store(at).await?;
        Ok(store.request_restore(&key, days, tier).await?)
    }
}
