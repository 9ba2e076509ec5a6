//! Render cost of one full frame: `Terminal::draw` of the whole dashboard into a `TestBackend`
//! (render, then the diff against the previous frame).
//!
//! - the demo dashboard 90 s into the meltdown at 80×24 and 160×48;
//! - a synthetic dashboard of 12 line panels × 20 series × 720 points at 300×80;
//! - many panels (one short series each): 2,000 at 300×80 and 155 at 1000×300, where the
//!   grid pages (a screen holds what fits) instead of laying out every row.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod support;

use criterion::{criterion_group, criterion_main, Criterion};
use warroom::demo::demo_model;
use warroom::theme::Theme;

fn render(c: &mut Criterion) {
    let theme = Theme::default();
    let mut group = c.benchmark_group("render");
    for (w, h) in [(80, 24), (160, 48)] {
        let model = demo_model(90, w, h);
        let mut terminal = support::terminal(w, h);
        group.bench_function(format!("demo_{w}x{h}"), |b| {
            b.iter(|| support::draw(&mut terminal, &model, &theme))
        });
    }
    let model = support::synthetic_model(300, 80);
    let mut terminal = support::terminal(300, 80);
    group.bench_function("synthetic_12x20x720_300x80", |b| {
        b.iter(|| support::draw(&mut terminal, &model, &theme))
    });
    for (panels, w, h) in [(2_000, 300, 80), (155, 1000, 300)] {
        let model = support::many_panels_model(panels, w, h);
        let mut terminal = support::terminal(w, h);
        group.bench_function(format!("many_{panels}_panels_{w}x{h}"), |b| {
            b.iter(|| support::draw(&mut terminal, &model, &theme))
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
