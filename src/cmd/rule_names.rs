//! `warroom check` asks the sources which alerting rules they evaluate themselves
//! (`/api/v1/rules`), so a runbook may name an alert that only Prometheus defines, and a typo in
//! one is still found.

use crate::config::Config;
use crate::diag::Diagnostic;
use crate::prom::Client;
use crate::runbook::Runbook;

use super::sources::CHECK_DEADLINE;

/// Runbook alerts that neither a local rule (config or rule file) nor any source's own rules
/// define. Says nothing when a source that shares its alerts did not answer: its rules are
/// unknown, and the source check reports it.
pub async fn check_runbook_alerts(config: &Config, runbooks: &[Runbook]) -> Vec<Diagnostic> {
    let mut known: Vec<String> = config.alerts.iter().map(|r| r.name.clone()).collect();
    let named_elsewhere = runbooks.iter().flat_map(|rb| &rb.alerts).any(|a| !known.contains(a));
    if !named_elsewhere {
        return Vec::new();
    }
    let asks = config.sources.iter().filter(|s| s.fetch_alerts).map(|spec| async move {
        let client = Client::new(spec).ok()?.with_timeout(CHECK_DEADLINE);
        crate::pager::api::prom_rule_names(&client).await.ok()
    });
    for names in futures_util::future::join_all(asks).await {
        match names {
            Some(names) => known.extend(names),
            None => return Vec::new(),
        }
    }
    crate::runbook::unknown_alerts(runbooks, &known)
}
