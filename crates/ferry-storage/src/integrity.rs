//! Proving that what arrived is what was sent: MD5 computed while the bytes stream past, S3
//! ETags (plain MD5 for single-part objects, MD5-of-MD5s plus `-N` for multipart), and the
//! hooks a journal uses to resume a multipart upload without sending finished parts again.

use md5::{Digest, Md5};

/// One finished part of a multipart upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DonePart {
    /// 1-based part number.
    pub number: i32,
    pub etag: String,
    /// The part's MD5, hex; composes the object's ETag.
    pub md5: String,
    /// CRC32 the server confirmed, when uploads carry flexible checksums.
    pub checksum_crc32: Option<String>,
    pub size: u64,
}

/// A multipart upload begun earlier, to be continued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MultipartState {
    pub upload_id: String,
    pub part_size: u64,
    pub parts: Vec<DonePart>,
}

/// Where a store reports multipart progress so that a crash loses no finished part. The
/// engine's journal implements it; calls come from upload tasks and must be quick.
pub trait MultipartLog: Send + Sync {
    /// An unfinished upload of this same object, if one was recorded.
    fn resume(&self) -> Option<MultipartState>;
    fn started(&self, upload_id: &str, part_size: u64);
    fn part_done(&self, part: &DonePart);
    /// The upload completed or was aborted: forget it.
    fn finished(&self);
    /// The upload is not to be continued, but the server would not abort it: keep it apart from
    /// the item (which begins anew) until an abort succeeds. Whether that was recorded.
    fn set_aside(&self) -> bool;
    /// A name for this item's uploads, recorded on the object ([`UPLOAD_METADATA`]), so that
    /// an object one of them completed is told from any other with the same bytes.
    fn tag(&self) -> Option<String> {
        None
    }
}

/// User metadata naming the item that uploaded an object (see [`MultipartLog::tag`]).
pub const UPLOAD_METADATA: &str = "ferry-upload";

/// Whether a server-side encryption (as S3 names it) makes ETags opaque rather than MD5s.
pub fn sse_hides_md5(sse: &str) -> bool {
    matches!(sse, "aws:kms" | "aws:kms:dsse")
}

/// User metadata Ferry records on its multipart uploads: the part size, so that a later download
/// can check the parts' MD5s against the ETag even where the server cannot say how the object
/// was split (no `partNumber` on HEAD, as on s3s-fs).
pub const PART_SIZE_METADATA: &str = "ferry-part-size";

/// Whether user metadata `key` is one of Ferry's notes on how an object's bytes were sent: true
/// of that object only, so a copy written another way does not inherit it.
pub fn is_ferry_metadata(key: &str) -> bool {
    key.eq_ignore_ascii_case(PART_SIZE_METADATA) || key.eq_ignore_ascii_case(UPLOAD_METADATA)
}

pub fn md5_hex(data: &[u8]) -> String {
    hex::encode(Md5::digest(data))
}

/// Content-MD5 header value (base64 of the raw digest).
pub fn md5_base64(hex_digest: &str) -> String {
    aws_smithy_types::base64::encode(hex::decode(hex_digest).unwrap_or_default())
}

/// The MD5 an ETag has the form of (32 hex digits, lowercased): a single-part object's, or a
/// part's, unless the server says SSE-KMS.
pub fn md5_of_etag(etag: &str) -> Option<String> {
    let etag = bare_etag(etag);
    (etag.len() == 32 && etag.chars().all(|c| c.is_ascii_hexdigit())).then(|| etag.to_lowercase())
}

/// The ETag S3 gives a multipart object: MD5 of the parts' binary MD5s, then `-count`.
pub fn multipart_etag(part_md5s: &[String]) -> String {
    let mut hasher = Md5::new();
    for part in part_md5s {
        hasher.update(hex::decode(part).unwrap_or_default());
    }
    format!("{}-{}", hex::encode(hasher.finalize()), part_md5s.len())
}

/// An ETag without its quotes.
pub fn bare_etag(etag: &str) -> &str {
    etag.trim_matches('"')
}

/// Streaming MD5 over a whole object and, when the part size is known, over each part, so a
/// multipart ETag can be checked without a second pass.
pub struct StreamDigest {
    whole: Md5,
    part_size: Option<u64>,
    part: Md5,
    in_part: u64,
    parts: Vec<String>,
}

impl StreamDigest {
    pub fn new(part_size: Option<u64>) -> Self {
        Self {
            whole: Md5::new(),
            part_size: part_size.filter(|&s| s > 0),
            part: Md5::new(),
            in_part: 0,
            parts: Vec::new(),
        }
    }

    pub fn update(&mut self, mut data: &[u8]) {
        self.whole.update(data);
        let Some(size) = self.part_size else { return };
        while !data.is_empty() {
            let room = (size - self.in_part) as usize;
            let take = room.min(data.len());
            self.part.update(&data[..take]);
            self.in_part += take as u64;
            data = &data[take..];
            if self.in_part == size {
                let done = std::mem::replace(&mut self.part, Md5::new());
                self.parts.push(hex::encode(done.finalize()));
                self.in_part = 0;
            }
        }
    }

    /// The MD5 of everything that streamed past, hex.
    pub fn hex(self) -> String {
        hex::encode(self.whole.finalize())
    }

    /// Whether `etag` matches what streamed past. `None` when the ETag is not an MD5 this
    /// digest can check (SSE-KMS, or a multipart ETag with an unknown part size).
    pub fn matches(mut self, etag: &str) -> Option<bool> {
        let etag = bare_etag(etag);
        match etag.split_once('-') {
            None if etag.len() == 32 => Some(hex::encode(self.whole.finalize()) == etag),
            None => None,
            Some((_, count)) => {
                self.part_size?;
                if self.in_part > 0 {
                    self.parts.push(hex::encode(self.part.finalize()));
                }
                if count.parse::<usize>().ok()? != self.parts.len() {
                    return Some(false);
                }
                Some(multipart_etag(&self.parts) == etag)
            }
        }
    }
}

/// Whether the recorded `parts` are still the bytes of the file (from `offset`, `len` bytes):
/// a file edited since its upload began, even to the same size, must not be finished with parts
/// of its earlier content. Reads only the recorded parts' ranges.
pub fn file_parts_match(
    path: &std::path::Path,
    offset: u64,
    len: u64,
    part_size: u64,
    parts: &[DonePart],
) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut file) = std::fs::File::open(path) else {
        return false;
    };
    if file.metadata().map(|m| m.len()).ok() != Some(offset + len) {
        return false;
    }
    let mut buf = vec![0u8; 1024 * 1024];
    parts.iter().all(|part| {
        let start = (part.number.max(1) as u64 - 1) * part_size;
        let size = part_size.min(len.saturating_sub(start));
        if start >= len || part.size != size {
            return false;
        }
        if file.seek(SeekFrom::Start(offset + start)).is_err() {
            return false;
        }
        let mut digest = Md5::new();
        let mut left = size;
        while left > 0 {
            let want = left.min(buf.len() as u64) as usize;
            if file.read_exact(&mut buf[..want]).is_err() {
                return false;
            }
            digest.update(&buf[..want]);
            left -= want as u64;
        }
        hex::encode(digest.finalize()) == part.md5
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_md5_is_base64() {
        // RFC 1864's example digest of "" is 1B2M2Y8AsgTpgAmY7PhCfg==.
        assert_eq!(md5_base64(&md5_hex(b"")), "1B2M2Y8AsgTpgAmY7PhCfg==");
    }

    #[test]
    fn streaming_digest_checks_both_etag_kinds() {
        let data: Vec<u8> = (0..25u32).map(|i| i as u8).collect();
        let mut single = StreamDigest::new(None);
        single.update(&data[..7]);
        single.update(&data[7..]);
        assert_eq!(
            single.matches(&format!("\"{}\"", md5_hex(&data))),
            Some(true)
        );

        let parts: Vec<String> = data.chunks(10).map(md5_hex).collect();
        let etag = multipart_etag(&parts);
        assert!(etag.ends_with("-3"));
        let mut multi = StreamDigest::new(Some(10));
        for byte in data.chunks(3) {
            multi.update(byte);
        }
        assert_eq!(multi.matches(&etag), Some(true));
        let mut wrong = StreamDigest::new(Some(10));
        wrong.update(&data[1..]);
        assert_eq!(wrong.matches(&etag), Some(false));
        assert_eq!(
            StreamDigest::new(None).matches(&etag),
            None,
            "unknown part size: cannot tell"
        );
    }

    #[test]
    fn recorded_parts_are_checked_against_the_file_as_it_is_now() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.bin");
        let data: Vec<u8> = (0..25u32).map(|i| (i * 7) as u8).collect();
        std::fs::write(&path, [b"head".as_slice(), &data].concat()).unwrap();
        let part = |number: i32, range: std::ops::Range<usize>| DonePart {
            number,
            etag: String::new(),
            md5: md5_hex(&data[range.clone()]),
            checksum_crc32: None,
            size: range.len() as u64,
        };
        let recorded = [part(1, 0..10), part(3, 20..25)];
        assert!(file_parts_match(&path, 4, 25, 10, &recorded));

        let mut edited = data.clone();
        edited[22] ^= 1;
        std::fs::write(&path, [b"head".as_slice(), &edited].concat()).unwrap();
        assert!(
            !file_parts_match(&path, 4, 25, 10, &recorded),
            "same size, one byte changed in a recorded part"
        );
        assert!(
            file_parts_match(&path, 4, 25, 10, &recorded[..1]),
            "the change is outside part 1"
        );
        std::fs::write(&path, [b"head".as_slice(), &data[..24]].concat()).unwrap();
        assert!(
            !file_parts_match(&path, 4, 25, 10, &recorded[..1]),
            "shorter now"
        );
        assert!(!file_parts_match(
            &dir.path().join("gone"),
            4,
            25,
            10,
            &recorded
        ));
    }
}
