//! Finding objects below a folder, and adding up what a folder holds: filters over the
//! recursive listing, page by page. What is found is handed on as it arrives and nothing is
//! gathered — memory stays that of one page however many objects there are — and dropping the
//! stream stops the listing (that is how a search or a count is cancelled).
//!
//! Names: text without `*` or `?` is looked for in the name — or, when it holds a `/`, in the
//! path below the folder searched (`2024/report`); names are full of brackets and braces
//! (`[1080p]`), so those alone do not make a pattern. With `*` or `?` it is a glob (`[…]` and
//! `{a,b}` then work too) matched against the whole name, or, when it holds a `/`, against the
//! path below the folder (`*` stays in one folder, `**/` crosses any number: `2024/**/*.csv`).
//! Case is ignored either way, as file managers' searches do. Only objects (files, links) are
//! found, not folders: an S3 "folder" is only a part of its objects' keys.

use futures::stream::{BoxStream, StreamExt, TryStreamExt};
use globset::{GlobBuilder, GlobMatcher};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use ferry_storage::{Entry, ListPage, ObjectMeta};

use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// What to look for; every filter given must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(default)]
pub struct FindQuery {
    /// Text the name contains, or a glob (see the module's notes).
    pub name: Option<String>,
    /// Larger than this many bytes.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub larger_than: Option<u64>,
    /// Smaller than this many bytes.
    #[cfg_attr(feature = "specta", specta(type = Option<u32>))]
    pub smaller_than: Option<u64>,
    /// Modified after this moment (RFC 3339).
    pub newer_than: Option<String>,
    /// Modified before this moment (RFC 3339).
    pub older_than: Option<String>,
    /// Stored in this class (STANDARD also finds objects whose class the server leaves unsaid).
    pub storage_class: Option<String>,
}

/// A query made ready to test objects against.
#[derive(Debug, Clone)]
pub struct Matcher {
    name: Name,
    larger_than: Option<u64>,
    smaller_than: Option<u64>,
    newer_than: Option<Timestamp>,
    older_than: Option<Timestamp>,
    storage_class: Option<String>,
}

#[derive(Debug, Clone)]
enum Name {
    Any,
    /// Lowercased text, looked for in the path below the folder (`path`) or in the name.
    Contains {
        text: String,
        path: bool,
    },
    Glob {
        glob: GlobMatcher,
        path: bool,
    },
}

fn moment(text: &Option<String>, what: &str) -> Result<Option<Timestamp>> {
    text.as_deref()
        .map(|t| {
            t.parse::<Timestamp>().map_err(|_| {
                Error::Invalid(format!(
                    "{what} {t:?} is not a moment such as 2026-12-01T00:00:00Z"
                ))
            })
        })
        .transpose()
}

impl FindQuery {
    pub fn matcher(&self) -> Result<Matcher> {
        let name = match self.name.as_deref().map(str::trim) {
            None | Some("") => Name::Any,
            Some(text) if !text.contains(['*', '?']) => Name::Contains {
                text: text.to_lowercase(),
                path: text.contains('/'),
            },
            Some(text) => {
                let glob = GlobBuilder::new(text)
                    .case_insensitive(true)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| Error::Invalid(format!("{text:?} is not a pattern: {e}")))?;
                Name::Glob {
                    glob: glob.compile_matcher(),
                    path: text.contains('/'),
                }
            }
        };
        if let (Some(min), Some(max)) = (self.larger_than, self.smaller_than)
            && min >= max
        {
            return Err(Error::Invalid(format!(
                "nothing is larger than {min} bytes and smaller than {max}"
            )));
        }
        Ok(Matcher {
            name,
            larger_than: self.larger_than,
            smaller_than: self.smaller_than,
            newer_than: moment(&self.newer_than, "newer than")?,
            older_than: moment(&self.older_than, "older than")?,
            storage_class: self
                .storage_class
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_uppercase),
        })
    }
}

impl Matcher {
    /// Whether `meta`, at `below` (its key relative to the folder searched), is wanted.
    pub fn matches(&self, below: &str, meta: &ObjectMeta) -> bool {
        let name = below.rsplit('/').next().unwrap_or(below);
        let named = match &self.name {
            Name::Any => true,
            Name::Contains { text, path: true } => below.to_lowercase().contains(text.as_str()),
            Name::Contains { text, path: false } => name.to_lowercase().contains(text.as_str()),
            Name::Glob { glob, path: true } => glob.is_match(below),
            Name::Glob { glob, path: false } => glob.is_match(name),
        };
        let modified = meta.last_modified;
        named
            && self.larger_than.is_none_or(|min| meta.size > min)
            && self.smaller_than.is_none_or(|max| meta.size < max)
            && self
                .newer_than
                .is_none_or(|t| modified.is_some_and(|m| m > t))
            && self
                .older_than
                .is_none_or(|t| modified.is_some_and(|m| m < t))
            && self
                .storage_class
                .as_deref()
                .is_none_or(|class| meta.storage_class.as_deref().unwrap_or("STANDARD") == class)
    }
}

/// The objects below `at` (a folder) that `query` wants, a page at a time: each page holds
/// what one page of the listing had of them (maybe nothing), so a caller sees progress — and
/// can stop — even while nothing matches.
pub async fn find(
    at: &Resolved,
    query: &FindQuery,
) -> Result<BoxStream<'static, Result<ListPage>>> {
    let matcher = query.matcher()?;
    let folder = at.key.as_folder();
    let mut folder_at = at.clone();
    folder_at.key = folder.clone();
    let pages = crate::browse::list(&folder_at, true).await?;
    let base = folder.as_str().to_string();
    Ok(pages
        .map_ok(move |page| ListPage {
            entries: page
                .entries
                .into_iter()
                .filter(|entry| match entry {
                    Entry::Object(meta) => {
                        let key = meta.key.as_str();
                        let below = key.strip_prefix(base.as_str()).unwrap_or(key);
                        !key.ends_with('/') && matcher.matches(below, meta)
                    }
                    Entry::Folder { .. } => false,
                })
                .collect(),
            folder_marker: false,
        })
        .boxed())
}

/// What a folder holds, counted so far (or in all, once the count has ended).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Usage {
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub objects: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub bytes: u64,
}

/// The running totals of what is below `at`, one per page of the listing: the last is the
/// folder's size and count.
pub async fn usage(at: &Resolved) -> Result<BoxStream<'static, Result<Usage>>> {
    let every = FindQuery::default();
    let found = find(at, &every).await?;
    Ok(found
        .scan(Usage::default(), |total, page| {
            let next = page.map(|page| {
                for entry in &page.entries {
                    if let Entry::Object(meta) = entry {
                        total.objects += 1;
                        total.bytes += meta.size;
                    }
                }
                *total
            });
            std::future::ready(Some(next))
        })
        .boxed())
}

/// How many files below a folder a set of filters carries, of how many looked at.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FilterCount {
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub matched: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub matched_bytes: u64,
    #[cfg_attr(feature = "specta", specta(type = u32))]
    pub files: u64,
    /// Every file below was looked at (false: the count stopped at `limit` files).
    pub complete: bool,
}

/// Counts the files below `at` that `filters` carry — what a person typing patterns sees
/// change as they type — looking at no more than `limit` files.
pub async fn filter_count(
    at: &Resolved,
    filters: &crate::transfer::Filters,
    limit: u64,
) -> Result<FilterCount> {
    let set = filters.compile()?;
    let mut found = find(at, &FindQuery::default()).await?;
    let base = at.key.as_folder().as_str().to_string();
    let mut count = FilterCount::default();
    while let Some(page) = found.next().await {
        for entry in page?.entries {
            let Entry::Object(meta) = entry else { continue };
            count.files += 1;
            let key = meta.key.as_str();
            if set.keeps(key.strip_prefix(base.as_str()).unwrap_or(key)) {
                count.matched += 1;
                count.matched_bytes += meta.size;
            }
        }
        if count.files >= limit {
            return Ok(count);
        }
    }
    count.complete = true;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_storage::ObjectKey;

    fn meta(key: &str, size: u64, modified: &str, class: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            key: ObjectKey::new(key),
            size,
            last_modified: Some(modified.parse().unwrap()),
            storage_class: class.map(str::to_string),
            ..Default::default()
        }
    }

    fn query(name: &str) -> Matcher {
        FindQuery {
            name: Some(name.into()),
            ..Default::default()
        }
        .matcher()
        .unwrap()
    }

    #[test]
    fn text_is_found_in_names_and_globs_match_whole_names_or_paths() {
        let m = meta("x", 1, "2026-01-01T00:00:00Z", None);
        assert!(
            query("port").matches("a/b/Report-2024.PDF", &m),
            "text, any case"
        );
        assert!(
            query("a/b").matches("x/a/b/c.txt", &m),
            "text with a / in the path"
        );
        assert!(!query("a/b").matches("a/c/b.txt", &m));
        assert!(
            query("[1080p]").matches("films/Trip [1080p].mkv", &m),
            "brackets are text"
        );
        assert!(
            query("{draft}").matches("{draft} notes.txt", &m),
            "braces are text"
        );
        assert!(
            query("*[0-9].txt").matches("report-7.txt", &m),
            "classes in a glob"
        );
        assert!(
            query("*.pdf").matches("a/b/Report.PDF", &m),
            "a glob, any case"
        );
        assert!(
            !query("*.pdf").matches("a/b/Report.pdf.txt", &m),
            "the whole name"
        );
        assert!(query("report-??.txt").matches("report-07.txt", &m));
        assert!(query("{a,b}.t?t").matches("deep/b.txt", &m));
        assert!(
            query("b/*.txt").matches("b/c.txt", &m),
            "a path below the folder"
        );
        assert!(
            !query("b/*.txt").matches("a/b/c.txt", &m),
            "anchored at the folder"
        );
        assert!(
            !query("*/c.txt").matches("a/b/c.txt", &m),
            "* stays in one folder"
        );
        assert!(
            query("**/c.txt").matches("a/b/c.txt", &m),
            "** crosses folders"
        );
        assert!(query("a/**/*.txt").matches("a/b/c/d.txt", &m));
        assert!(
            query("a/**/*.txt").matches("a/d.txt", &m),
            "**/ can be no folder at all"
        );
    }

    #[test]
    fn size_age_and_class_filters_all_hold() {
        let q = FindQuery {
            larger_than: Some(10),
            smaller_than: Some(100),
            newer_than: Some("2026-06-01T00:00:00Z".into()),
            storage_class: Some("standard".into()),
            ..Default::default()
        }
        .matcher()
        .unwrap();
        let at = |size, when, class| q.matches("f", &meta("f", size, when, class));
        assert!(
            at(50, "2026-07-01T00:00:00Z", None),
            "no class said is STANDARD"
        );
        assert!(at(50, "2026-07-01T00:00:00Z", Some("STANDARD")));
        assert!(
            !at(10, "2026-07-01T00:00:00Z", None),
            "larger than, not as large"
        );
        assert!(!at(100, "2026-07-01T00:00:00Z", None));
        assert!(!at(50, "2026-05-01T00:00:00Z", None), "too old");
        assert!(!at(50, "2026-07-01T00:00:00Z", Some("GLACIER")));
    }

    #[test]
    fn a_query_that_cannot_mean_anything_is_refused() {
        let bad = |q: FindQuery| q.matcher().unwrap_err().to_string();
        assert!(
            bad(FindQuery {
                name: Some("*[a-".into()),
                ..Default::default()
            })
            .contains("not a pattern")
        );
        assert!(
            bad(FindQuery {
                larger_than: Some(10),
                smaller_than: Some(5),
                ..Default::default()
            })
            .contains("nothing is larger")
        );
        assert!(
            bad(FindQuery {
                newer_than: Some("yesterday".into()),
                ..Default::default()
            })
            .contains("not a moment")
        );
    }
}
