//! An HTTP proxy on 127.0.0.1 between Ferry and a test server that counts requests and can
//! answer some of them itself (503 SlowDown) or alter the server's answer (a wrong ETag). Each
//! request goes upstream on a fresh connection; responses keep their own framing.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Whether the proxy answered it itself instead of forwarding.
    pub refused: bool,
}

/// What to do with the n-th request (counting from 1).
pub enum Action {
    Forward,
    /// Answer 503 SlowDown without forwarding.
    SlowDown,
    /// Forward, then replace the ETag header of the answer.
    ForwardWithEtag(String),
}

type Rule = dyn Fn(usize, &str, &str) -> Action + Send + Sync;

pub struct Proxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`) applying `rule(n, method, target)`.
    pub async fn start(
        upstream: &str,
        rule: impl Fn(usize, &str, &str) -> Action + Send + Sync + 'static,
    ) -> Proxy {
        let upstream = upstream.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let rule: Arc<Rule> = Arc::new(rule);
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, rule, log, count) =
                    (upstream.clone(), rule.clone(), log.clone(), count.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, rule.as_ref(), &log, &count).await;
                });
            }
        });
        Proxy { url, seen }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    pub fn clear(&self) {
        self.seen.lock().unwrap().clear();
    }
}

async fn serve(
    client: TcpStream,
    upstream: &str,
    rule: &Rule,
    log: &Mutex<Vec<Seen>>,
    count: &AtomicUsize,
) -> std::io::Result<()> {
    let mut client = BufReader::new(client);
    loop {
        let Some((head, body)) = read_message(&mut client, false).await? else {
            return Ok(());
        };
        let first = head.lines().next().unwrap_or_default().to_string();
        let mut words = first.split_whitespace();
        let method = words.next().unwrap_or_default().to_string();
        let target = words.next().unwrap_or_default().to_string();
        let n = count.fetch_add(1, Ordering::SeqCst) + 1;
        let action = rule(n, &method, &target);
        log.lock().unwrap().push(Seen {
            method: method.clone(),
            target: target.clone(),
            refused: matches!(action, Action::SlowDown),
        });
        let response = match action {
            Action::SlowDown => {
                let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                format!(
                    "HTTP/1.1 503 Slow Down\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                )
                .into_bytes()
            }
            Action::Forward | Action::ForwardWithEtag(_) => {
                let mut up = BufReader::new(TcpStream::connect(upstream).await?);
                up.get_mut().write_all(head.as_bytes()).await?;
                up.get_mut().write_all(&body).await?;
                let Some((rhead, rbody)) = read_message(&mut up, method == "HEAD").await? else {
                    return Ok(());
                };
                let rhead = match &action {
                    Action::ForwardWithEtag(etag) => replace_header(&rhead, "etag", etag),
                    _ => rhead,
                };
                let mut out = rhead.into_bytes();
                out.extend_from_slice(&rbody);
                out
            }
        };
        client.get_mut().write_all(&response).await?;
    }
}

fn replace_header(head: &str, name: &str, value: &str) -> String {
    head.split("\r\n")
        .map(|line| match line.split_once(':') {
            Some((k, _)) if k.eq_ignore_ascii_case(name) => format!("{k}: {value}"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

/// Reads one HTTP message: its head (through the blank line) and its body as framed on the
/// wire (Content-Length, chunked, or until close). `None` at a clean end of stream.
async fn read_message(
    stream: &mut BufReader<TcpStream>,
    no_body: bool,
) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if stream.read_line(&mut line).await? == 0 {
            return Ok(None);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let status_has_no_body = head.starts_with("HTTP/")
        && matches!(
            head.split_whitespace().nth(1),
            Some("204") | Some("304") | Some("100")
        );
    let mut body = Vec::new();
    if no_body || status_has_no_body {
        return Ok(Some((head, body)));
    }
    if let Some(len) = header("content-length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(len, 0);
        stream.read_exact(&mut body).await?;
    } else if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size_line = String::new();
            stream.read_line(&mut size_line).await?;
            body.extend_from_slice(size_line.as_bytes());
            let size = usize::from_str_radix(size_line.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if size == 0 {
                // Trailers, then the final blank line.
                loop {
                    let mut trailer = String::new();
                    stream.read_line(&mut trailer).await?;
                    body.extend_from_slice(trailer.as_bytes());
                    if trailer == "\r\n" || trailer.is_empty() {
                        break;
                    }
                }
                break;
            }
            let mut chunk = vec![0; size + 2];
            stream.read_exact(&mut chunk).await?;
            body.extend_from_slice(&chunk);
        }
    } else if head.starts_with("HTTP/") {
        stream.read_to_end(&mut body).await?;
    }
    Ok(Some((head, body)))
}
