//! `warroom check` against the live sources (unless `--offline`): each source answers a trivial query, and each panel
//! and alert query is evaluated once as an instant query, with a short deadline. Problems come
//! back as diagnostics pointing at the `[[sources]]`, `[[panels]]` or `[[alerts]]` table.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::config::Config;
use crate::diag::{table_line, Diagnostic, Place};
use crate::prom::{Client, PromError};
use crate::runbook::Runbook;

/// How long one check request may take.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(3);

/// Where a query comes from, for messages: the file and line, and a name.
#[derive(Debug, Clone)]
struct Owner {
    place: Place,
    what: String,
    /// An empty answer is all being well here (a `present` rule, `no_data = "ok"`).
    empty_ok: bool,
    /// What to do when it returns nothing.
    if_empty: &'static str,
}

const PANEL_IF_EMPTY: &str = "run `warroom check` again once the data should be there; press e \
                              on the panel for the whole explanation";
const GUARD_IF_EMPTY: &str = "while it returns nothing the guard refuses the action (a verify \
                              query never holds): check the metric names, or add `or vector(0)` \
                              when no data means all is well";

/// Tries each source once (`query=1`), then each distinct panel and alert query of the
/// reachable sources once, at most `max_concurrency` at a time per source. `file` and `text`
/// are the config's path and content, for line numbers.
pub async fn check_sources(
    config: &Config,
    runbooks: &[Runbook],
    file: &Path,
    text: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut clients = Vec::new();
    for (i, spec) in config.sources.iter().enumerate() {
        let line = table_line(text, "sources", i);
        match Client::new(spec) {
            Ok(c) => clients.push(Some(c.with_timeout(CHECK_DEADLINE))),
            Err(e) => {
                out.push(Diagnostic::new(file, line, e.to_string()).with_fix(
                    "set the environment variable or fix the file the source names for its secret",
                ));
                clients.push(None);
            }
        }
    }
    let probes = clients.iter().map(|c| async move {
        match c {
            Some(c) => Some(c.query("1", None).await.map(|_| ())),
            None => None,
        }
    });
    let probes = futures_util::future::join_all(probes).await;
    let mut reachable = vec![false; clients.len()];
    for (i, probe) in probes.into_iter().enumerate() {
        match probe {
            Some(Ok(())) => reachable[i] = true,
            Some(Err(e)) => {
                let spec = &config.sources[i];
                let (message, fix) =
                    source_problem(&spec.name, &crate::secret::redact_url(&spec.url), &e);
                out.push(
                    Diagnostic::new(file, table_line(text, "sources", i), message).with_fix(fix),
                );
            }
            None => {}
        }
    }
    let mut queries = distinct_queries(config, file, text);
    for (key, owner) in condition_queries(config, runbooks) {
        queries.entry(key).or_default().push(owner);
    }
    let caps: Vec<Arc<Semaphore>> =
        config.sources.iter().map(|s| Arc::new(Semaphore::new(s.concurrency()))).collect();
    let runs = queries.iter().filter(|((src, _), _)| reachable.get(*src) == Some(&true)).map(
        |((src, expr), owners)| {
            let client = clients[*src].clone();
            let cap = Arc::clone(&caps[*src]);
            async move {
                let _permit = cap.acquire().await;
                let outcome = match &client {
                    Some(c) => c.query(expr, None).await.map(|f| f.response.data.is_empty()),
                    None => Ok(false),
                };
                drop(_permit);
                let explained = match (&client, &outcome) {
                    (Some(c), Ok(true)) if owners.iter().any(|o| !o.empty_ok) => {
                        Some(crate::explain::explain_on(c, expr).await)
                    }
                    _ => None,
                };
                (*src, owners, outcome.map(|_| explained))
            }
        },
    );
    for (src, owners, outcome) in futures_util::future::join_all(runs).await {
        let e = match outcome {
            Ok(None) => continue,
            Ok(Some(why)) => {
                for o in owners.iter().filter(|o| !o.empty_ok) {
                    let msg = format!("{}: the query returns nothing: {}", o.what, why.headline());
                    out.push(
                        Diagnostic::new(&o.place.file, o.place.line, msg)
                            .with_fix(o.if_empty)
                            .as_warning(),
                    );
                }
                continue;
            }
            Err(e) => e,
        };
        let (problem, fix) = query_problem(&config.sources[src].name, &e, config.refresh);
        for o in owners {
            let msg = format!("{}: {problem}", o.what);
            out.push(Diagnostic::new(&o.place.file, o.place.line, msg).with_fix(&fix));
        }
    }
    out.sort_by_key(|d| d.line);
    out
}

/// Each distinct (source, expression) pair and the panels and alerts that use it.
fn distinct_queries(
    config: &Config,
    file: &Path,
    text: &str,
) -> BTreeMap<(usize, String), Vec<Owner>> {
    let at = |table: &str, index: usize| Place {
        file: file.to_path_buf(),
        line: table_line(text, table, index),
    };
    let source_of = |name: &Option<String>| {
        name.as_ref().and_then(|n| config.sources.iter().position(|s| &s.name == n)).unwrap_or(0)
    };
    let mut out: BTreeMap<(usize, String), Vec<Owner>> = BTreeMap::new();
    for (index, p) in config.panels.iter().enumerate() {
        let what = format!("panel {:?}", p.title);
        let place = at("panels", index);
        for (j, c) in p.columns.iter().enumerate() {
            let line = crate::config::column_line(text, place.line, j);
            let what = format!("panel {:?} column {:?}", p.title, c.title);
            let place = Place { line, ..place.clone() };
            let owner = Owner { place, what, empty_ok: false, if_empty: PANEL_IF_EMPTY };
            out.entry((source_of(&p.source), c.query.trim().to_string())).or_default().push(owner);
        }
        let owner = Owner { place, what, empty_ok: false, if_empty: PANEL_IF_EMPTY };
        out.entry((source_of(&p.source), p.query.trim().to_string())).or_default().push(owner);
    }
    for (index, rule) in config.alerts.iter().enumerate() {
        if let Some(expr) = &rule.query {
            let place = rule.defined_at.clone().unwrap_or_else(|| at("alerts", index));
            let empty_ok = rule.no_data_policy() == crate::alert::Policy::Ok;
            let what = format!("alert {:?}", rule.name);
            let owner = Owner { place, what, empty_ok, if_empty: PANEL_IF_EMPTY };
            out.entry((source_of(&rule.source), expr.trim().to_string())).or_default().push(owner);
        }
    }
    out.retain(|(_, expr), _| !expr.is_empty());
    out
}

/// The guard and verify queries of the runbooks' actions, each on the source of the first
/// alert rule its runbook names. Labels are filled with a stand-in, so a query that uses them
/// is only asked whether it runs: its answer may well be empty.
fn condition_queries(config: &Config, runbooks: &[Runbook]) -> Vec<((usize, String), Owner)> {
    let mut out = Vec::new();
    for rb in runbooks {
        let rule = config.alerts.iter().find(|r| rb.alerts.contains(&r.name));
        let source_name = rule.and_then(|r| r.source.as_ref());
        let source =
            source_name.and_then(|n| config.sources.iter().position(|s| &s.name == n)).unwrap_or(0);
        for a in &rb.actions {
            let guards = a.guards.iter().map(|g| ("guard", format!("guard {:?}", g.why), &g.query));
            let verify = a.verify.iter().map(|v| ("verify", "verify".to_owned(), &v.query));
            for (field, what, query) in guards.chain(verify) {
                let labels = crate::template::placeholders(query)
                    .is_ok_and(|p| p.iter().any(|n| n.starts_with("labels.")));
                let filled = crate::runbook::guard::sample_fill(query, &a.vars);
                let plan = crate::runbook::Plan::of(&filled);
                let owner = Owner {
                    place: Place { file: rb.file.clone(), line: Some(a.line_of(field)) },
                    what: format!("runbook {:?} key '{}' {what}", rb.id, a.key),
                    empty_ok: labels,
                    if_empty: GUARD_IF_EMPTY,
                };
                out.push(((source, plan.query().to_owned()), owner));
            }
        }
    }
    out
}

fn source_problem(name: &str, url: &str, e: &PromError) -> (String, String) {
    let secs = CHECK_DEADLINE.as_secs();
    match e {
        PromError::Network(m) => (
            format!("source {name:?}: cannot reach {url}: {m}"),
            "check the url, and that the server runs and is reachable from this host".into(),
        ),
        PromError::Timeout(_) => (
            format!("source {name:?}: {url} did not answer within {secs}s"),
            "check the url; if the server is only slow, raise the source's `timeout`".into(),
        ),
        PromError::Http { status: 401 | 403, .. } => (
            format!("source {name:?}: {url} refused the credentials ({e})"),
            "check bearer_token_env / bearer_token_file / basic_auth of this source".into(),
        ),
        PromError::Redirect(_) => (
            format!("source {name:?}: {url} {e}"),
            "set the url to where the server redirects, if that server may have the credentials"
                .into(),
        ),
        PromError::Http { status: 404, .. } => (
            format!("source {name:?}: no Prometheus query API under {url} (HTTP 404)"),
            "give the base URL, without /api/v1 (Mimir: with its /prometheus prefix)".into(),
        ),
        _ => (
            format!("source {name:?}: {url} does not answer as a Prometheus query API: {e}"),
            "point the url at Prometheus, VictoriaMetrics, Thanos Querier or Mimir".into(),
        ),
    }
}

fn query_problem(source: &str, e: &PromError, refresh: Duration) -> (String, String) {
    match e {
        PromError::Api { status: 400 | 422, .. } if e.class() == "bad_data" => (
            format!("{source:?} rejects the query: {e}"),
            "fix the PromQL in `query` (try it in the server's expression browser)".into(),
        ),
        PromError::Api { status: 422, .. } => (
            format!("{source:?} cannot run the query: {e}"),
            "narrow the selectors or aggregate earlier (too many samples, many-to-many matching…)"
                .into(),
        ),
        PromError::Timeout(_) => (
            format!("{source:?} did not answer the query within {}s", CHECK_DEADLINE.as_secs()),
            format!(
                "too heavy for a dashboard refreshed every {}: narrow it or use a recording rule",
                crate::duration::format(refresh)
            ),
        ),
        PromError::TooLarge(_) => (
            format!("{source:?} sent an {e} for the query"),
            "aggregate the query (sum by, topk), or raise the source's `max_response_bytes`".into(),
        ),
        _ => (format!("{source:?} failed the query: {e}"), "retry; check the server's log".into()),
    }
}
