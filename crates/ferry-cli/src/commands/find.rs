//! `ferry find` and `ferry du`: what is below a folder, found or counted as the listing
//! arrives. Output goes out as it is found; a reader that stops reading (`| head`) stops the
//! listing too.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use ferry_engine::find::{self, FindQuery};
use ferry_engine::{Engine, Error, browse};
use ferry_storage::Entry;
use futures::StreamExt;

use crate::output;

/// The query the arguments ask for; ages become moments counted back from now.
pub fn query(
    name: Option<String>,
    larger_than: Option<u64>,
    smaller_than: Option<u64>,
    newer_than: Option<&str>,
    older_than: Option<&str>,
    class: Option<String>,
) -> Result<FindQuery, Error> {
    let ago = |age: Option<&str>| -> Result<Option<String>, Error> {
        age.map(|age| {
            let span = browse::parse_duration(age)?;
            let at = jiff::Timestamp::now()
                .checked_sub(jiff::SignedDuration::try_from(span).unwrap_or_default())
                .map_err(|_| Error::Invalid(format!("{age:?} reaches too far back")))?;
            Ok(at.to_string())
        })
        .transpose()
    };
    Ok(FindQuery {
        name,
        larger_than,
        smaller_than,
        newer_than: ago(newer_than)?,
        older_than: ago(older_than)?,
        storage_class: class,
    })
}

pub async fn find(
    engine: &Engine,
    location: &str,
    query: &FindQuery,
    json: bool,
) -> Result<ExitCode, Error> {
    let at = engine.resolve(&engine.parse_location(location)?).await?;
    let mut pages = find::find(&at, query).await?;
    let mut found = 0u64;
    while let Some(page) = pages.next().await {
        // A page's lines go out together: one write per page, not per line.
        let mut text = String::new();
        for entry in page?.entries {
            let Entry::Object(meta) = entry else {
                continue;
            };
            found += 1;
            if json {
                text.push_str(&serde_json::to_string(&meta).unwrap_or_default());
            } else {
                text.push_str(&format!(
                    "{:>10}  {:19}  {}",
                    output::size(meta.size),
                    output::time(meta.last_modified),
                    output::plain(meta.key.as_str())
                ));
            }
            text.push('\n');
        }
        let mut out = std::io::stdout();
        if out
            .write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .is_err()
        {
            // The reader has gone (`| head`): nothing more is wanted, the listing stops.
            break;
        }
    }
    if !json {
        eprintln!("{found} found below {location}");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn du(engine: &Engine, location: &str, json: bool) -> Result<ExitCode, Error> {
    let at = engine.resolve(&engine.parse_location(location)?).await?;
    let mut totals = find::usage(&at).await?;
    let live = std::io::stderr().is_terminal();
    let mut usage = find::Usage::default();
    while let Some(now) = totals.next().await {
        usage = now?;
        if live {
            eprint!(
                "\rcounting… {} objects, {}",
                usage.objects,
                output::size(usage.bytes)
            );
        }
    }
    if live {
        eprint!("\r\x1b[K");
    }
    if json {
        output::json(&usage);
    } else {
        println!(
            "{} objects, {} ({} bytes) below {location}",
            usage.objects,
            output::size(usage.bytes),
            usage.bytes
        );
    }
    Ok(ExitCode::SUCCESS)
}
