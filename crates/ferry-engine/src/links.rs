//! `s3://bucket/key` links handed to Ferry by other apps (the desktop's URL handler): which
//! workspace reaches the object, and where in it. An s3:// link names no endpoint, so any
//! workspace on that bucket matches; the one whose prefix holds the most of the key wins, and
//! among equals the default workspace, then the first in the settings. The key is taken as
//! written, as the AWS CLI takes it (no percent-decoding).

use ferry_storage::s3::S3Config;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::settings::{Settings, Storage};

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LinkTarget {
    /// `path` inside `workspace`: a folder when it is empty or ends in `/`, else an object.
    Workspace { workspace: String, path: String },
    /// No workspace reaches `bucket` (or the part of it the key is in).
    NoWorkspace { bucket: String, key: String },
}

/// The bucket and key of `s3://bucket/key` (`s3://bucket` and `s3://bucket/` are its root).
pub fn parse_s3_url(url: &str) -> Result<(String, String)> {
    let rest = url
        .strip_prefix("s3://")
        .or_else(|| url.strip_prefix("S3://"))
        .ok_or_else(|| Error::Invalid(format!("{url:?} is not an s3:// link")))?;
    let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
    if let Err(msg) = crate::settings::check_bucket(bucket) {
        return Err(Error::Invalid(format!("{url:?}: {msg}")));
    }
    if key.chars().any(char::is_control) {
        return Err(Error::Invalid(format!(
            "{url:?} holds control characters; an S3 key Ferry opens from a link has none"
        )));
    }
    Ok((bucket.to_string(), key.to_string()))
}

/// The workspace and path `url` leads to in `settings`.
pub fn resolve(settings: &Settings, url: &str) -> Result<LinkTarget> {
    let (bucket, key) = parse_s3_url(url)?;
    let best = settings
        .workspaces
        .iter()
        .filter_map(|ws| match &ws.storage {
            Storage::S3(s3) if s3.bucket == bucket => {
                let prefix = S3Config::normalize_prefix(&s3.prefix);
                // The prefix folder itself, named without its slash, is its root.
                let inside = key
                    .strip_prefix(&prefix)
                    .or_else(|| (format!("{key}/") == prefix).then_some(""))?;
                let default = settings.default_workspace.as_deref() == Some(ws.id.as_str());
                Some(((prefix.len(), default), ws.id.clone(), inside.to_string()))
            }
            _ => None,
        })
        // max_by_key keeps the last of equals: reversed, that is the first in the settings.
        .rev()
        .max_by_key(|(rank, _, _)| *rank);
    Ok(match best {
        Some((_, workspace, path)) => LinkTarget::Workspace { workspace, path },
        None => LinkTarget::NoWorkspace { bucket, key },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(json: &str) -> Settings {
        match crate::settings::parse(json) {
            crate::settings::Parsed::Ok { settings, .. } => settings,
            _ => panic!("not valid settings: {json}"),
        }
    }

    fn s3(id: &str, bucket: &str, prefix: &str) -> String {
        format!(
            r#"{{"id": "{id}", "name": "{id}", "storage": {{"type": "s3", "bucket": "{bucket}", "prefix": "{prefix}"}}}}"#
        )
    }

    fn at(workspace: &str, path: &str) -> LinkTarget {
        LinkTarget::Workspace {
            workspace: workspace.into(),
            path: path.into(),
        }
    }

    #[test]
    fn links_lead_to_the_workspace_holding_most_of_the_key() {
        let s = settings(&format!(
            r#"{{"workspaces": [{}, {}, {}, {}], "default_workspace": "media2"}}"#,
            s3("media", "photos", ""),
            s3("trips", "photos", "2024/trips"),
            s3("media2", "photos", ""),
            s3("other", "docs", ""),
        ));
        let cases = [
            ("s3://photos/2024/trips/rome.jpg", at("trips", "rome.jpg")),
            ("s3://photos/2024/trips/", at("trips", "")),
            ("s3://photos/2024/trips", at("trips", "")),
            ("s3://photos/2024/tripsx/a", at("media2", "2024/tripsx/a")),
            ("s3://photos/a b/ü#1?.jpg", at("media2", "a b/ü#1?.jpg")),
            ("s3://photos", at("media2", "")),
            ("s3://docs/x/", at("other", "x/")),
        ];
        for (url, want) in cases {
            assert_eq!(resolve(&s, url).unwrap(), want, "{url}");
        }
        assert_eq!(
            resolve(&s, "s3://elsewhere/k").unwrap(),
            LinkTarget::NoWorkspace {
                bucket: "elsewhere".into(),
                key: "k".into()
            }
        );
        for bad in [
            "https://photos/x",
            "s3://",
            "s3://Bad_Bucket/x",
            "s3://photos/a\nb",
        ] {
            assert!(resolve(&s, bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn among_equals_the_first_in_the_settings_wins_without_a_default() {
        let s = settings(&format!(
            r#"{{"workspaces": [{}, {}]}}"#,
            s3("first", "photos", "a"),
            s3("second", "photos", "a/"),
        ));
        assert_eq!(resolve(&s, "s3://photos/a/b").unwrap(), at("first", "b"));
    }

    proptest::proptest! {
        /// Whatever the key, the workspace a link leads to holds it: its prefix and the path
        /// put together give back the key of the link.
        #[test]
        fn a_resolved_link_names_the_same_object(
            prefixes in proptest::collection::vec("(a|b|a/b|ab)?", 1..4),
            key in "[ab/]{0,6}",
        ) {
            let list: Vec<String> = prefixes
                .iter()
                .enumerate()
                .map(|(i, p)| s3(&format!("w{i}"), "bucket", p))
                .collect();
            let s = settings(&format!(r#"{{"workspaces": [{}]}}"#, list.join(", ")));
            match resolve(&s, &format!("s3://bucket/{key}")).unwrap() {
                LinkTarget::Workspace { workspace, path } => {
                    let ws = s.workspace(&workspace).unwrap();
                    let Storage::S3(s3) = &ws.storage else { unreachable!() };
                    let prefix = S3Config::normalize_prefix(&s3.prefix);
                    let full = format!("{prefix}{path}");
                    proptest::prop_assert!(
                        full == key || (path.is_empty() && full == format!("{key}/")),
                        "{key:?} led to {workspace} {path:?}"
                    );
                }
                LinkTarget::NoWorkspace { .. } => {
                    // Only when no workspace's prefix holds the key.
                    for p in &prefixes {
                        let prefix = S3Config::normalize_prefix(p);
                        proptest::prop_assert!(
                            !key.starts_with(&prefix) && format!("{key}/") != prefix,
                            "{key:?} fits {p:?}"
                        );
                    }
                }
            }
        }
    }
}
