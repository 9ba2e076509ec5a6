//! Panels tell the truth about their data: NaN and ±Inf as such (never 0), and "STALE since",
//! the error class and message, partial answers and "no data" as states of their own.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

mod clock;
#[path = "ui_panels/table_columns.rs"]
mod table_columns;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::config::{load_str, Overrides};
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::update::update;

const T0: i64 = 1_794_427_200;

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn model(config: &str) -> Model {
    model_of(config, Path::new("test.toml"))
}

/// The model of `config` read as if from the file `shown` (its rule files are beside it).
fn model_of(config: &str, shown: &Path) -> Model {
    let file = load_str(config, shown, &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(T0));
    update(&mut m, Msg::Resize { width: 100, height: 30 });
    update(&mut m, Msg::Tick(at(T0)));
    m
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn answer(data: QueryData, partial: bool, warnings: Vec<String>) -> Result<Fetched, PromError> {
    Ok(Fetched {
        response: QueryResponse { data, warnings, partial },
        rtt: Duration::from_millis(2),
        bytes: 10,
    })
}

fn poll(m: &mut Model, query: usize, now: i64, outcome: Result<Fetched, PromError>) {
    let range = m.queries[query].range;
    let r = PollResult {
        query,
        generation: m.window.generation,
        kind: if range { FetchKind::Full } else { FetchKind::Instant },
        at: at(now),
        start: now as f64 - 300.0,
        end: now as f64,
        step: Duration::from_secs(1),
        outcome,
    };
    update(m, Msg::Poll(Box::new(r)));
}

fn vector(values: &[(&str, f64)]) -> QueryData {
    QueryData::Vector(
        values
            .iter()
            .map(|(name, v)| Sample {
                labels: labels(&[("name", name)]),
                point: Point { t: T0 as f64, v: *v },
            })
            .collect(),
    )
}

fn ramp(name: &str, now: i64) -> QueryData {
    let points = (0..60).map(|i| Point { t: (now - 60 + i) as f64, v: i as f64 }).collect();
    QueryData::Matrix(vec![Series { labels: labels(&[("name", name)]), points }])
}

fn screen(m: &Model, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| warroom::ui::render(m, &Theme::default(), f)).unwrap();
    buffer_text(t.backend().buffer())
}

fn zoom(m: &mut Model, panel: usize) {
    for _ in 0..panel {
        update(m, Msg::Key { key: KeyEvent::from(KeyCode::Right), at: Instant::now() });
    }
    update(
        m,
        Msg::Key { key: KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), at: Instant::now() },
    );
}

const SPECIALS: &str = r#"
refresh = "1s"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"
[[panels]]
title = "Stat NaN"
kind = "stat"
unit = "percent"
query = "s"
warning = 50
[[panels]]
title = "Gauge Inf"
kind = "gauge"
query = "g"
max = 10
critical = 5
[[panels]]
title = "Table"
kind = "table"
unit = "s"
legend = "{{ name }}"
query = "t"
[[panels]]
title = "Bars"
kind = "bars"
legend = "{{ name }}"
query = "b"
"#;

#[test]
fn nan_and_infinities_are_shown_never_zero() {
    let mut m = model(SPECIALS);
    poll(&mut m, 0, T0, answer(vector(&[("x", f64::NAN)]), false, vec![]));
    poll(&mut m, 1, T0, answer(vector(&[("x", f64::INFINITY)]), false, vec![]));
    let table = vector(&[("slow", 3.0), ("broken", f64::NAN), ("neg", f64::NEG_INFINITY)]);
    poll(&mut m, 2, T0, answer(table, false, vec![]));
    let bars = vector(&[("active", 3.0), ("idle", f64::NAN), ("waiting", 1.0)]);
    poll(&mut m, 3, T0, answer(bars, false, vec![]));
    let text = screen(&m, 100, 30);
    insta::assert_snapshot!(text);
    assert!(text.contains("NaN"), "{text}");
    assert!(text.contains("+Inf"), "{text}");
    assert!(text.contains("-Inf"), "{text}");
    // Percentages count the finite values only; NaN has no share.
    assert!(text.contains("75%") && text.contains("25%"), "{text}");
}

const STATES: &str = r#"
refresh = "1s"
[[sources]]
name = "p"
url = "http://127.0.0.1:9"
[[panels]]
title = "Fresh"
query = "a"
[[panels]]
title = "Stale"
query = "b"
[[panels]]
title = "Failing"
query = "c"
[[panels]]
title = "Partial"
query = "d"
[[panels]]
title = "Empty"
query = "e"
[[panels]]
title = "Loading"
query = "f"
"#;

#[test]
fn stale_error_partial_no_data_and_loading_are_marked() {
    let mut m = model(STATES);
    let now = T0 + 30;
    poll(&mut m, 1, T0 + 10, answer(ramp("old", T0 + 10), false, vec![]));
    update(&mut m, Msg::Tick(at(now)));
    poll(&mut m, 0, now, answer(ramp("new", now), false, vec![]));
    poll(&mut m, 2, T0 + 10, answer(ramp("kept", T0 + 10), false, vec![]));
    let err = PromError::Api {
        status: 422,
        error_type: "execution".into(),
        message: "query processing would load too many samples".into(),
    };
    poll(&mut m, 2, now, Err(err));
    let warn = vec!["some store unreachable".to_string()];
    poll(&mut m, 3, now, answer(ramp("part", now), true, warn));
    poll(&mut m, 4, now, answer(QueryData::Matrix(vec![]), false, vec![]));
    let text = screen(&m, 120, 40);
    insta::assert_snapshot!(text);
    for needle in [
        "STALE since 20:00:10",
        "✖ execution · stale since 20:00:10",
        "execution (422): query processing",
        "◐ partial",
        "some store unreachable",
        "∅ no data",
        "loading",
    ] {
        assert!(text.contains(needle), "{needle:?} missing in\n{text}");
    }
}

#[test]
fn zoomed_panels_of_every_kind() {
    let mut m = model(SPECIALS);
    poll(&mut m, 0, T0, answer(vector(&[("x", 42.0)]), false, vec![]));
    poll(&mut m, 1, T0, answer(vector(&[("x", 7.0)]), false, vec![]));
    let table = vector(&[("SELECT 1", 0.25), ("UPDATE t SET x = 1", 2.5), ("VACUUM", 1.0)]);
    poll(&mut m, 2, T0, answer(table, false, vec![]));
    let bars = vector(&[("active", 104.0), ("idle", 18.0), ("idle in transaction", 70.0)]);
    poll(&mut m, 3, T0, answer(bars, false, vec![]));
    for panel in 0..4 {
        let mut z = m.clone();
        zoom(&mut z, panel);
        insta::assert_snapshot!(format!("zoomed_kind_{panel}"), screen(&z, 60, 16));
    }
}

/// The clock at `now`: range data up to `T0`, the twin's sample of now 99.
fn live_clock(now: i64) -> Model {
    let mut m = clock::model(now, 100, 30);
    clock::range(&mut m, now, T0);
    clock::live(&mut m, now, &[("clock", 99.0)]);
    m
}

/// The range data's last point is 7 s old; the twin's sample of now is what the stat value, the
/// legend and the chart's rightmost point show. A panned window shows its own past.
#[test]
fn the_live_twin_is_the_newest_point() {
    let now = T0 + 7;
    let mut m = live_clock(now);
    let text = screen(&m, 100, 16);
    insta::assert_snapshot!("live_twin_newest_point", text);
    assert!(text.contains("┃                       99"), "the stat value\n{text}");
    assert!(text.contains("■ clock 99"), "the legend\n{text}");
    assert!(!text.contains("■ clock 0"), "the range's last point is not the legend's\n{text}");
    // A series only the live answer has shows in the legend too.
    clock::live(&mut m, now, &[("clock", 99.0), ("late", 42.0)]);
    assert!(screen(&m, 100, 16).contains("■ clock 99  ■ late 42"));

    update(&mut m, Msg::Key { key: KeyEvent::from(KeyCode::Char('[')), at: Instant::now() });
    clock::range(&mut m, now, T0 - 150);
    clock::live(&mut m, now + 1, &[("clock", 98.0), ("late", 42.0)]);
    let text = screen(&m, 100, 16);
    insta::assert_snapshot!("live_twin_panned", text);
    assert!(text.contains("■ clock 50"), "the panned window's own last point\n{text}");
    assert!(!text.contains("late") && !text.contains("98"), "{text}");
}

/// The twin failing while the range query is fine: both panels say so.
#[test]
fn a_failing_live_twin_marks_the_panel() {
    let now = T0 + 7;
    let mut m = live_clock(now);
    clock::live_fails(&mut m, now + 1, PromError::Timeout(800));
    let text = screen(&m, 100, 16);
    assert_eq!(text.matches("✖ timeout · stale since 20:00:07").count(), 2, "{text}");
}

fn press(m: &mut Model, code: KeyCode, times: usize) {
    for _ in 0..times {
        update(m, Msg::Key { key: KeyEvent::from(code), at: Instant::now() });
    }
}

/// 2,000 panels on a 1000×300 terminal: one screen holds the page with the selected panel
/// (4 columns × 46 rows of 6 in the grid's 282 rows, less the marker's) and says which.
#[test]
fn many_panels_page_around_the_selection() {
    let mut config =
        String::from("refresh = \"1s\"\n[[sources]]\nname = \"p\"\nurl = \"http://127.0.0.1:9\"\n");
    for p in 0..2000 {
        let kind = if p % 2 == 0 { "line" } else { "stat" };
        config +=
            &format!("[[panels]]\ntitle = \"Panel {p}\"\nkind = \"{kind}\"\nquery = \"m{p}\"\n");
    }
    let mut m = model(&config);
    update(&mut m, Msg::Resize { width: 1000, height: 300 });
    let first = screen(&m, 1000, 300);
    assert!(first.contains("panels 1–184 of 2000"), "the first page");
    assert!(first.contains("┏ Panel 0 ━"), "panel 0 is drawn selected");
    assert!(first.contains("┌ Panel 183 ─") && !first.contains("Panel 184 "));

    // Panel 1234 (row 308, column 2) is on the page of panels 1104..1288.
    press(&mut m, KeyCode::Down, 308);
    press(&mut m, KeyCode::Right, 2);
    let query = m.panels[1234].query;
    poll(&mut m, query, T0, answer(ramp("sel", T0), false, vec![]));
    let text = screen(&m, 1000, 300);
    assert!(text.contains("panels 1105–1288 of 2000"), "the page marker");
    let selected: Vec<&str> = text.lines().filter(|l| l.contains("┏ Panel 1234 ━")).collect();
    assert_eq!(selected.len(), 1, "the selected panel is drawn with the focus border once");
    assert_eq!(text.matches('┏').count(), 1, "and no other panel has it");
    assert!(text.contains("Panel 1104 ") && text.contains("Panel 1287 "));
    assert!(!text.contains("Panel 1103 ") && !text.contains("Panel 1288 "));
    assert!(text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)), "its chart is drawn");

    // Past the last panel of a page: the next page; the last page holds the rest.
    press(&mut m, KeyCode::Down, 1000);
    let last = screen(&m, 1000, 300);
    assert!(last.contains("panels 1841–2000 of 2000"), "the last page");
    assert!(last.contains("┏ Panel 1998 ━"), "the last row's column 2 is selected");
}

/// Whether `c` is a braille cell with at least one dot.
fn is_dot(c: char) -> bool {
    ('\u{2801}'..='\u{28ff}').contains(&c)
}

/// The text inside the box of the panel titled `title` (its borders left out), one string a row.
fn panel_inside(text: &str, title: &str) -> Vec<String> {
    let grid: Vec<Vec<char>> = text.lines().map(|l| l.chars().collect()).collect();
    let needle: Vec<char> = format!(" {title} ").chars().collect();
    for (y, row) in grid.iter().enumerate() {
        let Some(x) = row.windows(needle.len()).position(|w| w == needle.as_slice()) else {
            continue;
        };
        let left = x - 1;
        let right = (x..row.len()).find(|&i| matches!(row[i], '┐' | '┓')).unwrap();
        let bottom =
            (y..grid.len()).find(|&j| matches!(grid[j].get(left), Some('└' | '┗'))).unwrap();
        return grid[y + 1..bottom]
            .iter()
            .map(|r| r.get(left + 1..right).map(|s| s.iter().collect()).unwrap_or_default())
            .collect();
    }
    panic!("no panel titled {title:?} in\n{text}");
}

/// A dashboard over the last minute with these panels.
fn last_minute(panels: &str) -> String {
    format!(
        "refresh = \"1s\"\nrange = \"1m\"\n[[sources]]\nname = \"p\"\n\
         url = \"http://127.0.0.1:9\"\n{panels}"
    )
}

const EXTREMES: &str = r#"
[[panels]]
title = "Spike 1e308"
kind = "line"
query = "spike"
[[panels]]
title = "Both maxima"
kind = "line"
query = "maxima"
[[panels]]
title = "Flat 1e308"
kind = "line"
query = "flat"
[[panels]]
title = "Flat -MAX"
kind = "line"
unit = "percentunit"
query = "flat_neg"
[[panels]]
title = "Subnormal"
kind = "line"
unit = "bytes"
query = "tiny"
[[panels]]
title = "Gaps"
kind = "line"
query = "gaps"
[[panels]]
title = "Spike stat"
kind = "stat"
query = "spike"
[[panels]]
title = "Bars 1e308"
kind = "bars"
legend = "{{ name }}"
query = "bars"
"#;

/// One series named `name` over the last minute, a point a second.
fn minute(name: &str, now: i64, value: impl Fn(i64) -> f64) -> QueryData {
    let points = (0..60).map(|i| Point { t: (now - 59 + i) as f64, v: value(i) }).collect();
    QueryData::Matrix(vec![Series { labels: labels(&[("name", name)]), points }])
}

/// Values at the ends of the f64 range draw: a spike of 1e308 among ordinary values, ±f64::MAX
/// in turn, a series that is 1e308 throughout, -f64::MAX throughout, subnormals, and NaN and
/// ±Inf as gaps (and as themselves in the legend, never 0). Axis labels stay a few characters.
#[test]
fn extreme_values_draw() {
    let mut m = model(&last_minute(EXTREMES));
    update(&mut m, Msg::Resize { width: 150, height: 40 });
    type Values = fn(i64) -> f64;
    let series: [(&str, Values); 6] = [
        ("spike", |i| if i == 40 { 1e308 } else { (i % 7) as f64 }),
        ("maxima", |i| match i % 3 {
            0 => f64::MAX,
            1 => -f64::MAX,
            _ => i as f64,
        }),
        ("flat", |_| 1e308),
        ("flat_neg", |_| -f64::MAX),
        ("tiny", |i| if i % 2 == 0 { 5e-324 } else { f64::MIN_POSITIVE * i as f64 }),
        ("gaps", |i| match i % 10 {
            3 => f64::NAN,
            6 => f64::INFINITY,
            8 => f64::NEG_INFINITY,
            _ if i == 59 => f64::NAN,
            _ => i as f64,
        }),
    ];
    for (p, (name, value)) in series.iter().enumerate() {
        let query = m.panels[p].query;
        poll(&mut m, query, T0, answer(minute(name, T0, value), false, vec![]));
    }
    let bars = vector(&[("a", 1e308), ("b", 1e308), ("c", 1.0)]);
    let query = m.panels[7].query;
    poll(&mut m, query, T0, answer(bars, false, vec![]));
    let text = screen(&m, 150, 40);
    insta::assert_snapshot!(text);
    for title in ["Spike 1e308", "Both maxima", "Flat 1e308", "Flat -MAX", "Subnormal", "Gaps"] {
        let inside = panel_inside(&text, title).concat();
        assert!(inside.chars().any(is_dot), "{title} draws\n{text}");
        assert!(!inside.to_lowercase().contains("inf%"), "{title}\n{text}");
        let rows = panel_inside(&text, title);
        let labels: Vec<&str> =
            rows.iter().filter_map(|r| r.split_once('┤')).map(|l| l.0).collect();
        assert!(labels.len() >= 2, "{title}: the axis is labelled\n{text}");
        assert!(labels.iter().all(|l| l.trim().chars().count() <= 10), "{title}\n{text}");
    }
    let spike = panel_inside(&text, "Spike 1e308");
    assert!(spike.iter().any(|r| r.contains("1.8e308┤")), "the top label\n{text}");
    assert!(panel_inside(&text, "Both maxima").concat().contains("-1.8e308"), "{text}");
    assert!(panel_inside(&text, "Flat -MAX").concat().contains("-1.8e310%"), "{text}");
    // The newest point of the gaps is NaN: said so, not 0.
    let gaps = panel_inside(&text, "Gaps").concat();
    assert!(gaps.contains("■ name=gaps NaN"), "{text}");
    let stat = panel_inside(&text, "Spike stat");
    assert_eq!(stat[0].trim(), "3", "the stat's value\n{text}");
    assert!(stat.concat().contains('█'), "the spike in its sparkline\n{text}");
    // Two halves of a total past f64::MAX.
    let bars = panel_inside(&text, "Bars 1e308");
    assert_eq!(bars.iter().filter(|r| r.contains("1e308") && r.contains("50%")).count(), 2);
    assert!(bars[0].trim().chars().all(|c| c == '█'), "the bar is drawn\n{text}");
}

/// A few hundred random series mixing ordinary values with ±1e308, ±f64::MAX, subnormals, NaN
/// and ±Inf: no panic, a chart with any finite point draws a dot, one without draws none, and
/// the legend names a non-finite newest value as such.
#[test]
fn random_extreme_series_never_blank_a_chart() {
    const ONE: &str = r#"
[[panels]]
title = "Chart"
kind = "line"
query = "q"
[[panels]]
title = "Stat"
kind = "stat"
query = "q"
"#;
    let mut rng = fastrand::Rng::with_seed(13);
    let pick = |rng: &mut fastrand::Rng| -> f64 {
        let sign = if rng.bool() { 1.0 } else { -1.0 };
        sign * match rng.u8(0..10) {
            0 => 1e308,
            1 => f64::MAX,
            2 => f64::from_bits(rng.u64(1..1 << 52)), // subnormal
            3 => f64::NAN,
            4 => f64::INFINITY,
            5 => rng.f64() * 1e300,
            _ => rng.f64() * 100.0,
        }
    };
    let mut m = model(&last_minute(ONE));
    let query = m.panels[0].query;
    for case in 0..300 {
        let n = rng.usize(1..80);
        let flat = rng.u8(0..8) == 0;
        let first = pick(&mut rng);
        let values: Vec<f64> = (0..n).map(|_| if flat { first } else { pick(&mut rng) }).collect();
        let points =
            values.iter().enumerate().map(|(i, v)| Point { t: (T0 - 59 + i as i64) as f64, v: *v });
        let data = QueryData::Matrix(vec![Series {
            labels: labels(&[("name", "x")]),
            points: points.collect(),
        }]);
        let (w, h) = [(100, 20), (60, 16), (150, 40)][case % 3];
        update(&mut m, Msg::Resize { width: w, height: h });
        poll(&mut m, query, T0, answer(data, false, vec![]));
        let text = screen(&m, w, h);
        let inside = panel_inside(&text, "Chart").concat();
        let finite = values.iter().any(|v| v.is_finite());
        let dots = inside.chars().filter(|c| is_dot(*c)).count();
        assert_eq!(dots > 0, finite, "case {case}: {values:?}\n{text}");
        let last = values[n - 1];
        if !last.is_finite() {
            let said = if last.is_nan() {
                "x NaN"
            } else if last > 0.0 {
                "x +Inf"
            } else {
                "x -Inf"
            };
            assert!(inside.contains(said), "case {case}: {last}\n{text}");
        }
    }
}

const READINGS: &str = r#"
[[panels]]
title = "Connections used"
kind = "gauge"
unit = "percent"
query = "used"
min = 0
max = 100
warning = 80
critical = 90
[[panels]]
title = "Throughput"
kind = "stat"
unit = "ops"
legend = "commits/s"
query = "commits"
[[panels]]
title = "Longest transaction"
kind = "stat"
unit = "s"
legend = "seconds"
query = "longest"
[[panels]]
title = "Errors"
kind = "line"
unit = "ops"
legend = "{{ name }} 5xx/s"
query = "errors"
[[panels]]
title = "Sessions"
kind = "line"
unit = "suffix: conns"
legend = "{{ name }} conns"
query = "sessions"
"#;

/// The 3 a.m. screen at narrow sizes: a gauge's scale labels stand apart, and a value that says
/// its unit is not followed or led by the unit again in its caption or legend.
#[test]
fn the_3am_screen_at_narrow_sizes() {
    for (w, h) in [(60, 30), (80, 30), (100, 30)] {
        let mut m = model(&last_minute(READINGS));
        update(&mut m, Msg::Resize { width: w, height: h });
        let query = m.panels[0].query;
        poll(&mut m, query, T0, answer(vector(&[("pg", 87.0)]), false, vec![]));
        for (p, v) in [(1, 525.0), (2, 125.0), (3, 42.0), (4, 12.0)] {
            let query = m.panels[p].query;
            poll(&mut m, query, T0, answer(minute("api", T0, |_| v), false, vec![]));
        }
        let text = screen(&m, w, h);
        insta::assert_snapshot!(format!("readings_{w}x{h}"), text);
        let gauge = panel_inside(&text, "Connections used");
        let labels = ["0%", "100%", "▲80%", "80%▲", "▲90%", "90%▲"];
        for word in gauge[2].split_whitespace() {
            assert!(labels.contains(&word), "{word:?} at {w}x{h}:\n{text}");
        }
        let said_once = [
            ("Throughput", "525/s", "commits/s"),
            ("Longest transaction", "2m5s", "seconds"),
            ("Errors", "42/s", "5xx/s"),
            ("Sessions", "12 conns", "api conns"),
        ];
        for (title, value, repeat) in said_once {
            let inside = panel_inside(&text, title).join("\n");
            assert!(inside.contains(value), "{title} at {w}x{h}:\n{inside}");
            assert!(!inside.contains(repeat), "{title} at {w}x{h}:\n{inside}");
        }
    }
}

/// The shipped dashboards (built in, the example, the demo), one series per panel: no legend
/// that repeats its panel's unit is drawn as written.
#[test]
fn shipped_dashboards_say_each_unit_once() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/postgres.toml");
    let example = std::fs::read_to_string(&path).unwrap();
    let shipped = [
        ("built-in", warroom::config::DEFAULT_CONFIG, Path::new("test.toml")),
        ("example", example.as_str(), path.as_path()),
        ("demo", warroom::demo::DASHBOARD, Path::new("test.toml")),
    ];
    for (name, config, shown) in shipped {
        let mut m = model_of(config, shown);
        update(&mut m, Msg::Resize { width: 200, height: 60 });
        for p in 0..m.panels.len() {
            let query = m.panels[p].query;
            let data = if m.queries[query].range {
                minute("pg-main-1", T0, |i| i as f64)
            } else {
                vector(&[("pg-main-1", 42.0)])
            };
            poll(&mut m, query, T0, answer(data, false, vec![]));
        }
        let text = screen(&m, 200, 60);
        let mut repeats = 0;
        for spec in m.panels.iter().map(|p| &p.spec) {
            let Some(legend) = spec.legend.as_deref() else { continue };
            if spec.unit.without_repeat(legend) == legend {
                continue;
            }
            repeats += 1;
            let inside = panel_inside(&text, &spec.title).join("\n");
            assert!(
                !inside.contains(legend),
                "{name}: {:?} shows {legend:?}:\n{inside}",
                spec.title
            );
        }
        assert!(repeats > 0, "{name} has a legend that repeats its unit");
    }
}
