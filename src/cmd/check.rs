//! `warroom check`: config, themes and runbooks (and, unless offline, the sources themselves),
//! every problem printed with file, line and a fix; non-zero exit on any.

use crate::config::ConfigFile;
use crate::diag::Diagnostic;
use crate::runbook::Runbook;

/// Contacts every source and runs every panel and alert query once; unreachable sources and
/// rejected queries are problems, at the line of their table in `file` (see [`super::sources`]).
pub async fn check_sources(
    config: &crate::config::Config,
    file: Option<&std::path::Path>,
) -> Vec<Diagnostic> {
    let (shown, text) = match file {
        Some(p) => (p.to_path_buf(), std::fs::read_to_string(p).unwrap_or_default()),
        None => (std::path::PathBuf::from("<built-in config>"), String::new()),
    };
    super::sources::check_sources(config, &shown, &text).await
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
