//! workspace list|show|add|edit|remove|test.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use ferry_engine::settings::{
    Checksums, CredentialSource, LocalStorage, S3Storage, Sse, Storage, Workspace,
};
use ferry_engine::{Engine, Error};

use crate::cli::{AddArgs, ChecksumArg, EditArgs, S3Args, SseArg, WorkspaceCmd};
use crate::output;

pub async fn run(engine: &mut Engine, cmd: WorkspaceCmd) -> Result<ExitCode, Error> {
    match cmd {
        WorkspaceCmd::List { json } => list(engine, json),
        WorkspaceCmd::Show { workspace, json } => show(engine, &workspace, json),
        WorkspaceCmd::Add(args) => add(engine, args),
        WorkspaceCmd::Edit(args) => edit(engine, args),
        WorkspaceCmd::Remove { workspace } => {
            let removed = engine.remove_workspace(&workspace).await?;
            println!(
                "removed workspace {} ({}); its files were not touched",
                removed.id, removed.name
            );
            Ok(ExitCode::SUCCESS)
        }
        WorkspaceCmd::Import(args) => super::import::run(engine, args).await,
        WorkspaceCmd::Export { workspace, output } => export(engine, &workspace, output),
        WorkspaceCmd::MoveStorage(args) => super::import::move_storage(engine, args).await,
        WorkspaceCmd::Test { workspace, json } => test(engine, &workspace, json).await,
    }
}

/// The storage type, then where it points (as the app's sidebar says it).
fn describe(ws: &Workspace) -> String {
    let kind = match ws.storage {
        Storage::Local(_) => "local",
        Storage::S3(_) => "s3   ",
    };
    format!("{kind}  {}", ws.describe())
}

fn list(engine: &Engine, json: bool) -> Result<ExitCode, Error> {
    let settings = engine.settings();
    if json {
        output::json(&serde_json::json!({
            "default_workspace": settings.default_workspace,
            "workspaces": settings.workspaces,
        }));
        return Ok(ExitCode::SUCCESS);
    }
    for ws in &settings.workspaces {
        let mark = if settings.default_workspace.as_deref() == Some(ws.id.as_str()) {
            "*"
        } else {
            " "
        };
        println!("{mark} {:16} {:20} {}", ws.id, ws.name, describe(ws));
    }
    Ok(ExitCode::SUCCESS)
}

fn export(engine: &Engine, name: &str, output: Option<PathBuf>) -> Result<ExitCode, Error> {
    let ws = engine.workspace(name)?;
    let text = ferry_engine::import::shared::write(ws);
    let Some(path) = output else {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    };
    // create_new: an existing file is someone's, never replaced.
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    written.map_err(|e| Error::Invalid(format!("could not write {}: {e}", path.display())))?;
    println!(
        "wrote workspace {} to {} (its settings, no keys: whoever imports it enters their own)",
        ws.id,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn show(engine: &Engine, name: &str, json: bool) -> Result<ExitCode, Error> {
    let ws = engine.workspace(name)?;
    if json {
        output::json(ws);
    } else {
        println!("id:       {}", ws.id);
        println!("name:     {}", ws.name);
        println!("storage:  {}", describe(ws));
        if let Storage::S3(s3) = &ws.storage {
            println!(
                "region:   {}",
                s3.region
                    .as_deref()
                    .unwrap_or(ferry_engine::workspace::DEFAULT_REGION)
            );
            let creds = match s3.credentials.effective(s3.endpoint_url.as_deref()) {
                Some(CredentialSource::Keychain) => {
                    "OS keychain (`ferry secret status` tells whether set)".to_string()
                }
                Some(CredentialSource::Aws { profile }) => format!(
                    "AWS chain, profile {}",
                    profile.as_deref().unwrap_or("default")
                ),
                None | Some(CredentialSource::Unset) => format!(
                    "none named, so none are sent to this endpoint (`ferry workspace edit {} --keychain` or `--aws-chain`)",
                    ws.id
                ),
            };
            println!("credentials: {creds}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn add(engine: &mut Engine, args: AddArgs) -> Result<ExitCode, Error> {
    let storage =
        match (args.local, args.bucket) {
            (Some(path), _) => {
                if s3_flags_given(&args.s3) {
                    return Err(Error::Invalid(
                        "S3 options were given for a local workspace".into(),
                    ));
                }
                let base_path = absolute(&path)?;
                if !base_path.is_dir() {
                    eprintln!(
                        "warning: {} does not exist yet; create it before using the workspace",
                        base_path.display()
                    );
                }
                Storage::Local(LocalStorage { base_path })
            }
            (None, Some(bucket)) => {
                let mut s3 = S3Storage {
                    bucket,
                    credentials: CredentialSource::Keychain,
                    ..S3Storage::default()
                };
                apply_s3(&mut s3, &args.s3);
                Storage::S3(s3)
            }
            (None, None) => return Err(Error::Invalid(
                "say what the workspace holds: --local PATH for a folder, or --bucket NAME for S3"
                    .into(),
            )),
        };
    let ws = Workspace {
        id: args.id.unwrap_or_default(),
        name: args.name,
        storage,
        upload: Default::default(),
        media_plan: None,
        extra: BTreeMap::new(),
    };
    let added = engine.add_workspace(ws, args.default)?;
    println!("added workspace {} ({})", added.id, describe(&added));
    warn_about(&added);
    if let Storage::S3(s3) = &added.storage
        && s3.credentials == CredentialSource::Keychain
    {
        println!(
            "next: `ferry secret set {}` to store its access key, then `ferry workspace test {}`",
            added.id, added.id
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// What the workspace allows that is worth knowing now (later runs repeat it while it holds).
fn warn_about(ws: &Workspace) {
    for (field, message) in ferry_engine::settings::workspace_warnings(ws) {
        eprintln!("warning: {field}: {}", crate::output::lines(&message));
    }
}

fn absolute(path: &std::path::Path) -> Result<std::path::PathBuf, Error> {
    std::path::absolute(path).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
}

fn s3_flags_given(a: &S3Args) -> bool {
    a.prefix.is_some()
        || a.region.is_some()
        || a.endpoint.is_some()
        || a.path_style.is_some()
        || a.profile.is_some()
        || a.aws_chain
        || a.keychain
        || a.sse.is_some()
        || a.kms_key_id.is_some()
        || a.storage_class.is_some()
        || a.acl.is_some()
        || a.cache_control.is_some()
        || a.public_base_url.is_some()
        || a.checksums.is_some()
}

/// Copies the options that were given; an empty string clears an optional setting.
fn apply_s3(s3: &mut S3Storage, a: &S3Args) {
    fn set(field: &mut Option<String>, value: &Option<String>) {
        if let Some(v) = value {
            *field = (!v.is_empty()).then(|| v.clone());
        }
    }
    if let Some(prefix) = &a.prefix {
        s3.prefix = ferry_storage::S3Config::normalize_prefix(prefix);
    }
    set(&mut s3.region, &a.region);
    set(&mut s3.endpoint_url, &a.endpoint);
    if let Some(p) = a.path_style {
        s3.path_style = p;
    }
    if a.keychain {
        s3.credentials = CredentialSource::Keychain;
    } else if a.aws_chain {
        s3.credentials = CredentialSource::Aws { profile: None };
    } else if let Some(profile) = &a.profile {
        s3.credentials = CredentialSource::Aws {
            profile: Some(profile.clone()),
        };
    }
    if let Some(sse) = a.sse {
        s3.sse = Some(match sse {
            SseArg::Aes256 => Sse::Aes256,
            SseArg::AwsKms => Sse::AwsKms,
        });
    }
    set(&mut s3.kms_key_id, &a.kms_key_id);
    set(&mut s3.storage_class, &a.storage_class);
    set(&mut s3.acl, &a.acl);
    set(&mut s3.cache_control, &a.cache_control);
    set(&mut s3.public_base_url, &a.public_base_url);
    if let Some(c) = a.checksums {
        s3.checksums = Some(match c {
            ChecksumArg::WhenSupported => Checksums::WhenSupported,
            ChecksumArg::WhenRequired => Checksums::WhenRequired,
        });
    }
}

fn edit(engine: &mut Engine, args: EditArgs) -> Result<ExitCode, Error> {
    let mut ws = engine.workspace(&args.workspace)?.clone();
    let id = ws.id.clone();
    {
        let ws = &mut ws;
        if let Some(name) = &args.name {
            ws.name = name.clone();
        }
        match &mut ws.storage {
            Storage::Local(local) => {
                if args.bucket.is_some() || s3_flags_given(&args.s3) {
                    return Err(Error::Invalid(format!(
                        "workspace {id:?} is a local folder; S3 options do not apply"
                    )));
                }
                if let Some(path) = &args.local {
                    local.base_path = absolute(path)?;
                }
            }
            Storage::S3(s3) => {
                if args.local.is_some() {
                    return Err(Error::Invalid(format!(
                        "workspace {id:?} is an S3 workspace; --local does not apply"
                    )));
                }
                if let Some(bucket) = &args.bucket {
                    s3.bucket = bucket.clone();
                }
                apply_s3(s3, &args.s3);
            }
        }
    }
    let replaced = engine.replace_workspace(ws)?;
    if args.default {
        engine.update(|settings| {
            settings.default_workspace = Some(id.clone());
            Ok(())
        })?;
    }
    println!("updated workspace {id}");
    warn_about(&replaced.workspace);
    if replaced.keys_removed {
        println!(
            "its keys were removed from the keychain: they were entered for the endpoint and bucket it used before, \
             and are not sent anywhere else; enter them for the new one with `ferry secret set {id}`"
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn test(engine: &Engine, name: &str, json: bool) -> Result<ExitCode, Error> {
    let report = engine.test(name).await?;
    if json {
        output::json(&report);
    } else {
        println!("testing {}", report.target);
        for check in &report.checks {
            let mark = if check.ok { "ok  " } else { "FAIL" };
            println!(
                "  {mark} {:8} {}",
                format!("{:?}", check.name).to_lowercase(),
                check.message
            );
            if let Some(hint) = &check.hint {
                println!("       hint: {hint}");
            }
        }
        println!("{}", if report.ok() { "OK" } else { "FAILED" });
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
