//! secret set|status|clear. Secrets come from stdin or a hidden prompt, never from argv, and are
//! never printed.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ferry_engine::secrets::{S3Secret, Sensitive};
use ferry_engine::{Engine, Error};

use crate::cli::SecretCmd;
use crate::output;

pub async fn run(engine: &mut Engine, cmd: SecretCmd) -> Result<ExitCode, Error> {
    match cmd {
        SecretCmd::Set {
            workspace,
            access_key_id,
        } => {
            let id = engine.workspace(&workspace)?.id.clone();
            let secret = read_secret(access_key_id)?;
            engine.set_secret(&id, secret).await?;
            println!("stored the credentials of workspace {id} in the OS keychain");
            Ok(ExitCode::SUCCESS)
        }
        SecretCmd::Status { workspace, json } => {
            let status = engine.secret_status(&workspace).await?;
            if json {
                output::json(&status);
            } else {
                match status.source {
                    "keychain" if status.is_set => println!(
                        "{}: set in the OS keychain (access key {})",
                        status.workspace,
                        status.access_key_id.as_deref().unwrap_or("?")
                    ),
                    "keychain" => println!(
                        "{}: not set (`ferry secret set {}`)",
                        status.workspace, status.workspace
                    ),
                    "aws" => println!(
                        "{}: from the AWS credential chain (profile {})",
                        status.workspace,
                        status.profile.as_deref().unwrap_or("default")
                    ),
                    _ => println!("{}: a local folder needs no credentials", status.workspace),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        SecretCmd::Clear { workspace } => {
            let id = engine.workspace(&workspace)?.id.clone();
            if engine.clear_secret(&id).await? {
                println!("removed the credentials of workspace {id} from the keychain");
            } else {
                println!("workspace {id} had no credentials in the keychain");
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// On a terminal: prompts (the secret without echo). Otherwise: lines on stdin — the access key
/// id (unless given with --access-key-id), the secret, and optionally a session token.
fn read_secret(access_key_id: Option<String>) -> Result<S3Secret, Error> {
    let io = |e: std::io::Error| Error::Invalid(format!("could not read the secret: {e}"));
    let (key_id, secret, token) = if std::io::stdin().is_terminal() {
        let key_id = match access_key_id {
            Some(k) => k,
            None => {
                eprint!("Access key id: ");
                std::io::stderr().flush().map_err(io)?;
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line).map_err(io)?;
                line.trim().to_string()
            }
        };
        let secret = rpassword::prompt_password("Secret access key (hidden): ").map_err(io)?;
        let token =
            rpassword::prompt_password("Session token (hidden, Enter for none): ").map_err(io)?;
        (key_id, secret, token)
    } else {
        let mut lines = std::io::stdin().lock().lines();
        let mut next = || {
            lines
                .next()
                .transpose()
                .map_err(io)
                .map(|l| l.unwrap_or_default())
        };
        let key_id = match access_key_id {
            Some(k) => k,
            None => next()?.trim().to_string(),
        };
        let secret = next()?;
        let token = next()?;
        (key_id, secret, token)
    };
    let secret = secret.trim().to_string();
    if key_id.is_empty() || secret.is_empty() {
        return Err(Error::Invalid(
            "both an access key id and a secret access key are needed (stdin: one per line)".into(),
        ));
    }
    let token = token.trim().to_string();
    Ok(S3Secret {
        access_key_id: key_id,
        secret_access_key: Sensitive::new(secret),
        session_token: (!token.is_empty()).then(|| Sensitive::new(token)),
        bound_to: None,
    })
}
