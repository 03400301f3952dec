//! The CRCs S3 keeps for objects (`x-amz-checksum-crc32`, `-crc32c`, `-crc64nvme`): checking a
//! download against one costs a small fraction of an MD5 (SIMD CRCs run at several GB/s, MD5 at
//! ~0.6 GB/s on one core), and CRCs of consecutive ranges combine, so ranges read in parallel
//! are checked in parallel too.
//!
//! Two kinds exist. A *full-object* checksum is the CRC of every byte. A *composite* one
//! (`…-N`, what a multipart upload gets by default for CRC32/CRC32C) is the CRC of the parts'
//! CRCs, each as big-endian bytes; checking it needs the object split exactly at its parts.

use crc_fast::CrcAlgorithm;
use serde::Serialize;

/// A CRC algorithm S3 offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CrcKind {
    Crc32,
    Crc32c,
    Crc64Nvme,
}

impl CrcKind {
    fn algorithm(self) -> CrcAlgorithm {
        match self {
            CrcKind::Crc32 => CrcAlgorithm::Crc32IsoHdlc,
            CrcKind::Crc32c => CrcAlgorithm::Crc32Iscsi,
            CrcKind::Crc64Nvme => CrcAlgorithm::Crc64Nvme,
        }
    }

    /// Bytes of the CRC as S3 prints it (big-endian, base64).
    fn width(self) -> usize {
        match self {
            CrcKind::Crc32 | CrcKind::Crc32c => 4,
            CrcKind::Crc64Nvme => 8,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CrcKind::Crc32 => "CRC32",
            CrcKind::Crc32c => "CRC32C",
            CrcKind::Crc64Nvme => "CRC64NVME",
        }
    }

    fn bytes(self, crc: u64) -> Vec<u8> {
        crc.to_be_bytes()[8 - self.width()..].to_vec()
    }
}

/// A checksum the server keeps for an object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerChecksum {
    pub kind: CrcKind,
    pub crc: u64,
    /// Composite: the CRC of this many parts' CRCs. `None`: the CRC of the whole object.
    pub parts: Option<u32>,
}

impl ServerChecksum {
    /// Reads a header value: base64 of the CRC, with `-N` for a composite one. `checksum_type`
    /// is `x-amz-checksum-type` when the server sent it; `multipart`, whether the object's ETag
    /// says it was uploaded in parts. A value that does not parse, a composite without a part
    /// count, or a multipart object's checksum that is neither marked composite (`-N`) nor
    /// stated to be `FULL_OBJECT` is `None` — the download is then checked by MD5: a server
    /// found printing a composite CRC without its `-N` would otherwise fail every good download.
    pub fn parse(
        kind: CrcKind,
        value: &str,
        checksum_type: Option<&str>,
        multipart: bool,
    ) -> Option<Self> {
        let stated_full = checksum_type.is_some_and(|t| t.eq_ignore_ascii_case("FULL_OBJECT"));
        let (encoded, parts) = match value.rsplit_once('-') {
            Some((encoded, n)) => (encoded, Some(n.parse::<u32>().ok().filter(|&n| n > 0)?)),
            None => (value, None),
        };
        if parts.is_none() && checksum_type.is_some_and(|t| t.eq_ignore_ascii_case("COMPOSITE")) {
            // A composite checksum of an unknown number of parts cannot be checked.
            return None;
        }
        if multipart && parts.is_none() && !stated_full {
            return None;
        }
        let raw = aws_smithy_types::base64::decode(encoded).ok()?;
        if raw.len() != kind.width() {
            return None;
        }
        let crc = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        Some(Self { kind, crc, parts })
    }

    /// As S3 prints it, for messages.
    pub fn display(&self) -> String {
        let encoded = aws_smithy_types::base64::encode(self.kind.bytes(self.crc));
        match self.parts {
            Some(n) => format!("{} {encoded}-{n}", self.kind.name()),
            None => format!("{} {encoded}", self.kind.name()),
        }
    }

    /// Whether the CRCs of consecutive ranges — `(crc, length)` in order, splitting the object
    /// at its parts when the checksum is composite — make this checksum.
    pub fn matches(&self, ranges: &[(u64, u64)]) -> bool {
        self.of(ranges) == Some(self.crc)
    }

    /// What the ranges make, in this checksum's kind; `None` when a composite checksum names
    /// another number of parts than there are ranges.
    pub fn of(&self, ranges: &[(u64, u64)]) -> Option<u64> {
        match self.parts {
            Some(n) => {
                if ranges.len() != n as usize {
                    return None;
                }
                let mut whole = Crc::new(self.kind);
                for (crc, _) in ranges {
                    whole.update(&self.kind.bytes(*crc));
                }
                Some(whole.finish())
            }
            None => Some(combine(self.kind, ranges)),
        }
    }
}

/// The CRC of consecutive ranges from theirs: `(crc, length)` in order.
pub fn combine(kind: CrcKind, ranges: &[(u64, u64)]) -> u64 {
    let empty = Crc::new(kind).finish();
    ranges.iter().fold(empty, |acc, &(crc, len)| {
        crc_fast::checksum_combine(kind.algorithm(), acc, crc, len)
    })
}

/// A CRC computed as the bytes stream past.
#[derive(Clone)]
pub struct Crc {
    digest: crc_fast::Digest,
}

impl Crc {
    pub fn new(kind: CrcKind) -> Self {
        Self {
            digest: crc_fast::Digest::new(kind.algorithm()),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.digest.update(data);
    }

    pub fn finish(&self) -> u64 {
        self.digest.finalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn crc(kind: CrcKind, data: &[u8]) -> u64 {
        let mut c = Crc::new(kind);
        c.update(data);
        c.finish()
    }

    #[test]
    fn known_values() {
        // The check values of the three catalogued CRCs ("123456789").
        assert_eq!(crc(CrcKind::Crc32, b"123456789"), 0xcbf4_3926);
        assert_eq!(crc(CrcKind::Crc32c, b"123456789"), 0xe306_9283);
        assert_eq!(crc(CrcKind::Crc64Nvme, b"123456789"), 0xae8b_1486_0a79_9888);
    }

    #[test]
    fn parses_what_s3_prints() {
        // CRC32 of "hello world" as the AWS docs print it.
        let full = ServerChecksum::parse(CrcKind::Crc32, "DUoRhQ==", None, false).unwrap();
        assert_eq!(
            full.crc,
            u64::from(crc(CrcKind::Crc32, b"hello world") as u32)
        );
        assert_eq!(full.parts, None);
        assert_eq!(full.display(), "CRC32 DUoRhQ==");
        let composite =
            ServerChecksum::parse(CrcKind::Crc32, "DUoRhQ==-3", Some("COMPOSITE"), true);
        assert_eq!(composite.unwrap().parts, Some(3));
        for bad in [
            "",
            "DUoRhQ==-",
            "DUoRhQ==-0",
            "DUoRhQ==-x",
            "not base64!",
            "AAAAAAAAAAA=",
        ] {
            assert_eq!(
                ServerChecksum::parse(CrcKind::Crc32, bad, None, false),
                None,
                "{bad:?}"
            );
        }
        let parse =
            |value, t, multipart| ServerChecksum::parse(CrcKind::Crc32, value, t, multipart);
        assert_eq!(parse("DUoRhQ==", Some("COMPOSITE"), false), None);
        // A multipart object's checksum is whole-object only when the server says so.
        assert_eq!(parse("DUoRhQ==", None, true), None, "found on moto");
        assert_eq!(
            parse("DUoRhQ==", Some("FULL_OBJECT"), true).unwrap().parts,
            None
        );
    }

    #[test]
    fn a_composite_checksum_needs_its_parts() {
        let parts: Vec<&[u8]> = vec![b"first part", b"second", b"3"];
        let ranges: Vec<_> = parts
            .iter()
            .map(|p| (crc(CrcKind::Crc32c, p), p.len() as u64))
            .collect();
        let mut of_crcs = Crc::new(CrcKind::Crc32c);
        for (c, _) in &ranges {
            of_crcs.update(&(*c as u32).to_be_bytes());
        }
        let want = ServerChecksum {
            kind: CrcKind::Crc32c,
            crc: of_crcs.finish(),
            parts: Some(3),
        };
        assert!(want.matches(&ranges));
        assert!(!want.matches(&ranges[..2]), "another part count");
        let mut swapped = ranges.clone();
        swapped.swap(0, 1);
        assert!(!want.matches(&swapped), "parts in another order");
    }

    proptest! {
        /// Any split of any bytes into ranges combines to the CRC of the whole, and a flipped
        /// bit anywhere does not.
        #[test]
        fn ranges_combine_to_the_whole(
            data in proptest::collection::vec(any::<u8>(), 1..4096),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..6),
            flip in any::<prop::sample::Index>(),
            bit in 0u8..8,
        ) {
            for kind in [CrcKind::Crc32, CrcKind::Crc32c, CrcKind::Crc64Nvme] {
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(data.len())).collect();
                at.extend([0, data.len()]);
                at.sort_unstable();
                at.dedup();
                let ranges = |bytes: &[u8]| -> Vec<(u64, u64)> {
                    at.windows(2)
                        .map(|w| (crc(kind, &bytes[w[0]..w[1]]), (w[1] - w[0]) as u64))
                        .collect()
                };
                let whole = ServerChecksum { kind, crc: crc(kind, &data), parts: None };
                prop_assert!(whole.matches(&ranges(&data)));
                let mut damaged = data.clone();
                damaged[flip.index(data.len())] ^= 1 << bit;
                prop_assert!(!whole.matches(&ranges(&damaged)));
            }
        }
    }
}
