//! `warroom check`: config, themes and runbooks (and, unless offline, the sources themselves),
//! every problem printed with file, line and a fix; non-zero exit on any.

use crate::config::ConfigFile;
use crate::diag::Diagnostic;
use crate::runbook::Runbook;

/// Contacts every source and runs every panel and alert query, and the runbooks' guard and
/// verify queries, once; unreachable sources and rejected queries are problems, at the line of
/// their table in `file` or of the action in its runbook (see [`super::sources`]).
pub async fn check_sources(
    config: &crate::config::Config,
    runbooks: &[Runbook],
    file: Option<&std::path::Path>,
) -> Vec<Diagnostic> {
    let (shown, text) = match file {
        Some(p) => (p.to_path_buf(), std::fs::read_to_string(p).unwrap_or_default()),
        None => (std::path::PathBuf::from("<built-in config>"), String::new()),
    };
    super::sources::check_sources(config, runbooks, &shown, &text).await
}

/// What was checked, for the closing line.
pub struct Summary {
    pub config: String,
    pub panels: usize,
    pub alerts: usize,
    pub runbooks: usize,
}

impl Summary {
    pub fn new(config: &ConfigFile, runbooks: &[Runbook], demo: bool) -> Self {
        let builtin = if demo { "<demo dashboard>" } else { "<built-in config>" };
        Summary {
            config: config
                .path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| builtin.into()),
            panels: config.config.panels.len(),
            alerts: config.config.alerts.len(),
            runbooks: runbooks.len(),
        }
    }
}

/// The report `check` prints: every problem, then one line.
pub fn report(problems: &[Diagnostic], summary: &Summary) -> String {
    let mut out = String::new();
    for p in problems {
        let kind = if p.warning { "warning" } else { "error" };
        out.push_str(&format!("{kind}: {p}\n"));
    }
    let warnings = problems.iter().filter(|p| p.warning).count();
    let errors = problems.len() - warnings;
    if errors == 0 {
        let also =
            if warnings > 0 { format!(" ({warnings} warning(s) above)") } else { String::new() };
        out.push_str(&format!(
            "ok: {} — {} panels, {} alert rules, {} runbooks{also}\n",
            summary.config, summary.panels, summary.alerts, summary.runbooks
        ));
    } else {
        out.push_str(&format!("{errors} problem(s) found\n"));
    }
    out
}

/// Panel and alert queries that do not parse as PromQL, as warnings: a source that speaks
/// MetricsQL (VictoriaMetrics) takes more than PromQL, so only the source can say they are
/// wrong; the live check asks it. Rule files' expressions are PromQL by definition and are
/// errors when the config loads.
pub fn promql_warnings(config: &ConfigFile) -> Vec<Diagnostic> {
    let file = config.path.clone().unwrap_or_else(|| "<built-in config>".into());
    let text =
        config.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let text = text.as_str();
    let panels = config.config.panels.iter().enumerate().flat_map(|(i, p)| {
        let line = crate::diag::table_line(text, "panels", i);
        let columns = p.columns.iter().enumerate().map(move |(j, c)| {
            let what = format!("panel {:?} column {:?}", p.title, c.title);
            (crate::config::column_line(text, line, j), what, &c.query)
        });
        std::iter::once((line, format!("panel {:?}", p.title), &p.query)).chain(columns)
    });
    let alerts = config.config.alerts.iter().enumerate().filter(|(_, r)| r.defined_at.is_none());
    let alerts = alerts.filter_map(|(i, r)| {
        let q = r.query.as_ref()?;
        Some((crate::diag::table_line(text, "alerts", i), format!("alert {:?}", r.name), q))
    });
    panels
        .chain(alerts)
        .filter_map(|(line, what, query)| {
            let e = crate::promql::parse(query).err()?;
            let msg = format!("{what}: the query is not PromQL: {e}");
            let fix = "fix the query (fine if the source speaks MetricsQL: the live check asks it)";
            Some(Diagnostic::new(&file, line, msg).with_fix(fix).as_warning())
        })
        .collect()
}
