//! One function per command: arguments in, engine call, output out.

mod files;
mod find;
mod import;
pub mod packaging;
mod secret;
mod transfer;
mod versions;
mod workspace;

use std::process::ExitCode;

use ferry_engine::transfer::JobKind;
use ferry_engine::{Engine, Error};

use crate::cli::{Command, SettingsCmd};

pub async fn dispatch(engine: &mut Engine, command: Command) -> Result<ExitCode, Error> {
    match command {
        Command::Workspace(cmd) => workspace::run(engine, cmd).await,
        Command::Secret(cmd) => secret::run(engine, cmd).await,
        Command::Settings(SettingsCmd::Check) => {
            println!(
                "{}: OK ({} workspaces)",
                engine.settings_path().display(),
                engine.settings().workspaces.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        // Answered before the settings are loaded (main.rs).
        Command::Settings(_) | Command::Completions { .. } | Command::Manpages { .. } => {
            Ok(ExitCode::SUCCESS)
        }
        Command::Ls {
            location,
            recursive,
            json,
        } => files::ls(engine, location, recursive, json).await,
        Command::Stat { location, json } => files::stat(engine, &location, json).await,
        Command::Find {
            location,
            name,
            larger_than,
            smaller_than,
            newer_than,
            older_than,
            class,
            json,
        } => {
            let query = find::query(
                name,
                larger_than,
                smaller_than,
                newer_than.as_deref(),
                older_than.as_deref(),
                class,
            )?;
            find::find(engine, &location, &query, json).await
        }
        Command::Du { location, json } => find::du(engine, &location, json).await,
        Command::Cp(args) => transfer::copy(engine, args, JobKind::Copy).await,
        Command::Mv(args) => transfer::copy(engine, args, JobKind::Move).await,
        Command::Sync(args) => transfer::sync(engine, args).await,
        Command::Migrate(args) => transfer::migrate(engine, args).await,
        Command::Jobs { command } => transfer::jobs(engine, command).await,
        Command::Rm {
            location,
            version: Some(version),
            ..
        } => versions::delete(engine, &location, &version).await,
        Command::Rm {
            location,
            recursive,
            all,
            version: None,
        } => files::rm(engine, &location, recursive, all).await,
        Command::Mkdir { location } => files::mkdir(engine, &location).await,
        Command::Presign {
            location,
            expires,
            put,
            public,
        } => files::presign(engine, &location, &expires, put, public).await,
        Command::Buckets {
            workspace,
            create,
            json,
        } => files::buckets(engine, &workspace, create, json).await,
        Command::Versions {
            location,
            deleted,
            json,
        } => versions::list(engine, &location, deleted, json).await,
        Command::Restore {
            location,
            version: Some(version),
            json,
            ..
        } => versions::restore(engine, &location, &version, json).await,
        Command::Restore {
            location,
            days,
            tier,
            json,
            ..
        } => versions::restore_archive(engine, &location, days, tier, json).await,
        Command::Tag {
            location,
            set,
            remove,
            clear,
            json,
        } => versions::tag(engine, &location, &set, &remove, clear, json).await,
        Command::SetMeta {
            location,
            content_type,
            cache_control,
            content_disposition,
            storage_class,
            sse,
            meta,
            remove_meta,
            json,
        } => {
            let mut metadata = std::collections::BTreeMap::new();
            for pair in &meta {
                let (k, v) = pair
                    .split_once('=')
                    .ok_or_else(|| Error::Invalid(format!("{pair:?} is not KEY=VALUE")))?;
                metadata.insert(k.to_string(), v.to_string());
            }
            let edit = ferry_storage::s3::PropertyEdit {
                content_type,
                cache_control,
                content_disposition,
                storage_class,
                sse,
                metadata,
                remove_metadata: remove_meta,
            };
            versions::set_meta(engine, &location, &edit, json).await
        }
        Command::Undelete { location, json } => versions::undelete(engine, &location, json).await,
        Command::Versioning {
            workspace,
            state,
            json,
        } => versions::versioning(engine, &workspace, state, json).await,
    }
}
