//! A workspace's upload policy (`upload` in its settings) as a job's options: what the command
//! left unset, the workspace sets. Copies and moves *into* it from elsewhere take all of it —
//! gzip (from local files), key template, entity, size limit, no overwriting; moves, copies
//! and renames inside the workspace keep their names (a rename is not an upload); a sync or a
//! migration mirrors names, so it takes only the size limit and the rule against overwriting
//! (a changed file does not silently replace the workspace's).

use super::{JobKind, JobOptions};
use crate::Engine;
use crate::error::{Error, Result};
use crate::workspace::{Location, Place};

/// The job's options with the destination workspace's upload policy filled in.
pub fn apply(
    engine: &Engine,
    kind: JobKind,
    source: &Location,
    destination: &Location,
    options: &JobOptions,
) -> JobOptions {
    let mut out = options.clone();
    let Place::Workspace(id) = &destination.place else {
        return out;
    };
    let Ok(ws) = engine.workspace(id) else {
        return out;
    };
    let policy = &ws.upload;
    let from_elsewhere = source.place != destination.place;
    let from_local = matches!(source.place, Place::Local(_))
        || matches!(
            engine.workspace_storage(&source.place),
            Some(crate::settings::Storage::Local(_))
        );
    if matches!(kind, JobKind::Copy | JobKind::Move) && from_elsewhere {
        let upload = &mut out.upload;
        // gzip compresses a local file as it is sent; an object copied between stores is not.
        if from_local {
            upload.gzip = upload.gzip.or(policy.compression.map(|_| true));
        }
        if upload.key_template.is_none() {
            upload.key_template = policy.key_template.clone();
        }
        if upload.entity.is_none() {
            upload.entity = policy.entity.clone();
        }
    }
    if kind != JobKind::Edit {
        out.upload.max_file_size = out
            .upload
            .max_file_size
            .or(policy.max_file_size_mb.map(|mb| mb.saturating_mul(1 << 20)));
        out.keep_existing |= !policy.file_overwrite;
    }
    out
}

/// Refuses a plan holding a file over the job's size limit, naming the file and the limit.
pub fn check_sizes<'a>(
    options: &JobOptions,
    files: impl IntoIterator<Item = (&'a str, u64)>,
) -> Result<()> {
    let Some(max) = options.upload.max_file_size else {
        return Ok(());
    };
    let over: Vec<(&str, u64)> = files.into_iter().filter(|(_, size)| *size > max).collect();
    let Some((first, size)) = over.first() else {
        return Ok(());
    };
    let mib = |n: u64| format!("{:.1} MiB", n as f64 / f64::from(1 << 20));
    Err(Error::Invalid(format!(
        "{first} is {}, more than the limit of {} (the workspace's max_file_size_mb, or \
         --max-file-size){}; nothing was sent",
        mib(*size),
        mib(max),
        match over.len() {
            1 => String::new(),
            n => format!(", and {} more file(s) are over it", n - 1),
        }
    )))
}
