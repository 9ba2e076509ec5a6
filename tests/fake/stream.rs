//! A server that streams answers too large to hold: a gzip bomb that costs it a few kilobytes
//! to send, a plain body of any length, and answers with very many series.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const MIB: u64 = 1 << 20;
pub const PREFIX: &str = r#"{"status":"success","data":{"resultType":"vector","result":["#;

/// What the streaming server sends after the head.
#[derive(Clone, Copy)]
pub enum Body {
    /// `decoded` bytes of JSON (a prefix, then spaces) gzipped, in chunks.
    GzipBomb { decoded: u64 },
    /// `len` bytes of the same JSON, plain; with a `Content-Length` or chunked.
    Plain { len: u64, content_length: bool },
}

/// A server that streams `body` to every request and counts the body bytes it managed to write.
pub struct Streamer {
    pub addr: SocketAddr,
    pub written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Streamer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Streamer {
    pub async fn start(body: Body) -> Streamer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let written = Arc::new(AtomicU64::new(0));
        let counter = written.clone();
        let task = tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                tokio::spawn(serve(sock, body, counter.clone()));
            }
        });
        Streamer { addr, written, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

async fn serve(mut sock: tokio::net::TcpStream, body: Body, written: Arc<AtomicU64>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let send = |data: Vec<u8>| {
        written.fetch_add(data.len() as u64, Ordering::Relaxed);
        data
    };
    match body {
        Body::GzipBomb { decoded } => {
            let (first, repeated) = gzip_segments();
            let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                        content-encoding: gzip\r\ntransfer-encoding: chunked\r\n\r\n";
            if sock.write_all(head.as_bytes()).await.is_err()
                || sock.write_all(&chunk(&first)).await.is_err()
            {
                return;
            }
            // Every repetition decodes to another SEGMENT bytes of spaces.
            for _ in 1..decoded / SEGMENT {
                if sock.write_all(&send(chunk(&repeated))).await.is_err() {
                    return;
                }
            }
        }
        Body::Plain { len, content_length } => {
            let framing = if content_length {
                format!("content-length: {len}")
            } else {
                "transfer-encoding: chunked".to_string()
            };
            let head =
                format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{framing}\r\n\r\n");
            if sock.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let piece = vec![b' '; 64 * 1024];
            let mut left = len;
            let mut first = true;
            while left > 0 {
                let mut data = if first { PREFIX.as_bytes().to_vec() } else { Vec::new() };
                first = false;
                let n = (piece.len() as u64).min(left - data.len() as u64) as usize;
                data.extend_from_slice(&piece[..n]);
                left -= data.len() as u64;
                let data = if content_length { data } else { chunk(&data) };
                if sock.write_all(&send(data)).await.is_err() {
                    return;
                }
            }
            if !content_length {
                let _ = sock.write_all(b"0\r\n\r\n").await;
            }
        }
    }
}

/// Bytes of spaces that one repeated gzip segment decodes to.
pub const SEGMENT: u64 = MIB;

/// A gzip stream cut in two: the header with the prefix and a first MiB of spaces, and a segment
/// that decodes to another MiB of spaces and can follow itself any number of times (it ends on
/// a sync flush and refers only to the spaces before it). Sending it 10,240 times is a 10 GiB
/// bomb that costs the server a few kilobytes to make.
pub fn gzip_segments() -> (Vec<u8>, Vec<u8>) {
    let spaces = vec![b' '; SEGMENT as usize];
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(PREFIX.as_bytes()).unwrap();
    enc.write_all(&spaces).unwrap();
    enc.flush().unwrap();
    let first = std::mem::take(enc.get_mut());
    enc.write_all(&spaces).unwrap();
    enc.flush().unwrap();
    let repeated = std::mem::take(enc.get_mut());
    (first, repeated)
}

/// One chunk of a chunked body.
pub fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

/// An instant-query answer with `n` series.
pub fn many_series(n: usize) -> String {
    let series: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"metric":{{"pod":"p{i}"}},"value":[1700000000,"{i}"]}}"#))
        .collect();
    format!(r#"{PREFIX}{}]}}}}"#, series.join(","))
}
