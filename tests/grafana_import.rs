//! Grafana dashboards opened as they are: the postgres fixture (in the shape of the popular
//! postgres_exporter dashboards) maps to the panels, widths, units, thresholds and queries
//! expected, renders as a snapshot, and `warroom check --grafana` lists what it cannot show.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed expectation is a failed test"
)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use warroom::config::{load_str, Overrides, PanelKind, PanelSpec};
use warroom::grafana::vars::Selection;
use warroom::grafana::{self, Dashboard};
use warroom::model::Model;
use warroom::msg::Msg;
use warroom::prom::client::Fetched;
use warroom::prom::poller::{FetchKind, PollResult};
use warroom::prom::{Labels, Point, QueryData, QueryResponse, Sample, Series};
use warroom::snapshot::buffer_text;
use warroom::theme::Theme;
use warroom::units::Unit;
use warroom::update::update;

const T0: i64 = 1_794_427_200;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/grafana/postgres.json")
}

/// The fixture with its variables as the source would resolve them.
fn dashboard() -> Dashboard {
    let mut d = grafana::read(&fixture(), &["prom"]).unwrap();
    for v in &mut d.vars {
        match v.name.as_str() {
            "instance" => {
                v.options = vec!["db1:9187".into(), "db2:9187".into()];
                v.settle();
            }
            "datname" => v.options = vec!["shop".into(), "analytics".into()],
            other => panic!("unexpected variable {other}"),
        }
    }
    d
}

fn specs(d: &Dashboard) -> Vec<PanelSpec> {
    let builtins = grafana::builtins(Duration::from_secs(5), Duration::from_secs(900));
    d.specs(&builtins, &mut HashSet::from(["connections".to_string()]))
}

#[test]
fn the_fixture_maps_to_panels_in_reading_order() {
    let d = dashboard();
    assert_eq!(d.title, "PostgreSQL Database");
    let panels = specs(&d);
    type Row<'a> = (&'a str, &'a str, PanelKind, u16, Unit, Option<f64>, Option<f64>);
    let got: Vec<Row> = panels
        .iter()
        .map(|p| {
            let id = p.id.as_deref().unwrap();
            (p.title.as_str(), id, p.kind, p.width.unwrap(), p.unit.clone(), p.warning, p.critical)
        })
        .collect();
    let want: Vec<Row> = vec![
        // Red below 1, green from 1: better upward, so no thresholds (and a problem below).
        ("Up", "up", PanelKind::Stat, 4, Unit::None, None, None),
        // An id the config already has gets a suffix.
        ("Connections", "connections-2", PanelKind::Stat, 4, Unit::Count, Some(80.0), Some(90.0)),
        (
            "Connections used",
            "connections-used",
            PanelKind::Gauge,
            4,
            Unit::Percent,
            Some(75.0),
            Some(90.0),
        ),
        ("Cache hit ratio", "cache-hit-ratio", PanelKind::Stat, 4, Unit::PercentUnit, None, None),
        // Two visible targets (the hidden third is skipped): two panels sharing the width.
        (
            "Transactions on db1:9187 · A",
            "transactions-on-db1-9187-a",
            PanelKind::Line,
            6,
            Unit::OpsPerSec,
            None,
            None,
        ),
        (
            "Transactions on db1:9187 · B",
            "transactions-on-db1-9187-b",
            PanelKind::Line,
            6,
            Unit::OpsPerSec,
            None,
            None,
        ),
        // Unknown unit: plain numbers.
        (
            "Longest transaction",
            "longest-transaction",
            PanelKind::Line,
            12,
            Unit::None,
            Some(60.0),
            Some(300.0),
        ),
        // The collapsed row's panels, the heatmap left out.
        ("Sessions by state", "sessions-by-state", PanelKind::Table, 8, Unit::Count, None, None),
        (
            "Deadlocks by database",
            "deadlocks-by-database",
            PanelKind::Gauge,
            8,
            Unit::Count,
            None,
            Some(1.0),
        ),
    ];
    assert_eq!(got, want);
    let by_title = |t: &str| panels.iter().find(|p| p.title == t).unwrap();
    assert_eq!(by_title("Up").query, "pg_up{instance=\"db1:9187\"}");
    assert_eq!(by_title("Up").legend.as_deref(), Some("{{instance}}"));
    assert_eq!(
        by_title("Transactions on db1:9187 · B").query,
        "sum by (datname) (rate(pg_stat_database_xact_rollback{instance=\"db1:9187\", \
         datname=~\"(shop|analytics)\"}[60s]))"
    );
    assert_eq!(
        by_title("Transactions on db1:9187 · A").legend.as_deref(),
        Some("{{datname}} commits")
    );
    assert_eq!(
        (by_title("Connections used").min, by_title("Connections used").max),
        (Some(0.0), Some(100.0))
    );
    assert!(by_title("Deadlocks by database").query.contains("[900s]"), "$__range");
    assert!(panels.iter().all(|p| !p.query.contains('$')), "every variable substituted");
    assert!(panels.iter().all(|p| p.source.is_none()), "${{DS_PROMETHEUS}} is the default source");
}

#[test]
fn choosing_values_changes_the_queries() {
    let mut d = dashboard();
    let datname = d.vars.iter_mut().find(|v| v.name == "datname").unwrap();
    datname.current = Selection::Values(vec!["shop".into()]);
    let q = &specs(&d)[1].query;
    assert_eq!(q, "sum(pg_stat_activity_count{instance=\"db1:9187\", datname=~\"shop\"})");
}

#[test]
fn what_cannot_be_shown_is_listed_with_its_line() {
    let d = grafana::read(&fixture(), &[]).unwrap();
    let text = std::fs::read_to_string(fixture()).unwrap();
    let line = |needle: &str| text.lines().position(|l| l.contains(needle)).map(|i| i + 1);
    let shown: Vec<(Option<usize>, String)> =
        d.problems.iter().map(|p| (p.line, p.message.clone())).collect();
    let expected = [
        (line("\"title\": \"Up\""), "panel \"Up\": threshold steps turn better as values rise"),
        (line("\"title\": \"Notes\""), "panel \"Notes\": type \"text\" is not supported"),
        (
            line("\"title\": \"Longest transaction\""),
            "panel \"Longest transaction\": unit \"dtdurations\"",
        ),
        (
            line("\"title\": \"Query latency\""),
            "panel \"Query latency\": type \"heatmap\" is not supported",
        ),
    ];
    assert_eq!(shown.len(), expected.len(), "{shown:#?}");
    for ((line, msg), (want_line, want)) in shown.iter().zip(expected) {
        assert!(msg.starts_with(want), "{msg:?} should start with {want:?}");
        assert_eq!(*line, want_line, "{msg}");
    }
    assert!(d.problems.iter().all(|p| p.file == fixture() && p.fix.is_some()));
}

// ---- The imported layout, rendered -------------------------------------------------------------

fn at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Series a postgres_exporter behind Prometheus would give each query.
fn answer(expr: &str) -> Vec<(Labels, f64)> {
    let per_db = |shop: f64, analytics: f64| {
        vec![
            (labels(&[("datname", "shop")]), shop),
            (labels(&[("datname", "analytics")]), analytics),
        ]
    };
    if expr.starts_with("pg_up") {
        vec![(labels(&[("instance", "db1:9187")]), 1.0)]
    } else if expr.contains("max_connections") {
        vec![(Labels::new(), 52.0)]
    } else if expr.contains("blks_hit") {
        vec![(Labels::new(), 0.973)]
    } else if expr.contains("xact_commit") {
        per_db(412.0, 38.0)
    } else if expr.contains("xact_rollback") {
        per_db(3.0, 0.5)
    } else if expr.contains("max_tx_duration") {
        vec![
            (labels(&[("state", "active")]), 75.0),
            (labels(&[("state", "idle in transaction")]), 320.0),
        ]
    } else if expr.starts_with("sum by (state)") {
        ["active", "idle", "idle in transaction"]
            .iter()
            .zip([14.0, 35.0, 3.0])
            .map(|(s, v)| (labels(&[("state", s)]), v))
            .collect()
    } else if expr.contains("deadlocks") {
        per_db(2.0, 0.0)
    } else if expr.starts_with("sum(pg_stat_activity_count") {
        vec![(Labels::new(), 52.0)]
    } else {
        panic!("no answer for {expr}")
    }
}

fn feed(m: &mut Model, now: i64) {
    for i in 0..m.queries.len() {
        let (range, series) = (m.queries[i].range, answer(&m.queries[i].expr.clone()));
        let data = if range {
            QueryData::Matrix(
                series
                    .into_iter()
                    .map(|(labels, v)| Series {
                        labels,
                        points: (0..=60)
                            .map(|k| Point {
                                t: (now - 300 + 5 * k) as f64,
                                v: v * (0.8 + 0.2 * ((k % 7) as f64) / 6.0),
                            })
                            .collect(),
                    })
                    .collect(),
            )
        } else {
            QueryData::Vector(
                series
                    .into_iter()
                    .map(|(labels, v)| Sample { labels, point: Point { t: now as f64, v } })
                    .collect(),
            )
        };
        let outcome = Ok(Fetched {
            response: QueryResponse { data, warnings: Vec::new(), partial: false },
            rtt: Duration::from_millis(2),
            bytes: 10,
        });
        let r = PollResult {
            query: i,
            generation: m.window.generation,
            kind: if range { FetchKind::Full } else { FetchKind::Instant },
            at: at(now),
            start: now as f64 - 300.0,
            end: now as f64,
            step: Duration::from_secs(5),
            outcome,
        };
        update(m, Msg::Poll(Box::new(r)));
    }
}

#[test]
fn the_imported_dashboard_renders() {
    let text = "[environment]\nname = \"grafana\"\n[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n";
    let mut file = load_str(text, Path::new("test.toml"), &Overrides::default()).unwrap();
    file.config.panels = specs(&dashboard());
    for (w, h) in [(120, 40), (80, 24)] {
        let mut m = Model::new(&file.config, at(T0));
        update(&mut m, Msg::Resize { width: w, height: h });
        update(&mut m, Msg::Tick(at(T0)));
        feed(&mut m, T0);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| warroom::ui::render(&m, &Theme::default(), f)).unwrap();
        insta::assert_snapshot!(
            format!("grafana_postgres_{w}x{h}"),
            buffer_text(t.backend().buffer())
        );
    }
}

// ---- warroom check --grafana -------------------------------------------------------------------

fn warroom(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_warroom"))
        .args(args)
        .env("XDG_STATE_HOME", dir.join("state"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HOME", dir)
        .env_remove("WARROOM_CONFIG")
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("warroom.toml");
    std::fs::write(
        &path,
        format!("{extra}\n[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n"),
    )
    .unwrap();
    path
}

#[test]
fn check_lists_what_the_dashboard_cannot_show() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let fixture = fixture();
    let (code, out, err) = warroom(
        dir.path(),
        &[
            "check",
            "--offline",
            "--config",
            cfg.to_str().unwrap(),
            "--grafana",
            fixture.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "what cannot be shown is a warning: {out}{err}");
    let shown = fixture.display().to_string();
    for want in [
        "type \"text\" is not supported",
        "type \"heatmap\" is not supported",
        "unit \"dtdurations\" is not one warroom has",
        "threshold steps turn better as values rise",
    ] {
        let line = out.lines().find(|l| l.contains(want));
        let line = line.unwrap_or_else(|| panic!("{want:?} not in:\n{out}"));
        assert!(line.starts_with(&format!("warning: {shown}:")), "{line}");
    }
    assert!(out.ends_with("(4 warning(s) above)\n"), "{out}");

    // The same dashboard named in the config, relative to it.
    std::fs::copy(&fixture, dir.path().join("pg.json")).unwrap();
    let cfg = config(dir.path(), "dashboards = [\"pg.json\"]");
    let (code, out, _) =
        warroom(dir.path(), &["check", "--offline", "--config", cfg.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains(&format!("{}:", dir.path().join("pg.json").display())), "{out}");
}

#[test]
fn a_broken_dashboard_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\n  \"panels\": [\n    {\"gridPos\": {\"x\": \"left\"}}\n  ]\n}\n")
        .unwrap();
    let args = ["--config", cfg.to_str().unwrap(), "--grafana", broken.to_str().unwrap()];
    let (code, out, _) = warroom(dir.path(), &[&["check", "--offline"], &args[..]].concat());
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains(&format!(
            "error: {}:3: not a Grafana dashboard: invalid type",
            broken.display()
        )),
        "{out}"
    );
    assert!(out.contains("fix: give the dashboard's JSON model"), "{out}");
    // The dashboard itself does not start on a file it cannot read: exit 2, as for a config.
    let missing = dir.path().join("missing.json");
    let (code, _, err) = warroom(
        dir.path(),
        &["snapshot", "--config", cfg.to_str().unwrap(), "--grafana", missing.to_str().unwrap()],
    );
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("cannot read Grafana dashboard"), "{err}");
}

// ---- The variable picker -----------------------------------------------------------------------

fn press(m: &mut Model, code: crossterm::event::KeyCode) -> Vec<warroom::msg::Effect> {
    let key = crossterm::event::KeyEvent::new(code, crossterm::event::KeyModifiers::NONE);
    update(m, Msg::Key { key, at: std::time::Instant::now() })
}

/// The model `warroom --grafana postgres.json` starts with, its variables resolved.
fn picker_model() -> Model {
    let text = "[environment]\nname = \"grafana\"\n[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n";
    let mut file = load_str(text, Path::new("test.toml"), &Overrides::default()).unwrap();
    let d = dashboard();
    let builtins = grafana::builtins(file.config.refresh, file.config.range);
    file.config.panels = d.specs(&builtins, &mut HashSet::new());
    let panels = (0..file.config.panels.len()).collect();
    let mut m = Model::new(&file.config, at(T0));
    m.dashboards = vec![grafana::live::Live::new(d, panels, file.config.refresh, &m.window)];
    update(&mut m, Msg::Resize { width: 120, height: 40 });
    update(&mut m, Msg::Tick(at(T0)));
    m
}

#[test]
fn choosing_a_value_gives_the_panels_new_queries() {
    use crossterm::event::KeyCode;
    use warroom::msg::Effect;
    let mut m = picker_model();
    feed(&mut m, T0);
    let before: Vec<String> = m.query_specs().into_iter().map(|q| q.expr).collect();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &Theme::default(), f)).unwrap();
    let footer = buffer_text(t.backend().buffer()).lines().last().unwrap_or("").to_string();
    assert!(footer.contains(": variables"), "the footer offers the picker: {footer}");
    press(&mut m, KeyCode::Char(':'));
    let mut t = Terminal::new(TestBackend::new(80, 24)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &Theme::default(), f)).unwrap();
    insta::assert_snapshot!("grafana_picker_80x24", buffer_text(t.backend().buffer()));

    // $instance: the second value.
    press(&mut m, KeyCode::Down);
    let effects = press(&mut m, KeyCode::Enter);
    assert!(effects.iter().any(|e| matches!(e, Effect::Replan)), "{effects:?}");
    let up = m.panels.iter().find(|p| p.spec.title == "Up").unwrap();
    assert_eq!(m.queries[up.query].expr, "pg_up{instance=\"db2:9187\"}");
    assert!(m.queries[up.query].series.is_empty(), "the new query starts without data");
    assert!(
        m.panels.iter().any(|p| p.spec.title == "Transactions on db2:9187 · A"),
        "titles follow"
    );
    let polled: Vec<String> = m.query_specs().into_iter().map(|q| q.expr).collect();
    assert_eq!(polled.len(), before.len(), "the old queries are no longer polled");
    assert!(polled.iter().all(|q| !q.contains("db1:9187")), "{polled:#?}");
    // The id alert rules would name is kept.
    assert_eq!(m.panels[4].spec.id.as_deref(), Some("transactions-on-db1-9187-a"));
    // $datname's query names $instance: its options are asked again, off the loop.
    let Some(Effect::ResolveVars { dashboard, generation, mut vars }) =
        effects.into_iter().find(|e| matches!(e, Effect::ResolveVars { .. }))
    else {
        panic!("no ResolveVars effect");
    };
    vars[1].options = vec!["billing".into(), "shop".into()];
    let stale = Msg::VarsResolved { dashboard, generation: generation - 1, vars: vars.clone() };
    assert!(!update(&mut m, stale).iter().any(|e| matches!(e, Effect::Replan)), "stale: ignored");
    let effects = update(&mut m, Msg::VarsResolved { dashboard, generation, vars });
    assert!(effects.iter().any(|e| matches!(e, Effect::Replan)), "{effects:?}");
    let conns = m.panels.iter().find(|p| p.spec.title == "Connections").unwrap();
    assert!(m.queries[conns.query].expr.contains("datname=~\"(billing|shop)\""), "All follows");

    // $datname (multi, All): tick one database, choose it.
    press(&mut m, KeyCode::Char(':'));
    press(&mut m, KeyCode::Right);
    press(&mut m, KeyCode::Down); // All → billing
    press(&mut m, KeyCode::Down); // → shop
    press(&mut m, KeyCode::Char(' '));
    let effects = press(&mut m, KeyCode::Enter);
    assert!(effects.iter().any(|e| matches!(e, Effect::Replan)));
    let conns = m.panels.iter().find(|p| p.spec.title == "Connections").unwrap();
    assert_eq!(
        m.queries[conns.query].expr,
        "sum(pg_stat_activity_count{instance=\"db2:9187\", datname=~\"shop\"})"
    );
    // Choosing what is chosen changes nothing; Esc closes.
    press(&mut m, KeyCode::Char(':'));
    let effects = press(&mut m, KeyCode::Enter);
    assert!(!effects.iter().any(|e| matches!(e, Effect::Replan)));
    press(&mut m, KeyCode::Char(':'));
    press(&mut m, KeyCode::Esc);
    assert!(matches!(m.ui.overlay, warroom::model::Overlay::None));
}

#[test]
fn without_dashboards_the_picker_says_so() {
    let text = "[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n";
    let file = load_str(text, Path::new("test.toml"), &Overrides::default()).unwrap();
    let mut m = Model::new(&file.config, at(T0));
    press(&mut m, crossterm::event::KeyCode::Char(':'));
    assert!(matches!(m.ui.overlay, warroom::model::Overlay::None));
    assert_eq!(m.flash.as_ref().map(|f| f.0.as_str()), Some("no dashboard variables to choose"));
}

/// Any prefix of the fixture, and the fixture with any one value turned into another type,
/// gives a dashboard or a diagnostic naming the file, never a panic.
#[test]
fn damaged_fixtures_never_panic() {
    let text = std::fs::read_to_string(fixture()).unwrap();
    let p = Path::new("damaged.json");
    let builtins = grafana::builtins(Duration::from_secs(5), Duration::from_secs(900));
    let mut cuts: Vec<usize> = (0..text.len()).step_by(37).collect();
    cuts.push(text.len());
    for cut in cuts {
        let Some(prefix) = text.get(..cut) else { continue };
        match grafana::parse(p, prefix, &["prom"]) {
            Ok(d) => drop(d.specs(&builtins, &mut HashSet::new())),
            Err(e) => assert_eq!(e.file, p),
        }
    }
    let swaps = ["null", "[]", "{}", "-1e308", "\"\\u001b[2J\"", "true", "\"$__all\""];
    let mut starts: Vec<usize> = text.match_indices(": ").map(|(i, _)| i + 2).collect();
    starts.dedup();
    for (k, start) in starts.into_iter().enumerate() {
        let end = text[start..].find([',', '\n', '}']).map_or(text.len(), |e| start + e);
        let damaged = format!("{}{}{}", &text[..start], swaps[k % swaps.len()], &text[end..]);
        match grafana::parse(p, &damaged, &["prom"]) {
            Ok(d) => drop(d.specs(&builtins, &mut HashSet::new())),
            Err(e) => assert!(e.line.is_some(), "{e}"),
        }
    }
}

#[test]
fn the_configs_panels_and_each_dashboard_are_tabs() {
    use crossterm::event::KeyCode;
    let text = "[[sources]]\nname = \"prom\"\nurl = \"http://127.0.0.1:9\"\n\
                [[panels]]\ntitle = \"Own\"\nkind = \"stat\"\nquery = \"up\"\n";
    let mut file = load_str(text, Path::new("test.toml"), &Overrides::default()).unwrap();
    let d = dashboard();
    let builtins = grafana::builtins(file.config.refresh, file.config.range);
    file.config.panels.extend(d.specs(&builtins, &mut HashSet::new()));
    let panels: Vec<usize> = (1..file.config.panels.len()).collect();
    let mut m = Model::new(&file.config, at(T0));
    m.dashboards =
        vec![grafana::live::Live::new(d, panels.clone(), file.config.refresh, &m.window)];
    update(&mut m, Msg::Resize { width: 120, height: 40 });
    update(&mut m, Msg::Tick(at(T0)));
    let tabs: Vec<String> = m.tabs().into_iter().map(|t| t.title).collect();
    assert_eq!(tabs, ["panels", "PostgreSQL Database"]);
    assert_eq!(m.visible_panels(), [0]);
    press(&mut m, KeyCode::Char('>'));
    assert_eq!(m.visible_panels(), panels);
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| warroom::ui::render(&m, &Theme::default(), f)).unwrap();
    insta::assert_snapshot!("grafana_tabs_120x40", buffer_text(t.backend().buffer()));
    press(&mut m, KeyCode::Char('>'));
    assert_eq!(m.visible_panels(), [0], "round");
    press(&mut m, KeyCode::Char('<'));
    assert_eq!(m.visible_panels(), panels);
    // The filter works within the tab.
    press(&mut m, KeyCode::Char('/'));
    for c in "conn".chars() {
        press(&mut m, KeyCode::Char(c));
    }
    let titles: Vec<&str> =
        m.visible_panels().iter().map(|&i| m.panels[i].spec.title.as_str()).collect();
    assert_eq!(titles, ["Connections", "Connections used"]);
}

#[test]
fn a_longer_range_changes_range_and_interval_in_the_queries() {
    use crossterm::event::KeyCode;
    use warroom::msg::Effect;
    let mut m = picker_model();
    let deadlocks = |m: &Model| {
        let p = m.panels.iter().find(|p| p.spec.title == "Deadlocks by database").unwrap();
        m.queries[p.query].expr.clone()
    };
    assert!(deadlocks(&m).contains("[900s]"), "{}", deadlocks(&m));
    let effects = press(&mut m, KeyCode::Char('-'));
    assert!(effects.iter().any(|e| matches!(e, Effect::Replan)), "{effects:?}");
    assert!(deadlocks(&m).contains("[1800s]"), "{}", deadlocks(&m));
    // Panning keeps the range: nothing to re-plan.
    let effects = press(&mut m, KeyCode::Char('['));
    assert!(!effects.iter().any(|e| matches!(e, Effect::Replan)), "{effects:?}");
}
