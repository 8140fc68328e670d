//! A scripted HTTP/1.1 server on 127.0.0.1 for what httpmock cannot express:
//! answers that change from one request to the next, bodies cut off midway,
//! and slow or growing logs. Every connection carries one request
//! (`Connection: close`), which keeps the parser small.

use std::{
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpListener,
};

/// A request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    /// Path and query, exactly as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn query(&self, name: &str) -> Option<String> {
        let url = reqwest::Url::parse(&format!("http://x{}", self.target)).ok()?;
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }
}

/// What to answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Announce the whole body but close the connection after this many bytes.
    pub cut_after: Option<usize>,
    /// Send the body in pieces of this size, pausing between them.
    pub trickle: Option<(usize, Duration)>,
    /// Frame the body with `Transfer-Encoding: chunked` instead of
    /// `Content-Length`; a cut body then lacks its last chunk.
    pub chunked: bool,
    /// After the body, send this piece again and again (chunked) until the
    /// client goes away: an endless body.
    pub endless: Option<Vec<u8>>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
            cut_after: None,
            trickle: None,
            chunked: false,
            endless: None,
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(status, "application/json", body)
    }

    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(status, "text/plain", body)
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn cut_after(mut self, bytes: usize) -> Reply {
        self.cut_after = Some(bytes);
        self
    }

    /// `body`, then `piece` for ever.
    pub fn endless(mut self, piece: impl Into<Vec<u8>>) -> Reply {
        self.endless = Some(piece.into());
        self.chunked = true;
        self
    }

    pub fn chunked(mut self) -> Reply {
        self.chunked = true;
        self
    }

    pub fn trickle(mut self, piece: usize, pause: Duration) -> Reply {
        self.trickle = Some((piece, pause));
        self
    }
}

type Handler = Arc<dyn Fn(&Seen) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// The server; it stops when dropped.
pub struct Loopback {
    pub base_url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    /// Body bytes written to clients so far.
    sent: Arc<std::sync::atomic::AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Loopback {
    /// Answers every request with `handler(request)`.
    pub async fn start<F>(handler: F) -> Loopback
    where
        F: Fn(&Seen) -> Reply + Send + Sync + 'static,
    {
        let handler = Arc::new(handler);
        Self::start_async(move |seen| {
            let reply = handler(seen);
            Box::pin(async move { reply })
        })
        .await
    }

    /// Answers from a list, one reply per request; the last one repeats.
    pub async fn script(replies: Vec<Reply>) -> Loopback {
        let replies = Arc::new(Mutex::new(replies));
        Self::start(move |_| {
            let mut replies = replies.lock().unwrap();
            if replies.len() > 1 { replies.remove(0) } else { replies[0].clone() }
        })
        .await
    }

    pub async fn start_async<F>(handler: F) -> Loopback
    where
        F: Fn(&Seen) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let handler: Handler = Arc::new(handler);
        let (log, counter) = (seen.clone(), sent.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else { return };
                let (handler, log, counter) = (handler.clone(), log.clone(), counter.clone());
                tokio::spawn(async move {
                    let _ = serve(socket, handler, log, counter).await;
                });
            }
        });
        Loopback { base_url, seen, sent, task }
    }

    /// Body bytes written to clients so far (what their sockets took).
    pub fn sent(&self) -> u64 {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut socket: tokio::net::TcpStream,
    handler: Handler,
    log: Arc<Mutex<Vec<Seen>>>,
    sent: Arc<std::sync::atomic::AtomicU64>,
) -> std::io::Result<()> {
    let count = |n: usize| sent.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
    let mut buffer = Vec::new();
    let head_end = loop {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(());
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next().unwrap_or("").split(' ');
    let (method, target) = (request_line.next().unwrap_or("").to_owned(), request_line.next().unwrap_or("").to_owned());
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let length = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let mut chunk = [0u8; 4096];
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    let seen = Seen { method, target, headers, body };
    log.lock().unwrap().push(seen.clone());
    let reply = handler(&seen).await;

    let framing = match reply.chunked {
        true => "transfer-encoding: chunked".to_owned(),
        false => format!("content-length: {}", reply.body.len()),
    };
    let mut head = format!("HTTP/1.1 {} X\r\n{framing}\r\nconnection: close\r\n", reply.status);
    for (name, value) in &reply.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    socket.write_all(head.as_bytes()).await?;
    let body = match reply.cut_after {
        Some(n) => &reply.body[..n.min(reply.body.len())],
        None => &reply.body[..],
    };
    let piece = reply.trickle.map_or(body.len().max(1), |(piece, _)| piece.max(1));
    for part in body.chunks(piece) {
        match reply.chunked {
            true => socket.write_all(&[format!("{:x}\r\n", part.len()).as_bytes(), part, b"\r\n"].concat()).await?,
            false => socket.write_all(part).await?,
        }
        count(part.len());
        socket.flush().await?;
        if let Some((_, pause)) = reply.trickle {
            tokio::time::sleep(pause).await;
        }
    }
    if let Some(piece) = &reply.endless {
        let framed = [format!("{:x}\r\n", piece.len()).as_bytes(), piece, b"\r\n"].concat();
        loop {
            // Ends when the client drops the connection.
            socket.write_all(&framed).await?;
            count(piece.len());
        }
    }
    if reply.chunked && reply.cut_after.is_none() {
        socket.write_all(b"0\r\n\r\n").await?;
    }
    socket.flush().await?;
    // Closing here, before the announced length, is how a body is cut off.
    socket.shutdown().await
}
