//! cp and mv.

use std::process::ExitCode;
use std::sync::Arc;

use ferry_engine::copy::{self, CopyOptions, Outcome};
use ferry_engine::settings::ConflictPolicy;
use ferry_engine::{Engine, Error};

use crate::cli::{Conflict, CopyArgs};
use crate::output;
use crate::progress::Bar;

pub async fn run(engine: &Engine, args: CopyArgs, delete_source: bool) -> Result<ExitCode, Error> {
    let src = engine
        .resolve(&engine.parse_location(&args.source)?)
        .await?;
    let dst = engine
        .resolve(&engine.parse_location(&args.destination)?)
        .await?;
    let conflict = match (args.overwrite, args.conflict) {
        (true, _) => ConflictPolicy::Overwrite,
        (_, Some(Conflict::Skip)) => ConflictPolicy::Skip,
        (_, Some(Conflict::Rename)) => ConflictPolicy::Rename,
        (_, Some(Conflict::Overwrite)) => ConflictPolicy::Overwrite,
        (_, Some(Conflict::OverwriteIfNewer)) => ConflictPolicy::OverwriteIfNewer,
        // The CLI cannot ask, so "ask" refuses and reports: nothing is overwritten silently.
        (_, Some(Conflict::Fail)) | (false, None) => ConflictPolicy::Ask,
    };
    let options = CopyOptions {
        recursive: args.recursive,
        conflict,
        delete_source,
        concurrency: engine.settings().transfer.concurrency as usize,
    };
    let bar = Arc::new(Bar::new(!args.json));
    let report = copy::copy(&src, &dst, options, bar.clone()).await;
    bar.finish();
    let report = report?;
    if args.json {
        output::json(&report);
    } else {
        let verb = if delete_source { "moved" } else { "copied" };
        println!(
            "{verb} {} file(s), {}; skipped {}; failed {}",
            report.copied,
            output::size(report.bytes),
            report.skipped,
            report.failed
        );
        for failure in &report.failures {
            if let Outcome::Failed {
                source,
                message,
                hint,
                ..
            } = failure
            {
                eprintln!("failed: {source}: {message}\n  hint: {hint}");
            }
        }
    }
    Ok(if report.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
