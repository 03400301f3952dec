//! `ferry`: the command-line face of Ferry's engine.

mod about;
mod cli;
mod commands;
mod output;
mod progress;
mod rate;

use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, FromArgMatches};
use ferry_engine::secrets::Keychain;
use ferry_engine::{Engine, Error, settings};

use cli::{Cli, Command, SettingsCmd};

fn main() -> ExitCode {
    let cli = parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FERRY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(|| ferry_engine::logs::LogWriter)
        // Colours only for a person at a terminal: a log file or a pipe gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start: {e}");
            return ExitCode::from(1);
        }
    };
    // The command runs as a task on a worker thread: a future driven by `block_on` runs on the
    // main thread instead, and every socket or blocking-pool wakeup then crossed threads
    // (measured: half the samples of a 2,000-file download were that thread's hand-offs).
    let outcome = runtime.block_on(async {
        tokio::spawn(run(cli))
            .await
            .unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic()))
    });
    match outcome {
        Ok(code) => code,
        Err(err) => {
            if std::env::args().any(|a| a == "--json") {
                output::json_error(&err);
            }
            output::error(&err);
            if err.code().is_configuration() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// The command line with its version lines (also what completions and man pages are made
/// from, so that they show the version). clap wants the lines `'static`: leaking two short
/// strings per call, once or twice a run, is the simplest way to give it that.
pub(crate) fn command() -> clap::Command {
    Cli::command()
        .version(&*String::leak(about::short()))
        .long_version(&*String::leak(about::long()))
}

/// The command line, parsed.
fn parse() -> Cli {
    let matches = command().get_matches();
    Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
}

async fn run(cli: Cli) -> Result<ExitCode, Error> {
    let config_dir = settings::config_dir(cli.config_dir.as_deref());
    match cli.command {
        Command::Settings(SettingsCmd::Schema) => {
            print!("{}", settings::json_schema());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Settings(SettingsCmd::Path) => {
            println!("{}", config_dir.join(settings::FILE_NAME).display());
            return Ok(ExitCode::SUCCESS);
        }
        Command::Completions { shell } => return commands::packaging::completions(shell),
        Command::Manpages { dir } => return commands::packaging::manpages(&dir),
        _ => {}
    }
    let mut engine = Engine::load(&config_dir, Arc::new(Keychain))?;
    if let Some(rates) = cli.bwlimit {
        engine.runner().pin_rates(rates.up, rates.down);
    }
    if engine.first_run() {
        eprintln!(
            "note: first run: created {} with a local workspace",
            engine.settings_path().display()
        );
    }
    for warning in engine.warnings() {
        eprintln!(
            "warning: {}: {}",
            engine.settings_path().display(),
            output::lines(&warning.to_string())
        );
    }
    commands::dispatch(&mut engine, cli.command).await
}
