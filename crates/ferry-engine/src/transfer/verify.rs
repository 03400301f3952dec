//! A reader that checks, as the last byte passes, that the bytes were the ones announced: the
//! length always, and the MD5 whenever the source's ETag is one. A mismatch fails the read, so
//! the destination's atomic write never commits a damaged file.

use std::pin::Pin;
use std::task::{Context, Poll};

use ferry_storage::Reader;
use ferry_storage::integrity::StreamDigest;
use tokio::io::{AsyncRead, ReadBuf};

use super::progress::Meter;

pub struct VerifyingReader {
    inner: Reader,
    digest: Option<StreamDigest>,
    expected_etag: Option<String>,
    expected_len: u64,
    read: u64,
    progress: Meter,
    source: String,
}

impl VerifyingReader {
    pub fn new(
        inner: Reader,
        expected_len: u64,
        expected_etag: Option<String>,
        part_size: Option<u64>,
        progress: Meter,
        source: String,
    ) -> Self {
        Self {
            inner,
            digest: Some(StreamDigest::new(part_size)),
            expected_etag,
            expected_len,
            read: 0,
            progress,
            source,
        }
    }

    fn check(&mut self) -> std::io::Result<()> {
        if self.read != self.expected_len {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!(
                    "{} ended after {} of {} bytes",
                    self.source, self.read, self.expected_len
                ),
            ));
        }
        if let (Some(digest), Some(etag)) = (self.digest.take(), &self.expected_etag)
            && digest.matches(etag) == Some(false)
        {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "checksum mismatch: the bytes read from {} do not match its ETag {etag}",
                    self.source
                ),
            ));
        }
        Ok(())
    }
}

impl AsyncRead for VerifyingReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                let data = &buf.filled()[before..];
                let n = data.len();
                if n == 0 {
                    return Poll::Ready(self.check());
                }
                if let Some(digest) = self.digest.as_mut() {
                    digest.update(data);
                }
                self.read += n as u64;
                self.progress.advance(n as u64);
                if self.read > self.expected_len {
                    return Poll::Ready(self.check());
                }
                Poll::Ready(Ok(()))
            }
            other => other,
        }
    }
}
