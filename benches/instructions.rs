//! The hot paths as fixed numbers of runs inside one function, [`measured`], so that callgrind
//! can count the instructions of exactly that work (`--toggle-collect='*measured*'`): set-up,
//! clones and drops stay outside. Instruction counts do not move when other processes share
//! the cores, unlike criterion's wall times. `scripts/bench-instructions` runs this under
//! callgrind; run natively (`cargo bench --bench instructions`) it prints rough times per run.
//!
//! Usage: `instructions [--list] [SCENARIO…]`, runs `WARROOM_BENCH_RUNS` times (default 20) each.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::hint::black_box;
use std::time::Instant;

use warroom::alert::Observation;
use warroom::demo::demo_model;
use warroom::theme::Theme;
use warroom::update::update;

const SCENARIOS: [&str; 8] = [
    "render_demo_80x24",
    "render_demo_160x48",
    "render_synthetic_300x80",
    "render_2000_panels_300x80",
    "render_155_panels_1000x300",
    "update_incremental",
    "update_full",
    "alerts_observe_1000",
];

/// The work that is counted. Never inlined, so callgrind can switch collection on around it.
#[inline(never)]
fn measured<R>(f: impl FnOnce() -> R) -> R {
    black_box(f())
}

fn run(name: &str, runs: u32) -> Option<f64> {
    let theme = Theme::default();
    let started;
    match name {
        "render_demo_80x24"
        | "render_demo_160x48"
        | "render_synthetic_300x80"
        | "render_2000_panels_300x80"
        | "render_155_panels_1000x300" => {
            let model = match name {
                "render_demo_80x24" => demo_model(90, 80, 24),
                "render_demo_160x48" => demo_model(90, 160, 48),
                "render_synthetic_300x80" => support::synthetic_model(300, 80),
                "render_2000_panels_300x80" => support::many_panels_model(2_000, 300, 80),
                _ => support::many_panels_model(155, 1000, 300),
            };
            let (w, h) = (model.ui.width, model.ui.height);
            let mut terminal = support::terminal(w, h);
            support::draw(&mut terminal, &model, &theme); // the first frame writes every cell
            started = Instant::now();
            for _ in 0..runs {
                measured(|| support::draw(&mut terminal, &model, &theme));
            }
        }
        "update_incremental" | "update_full" => {
            let mut model = support::synthetic_model(300, 80);
            let mut feed = if name == "update_full" {
                support::Feed::full(2)
            } else {
                support::Feed::incremental(2)
            };
            // One answer first, so the ring buffers have grown to their steady capacity.
            for msg in <[_; 2]>::from(feed.next(&model)) {
                update(&mut model, msg);
            }
            let mut total = std::time::Duration::ZERO;
            for _ in 0..runs {
                let (tick, poll) = feed.next(&model);
                update(&mut model, tick);
                let t = Instant::now();
                let effects = measured(|| update(&mut model, poll));
                total += t.elapsed();
                drop(effects);
            }
            return Some(total.as_secs_f64() / f64::from(runs));
        }
        "alerts_observe_1000" => {
            let samples = support::alert_samples(support::NOW as f64);
            let mut book = support::warm_alert_book(&samples);
            started = Instant::now();
            for i in 0..runs {
                let now = support::at(support::NOW + 1_000 + i64::from(i));
                measured(|| book.observe(0, Observation::Samples(&samples), now));
            }
        }
        _ => return None,
    }
    Some(started.elapsed().as_secs_f64() / f64::from(runs))
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        println!("{}", SCENARIOS.join("\n"));
        return;
    }
    // `cargo bench` passes `--bench`; other dashed arguments are criterion's, not ours.
    let wanted: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let runs = std::env::var("WARROOM_BENCH_RUNS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    for name in SCENARIOS {
        if !wanted.is_empty() && !wanted.iter().any(|w| name.contains(w.as_str())) {
            continue;
        }
        if let Some(secs) = run(name, runs) {
            println!("{name:<28} {runs:>4} runs  {:>10.1} µs/run", secs * 1e6);
        }
    }
}
