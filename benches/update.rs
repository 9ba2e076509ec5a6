//! `update` ingesting one poll result of 20 series into the synthetic dashboard
//! (12 panels × 20 series × 720 points): an incremental answer of a few new points per series,
//! and a full 720-point window. The model is fed one answer after the other, as the loop feeds
//! it, so its ring buffers are in their steady state; building the answers and the clock tick
//! before each are left out of the timing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use warroom::update::update;

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    // Two new steps: the poller re-fetches the last held step and gets the new ones.
    for (name, mut feed) in [
        ("poll_incremental_20x3", support::Feed::incremental(2)),
        ("poll_full_20x720", support::Feed::full(2)),
    ] {
        let mut model = support::synthetic_model(300, 80);
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let (tick, poll) = feed.next(&model);
                    update(&mut model, tick);
                    let started = Instant::now();
                    let effects = update(&mut model, poll);
                    total += started.elapsed();
                    drop(effects);
                }
                total
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
