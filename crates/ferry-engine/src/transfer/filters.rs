//! Which files a copy, sync or migration carries: `--include` and `--exclude` globs over each
//! file's path below the folder transferred.
//!
//! - A pattern without a `/` (other than one at its end) is a name, matched at any depth — a
//!   file's name, or a folder's, and then everything in that folder, as in `.gitignore`:
//!   `*.tmp`, `Thumbs.db`, `node_modules` (or `node_modules/`).
//! - A pattern with a `/` is matched against the whole path below the folder transferred, from
//!   its top (a leading `/` or `./` only says so): `photos/2024/*.jpg`, `build/**`. A pattern
//!   that names a folder this way covers what is in it: `photos/2024` is `photos/2024/**` too.
//! - `*` and `?` stay within one folder; `**` crosses any number; `[abc]` and `{jpg,png}` work
//!   as in shells.
//! - Case counts, as it does in S3 keys.
//! - A file is carried when it matches an include (or no include is given) and no exclude.
//!
//! A sync leaves what the filters leave out alone on both sides: an excluded file is neither
//! copied nor, at the destination, deleted. With filters, folders are made as the files that
//! go into them are written: an empty folder is not copied.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The patterns as given (kept in the journal with the job).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct Filters {
    pub include: Vec<String>,
    pub exclude: Vec<String>,
}

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }

    /// Checks every pattern; a bad one is named.
    pub fn compile(&self) -> Result<FilterSet> {
        Ok(FilterSet {
            include: (!self.include.is_empty())
                .then(|| set(&self.include))
                .transpose()?,
            exclude: (!self.exclude.is_empty())
                .then(|| set(&self.exclude))
                .transpose()?,
        })
    }
}

/// The patterns, ready to match.
#[derive(Debug, Clone, Default)]
pub struct FilterSet {
    include: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl FilterSet {
    /// Whether the file at `relative` (its path below the folder transferred) is carried.
    pub fn keeps(&self, relative: &str) -> bool {
        let relative = relative.trim_start_matches('/');
        self.include.as_ref().is_none_or(|s| s.is_match(relative))
            && !self.exclude.as_ref().is_some_and(|s| s.is_match(relative))
    }
}

fn set(patterns: &[String]) -> Result<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        for glob in globs(pattern)? {
            builder.add(glob);
        }
    }
    builder
        .build()
        .map_err(|e| Error::Invalid(format!("the filters cannot be used together: {e}")))
}

/// One pattern as globs over the path below the folder transferred: the path itself, and
/// anything below it (a folder's contents).
fn globs(pattern: &str) -> Result<[globset::Glob; 2]> {
    let trimmed = pattern.trim();
    let body = trimmed
        .strip_prefix("./")
        .unwrap_or(trimmed)
        .trim_end_matches('/');
    if body.is_empty() || body == "/" || body.split('/').any(|part| part == "." || part == "..") {
        return Err(Error::Invalid(format!(
            "{pattern:?} is not a filter: give a name or a path below the folder, such as *.tmp or photos/2024/**"
        )));
    }
    let anchored = body.contains('/') || trimmed.starts_with("./");
    let body = body.trim_start_matches('/');
    let path = if anchored {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    let build = |text: &str| {
        GlobBuilder::new(text)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| Error::Invalid(format!("the filter {pattern:?} is not a pattern: {e}")))
    };
    let below = if path.ends_with("/**") {
        path.clone()
    } else {
        format!("{path}/**")
    };
    Ok([build(&path)?, build(&below)?])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keeps(include: &[&str], exclude: &[&str], path: &str) -> bool {
        Filters {
            include: include.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        }
        .compile()
        .unwrap()
        .keeps(path)
    }

    #[test]
    fn names_match_at_any_depth_and_paths_from_the_top() {
        assert!(!keeps(&[], &["*.tmp"], "a.tmp"));
        assert!(!keeps(&[], &["*.tmp"], "deep/er/a.tmp"));
        assert!(keeps(&[], &["*.tmp"], "a.tmp.txt"));
        assert!(!keeps(&[], &["photos/*.jpg"], "photos/a.jpg"));
        assert!(
            keeps(&[], &["photos/*.jpg"], "photos/2024/a.jpg"),
            "* stays in its folder"
        );
        assert!(
            keeps(&[], &["photos/*.jpg"], "old/photos/a.jpg"),
            "a path is anchored"
        );
        assert!(!keeps(&[], &["/build/**"], "build/x/y.o"));
        assert!(keeps(&[], &["/build/**"], "src/build/y.o"));
        assert!(!keeps(
            &[],
            &["node_modules/"],
            "web/node_modules/x/index.js"
        ));
        assert!(!keeps(&[], &["**/cache/**"], "a/cache/b"));
        assert!(keeps(&[], &["*.JPG"], "a.jpg"), "case counts");
    }

    #[test]
    fn includes_choose_and_excludes_win() {
        assert!(keeps(&["*.jpg", "*.png"], &[], "x/a.png"));
        assert!(!keeps(&["*.jpg", "*.png"], &[], "x/a.gif"));
        assert!(!keeps(&["*.jpg"], &["drafts/**"], "drafts/a.jpg"));
        assert!(keeps(&["photos/**"], &[], "photos/2024/a.jpg"));
        assert!(keeps(&["{a,b}.txt"], &[], "b.txt"));
    }

    #[test]
    fn a_bad_pattern_is_named() {
        let bad = Filters {
            include: vec!["[oops".into()],
            exclude: vec![],
        };
        assert!(bad.compile().unwrap_err().to_string().contains("[oops"));
        for nothing in [" ", "/", "../up/**", "a/./b"] {
            let filters = Filters {
                include: vec![],
                exclude: vec![nothing.into()],
            };
            assert!(filters.compile().is_err(), "{nothing:?}");
        }
    }
}
