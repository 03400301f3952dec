//! Changing objects' properties after upload (headers, metadata, storage class, encryption):
//! one object, or every object below a folder, each by a verified server-side copy onto itself.

use ferry_storage::s3::PropertyEdit;
use futures::StreamExt;
use serde::Serialize;

use crate::Engine;
use crate::error::{Error, Result};
use crate::transfer::ItemNote;
use crate::workspace::Location;

/// What an edit of several objects did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EditReport {
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub edited: u64,
    pub failed: Vec<ItemNote>,
}

impl Engine {
    /// Applies `edit` to the object at `at`, or (a folder) to every object below it; each keeps
    /// what the edit leaves out. One that fails is listed and the others go on.
    pub async fn edit_properties(&self, at: &Location, edit: &PropertyEdit) -> Result<EditReport> {
        if edit.is_empty() {
            return Err(Error::Invalid(
                "nothing to change: name a property to set".into(),
            ));
        }
        let (store, key) = self.versioned_store(at).await?;
        let keys = if key.is_folder() || key.is_root() {
            let resolved = self.resolve(at).await?;
            let mut pages = crate::browse::list(&resolved, true).await?;
            let mut keys = Vec::new();
            while let Some(page) = pages.next().await {
                for entry in page?.entries {
                    if let ferry_storage::Entry::Object(meta) = entry
                        && !meta.key.is_folder()
                    {
                        keys.push(meta.key);
                    }
                }
            }
            keys
        } else {
            vec![key]
        };
        let mut report = EditReport::default();
        for key in keys {
            match store.edit_properties(&key, edit).await {
                Ok(_) => report.edited += 1,
                Err(e) => report.failed.push(ItemNote {
                    item: key.into_string(),
                    message: e.to_string(),
                }),
            }
        }
        Ok(report)
    }
}
