//! Answers too large to hold: a gzip bomb, a 50 MB answer, more series than a panel can use.
//! Each is cut off at the source's limit, said honestly ("answer larger than 32 MiB", "12,345
//! series, first 10,000 shown"), and costs at most the limit in memory: the peak is measured in a
//! child process of this test binary (`VmHWM` of /proc/self/status), so nothing else that runs in
//! this binary counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod fake;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fake::stream::{gzip_segments, many_series, Body, Streamer, MIB, PREFIX, SEGMENT};
use fake::{Fake, Reply};
use warroom::config::SourceSpec;
use warroom::prom::{Client, PromError, QueryData};

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
