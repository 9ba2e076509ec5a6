//! Grafana dashboards (Classic JSON) opened as warroom panels: `--grafana FILE` and
//! `dashboards = [...]` in the config.
//!
//! [`parse`] reads one file into a [`Dashboard`] (its variables and panel drafts, and every
//! part of it warroom cannot show, as diagnostics); [`resolve::resolve`] gives its query
//! variables their values from the source; [`Dashboard::specs`] substitutes the variables and
//! yields the [`PanelSpec`]s. [`import_into`] does all three for a run. Everything in the file
//! is taken as hostile: its size is bounded, its texts are cleaned, its values escaped where
//! they land in PromQL, and nothing in it can panic the import.
//!
//! Each visible target of a panel becomes a panel of its own (`Title · B`), side by side in
//! the panel's width: joining targets with `or` would drop the second target's series
//! wherever their labels equal the first's, and a panel has one legend.

pub mod layout;
pub mod lines;
pub mod live;
pub mod map;
pub mod model;
mod panels;
pub mod resolve;
pub mod vars;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::config::{slug, ConfigFile, PanelKind, PanelSpec};
use crate::diag::{line_of, Diagnostic};
use crate::model::Window;
use crate::units::Unit;
pub use lines::KeyLines;
use model::DashboardJson;
use vars::{substitute, Builtins, Place, Variable};

/// Largest dashboard file read.
pub const MAX_FILE_BYTES: u64 = 8 << 20;
/// Most panels imported from one dashboard.
pub const MAX_PANELS: usize = 500;
/// Longest title taken (longer ones are cut).
const MAX_TITLE: usize = 120;

/// One query of a panel draft.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub expr: String,
    pub legend: Option<String>,
    pub ref_id: String,
    /// A config source named like the target's datasource; `None`: the default source.
    pub source: Option<String>,
}

/// A panel before its variables are substituted.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    pub title: String,
    pub kind: PanelKind,
    pub queries: Vec<Query>,
    pub unit: Unit,
    pub min: Option<f64>,
    pub max: Option<f64>,
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    pub width: u16,
}

/// A dashboard read from a file.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub path: PathBuf,
    pub title: String,
    pub vars: Vec<Variable>,
    pub panels: Vec<Draft>,
    /// What the dashboard has that warroom does not show.
    pub problems: Vec<Diagnostic>,
    /// Where its panels and variables are in the file.
    pub lines: KeyLines,
}

/// Reads and parses the dashboard at `path`; `sources` are the config's source names.
pub fn read(path: &Path, sources: &[&str]) -> Result<Dashboard, Diagnostic> {
    use std::io::Read;
    let fail = |msg: String, fix: &str| Diagnostic::new(path, None, msg).with_fix(fix);
    let file = std::fs::File::open(path).map_err(|e| {
        fail(
            format!("cannot read Grafana dashboard: {e}"),
            "check the path given to --grafana or in dashboards",
        )
    })?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(|e| {
        fail(format!("cannot read Grafana dashboard: {e}"), "check the file's permissions")
    })?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(fail(
            format!("Grafana dashboard is larger than {} MiB", MAX_FILE_BYTES >> 20),
            "export the dashboard alone (Share → Export → Save to file)",
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| {
        fail("Grafana dashboard is not UTF-8 text".into(), "export it again as JSON")
    })?;
    parse(path, &text, sources)
}

/// Parses dashboard JSON `text` (`path` names it in messages).
pub fn parse(path: &Path, text: &str, sources: &[&str]) -> Result<Dashboard, Diagnostic> {
    let text = text.trim_start_matches('\u{feff}');
    if !text.trim_start().starts_with('{') && !text.trim().is_empty() {
        return Err(Diagnostic::new(path, Some(1), "not a Grafana dashboard: not a JSON object")
            .with_fix(
                "give the dashboard's JSON model (Dashboard settings → JSON Model, or Export)",
            ));
    }
    let json: DashboardJson = serde_json::from_str(text).map_err(|e| {
        let msg = format!(
            "not a Grafana dashboard: {} (column {})",
            crate::sanitize::clean(&e.to_string()),
            e.column()
        );
        Diagnostic::new(path, Some(e.line()).filter(|l| *l > 0), msg).with_fix(
            "give the dashboard's JSON model (Dashboard settings → JSON Model, or Export)",
        )
    })?;
    let json = match json.dashboard {
        Some(inner) => *inner,
        None => json,
    };
    let mut d = Dashboard {
        path: path.to_path_buf(),
        title: clip(&crate::sanitize::clean(json.title.as_deref().unwrap_or("")), MAX_TITLE),
        vars: Vec::new(),
        panels: Vec::new(),
        problems: Vec::new(),
        lines: KeyLines::default(),
    };
    let lines = KeyLines::new(text, &["title", "name", "rows"]);
    let at = |key: &str, name: &str| lines.get(key, name);
    let mut problem = |line: Option<usize>, msg: String, fix: &str| {
        // What the dashboard cannot show is listed, as a warning: the rest of it works.
        d.problems.push(Diagnostic::new(path, line, msg).with_fix(fix).as_warning());
    };
    if !json.rows.is_empty() {
        problem(
            text.find("\"rows\"").map(|at| line_of(text, at)),
            "the pre-5.0 `rows` layout is not read: its panels are not shown".into(),
            "open and save the dashboard in Grafana 5 or later, which converts it to `panels`",
        );
    }
    for v in &json.templating.list {
        match Variable::from_json(v) {
            Ok(mut var) => {
                // A variable of another kind of datasource is asked of the default source.
                var.datasource =
                    panels::datasource(&v.datasource, &json.inputs, sources).ok().flatten();
                d.vars.push(var);
            }
            Err(e) => problem(
                at("name", &v.name),
                format!("variable ${}: {e}", crate::sanitize::clean(&v.name)),
                "warroom reads query, custom, interval, constant, textbox and datasource variables",
            ),
        }
    }
    let placed = layout::place(&json.panels);
    if placed.len() > MAX_PANELS {
        problem(
            None,
            format!("{} panels: only the first {MAX_PANELS} are shown", placed.len()),
            "split the dashboard",
        );
    }
    for p in placed.iter().take(MAX_PANELS) {
        let (draft, found) = panels::draft(p, &json.inputs, sources);
        let line = at("title", &p.panel.title);
        let title = crate::sanitize::clean(&p.panel.title);
        for (msg, fix) in found {
            problem(line, format!("panel {title:?}: {msg}"), &fix);
        }
        d.panels.extend(draft);
    }
    d.lines = lines;
    Ok(d)
}

impl Dashboard {
    /// The panels, variables substituted, with ids not in `taken` (which gains them).
    pub fn specs(&self, builtins: &Builtins, taken: &mut HashSet<String>) -> Vec<PanelSpec> {
        let mut out = Vec::new();
        for d in &self.panels {
            let title = crate::sanitize::clean_owned(&substitute(
                &d.title,
                &self.vars,
                builtins,
                Place::Text,
            ));
            let title = if title.trim().is_empty() {
                "untitled".to_string()
            } else {
                clip(&title, MAX_TITLE)
            };
            let n = d.queries.len() as u16;
            for q in &d.queries {
                let title = if n > 1 { format!("{title} · {}", q.ref_id) } else { title.clone() };
                let base =
                    Some(slug(&title)).filter(|s| !s.is_empty()).unwrap_or_else(|| "panel".into());
                let mut id = base.clone();
                let mut k = 2;
                while !taken.insert(id.clone()) {
                    id = format!("{base}-{k}");
                    k += 1;
                }
                let legend = q.legend.as_ref().map(|l| {
                    crate::sanitize::clean_owned(&substitute(l, &self.vars, builtins, Place::Text))
                });
                out.push(PanelSpec {
                    title,
                    id: Some(id),
                    kind: d.kind,
                    query: substitute(&q.expr, &self.vars, builtins, Place::Query),
                    source: q.source.clone(),
                    unit: d.unit.clone(),
                    legend,
                    refresh: None,
                    min: d.min,
                    max: d.max,
                    warning: d.warning,
                    critical: d.critical,
                    top: 10,
                    value_title: None,
                    columns: Vec::new(),
                    width: Some(d.width.div_ceil(n.max(1)).max(1)),
                });
            }
        }
        out
    }
}

/// Grafana's built-ins for a dashboard polled every `refresh` over `range`: `$__interval` is
/// the step its charts use.
pub fn builtins(refresh: std::time::Duration, range: std::time::Duration) -> Builtins {
    let window =
        Window { range, offset: std::time::Duration::ZERO, max_points: 120, generation: 0 };
    Builtins { interval: window.step(refresh), range }
}

/// What importing a run's dashboards found.
#[derive(Debug, Default)]
pub struct Report {
    /// Every problem, with file and line.
    pub problems: Vec<Diagnostic>,
    /// How many dashboards could not be read at all.
    pub unreadable: usize,
    /// The dashboards read, each with the indexes of the config panels it added.
    pub dashboards: Vec<live::Live>,
    /// The first of `dashboards` given with `--grafana`: the tab shown first.
    pub first_from_flag: Option<usize>,
}

/// Reads the dashboards the config names (relative to it) and then `extra` (from
/// `--grafana`), resolves their variables from the sources when `live`, and appends
/// their panels to the config's (the model shows each dashboard's as a tab).
pub async fn import_into(config: &mut ConfigFile, extra: &[PathBuf], live: bool) -> Report {
    let base = config.base_dir();
    let paths: Vec<PathBuf> = config
        .config
        .dashboards
        .iter()
        .map(|p| base.join(p))
        .chain(extra.iter().cloned())
        .collect();
    let mut report = Report::default();
    if paths.is_empty() {
        return report;
    }
    let names: Vec<String> = config.config.sources.iter().map(|s| s.name.clone()).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let builtins = builtins(config.config.refresh, config.config.range);
    let mut clients = Vec::new();
    if live {
        for spec in &config.config.sources {
            match crate::prom::Client::new(spec) {
                Ok(c) => clients.push(c),
                Err(e) => {
                    let msg = format!("dashboard variables cannot be resolved: {e}");
                    report.problems.push(Diagnostic::new(paths[0].clone(), None, msg));
                }
            }
        }
    }
    let mut taken: HashSet<String> = config.config.panels.iter().map(PanelSpec::id).collect();
    let from_config = config.config.dashboards.len();
    for (k, path) in paths.into_iter().enumerate() {
        let mut dashboard = match read(&path, &names) {
            Ok(d) => d,
            Err(p) => {
                report.problems.push(p);
                report.unreadable += 1;
                continue;
            }
        };
        report.problems.append(&mut dashboard.problems);
        if !clients.is_empty() {
            for msg in resolve::resolve(&mut dashboard.vars, &clients, &builtins).await {
                let name = msg.split(':').next().unwrap_or("").trim_start_matches("variable $");
                let line = dashboard.lines.get("name", name);
                report.problems.push(
                    Diagnostic::new(&path, line, msg)
                        .with_fix("the variable keeps the value saved in the dashboard"),
                );
            }
        }
        let specs = dashboard.specs(&builtins, &mut taken);
        let first = config.config.panels.len();
        let panels = (first..first + specs.len()).collect();
        config.config.panels.extend(specs);
        let refresh = config.config.refresh;
        if k >= from_config && report.first_from_flag.is_none() {
            report.first_from_flag = Some(report.dashboards.len());
        }
        report.dashboards.push(live::Live { dashboard, builtins, panels, generation: 0, refresh });
    }
    report
}

/// Moves what `warroom check` found wrong with imported panels' queries (said of the config,
/// without a line, as the panels are not in it) to the dashboard file and the line of the
/// panel they come from. `panels` are the config's panels after [`import_into`].
pub fn relocate(problems: &mut [Diagnostic], dashboards: &[live::Live], panels: &[PanelSpec]) {
    for live in dashboards {
        let titles = live.dashboard.panels.iter().flat_map(|d| d.queries.iter().map(|_| &d.title));
        for (&i, title) in live.panels.iter().zip(titles) {
            let Some(spec) = panels.get(i) else { continue };
            let prefix = format!("panel {:?}:", spec.title);
            for p in
                problems.iter_mut().filter(|p| p.line.is_none() && p.message.starts_with(&prefix))
            {
                p.file.clone_from(&live.dashboard.path);
                p.line = live.dashboard.lines.get("title", title);
            }
        }
    }
}

/// `s` cut to at most `max` characters.
pub(crate) fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_asked_of_the_source_their_datasource_names() {
        let json = r#"{
            "__inputs": [{"name": "DS_EU", "label": "eu", "pluginId": "prometheus"}],
            "templating": {"list": [
                {"name": "a", "type": "query", "query": "label_values(x)", "datasource": "${DS_EU}"},
                {"name": "b", "type": "query", "query": "label_values(y)", "datasource": {"type": "prometheus", "uid": "zzz"}},
                {"name": "c", "type": "query", "query": "label_values(z)"}
            ]}
        }"#;
        let d = parse(Path::new("d.json"), json, &["main", "eu"]).unwrap();
        let named: Vec<Option<&str>> = d.vars.iter().map(|v| v.datasource.as_deref()).collect();
        assert_eq!(named, [Some("eu"), None, None]);
    }

    #[test]
    fn hostile_files_give_diagnostics_not_panics() {
        let p = Path::new("d.json");
        for text in [
            "",
            "[]",
            "{\"panels\": 3}",
            "{\n\"panels\": [{\"gridPos\": {\"x\": \"a\"}}]}",
            &"[".repeat(10_000),
        ] {
            let e = parse(p, text, &[]).unwrap_err();
            assert_eq!(e.file, p);
            assert!(e.fix.is_some(), "{e}");
        }
        let e = parse(p, "{\n\"panels\": [{\"gridPos\": {\"x\": \"a\"}}]}", &[]).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let ok = parse(p, r#"{"panels":[{"type":"stat","title":"\u001b[2Jx","targets":[{"expr":"up"}],"gridPos":{"w":-5}}]}"#, &[]).unwrap();
        let specs = ok.specs(
            &builtins(std::time::Duration::from_secs(5), std::time::Duration::from_secs(900)),
            &mut HashSet::new(),
        );
        assert_eq!(specs[0].title, "\\x1b[2Jx");
        assert_eq!(specs[0].width, Some(12));
    }
}
