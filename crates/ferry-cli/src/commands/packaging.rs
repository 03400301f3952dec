//! What a package installs beside the program, made from the same clap definitions as the
//! command line itself, so it never disagrees with the program: `ferry completions SHELL` and
//! `ferry manpages DIR` (`scripts/package` runs both; `manpages` is hidden, only packagers need it).

use std::path::Path;
use std::process::ExitCode;

use ferry_engine::Error;

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut crate::command(), "ferry", &mut script);
    // A reader that stops early (`| head`) is its choice, not a failure of ours.
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), &script);
    Ok(ExitCode::SUCCESS)
}

pub fn manpages(dir: &Path) -> Result<ExitCode, Error> {
    let failed = |e: std::io::Error| {
        Error::Invalid(format!(
            "could not write the man pages into {}: {e}",
            dir.display()
        ))
    };
    std::fs::create_dir_all(dir).map_err(failed)?;
    // Each subcommand's page is named for its path (ferry-workspace-import.1), as `man` finds it.
    clap_mangen::generate_to(crate::command(), dir).map_err(failed)?;
    Ok(ExitCode::SUCCESS)
}
