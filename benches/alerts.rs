//! Alert evaluation: `AlertBook::observe` of one rule over 1,000 series (1 % critical, 4 %
//! warning, 95 % healthy), in the steady state (alerts already firing) and on a fresh book.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use warroom::alert::{AlertBook, Observation};

fn observe(c: &mut Criterion) {
    let mut group = c.benchmark_group("alerts");
    let samples = support::alert_samples(support::NOW as f64);
    let mut book = support::warm_alert_book(&samples);
    let mut t = support::NOW + 1_000;
    group.bench_function("observe_1000_steady", |b| {
        b.iter(|| {
            t += 1;
            book.observe(0, Observation::Samples(&samples), support::at(t))
        })
    });
    group.bench_function("observe_1000_fresh", |b| {
        b.iter_batched_ref(
            || AlertBook::new(vec![support::alert_rule()]),
            |book| book.observe(0, Observation::Samples(&samples), support::at(support::NOW)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, observe);
criterion_main!(benches);
