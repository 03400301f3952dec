//! What a person does to a workspace from a front end — create a folder, delete, rename,
//! start transfers, try a workspace before saving it — as engine methods, so that the app and
//! the CLI decide nothing of their own. Jobs made here are recorded, not started: the caller
//! starts them through the process's [`Runner`](crate::transfer::Runner).

use std::sync::Arc;

use ferry_storage::{ConnectionReport, ObjectKey};
use serde::Serialize;

use crate::browse;
use crate::error::{Error, ErrorCode, Remedy, Result};
use crate::secrets::{S3Secret, SecretError, SecretStore, binding};
use crate::settings::{ConflictPolicy, Storage, Workspace};
use crate::transfer::{ItemNote, JobKind, JobOptions};
use crate::workspace::{Location, Place};
use crate::{Engine, settings};

/// What a delete of several paths did.
#[derive(Debug, Clone, Default, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeleteReport {
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub deleted: u64,
    pub failed: Vec<ItemNote>,
}

/// A field of a workspace that cannot be saved as it is, or (`warning`) that can but that the
/// person should know about (plain `http://` to another host…).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FieldProblem {
    /// `name`, `storage.bucket`, `storage.endpoint_url`…
    pub field: String,
    pub message: String,
    pub warning: bool,
}

impl FieldProblem {
    pub fn error(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
            warning: false,
        }
    }
}

/// One source of a transfer request and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub from: Location,
    pub to: Location,
    pub is_folder: bool,
    /// A version of the (S3 object) source to copy instead of its current content.
    pub version: Option<String>,
    /// A download unpacks each `NAME.gz` into `NAME` once verified (`JobOptions::gunzip`).
    pub gunzip: bool,
}

/// `name` as one file or folder name: not empty, no slash, not `.` or `..`.
fn check_name(name: &str, what: &str) -> Result<()> {
    if name.is_empty() || name.contains('/') || name == "." || name == ".." {
        return Err(Error::Invalid(format!(
            "{name:?} cannot be a {what} name (no slashes, not empty, not . or ..)"
        )));
    }
    Ok(())
}

impl Location {
    /// `path` in workspace `workspace` (a leading `/` is ignored).
    pub fn in_workspace(workspace: &str, path: &str) -> Self {
        Location {
            place: Place::Workspace(workspace.to_string()),
            key: ObjectKey::new(path.trim_start_matches('/')),
        }
    }
}

/// A link to an object.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Link {
    pub url: String,
    /// Through the workspace's public (CDN) address, for anyone, for good; else pre-signed.
    pub public: bool,
    /// When a pre-signed link stops working (RFC 3339).
    pub expires_at: Option<String>,
}

impl Engine {
    /// The object's address under its workspace's public (CDN) address.
    pub fn public_link(&self, at: &Location) -> Result<String> {
        let Place::Workspace(id) = &at.place else {
            return Err(Error::Invalid(
                "public links exist only for workspaces".into(),
            ));
        };
        let ws = self.workspace(id)?;
        match &ws.storage {
            Storage::S3(s3) if s3.public_base_url.is_some() => Ok(browse::public_url(
                s3.public_base_url.as_deref().unwrap_or_default(),
                &at.key,
            )),
            _ => Err(Error::Refused {
                message: format!("workspace {:?} has no public or CDN address", ws.name),
                code: ErrorCode::Config,
                hint: "Add the address its objects are served from, or make a pre-signed link.",
                remedy: Remedy::SetPublicUrl {
                    workspace: ws.id.clone(),
                },
            }),
        }
    }

    /// A link to the object at `at`: pre-signed for `expires`, or (with none) its public one.
    pub async fn link(&self, at: &Location, expires: Option<std::time::Duration>) -> Result<Link> {
        let Some(expires) = expires else {
            return Ok(Link {
                url: self.public_link(at)?,
                public: true,
                expires_at: None,
            });
        };
        let resolved = self.resolve(at).await?;
        let url = browse::presign(&resolved, expires, ferry_storage::PresignMethod::Get).await?;
        let expires_at = jiff::Timestamp::now()
            .checked_add(jiff::SignedDuration::try_from(expires).unwrap_or_default())
            .ok()
            .map(|t| t.to_string());
        Ok(Link {
            url,
            public: false,
            expires_at,
        })
    }

    /// Creates folder `path` (its last part the new name) unless something of that name is
    /// there already.
    pub async fn create_folder(&self, workspace: &str, path: &str) -> Result<()> {
        let name = path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or_default();
        check_name(name, "folder")?;
        let at = self
            .resolve(&Location::in_workspace(workspace, path))
            .await?;
        let mut parent = at.clone();
        parent.key = at.key.parent();
        if !browse::existing(&parent, &[format!("{name}/")])
            .await?
            .is_empty()
        {
            return Err(Error::NameTaken(format!(
                "a folder called {name:?} is already here"
            )));
        }
        browse::make_folder(&at).await
    }

    /// Deletes files and whole folders (paths ending in `/`), each as far as it goes; what
    /// could not be deleted is listed. Never a whole workspace.
    pub async fn delete(&self, workspace: &str, paths: &[String]) -> Result<DeleteReport> {
        if paths.iter().any(|p| p.trim_matches('/').is_empty()) {
            return Err(Error::Invalid(
                "deleting a whole workspace is not offered here; select what is in it instead"
                    .into(),
            ));
        }
        let mut report = DeleteReport::default();
        for path in paths {
            let at = self
                .resolve(&Location::in_workspace(workspace, path))
                .await?;
            let removed = browse::remove(&at, path.ends_with('/'), false).await?;
            report.deleted += removed.deleted;
            report.failed.extend(
                removed
                    .failed
                    .into_iter()
                    .map(|(item, message)| ItemNote { item, message }),
            );
        }
        Ok(report)
    }

    /// Records the rename of a file or folder in place as a verified move (copy, check, then
    /// delete the old one); answers the job's id.
    pub async fn rename(&self, workspace: &str, path: &str, new_name: &str) -> Result<String> {
        let new_name = new_name.trim();
        check_name(new_name, "file or folder")?;
        let from = Location::in_workspace(workspace, path);
        let is_folder = from.key.is_folder();
        let target = if is_folder {
            format!("{new_name}/")
        } else {
            new_name.to_string()
        };
        let parent = from.key.parent();
        let at = self
            .resolve(&Location::in_workspace(workspace, parent.as_str()))
            .await?;
        if !browse::existing(&at, std::slice::from_ref(&target))
            .await?
            .is_empty()
        {
            return Err(Error::NameTaken(format!("{new_name:?} is already here")));
        }
        let to = Location::in_workspace(workspace, parent.as_folder().concat(&target).as_str());
        let options = JobOptions {
            recursive: is_folder,
            ..JobOptions::default()
        };
        self.create_job(JobKind::Move, &from, &to, &options).await
    }

    /// Records one job per planned source — all of them, or none when one is refused (an
    /// overlap, a missing source): a drop is never half started. Copies follow links when the
    /// settings say so; a move never does (it moves a link as a link), nor does an upload of
    /// paths chosen outside workspaces (a link there would lead past what was chosen).
    pub async fn create_jobs(
        &self,
        kind: JobKind,
        planned: &[Planned],
        conflict: Option<ConflictPolicy>,
    ) -> Result<Vec<String>> {
        if planned.is_empty() {
            return Err(Error::Invalid("nothing to transfer".into()));
        }
        if let Some(p) = planned.iter().find(|p| p.from == p.to) {
            return Err(Error::Invalid(format!(
                "{} is already there",
                p.to.display()
            )));
        }
        let chosen = |l: &Location| matches!(l.place, Place::Local(_));
        let follow_links = kind == JobKind::Copy
            && self.settings().transfer.follow_links
            && !planned.iter().any(|p| chosen(&p.from));
        let conflict = conflict.unwrap_or(self.settings().transfer.conflict);
        let unpack =
            matches!(kind, JobKind::Copy | JobKind::Move) && self.settings().transfer.unpack_gz;
        let requests: Vec<_> = planned
            .iter()
            .map(|p| {
                let options = JobOptions {
                    recursive: p.is_folder,
                    conflict,
                    follow_links,
                    source_version: p.version.clone(),
                    gunzip: p.gunzip || (unpack && self.downloads(&p.from, &p.to)),
                    ..JobOptions::default()
                };
                (&p.from, &p.to, options)
            })
            .collect();
        self.create_jobs_all_or_none(kind, &requests).await
    }

    /// Whether `from` → `to` brings an object from S3 to this computer.
    fn downloads(&self, from: &Location, to: &Location) -> bool {
        let on_s3 = |l: &Location| match &l.place {
            Place::Workspace(id) => self
                .workspace(id)
                .is_ok_and(|w| matches!(w.storage, crate::settings::Storage::S3(_))),
            Place::Local(_) => false,
        };
        on_s3(from) && !on_s3(to)
    }

    /// A workspace as a form describes it, ready to save: a new one (no id) gets its id from
    /// its name; every field problem is listed. `editing` is the id of the workspace it
    /// replaces, if any.
    pub fn check_draft(
        &self,
        mut ws: Workspace,
        editing: Option<&str>,
    ) -> std::result::Result<Workspace, Vec<FieldProblem>> {
        if ws.id.is_empty() {
            ws.id = crate::unique_id(&ws.name, self.settings());
        }
        let mut problems: Vec<FieldProblem> = settings::check_workspace(self.settings(), &ws)
            .into_iter()
            .map(|(field, message)| FieldProblem::error(field, message))
            .collect();
        if let Err(e) = crate::check_unambiguous(self.settings(), &ws, editing) {
            problems.push(FieldProblem::error("name", e.to_string()));
        }
        if problems.is_empty() {
            Ok(ws)
        } else {
            Err(problems)
        }
    }

    /// Tests a workspace as a form stands (saved or not): connect, list, write, clean up.
    /// `typed` keys are used for it and kept nowhere; without them the keychain's are used,
    /// but only while the draft still points at the endpoint and bucket they were saved for:
    /// stored keys are not sent to a host someone just typed in.
    pub async fn test_draft(
        &self,
        ws: &Workspace,
        typed: Option<S3Secret>,
    ) -> Result<ConnectionReport> {
        let bound = |w: &Workspace| match &w.storage {
            Storage::S3(s3) => Some(binding(s3.endpoint_url.as_deref(), &s3.bucket)),
            Storage::Local(_) => None,
        };
        let keychain_allowed = self
            .workspace(&ws.id)
            .is_ok_and(|saved| saved.id == ws.id && bound(saved) == bound(ws));
        let secrets = Arc::new(DraftSecrets {
            id: ws.id.clone(),
            typed,
            keychain: self.secrets.clone(),
            keychain_allowed,
        });
        let backend = crate::workspace::open(ws, &self.settings().transfer, secrets).await?;
        Ok(backend.test_connection().await)
    }
}

/// Keys for the draft being tested: the typed ones, else the keychain's when allowed.
struct DraftSecrets {
    id: String,
    typed: Option<S3Secret>,
    keychain: Arc<dyn SecretStore>,
    keychain_allowed: bool,
}

impl SecretStore for DraftSecrets {
    fn get(&self, workspace_id: &str) -> std::result::Result<Option<S3Secret>, SecretError> {
        match &self.typed {
            Some(secret) if workspace_id == self.id => Ok(Some(secret.clone())),
            None if workspace_id == self.id && !self.keychain_allowed => Ok(None),
            _ => self.keychain.get(workspace_id),
        }
    }
    /// A test stores nothing: typed keys are kept only by a save, and keys an older Ferry
    /// stored unbound are not bound to a draft.
    fn set(&self, _: &str, _: &S3Secret) -> std::result::Result<(), SecretError> {
        Ok(())
    }
    fn delete(&self, _: &str) -> std::result::Result<bool, SecretError> {
        Ok(false)
    }
}

impl From<Vec<FieldProblem>> for Error {
    /// A draft that cannot be saved, its problems listed.
    fn from(problems: Vec<FieldProblem>) -> Self {
        let list: Vec<String> = problems
            .iter()
            .map(|p| format!("{}: {}", p.field, p.message))
            .collect();
        Error::Invalid(format!("the workspace was not saved: {}", list.join("; ")))
    }
}
