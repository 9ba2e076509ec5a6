//! A hand-written HTTP server for faults real servers won't produce on demand: garbage JSON,
//! HTML error pages, stalls, scripted error envelopes. Records each request's head and body.

#![allow(dead_code)]

pub mod stream;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Status code, content type and body.
    Send(u16, &'static str, String),
    /// Read the request and never answer.
    Stall,
    /// Status code, content type and a body in which `{request}` stands for the request's
    /// head (its lines joined with ` | `, quotes escaped): a server that echoes what it got,
    /// credentials included.
    Echo(u16, &'static str, String),
    /// Status code, extra header lines (`name: value`, each ending in `\r\n`) and a body,
    /// e.g. a redirect with its `location`.
    Headers(u16, String, String),
    /// The reply of the first `(path prefix, reply)` whose prefix starts the request's path.
    Route(Vec<(&'static str, Reply)>),
}

pub struct Fake {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<String>>>,
    reply: Arc<Mutex<Reply>>,
    task: tokio::task::JoinHandle<()>,
}

impl Fake {
    pub async fn start(reply: Reply) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let reply = Arc::new(Mutex::new(reply));
        let (req2, rep2) = (requests.clone(), reply.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    continue;
                };
                let (requests, reply) = (req2.clone(), rep2.clone());
                tokio::spawn(async move {
                    loop {
                        let Some(req) = read_request(&mut sock).await else {
                            return;
                        };
                        let answer = answer(reply.lock().unwrap().clone(), &req);
                        requests.lock().unwrap().push(req);
                        let Some((status, extra, body)) = answer else {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                            return;
                        };
                        let head = format!(
                            "HTTP/1.1 {status} X\r\n{extra}content-length: {}\r\n\r\n",
                            body.len()
                        );
                        if sock.write_all(head.as_bytes()).await.is_err()
                            || sock.write_all(body.as_bytes()).await.is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        Fake { addr, requests, reply, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn set(&self, reply: Reply) {
        *self.reply.lock().unwrap() = reply;
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Status, extra header lines and body of the answer to `request`; `None` to stall.
fn answer(reply: Reply, request: &str) -> Option<(u16, String, String)> {
    Some(match reply {
        Reply::Stall => return None,
        Reply::Send(status, ctype, body) => (status, format!("content-type: {ctype}\r\n"), body),
        Reply::Echo(status, ctype, template) => {
            let head = request.split("\r\n\r\n").next().unwrap_or("");
            let echo = head.replace("\r\n", " | ").replace('"', "\\\"");
            (status, format!("content-type: {ctype}\r\n"), template.replace("{request}", &echo))
        }
        Reply::Headers(status, extra, body) => (status, extra, body),
        Reply::Route(routes) => {
            let path = request.split(' ').nth(1).unwrap_or("");
            let (_, reply) = routes.into_iter().find(|(prefix, _)| path.starts_with(prefix))?;
            return answer(reply, request);
        }
    })
}

async fn read_request(sock: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = sock.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(String::from_utf8_lossy(&buf[..end + 4 + len]).to_string());
        }
        let n = sock.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A model of `config` after its pollers' first answer from its sources, and the frame it draws
/// at 100×24: what an engineer sees once the first poll is in.
pub async fn first_frame(config: &warroom::config::Config) -> (warroom::model::Model, String) {
    use ratatui::{backend::TestBackend, Terminal};
    use warroom::msg::Msg;
    let mut model = warroom::model::Model::new(config, chrono::Utc::now());
    let clients: Vec<_> =
        config.sources.iter().map(|s| warroom::prom::Client::new(s).unwrap()).collect();
    let caps: Vec<_> =
        config.sources.iter().map(|_| Arc::new(tokio::sync::Semaphore::new(1))).collect();
    let (_wtx, wrx) = tokio::sync::watch::channel(model.window);
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let mut pollers =
        warroom::prom::poller::Pollers::start(model.query_specs(), &clients, &caps, wrx, tx, |r| {
            Msg::Poll(Box::new(r))
        });
    let wait = std::time::Duration::from_secs(10);
    let msg = tokio::time::timeout(wait, rx.recv()).await.unwrap().unwrap();
    pollers.stop();
    warroom::update::update(&mut model, Msg::Tick(chrono::Utc::now()));
    warroom::update::update(&mut model, msg);
    let mut t = Terminal::new(TestBackend::new(100, 24)).unwrap();
    t.draw(|fr| warroom::ui::render(&model, &warroom::theme::Theme::default(), fr)).unwrap();
    let frame = warroom::snapshot::buffer_text(t.backend().buffer());
    (model, frame)
}
