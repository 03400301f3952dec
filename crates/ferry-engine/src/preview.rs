//! Looking inside an object without downloading it: the first part of a text (its encoding
//! detected), a table of a CSV, a small picture of an image made here rather than by handing the
//! whole object to a web view, and ranges of audio, video and PDF read as a player asks for them.
//!
//! What is read whole (an image, a text that fits) is checked against the server's ETag as a
//! download is; a part of an object cannot be (its checksum covers the whole), so a player's
//! ranges are pinned instead: each must come from the object as it was when the preview opened.

use std::io::Cursor;

use bytes::Bytes;
use ferry_storage::integrity::StreamDigest;
use ferry_storage::{ByteRange, ErrorKind, ObjectMeta, StorageError};
use serde::Serialize;
use tokio::io::AsyncReadExt;

use crate::error::{Error, Result};
use crate::workspace::Resolved;

/// How much of a text is shown: enough for a screenful of code or a long log's head.
pub const TEXT_BYTES: u64 = 256 * 1024;
/// Images larger than this are not previewed (they are read whole to be made small).
pub const IMAGE_BYTES: u64 = 40 * 1024 * 1024;
/// The longest side of an image's preview, in pixels.
pub const THUMBNAIL_PX: u32 = 1024;
/// The most one answer to a player's range request carries; it asks again for more.
pub const MEDIA_CHUNK: u64 = 2 * 1024 * 1024;
/// Rows of a table shown.
pub const TABLE_ROWS: usize = 500;
/// Pictures wider or taller than this are refused before decoding (a decompression bomb).
const MAX_SIDE: u32 = 30_000;
/// The most one picture may take while decoded.
const MAX_DECODED: u64 = 256 * 1024 * 1024;
/// Pictures decoded at once (each may hold [`MAX_DECODED`]), however many windows ask.
static DECODING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// What kind of preview an object gets, from its type and name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Text,
    Json,
    Csv,
    Image,
    Audio,
    Video,
    Pdf,
    /// Unknown: looked at as text when its first bytes are text.
    Unknown,
    /// Known and not previewable here (archives, office files, executables…).
    None,
}

/// Decides the kind from the Content-Type when it says something, else from the name.
pub fn kind_of(name: &str, content_type: Option<&str>) -> Kind {
    let said = content_type
        .map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|t| !t.is_empty() && !is_generic(t));
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") || lower.ends_with(".tsv") {
        return Kind::Csv;
    }
    let guessed = || {
        mime_guess::from_path(&lower)
            .first()
            .map(|m| m.essence_str().to_string())
    };
    match said.or_else(guessed) {
        Some(t) => kind_of_type(&t),
        None => Kind::Unknown,
    }
}

fn is_generic(content_type: &str) -> bool {
    matches!(
        content_type,
        "application/octet-stream" | "binary/octet-stream" | "application/x-download"
    )
}

fn kind_of_type(t: &str) -> Kind {
    let (top, sub) = t.split_once('/').unwrap_or((t, ""));
    match (top, sub) {
        ("image", "png" | "jpeg" | "gif" | "webp" | "bmp") => Kind::Image,
        // SVG is code: shown as text, never rendered (it can carry scripts).
        ("image", "svg+xml") => Kind::Text,
        ("audio", _) => Kind::Audio,
        ("video", _) => Kind::Video,
        ("application", "pdf") => Kind::Pdf,
        ("application", "json") => Kind::Json,
        ("application", s) if s.ends_with("+json") => Kind::Json,
        ("text", "csv" | "tab-separated-values") => Kind::Csv,
        ("text", _) => Kind::Text,
        (
            "application",
            "xml" | "javascript" | "x-javascript" | "x-sh" | "x-shellscript" | "toml" | "yaml"
            | "x-yaml" | "sql" | "x-httpd-php" | "x-python" | "x-perl" | "x-tex" | "x-ndjson",
        ) => Kind::Text,
        ("application", s) if s.ends_with("+xml") => Kind::Text,
        _ => Kind::None,
    }
}

/// A preview of one object.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    Text {
        text: String,
        /// The encoding it was read in (`UTF-8`, `windows-1252`, `UTF-16LE`…).
        encoding: &'static str,
        /// Only the first [`TEXT_BYTES`] are shown.
        truncated: bool,
        /// JSON pretty-printed (it was valid and whole).
        pretty: bool,
        /// Checked against the server's checksum (read whole, and the server gave one).
        verified: bool,
    },
    Table {
        rows: Vec<Vec<String>>,
        encoding: &'static str,
        truncated: bool,
        verified: bool,
    },
    Image {
        /// A PNG no larger than [`THUMBNAIL_PX`] on its longest side.
        png: Vec<u8>,
        width: u32,
        height: u32,
        /// The image's own size.
        source_width: u32,
        source_height: u32,
        verified: bool,
    },
    /// Played or shown by the web view from ranges [`read_range`] gives.
    Media { kind: Kind, content_type: String },
    /// Nothing to show: why (the UI shows the object's properties).
    None { reason: String },
}

/// Previews the object at `at`, whose details are `meta`.
pub async fn preview(at: &Resolved, meta: &ObjectMeta) -> Result<Preview> {
    if meta.key.is_folder() {
        return Ok(none("a folder has no preview"));
    }
    if meta.link_target.is_some() {
        return Ok(none("a link: its target is not opened from here"));
    }
    let name = meta.key.name();
    let kind = kind_of(name, meta.content_type.as_deref());
    match kind {
        Kind::Image if meta.size > IMAGE_BYTES => Ok(none(&format!(
            "the image is larger than {} MiB; open it instead",
            IMAGE_BYTES >> 20
        ))),
        Kind::Image => image(at, meta).await,
        Kind::Audio | Kind::Video | Kind::Pdf => Ok(Preview::Media {
            kind,
            content_type: media_type(kind, meta, name),
        }),
        Kind::None => Ok(none("this kind of file has no preview")),
        Kind::Text | Kind::Json | Kind::Csv | Kind::Unknown => text(at, meta, kind).await,
    }
}

fn none(reason: &str) -> Preview {
    Preview::None {
        reason: reason.to_string(),
    }
}

/// The type a player is told: the object's own, unless it only says "bytes".
fn media_type(kind: Kind, meta: &ObjectMeta, name: &str) -> String {
    meta.content_type
        .as_deref()
        .filter(|t| !is_generic(t))
        .map(str::to_string)
        .or_else(|| {
            mime_guess::from_path(name)
                .first()
                .map(|m| m.essence_str().to_string())
        })
        .unwrap_or_else(|| {
            match kind {
                Kind::Audio => "audio/mpeg",
                Kind::Pdf => "application/pdf",
                _ => "video/mp4",
            }
            .to_string()
        })
}

async fn text(at: &Resolved, meta: &ObjectMeta, kind: Kind) -> Result<Preview> {
    let truncated = meta.size > TEXT_BYTES;
    let (bytes, verified) = if truncated {
        (read(at, meta, Some(TEXT_BYTES)).await?, false)
    } else {
        read_verified(at, meta).await?
    };
    let Some((text, encoding)) = decode(&bytes, truncated) else {
        return Ok(none("binary content, not text"));
    };
    if kind == Kind::Csv
        && let Some(rows) = table(&text, meta.key.name(), truncated)
    {
        return Ok(Preview::Table {
            rows,
            encoding,
            truncated,
            verified,
        });
    }
    let pretty = (kind == Kind::Json && !truncated)
        .then(|| serde_json::from_str::<serde_json::Value>(&text).ok())
        .flatten()
        .and_then(|v| serde_json::to_string_pretty(&v).ok());
    Ok(Preview::Text {
        pretty: pretty.is_some(),
        text: pretty.unwrap_or(text),
        encoding,
        truncated,
        verified,
    })
}

/// Text from bytes: a byte-order mark decides; then UTF-8 (a character cut by the end of a
/// partial read is dropped); then the likeliest legacy encoding. `None` for binary content.
pub fn decode(bytes: &[u8], truncated: bool) -> Option<(String, &'static str)> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return Some((text.into_owned(), encoding.name()));
    }
    if let Some(encoding) = utf16_without_mark(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        return looks_like_text(&text).then(|| (text.into_owned(), encoding.name()));
    }
    if bytes.contains(&0) {
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => Some((text.to_string(), "UTF-8")),
        Err(e) if truncated && e.error_len().is_none() => Some((
            String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned(),
            "UTF-8",
        )),
        Err(_) => None,
    };
    let (text, encoding) = text.unwrap_or_else(|| {
        let mut detector = chardetng::EncodingDetector::new();
        detector.feed(bytes, !truncated);
        let encoding = detector.guess(None, true);
        let (text, _) = encoding.decode_without_bom_handling(bytes);
        (text.into_owned(), encoding.name())
    });
    looks_like_text(&text).then_some((text, encoding))
}

/// UTF-16 written without a byte-order mark: mostly Latin text has a zero in every other byte
/// (odd ones for little-endian), almost never in the others.
fn utf16_without_mark(bytes: &[u8]) -> Option<&'static encoding_rs::Encoding> {
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let pairs = sample.len() / 2;
    if pairs < 2 {
        return None;
    }
    let zeros = |offset: usize| {
        sample
            .iter()
            .skip(offset)
            .step_by(2)
            .filter(|&&b| b == 0)
            .count()
    };
    let (even, odd) = (zeros(0), zeros(1));
    if odd * 10 >= pairs * 7 && even * 20 <= pairs {
        Some(encoding_rs::UTF_16LE)
    } else if even * 10 >= pairs * 7 && odd * 20 <= pairs {
        Some(encoding_rs::UTF_16BE)
    } else {
        None
    }
}

/// Few control characters besides tab, line breaks, form feed and escape: a text, not a binary
/// that happens to hold no zero byte.
fn looks_like_text(text: &str) -> bool {
    let mut chars = 0usize;
    let mut control = 0usize;
    for c in text.chars().take(8192) {
        chars += 1;
        if c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c' | '\x1b') {
            control += 1;
        }
    }
    control * 20 <= chars
}

/// A CSV (or, named `.tsv` or tab-separated, TSV) as rows; `None` when it does not parse.
fn table(text: &str, name: &str, truncated: bool) -> Option<Vec<Vec<String>>> {
    let first = text.lines().next().unwrap_or("");
    let tabs = name.to_ascii_lowercase().ends_with(".tsv")
        || first.matches('\t').count() > first.matches(',').count();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(if tabs { b'\t' } else { b',' })
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.ok()?;
        rows.push(record.iter().map(str::to_string).collect());
        if rows.len() > TABLE_ROWS {
            break;
        }
    }
    // The last row of a partial read may be cut; the row past the cap is only a sign of more.
    if truncated || rows.len() > TABLE_ROWS {
        rows.pop();
    }
    Some(rows)
}

async fn image(at: &Resolved, meta: &ObjectMeta) -> Result<Preview> {
    let (bytes, verified) = read_verified(at, meta).await?;
    let _turn = DECODING
        .acquire()
        .await
        .map_err(|e| Error::Storage(StorageError::new(ErrorKind::Server, e.to_string())))?;
    let made = tokio::task::spawn_blocking(move || thumbnail(&bytes))
        .await
        .map_err(|e| Error::Storage(StorageError::new(ErrorKind::Server, e.to_string())))?;
    Ok(match made {
        Ok((png, (width, height), (source_width, source_height))) => Preview::Image {
            png,
            width,
            height,
            source_width,
            source_height,
            verified,
        },
        Err(reason) => Preview::None { reason },
    })
}

type Sides = (u32, u32);

/// A PNG of the picture no larger than [`THUMBNAIL_PX`], with its size and the picture's.
pub fn thumbnail(bytes: &[u8]) -> std::result::Result<(Vec<u8>, Sides, Sides), String> {
    let cannot = |e: image::ImageError| format!("the image cannot be read: {e}");
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| format!("the image cannot be read: {e}"))?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED);
    reader.limits(limits);
    let picture = reader.decode().map_err(cannot)?;
    let source = (picture.width(), picture.height());
    let small = if source.0 > THUMBNAIL_PX || source.1 > THUMBNAIL_PX {
        picture.thumbnail(THUMBNAIL_PX, THUMBNAIL_PX)
    } else {
        picture
    };
    let mut png = Vec::new();
    small
        .write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(cannot)?;
    Ok((png, (small.width(), small.height()), source))
}

/// The first `limit` bytes (or all) of the object.
async fn read(at: &Resolved, meta: &ObjectMeta, limit: Option<u64>) -> Result<Vec<u8>> {
    let range = match limit {
        Some(n) if n < meta.size => Some(ByteRange::new(0, Some(n))?),
        _ => None,
    };
    let got = at.backend.get(&at.key, range).await?;
    if !same_object(&got.meta, meta) {
        return Err(changed(at));
    }
    let cap = limit.unwrap_or(meta.size).min(meta.size);
    let mut bytes = Vec::with_capacity(cap as usize);
    got.body
        .take(cap)
        .read_to_end(&mut bytes)
        .await
        .map_err(StorageError::reading)?;
    Ok(bytes)
}

/// The whole object, checked against its ETag when that is an MD5 the bytes can be held to:
/// `true` when checked, `false` when the server gave nothing to check against.
async fn read_verified(at: &Resolved, meta: &ObjectMeta) -> Result<(Vec<u8>, bool)> {
    let bytes = read(at, meta, None).await?;
    if bytes.len() as u64 != meta.size {
        return Err(corrupt(
            at,
            &format!("{} bytes of {}", bytes.len(), meta.size),
        ));
    }
    let Some(etag) = meta.etag.as_deref().filter(|_| meta.etag_is_md5()) else {
        return Ok((bytes, false));
    };
    let part_size = if etag.contains('-') {
        at.backend.part_layout(&at.key).await?.map(|(_, size)| size)
    } else {
        None
    };
    let mut digest = StreamDigest::new(part_size);
    digest.update(&bytes);
    match digest.matches(etag) {
        Some(false) => Err(corrupt(at, "content that does not match its ETag")),
        checked => Ok((bytes, checked.is_some())),
    }
}

/// The object is not the one the preview began with (replaced meanwhile): not corruption.
fn changed(at: &Resolved) -> Error {
    Error::Storage(StorageError::new(
        ErrorKind::AlreadyExists,
        format!(
            "{:?} changed since its preview opened; open the preview again",
            at.key.as_str()
        ),
    ))
}

fn corrupt(at: &Resolved, what: &str) -> Error {
    StorageError::new(
        ErrorKind::Corrupt,
        format!(
            "reading {:?} from {} gave {what}",
            at.key.as_str(),
            at.backend.describe()
        ),
    )
    .into()
}

/// What a player gets for one range request.
#[derive(Debug, Clone, PartialEq)]
pub enum RangeAnswer {
    /// Bytes `start..=end` of `total`.
    Part {
        start: u64,
        end: u64,
        total: u64,
        bytes: Bytes,
    },
    /// The range asked for lies outside the object (HTTP 416).
    Unsatisfiable { total: u64 },
}

/// The bytes a player asked for with `range` (an HTTP `Range` header; none: from the start),
/// at most [`MEDIA_CHUNK`] at a time. The object must still be the one previewed (`pinned`, its
/// ETag then); a changed object is a conflict rather than a mix of two versions' bytes.
pub async fn read_range(
    at: &Resolved,
    pinned: &ObjectMeta,
    range: Option<&str>,
) -> Result<RangeAnswer> {
    let total = pinned.size;
    let Some((start, end)) = parse_range(range, total) else {
        return Ok(RangeAnswer::Unsatisfiable { total });
    };
    let end = end.min(start + MEDIA_CHUNK - 1);
    let got = at
        .backend
        .get(&at.key, Some(ByteRange::new(start, Some(end + 1))?))
        .await?;
    if !same_object(&got.meta, pinned) {
        return Err(changed(at));
    }
    let mut bytes = Vec::with_capacity((end - start + 1) as usize);
    got.body
        .take(end - start + 1)
        .read_to_end(&mut bytes)
        .await
        .map_err(StorageError::reading)?;
    if bytes.len() as u64 != end - start + 1 {
        return Err(corrupt(at, "fewer bytes than the range asked for"));
    }
    Ok(RangeAnswer::Part {
        start,
        end,
        total,
        bytes: bytes.into(),
    })
}

/// Whether a read's answer is of the object as it was pinned: the same ETag where the store
/// gives one, else (local files) the same size and modification time.
fn same_object(now: &ObjectMeta, pinned: &ObjectMeta) -> bool {
    match (&now.etag, &pinned.etag) {
        (Some(a), Some(b)) => a == b,
        _ => {
            now.size == pinned.size
                && (now.last_modified.is_none() || now.last_modified == pinned.last_modified)
        }
    }
}

/// The inclusive byte range an HTTP `Range` header asks for in an object of `total` bytes: one
/// range, `bytes=A-B`, `bytes=A-` or `bytes=-N`; no header is the whole. `None` when it cannot
/// be met. Several ranges at once are answered with the first (players ask for one).
pub fn parse_range(header: Option<&str>, total: u64) -> Option<(u64, u64)> {
    if total == 0 {
        return None;
    }
    let Some(header) = header else {
        return Some((0, total - 1));
    };
    let spec = header.trim().strip_prefix("bytes=")?;
    let first = spec.split(',').next()?.trim();
    let (a, b) = first.split_once('-')?;
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let n: u64 = b.parse().ok()?;
        return (n > 0).then(|| (total.saturating_sub(n), total - 1));
    }
    let start: u64 = a.parse().ok()?;
    let end = if b.is_empty() {
        total - 1
    } else {
        b.parse::<u64>().ok()?.min(total - 1)
    };
    (start <= end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_type_then_the_name() {
        assert_eq!(kind_of("a.png", None), Kind::Image);
        assert_eq!(kind_of("a.bin", Some("image/jpeg")), Kind::Image);
        assert_eq!(
            kind_of("a.png", Some("application/octet-stream")),
            Kind::Image
        );
        assert_eq!(kind_of("logo.svg", None), Kind::Text);
        assert_eq!(kind_of("data.json", None), Kind::Json);
        assert_eq!(kind_of("x", Some("application/ld+json")), Kind::Json);
        assert_eq!(kind_of("t.tsv", None), Kind::Csv);
        assert_eq!(kind_of("song.mp3", None), Kind::Audio);
        assert_eq!(kind_of("clip.mp4", None), Kind::Video);
        assert_eq!(kind_of("doc.pdf", None), Kind::Pdf);
        assert_eq!(kind_of("main.rs", None), Kind::Text);
        assert_eq!(kind_of("Makefile", None), Kind::Unknown);
        assert_eq!(kind_of("a.zip", None), Kind::None);
    }

    #[test]
    fn encodings_are_detected() {
        assert_eq!(decode("héllo".as_bytes(), false).unwrap().1, "UTF-8");
        let latin1 = b"Caf\xe9 cr\xe8me br\xfbl\xe9e, fran\xe7ais et \xe9t\xe9";
        let (text, encoding) = decode(latin1, false).unwrap();
        assert_eq!(encoding, "windows-1252");
        assert!(text.starts_with("Café crème"));
        let utf16: Vec<u8> = [0xff, 0xfe]
            .into_iter()
            .chain("hi".encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        assert_eq!(decode(&utf16, false).unwrap(), ("hi".into(), "UTF-16LE"));
        let bare: Vec<u8> = "no mark here"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(
            decode(&bare, false).unwrap(),
            ("no mark here".into(), "UTF-16BE")
        );
        assert!(decode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", false).is_none());
        // A read cut inside a character keeps what came before it.
        let cut = &"añb".as_bytes()[..2];
        assert_eq!(decode(cut, true).unwrap(), ("a".into(), "UTF-8"));
    }

    #[test]
    fn ranges_are_read_as_http_says() {
        assert_eq!(parse_range(None, 10), Some((0, 9)));
        assert_eq!(parse_range(Some("bytes=0-"), 10), Some((0, 9)));
        assert_eq!(parse_range(Some("bytes=2-4"), 10), Some((2, 4)));
        assert_eq!(parse_range(Some("bytes=5-100"), 10), Some((5, 9)));
        assert_eq!(parse_range(Some("bytes=-3"), 10), Some((7, 9)));
        assert_eq!(parse_range(Some("bytes=-30"), 10), Some((0, 9)));
        assert_eq!(parse_range(Some("bytes=10-"), 10), None);
        assert_eq!(parse_range(Some("bytes=4-2"), 10), None);
        assert_eq!(parse_range(Some("items=0-1"), 10), None);
        assert_eq!(parse_range(Some("bytes=0-"), 0), None);
    }

    #[test]
    fn a_large_picture_becomes_a_small_png() {
        let picture = image::RgbImage::from_pixel(3000, 1500, image::Rgb([200, 30, 30]));
        let mut jpeg = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
            .unwrap();
        let (png, small, source) = thumbnail(&jpeg).unwrap();
        assert_eq!(source, (3000, 1500));
        assert_eq!(small, (THUMBNAIL_PX, THUMBNAIL_PX / 2));
        assert!(png.starts_with(b"\x89PNG"));
        assert!(thumbnail(b"not a picture").is_err());
    }

    #[test]
    fn csv_rows_and_a_cut_last_row() {
        let rows = table("a,b\n1,\"x,y\"\n2,z", "t.csv", true).unwrap();
        assert_eq!(rows, vec![vec!["a", "b"], vec!["1", "x,y"]]);
        let tabs = table("a\tb\n1\t2\n", "t.txt", false).unwrap();
        assert_eq!(tabs[1], vec!["1", "2"]);
    }
}
