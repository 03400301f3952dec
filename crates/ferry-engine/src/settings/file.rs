//! Reading and writing `settings.json` without ever losing it: a malformed file is reported and
//! left alone; a save is atomic, keeps the previous version as `settings.json.bak`, and refuses
//! to replace a file someone edited since it was loaded.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::SettingsError;
use super::model::Settings;
use super::parse::{Parsed, Problem, parse};

pub const FILE_NAME: &str = "settings.json";

/// The loaded settings and the exact bytes they came from.
#[derive(Debug, Clone)]
pub struct SettingsFile {
    path: PathBuf,
    settings: Settings,
    /// The file as it was when loaded or last saved; `None` if it did not exist.
    on_disk: Option<Vec<u8>>,
    warnings: Vec<Problem>,
    created: bool,
}

/// Far above any real settings file (hundreds of workspaces fit in 100 KiB), far below what
/// would hurt to read: a file this big is the wrong file or an attack, not settings.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

impl SettingsFile {
    /// Loads `dir/settings.json`. On a first run (no file) the default settings are written,
    /// with a local workspace in `default_local`, whose folder is created.
    pub fn load_or_create(dir: &Path, default_local: &Path) -> Result<Self, SettingsError> {
        let path = dir.join(FILE_NAME);
        if let Ok(meta) = std::fs::metadata(&path)
            && meta.len() > MAX_BYTES
        {
            return Err(SettingsError::TooLarge {
                path,
                size: meta.len(),
            });
        }
        match std::fs::read(&path) {
            Ok(bytes) => Self::from_bytes(path, bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(default_local).map_err(|e| SettingsError::Io {
                    path: default_local.to_path_buf(),
                    action: "create the default workspace folder",
                    source: e,
                })?;
                let mut file = SettingsFile {
                    path,
                    settings: Settings::first_run(default_local.to_path_buf()),
                    on_disk: None,
                    warnings: Vec::new(),
                    created: true,
                };
                let settings = file.settings.clone();
                file.save(settings)?;
                Ok(file)
            }
            Err(e) => Err(SettingsError::Io {
                path,
                action: "read",
                source: e,
            }),
        }
    }

    fn from_bytes(path: PathBuf, bytes: Vec<u8>) -> Result<Self, SettingsError> {
        let text = std::str::from_utf8(&bytes).map_err(|e| SettingsError::Syntax {
            path: path.clone(),
            line: 1 + bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            column: 1,
            message: "the file is not valid UTF-8 text".into(),
        })?;
        if text.trim().is_empty() {
            return Err(SettingsError::Syntax {
                path,
                line: 1,
                column: 1,
                message: "the file is empty".into(),
            });
        }
        match parse(text) {
            Parsed::Ok { settings, warnings } => Ok(SettingsFile {
                path,
                settings,
                on_disk: Some(bytes),
                warnings,
                created: false,
            }),
            Parsed::Syntax {
                line,
                column,
                message,
            } => Err(SettingsError::Syntax {
                path,
                line,
                column,
                message,
            }),
            Parsed::Invalid(problems) => Err(SettingsError::Invalid { path, problems }),
            Parsed::TooNew(version) => Err(SettingsError::TooNew { path, version }),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Whether this load created the file (a first run).
    pub fn created(&self) -> bool {
        self.created
    }

    /// Unknown fields and other things worth a look that do not stop Ferry.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// Validates and writes `settings`, replacing the file atomically.
    pub fn save(&mut self, settings: Settings) -> Result<(), SettingsError> {
        let mut text = serde_json::to_string_pretty(&settings).map_err(|e| SettingsError::Io {
            path: self.path.clone(),
            action: "encode",
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        // What we write must load again: validation runs on the exact text.
        match parse(&text) {
            Parsed::Ok { .. } => {}
            Parsed::Invalid(problems) => return Err(SettingsError::Rejected { problems }),
            Parsed::Syntax { message, .. } => {
                return Err(SettingsError::Io {
                    path: self.path.clone(),
                    action: "encode",
                    source: std::io::Error::other(message),
                });
            }
            Parsed::TooNew(version) => {
                return Err(SettingsError::TooNew {
                    path: self.path.clone(),
                    version,
                });
            }
        }

        let current = match std::fs::read(&self.path) {
            Ok(bytes) => Some(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                return Err(SettingsError::Io {
                    path: self.path.clone(),
                    action: "read",
                    source: e,
                });
            }
        };
        if current != self.on_disk {
            return Err(SettingsError::ChangedOnDisk {
                path: self.path.clone(),
            });
        }
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| self.io("create the folder for", e))?;
        if let Some(previous) = &current {
            write_atomically(dir, &self.path.with_extension("json.bak"), previous)
                .map_err(|e| self.io("write the backup of", e))?;
        }
        write_atomically(dir, &self.path, text.as_bytes()).map_err(|e| self.io("write", e))?;
        self.on_disk = Some(text.into_bytes());
        self.settings = settings;
        Ok(())
    }

    fn io(&self, action: &'static str, source: std::io::Error) -> SettingsError {
        SettingsError::Io {
            path: self.path.clone(),
            action,
            source,
        }
    }
}

/// Temp file in the same folder (so the rename is atomic), owner-only permissions, fsync,
/// rename over the target, fsync the folder.
fn write_atomically(dir: &Path, target: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp = tempfile::Builder::new()
        .prefix(".settings-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    temp.persist(target).map_err(|e| e.error)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}
