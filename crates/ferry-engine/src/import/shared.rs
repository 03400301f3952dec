//! `.ferry` files: one workspace as Ferry writes it (`ferry workspace export`), to hand to
//! someone else or another machine. It holds the workspace's settings and never a key — keys
//! live only in the keychain — so whoever imports it enters their own.

use serde_json::{Value, json};

use super::Imported;
use crate::error::{Error, Result};
use crate::settings::Workspace;

/// The field that marks a `.ferry` file, and the version of its shape.
pub const MARKER: &str = "ferry_workspace";

/// `workspace` as a `.ferry` file's text. A media-planning file's path names a file on this
/// machine only, so it stays behind.
pub fn write(workspace: &Workspace) -> String {
    let mut ws = workspace.clone();
    ws.media_plan = None;
    let text = json!({ MARKER: 1, "workspace": ws });
    serde_json::to_string_pretty(&text).expect("a workspace is JSON") + "\n"
}

/// The workspace a `.ferry` file holds.
pub fn read(file_name: &str, text: &str) -> Result<Vec<Imported>> {
    let doc: Value = serde_json::from_str(text)
        .map_err(|e| Error::Invalid(format!("{file_name} is not JSON: {e}")))?;
    match doc.get(MARKER) {
        Some(v) if v.as_f64() == Some(1.0) => {}
        other => {
            return Err(Error::Invalid(format!(
                "{file_name} is a Ferry workspace file of a kind this Ferry does not read ({MARKER}: {}; this Ferry reads 1)",
                other.map_or("missing".to_string(), Value::to_string)
            )));
        }
    }
    let mut unmapped = Vec::new();
    let mut raw = doc
        .get("workspace")
        .cloned()
        .ok_or_else(|| Error::Invalid(format!("{file_name} holds no \"workspace\"")))?;
    if let Some(obj) = raw.as_object_mut()
        && obj.remove("media_plan").is_some()
    {
        unmapped
            .push("media_plan: it names a file on the machine the workspace came from".to_string());
    }
    let mut workspace: Workspace = serde_path_to_error::deserialize(raw).map_err(|e| {
        Error::Invalid(format!(
            "{file_name}: workspace.{}: {}",
            e.path(),
            e.inner()
        ))
    })?;
    for key in std::mem::take(&mut workspace.extra).into_keys() {
        unmapped.push(format!("{key}: not a field this Ferry knows"));
    }
    Ok(vec![Imported {
        from: format!("workspace {:?}", workspace.name),
        workspace,
        secret: None,
        unmapped,
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_workspace_reads_back_without_its_machine_s_paths() {
        let json = r#"{"workspaces": [{"id": "media", "name": "Media", "media_plan": "/home/me/ws.json",
            "storage": {"type": "s3", "bucket": "photos", "prefix": "2024", "region": "eu-west-1",
            "endpoint_url": "https://fra1.digitaloceanspaces.com", "credentials": {"source": "keychain"}},
            "upload": {"compression": "gzip"}}]}"#;
        let crate::settings::Parsed::Ok { settings, .. } = crate::settings::parse(json) else {
            panic!("settings")
        };
        let ws = &settings.workspaces[0];
        let text = write(ws);
        assert!(!text.contains("/home/me"), "{text}");
        let found = read("media.ferry", &text).unwrap();
        let mut want = ws.clone();
        want.media_plan = None;
        assert_eq!(found[0].workspace, want);
        assert!(found[0].unmapped.is_empty(), "{:?}", found[0].unmapped);
        assert!(found[0].secret.is_none());
    }

    #[test]
    fn odd_files_are_named_not_guessed() {
        for (text, says) in [
            ("{", "is not JSON"),
            (
                r#"{"ferry_workspace": 2, "workspace": {}}"#,
                "ferry_workspace: 2",
            ),
            (r#"{"ferry_workspace": 1}"#, "holds no \"workspace\""),
            (
                r#"{"ferry_workspace": 1, "workspace": {"id": "x", "name": "x", "storage": {"type": "ftp"}}}"#,
                "workspace.storage",
            ),
        ] {
            let err = read("w.ferry", text).unwrap_err().to_string();
            assert!(err.contains(says), "{text}: {err}");
        }
        let found = read(
            "w.ferry",
            r#"{"ferry_workspace": 1, "workspace": {"id": "x", "name": "X", "colour": "red",
                "media_plan": "/elsewhere", "storage": {"type": "local", "base_path": "/tmp"}}}"#,
        )
        .unwrap();
        let unmapped = found[0].unmapped.join("; ");
        // 1.0 is 1 (a JSON writer may say so).
        let one = r#"{"ferry_workspace": 1.0, "workspace": {"id": "x", "name": "X", "storage": {"type": "local", "base_path": "/tmp"}}}"#;
        assert_eq!(read("w.ferry", one).unwrap()[0].workspace.name, "X");
        assert!(
            unmapped.contains("colour") && unmapped.contains("media_plan"),
            "{unmapped}"
        );
    }
}
