//! Each format's fields, mapped onto a workspace.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;

use super::{Hints, Imported, text};
use crate::error::{Error, Result};
use crate::secrets::S3Secret;
use crate::settings::{
    Compression, CredentialSource, LocalStorage, S3Storage, Sse, Storage, UploadPolicy, Workspace,
};

fn workspace(name: &str, storage: Storage) -> Workspace {
    Workspace {
        id: String::new(),
        name: name.to_string(),
        storage,
        upload: UploadPolicy::default(),
        media_plan: None,
        extra: Default::default(),
    }
}

fn stem(file_name: &str) -> String {
    std::path::Path::new(file_name)
        .file_stem()
        .map(|s| s.to_string_lossy().trim_start_matches('.').to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Imported".into())
}

fn folder(prefix: &str) -> String {
    let p = prefix.trim().trim_matches('/');
    if p.is_empty() {
        String::new()
    } else {
        format!("{p}/")
    }
}

fn sse(value: &str, unmapped: &mut Vec<String>, field: &str) -> Option<Sse> {
    match value {
        "" | "none" => None,
        "AES256" => Some(Sse::Aes256),
        "aws:kms" => Some(Sse::AwsKms),
        other => {
            unmapped.push(format!(
                "{field} = {other:?}: not an encryption Ferry knows (AES256 or aws:kms)"
            ));
            None
        }
    }
}

/// The keys a file holds, if both halves are there.
fn keys(id: Option<&str>, secret: Option<&str>) -> Option<S3Secret> {
    match (id.map(str::trim), secret.map(str::trim)) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Some(S3Secret::new(id.to_string(), secret.to_string()))
        }
        _ => None,
    }
}

fn json_str<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// Whether a field's name says it holds a secret: its value is never shown.
pub(super) fn secret_looking(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "secret",
        "key",
        "token",
        "password",
        "passwd",
        "credential",
        "auth",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// The fields of a JSON object not in `known`, as unmapped lines (a secret-looking one, or a
/// nested one, by name only).
fn rest(v: &Value, at: &str, known: &[&str]) -> Vec<String> {
    v.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| !known.contains(&k.as_str()))
                .map(|(k, v)| {
                    if secret_looking(k) || !(v.is_string() || v.is_number() || v.is_boolean()) {
                        format!("{at}.{k}: a workspace has no place for it")
                    } else {
                        format!("{at}.{k} = {v}: a workspace has no place for it")
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A media-planning workspace settings file: `storage.mode` with `local` and `s3` blocks, or the
/// flat form (`storage.type`, its fields beside it).
pub fn media_plan(file_name: &str, text: &str) -> Result<Vec<Imported>> {
    media_plan_as(file_name, text, None).map(|i| vec![i])
}

/// The workspace a media-planning settings file's `mode` block describes (its own mode, or
/// another's block: where a move of its storage would go).
pub fn media_plan_as(file_name: &str, text: &str, mode: Option<&str>) -> Result<Imported> {
    let json: Value = serde_json::from_str(text)
        .map_err(|e| Error::Invalid(format!("{file_name} is not JSON: {e}")))?;
    let storage = json
        .get("storage")
        .ok_or_else(|| Error::Invalid(format!("{file_name} has no \"storage\" section")))?;
    let name = json_str(&json, "workspace_name")
        .map(str::to_string)
        .unwrap_or_else(|| stem(file_name));
    let mode = mode
        .or(json_str(storage, "mode"))
        .or(json_str(storage, "type"))
        .unwrap_or("local");
    // The SDK's own default: a missing prefix is the workspace id (an empty one is none).
    let workspace_id = json_str(&json, "workspace_id").unwrap_or_default();
    let flat = storage.get("mode").is_none();
    let block = |key: &str| {
        if flat {
            storage
        } else {
            storage.get(key).unwrap_or(&Value::Null)
        }
    };
    let mut unmapped = Vec::new();
    let mut secret = None;
    let (from, storage) = match mode {
        "local" => {
            let local = block("local");
            let path = json_str(local, "base_path").ok_or_else(|| {
                Error::Invalid(format!(
                    "{file_name}: storage is local but names no base_path"
                ))
            })?;
            let path = sdk_path(path);
            absolute(file_name, "base_path", &path)?;
            unmapped.extend(rest(
                local,
                "storage.local",
                &["base_path", "type", "mode", "local", "s3"],
            ));
            (
                "storage.local",
                Storage::Local(LocalStorage {
                    base_path: PathBuf::from(path),
                }),
            )
        }
        "s3" => {
            let s3 = block("s3");
            let bucket = json_str(s3, "bucket").ok_or_else(|| {
                Error::Invalid(format!("{file_name}: storage is s3 but names no bucket"))
            })?;
            let use_ssl = s3.get("use_ssl").and_then(Value::as_bool).unwrap_or(true);
            let endpoint = json_str(s3, "endpoint_url").map(|e| {
                if e.contains("://") {
                    e.to_string()
                } else {
                    format!("{}://{e}", if use_ssl { "https" } else { "http" })
                }
            });
            let profile = json_str(s3, "profile").map(str::to_string);
            secret = keys(
                json_str(s3, "aws_access_key_id").or(json_str(s3, "access_key_id")),
                json_str(s3, "aws_secret_access_key").or(json_str(s3, "secret_access_key")),
            );
            let credentials = match (&profile, &endpoint) {
                (Some(_), _) | (None, None) => CredentialSource::Aws { profile },
                (None, Some(_)) => CredentialSource::Keychain,
            };
            unmapped.extend(rest(
                s3,
                if flat { "storage" } else { "storage.s3" },
                &[
                    "bucket",
                    "prefix",
                    "region",
                    "endpoint_url",
                    "use_ssl",
                    "profile",
                    "type",
                    "mode",
                    "local",
                    "s3",
                    "aws_access_key_id",
                    "access_key_id",
                    "aws_secret_access_key",
                    "secret_access_key",
                ],
            ));
            (
                "storage.s3",
                Storage::S3(S3Storage {
                    bucket: bucket.to_string(),
                    // As the SDK reads it: absent → the workspace id; null → none.
                    prefix: folder(match s3.get("prefix") {
                        None => workspace_id,
                        Some(v) => v.as_str().unwrap_or_default(),
                    }),
                    region: json_str(s3, "region").map(str::to_string),
                    path_style: endpoint.is_some(),
                    endpoint_url: endpoint,
                    credentials,
                    ..S3Storage::default()
                }),
            )
        }
        other => {
            return Err(Error::Invalid(format!(
                "{file_name}: storage mode {other:?} is neither local nor s3"
            )));
        }
    };
    Ok(Imported {
        from: from.into(),
        workspace: workspace(&name, storage),
        secret,
        unmapped,
    })
}

/// A path as the SDK reads it: `${user_home}` and `${user_documents}` filled in, `~` expanded.
fn sdk_path(path: &str) -> String {
    let home = std::env::var("HOME").unwrap_or_default();
    let path = path
        .replace("${user_documents}", &format!("{home}/Documents"))
        .replace("${user_home}", &home);
    match path.strip_prefix("~/") {
        Some(rest) if !home.is_empty() => format!("{home}/{rest}"),
        _ => path,
    }
}

/// A local folder named in a file must be written in full: relative to what, otherwise?
fn absolute(file_name: &str, field: &str, path: &str) -> Result<()> {
    if std::path::Path::new(path).is_absolute() || path.starts_with('~') {
        return Ok(());
    }
    Err(Error::Invalid(format!(
        "{file_name}: {field} {path:?} is not a full path; write it in full (or add a local workspace with its folder)"
    )))
}

/// A Django project's `.env` (document 001): Spaces or S3 under `media/`, private, cached a
/// day, encrypted, never overwriting.
pub fn django(file_name: &str, text: &str) -> Result<Vec<Imported>> {
    let env = text::dotenv(text);
    let get = |k: &str| env.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let backend = get("STORAGE_BACKEND").unwrap_or("local");
    let mut unmapped = Vec::new();
    // `.env` says nothing of a name: the bucket's (or the project folder's) is the one a person
    // knows it by.
    let name = get("AWS_STORAGE_BUCKET_NAME")
        .map(str::to_string)
        .unwrap_or_else(|| stem(file_name));
    let storage = match backend {
        "do_spaces" | "s3" => {
            let bucket = get("AWS_STORAGE_BUCKET_NAME").ok_or_else(|| {
                Error::Invalid(format!("{file_name}: AWS_STORAGE_BUCKET_NAME is not set"))
            })?;
            let spaces = backend == "do_spaces";
            let region = if spaces {
                get("DO_SPACES_REGION").unwrap_or("nyc3")
            } else {
                get("AWS_S3_REGION_NAME").unwrap_or("us-east-1")
            };
            // An explicit endpoint (a test server, a proxy) wins over the one the backend implies.
            let endpoint = get("AWS_S3_ENDPOINT_URL")
                .map(str::to_string)
                .or_else(|| spaces.then(|| format!("https://{region}.digitaloceanspaces.com")));
            let domain = if spaces {
                get("DO_SPACES_CDN_ENDPOINT")
            } else {
                get("AWS_S3_CUSTOM_DOMAIN")
            };
            let public = match domain {
                Some(d) => format!(
                    "https://{}/media",
                    d.trim_start_matches("https://").trim_end_matches('/')
                ),
                None if spaces => format!("https://{bucket}.{region}.digitaloceanspaces.com/media"),
                None => format!("https://{bucket}.s3.{region}.amazonaws.com/media"),
            };
            Storage::S3(S3Storage {
                bucket: bucket.to_string(),
                prefix: "media/".into(),
                region: Some(region.to_string()),
                path_style: get("AWS_S3_ENDPOINT_URL").is_some(),
                endpoint_url: endpoint,
                credentials: CredentialSource::Keychain,
                acl: Some("private".into()),
                cache_control: Some("max-age=86400".into()),
                sse: Some(Sse::Aes256),
                public_base_url: Some(public),
                ..S3Storage::default()
            })
        }
        "local" => {
            let root = get("MEDIA_ROOT").ok_or_else(|| {
                Error::Invalid(format!(
                    "{file_name}: STORAGE_BACKEND is local, and MEDIA_ROOT does not say where the files are; set it, or add a local workspace with its folder"
                ))
            })?;
            absolute(file_name, "MEDIA_ROOT", root)?;
            Storage::Local(LocalStorage {
                base_path: PathBuf::from(root),
            })
        }
        other => {
            return Err(Error::Invalid(format!(
                "{file_name}: STORAGE_BACKEND={other:?} is not do_spaces, s3 or local"
            )));
        }
    };
    let known = [
        "STORAGE_BACKEND",
        "AWS_STORAGE_BUCKET_NAME",
        "DO_SPACES_REGION",
        "DO_SPACES_CDN_ENDPOINT",
        "AWS_S3_REGION_NAME",
        "AWS_S3_CUSTOM_DOMAIN",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_S3_ENDPOINT_URL",
        "MEDIA_ROOT",
    ];
    for key in env.keys().filter(|k| !known.contains(&k.as_str())) {
        unmapped.push(format!("{key}: not storage settings"));
    }
    let mut ws = workspace(&name, storage);
    // AWS_S3_FILE_OVERWRITE = False in the document's settings.
    ws.upload.file_overwrite = matches!(ws.storage, Storage::Local(_));
    let secret = keys(get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY"));
    Ok(vec![Imported {
        from: format!("STORAGE_BACKEND={backend}"),
        workspace: ws,
        secret,
        unmapped,
    }])
}

/// An S3 export's settings (document 002): `sync_config.s3` and its `credentials`.
pub fn export(file_name: &str, text: &str) -> Result<Vec<Imported>> {
    let json: Value = serde_json::from_str(text)
        .map_err(|e| Error::Invalid(format!("{file_name} is not JSON: {e}")))?;
    let (s3, at) = match json.pointer("/sync_config/s3") {
        Some(s3) => (s3, "sync_config.s3"),
        None => (json.get("s3").unwrap_or(&Value::Null), "s3"),
    };
    let bucket = json_str(s3, "bucket")
        .ok_or_else(|| Error::Invalid(format!("{file_name}: {at} names no bucket")))?;
    let mut unmapped = Vec::new();
    let endpoint = json_str(s3, "endpoint_url").map(str::to_string);
    let virtual_host = s3
        .get("virtual_host_style")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let compression = match json_str(s3, "compression").unwrap_or("gzip") {
        "gzip" => Some(Compression::Gzip),
        "none" => None,
        other => {
            unmapped.push(format!(
                "{at}.compression = {other:?}: Ferry compresses with gzip or not at all"
            ));
            None
        }
    };
    let encryption = sse(
        json_str(s3, "encryption").unwrap_or("AES256"),
        &mut unmapped,
        &format!("{at}.encryption"),
    );
    let storage = Storage::S3(S3Storage {
        bucket: bucket.to_string(),
        prefix: folder(json_str(s3, "key_prefix").unwrap_or_default()),
        region: json_str(s3, "region").map(str::to_string),
        endpoint_url: endpoint,
        path_style: !virtual_host,
        credentials: CredentialSource::Keychain,
        sse: encryption,
        ..S3Storage::default()
    });
    let mut ws = workspace(&stem(file_name), storage);
    ws.upload = UploadPolicy {
        compression,
        key_template: Some("{prefix}/{entity}/{yyyy}/{mm}/{dd}/{name}".into()),
        entity: None,
        max_file_size_mb: Some(
            s3.get("max_file_size_mb")
                .and_then(Value::as_u64)
                .unwrap_or(100),
        ),
        file_overwrite: true,
    };
    unmapped.extend(rest(
        s3,
        at,
        &[
            "bucket",
            "region",
            "key_prefix",
            "compression",
            "encryption",
            "endpoint_url",
            "virtual_host_style",
            "max_file_size_mb",
        ],
    ));
    let creds = json.get("credentials").unwrap_or(&Value::Null);
    let secret = keys(
        json_str(creds, "aws_access_key_id"),
        json_str(creds, "aws_secret_access_key"),
    );
    if json_str(creds, "aws_session_token").is_some() {
        unmapped.push(
            "credentials.aws_session_token: a session token expires; Ferry keeps lasting keys only"
                .into(),
        );
    }
    Ok(vec![Imported {
        from: at.into(),
        workspace: ws,
        secret,
        unmapped,
    }])
}

fn need_bucket(hints: &Hints, what: &str) -> Result<String> {
    hints.bucket.clone().ok_or_else(|| {
        Error::Invalid(format!(
            "{what} name no bucket; give the bucket to use (the Bucket field, or --bucket NAME)"
        ))
    })
}

/// AWS CLI profiles: each profile with its region and endpoint (its own `endpoint_url`, or its
/// `services` section's `s3` one); the keys stay where the AWS CLI keeps them (the workspace
/// uses the profile).
pub fn aws_config(text: &str, hints: &Hints) -> Result<Vec<Imported>> {
    let sections = text::ini(text);
    let services: BTreeMap<&str, &text::Section> = sections
        .iter()
        .filter_map(|(n, s)| n.strip_prefix("services ").map(|n| (n.trim(), s)))
        .collect();
    let mut out = Vec::new();
    for (header, section) in &sections {
        let profile = match header.as_str() {
            "default" => "default",
            h => match h.strip_prefix("profile ") {
                Some(p) => p.trim(),
                None => continue,
            },
        };
        let bucket = need_bucket(hints, "AWS CLI profiles")?;
        let service_s3 = section
            .keys
            .get("services")
            .and_then(|s| services.get(s.as_str()))
            .and_then(|s| s.nested.get("s3"));
        let endpoint = service_s3
            .and_then(|s| s.get("endpoint_url"))
            .or(section.nested.get("s3").and_then(|s| s.get("endpoint_url")))
            .or(section.keys.get("endpoint_url"))
            .cloned();
        let path_style = service_s3
            .and_then(|s| s.get("addressing_style"))
            .map(|a| a == "path")
            .unwrap_or(endpoint.is_some());
        let mut unmapped = Vec::new();
        for key in section.keys.keys() {
            if ![
                "region",
                "endpoint_url",
                "services",
                "output",
                "aws_access_key_id",
                "aws_secret_access_key",
            ]
            .contains(&key.as_str())
            {
                unmapped.push(format!("[{header}] {key}: not an S3 storage setting"));
            }
        }
        out.push(Imported {
            from: format!("[{header}]"),
            workspace: workspace(
                &format!("{bucket} ({profile})"),
                Storage::S3(S3Storage {
                    bucket: bucket.clone(),
                    region: section.keys.get("region").cloned(),
                    endpoint_url: endpoint,
                    path_style,
                    credentials: CredentialSource::Aws {
                        profile: Some(profile.to_string()),
                    },
                    ..S3Storage::default()
                }),
            ),
            secret: None,
            unmapped,
        });
    }
    Ok(out)
}

/// rclone's remotes of type s3: endpoint, region, addressing, keys (for the keychain), ACL,
/// storage class, encryption.
pub fn rclone(text: &str, hints: &Hints) -> Result<Vec<Imported>> {
    let mut out = Vec::new();
    for (remote, section) in text::ini(text) {
        let get = |k: &str| {
            section
                .keys
                .get(k)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        if get("type") != Some("s3") {
            continue;
        }
        let bucket = need_bucket(hints, "rclone remotes")?;
        let mut unmapped = Vec::new();
        let endpoint = get("endpoint").map(|e| {
            if e.contains("://") {
                e.to_string()
            } else {
                format!("https://{e}")
            }
        });
        let env_auth = get("env_auth") == Some("true");
        let secret = keys(get("access_key_id"), get("secret_access_key"));
        let credentials = if env_auth || (secret.is_none() && endpoint.is_none()) {
            CredentialSource::Aws { profile: None }
        } else {
            CredentialSource::Keychain
        };
        let sse = sse(
            get("server_side_encryption").unwrap_or(""),
            &mut unmapped,
            "server_side_encryption",
        );
        let known = [
            "type",
            "provider",
            "env_auth",
            "access_key_id",
            "secret_access_key",
            "region",
            "endpoint",
            "force_path_style",
            "acl",
            "storage_class",
            "server_side_encryption",
        ];
        for key in section.keys.keys().filter(|k| !known.contains(&k.as_str())) {
            unmapped.push(format!("[{remote}] {key}: no such workspace setting"));
        }
        out.push(Imported {
            from: format!("[{remote}]"),
            workspace: workspace(
                &remote,
                Storage::S3(S3Storage {
                    bucket,
                    region: get("region").map(str::to_string),
                    endpoint_url: endpoint,
                    path_style: get("force_path_style") != Some("false"),
                    credentials,
                    acl: get("acl").map(str::to_string),
                    storage_class: get("storage_class").map(str::to_string),
                    sse,
                    ..S3Storage::default()
                }),
            ),
            secret,
            unmapped,
        });
    }
    Ok(out)
}
