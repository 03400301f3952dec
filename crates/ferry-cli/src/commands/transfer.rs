//! cp, mv, sync, migrate and jobs: each starts or continues a journaled job.

use std::process::ExitCode;
use std::sync::Arc;

use ferry_engine::settings::ConflictPolicy;
use ferry_engine::transfer::{
    self, Accounting, JobControl, JobKind, JobOptions, JobReport, JobState, UploadOptions, reviewed,
};
use ferry_engine::workspace::{Location, Place};
use ferry_engine::{Engine, Error};

use crate::cli::{
    CompareArg, Conflict, CopyArgs, FilterArgs, JobsCmd, MigrateArgs, SyncArgs, UploadArgs,
};
use crate::output;
use crate::progress::Bar;

/// The policy a flag names, else the settings' (`ask`: the CLI cannot ask, so it refuses and
/// reports — nothing is overwritten silently).
fn conflict(engine: &Engine, flag: Option<Conflict>, overwrite: bool) -> ConflictPolicy {
    match (overwrite, flag) {
        (true, _) => ConflictPolicy::Overwrite,
        (_, Some(Conflict::Skip)) => ConflictPolicy::Skip,
        (_, Some(Conflict::Rename)) => ConflictPolicy::Rename,
        (_, Some(Conflict::Overwrite)) => ConflictPolicy::Overwrite,
        (_, Some(Conflict::OverwriteIfNewer)) => ConflictPolicy::OverwriteIfNewer,
        (_, Some(Conflict::Fail)) => ConflictPolicy::Ask,
        (false, None) => engine.settings().transfer.conflict,
    }
}

fn upload(args: &UploadArgs) -> Result<UploadOptions, Error> {
    let mut metadata = std::collections::BTreeMap::new();
    for pair in &args.meta {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| Error::Invalid(format!("--meta {pair:?}: write it as KEY=VALUE")))?;
        metadata.insert(k.to_string(), v.to_string());
    }
    Ok(UploadOptions {
        gzip: match (args.gzip, args.no_gzip) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        key_template: args.key_template.clone(),
        entity: match &args.entity {
            Some(e) if e.trim().is_empty() || e.contains(['/', '\\']) || e == ".." || e == "." => {
                return Err(Error::Invalid(format!(
                    "--entity {e:?}: an entity is a name (no slashes)"
                )));
            }
            other => other.clone(),
        },
        max_file_size: args.max_file_size,
        content_type: args.content_type.clone(),
        cache_control: args.cache_control.clone(),
        storage_class: args.storage_class.clone(),
        sse: args.sse.clone(),
        metadata,
    })
}

/// The filters given, as the engine keeps them.
fn filters(args: &FilterArgs) -> transfer::Filters {
    transfer::Filters {
        include: args.include.clone(),
        exclude: args.exclude.clone(),
    }
}

pub async fn copy(engine: &Engine, args: CopyArgs, kind: JobKind) -> Result<ExitCode, Error> {
    let filters = filters(&args.filters);
    if !filters.is_empty() && kind == JobKind::Move {
        // A move removes the folders it emptied; one holding only what was left out is kept,
        // but an empty one the filters never carried would go. Not worth the surprise.
        return Err(Error::Invalid(
            "--include and --exclude are for cp, sync and migrate, not mv: copy with them, then remove what you moved".into(),
        ));
    }
    if !filters.is_empty() && !args.recursive {
        return Err(Error::Invalid(
            "--include and --exclude choose files below a folder: add -r".into(),
        ));
    }
    let options = JobOptions {
        filters,
        recursive: args.recursive,
        conflict: conflict(engine, args.conflict, args.overwrite),
        upload: upload(&args.upload)?,
        follow_links: args.follow_links,
        source_version: args.version.clone(),
        gunzip: args.gunzip,
        ..JobOptions::default()
    };
    let source = engine.parse_location(&args.source)?;
    let destination = engine.parse_location(&args.destination)?;
    if args.dry_run {
        return dry_run(engine, kind, &source, &destination, &options, args.json).await;
    }
    start(engine, kind, &source, &destination, &options, args.json).await
}

pub async fn sync(engine: &Engine, args: SyncArgs) -> Result<ExitCode, Error> {
    if let Some(file) = &args.plan {
        return run_reviewed(engine, file, args.json).await;
    }
    let (source, destination, options) = match &args.pair {
        Some(name) => saved_pair(engine, name)?,
        None => {
            let options = JobOptions {
                recursive: true,
                conflict: conflict(engine, args.conflict, false),
                delete_extraneous: args.delete,
                compare: match args.compare {
                    CompareArg::SizeMtime => transfer::Compare::SizeMtime,
                    CompareArg::Checksum => transfer::Compare::Checksum,
                },
                upload: UploadOptions::default(),
                follow_links: args.follow_links,
                filters: filters(&args.filters),
                max_deletes: args.max_delete,
                ..JobOptions::default()
            };
            // clap requires both unless --plan or --pair.
            let source = engine.parse_location(args.source.as_deref().unwrap_or_default())?;
            let destination =
                engine.parse_location(args.destination.as_deref().unwrap_or_default())?;
            (source, destination, options)
        }
    };
    if let Some(file) = &args.plan_out {
        return write_plan(engine, &source, &destination, &options, file, args.json).await;
    }
    let kind = JobKind::Sync;
    if args.dry_run {
        return dry_run(engine, kind, &source, &destination, &options, args.json).await;
    }
    // A pair's max_deletes is the job's: planned whole, refused before anything changes.
    start(engine, kind, &source, &destination, &options, args.json).await
}

/// `--pair NAME`: the saved sync's places and rules.
fn saved_pair(engine: &Engine, name: &str) -> Result<(Location, Location, JobOptions), Error> {
    let pair = engine.settings().sync_pair(name).cloned().ok_or_else(|| {
        let saved: Vec<&str> = engine
            .settings()
            .sync_pairs
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        Error::Invalid(format!(
            "no sync pair is called {name:?} (saved: {}); add one to settings.json's \"sync_pairs\"",
            if saved.is_empty() { "none".to_string() } else { saved.join(", ") }
        ))
    })?;
    reviewed::pair_job(engine, &pair)
}

/// `--plan-out`: plans, changes nothing, and writes the plan for review.
async fn write_plan(
    engine: &Engine,
    source: &Location,
    destination: &Location,
    options: &JobOptions,
    file: &std::path::Path,
    json: bool,
) -> Result<ExitCode, Error> {
    let plan = reviewed::make(engine, JobKind::Sync, source, destination, options).await?;
    let text = serde_json::to_string_pretty(&plan)
        .map_err(|e| Error::Invalid(format!("the plan could not be written: {e}")))?;
    std::fs::write(file, text + "\n")
        .map_err(|e| ferry_storage::StorageError::io("write", file, e))?;
    if json {
        output::json(&plan.summary);
    } else {
        print_plan(&plan.summary);
        println!(
            "plan written to {}: review it (an action taken out is not run), then: ferry sync --plan {}",
            output::plain(&file.display().to_string()),
            output::plain(&file.display().to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--plan`: runs what of a reviewed plan still holds; says what it left out and why.
async fn run_reviewed(
    engine: &Engine,
    file: &std::path::Path,
    json: bool,
) -> Result<ExitCode, Error> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| ferry_storage::StorageError::io("read", file, e))?;
    let mut reader = serde_json::Deserializer::from_str(&text);
    let plan: reviewed::ReviewedPlan =
        serde_path_to_error::deserialize(&mut reader).map_err(|e| {
            Error::Invalid(format!(
                "{} is not a plan Ferry wrote (at {}): {}",
                file.display(),
                e.path(),
                e.inner()
            ))
        })?;
    let outcome = reviewed::create_job(engine, &plan).await?;
    if json {
        output::json(&outcome);
    } else {
        for r in &outcome.refused {
            println!(
                "not done  {:9} {}: {}",
                r.action.action,
                output::plain(&r.action.destination),
                r.why
            );
        }
        for a in &outcome.unreviewed {
            println!(
                "not in the plan  {:9} {}",
                a.action,
                output::plain(&a.destination)
            );
        }
        println!(
            "reviewed plan: {} action(s) still as planned, {} not done, {} not in the reviewed plan (not done)",
            outcome.carried,
            outcome.refused.len(),
            outcome.unreviewed.len()
        );
    }
    let Some(id) = outcome.job else {
        return Ok(if outcome.refused.is_empty() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        });
    };
    let code = run(engine, &id, json).await?;
    Ok(if outcome.refused.is_empty() {
        code
    } else {
        ExitCode::from(1)
    })
}

/// Prints what a job would do, action by action, and changes nothing.
async fn dry_run(
    engine: &Engine,
    kind: JobKind,
    source: &Location,
    destination: &Location,
    options: &JobOptions,
    json: bool,
) -> Result<ExitCode, Error> {
    let job = transfer::JobRow::draft(kind, source, destination, options);
    let plan = transfer::dry_run(engine, &job).await?;
    if json {
        output::json(&plan);
        return Ok(ExitCode::SUCCESS);
    }
    for action in &plan.actions {
        let from = action
            .source
            .as_deref()
            .map(|s| format!("{s} -> "))
            .unwrap_or_default();
        let size = if matches!(action.action.as_str(), "copy" | "update" | "conflict") {
            format!(" ({})", output::size(action.size))
        } else {
            String::new()
        };
        let note = action
            .note
            .as_deref()
            .map(|n| format!(": {n}"))
            .unwrap_or_default();
        println!(
            "{:9} {}{}{size}{}",
            action.action,
            output::plain(&from),
            output::plain(&action.destination),
            output::plain(&note)
        );
    }
    print_plan(&plan.summary);
    println!("(dry run: nothing was changed)");
    Ok(ExitCode::SUCCESS)
}

fn print_plan(plan: &transfer::PlanSummary) {
    println!(
        "plan: copy {} new file(s) ({}), update {} ({}), delete {}, unchanged {}",
        plan.copy,
        output::size(plan.copy_bytes),
        plan.update,
        output::size(plan.update_bytes),
        plan.delete,
        plan.unchanged
    );
    let mut more = Vec::new();
    if plan.conflicts > 0 {
        more.push(format!(
            "{} conflict(s) for the conflict policy",
            plan.conflicts
        ));
    }
    if plan.skipped > 0 {
        more.push(format!("{} skipped", plan.skipped));
    }
    if plan.collisions > 0 {
        more.push(format!(
            "{} name collision(s) at the destination (refused)",
            plan.collisions
        ));
    }
    if !more.is_empty() {
        println!("      {}", more.join(", "));
    }
}

pub async fn migrate(engine: &Engine, args: MigrateArgs) -> Result<ExitCode, Error> {
    let local = engine.workspace(&args.from)?;
    let s3 = engine.workspace(&args.to)?;
    use ferry_engine::settings::Storage;
    if !matches!(local.storage, Storage::Local(_)) || !matches!(s3.storage, Storage::S3(_)) {
        return Err(Error::Invalid(format!(
            "migrate copies a local workspace into an S3 one; {} is {} and {} is {}",
            local.id,
            kind_name(&local.storage),
            s3.id,
            kind_name(&s3.storage)
        )));
    }
    let at = |id: &str| Location {
        place: Place::Workspace(id.to_string()),
        key: ferry_storage::ObjectKey::root(),
    };
    // An object that exists and differs is a conflict: the settings' policy (or the flag)
    // decides, and "ask" refuses rather than replace it.
    let options = JobOptions {
        recursive: true,
        conflict: conflict(engine, args.conflict, false),
        follow_links: args.follow_links,
        filters: filters(&args.filters),
        ..JobOptions::default()
    };
    let (from, to) = (at(&local.id), at(&s3.id));
    if args.dry_run {
        return dry_run(engine, JobKind::Migrate, &from, &to, &options, args.json).await;
    }
    start(engine, JobKind::Migrate, &from, &to, &options, args.json).await
}

fn kind_name(storage: &ferry_engine::settings::Storage) -> &'static str {
    match storage {
        ferry_engine::settings::Storage::Local(_) => "a local folder",
        ferry_engine::settings::Storage::S3(_) => "an S3 workspace",
    }
}

async fn start(
    engine: &Engine,
    kind: JobKind,
    source: &Location,
    destination: &Location,
    options: &JobOptions,
    json: bool,
) -> Result<ExitCode, Error> {
    let id = engine
        .create_job(kind, source, destination, options)
        .await?;
    run(engine, &id, json).await
}

/// Runs a job to its end; Ctrl-C cancels it cleanly (open multipart uploads are aborted).
pub async fn run(engine: &Engine, id: &str, json: bool) -> Result<ExitCode, Error> {
    let accounting = Arc::new(Accounting::default());
    let control = JobControl::default();
    let on_signal = control.clone();
    let signal = tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            on_signal.cancel();
        }
    });
    let bar = Bar::start(!json, accounting.clone());
    let report = transfer::run_job(engine, id, accounting, control).await;
    bar.finish();
    signal.abort();
    let report = report?;
    print_report(&report, json);
    Ok(exit_code(&report))
}

fn exit_code(report: &JobReport) -> ExitCode {
    if report.state == JobState::Completed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn print_report(report: &JobReport, json: bool) {
    if json {
        output::json(report);
        return;
    }
    let (verb, what) = match report.kind {
        JobKind::Move => ("moved", "file(s)"),
        JobKind::Sync => ("synced", "file(s)"),
        JobKind::Migrate => ("migrated", "file(s)"),
        JobKind::Copy => ("copied", "file(s)"),
        JobKind::Edit => ("changed the properties of", "object(s), each verified,"),
    };
    // A reviewed plan's job plans nothing itself (its plan was shown before it ran).
    if matches!(report.kind, JobKind::Sync | JobKind::Migrate)
        && report.plan != transfer::PlanSummary::default()
    {
        print_plan(&report.plan);
    }
    println!(
        "{verb} {} {what} {}; skipped {}; failed {}",
        report.tally.done,
        output::size(report.tally.bytes_done),
        report.tally.skipped,
        report.tally.failed
    );
    const SHOWN: usize = 20;
    for item in report.skipped.iter().take(SHOWN) {
        eprintln!(
            "skipped: {}: {}",
            output::plain(if item.source_key.is_empty() {
                &item.dest_key
            } else {
                &item.source_key
            }),
            output::lines(
                item.error
                    .as_deref()
                    .or(item.note.as_deref())
                    .unwrap_or("skipped")
            )
        );
    }
    if report.skipped.len() > SHOWN {
        eprintln!(
            "skipped: … and {} more (--json lists them all)",
            report.skipped.len() - SHOWN
        );
    }
    for item in &report.failures {
        eprintln!(
            "failed: {}: {}",
            output::plain(if item.source_key.is_empty() {
                &item.dest_key
            } else {
                &item.source_key
            }),
            output::lines(item.error.as_deref().unwrap_or("unknown error"))
        );
    }
    match report.state {
        JobState::CompletedWithErrors => eprintln!(
            "job {}: `ferry jobs retry {}` runs the failed items again",
            report.id, report.id
        ),
        JobState::Cancelled => eprintln!(
            "job {} was cancelled; files already carried stay",
            report.id
        ),
        _ => {}
    }
    if report.kept_uploads > 0 {
        eprintln!(
            "job {}: {} unfinished multipart upload(s) still hold parts on the server, which \
             would not abort them; `ferry jobs cancel {}` tries again",
            report.id, report.kept_uploads, report.id
        );
    }
    for path in &report.report_files {
        println!("report: {}", path.display());
    }
    if let Some(note) = &report.note {
        println!("{}", output::plain(note));
    }
    for item in report.notes.iter().take(SHOWN) {
        eprintln!(
            "note: {}",
            output::lines(item.error.as_deref().unwrap_or_default())
        );
    }
}

pub async fn jobs(engine: &Engine, cmd: Option<JobsCmd>) -> Result<ExitCode, Error> {
    match cmd.unwrap_or(JobsCmd::List { json: false }) {
        JobsCmd::List { json } => {
            let jobs = engine.jobs()?;
            if json {
                output::json(&jobs);
            } else if jobs.is_empty() {
                println!("(no jobs)");
            } else {
                for j in jobs {
                    let state = if j.interrupted {
                        "interrupted".to_string()
                    } else {
                        format!("{:?}", j.job.state).to_lowercase()
                    };
                    println!(
                        "{}  {:8} {:20} {}/{} files, {} failed  {} → {}",
                        j.job.id,
                        format!("{:?}", j.job.kind).to_lowercase(),
                        state,
                        j.tally.done + j.tally.skipped,
                        j.tally.done + j.tally.skipped + j.tally.failed + j.tally.pending,
                        j.tally.failed,
                        output::plain(&j.job.source.display().to_string()),
                        output::plain(&j.job.destination.display().to_string())
                    );
                    if j.kept_uploads > 0 {
                        println!(
                            "    {} unfinished multipart upload(s) still hold parts on the server: \
                             `ferry jobs cancel {}` aborts them",
                            j.kept_uploads, j.job.id
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        JobsCmd::Resume { job, json } => {
            let ids: Vec<String> = match job {
                Some(id) => vec![id],
                None => engine
                    .jobs()?
                    .into_iter()
                    .filter(|j| j.interrupted || j.job.state == JobState::Queued)
                    .map(|j| j.job.id)
                    .collect(),
            };
            if ids.is_empty() {
                println!("no interrupted jobs");
                return Ok(ExitCode::SUCCESS);
            }
            let mut code = ExitCode::SUCCESS;
            for id in ids {
                if !json {
                    println!("resuming job {id}");
                }
                if run(engine, &id, json).await? != ExitCode::SUCCESS {
                    code = ExitCode::from(1);
                }
            }
            Ok(code)
        }
        JobsCmd::Retry { job, json } => {
            let n = transfer::requeue_job(engine, &job)?;
            if !json {
                println!("retrying {n} failed item(s) of job {job}");
            }
            run(engine, &job, json).await
        }
        JobsCmd::Cancel { job } => {
            if transfer::cancel_job(engine, &job).await? == JobState::Cancelled {
                println!(
                    "cancelled job {job}; its open multipart uploads were aborted, files already carried stay"
                );
            } else {
                println!("job {job} had ended; it keeps no unfinished multipart upload now");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
