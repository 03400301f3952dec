//! Engine types ↔ IPC types.

use std::path::PathBuf;

use ferry_engine::actions::FieldProblem;
use ferry_engine::settings::{
    Checksums, Compression, CredentialSource, LocalStorage, S3Storage, SettingsError, Sse, Storage,
    UploadPolicy, Workspace,
};
use ferry_storage::{Entry, ObjectMeta};

use crate::dto::{
    CredentialKind, EntryView, MetaPair, Properties, SettingsProblem, StorageKind, WorkspaceForm,
};

fn opt(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn text(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

pub fn form_of(ws: &Workspace) -> WorkspaceForm {
    let mut form = WorkspaceForm {
        id: ws.id.clone(),
        name: ws.name.clone(),
        kind: StorageKind::Local,
        base_path: String::new(),
        bucket: String::new(),
        prefix: String::new(),
        region: String::new(),
        endpoint_url: String::new(),
        path_style: false,
        credentials: CredentialKind::Keychain,
        profile: String::new(),
        sse: String::new(),
        kms_key_id: String::new(),
        storage_class: String::new(),
        acl: String::new(),
        cache_control: String::new(),
        public_base_url: String::new(),
        checksums: String::new(),
        upload_gzip: ws.upload.compression.is_some(),
        key_template: text(&ws.upload.key_template),
        entity: text(&ws.upload.entity),
        max_file_size_mb: ws
            .upload
            .max_file_size_mb
            .map(|n| n.to_string())
            .unwrap_or_default(),
        file_overwrite: ws.upload.file_overwrite,
    };
    match &ws.storage {
        Storage::Local(local) => form.base_path = local.base_path.to_string_lossy().into_owned(),
        Storage::S3(s3) => {
            form.kind = StorageKind::S3;
            form.bucket = s3.bucket.clone();
            form.prefix = s3.prefix.clone();
            form.region = text(&s3.region);
            form.endpoint_url = text(&s3.endpoint_url);
            form.path_style = s3.path_style;
            // A custom endpoint that names no source is offered the keychain: saving makes
            // the source explicit, and nothing was sent before (NoCredentialSource).
            match s3.credentials.effective(s3.endpoint_url.as_deref()) {
                Some(CredentialSource::Aws { profile }) => {
                    form.credentials = CredentialKind::Aws;
                    form.profile = text(&profile);
                }
                _ => form.credentials = CredentialKind::Keychain,
            }
            form.sse = s3.sse.map(|s| s.as_str().to_string()).unwrap_or_default();
            form.kms_key_id = text(&s3.kms_key_id);
            form.storage_class = text(&s3.storage_class);
            form.acl = text(&s3.acl);
            form.cache_control = text(&s3.cache_control);
            form.public_base_url = text(&s3.public_base_url);
            form.checksums = match s3.checksums {
                Some(Checksums::WhenSupported) => "when_supported".into(),
                Some(Checksums::WhenRequired) => "when_required".into(),
                None => String::new(),
            };
        }
    }
    form
}

/// The workspace a form describes. `extra` (fields Ferry does not know) is kept by the engine.
pub fn workspace_of(form: &WorkspaceForm) -> Result<Workspace, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let storage = match form.kind {
        StorageKind::Local => {
            if form.base_path.trim().is_empty() {
                problems.push(problem("storage.base_path", "choose a folder"));
            }
            Storage::Local(LocalStorage {
                base_path: PathBuf::from(form.base_path.trim()),
            })
        }
        StorageKind::S3 => {
            let sse = match form.sse.trim() {
                "" => None,
                "AES256" => Some(Sse::Aes256),
                "aws:kms" => Some(Sse::AwsKms),
                other => {
                    problems.push(problem(
                        "storage.sse",
                        &format!("{other:?} is not an encryption Ferry knows (AES256 or aws:kms)"),
                    ));
                    None
                }
            };
            let checksums = match form.checksums.trim() {
                "" => None,
                "when_supported" => Some(Checksums::WhenSupported),
                "when_required" => Some(Checksums::WhenRequired),
                other => {
                    problems.push(problem(
                        "storage.checksums",
                        &format!("{other:?} is not when_supported or when_required"),
                    ));
                    None
                }
            };
            let mut prefix = form.prefix.trim().trim_start_matches('/').to_string();
            if !prefix.is_empty() && !prefix.ends_with('/') {
                prefix.push('/');
            }
            Storage::S3(S3Storage {
                bucket: form.bucket.trim().to_string(),
                prefix,
                region: opt(&form.region),
                endpoint_url: opt(&form.endpoint_url),
                path_style: form.path_style,
                credentials: match form.credentials {
                    CredentialKind::Keychain => CredentialSource::Keychain,
                    CredentialKind::Aws => CredentialSource::Aws {
                        profile: opt(&form.profile),
                    },
                },
                sse,
                kms_key_id: opt(&form.kms_key_id),
                storage_class: opt(&form.storage_class),
                acl: opt(&form.acl),
                cache_control: opt(&form.cache_control),
                public_base_url: opt(&form.public_base_url),
                checksums,
            })
        }
    };
    let max_file_size_mb = match form.max_file_size_mb.trim() {
        "" => None,
        text => match text.parse::<u64>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                problems.push(problem(
                    "upload.max_file_size_mb",
                    "a whole number of MiB, 1 or more (empty: no limit)",
                ));
                None
            }
        },
    };
    let upload = UploadPolicy {
        compression: form.upload_gzip.then_some(Compression::Gzip),
        key_template: opt(&form.key_template),
        entity: opt(&form.entity),
        max_file_size_mb,
        file_overwrite: form.file_overwrite,
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Workspace {
        id: form.id.trim().to_string(),
        name: form.name.trim().to_string(),
        storage,
        upload,
        // Kept from the saved workspace by the engine: a form never names a settings file.
        media_plan: None,
        extra: Default::default(),
    })
}

fn problem(field: &str, message: &str) -> FieldProblem {
    FieldProblem::error(field, message)
}

/// Keys come from the workspace's backend, so paths are already workspace-relative.
pub fn entry_of(entry: &Entry) -> EntryView {
    match entry {
        Entry::Folder { key } => EntryView {
            name: key.name().to_string(),
            path: key.as_str().to_string(),
            is_folder: true,
            size: 0,
            modified: None,
            storage_class: None,
            link_target: None,
        },
        Entry::Object(meta) => EntryView {
            name: meta.key.name().to_string(),
            path: meta.key.as_str().to_string(),
            is_folder: meta.key.is_folder(),
            size: meta.size,
            modified: meta.last_modified.map(|t| t.to_string()),
            storage_class: meta.storage_class.clone(),
            link_target: meta.link_target.clone(),
        },
    }
}

pub fn properties_of(meta: &ObjectMeta, location: String) -> Properties {
    let etag = meta.etag.as_ref().map(|e| e.trim_matches('"').to_string());
    let md5 = etag
        .clone()
        .filter(|e| e.len() == 32 && e.chars().all(|c| c.is_ascii_hexdigit()));
    Properties {
        path: meta.key.as_str().to_string(),
        name: meta.key.name().to_string(),
        is_folder: meta.key.is_folder() || meta.key.is_root(),
        size: meta.size,
        modified: meta.last_modified.map(|t| t.to_string()),
        etag,
        md5,
        content_type: meta.content_type.clone(),
        cache_control: meta.cache_control.clone(),
        storage_class: meta.storage_class.clone(),
        sse: meta.server_side_encryption.clone(),
        metadata: meta
            .metadata
            .iter()
            .map(|(k, v)| MetaPair {
                key: k.clone(),
                value: v.clone(),
            })
            .collect(),
        location,
        link_target: meta.link_target.clone(),
    }
}

pub fn settings_problem(e: &ferry_engine::Error) -> SettingsProblem {
    let (line, column) = match e {
        ferry_engine::Error::Settings(SettingsError::Syntax { line, column, .. }) => {
            (Some(*line as u32), Some(*column as u32))
        }
        ferry_engine::Error::Settings(SettingsError::Invalid { problems, .. }) => {
            problems.first().map_or((None, None), |p| {
                (Some(p.line as u32), Some(p.column as u32))
            })
        }
        _ => (None, None),
    };
    SettingsProblem {
        message: e.to_string(),
        hint: e.hint(),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The editor shows a workspace's upload policy and saves it back as it was: a save from
    /// the app never drops it.
    #[test]
    fn an_upload_policy_goes_through_the_form_unchanged() {
        let ws = Workspace {
            id: "billing".into(),
            name: "Billing".into(),
            storage: Storage::Local(LocalStorage {
                base_path: PathBuf::from("/srv/billing"),
            }),
            upload: UploadPolicy {
                compression: Some(Compression::Gzip),
                key_template: Some("{prefix}/{entity}/{yyyy}/{name}".into()),
                entity: Some("acme".into()),
                max_file_size_mb: Some(100),
                file_overwrite: false,
            },
            media_plan: None,
            extra: Default::default(),
        };
        assert_eq!(workspace_of(&form_of(&ws)).unwrap(), ws);
        let mut form = form_of(&ws);
        form.max_file_size_mb = "lots".into();
        let problems = workspace_of(&form).unwrap_err();
        assert_eq!(problems[0].field, "upload.max_file_size_mb");
    }
}
