//! `ferry cp --gunzip` (and the app's "Unpack .gz files" download option): a downloaded
//! `NAME.gz` becomes `NAME`, as `gunzip` would leave it — but only after the `.gz` arrived and
//! was verified, and never over a file that is there: `NAME` is created (never replaced), and
//! only then is `NAME.gz` removed. A file that is not gzip, a `NAME` already there, or a source
//! folder that also holds `NAME` (this job brings it too) keeps the download as it came, with
//! the reason noted on the item.

use ferry_storage::{BackendExt, ObjectKey, PutBody, PutOptions, WriteMode};

use super::item::Ctx;

/// Unpacks the downloaded `gz` (the item whose source is `source`) beside itself. `None` when
/// done (or nothing to do: not a `.gz` name, not a local destination); else why the download
/// was kept as it came.
pub(super) async fn restore(
    ctx: &Ctx,
    source: &ObjectKey,
    gz: &ObjectKey,
    modified: Option<jiff::Timestamp>,
) -> Option<String> {
    let name = gz.as_str().strip_suffix(".gz")?;
    // Only a regular file reached without a link (`local_path` says so) is unpacked.
    ctx.dst.backend.local_path(gz)?;
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.is_empty() || last == "." || last == ".." {
        return Some(format!(
            "{gz} was kept as downloaded: without .gz its name ({last:?}) names no file"
        ));
    }
    let plain = ObjectKey::new(name);
    // A folder that holds both NAME and NAME.gz: NAME is an item of this job too, which its
    // conflict rule may let replace what is there — the unpacked file would be lost.
    if ctx.options.recursive
        && let Some(sibling) = source.as_str().strip_suffix(".gz")
    {
        match ctx.src.backend.try_stat(&ObjectKey::new(sibling)).await {
            Ok(None) => {}
            Ok(Some(_)) => {
                return Some(format!(
                    "{gz} was kept as downloaded: the source also has {sibling}, which this job brings as {plain}"
                ));
            }
            Err(e) => return Some(format!("{gz} was kept as downloaded: {e}")),
        }
    }
    unpack(ctx, gz, &plain, modified).await.err()
}

async fn unpack(
    ctx: &Ctx,
    gz: &ObjectKey,
    plain: &ObjectKey,
    modified: Option<jiff::Timestamp>,
) -> std::result::Result<(), String> {
    let kept = |why: String| format!("{gz} was kept as downloaded: {why}");
    // Read through the store (links are never followed), unpacked as it is read.
    let got = ctx
        .dst
        .backend
        .get(gz, None)
        .await
        .map_err(|e| kept(e.to_string()))?;
    let unpacked = tokio::task::spawn_blocking(move || {
        decompress(tokio_util::io::SyncIoBridge::new(got.body))
    })
    .await
    .map_err(|e| kept(e.to_string()))?
    .map_err(kept)?;
    let body = PutBody::from_file(unpacked.path())
        .await
        .map_err(|e| kept(e.to_string()))?;
    let options = PutOptions {
        modified,
        mode: WriteMode::Create,
        ..PutOptions::default()
    };
    match ctx.dst.backend.put(plain, body, &options).await {
        Ok(_) => {}
        Err(e) if e.kind == ferry_storage::ErrorKind::AlreadyExists => {
            return Err(kept(format!(
                "{plain} is already there and was not replaced"
            )));
        }
        Err(e) => return Err(kept(format!("it could not be unpacked into {plain} ({e})"))),
    }
    let failures = ctx
        .dst
        .backend
        .delete_many(std::slice::from_ref(gz))
        .await
        .map_err(|e| e.to_string());
    match failures {
        Ok(f) if f.is_empty() => Ok(()),
        Ok(f) => Err(format!(
            "unpacked into {plain}, but {gz} could not be removed: {}",
            f.first().map(|f| f.message.as_str()).unwrap_or_default()
        )),
        Err(e) => Err(format!(
            "unpacked into {plain}, but {gz} could not be removed: {e}"
        )),
    }
}

/// Every gzip member of the stream, as `gunzip` reads concatenated ones, into a temporary
/// file (its size must be known before it is written in place).
fn decompress(input: impl std::io::Read) -> std::result::Result<tempfile::NamedTempFile, String> {
    let out = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    let mut writer = out.reopen().map_err(|e| e.to_string())?;
    let mut decoder = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
    // Read and write apart: a bad gzip stream and a full disk are different news.
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        use std::io::{Read, Write};
        let n = decoder
            .read(&mut buf)
            .map_err(|e| format!("it is not a complete gzip file ({e})"))?;
        if n == 0 {
            break;
        }
        writer
            .write_all(&buf[..n])
            .map_err(|e| format!("the unpacked file could not be written ({e})"))?;
    }
    writer
        .sync_all()
        .map_err(|e| format!("the unpacked file could not be written ({e})"))?;
    Ok(out)
}
