//! Ferry's use cases, shared by every front end: settings, credentials, workspaces, browsing,
//! copying. No user-interface code lives here.

pub mod actions;
mod archive;
pub mod browse;
pub mod edit;
pub mod error;
pub mod find;
pub mod import;
pub mod links;
pub mod logs;
pub mod preview;
pub mod properties;
pub mod secrets;
pub mod settings;
mod tags;
pub mod transfer;
mod versions;
pub mod workspace;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ferry_storage::{Backend, ConnectionReport, LocalBackend, S3Backend};
use serde::Serialize;

pub use error::{Error, ErrorCode, Result};
use secrets::{S3Secret, SecretStore};
use settings::{CredentialSource, Settings, SettingsFile, Storage, Workspace};
use workspace::{Links, Location, Place, Resolved};

/// The engine: the settings file and the secret store, and everything done through them.
pub struct Engine {
    file: SettingsFile,
    secrets: Arc<dyn SecretStore>,
    data_dir: PathBuf,
    journal: std::sync::OnceLock<Arc<transfer::Journal>>,
    /// How local destinations compare names, when a test says so ([`Engine::assume_local_folding`]).
    local_folding: Option<ferry_storage::NameFolding>,
    /// The file slots and memory budget every job of this process shares.
    runner: Arc<transfer::Runner>,
    /// One store per S3 workspace, opened once and shared by every job and listing of this
    /// engine: one client, one connection pool, one keychain read. Forgotten when the
    /// workspace's keys change; a settings change makes a new engine.
    s3_stores: tokio::sync::Mutex<std::collections::HashMap<String, SharedS3>>,
}

/// Where jobs, locks and reports live: `FERRY_DATA_DIR`, else the platform data dir
/// (`~/.local/share/ferry` on Linux).
pub fn data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("FERRY_DATA_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    directories::ProjectDirs::from("", "", "ferry")
        .map(|d| d.data_dir().to_path_buf())
        .unwrap_or_else(|| PathBuf::from(".ferry-data"))
}

/// A job as `ferry jobs` shows it.
#[derive(Debug, Clone, Serialize)]
pub struct JobSummary {
    #[serde(flatten)]
    pub job: transfer::JobRow,
    pub tally: transfer::Tally,
    /// Stopped by a crash or kill: `ferry jobs resume` continues it.
    pub interrupted: bool,
    /// Of an ended job: multipart uploads the server would not abort, which still hold parts
    /// there (and cost); `ferry jobs cancel` aborts them.
    pub kept_uploads: usize,
}

/// Whether a workspace has credentials, without the credentials.
#[derive(Debug, Clone, Serialize)]
pub struct SecretStatus {
    pub workspace: String,
    /// `keychain`, `aws` or `none` (local workspaces).
    pub source: &'static str,
    pub is_set: bool,
    /// The access key id, masked (`AKIA…WXYZ`).
    pub access_key_id: Option<String>,
    pub profile: Option<String>,
}

impl Engine {
    /// Loads settings from `config_dir`, creating them on a first run with a local workspace
    /// in `~/Ferry`.
    pub fn load(config_dir: &Path, secrets: Arc<dyn SecretStore>) -> Result<Self> {
        Self::load_with(config_dir, &settings::default_local_folder(), secrets)
    }

    pub fn load_with(
        config_dir: &Path,
        default_local: &Path,
        secrets: Arc<dyn SecretStore>,
    ) -> Result<Self> {
        let file = SettingsFile::load_or_create(config_dir, default_local)?;
        let runner = Arc::new(transfer::Runner::new(&file.settings().transfer));
        Ok(Self {
            file,
            secrets,
            data_dir: data_dir(),
            journal: std::sync::OnceLock::new(),
            local_folding: None,
            runner,
            s3_stores: Default::default(),
        })
    }

    /// What every job of this process shares: file slots and the memory budget.
    pub fn runner(&self) -> &Arc<transfer::Runner> {
        &self.runner
    }

    /// Goes on with an earlier engine's runner, taking this engine's limits, so that jobs
    /// started before a settings change and jobs started after it are one queue with one
    /// limit and one budget (the app loads a new engine on every change).
    pub fn keep_runner(mut self, earlier: &Arc<transfer::Runner>) -> Self {
        earlier.apply(&self.settings().transfer);
        self.runner = earlier.clone();
        self
    }

    /// Keeps jobs, locks and reports in `dir` instead of [`data_dir`].
    pub fn with_data_dir(mut self, dir: PathBuf) -> Self {
        self.data_dir = dir;
        self.journal = std::sync::OnceLock::new();
        self
    }

    /// The transfer journal, opened on first use.
    pub fn journal(&self) -> Result<Arc<transfer::Journal>> {
        if let Some(journal) = self.journal.get() {
            return Ok(journal.clone());
        }
        let opened = Arc::new(transfer::Journal::open(
            &self.data_dir.join("journal.sqlite"),
        )?);
        Ok(self.journal.get_or_init(|| opened).clone())
    }

    pub fn locks_dir(&self) -> PathBuf {
        self.data_dir.join("locks")
    }

    pub fn reports_dir(&self) -> PathBuf {
        self.data_dir.join("reports")
    }

    /// Checks and records a job; [`transfer::run_job`] runs it. Refused before anything is
    /// recorded: a source that does not exist, source and destination that overlap
    /// ([`transfer::overlap::check`]), a key template that would put two files at one key. The
    /// job pins where its source and destination are now, so that a resume never writes
    /// elsewhere.
    pub async fn create_job(
        &self,
        kind: transfer::JobKind,
        source: &Location,
        destination: &Location,
        options: &transfer::JobOptions,
    ) -> Result<String> {
        // The destination workspace's upload policy, recorded with the job: a resume keeps it.
        let options = &transfer::policy::apply(self, kind, source, destination, options);
        let transfer::run::Ends {
            src,
            dst,
            source: from,
            ..
        } = transfer::run::ends(self, kind, source, destination, options).await?;
        let pins = transfer::Pins::of(&src, &from, &dst);
        self.journal()?.create_job(
            kind,
            &source.resolved(&src),
            &destination.resolved(&dst),
            options,
            Some(&pins),
        )
    }

    /// Records one job per request, all or none: a refused one (an overlap, a missing source,
    /// nothing to change) takes back those recorded before it, so nothing is half started.
    pub(crate) async fn create_jobs_all_or_none(
        &self,
        kind: transfer::JobKind,
        requests: &[(&Location, &Location, transfer::JobOptions)],
    ) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        for (source, destination, options) in requests {
            match self.create_job(kind, source, destination, options).await {
                Ok(id) => ids.push(id),
                Err(e) => {
                    let journal = self.journal()?;
                    for id in &ids {
                        let _ = journal.remove_job(id);
                    }
                    return Err(e);
                }
            }
        }
        Ok(ids)
    }

    /// Jobs with their counts and whether one was interrupted (running, but its process gone).
    pub fn jobs(&self) -> Result<Vec<JobSummary>> {
        let journal = self.journal()?;
        let mut out = Vec::new();
        for job in journal.jobs()? {
            let tally = journal.tally(&job.id)?;
            let interrupted = job.state == transfer::JobState::Running
                && transfer::run::try_lock(&self.locks_dir(), &job.id)?.is_some();
            // A job that has not ended still owns its open uploads (it continues them).
            let kept_uploads = if job.state.is_finished() {
                journal.open_uploads(&job.id)?.len()
            } else {
                0
            };
            out.push(JobSummary {
                job,
                tally,
                interrupted,
                kept_uploads,
            });
        }
        Ok(out)
    }

    pub fn settings(&self) -> &Settings {
        self.file.settings()
    }

    pub fn settings_path(&self) -> &Path {
        self.file.path()
    }

    /// Whether loading created the settings file (a first run).
    pub fn first_run(&self) -> bool {
        self.file.created()
    }

    pub fn warnings(&self) -> &[settings::Problem] {
        self.file.warnings()
    }

    pub fn workspace(&self, id_or_name: &str) -> Result<&Workspace> {
        self.settings()
            .find(id_or_name)
            .ok_or_else(|| Error::UnknownWorkspace {
                name: id_or_name.to_string(),
                known: workspace::known(self.settings()),
            })
    }

    /// Applies `change` to a copy of the settings and saves it; nothing changes if it fails.
    pub fn update(&mut self, change: impl FnOnce(&mut Settings) -> Result<()>) -> Result<()> {
        let mut next = self.settings().clone();
        change(&mut next)?;
        self.file.save(next)?;
        self.runner.apply(&self.settings().transfer);
        Ok(())
    }

    /// Adds a workspace; its id is derived from the name unless given.
    pub fn add_workspace(&mut self, mut ws: Workspace, make_default: bool) -> Result<Workspace> {
        if ws.id.is_empty() {
            ws.id = unique_id(&ws.name, self.settings());
        }
        check_unambiguous(self.settings(), &ws, None)?;
        if matches!(ws.storage, Storage::S3(_)) {
            // Keys left under this id by a workspace removed by hand were entered for that one.
            if let Err(e) = self.secrets.delete(&ws.id) {
                tracing::debug!(workspace = %ws.id, error = %e, "no earlier keys to clear");
            }
        }
        let added = ws.clone();
        self.update(|s| {
            if make_default || s.default_workspace.is_none() {
                s.default_workspace = Some(ws.id.clone());
            }
            s.workspaces.push(ws);
            Ok(())
        })?;
        Ok(added)
    }

    /// Replaces the workspace with `ws.id`, keeping fields Ferry does not know (`extra`).
    /// Keys stored for it are removed when it now points at another endpoint or bucket than
    /// they were entered for (they would not be sent there): [`Replaced::keys_removed`].
    pub fn replace_workspace(&mut self, mut ws: Workspace) -> Result<Replaced> {
        let old = self.workspace(&ws.id)?.clone();
        if ws.id != old.id {
            return Err(Error::UnknownWorkspace {
                name: ws.id.clone(),
                known: workspace::known(self.settings()),
            });
        }
        check_unambiguous(self.settings(), &ws, Some(&old.id))?;
        if ws.extra.is_empty() {
            ws.extra = old.extra.clone();
        }
        // A form (the app's editor, `workspace edit`) never names the media-planning file.
        if ws.media_plan.is_none() {
            ws.media_plan = old.media_plan.clone();
        }
        let bound = |storage: &Storage| match storage {
            Storage::S3(s3) => Some(secrets::binding(s3.endpoint_url.as_deref(), &s3.bucket)),
            Storage::Local(_) => None,
        };
        // Removed before the workspace points elsewhere: should removing fail, nothing changes,
        // and keys never sit beside a place they were not entered for.
        let keys_removed = matches!(old.storage, Storage::S3(_))
            && bound(&old.storage) != bound(&ws.storage)
            && self.secrets.delete(&ws.id)?;
        let saved = ws.clone();
        self.update(|s| {
            if let Some(slot) = s.workspaces.iter_mut().find(|w| w.id == ws.id) {
                *slot = ws;
            }
            Ok(())
        })?;
        Ok(Replaced {
            workspace: saved,
            keys_removed,
        })
    }

    /// Removes a workspace and its keychain entry. Files in it are not touched.
    pub async fn remove_workspace(&mut self, id_or_name: &str) -> Result<Workspace> {
        let ws = self.workspace(id_or_name)?.clone();
        self.update(|s| {
            s.workspaces.retain(|w| w.id != ws.id);
            if s.default_workspace.as_deref() == Some(ws.id.as_str()) {
                s.default_workspace = s.workspaces.first().map(|w| w.id.clone());
            }
            Ok(())
        })?;
        if matches!(ws.storage, Storage::S3(_)) {
            self.clear_secret(&ws.id).await?;
        }
        Ok(ws)
    }

    pub async fn open(&self, id_or_name: &str) -> Result<Arc<dyn Backend>> {
        let ws = self.workspace(id_or_name)?;
        match ws.storage {
            Storage::S3(_) => self.s3_store(ws).await,
            Storage::Local(_) => {
                workspace::open_with(
                    ws,
                    &self.settings().transfer,
                    self.secrets.clone(),
                    Links::Into,
                    self.runner.bandwidth(),
                )
                .await
            }
        }
    }

    /// The store of S3 workspace `ws`, opened on first use and shared from then on.
    async fn s3_store(&self, ws: &Workspace) -> Result<Arc<dyn Backend>> {
        Ok(self.shared_s3(ws).await?.store)
    }

    /// The store of S3 workspace `ws`, opened once and shared (one client, one connection pool).
    pub(crate) async fn s3_backend(&self, ws: &Workspace) -> Result<S3Backend> {
        Ok(self.shared_s3(ws).await?.backend)
    }

    async fn shared_s3(&self, ws: &Workspace) -> Result<SharedS3> {
        let Storage::S3(s3) = &ws.storage else {
            return Err(Error::Invalid(format!(
                "workspace {:?} is a local folder, not an S3 workspace",
                ws.name
            )));
        };
        // Held while opening: two first uses at once open one store, not two.
        let mut stores = self.s3_stores.lock().await;
        if let Some(shared) = stores.get(&ws.id) {
            return Ok(shared.clone());
        }
        let backend = workspace::open_s3(
            ws,
            s3,
            &self.settings().transfer,
            self.secrets.clone(),
            self.runner.bandwidth(),
        )
        .await?;
        let shared = SharedS3 {
            store: Arc::new(backend.clone()),
            backend,
        };
        stores.insert(ws.id.clone(), shared.clone());
        Ok(shared)
    }

    /// Forgets the store of workspace `id`: its keys changed, the next use reads them anew.
    async fn forget_store(&self, id: &str) {
        self.s3_stores.lock().await.remove(id);
    }

    /// Treats local destinations as comparing names as `folding` says, instead of asking the
    /// disk: for tests of case-insensitive disks on a disk that is not.
    pub fn assume_local_folding(mut self, folding: ferry_storage::NameFolding) -> Self {
        self.local_folding = Some(folding);
        self
    }

    /// The store and key for a location typed by a person; a link the location names is
    /// followed when it points to a folder ([`Links::IntoFolder`]).
    pub async fn resolve(&self, location: &Location) -> Result<Resolved> {
        self.resolve_with(location, Links::IntoFolder).await
    }

    /// The store and key for a location, taking links as `links` says.
    pub async fn resolve_with(&self, location: &Location, links: Links) -> Result<Resolved> {
        let assume = |backend: LocalBackend| match self.local_folding {
            Some(folding) => backend.assume_folding(folding),
            None => backend,
        };
        match &location.place {
            Place::Workspace(id) => {
                let ws = self.workspace(id)?;
                let backend = match &ws.storage {
                    Storage::Local(local) => {
                        let store =
                            assume(LocalBackend::new(settings::expand_home(&local.base_path)));
                        let store = if links == Links::Follow {
                            store.following_links()
                        } else {
                            store
                        };
                        Arc::new(store) as Arc<dyn Backend>
                    }
                    // An S3 store has no links to follow.
                    Storage::S3(_) => self.s3_store(ws).await?,
                };
                Ok(Resolved {
                    backend,
                    key: location.key.clone(),
                    workspace: Some(id.clone()),
                    local_root: None,
                })
            }
            // A job's recorded location: the store's root folder and the key below it.
            Place::Local(root) if !location.key.is_root() => {
                let store = LocalBackend::new(root);
                let store = if links == Links::Follow {
                    store.following_links()
                } else {
                    store
                };
                Ok(Resolved {
                    local_root: Some(store.root().to_path_buf()),
                    backend: Arc::new(assume(store)),
                    key: location.key.clone(),
                    workspace: None,
                })
            }
            Place::Local(path) => {
                let (backend, key) = workspace::local_path(&path.to_string_lossy(), links)?;
                Ok(Resolved {
                    local_root: Some(backend.root().to_path_buf()),
                    backend: Arc::new(assume(backend)),
                    key,
                    workspace: None,
                })
            }
        }
    }

    /// The storage of a workspace place (None for a bare local path or an unknown workspace).
    pub fn workspace_storage(&self, place: &workspace::Place) -> Option<&settings::Storage> {
        match place {
            workspace::Place::Workspace(id) => self.workspace(id).ok().map(|w| &w.storage),
            workspace::Place::Local(_) => None,
        }
    }

    pub fn parse_location(&self, text: &str) -> Result<Location> {
        Location::parse(text, self.settings())
    }

    pub async fn test(&self, id_or_name: &str) -> Result<ConnectionReport> {
        Ok(self.open(id_or_name).await?.test_connection().await)
    }

    /// The S3 store of a workspace, for endpoint-level work (buckets).
    pub async fn s3(&self, id_or_name: &str, bucket: Option<&str>) -> Result<S3Backend> {
        let ws = self.workspace(id_or_name)?.clone();
        let Storage::S3(mut s3) = ws.storage.clone() else {
            return Err(Error::Invalid(format!(
                "workspace {:?} is a local folder; buckets exist only in S3 workspaces",
                ws.id
            )));
        };
        if let Some(bucket) = bucket {
            settings::check_bucket(bucket).map_err(Error::Invalid)?;
            s3.bucket = bucket.to_string();
            s3.prefix = String::new();
        }
        let secrets = self.secrets.clone();
        let (ws2, s3c) = (ws.clone(), s3.clone());
        let credentials = tokio::task::spawn_blocking(move || {
            workspace::s3_credentials(&ws2, &s3c, secrets.as_ref())
        })
        .await
        .map_err(|e| Error::Invalid(format!("keychain task failed: {e}")))??;
        let mut config = workspace::s3_config(&s3, credentials, &self.settings().transfer);
        config.bandwidth = self.runner.bandwidth().clone();
        Ok(S3Backend::connect(config).await)
    }

    pub async fn set_secret(&self, id_or_name: &str, secret: S3Secret) -> Result<()> {
        let ws = self.workspace(id_or_name)?;
        match &ws.storage {
            Storage::Local(_) => {
                return Err(Error::Invalid(format!(
                    "workspace {:?} is a local folder and needs no credentials",
                    ws.id
                )));
            }
            Storage::S3(s3)
                if s3.credentials.effective(s3.endpoint_url.as_deref())
                    != Some(CredentialSource::Keychain) =>
            {
                return Err(Error::Invalid(format!(
                    "workspace {:?} takes its credentials from the AWS chain, so keys stored here would not be used; \
                     switch it with `ferry workspace edit {} --keychain` first",
                    ws.id, ws.id
                )));
            }
            Storage::S3(_) => {}
        }
        let Storage::S3(s3) = &ws.storage else {
            unreachable!("local workspaces were refused above")
        };
        // Bound to where they are entered for: saving the workspace with another endpoint or
        // bucket removes them, and they are never sent anywhere else.
        let secret = S3Secret {
            bound_to: Some(secrets::binding(s3.endpoint_url.as_deref(), &s3.bucket)),
            ..secret
        };
        let id = ws.id.clone();
        let secrets = self.secrets.clone();
        let key = id.clone();
        let stored = blocking(move || secrets.set(&key, &secret)).await;
        self.forget_store(&id).await;
        stored
    }

    pub async fn clear_secret(&self, id: &str) -> Result<bool> {
        let key = id.to_string();
        let secrets = self.secrets.clone();
        let cleared = blocking(move || secrets.delete(&key)).await;
        self.forget_store(id).await;
        cleared
    }

    pub async fn secret_status(&self, id_or_name: &str) -> Result<SecretStatus> {
        let ws = self.workspace(id_or_name)?.clone();
        let mut status = SecretStatus {
            workspace: ws.id.clone(),
            source: "none",
            is_set: false,
            access_key_id: None,
            profile: None,
        };
        let Storage::S3(s3) = &ws.storage else {
            return Ok(status);
        };
        match s3.credentials.effective(s3.endpoint_url.as_deref()) {
            // A custom endpoint with no source named: nothing is sent (see NoCredentialSource).
            None | Some(CredentialSource::Unset) => {}
            Some(CredentialSource::Aws { profile }) => {
                status.source = "aws";
                status.profile = profile;
            }
            Some(CredentialSource::Keychain) => {
                status.source = "keychain";
                let secrets = self.secrets.clone();
                let id = ws.id.clone();
                let found = blocking(move || secrets.get(&id)).await?;
                status.is_set = found.is_some();
                status.access_key_id = found.map(|s| secrets::mask(&s.access_key_id));
            }
        }
        Ok(status)
    }
}

/// A workspace as saved by [`Engine::replace_workspace`].
#[derive(Debug, Clone)]
pub struct Replaced {
    pub workspace: Workspace,
    /// Keys were stored for it and entered for another endpoint or bucket: they were removed,
    /// and must be entered again for where it points now.
    pub keys_removed: bool,
}

/// Workspaces are found by id or name, so neither may match another workspace's id or name.
pub fn check_unambiguous(settings: &Settings, ws: &Workspace, except: Option<&str>) -> Result<()> {
    for other in settings
        .workspaces
        .iter()
        .filter(|o| Some(o.id.as_str()) != except)
    {
        let clash = other.id == ws.id
            || other.name.eq_ignore_ascii_case(&ws.name)
            || other.id.eq_ignore_ascii_case(&ws.name)
            || other.name.eq_ignore_ascii_case(&ws.id);
        if clash {
            return Err(Error::Invalid(format!(
                "workspace {:?} ({}) would be confused with workspace {:?} ({}); choose another name or id",
                ws.id, ws.name, other.id, other.name
            )));
        }
    }
    Ok(())
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, secrets::SecretError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Invalid(format!("keychain task failed: {e}")))?
        .map_err(Error::from)
}

/// A workspace id from a name: `My Photos` → `my-photos`, made unique.
pub fn unique_id(name: &str, settings: &Settings) -> String {
    let mut base: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    base = base.trim_matches('-').to_string();
    while base.contains("--") {
        base = base.replace("--", "-");
    }
    if base.is_empty() {
        base = "workspace".into();
    }
    base.truncate(48);
    let mut id = base.clone();
    let mut n = 2;
    while settings.workspace(&id).is_some() {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// A local folder as a store, for callers that have a path rather than a workspace.
pub fn local_store(path: impl Into<PathBuf>) -> Arc<dyn Backend> {
    Arc::new(LocalBackend::new(path))
}

/// One S3 workspace's store, kept both as the concrete backend (for versions and property
/// edits, which need S3-only calls) and as the one `Arc` every listing and job shares.
#[derive(Clone)]
struct SharedS3 {
    backend: S3Backend,
    store: Arc<dyn Backend>,
}
