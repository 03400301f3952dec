//! workspace import: workspaces from the storage settings a person already has, shown before
//! anything is saved; keys found in the file go to the keychain only when agreed to.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ferry_engine::import::storage_move::{self, StorageMode};
use ferry_engine::import::{self, Format, Hints, Imported};
use ferry_engine::settings::{CredentialSource, Storage};
use ferry_engine::{Engine, Error};

use crate::cli::{ImportArgs, MoveStorageArgs, StorageTo};
use crate::output;

pub async fn run(engine: &mut Engine, args: ImportArgs) -> Result<ExitCode, Error> {
    let text = std::fs::read_to_string(&args.file)
        .map_err(|e| Error::Invalid(format!("{}: {e}", args.file.display())))?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let format = match args.format {
        Some(f) => f.into(),
        None => import::detect(&name, &text).ok_or_else(|| {
            Error::Invalid(format!(
                "{name}: not a format Ferry imports (a .ferry file, a media-planning settings file, a Django .env, an export's sync_config JSON, AWS CLI profiles, rclone.conf); name it with --format"
            ))
        })?,
    };
    let hints = Hints {
        bucket: args.bucket.clone(),
        name: args.name.clone(),
        path: Some(args.file.clone()),
    };
    let found = import::read(format, &name, &text, &hints, engine.settings())?;
    println!(
        "{} ({}) would add {} workspace(s):",
        output::plain(&name),
        format.describe(),
        found.len()
    );
    for imported in &found {
        preview(imported);
    }
    if args.dry_run {
        println!("nothing was saved (--dry-run)");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !ask(&format!("Add {} workspace(s)?", found.len()))? {
        println!("nothing was saved");
        return Ok(ExitCode::SUCCESS);
    }
    for imported in found {
        let added = engine.add_workspace(imported.workspace, false)?;
        println!(
            "added workspace {} ({})",
            added.id,
            output::plain(&added.describe())
        );
        let keychain = matches!(&added.storage, Storage::S3(s3) if s3.credentials == CredentialSource::Keychain);
        match imported.secret {
            Some(secret)
                if keychain
                    && (args.store_keys
                        || (!args.yes
                            && ask(&format!(
                                "Store the keys found in {name} in the keychain for {}?",
                                added.id
                            ))?)) =>
            {
                engine.set_secret(&added.id, secret).await?;
                println!("  its keys are in the keychain (not in settings.json)");
            }
            Some(_) => println!(
                "  the keys in {name} were not stored: `ferry secret set {}` (or import with --store-keys)",
                added.id
            ),
            None if keychain => println!(
                "  next: `ferry secret set {}` to store its access key",
                added.id
            ),
            None => {}
        }
        println!("  check it: `ferry workspace test {}`", added.id);
    }
    Ok(ExitCode::SUCCESS)
}

fn preview(imported: &Imported) {
    let ws = &imported.workspace;
    println!(
        "  from {} → {} \"{}\": {}",
        output::plain(&imported.from),
        ws.id,
        output::plain(&ws.name),
        output::plain(&ws.describe())
    );
    if let Storage::S3(s3) = &ws.storage {
        let credentials = s3.credentials.describe();
        let mut extras = vec![format!("credentials: {credentials}")];
        for (label, value) in [
            ("acl", &s3.acl),
            ("cache-control", &s3.cache_control),
            ("public URL", &s3.public_base_url),
            ("storage class", &s3.storage_class),
        ] {
            if let Some(v) = value {
                extras.push(format!("{label}: {v}"));
            }
        }
        if let Some(sse) = &s3.sse {
            extras.push(format!("encryption: {}", sse.as_str()));
        }
        println!("    {}", output::plain(&extras.join("; ")));
    }
    if !ws.upload.is_empty() {
        println!(
            "    upload policy: {}",
            output::plain(&ws.upload.describe())
        );
    }
    if let Some(secret) = &imported.secret {
        let id: String = secret.access_key_id.chars().take(4).collect();
        println!("    keys found in the file (access key {id}…): for the keychain, if you agree");
    }
    for line in &imported.unmapped {
        println!("    not imported: {}", output::plain(line));
    }
}

/// Moves a media-planning workspace's plans and then its settings file's storage section.
pub async fn move_storage(engine: &mut Engine, args: MoveStorageArgs) -> Result<ExitCode, Error> {
    let to = match args.to {
        StorageTo::Local => StorageMode::Local,
        StorageTo::S3 => StorageMode::S3,
    };
    let plan = storage_move::plan(engine, &args.file, to, args.into.as_deref())?;
    println!("{}", output::plain(&plan.file.display().to_string()));
    for (label, side) in [("from", &plan.from), ("into", &plan.into)] {
        let new = if side.new {
            " (a workspace Ferry will add)"
        } else {
            ""
        };
        println!(
            "  {label} {} \"{}\": {}{new}",
            side.workspace.id,
            output::plain(&side.workspace.name),
            output::plain(&side.workspace.describe())
        );
    }
    println!("  its storage section now:");
    for line in plan.section_before.lines() {
        println!("    {}", output::plain(line));
    }
    println!("  once every file is copied and verified, it becomes:");
    for line in plan.section_after.lines() {
        println!("    {}", output::plain(line));
    }
    for note in &plan.notes {
        println!("  {}", output::plain(note));
    }
    if args.dry_run {
        println!("nothing was changed (--dry-run)");
        return Ok(ExitCode::SUCCESS);
    }
    if !args.yes && !ask("Move the plans?")? {
        println!("nothing was changed");
        return Ok(ExitCode::SUCCESS);
    }
    let store_keys = plan.secret.is_some()
        && (args.store_keys
            || (!args.yes
                && ask(&format!(
                    "Store the keys the file holds in the keychain for {}?",
                    plan.into.workspace.id
                ))?));
    let id = storage_move::start(engine, &plan, store_keys).await?;
    super::transfer::run(engine, &id, false).await
}

/// A yes/no question on the terminal; without one, a clear refusal to guess.
fn ask(question: &str) -> Result<bool, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Invalid(
            "not asking without a terminal: add --yes (and --store-keys to keep keys found in the file), or --dry-run to only look".into(),
        ));
    }
    print!("{question} [y/N] ");
    std::io::stdout().flush().ok();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).ok();
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

impl From<crate::cli::ImportFormat> for Format {
    fn from(f: crate::cli::ImportFormat) -> Self {
        use crate::cli::ImportFormat as F;
        match f {
            F::MediaPlan => Format::MediaPlan,
            F::DjangoEnv => Format::DjangoEnv,
            F::Export => Format::Export,
            F::AwsConfig => Format::AwsConfig,
            F::Rclone => Format::Rclone,
            F::Ferry => Format::Ferry,
        }
    }
}
