//! Versions of objects in S3 workspaces: a bucket's versioning, an object's versions and
//! delete markers, making an old version current again, deleting one version, and undeleting
//! (removing the delete marker that hides an object). The CLI and the app call these alike.

use ferry_storage::s3::{ObjectVersion, S3Backend, Versioning};
use ferry_storage::{ObjectKey, ObjectMeta};

use crate::Engine;
use crate::error::{Error, Result};
use crate::settings::Storage;
use crate::transfer::JobKind;
use crate::workspace::{Location, Place, Resolved};

impl Engine {
    /// The S3 store of the workspace `at` is in, and the key there; versions exist only there.
    pub(crate) async fn versioned_store(&self, at: &Location) -> Result<(S3Backend, ObjectKey)> {
        let Place::Workspace(id) = &at.place else {
            return Err(Error::Invalid(format!(
                "{} is on this computer; versions, tags and archives exist only in S3 workspaces",
                at.display()
            )));
        };
        let ws = self.workspace(id)?.clone();
        if !matches!(ws.storage, Storage::S3(_)) {
            return Err(Error::Invalid(format!(
                "workspace {:?} is a local folder; versions, tags and archives exist only in S3 workspaces",
                ws.name
            )));
        }
        Ok((self.s3_backend(&ws).await?, at.key.clone()))
    }

    /// The versioning of workspace `id`'s bucket.
    pub async fn versioning(&self, id: &str) -> Result<Versioning> {
        let at = Location::in_workspace(id, "");
        Ok(self.versioned_store(&at).await?.0.versioning().await?)
    }

    /// Turns versioning of workspace `id`'s bucket on, or suspends it (`on == false`).
    pub async fn set_versioning(&self, id: &str, on: bool) -> Result<Versioning> {
        let at = Location::in_workspace(id, "");
        let (store, _) = self.versioned_store(&at).await?;
        store.set_versioning(on).await?;
        Ok(store.versioning().await?)
    }

    /// The versions and delete markers of the object at `at` (of every object below it, for a
    /// folder), newest first per key.
    pub async fn versions(&self, at: &Location) -> Result<Vec<ObjectVersion>> {
        let (store, key) = self.versioned_store(at).await?;
        Ok(store.all_versions(&key).await?)
    }

    /// Objects below folder `at` (or the object `at`) that read as deleted: their latest
    /// version is a delete marker ("Show deleted").
    pub async fn deleted(&self, at: &Location) -> Result<Vec<ObjectVersion>> {
        Ok(self
            .versions(at)
            .await?
            .into_iter()
            .filter(|v| v.is_latest && v.delete_marker)
            .collect())
    }

    /// Makes version `version` of the object at `at` current again (a new version, copied by
    /// the server and checked against the old one); the versions there are stay.
    pub async fn restore_version(&self, at: &Location, version: &str) -> Result<ObjectMeta> {
        let (store, key) = self.versioned_store(at).await?;
        if key.is_folder() || key.is_root() {
            return Err(Error::Invalid(format!(
                "{} is a folder; restore a version of one object",
                at.display()
            )));
        }
        Ok(store.restore_version(&key, version).await?)
    }

    /// Deletes version `version` of the object at `at` for good: it cannot be recovered.
    pub async fn delete_version(&self, at: &Location, version: &str) -> Result<()> {
        let (store, key) = self.versioned_store(at).await?;
        let known = store.all_versions(&key).await?;
        if !known
            .iter()
            .any(|v| v.key == key && v.version_id == version)
        {
            return Err(Error::NotFound(format!(
                "{} has no version {version:?}",
                at.display()
            )));
        }
        Ok(store.delete_version(&key, version).await?)
    }

    /// Brings back what a delete hid: removes the delete marker that is the latest version of
    /// the object at `at` (of each object below it, for a folder), and nothing else. Answers
    /// the keys undeleted.
    pub async fn undelete(&self, at: &Location) -> Result<Vec<ObjectKey>> {
        let (store, _) = self.versioned_store(at).await?;
        let hidden = self.deleted(at).await?;
        if hidden.is_empty() {
            return Err(Error::NotFound(format!(
                "nothing at {} is deleted (no delete marker is its latest version)",
                at.display()
            )));
        }
        let mut undeleted = Vec::new();
        for marker in hidden {
            store
                .delete_version(&marker.key, &marker.version_id)
                .await?;
            undeleted.push(marker.key);
        }
        Ok(undeleted)
    }

    /// The source of a copy of version `version` of the object at `at`: its store as a view in
    /// which the object reads as that version. Refused unless it is a version with content of
    /// one object, and the job a copy (a move would delete the current object, not the version).
    pub(crate) async fn version_source(
        &self,
        kind: JobKind,
        at: &Location,
        version: &str,
    ) -> Result<Resolved> {
        if kind != JobKind::Copy {
            return Err(Error::Invalid(format!(
                "a version can be copied, not moved or synced; copy version {version:?} of {}, \
                 then delete it with `ferry rm --version` if it should go",
                at.display()
            )));
        }
        let (store, key) = self.versioned_store(at).await?;
        if key.is_folder() || key.is_root() {
            return Err(Error::Invalid(format!(
                "{} is a folder; a version belongs to one object",
                at.display()
            )));
        }
        let known = store.all_versions(&key).await?;
        let Some(found) = known
            .iter()
            .find(|v| v.key == key && v.version_id == version)
        else {
            return Err(Error::NotFound(format!(
                "{} has no version {version:?} (`ferry versions {}` lists them)",
                at.display(),
                at.display()
            )));
        };
        if found.delete_marker {
            return Err(Error::Invalid(format!(
                "version {version:?} of {} is a delete marker: it records when the object was \
                 deleted and holds no content; choose an earlier version",
                at.display()
            )));
        }
        let workspace = match &at.place {
            Place::Workspace(id) => Some(id.clone()),
            Place::Local(_) => None,
        };
        Ok(Resolved {
            backend: std::sync::Arc::new(store.at_version(&key, version)),
            key,
            workspace,
            local_root: None,
        })
    }
}
