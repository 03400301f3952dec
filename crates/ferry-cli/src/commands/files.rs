//! ls, stat, rm, mkdir, presign, buckets.

use std::process::ExitCode;

use ferry_engine::browse;
use ferry_engine::workspace::Links;
use ferry_engine::{Engine, Error};
use ferry_storage::s3::Versioning;
use ferry_storage::{Entry, PresignMethod};
use futures::StreamExt;

use crate::output;

pub async fn ls(
    engine: &Engine,
    location: Option<String>,
    recursive: bool,
    json: bool,
) -> Result<ExitCode, Error> {
    let text = match location {
        Some(text) => text,
        None => {
            let default = engine.settings().default_workspace.clone().ok_or_else(|| {
                Error::Invalid("no default workspace: name a location, such as WORKSPACE:".into())
            })?;
            format!("{default}:")
        }
    };
    let at = engine.resolve(&engine.parse_location(&text)?).await?;
    let mut pages = browse::list(&at, recursive).await?;
    let mut all = Vec::new();
    let mut shown = 0usize;
    while let Some(page) = pages.next().await {
        let page = page?;
        shown += page.entries.len();
        if json {
            // JSON output is one array; text output streams page by page.
            all.extend(page.entries);
            continue;
        }
        for entry in page.entries {
            match entry {
                Entry::Folder { key } => {
                    println!("{:>10}  {:19}  {}", "DIR", "", output::plain(key.as_str()))
                }
                Entry::Object(meta) => match &meta.link_target {
                    Some(target) => println!(
                        "{:>10}  {:19}  {} -> {}",
                        "LINK",
                        output::time(meta.last_modified),
                        output::plain(meta.key.as_str()),
                        output::plain(target)
                    ),
                    None => println!(
                        "{:>10}  {:19}  {}{}",
                        output::size(meta.size),
                        output::time(meta.last_modified),
                        output::plain(meta.key.as_str()),
                        match meta.storage_class.as_deref() {
                            Some(class) if ferry_storage::s3::needs_restore(class) => {
                                format!("  [archived in {class}: `ferry restore --archive` first]")
                            }
                            _ => String::new(),
                        }
                    ),
                },
            }
        }
    }
    if json {
        output::json(&all);
    } else if shown == 0 {
        println!("(empty folder)");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn stat(engine: &Engine, location: &str, json: bool) -> Result<ExitCode, Error> {
    // A link is shown as the link it is.
    let at = engine
        .resolve_with(&engine.parse_location(location)?, Links::Own)
        .await?;
    let meta = browse::stat(&at).await?;
    if json {
        output::json(&meta);
        return Ok(ExitCode::SUCCESS);
    }
    println!("key:            {}", output::plain(meta.key.as_str()));
    println!(
        "size:           {} ({} bytes)",
        output::size(meta.size),
        meta.size
    );
    println!("modified:       {}", output::time(meta.last_modified));
    if let Some(target) = &meta.link_target {
        println!("link to:        {}", output::plain(target));
    }
    let optional = [
        ("etag", &meta.etag),
        ("content type", &meta.content_type),
        ("cache control", &meta.cache_control),
        ("storage class", &meta.storage_class),
        ("encryption", &meta.server_side_encryption),
    ];
    for (label, value) in optional {
        if let Some(value) = value {
            println!("{:16}{}", format!("{label}:"), output::plain(value));
        }
    }
    for (k, v) in &meta.metadata {
        println!("meta {}: {}", output::plain(k), output::plain(v));
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn rm(
    engine: &Engine,
    location: &str,
    recursive: bool,
    all: bool,
) -> Result<ExitCode, Error> {
    // As rm: `.` and `..` name the folder one stands in (or above), never what to delete.
    let last = location
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or_default();
    if !location.contains(':') && (last == "." || last == "..") {
        return Err(Error::Invalid(format!(
            "refusing to delete {location:?}: name the folder itself, not `.` or `..`"
        )));
    }
    // `rm link` removes the link, never what it points to.
    let at = engine
        .resolve_with(&engine.parse_location(location)?, Links::Own)
        .await?;
    let report = browse::remove(&at, recursive, all).await?;
    println!("deleted {} object(s)", report.deleted);
    // Whether it can be undone, when the server can tell (local disks and servers without
    // versions say nothing).
    if let Some(id) = &at.workspace
        && let Ok(versioning) = engine.versioning(id).await
    {
        match versioning {
            Versioning::Enabled => {
                println!("the bucket keeps versions: `ferry undelete {location}` brings it back")
            }
            Versioning::Suspended => println!(
                "the bucket's versioning is suspended: only versions kept before that can be brought back (`ferry versions {location}`)"
            ),
            Versioning::Off => println!("the bucket keeps no versions: this cannot be undone"),
        }
    }
    for (key, message) in &report.failed {
        eprintln!(
            "failed: {}: {}",
            output::plain(&key.to_string()),
            output::lines(message)
        );
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub async fn mkdir(engine: &Engine, location: &str) -> Result<ExitCode, Error> {
    let at = engine.resolve(&engine.parse_location(location)?).await?;
    browse::make_folder(&at).await?;
    println!("created {}", at.key.as_folder());
    Ok(ExitCode::SUCCESS)
}

pub async fn presign(
    engine: &Engine,
    location: &str,
    expires: &str,
    put: bool,
    public: bool,
) -> Result<ExitCode, Error> {
    let loc = engine.parse_location(location)?;
    if public {
        println!("{}", engine.public_link(&loc)?);
        return Ok(ExitCode::SUCCESS);
    }
    let duration = browse::parse_duration(expires)?;
    let at = engine.resolve(&loc).await?;
    let method = if put {
        PresignMethod::Put
    } else {
        PresignMethod::Get
    };
    println!("{}", browse::presign(&at, duration, method).await?);
    Ok(ExitCode::SUCCESS)
}

pub async fn buckets(
    engine: &Engine,
    workspace: &str,
    create: Option<String>,
    json: bool,
) -> Result<ExitCode, Error> {
    if let Some(bucket) = create {
        engine
            .s3(workspace, Some(&bucket))
            .await?
            .create_bucket()
            .await?;
        println!("created bucket {bucket}");
        return Ok(ExitCode::SUCCESS);
    }
    let buckets = engine.s3(workspace, None).await?.list_buckets().await?;
    if json {
        output::json(&buckets);
    } else if buckets.is_empty() {
        println!("(no buckets)");
    } else {
        for b in buckets {
            println!("{:19}  {}", output::time(b.created), b.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}
