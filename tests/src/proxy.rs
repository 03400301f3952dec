//! A fault proxy on 127.0.0.1 between Ferry and a test server. It counts requests and, as a rule
//! decides per request, forwards them, answers them itself (500, 503 SlowDown), delays them,
//! stalls or resets the connection, or alters the server's answer (a wrong ETag, a cut, truncated
//! or garbled body). Each request goes upstream on a fresh connection; answers keep their own
//! framing unless a fault breaks it on purpose.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// Whether the proxy answered it itself instead of forwarding.
    pub refused: bool,
    /// Whether the proxy broke or altered the exchange (any action but `Forward`).
    pub fault: bool,
    /// The request's `Authorization` header (which names the access key id that signed it).
    pub authorization: Option<String>,
}

/// What to do with the n-th request (counting from 1).
#[derive(Debug, Clone)]
pub enum Action {
    Forward,
    /// Answer 503 SlowDown without forwarding.
    SlowDown,
    /// Answer 500 InternalError without forwarding.
    InternalError,
    /// Answer 403 AccessDenied without forwarding (a policy that refuses this request).
    AccessDenied,
    /// Forward, then replace the ETag header of the answer.
    ForwardWithEtag(String),
    /// Wait, then forward.
    Delay(Duration),
    /// Take the request and never answer; the connection stays open until the client leaves.
    Stall,
    /// Take the request, then reset the connection (TCP RST) without answering.
    Reset,
    /// Forward, then pass on only the first `n` bytes of the answer (head included) and close.
    CutAfter(usize),
    /// Forward, then send the head and half of the body and close: the body is shorter than
    /// its Content-Length says.
    Truncate,
    /// Forward, then replace every byte of the body with other bytes of the same length.
    Malform,
    /// Forward, then answer as AWS does for an object under SSE-KMS (which a bucket may apply
    /// by default): an `x-amz-server-side-encryption: aws:kms` header and ETags (in the head and
    /// in a CompleteMultipartUpload body) that are not the MD5s of the bytes.
    ForwardAsKms,
    /// Answer 200 with this XML body without forwarding (a hostile or broken server's answer).
    Answer(String),
}

impl Action {
    fn is_fault(&self) -> bool {
        !matches!(self, Action::Forward)
    }
}

type Rule = dyn Fn(usize, &str, &str) -> Action + Send + Sync;

#[derive(Default)]
struct Log {
    seen: Vec<Seen>,
    upload_ids: Vec<(String, String)>,
}

pub struct Proxy {
    pub url: String,
    log: Arc<Mutex<Log>>,
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
        let log = Arc::new(Mutex::new(Log::default()));
        let count = Arc::new(AtomicUsize::new(0));
        let rule: Arc<Rule> = Arc::new(rule);
        let shared = log.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, rule, log, count) = (
                    upstream.clone(),
                    rule.clone(),
                    shared.clone(),
                    count.clone(),
                );
                tokio::spawn(async move {
                    let _ = serve(client, &upstream, rule.as_ref(), &log, &count).await;
                });
            }
        });
        Proxy { url, log }
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().seen.clone()
    }

    /// How many requests the proxy broke or altered.
    pub fn faults(&self) -> usize {
        self.log
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.fault)
            .count()
    }

    /// (key target, upload id) of every multipart upload the server started through the proxy.
    pub fn upload_ids(&self) -> Vec<(String, String)> {
        self.log.lock().unwrap().upload_ids.clone()
    }

    pub fn clear(&self) {
        let mut log = self.log.lock().unwrap();
        log.seen.clear();
        log.upload_ids.clear();
    }
}

const SLOW_DOWN: (&str, &str) = (
    "503 Slow Down",
    "<Code>SlowDown</Code><Message>Please reduce your request rate.</Message>",
);
const DENIED: (&str, &str) = (
    "403 Forbidden",
    "<Code>AccessDenied</Code><Message>Access Denied</Message>",
);

const INTERNAL: (&str, &str) = (
    "500 Internal Server Error",
    "<Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message>",
);

fn error_answer((status, inner): (&str, &str)) -> Vec<u8> {
    let body = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error>{inner}</Error>");
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

async fn serve(
    client: TcpStream,
    upstream: &str,
    rule: &Rule,
    log: &Mutex<Log>,
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
        log.lock().unwrap().seen.push(Seen {
            method: method.clone(),
            target: target.clone(),
            refused: matches!(
                action,
                Action::SlowDown
                    | Action::InternalError
                    | Action::AccessDenied
                    | Action::Stall
                    | Action::Reset
            ),
            fault: action.is_fault(),
            authorization: header(&head, "authorization"),
        });
        let response = match action {
            Action::SlowDown => error_answer(SLOW_DOWN),
            Action::InternalError => error_answer(INTERNAL),
            Action::AccessDenied => error_answer(DENIED),
            Action::Answer(body) => format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
            Action::Stall => {
                // Hold the connection until the client gives up on it.
                let mut sink = Vec::new();
                let _ = client.read_to_end(&mut sink).await;
                return Ok(());
            }
            Action::Reset => {
                client.get_ref().set_zero_linger()?;
                return Ok(());
            }
            Action::Delay(wait) => {
                tokio::time::sleep(wait).await;
                forward(upstream, &head, &body, &method, log).await?
            }
            Action::Forward => forward(upstream, &head, &body, &method, log).await?,
            Action::ForwardWithEtag(etag) => {
                let (rhead, rbody) = forward_parts(upstream, &head, &body, &method, log).await?;
                join(replace_header(&rhead, "etag", &etag), rbody)
            }
            Action::ForwardAsKms => {
                let (rhead, rbody) = forward_parts(upstream, &head, &body, &method, log).await?;
                let etag = header(&rhead, "etag").map(|e| opaque_etag(&e));
                let mut rhead = match etag {
                    Some(etag) => replace_header(&rhead, "etag", &etag),
                    None => rhead,
                };
                if header(&rhead, "x-amz-server-side-encryption").is_none() {
                    let end = rhead.len() - "\r\n".len();
                    rhead.insert_str(end, "x-amz-server-side-encryption: aws:kms\r\n");
                }
                join(rhead, opaque_body_etag(rbody))
            }
            Action::CutAfter(n) => {
                let mut out = forward(upstream, &head, &body, &method, log).await?;
                out.truncate(n);
                client.get_mut().write_all(&out).await?;
                return Ok(());
            }
            Action::Truncate => {
                let (rhead, rbody) = forward_parts(upstream, &head, &body, &method, log).await?;
                let keep = rhead.len() + rbody.len() / 2;
                let mut out = join(rhead, rbody);
                out.truncate(keep);
                client.get_mut().write_all(&out).await?;
                return Ok(());
            }
            Action::Malform => {
                let (rhead, rbody) = forward_parts(upstream, &head, &body, &method, log).await?;
                // Same length, different bytes: framing stays valid, content does not.
                let garbled = rbody.iter().map(|b| b.wrapping_add(0x5a) | 0x80).collect();
                join(rhead, garbled)
            }
        };
        client.get_mut().write_all(&response).await?;
    }
}

fn join(head: String, body: Vec<u8>) -> Vec<u8> {
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    out
}

async fn forward(
    upstream: &str,
    head: &str,
    body: &[u8],
    method: &str,
    log: &Mutex<Log>,
) -> std::io::Result<Vec<u8>> {
    let (rhead, rbody) = forward_parts(upstream, head, body, method, log).await?;
    Ok(join(rhead, rbody))
}

/// Sends one request upstream on a fresh connection and reads the whole answer, noting the
/// upload id when it starts a multipart upload.
async fn forward_parts(
    upstream: &str,
    head: &str,
    body: &[u8],
    method: &str,
    log: &Mutex<Log>,
) -> std::io::Result<(String, Vec<u8>)> {
    let mut up = BufReader::new(TcpStream::connect(upstream).await?);
    up.get_mut().write_all(head.as_bytes()).await?;
    up.get_mut().write_all(body).await?;
    let Some((rhead, rbody)) = read_message(&mut up, method == "HEAD").await? else {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "upstream closed without answering",
        ));
    };
    let target = head.split_whitespace().nth(1).unwrap_or_default();
    if method == "POST" && target.contains("uploads") {
        let text = String::from_utf8_lossy(&rbody);
        if let Some(id) = text
            .split("<UploadId>")
            .nth(1)
            .and_then(|rest| rest.split("</UploadId>").next())
        {
            log.lock()
                .unwrap()
                .upload_ids
                .push((target.to_string(), id.to_string()));
        }
    }
    Ok((rhead, rbody))
}

fn header(head: &str, name: &str) -> Option<String> {
    head.split("\r\n").find_map(|line| {
        let (k, v) = line.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// Another ETag of the same shape: each hex digit before any `-N` shifted by one.
fn opaque_etag(etag: &str) -> String {
    let mut past_digits = false;
    etag.chars()
        .map(|c| {
            past_digits |= c == '-';
            match c.to_digit(16) {
                Some(d) if !past_digits => char::from_digit((d + 1) % 16, 16).unwrap_or(c),
                _ => c,
            }
        })
        .collect()
}

/// The body with its `<ETag>` made opaque, same length (Content-Length still holds).
fn opaque_body_etag(body: Vec<u8>) -> Vec<u8> {
    let Ok(text) = String::from_utf8(body.clone()) else {
        return body;
    };
    match (text.find("<ETag>"), text.find("</ETag>")) {
        (Some(start), Some(end)) if start < end => {
            let start = start + "<ETag>".len();
            format!(
                "{}{}{}",
                &text[..start],
                opaque_etag(&text[start..end]),
                &text[end..]
            )
            .into_bytes()
        }
        _ => body,
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
