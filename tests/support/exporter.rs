//! A scriptable exporter: serves `/metrics` in the Prometheus text format with whatever the
//! test last `set`, from a background thread.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

/// A `/metrics` endpoint on a loopback port whose body the test changes at will.
///
/// The text is served verbatim, so it may hold anything a real exporter could send,
/// including raw control bytes inside label values.
#[derive(Debug)]
pub struct StaticExporter {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Debug, Default)]
struct Shared {
    text: Mutex<String>,
    status: AtomicU16,
    scrapes: AtomicU64,
    stop: AtomicBool,
}

impl StaticExporter {
    /// Starts serving `text` (Prometheus exposition format) at `/metrics`.
    pub fn start(text: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the exporter's port");
        let addr = listener.local_addr().expect("exporter's local address");
        let shared = Arc::new(Shared {
            text: Mutex::new(text.to_owned()),
            status: AtomicU16::new(200),
            ..Shared::default()
        });
        let thread = thread::Builder::new()
            .name(format!("exporter-{}", addr.port()))
            .spawn({
                let shared = Arc::clone(&shared);
                move || serve(&listener, &shared)
            })
            .expect("spawn the exporter thread");
        Self { addr, shared, thread: Some(thread) }
    }

    /// Replaces the body served from the next scrape on.
    pub fn set(&self, text: impl Into<String>) {
        *self.shared.text.lock().unwrap_or_else(|e| e.into_inner()) = text.into();
    }

    /// Answers scrapes with this HTTP status (200 by default); anything else fails the scrape.
    pub fn set_status(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// `127.0.0.1:PORT`, as a scrape target.
    pub fn target(&self) -> String {
        self.addr.to_string()
    }

    /// `http://127.0.0.1:PORT/metrics`.
    pub fn url(&self) -> String {
        format!("http://{}/metrics", self.addr)
    }

    /// How many times `/metrics` has been fetched.
    pub fn scrapes(&self) -> u64 {
        self.shared.scrapes.load(Ordering::SeqCst)
    }
}

impl Drop for StaticExporter {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the blocking accept() so the thread sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(listener: &TcpListener, shared: &Shared) {
    for stream in listener.incoming() {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        if let Ok(stream) = stream {
            // A client that hangs up mid-request is its own problem, not the test's.
            let _ = answer(stream, shared);
        }
    }
}

fn answer(mut stream: TcpStream, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let head = read_head(&mut stream)?;
    let path = head.split(' ').nth(1).unwrap_or("/");
    let (status, body) = if path == "/metrics" || path.starts_with("/metrics?") {
        shared.scrapes.fetch_add(1, Ordering::SeqCst);
        let status = shared.status.load(Ordering::SeqCst);
        let text = shared.text.lock().unwrap_or_else(|e| e.into_inner()).clone();
        (status, text)
    } else {
        (404, "not found\n".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status} {}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Scripted" },
        body.len()
    );
    stream.write_all(response.as_bytes())?;
    stream.write_all(body.as_bytes())?;
    stream.flush()
}

/// Reads up to the end of the request head; requests to `/metrics` have no body.
fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 * 1024 {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}
