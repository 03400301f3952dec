//! versions, restore, undelete, versioning, and rm --version: object versions in S3 workspaces.

use std::process::ExitCode;

use ferry_engine::{Engine, Error};
use ferry_storage::s3::{ArchiveState, RestoreTier, Versioning};

use crate::cli::{Tier, VersioningChange};
use crate::output;

fn state_text(v: Versioning) -> &'static str {
    match v {
        Versioning::Off => "off (never turned on): a delete or an overwrite cannot be undone",
        Versioning::Enabled => "on: every overwrite and delete keeps the earlier version",
        Versioning::Suspended => {
            "suspended: versions kept so far stay; new overwrites and deletes keep nothing"
        }
    }
}

pub async fn list(
    engine: &Engine,
    location: &str,
    deleted: bool,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let versions = if deleted {
        engine.deleted(&at).await?
    } else {
        engine.versions(&at).await?
    };
    if json {
        output::json(&versions);
        return Ok(ExitCode::SUCCESS);
    }
    if versions.is_empty() {
        println!("no versions at {}", at.display());
    }
    for v in &versions {
        let what = if v.delete_marker {
            "(deleted)".to_string()
        } else {
            output::size(v.size)
        };
        let when = v.last_modified.map(|t| t.to_string()).unwrap_or_default();
        println!(
            "{} {:>12}  {:25}  {}  {}",
            if v.is_latest { "*" } else { " " },
            what,
            when,
            v.version_id,
            output::plain(v.key.as_str())
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(
    engine: &Engine,
    location: &str,
    version: &str,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let now = engine.restore_version(&at, version).await?;
    if json {
        output::json(&now);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "restored version {version} of {} ({}, verified); the versions there were are kept",
        at.display(),
        output::size(now.size)
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn restore_archive(
    engine: &Engine,
    location: &str,
    days: u32,
    tier: Tier,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let tier = match tier {
        Tier::Expedited => RestoreTier::Expedited,
        Tier::Standard => RestoreTier::Standard,
        Tier::Bulk => RestoreTier::Bulk,
    };
    let state = engine.restore_archive(&at, days, tier).await?;
    if json {
        output::json(&state);
        return Ok(ExitCode::SUCCESS);
    }
    let shown = at.display();
    match state {
        ArchiveState::Readable => println!("{shown} is not archived: it can be read as it is"),
        ArchiveState::Archived { class } => {
            println!("{shown} ({class}) is archived; the restore was not taken up, try again")
        }
        ArchiveState::Restoring { class } => println!(
            "{shown} ({class}) is being restored; run this again to see how it stands, and read it once it is restored"
        ),
        ArchiveState::Restored { class, until } => println!(
            "{shown} ({class}) is restored and can be read{}",
            until.map(|u| format!(" until {u}")).unwrap_or_default()
        ),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn tag(
    engine: &Engine,
    location: &str,
    set: &[String],
    remove: &[String],
    clear: bool,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let mut tags = if clear {
        Default::default()
    } else {
        engine.tags(&at).await?
    };
    let changes = clear || !set.is_empty() || !remove.is_empty();
    for pair in set {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("{pair:?} is not KEY=VALUE")))?;
        tags.insert(key.to_string(), value.to_string());
    }
    for key in remove {
        tags.remove(key);
    }
    if changes {
        engine.set_tags(&at, &tags).await?;
    }
    if json {
        output::json(&tags);
    } else if tags.is_empty() {
        println!("{} has no tags", at.display());
    } else {
        for (key, value) in &tags {
            println!("{}={}", output::plain(key), output::plain(value));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn set_meta(
    engine: &Engine,
    location: &str,
    edit: &ferry_storage::s3::PropertyEdit,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let id = engine.create_edit_job(&at, edit).await?;
    super::transfer::run(engine, &id, json).await
}

pub async fn undelete(engine: &Engine, location: &str, json: bool) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    let keys = engine.undelete(&at).await?;
    if json {
        output::json(&keys);
        return Ok(ExitCode::SUCCESS);
    }
    for key in &keys {
        println!("undeleted {}", output::plain(key.as_str()));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn delete(engine: &Engine, location: &str, version: &str) -> Result<ExitCode, Error> {
    let at = engine.parse_location(location)?;
    engine.delete_version(&at, version).await?;
    println!(
        "deleted version {version} of {} for good (the other versions stay)",
        at.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub async fn versioning(
    engine: &Engine,
    workspace: &str,
    change: Option<VersioningChange>,
    json: bool,
) -> Result<ExitCode, Error> {
    let state = match change {
        None => engine.versioning(workspace).await?,
        Some(change) => {
            engine
                .set_versioning(workspace, matches!(change, VersioningChange::On))
                .await?
        }
    };
    if json {
        output::json(&serde_json::json!({ "workspace": workspace, "versioning": state }));
        return Ok(ExitCode::SUCCESS);
    }
    println!("versioning of {workspace}: {}", state_text(state));
    Ok(ExitCode::SUCCESS)
}
