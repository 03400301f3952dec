//! Object keys are data, not paths.
//!
//! An S3 key is any UTF-8 string of up to 1,024 bytes: `a//b`, `dir/`, `../x` and `/abs` are all
//! legal and distinct. [`ObjectKey`] keeps every key exactly as the server spelled it; only when a
//! key must become a file on local disk does [`ObjectKey::to_relative_path`] decide whether that
//! is possible without escaping the destination folder.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};

/// S3's documented maximum key length in bytes.
pub const MAX_KEY_BYTES: usize = 1024;

/// An object key, kept byte for byte. `/` is only a convention for folders.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ObjectKey(String);

/// Why a key cannot be written to (or read from) the local filesystem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("key {key:?} would lead outside the folder ({reason}); it was refused")]
    Escapes { key: String, reason: &'static str },
    #[error("key {key:?} is not a valid local file name ({reason}); it was refused")]
    InvalidLocalName { key: String, reason: &'static str },
    #[error("key {key:?} is {len} bytes long; S3 keys may be at most {MAX_KEY_BYTES} bytes")]
    TooLong { key: String, len: usize },
}

impl ObjectKey {
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The empty key: the root of a workspace.
    pub fn root() -> Self {
        Self(String::new())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// A key ending in `/` names a folder (or an empty "folder marker" object).
    pub fn is_folder(&self) -> bool {
        self.0.ends_with('/')
    }

    /// The last segment, without a trailing `/` for folders.
    pub fn name(&self) -> &str {
        let trimmed = self.0.strip_suffix('/').unwrap_or(&self.0);
        match trimmed.rfind('/') {
            Some(i) => &trimmed[i + 1..],
            None => trimmed,
        }
    }

    /// The folder holding this key (`a/b/c` → `a/b/`, `a/b/` → `a/`, `a` → root).
    pub fn parent(&self) -> ObjectKey {
        let trimmed = self.0.strip_suffix('/').unwrap_or(&self.0);
        match trimmed.rfind('/') {
            Some(i) => ObjectKey(trimmed[..=i].to_string()),
            None => ObjectKey::root(),
        }
    }

    /// This key as a folder: `a/b` → `a/b/`; root stays root.
    pub fn as_folder(&self) -> ObjectKey {
        if self.0.is_empty() || self.is_folder() {
            self.clone()
        } else {
            ObjectKey(format!("{}/", self.0))
        }
    }

    /// Appends `rest` verbatim. The caller decides about separators: keys are data.
    pub fn concat(&self, rest: &str) -> ObjectKey {
        ObjectKey(format!("{}{}", self.0, rest))
    }

    /// Joins a child below this key as a folder: `a` + `b` → `a/b`, `a/` + `b` → `a/b`.
    pub fn child(&self, name: &str) -> ObjectKey {
        self.as_folder().concat(name)
    }

    /// The part of this key after `prefix`, if it starts with it.
    pub fn strip_prefix(&self, prefix: &ObjectKey) -> Option<&str> {
        self.0.strip_prefix(prefix.as_str())
    }

    pub fn check_length(&self) -> Result<(), KeyError> {
        if self.0.len() > MAX_KEY_BYTES {
            return Err(KeyError::TooLong {
                key: self.0.clone(),
                len: self.0.len(),
            });
        }
        Ok(())
    }

    /// Maps this key to a path relative to a destination folder, refusing anything that could
    /// land outside it or that this OS cannot name. A trailing `/` (folder marker) maps to the
    /// folder itself. Nothing is normalised away: `a//b` is refused rather than merged with `a/b`.
    pub fn to_relative_path(&self) -> Result<PathBuf, KeyError> {
        let key = &self.0;
        if key.starts_with('/') || key.starts_with('\\') {
            return Err(self.escapes("it is an absolute path"));
        }
        let body = key.strip_suffix('/').unwrap_or(key);
        let mut path = PathBuf::new();
        if body.is_empty() {
            return Ok(path);
        }
        for segment in body.split('/') {
            check_segment(self, segment)?;
            path.push(segment);
        }
        // Defence in depth: whatever the checks above missed, a path made only of normal
        // components cannot climb out of the folder it is joined to.
        if !path.components().all(|c| matches!(c, Component::Normal(_))) {
            return Err(self.escapes("it contains a special path component"));
        }
        Ok(path)
    }

    /// The key for a relative local path (always `/`-separated), failing on non-UTF-8 names.
    pub fn from_relative_path(path: &Path) -> Result<ObjectKey, KeyError> {
        let mut parts = Vec::new();
        for component in path.components() {
            match component {
                Component::Normal(name) => match name.to_str() {
                    Some(s) => parts.push(s.to_string()),
                    None => {
                        return Err(KeyError::InvalidLocalName {
                            key: path.to_string_lossy().into_owned(),
                            reason: "the file name is not valid UTF-8",
                        });
                    }
                },
                Component::CurDir => {}
                _ => {
                    return Err(KeyError::Escapes {
                        key: path.to_string_lossy().into_owned(),
                        reason: "it is not a plain relative path",
                    });
                }
            }
        }
        Ok(ObjectKey(parts.join("/")))
    }

    fn escapes(&self, reason: &'static str) -> KeyError {
        KeyError::Escapes {
            key: self.0.clone(),
            reason,
        }
    }

    fn invalid(&self, reason: &'static str) -> KeyError {
        KeyError::InvalidLocalName {
            key: self.0.clone(),
            reason,
        }
    }
}

fn check_segment(key: &ObjectKey, segment: &str) -> Result<(), KeyError> {
    match segment {
        "" => return Err(key.invalid("it has an empty path segment (`//`)")),
        "." => return Err(key.invalid("it has a `.` segment")),
        ".." => return Err(key.escapes("it has a `..` segment")),
        _ => {}
    }
    if segment.contains('\0') {
        return Err(key.invalid("it contains a NUL character"));
    }
    if segment.len() > 255 {
        return Err(key.invalid("one segment is longer than 255 bytes"));
    }
    if cfg!(windows) {
        check_windows_segment(key, segment)?;
    }
    Ok(())
}

fn check_windows_segment(key: &ObjectKey, segment: &str) -> Result<(), KeyError> {
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if segment
        .chars()
        .any(|c| matches!(c, '<' | '>' | ':' | '"' | '\\' | '|' | '?' | '*') || c < ' ')
    {
        return Err(key.invalid("it contains a character Windows does not allow in file names"));
    }
    if segment.ends_with('.') || segment.ends_with(' ') {
        return Err(key.invalid("Windows file names cannot end with a dot or a space"));
    }
    let stem = segment.split('.').next().unwrap_or("").to_ascii_uppercase();
    if RESERVED.contains(&stem.as_str()) {
        return Err(key.invalid("it is a reserved device name on Windows"));
    }
    Ok(())
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl From<&str> for ObjectKey {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

impl From<String> for ObjectKey {
    fn from(s: String) -> Self {
        Self(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_keys_exactly() {
        for raw in ["a//b", "dir/", "../x", "/abs", "sp ace+%#?&=", "e\u{301}"] {
            assert_eq!(
                ObjectKey::new(raw).as_str(),
                raw,
                "keys must never be normalised"
            );
        }
    }

    #[test]
    fn names_and_parents() {
        let k = ObjectKey::new("a/b/c.txt");
        assert_eq!(k.name(), "c.txt");
        assert_eq!(k.parent().as_str(), "a/b/");
        assert_eq!(ObjectKey::new("a/b/").name(), "b");
        assert_eq!(ObjectKey::new("a/b/").parent().as_str(), "a/");
        assert_eq!(ObjectKey::new("top").parent(), ObjectKey::root());
        assert_eq!(ObjectKey::new("a").child("b").as_str(), "a/b");
        assert_eq!(ObjectKey::root().child("b").as_str(), "b");
    }

    #[test]
    fn refuses_keys_that_escape() {
        for raw in [
            "../x",
            "a/../../b",
            "/abs",
            "a/..",
            "..",
            "\\\\server\\share",
        ] {
            let err = ObjectKey::new(raw).to_relative_path();
            assert!(err.is_err(), "{raw:?} must be refused, got {err:?}");
            let msg = err.unwrap_err().to_string();
            assert!(
                msg.contains(&format!("{raw:?}")),
                "error must name the key: {msg}"
            );
        }
    }

    #[test]
    fn refuses_unnameable_keys() {
        for raw in ["a//b", "./a", "a/./b", "nul\0byte", &"x".repeat(256)] {
            assert!(
                ObjectKey::new(raw).to_relative_path().is_err(),
                "{raw:?} cannot be a local name"
            );
        }
    }

    #[test]
    fn maps_ordinary_keys() {
        assert_eq!(
            ObjectKey::new("a b/ü+%#?&=.txt")
                .to_relative_path()
                .unwrap(),
            PathBuf::from("a b").join("ü+%#?&=.txt")
        );
        assert_eq!(
            ObjectKey::new("folder/").to_relative_path().unwrap(),
            PathBuf::from("folder")
        );
        assert_eq!(
            ObjectKey::from_relative_path(Path::new("a/b/c"))
                .unwrap()
                .as_str(),
            "a/b/c"
        );
    }
}
