//! A bandwidth limit shared by every transfer in one direction: a token bucket that bytes are
//! charged to after they move, and that makes the mover wait until the rate is kept. Changing
//! the rate takes effect at the next charge, so a limit can be changed while jobs run.

use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

/// How long a burst at full speed the bucket allows: short enough that the rate holds over
/// any second, long enough that a 1 MiB piece does not wait for each byte.
const BURST: Duration = Duration::from_millis(250);

/// The limits of both directions.
#[derive(Debug, Clone, Default)]
pub struct BandwidthLimits {
    /// Bytes sent to a server.
    pub up: Bandwidth,
    /// Bytes received from one.
    pub down: Bandwidth,
}

/// A limit in bytes per second (0: none), shared by clones.
#[derive(Clone, Default)]
pub struct Bandwidth(Arc<Inner>);

#[derive(Default)]
struct Inner {
    rate: AtomicU64,
    /// Bytes charged, limited or not: what passed through this limit.
    charged: AtomicU64,
    bucket: Mutex<Bucket>,
}

#[derive(Default)]
struct Bucket {
    /// Bytes that may move now; negative: owed, to be waited for.
    tokens: f64,
    last: Option<Instant>,
}

impl Bandwidth {
    pub fn new(bytes_per_second: u64) -> Self {
        let bandwidth = Self::default();
        bandwidth.set_rate(bytes_per_second);
        bandwidth
    }

    /// Bytes per second; 0 removes the limit.
    pub fn rate(&self) -> u64 {
        self.0.rate.load(Ordering::Relaxed)
    }

    pub fn set_rate(&self, bytes_per_second: u64) {
        self.0.rate.store(bytes_per_second, Ordering::Relaxed);
    }

    /// Bytes that went through this limit so far.
    pub fn charged(&self) -> u64 {
        self.0.charged.load(Ordering::Relaxed)
    }

    /// Charges `bytes` that have just moved; answers how long to wait before moving more.
    pub fn charge(&self, bytes: u64) -> Duration {
        self.0.charged.fetch_add(bytes, Ordering::Relaxed);
        let rate = self.rate();
        if rate == 0 || bytes == 0 {
            return Duration::ZERO;
        }
        let rate = rate as f64;
        let burst = rate * BURST.as_secs_f64();
        let now = Instant::now();
        let mut bucket = self.0.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let refill = bucket
            .last
            .map_or(burst, |then| now.duration_since(then).as_secs_f64() * rate);
        bucket.tokens = (bucket.tokens + refill).min(burst) - bytes as f64;
        bucket.last = Some(now);
        if bucket.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-bucket.tokens / rate)
        }
    }

    /// Charges `bytes` and waits as long as the limit says.
    pub async fn throttle(&self, bytes: u64) {
        let wait = self.charge(bytes);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

impl std::fmt::Debug for Bandwidth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bandwidth({} B/s)", self.rate())
    }
}

/// Something that reads, slowed to a [`Bandwidth`]: each read is charged, and the next read
/// waits out what it owes.
pub struct Throttled<R> {
    inner: R,
    bandwidth: Bandwidth,
    wait: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<R> Throttled<R> {
    pub fn new(inner: R, bandwidth: Bandwidth) -> Self {
        Self {
            inner,
            bandwidth,
            wait: None,
        }
    }

    /// Waits out what earlier reads owe; `Pending` while it does.
    fn poll_owed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if let Some(wait) = &mut self.wait {
            std::task::ready!(wait.as_mut().poll(cx));
            self.wait = None;
        }
        Poll::Ready(())
    }

    fn owe(&mut self, bytes: u64) {
        let wait = self.bandwidth.charge(bytes);
        if !wait.is_zero() {
            self.wait = Some(Box::pin(tokio::time::sleep(wait)));
        }
    }
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Throttled<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        std::task::ready!(this.poll_owed(cx));
        let before = buf.filled().len();
        std::task::ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        this.owe((buf.filled().len() - before) as u64);
        Poll::Ready(Ok(()))
    }
}

impl<B> http_body::Body for Throttled<B>
where
    B: http_body::Body + Unpin,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        use bytes::Buf;
        let this = self.get_mut();
        std::task::ready!(this.poll_owed(cx));
        let frame = std::task::ready!(Pin::new(&mut this.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame
            && let Some(data) = frame.data_ref()
        {
            this.owe(data.remaining() as u64);
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// An upload body slowed to `bandwidth`, retryable as the body it wraps is (the SDK sends a
/// body again on a retry).
pub(crate) fn throttle_body(
    body: aws_smithy_types::body::SdkBody,
    bandwidth: &Bandwidth,
) -> aws_smithy_types::body::SdkBody {
    use aws_smithy_types::body::SdkBody;
    // Wrapped even when there is no limit now: one may be set while the body is sent.
    let bandwidth = bandwidth.clone();
    match body.try_clone() {
        Some(_) => SdkBody::retryable(move || {
            let again = body
                .try_clone()
                .expect("a body that could be cloned once can be cloned again");
            SdkBody::from_body_1_x(Throttled::new(again, bandwidth.clone()))
        }),
        None => SdkBody::from_body_1_x(Throttled::new(body, bandwidth)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_limit_never_waits() {
        let bandwidth = Bandwidth::new(0);
        assert_eq!(bandwidth.charge(u64::MAX / 2), Duration::ZERO);
    }

    #[test]
    fn a_charge_past_the_burst_waits_for_what_it_owes() {
        let bandwidth = Bandwidth::new(1000);
        // The first charge finds a full burst (250 bytes at 1,000 B/s).
        assert_eq!(bandwidth.charge(250), Duration::ZERO);
        // 1,000 more bytes than the bucket holds: about a second, less what refilled since.
        let wait = bandwidth.charge(1000);
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
    }

    #[test]
    fn a_rate_set_to_zero_lifts_the_limit_at_once() {
        let bandwidth = Bandwidth::new(10);
        assert!(!bandwidth.charge(1000).is_zero());
        bandwidth.set_rate(0);
        assert_eq!(bandwidth.charge(1000), Duration::ZERO);
    }
}
