//! What serde cannot check in a config: references between tables, uniqueness, URLs and
//! credentials of every HTTP client, ranges; each problem with file, line and a fix.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use super::model::{Config, SourceSpec};
use crate::diag::{self, Diagnostic};

/// Checks what serde cannot: references, uniqueness, URLs, ranges.
pub fn validate(config: &Config, file: &Path, text: &str) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut problem = |line: Option<usize>, msg: String, fix: &str| {
        out.push(Diagnostic::new(file, line, msg).with_fix(fix));
    };
    if config.sources.is_empty() {
        problem(
            None,
            "no [[sources]] defined".into(),
            "add a [[sources]] table with name and url, or pass --prometheus-url",
        );
    }
    if config.refresh < Duration::from_millis(100) {
        problem(
            diag::key_line(text, None, "refresh"),
            "refresh is below 100ms".into(),
            "use at least 1s; warroom must not hammer a struggling Prometheus",
        );
    }
    let env = &config.environment;
    if let Err(e) = crate::peak::PeakHours::parse(&env.peak, env.peak_zone.as_deref()) {
        let line = text.lines().position(|l| l.trim_start().starts_with("peak")).map(|i| i + 1);
        problem(line, e, "peak = [\"20:00-23:00\"], peak_zone = \"+08:00\" (or \"local\")");
    }
    let mut names = HashSet::new();
    for (i, s) in config.sources.iter().enumerate() {
        let line = diag::table_line(text, "sources", i);
        if !names.insert(s.name.as_str()) {
            problem(
                line,
                format!("source name {:?} is used twice", s.name),
                "give each source a unique name",
            );
        }
        for (key_line, msg, fix) in client_problems(s, &format!("source {:?}", s.name), text, line)
        {
            problem(key_line, msg, &fix);
        }
    }
    panel_problems(config, file, text, &names, &mut out);
    validate_alerts(config, file, text, &names, &mut out);
    if let Some(am) = &config.alertmanager {
        alertmanager_problems(am, file, text, &mut out);
    }
    out
}

/// The panels' problems: unknown sources, empty queries, ids used twice, ranges, columns.
fn panel_problems(
    config: &Config,
    file: &Path,
    text: &str,
    names: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let mut problem = |line: Option<usize>, msg: String, fix: &str| {
        out.push(Diagnostic::new(file, line, msg).with_fix(fix));
    };
    let mut ids = HashSet::new();
    for (i, p) in config.panels.iter().enumerate() {
        let line = diag::table_line(text, "panels", i);
        if let Some(src) = &p.source {
            if !names.contains(src.as_str()) {
                let hint = diag::suggest(src, names.iter().copied())
                    .map(|s| format!("did you mean {s:?}?"))
                    .unwrap_or_else(|| "name one of the [[sources]]".into());
                problem(line, format!("panel {:?}: unknown source {src:?}", p.title), &hint);
            }
        }
        if p.query.trim().is_empty() {
            problem(line, format!("panel {:?}: empty query", p.title), "write a PromQL expression");
        }
        if !ids.insert(p.id()) {
            problem(
                line,
                format!("panel id {:?} is used twice", p.id()),
                "set a distinct `id` on one of the panels",
            );
        }
        if let (Some(min), Some(max)) = (p.min, p.max) {
            if min >= max {
                problem(
                    line,
                    format!("panel {:?}: min {min} is not below max {max}", p.title),
                    "swap or fix min and max",
                );
            }
        }
        if p.refresh.is_some_and(|r| r < Duration::from_millis(100)) {
            problem(line, format!("panel {:?}: refresh below 100ms", p.title), "use at least 1s");
        }
        if p.top == 0 {
            problem(line, format!("panel {:?}: top is 0", p.title), "show at least one row");
        }
        for (column_line, msg, fix) in super::columns::problems(p, text, line) {
            problem(column_line, msg, &fix);
        }
    }
}

/// The `[alertmanager]` table's problems: its client settings, its peers, the settle time.
fn alertmanager_problems(
    am: &super::model::AlertmanagerSpec,
    file: &Path,
    text: &str,
    out: &mut Vec<Diagnostic>,
) {
    let line = text.lines().position(|l| l.trim() == "[alertmanager]").map(|i| i + 1);
    for (key_line, msg, fix) in client_problems(&am.as_source(), "alertmanager", text, line) {
        out.push(Diagnostic::new(file, key_line, msg).with_fix(fix));
    }
    let at = |key: &str| diag::key_line(text, line, key);
    for peer in am.members().iter().skip(1) {
        let shown = crate::secret::redact_url(&peer.url);
        let parsed = reqwest::Url::parse(&peer.url).ok();
        if !parsed.is_some_and(|u| matches!(u.scheme(), "http" | "https")) {
            let msg = format!("alertmanager: peer {shown:?} is not an http(s) URL");
            let fix = "write each peer's full base URL, e.g. \"http://alertmanager-2:9093\"";
            out.push(Diagnostic::new(file, at("peers"), msg).with_fix(fix));
        }
    }
    if am.announce_settle > super::model::MAX_ANNOUNCE_SETTLE {
        let shown = crate::duration::format(am.announce_settle);
        let msg =
            format!("alertmanager: announce_settle {shown:?} holds every action back that long");
        let fix =
            "use a few times the cluster's gossip delay, e.g. \"1s\" (the default); at most 30s";
        out.push(Diagnostic::new(file, at("announce_settle"), msg).with_fix(fix));
    }
}

/// What cannot work in the settings of one HTTP client (a source, or Alertmanager through
/// [`AlertmanagerSpec::as_source`](super::AlertmanagerSpec::as_source)): `(line, message, fix)`.
/// `who` starts each message; `table` is the line of its table.
fn client_problems(
    s: &SourceSpec,
    who: &str,
    text: &str,
    table: Option<usize>,
) -> Vec<(Option<usize>, String, String)> {
    let at = |key: &str| diag::key_line(text, table, key);
    let mut out = Vec::new();
    let mut problem = |line: Option<usize>, msg: String, fix: &str| {
        out.push((line, format!("{who}: {msg}"), fix.to_string()));
    };
    // The URL as shown: a password in it stays out of the message, whether or not it parses.
    let shown = crate::secret::redact_url(&s.url);
    let url_fix = if who == "alertmanager" {
        "write the full base URL, e.g. http://alertmanager:9093"
    } else {
        "write the full base URL, e.g. http://prometheus:9090"
    };
    match reqwest::Url::parse(&s.url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => {}
        Ok(u) => problem(
            at("url"),
            format!("unsupported URL scheme {:?}", u.scheme()),
            "use an http:// or https:// URL",
        ),
        Err(e) => problem(at("url"), format!("url {shown:?} is not a URL ({e})"), url_fix),
    }
    if s.bearer_token_env.is_some() && s.bearer_token_file.is_some() {
        problem(
            at("bearer_token_file"),
            "both bearer_token_env and bearer_token_file".into(),
            "keep one of them",
        );
    }
    if s.basic_auth.is_some() {
        let bearer = if s.bearer_token_env.is_some() {
            Some("bearer_token_env")
        } else {
            s.bearer_token_file.is_some().then_some("bearer_token_file")
        };
        if let Some(bearer) = bearer {
            problem(
                at("basic_auth").or(at(bearer)),
                format!("both {bearer} and basic_auth: only one Authorization header can be sent"),
                "keep one kind of auth: the bearer token or basic_auth",
            );
        }
    }
    if let Some(t) = s.timeout.filter(|t| *t < Duration::from_millis(100)) {
        problem(
            at("timeout"),
            format!("timeout {:?} leaves no time for an answer", crate::duration::format(t)),
            "use at least 100ms, e.g. timeout = \"5s\" (the default)",
        );
    }
    if s.max_concurrency == 0 || s.max_concurrency > super::MAX_CONCURRENCY {
        problem(
            at("max_concurrency"),
            format!("max_concurrency {} is out of range", s.max_concurrency),
            &format!(
                "use 1 to {} requests in flight at once; 4 is the default",
                super::MAX_CONCURRENCY
            ),
        );
    }
    if s.max_response_bytes < 1024 {
        problem(
            at("max_response_bytes"),
            format!("max_response_bytes {} is too small for any answer", s.max_response_bytes),
            "use at least 1KiB, e.g. max_response_bytes = \"32MiB\" (the default)",
        );
    }
    if s.max_series == 0 {
        problem(
            at("max_series"),
            "max_series is 0: no series would be shown".into(),
            "use 1 or more, e.g. max_series = 10000 (the default)",
        );
    }
    out
}

fn validate_alerts(
    config: &Config,
    file: &Path,
    text: &str,
    sources: &HashSet<&str>,
    out: &mut Vec<Diagnostic>,
) {
    let panel_ids: Vec<String> = config.panels.iter().map(|p| p.id()).collect();
    let mut seen = HashSet::new();
    for (i, rule) in config.alerts.iter().enumerate() {
        let line = diag::table_line(text, "alerts", i);
        let mut problem = |msg: String, fix: String| {
            out.push(
                Diagnostic::new(file, line, format!("alert {:?}: {msg}", rule.name)).with_fix(fix),
            );
        };
        if !seen.insert(rule.name.as_str()) {
            problem("name is used twice".into(), "give each [[alerts]] rule a unique name".into());
        }
        for p in rule.validate() {
            problem(p, "see the [[alerts]] reference in README.md".into());
        }
        if let Some(panel) = &rule.panel {
            if !panel_ids.iter().any(|id| id == panel) {
                let fix = diag::suggest(panel, panel_ids.iter().map(String::as_str))
                    .map(|s| format!("did you mean {s:?}?"))
                    .unwrap_or_else(|| {
                        format!("use one of the panel ids: {}", panel_ids.join(", "))
                    });
                problem(format!("unknown panel {panel:?}"), fix);
            }
        }
        if let Some(src) = &rule.source {
            if !sources.contains(src.as_str()) {
                problem(format!("unknown source {src:?}"), "name one of the [[sources]]".into());
            }
        }
    }
}
