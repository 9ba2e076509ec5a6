//! HTTP actions: one request with a deadline; the output is the status line and an excerpt of
//! the body.

use std::time::Duration;

use tokio::sync::Notify;

use super::exec::{clean_line, Outcome, Sink, Stream};

/// Body bytes shown at most.
const BODY_EXCERPT: usize = 8 * 1024;
/// Body lines shown at most.
const BODY_LINES: usize = 40;

pub(super) struct HttpRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

pub(super) async fn run(
    req: HttpRequest,
    timeout: Duration,
    cancel: &Notify,
    sink: &mut Sink,
) -> Outcome {
    tokio::select! {
        out = tokio::time::timeout(timeout, send(req, timeout, sink)) => match out {
            Ok(o) => o,
            Err(_) => Outcome::TimedOut,
        },
        () = cancel.notified() => Outcome::Cancelled,
    }
}

async fn send(req: HttpRequest, timeout: Duration, sink: &mut Sink) -> Outcome {
    let client = match reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
        .build()
    {
        Ok(c) => c,
        Err(e) => return Outcome::FailedToStart(e.to_string()),
    };
    let method = match reqwest::Method::from_bytes(req.method.as_bytes()) {
        Ok(m) => m,
        Err(e) => return Outcome::FailedToStart(format!("method {}: {e}", req.method)),
    };
    let mut builder = client.request(method, &req.url);
    for (k, v) in &req.headers {
        builder = builder.header(k, v);
    }
    if let Some(body) = req.body {
        builder = builder.body(body);
    }
    let response = match builder.send().await {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return Outcome::TimedOut,
        Err(e) => return Outcome::RequestFailed(error_chain(&e)),
    };
    let status = response.status();
    sink.line(
        Stream::Info,
        format!("HTTP {} {}", status.as_u16(), status.canonical_reason().unwrap_or("")),
    );
    let read = crate::body::read(response, BODY_EXCERPT).await;
    if let Some(e) = &read.error {
        sink.line(Stream::Info, format!("[body cut short: {}]", error_chain(e)));
    }
    let (body, cut) = (read.bytes, read.longer);
    let text = body.strip_suffix(b"\n").unwrap_or(&body);
    let mut shown = 0;
    for line in text.split(|b| *b == b'\n').filter(|_| !text.is_empty()) {
        if shown == BODY_LINES {
            sink.line(Stream::Info, "[…]".into());
            break;
        }
        sink.line(Stream::Stdout, clean_line(line, false));
        shown += 1;
    }
    if cut && shown < BODY_LINES {
        sink.line(Stream::Info, "[body longer than shown]".into());
    }
    Outcome::Http(status.as_u16())
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    crate::sanitize::clean_owned(&out)
}
