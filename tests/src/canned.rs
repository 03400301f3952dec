//! A tiny HTTP server on 127.0.0.1 that answers every request with a fixed S3 response chosen
//! by method. It produces the answers the real test servers cannot (clock skew, a bucket in
//! another region, a refused list), so the error mapping is tested over real HTTP.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

#[derive(Clone, Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Bytes, not text: a hostile server may send invalid UTF-8.
    pub body: Vec<u8>,
}

impl Answer {
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self {
            status,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>{code}</Code><Message>{message}</Message></Error>"
            )
            .into_bytes(),
        }
    }

    pub fn ok(body: &str) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), "application/xml".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

pub const EMPTY_LISTING: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListBucketResult><Name>b</Name><Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>";
pub const DELETED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><DeleteResult></DeleteResult>";

/// Serves until the test ends; returns the endpoint URL. `answer` picks by HTTP method and
/// request target.
pub async fn serve(answer: impl Fn(&str, &str) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let answer = std::sync::Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let Some((method, target)) = read_request(&mut socket).await else {
                    return;
                };
                let a = answer(&method, &target);
                let mut response = format!("HTTP/1.1 {} Canned\r\nconnection: close\r\n", a.status);
                // An answer to HEAD names its object's length itself.
                if !a
                    .headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                {
                    response.push_str(&format!("content-length: {}\r\n", a.body.len()));
                }
                for (k, v) in &a.headers {
                    response.push_str(&format!("{k}: {v}\r\n"));
                }
                response.push_str("\r\n");
                let mut bytes = response.into_bytes();
                bytes.extend_from_slice(&a.body);
                let _ = socket.write_all(&bytes).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    url
}

/// Reads one request (head and body) and returns its method and target.
async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<(String, String)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let mut first = head.lines().next()?.split_whitespace();
    Some((first.next()?.to_string(), first.next()?.to_string()))
}
