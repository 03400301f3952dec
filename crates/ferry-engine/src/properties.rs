//! Changing objects' properties after upload (headers, metadata, storage class, encryption):
//! one object, or every object below a folder, each by a verified server-side copy onto itself.
//! An edit is a job ([`JobKind::Edit`]): queued, shown with progress, paused, cancelled,
//! resumed after a crash and retried like a transfer.

use ferry_storage::S3Backend;
use ferry_storage::s3::PropertyEdit;

use crate::Engine;
use crate::error::{Error, Result};
use crate::transfer::{JobKind, JobOptions};
use crate::workspace::Location;

impl Engine {
    /// Records a job that applies `edit` to the object at `at`, or (a folder) to every object
    /// below it; each keeps what the edit leaves out. Answers the job's id, to start or run.
    pub async fn create_edit_job(&self, at: &Location, edit: &PropertyEdit) -> Result<String> {
        let mut ids = self
            .create_edit_jobs(std::slice::from_ref(at), edit)
            .await?;
        Ok(ids.remove(0))
    }

    /// One edit job per location, all or none: a refused one (a local place, nothing to change)
    /// takes back those recorded before it.
    pub async fn create_edit_jobs(
        &self,
        places: &[Location],
        edit: &PropertyEdit,
    ) -> Result<Vec<String>> {
        let requests: Vec<_> = places
            .iter()
            .map(|at| {
                let options = JobOptions {
                    recursive: at.key.is_folder() || at.key.is_root(),
                    edit: Some(edit.clone()),
                    ..JobOptions::default()
                };
                (at, at, options)
            })
            .collect();
        self.create_jobs_all_or_none(JobKind::Edit, &requests).await
    }

    /// The store an edit job changes objects in, once its request is checked: something to
    /// change, one place (source and destination the same), an S3 workspace.
    pub(crate) async fn edit_store(
        &self,
        source: &Location,
        destination: &Location,
        options: &JobOptions,
    ) -> Result<S3Backend> {
        let Some(edit) = options.edit.as_ref().filter(|e| !e.is_empty()) else {
            return Err(Error::Invalid(
                "nothing to change: name a property to set".into(),
            ));
        };
        edit.check().map_err(|e| Error::Invalid(e.message))?;
        if source != destination {
            return Err(Error::Invalid(format!(
                "an edit changes objects in place: {} and {} must be one place",
                source.display(),
                destination.display()
            )));
        }
        Ok(self.versioned_store(source).await?.0)
    }
}
