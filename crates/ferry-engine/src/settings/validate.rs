//! Checks that need more than types: bucket names, endpoints, unique ids, the default workspace.

use std::collections::HashSet;

use super::model::{CredentialSource, S3Storage, Settings, Sse, Storage, TransferPrefs};
use super::parse::JsonPath;

type Found = Vec<(JsonPath, String)>;

/// `indices[i]` is the position in the file of `settings.workspaces[i]` (workspaces that failed
/// to parse are missing from `settings`).
pub fn validate(settings: &Settings, indices: &[usize]) -> Found {
    let mut found = Found::new();
    let mut ids = HashSet::new();
    for (ws, &i) in settings.workspaces.iter().zip(indices) {
        let at = JsonPath::default().key("workspaces").index(i);
        if let Err(msg) = check_id(&ws.id) {
            found.push((at.clone().key("id"), msg));
        } else if !ids.insert(ws.id.as_str()) {
            found.push((
                at.clone().key("id"),
                format!(
                    "id {:?} is used by another workspace; ids must be unique",
                    ws.id
                ),
            ));
        }
        if ws.name.trim().is_empty() {
            found.push((at.clone().key("name"), "must not be empty".into()));
        } else if let Err(msg) = check_text(&ws.name, 200) {
            found.push((at.clone().key("name"), msg));
        }
        check_upload(&ws.upload, &at.clone().key("upload"), &mut found);
        if ws.media_plan.as_ref().is_some_and(|p| !p.is_absolute()) {
            found.push((
                at.clone().key("media_plan"),
                "must be a full path to the media-planning settings file".into(),
            ));
        }
        let storage = at.key("storage");
        match &ws.storage {
            Storage::Local(local) => {
                if !local.base_path.is_absolute() && !local.base_path.starts_with("~") {
                    found.push((
                        storage.key("base_path"),
                        format!(
                            "{:?} is not an absolute path; write the full path (or start it with ~/)",
                            local.base_path
                        ),
                    ));
                }
            }
            Storage::S3(s3) => check_s3(s3, &storage, &mut found),
        }
    }
    if let Some(default) = &settings.default_workspace
        && !settings.workspaces.iter().any(|w| &w.id == default)
    {
        found.push((
            JsonPath::default().key("default_workspace"),
            format!("no workspace has the id {default:?}"),
        ));
    }
    check_transfer(&settings.transfer, &mut found);
    check_pairs(settings, &mut found);
    check_prices(settings, &mut found);
    check_updates(settings, &mut found);
    found
}

/// An upload policy: a key template Ferry can fill that keeps files apart, a real size limit.
fn check_upload(policy: &super::model::UploadPolicy, at: &JsonPath, found: &mut Found) {
    if let Some(template) = &policy.key_template
        && let Err(e) = crate::transfer::check_template(template, true)
    {
        found.push((at.clone().key("key_template"), e.to_string()));
    }
    if policy.max_file_size_mb == Some(0) {
        found.push((
            at.clone().key("max_file_size_mb"),
            "must be 1 or more (leave it out for no limit)".into(),
        ));
    }
    if let Some(entity) = &policy.entity
        && (entity.trim().is_empty() || entity.contains(['/', '\\']) || entity == "..")
    {
        found.push((
            at.clone().key("entity"),
            "must be a name (no slashes), or left out to use the top folder".into(),
        ));
    }
}

/// Prices: for providers Ferry knows, and never negative or not a number.
fn check_prices(settings: &Settings, found: &mut Found) {
    for (provider, price) in &settings.prices {
        let at = JsonPath::default().key("prices").key(provider);
        if crate::transfer::estimate::provider_named(provider).is_none() {
            found.push((
                at.clone(),
                format!(
                    "unknown provider {provider:?}; prices are for {}",
                    crate::transfer::estimate::PRICED.join(", ")
                ),
            ));
        }
        let fields = [
            ("write_per_1000", price.write_per_1000),
            ("read_per_1000", price.read_per_1000),
            ("list_per_1000", price.list_per_1000),
            ("delete_per_1000", price.delete_per_1000),
            ("egress_per_gb", price.egress_per_gb),
        ];
        for (field, value) in fields {
            if !value.is_finite() || value < 0.0 {
                found.push((at.clone().key(field), "must be a price of 0 or more".into()));
            }
        }
    }
}

/// Saved syncs: a unique name, both places, filters that are patterns, a sensible schedule.
fn check_pairs(settings: &Settings, found: &mut Found) {
    let mut names = HashSet::new();
    for (i, pair) in settings.sync_pairs.iter().enumerate() {
        let at = JsonPath::default().key("sync_pairs").index(i);
        if pair.name.trim().is_empty() {
            found.push((at.clone().key("name"), "must not be empty".into()));
        } else if let Err(msg) = check_text(&pair.name, 200) {
            found.push((at.clone().key("name"), msg));
        } else if !names.insert(pair.name.to_lowercase()) {
            found.push((
                at.clone().key("name"),
                format!(
                    "another sync pair is called {:?}; names must be unique",
                    pair.name
                ),
            ));
        }
        for (field, value) in [("source", &pair.source), ("destination", &pair.destination)] {
            if value.trim().is_empty() {
                found.push((
                    at.clone().key(field),
                    "must name a folder (WORKSPACE:folder or a local path)".into(),
                ));
                continue;
            }
            // A local folder is written in full: the file is read wherever a command runs.
            let workspace = value
                .split_once(':')
                .is_some_and(|(name, _)| !name.is_empty() && !name.contains(['/', '\\']));
            if !workspace && !std::path::Path::new(value).is_absolute() && !value.starts_with('~') {
                found.push((
                    at.clone().key(field),
                    format!(
                        "{value:?} is neither WORKSPACE:folder nor a full path; write the full path (or start it with ~/)"
                    ),
                ));
            }
        }
        for (field, patterns) in [("include", &pair.include), ("exclude", &pair.exclude)] {
            let filters = crate::transfer::Filters {
                include: patterns.clone(),
                exclude: Vec::new(),
            };
            if let Err(e) = filters.compile() {
                found.push((at.clone().key(field), e.to_string()));
            }
        }
        if pair.every_minutes == Some(0) {
            found.push((
                at.key("every_minutes"),
                "must be 1 or more (minutes), or left out".into(),
            ));
        }
    }
}

pub fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not a valid workspace id (lowercase letters, digits, `-` and `_`; 1–64 chars)"
        ))
    }
}

/// Free text that ends up in a window title, a list row or an HTTP header: one line, bounded
/// (in characters, as the form counts them).
fn check_text(value: &str, max: usize) -> Result<(), String> {
    let length = value.chars().count();
    if length > max {
        return Err(format!(
            "is {length} characters long; at most {max} are allowed"
        ));
    }
    if value.chars().any(char::is_control) {
        return Err("must be one line of text, without control characters".into());
    }
    Ok(())
}

pub fn check_bucket(bucket: &str) -> Result<(), String> {
    let chars_ok = bucket
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-');
    let ends_ok = bucket
        .chars()
        .next()
        .zip(bucket.chars().last())
        .is_some_and(|(a, b)| a.is_ascii_alphanumeric() && b.is_ascii_alphanumeric());
    if chars_ok && ends_ok && (3..=63).contains(&bucket.len()) && !bucket.contains("..") {
        Ok(())
    } else {
        Err(format!(
            "{bucket:?} is not a valid bucket name (lowercase letters, digits, dots, hyphens; 3–63 chars)"
        ))
    }
}

pub fn check_region(region: &str) -> Result<(), String> {
    let ok = !region.is_empty()
        && region.len() <= 64
        && region
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{region:?} is not a valid region (such as us-east-1, eu-central-1, auto)"
        ))
    }
}

pub fn check_endpoint(endpoint: &str, field: &str) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|e| {
        format!(
            "{:?} is not a valid URL ({e}); write it like https://s3.example.com",
            without_userinfo(endpoint)
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "{field} must start with https:// (or http:// for a local server), not {}://",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!(
            "{field} must not contain credentials; store them with `ferry secret set` instead"
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("{:?} has no host name", without_userinfo(endpoint)));
    }
    if let Some(why) = url.host().and_then(|h| metadata_service(&h)) {
        return Err(format!(
            "{field} points at {why}, not at a storage service; Ferry will not send requests (or credentials) there"
        ));
    }
    Ok(())
}

/// Why an endpoint that is allowed is still risky: `http://` to anything but this machine sends
/// every request and file unencrypted, readable and changeable on the way.
pub fn endpoint_warning(endpoint: &str) -> Option<String> {
    let url = url::Url::parse(endpoint).ok()?;
    if url.scheme() != "http" {
        return None;
    }
    url.host()?;
    (!is_loopback(&url)).then(|| {
        format!(
            "http:// is not encrypted: requests to {} and the files in them can be read and changed by anyone on the way; use https:// unless you trust every network in between",
            url.host_str().unwrap_or_default()
        )
    })
}

/// Whether `url` names this machine (a loopback address or a `localhost` name).
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    }
}

/// An update feed Ferry may fetch from: https, or http only on this machine (what travels is
/// signed, but an attacker on the way could still withhold updates or learn the version asked).
pub fn check_update_url(address: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(address).map_err(|e| format!("{address:?} is not a URL: {e}"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{address:?} is http://, which is allowed only on this machine; updates come over https://"
        )),
        other => Err(format!("{address:?} uses {other}:, not https://")),
    }
}

fn check_updates(settings: &Settings, found: &mut Found) {
    let Some(updates) = &settings.updates else {
        return;
    };
    let at = JsonPath::default().key("updates");
    if let Err(msg) = check_update_url(&updates.feed) {
        found.push((at.clone().key("feed"), msg));
    }
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.decode(updates.public_key.trim());
    if !key.is_ok_and(|k| String::from_utf8_lossy(&k).contains("minisign public key")) {
        found.push((
            at.key("public_key"),
            "is not a public key as `tauri signer generate` prints it (base64 of a minisign public key file)".into(),
        ));
    }
}

/// `endpoint` with anything before an `@` in its authority masked: error messages must not
/// repeat a secret someone pasted into a URL.
fn without_userinfo(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let sep = if scheme.is_empty() { "" } else { "://" };
            format!("{scheme}{sep}***@{}", &rest[at + 1..])
        }
        None => endpoint.to_string(),
    }
}

/// Cloud instance-metadata services and link-local addresses: a settings file (or a pasted
/// URL) pointing there would turn Ferry into a way to read a machine's own credentials.
/// The URL parser reads every IPv4 spelling (decimal `2852039166`, hex `0xa9fea9fe`, octal,
/// short forms) as the address it means; names are checked again when they are resolved.
fn metadata_service(host: &url::Host<&str>) -> Option<&'static str> {
    match host {
        url::Host::Ipv4(ip) => ferry_storage::s3::forbidden_address((*ip).into()),
        url::Host::Ipv6(ip) => ferry_storage::s3::forbidden_address((*ip).into()),
        url::Host::Domain(name)
            if name.eq_ignore_ascii_case("metadata.google.internal")
                || name.eq_ignore_ascii_case("metadata") =>
        {
            Some("a cloud instance metadata service")
        }
        _ => None,
    }
}

const STORAGE_CLASSES: &[&str] = &[
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "GLACIER_IR",
    "DEEP_ARCHIVE",
    "OUTPOSTS",
    "EXPRESS_ONEZONE",
    "SNOW",
];

const CANNED_ACLS: &[&str] = &[
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
];

fn check_s3(s3: &S3Storage, at: &JsonPath, found: &mut Found) {
    let mut push = |field: &str, result: Result<(), String>| {
        if let Err(msg) = result {
            found.push((at.clone().key(field), msg));
        }
    };
    push("bucket", check_bucket(&s3.bucket));
    if let Some(region) = &s3.region {
        push("region", check_region(region));
    }
    if let Some(endpoint) = &s3.endpoint_url {
        push(
            "endpoint_url",
            check_text(endpoint, 2048).and_then(|()| check_endpoint(endpoint, "endpoint_url")),
        );
    }
    if let Some(url) = &s3.public_base_url {
        push(
            "public_base_url",
            check_text(url, 2048).and_then(|()| check_endpoint(url, "public_base_url")),
        );
    }
    if let Some(value) = &s3.cache_control {
        push(
            "cache_control",
            check_text(value, 1024).and_then(|()| {
                // Sent as an HTTP header, which carries ASCII only.
                value.is_ascii().then_some(()).ok_or_else(|| {
                    "must be ASCII (an HTTP header value), such as max-age=3600".to_string()
                })
            }),
        );
    }
    if let Some(value) = &s3.kms_key_id {
        push("kms_key_id", check_text(value, 2048));
    }
    if let Some(class) = &s3.storage_class {
        push(
            "storage_class",
            if STORAGE_CLASSES.contains(&class.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "unknown storage class {class:?} (one of {})",
                    STORAGE_CLASSES.join(", ")
                ))
            },
        );
    }
    if let Some(acl) = &s3.acl {
        push(
            "acl",
            if CANNED_ACLS.contains(&acl.as_str()) {
                Ok(())
            } else {
                Err(format!(
                    "unknown ACL {acl:?} (one of {})",
                    CANNED_ACLS.join(", ")
                ))
            },
        );
    }
    if s3.kms_key_id.is_some() && s3.sse != Some(Sse::AwsKms) {
        push(
            "kms_key_id",
            Err("is only used with \"sse\": \"aws:kms\"".into()),
        );
    }
    if s3.prefix.len() > 512 {
        push("prefix", Err("is longer than 512 bytes".into()));
    }
    if let CredentialSource::Aws {
        profile: Some(profile),
    } = &s3.credentials
    {
        let problem = if profile.trim().is_empty() {
            Err("must not be empty (leave it out for the default profile)".into())
        } else {
            check_text(profile, 128)
        };
        if let Err(msg) = problem {
            found.push((at.clone().key("credentials").key("profile"), msg));
        }
    }
}

fn check_transfer(t: &TransferPrefs, found: &mut Found) {
    let at = JsonPath::default().key("transfer");
    let mut range = |field: &str, value: u32, min: u32, max: u32| {
        if !(min..=max).contains(&value) {
            found.push((
                at.clone().key(field),
                format!("{value} is out of range ({min}–{max})"),
            ));
        }
    };
    range("concurrency", t.concurrency, 1, 256);
    range("part_concurrency", t.part_concurrency, 1, 64);
    range("part_size_mib", t.part_size_mib, 5, 5 * 1024);
    range(
        "multipart_threshold_mib",
        t.multipart_threshold_mib,
        5,
        5 * 1024,
    );
    range("memory_budget_mib", t.memory_budget_mib, 16, 64 * 1024);
    range("silence_timeout_secs", t.silence_timeout_secs, 1, 3600);
}

/// What is allowed in a workspace but worth saying: `(field, message)`, fields as in
/// [`check_workspace`]. Shown by the CLI on every run and by the editor next to the field.
pub fn workspace_warnings(ws: &super::model::Workspace) -> Vec<(String, String)> {
    let Storage::S3(s3) = &ws.storage else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let Some(endpoint) = &s3.endpoint_url else {
        return found;
    };
    if let Some(warning) = endpoint_warning(endpoint) {
        found.push(("storage.endpoint_url".to_string(), warning));
    }
    let host = url::Url::parse(endpoint)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_else(|| endpoint.clone());
    match &s3.credentials {
        CredentialSource::Unset => found.push((
            "storage.credentials".to_string(),
            format!(
                "names no credentials, so none are sent to {host}; add \"credentials\": {{\"source\": \"keychain\"}} (or \"aws\")"
            ),
        )),
        CredentialSource::Aws { .. } => found.push((
            "storage.credentials".to_string(),
            format!("your AWS credentials (environment, ~/.aws) are sent to {host}, which is not AWS"),
        )),
        CredentialSource::Keychain => {}
    }
    found
}

/// Problems with one workspace as it would be saved into `settings` (replacing the workspace
/// with the same id, or added): `(field, message)` with fields such as `storage.bucket`, so a
/// form can show them next to its inputs before anything is written.
pub fn check_workspace(settings: &Settings, ws: &super::model::Workspace) -> Vec<(String, String)> {
    let mut next = settings.clone();
    let index = match next.workspaces.iter().position(|w| w.id == ws.id) {
        Some(i) => {
            next.workspaces[i] = ws.clone();
            i
        }
        None => {
            next.workspaces.push(ws.clone());
            next.workspaces.len() - 1
        }
    };
    let indices: Vec<usize> = (0..next.workspaces.len()).collect();
    let own = format!("workspaces[{index}].");
    validate(&next, &indices)
        .into_iter()
        .filter_map(|(path, message)| {
            let path = path.to_string();
            path.strip_prefix(&own).map(|f| (f.to_string(), message))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.v2", "a1b", &"a".repeat(63)] {
            assert!(check_bucket(ok).is_ok(), "{ok}");
        }
        for bad in [
            "My_Bucket",
            "ab",
            "-abc",
            "abc-",
            "a..b",
            &"a".repeat(64),
            "UPPER",
        ] {
            let err = check_bucket(bad).unwrap_err();
            assert!(err.contains("not a valid bucket name"), "{bad}: {err}");
        }
    }

    #[test]
    fn endpoints() {
        assert!(check_endpoint("https://nyc3.digitaloceanspaces.com", "e").is_ok());
        assert!(check_endpoint("http://127.0.0.1:9000", "e").is_ok());
        assert!(check_endpoint("file:///etc", "e").is_err());
        assert!(
            check_endpoint("https://key:secret@host", "e")
                .unwrap_err()
                .contains("credentials")
        );
        assert!(check_endpoint("not a url", "e").is_err());
        for metadata in [
            "http://169.254.169.254",
            "http://169.254.170.2/v2/credentials",
            "http://[fd00:ec2::254]",
            "http://[fe80::1]:9000",
            "http://metadata.google.internal",
            "http://2852039166",
            "http://0xa9fea9fe",
            "http://0251.0376.0251.0376",
            "http://169.254.43518",
            "http://[::ffff:169.254.169.254]",
            "http://[::ffff:a9fe:a9fe]:80",
            "http://[64:ff9b::a9fe:a9fe]",
        ] {
            let err = check_endpoint(metadata, "endpoint_url").unwrap_err();
            assert!(
                err.contains("not at a storage service"),
                "{metadata}: {err}"
            );
        }
        assert!(check_endpoint("http://169.255.0.1:9000", "e").is_ok());
        for plain in [
            "http://minio.lan:9000",
            "http://10.0.0.5",
            "http://[2001:db8::1]",
        ] {
            let warning = endpoint_warning(plain).unwrap_or_default();
            assert!(warning.contains("not encrypted"), "{plain}: {warning}");
        }
        for fine in [
            "https://minio.lan:9000",
            "http://127.0.0.1:9000",
            "http://localhost:9000",
            "http://[::1]:9000",
            "http://s3.localhost",
        ] {
            assert_eq!(endpoint_warning(fine), None, "{fine}");
        }
        for leaky in [
            "https://FAKEKEY:s3cr3tpass@host:notaport",
            "https://FAKEKEY:s3cr3tpass@",
            "ftp://FAKEKEY:s3cr3tpass@host",
        ] {
            let err = check_endpoint(leaky, "endpoint_url").unwrap_err();
            assert!(!err.contains("s3cr3tpass"), "{leaky}: {err}");
        }
    }
}
