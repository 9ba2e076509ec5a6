//! Answers too large to hold: a gzip bomb, a 50 MB answer, more series than a panel can use.
//! Each is cut off at the source's limit, said honestly ("answer larger than 32 MiB", "12,345
//! series, first 10,000 shown"), and costs at most the limit in memory: the peak is measured in a
//! child process of this test binary (`VmHWM` of /proc/self/status), so nothing else that runs in
//! this binary counts.

#![allow(clippy::unwrap_used)]

mod fake;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fake::{Fake, Reply};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use warroom::config::SourceSpec;
use warroom::prom::{Client, PromError, QueryData};

const MIB: u64 = 1 << 20;
const PREFIX: &str = r#"{"status":"success","data":{"resultType":"vector","result":["#;

/// What the streaming server sends after the head.
#[derive(Clone, Copy)]
enum Body {
    /// `decoded` bytes of JSON (a prefix, then spaces) gzipped, in chunks.
    GzipBomb { decoded: u64 },
    /// `len` bytes of the same JSON, plain; with a `Content-Length` or chunked.
    Plain { len: u64, content_length: bool },
}

/// A server that streams `body` to every request and counts the body bytes it managed to write.
struct Streamer {
    addr: SocketAddr,
    written: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Streamer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Streamer {
    async fn start(body: Body) -> Streamer {
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

    fn url(&self) -> String {
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
const SEGMENT: u64 = MIB;

/// A gzip stream cut in two: the header with the prefix and a first MiB of spaces, and a segment
/// that decodes to another MiB of spaces and can follow itself any number of times (it ends on
/// a sync flush and refers only to the spaces before it). Sending it 10,240 times is a 10 GiB
/// bomb that costs the server a few kilobytes to make.
fn gzip_segments() -> (Vec<u8>, Vec<u8>) {
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
fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

fn spec(url: &str, extra: &str) -> SourceSpec {
    toml::from_str(&format!("name = \"big\"\nurl = \"{url}\"\ntimeout = \"20s\"\n{extra}")).unwrap()
}

#[test]
fn the_gzip_segments_decode_to_what_the_bomb_claims() {
    let (first, repeated) = gzip_segments();
    let mut stream = first.clone();
    for _ in 0..3 {
        stream.extend_from_slice(&repeated);
    }
    let mut out = Vec::new();
    // The stream has no end (the bomb never ends), so reading stops with an error at its end.
    let _ = std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&stream[..]), &mut out);
    assert_eq!(out.len() as u64, PREFIX.len() as u64 + 4 * SEGMENT);
    assert!(out.starts_with(PREFIX.as_bytes()) && out.ends_with(b"   "));
    assert!(repeated.len() < 4096, "a MiB of spaces costs {} bytes", repeated.len());
}

#[tokio::test]
async fn a_gzip_bomb_is_cut_off_at_the_limit_and_said_to_be_too_large() {
    let bomb = Streamer::start(Body::GzipBomb { decoded: 10 << 30 }).await;
    let client = Client::new(&spec(&bomb.url(), "")).unwrap();
    let started = Instant::now();
    let e = client.query("up", None).await.unwrap_err();
    assert_eq!(e, PromError::TooLarge(32 * MIB));
    assert_eq!(e.to_string(), "answer larger than 32 MiB");
    assert_eq!(e.class(), "too large");
    assert!(!e.is_retryable(), "asking again gets the same answer");
    // The whole bomb is 10,240 segments; the client read 32 of them and hung up, so the server
    // could send only those and what the loopback socket buffers hold (a few MB, ~4,000).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let segments = bomb.written.load(Ordering::Relaxed) / gzip_segments().1.len() as u64;
    assert!(segments < 10_239, "{segments} segments sent: the client read the whole bomb");
    assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());

    let small = Client::new(&spec(&bomb.url(), "max_response_bytes = \"1MiB\"")).unwrap();
    let e = small.query("up", None).await.unwrap_err();
    assert_eq!(e.to_string(), "answer larger than 1 MiB");
}

#[tokio::test]
async fn a_50_mb_answer_is_cut_off_with_or_without_a_length() {
    for content_length in [false, true] {
        let big = Streamer::start(Body::Plain { len: 50_000_000, content_length }).await;
        let client = Client::new(&spec(&big.url(), "")).unwrap();
        let e = client.query("up", None).await.unwrap_err();
        assert!(matches!(e, PromError::TooLarge(n) if n == 32 * MIB), "{e:?}");
        // Give the server time to find the connection closed.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let sent = big.written.load(Ordering::Relaxed);
        assert!(sent < 50_000_000, "the server wrote all {sent} bytes");
        if content_length {
            // Its length said it was too long: hardly anything was read.
            assert!(sent < 32 * MIB, "{sent} bytes written");
        }
    }
}

#[tokio::test]
async fn the_limit_is_the_limit() {
    let answer = format!("{PREFIX}]}}}}");
    let padded = |n: usize| format!("{answer}{}", " ".repeat(n - answer.len()));
    let f = Fake::start(Reply::Send(200, "application/json", padded(4096))).await;
    let client = Client::new(&spec(&f.url(), "max_response_bytes = 4096")).unwrap();
    let fetched = client.query("up", None).await.unwrap();
    assert_eq!(fetched.response.data, QueryData::Vector(vec![]));
    f.set(Reply::Send(200, "application/json", padded(4097)));
    assert_eq!(client.query("up", None).await.unwrap_err(), PromError::TooLarge(4096));
}

#[tokio::test]
async fn the_pager_reads_with_the_same_limit() {
    let big = Streamer::start(Body::Plain { len: 2_000_000, content_length: false }).await;
    let client = Client::new(&spec(&big.url(), "max_response_bytes = \"1MiB\"")).unwrap();
    let e = warroom::pager::api::prom_alerts(&client).await.unwrap_err();
    assert_eq!(e.to_string(), "answer larger than 1 MiB");
    let e = warroom::pager::api::silences(&client).await.unwrap_err();
    assert_eq!(e, PromError::TooLarge(MIB));
}

fn many_series(n: usize) -> String {
    let series: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"metric":{{"pod":"p{i}"}},"value":[1700000000,"{i}"]}}"#))
        .collect();
    format!(r#"{PREFIX}{}]}}}}"#, series.join(","))
}

#[tokio::test]
async fn past_max_series_the_first_are_kept_and_the_panel_says_how_many_there_were() {
    let f = Fake::start(Reply::Send(200, "application/json", many_series(12_345))).await;
    let client = Client::new(&spec(&f.url(), "")).unwrap();
    let r = client.query("up", None).await.unwrap().response;
    assert!(matches!(&r.data, QueryData::Vector(v) if v.len() == 10_000));
    assert_eq!(r.warnings, vec!["12,345 series, first 10,000 shown".to_string()]);
    let fewer = Client::new(&spec(&f.url(), "max_series = 50")).unwrap();
    let r = fewer.query("up", None).await.unwrap().response;
    assert!(matches!(&r.data, QueryData::Vector(v) if v.len() == 50));
    assert_eq!(r.warnings, vec!["12,345 series, first 50 shown".to_string()]);

    let mut config: warroom::config::Config = toml::from_str(
        "[[panels]]\ntitle = \"Pods\"\nkind = \"table\"\nquery = \"up\"\nwidth = 1\n",
    )
    .unwrap();
    config.sources = vec![spec(&f.url(), "")];
    let (_, screen) = fake::first_frame(&config).await;
    assert!(screen.contains("12,345 series, first 10,000 shown"), "{screen}");
}

#[tokio::test]
async fn the_panel_says_the_answer_was_too_large_not_that_it_timed_out() {
    let f = Fake::start(Reply::Send(200, "application/json", many_series(100))).await;
    let mut config: warroom::config::Config =
        toml::from_str("[[panels]]\ntitle = \"Pods\"\nkind = \"table\"\nquery = \"up\"\n").unwrap();
    config.sources = vec![spec(&f.url(), "max_response_bytes = \"1KiB\"")];
    let (model, screen) = fake::first_frame(&config).await;
    assert!(screen.contains("answer larger than 1 KiB"), "{screen}");
    assert!(screen.contains("too large"), "{screen}");
    assert!(!screen.contains("timed out"), "{screen}");
    // The server answered: the source is up, this query's answer is the trouble.
    assert_eq!(model.sources[0].health(), warroom::model::Health::Up);
}

/// The scenarios measured in a child process, by name.
const MEASURED: [&str; 3] = ["baseline", "gzip-bomb", "50mb"];

/// Runs one scenario in a child process of this test binary and returns its peak resident
/// memory in KiB.
fn peak_kib(scenario: &str) -> u64 {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "measured_in_a_child", "--nocapture", "--test-threads=1"])
        .env("WARROOM_MEASURE", scenario)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{scenario}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
    stdout
        .lines()
        .find_map(|l| l.split_once("peak-kib: "))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{scenario}: no peak in {stdout}"))
}

/// Not a test of its own: the body of [`peak_memory_stays_far_below_100_mib`]'s children.
#[test]
fn measured_in_a_child() {
    let Ok(scenario) = std::env::var("WARROOM_MEASURE") else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let body = match scenario.as_str() {
            "gzip-bomb" => Body::GzipBomb { decoded: 10 << 30 },
            "50mb" => Body::Plain { len: 50_000_000, content_length: false },
            _ => Body::Plain { len: 1_000, content_length: false },
        };
        let server = Streamer::start(body).await;
        let client = Client::new(&spec(&server.url(), "")).unwrap();
        let r = client.query("up", None).await;
        if scenario != "baseline" {
            assert_eq!(r.unwrap_err(), PromError::TooLarge(32 * MIB));
        }
    });
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let hwm = status.lines().find_map(|l| l.strip_prefix("VmHWM:")).unwrap();
    println!("peak-kib: {}", hwm.trim().trim_end_matches("kB").trim());
}

#[test]
fn peak_memory_stays_far_below_100_mib() {
    let peaks: Vec<(&str, u64)> = MEASURED.iter().map(|s| (*s, peak_kib(s))).collect();
    for (scenario, kib) in &peaks {
        println!("peak memory ({scenario}): {:.1} MiB", *kib as f64 / 1024.0);
    }
    for (scenario, kib) in &peaks[1..] {
        assert!(*kib < 100 * 1024, "{scenario}: peak {kib} KiB");
        // The answer costs about the limit, not its size.
        assert!(*kib < peaks[0].1 + 48 * 1024, "{scenario}: peak {kib} KiB, {peaks:?}");
    }
}
