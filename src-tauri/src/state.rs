//! What the app keeps between commands: the engine for the current settings, open listings,
//! searches and folder sizes, and running jobs.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};

use ferry_engine::Engine;
use ferry_engine::find::Usage;
use ferry_engine::secrets::SecretStore;
use ferry_storage::ListPage;

use crate::dto::SettingsProblem;
use crate::error::{ErrorCode, IpcError, IpcResult};

use crate::pulls::{Pull, Pulls};

pub type Pages = Pull<ListPage>;

/// Either an engine for the settings on disk, or why the file cannot be used.
enum Loaded {
    Ready(Arc<Engine>),
    Broken(SettingsProblem),
}

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub secrets: Arc<dyn SecretStore>,
    loaded: RwLock<Loaded>,
    /// Folder listings and searches (a search is a listing of what it found).
    pub listings: Pulls<ListPage>,
    /// Folder sizes being counted: running totals.
    pub sizes: Pulls<Usage>,
    /// The process's job runner (made with the first engine), kept across reloads and broken
    /// settings files: jobs before and after a change are one queue.
    runner: Mutex<Option<Arc<ferry_engine::transfer::Runner>>>,
    /// Local paths the person chose outside workspaces.
    pub grants: crate::grants::Grants,
    /// Audio, video and PDF previews the web view reads through `ferry-media:`.
    pub media: crate::media::Media,
    /// Files open for editing in other apps.
    pub edits: crate::edits::Edits,
    /// Each window's transfer panel.
    pub watchers: crate::jobs::Watchers,
    /// Cache files being downloaded.
    pub busy: crate::commands::open::Busy,
    /// Sync plans waiting for review.
    pub plans: crate::pairs::Plans,
    /// Each saved sync pair's last run.
    pub pair_runs: crate::pairs::LastRuns,
    /// An import read and previewed, waiting for a yes.
    pub imports: crate::commands::import::Pending,
    /// A media-planning storage move shown, waiting for a yes.
    pub storage_moves: crate::commands::storage_move::Pending,
    /// s3:// links and files other apps handed Ferry, waiting for a window to take them.
    pub opened: crate::opened::Opened,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(config_dir: PathBuf, data_dir: PathBuf, secrets: Arc<dyn SecretStore>) -> Self {
        let pair_runs = crate::pairs::LastRuns::load(&data_dir);
        let state = AppState(Arc::new(Inner {
            config_dir,
            data_dir,
            secrets,
            loaded: RwLock::new(Loaded::Broken(SettingsProblem {
                message: "settings not loaded yet".into(),
                hint: String::new(),
                line: None,
                column: None,
            })),
            listings: Pulls::default(),
            sizes: Pulls::default(),
            runner: Mutex::new(None),
            grants: Default::default(),
            media: Default::default(),
            edits: Default::default(),
            watchers: Default::default(),
            busy: Default::default(),
            plans: Default::default(),
            pair_runs,
            imports: Default::default(),
            storage_moves: Default::default(),
            opened: Default::default(),
        }));
        state.reload();
        state
    }

    /// A new engine for the settings as they are on disk, with the process's job runner
    /// (which takes the new limits).
    fn load(&self) -> ferry_engine::Result<Engine> {
        let engine = Engine::load(&self.config_dir, self.secrets.clone())?
            .with_data_dir(self.data_dir.clone());
        let mut runner = self.runner.lock().unwrap_or_else(|p| p.into_inner());
        let engine = match &*runner {
            Some(earlier) => engine.keep_runner(earlier),
            None => engine,
        };
        // Kept apart from `loaded`, so that a broken settings file in between changes nothing.
        *runner = Some(engine.runner().clone());
        Ok(engine)
    }

    /// Reads settings.json again (after a save, or when it changed on disk).
    pub fn reload(&self) {
        let next = match self.load() {
            Ok(engine) => Loaded::Ready(Arc::new(engine)),
            Err(e) => {
                tracing::warn!("settings could not be loaded: {e}");
                Loaded::Broken(crate::convert::settings_problem(&e))
            }
        };
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = next;
    }

    /// The engine for the current settings; an error naming the settings problem if broken.
    pub fn engine(&self) -> IpcResult<Arc<Engine>> {
        match &*self.loaded.read().unwrap_or_else(|p| p.into_inner()) {
            Loaded::Ready(engine) => Ok(engine.clone()),
            Loaded::Broken(problem) => Err(IpcError::new(
                ErrorCode::Config,
                problem.message.clone(),
                problem.hint.clone(),
            )),
        }
    }

    /// The job queue, also while the settings file is broken (jobs keep running then).
    pub fn runner(&self) -> IpcResult<Arc<ferry_engine::transfer::Runner>> {
        match &*self.runner.lock().unwrap_or_else(|p| p.into_inner()) {
            Some(runner) => Ok(runner.clone()),
            None => Err(self
                .engine()
                .err()
                .unwrap_or_else(|| crate::error::invalid("the job queue is not ready yet"))),
        }
    }

    pub fn problem(&self) -> Option<SettingsProblem> {
        match &*self.loaded.read().unwrap_or_else(|p| p.into_inner()) {
            Loaded::Ready(_) => None,
            Loaded::Broken(problem) => Some(problem.clone()),
        }
    }

    /// Changes settings starting from the file as it is now (so a hand edit made while the app
    /// ran is kept), saves atomically, and makes the result current.
    pub fn change<T>(
        &self,
        f: impl FnOnce(&mut Engine) -> ferry_engine::Result<T>,
    ) -> IpcResult<T> {
        let mut engine = self.load()?;
        let out = f(&mut engine)?;
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Loaded::Ready(Arc::new(engine));
        Ok(out)
    }

    /// As [`change`](Self::change), for async changes (those that touch the keychain).
    pub async fn change_async<T, F>(&self, f: F) -> IpcResult<T>
    where
        F: AsyncFnOnce(&mut Engine) -> ferry_engine::Result<T>,
    {
        let mut engine = self.load()?;
        let out = f(&mut engine).await?;
        *self.loaded.write().unwrap_or_else(|p| p.into_inner()) = Loaded::Ready(Arc::new(engine));
        Ok(out)
    }
}
