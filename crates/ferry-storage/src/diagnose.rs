//! The result of a connection test: each check, in order, with a diagnosis when it failed.

use serde::Serialize;

use crate::error::{ErrorKind, StorageError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CheckName {
    /// The endpoint answers, the credentials are accepted and the bucket (or folder) exists.
    Connect,
    /// The prefix can be listed.
    List,
    /// A probe object can be written under the prefix.
    Write,
    /// The probe object can be removed again.
    Cleanup,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Check {
    pub name: CheckName,
    pub ok: bool,
    /// What was checked, or what went wrong.
    pub message: String,
    /// Why it failed, for callers that branch on it.
    pub kind: Option<ErrorKind>,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ConnectionReport {
    pub target: String,
    pub checks: Vec<Check>,
}

impl ConnectionReport {
    pub fn new(target: impl Into<String>) -> Self {
        Self {
            target: target.into(),
            checks: Vec::new(),
        }
    }

    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    /// The first failure: the diagnosis a person should act on.
    pub fn failure(&self) -> Option<&Check> {
        self.checks.iter().find(|c| !c.ok)
    }

    pub fn pass(&mut self, name: CheckName, message: impl Into<String>) {
        self.checks.push(Check {
            name,
            ok: true,
            message: message.into(),
            kind: None,
            hint: None,
        });
    }

    pub fn fail(&mut self, name: CheckName, err: &StorageError) {
        self.checks.push(Check {
            name,
            ok: false,
            message: err.message.clone(),
            kind: Some(err.kind),
            hint: Some(err.hint().to_string()),
        });
    }
}
