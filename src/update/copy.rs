//! `y`: the selected panel's query (panels focused, or the query overlay open), or the selected
//! alert as one line of text (alerts focused; with its runbook link, if a rule gives one), put
//! on the terminal's clipboard.

use crate::model::{Focus, Model, Overlay, QueryOwner};
use crate::msg::Effect;
use crate::sanitize;

use super::keys::notice;

pub(super) fn selected(model: &mut Model) -> Vec<Effect> {
    let Some((what, text)) = copied(model) else {
        return notice(model, "nothing selected to copy");
    };
    let mut effects = notice(model, &format!("copied {what} (OSC 52; in tmux: set-clipboard on)"));
    effects.push(Effect::Copy(text));
    effects
}

/// What `y` copies here, and its name for the notice.
fn copied(model: &Model) -> Option<(String, String)> {
    let panel = match &model.ui.overlay {
        Overlay::Query { of: QueryOwner::Panel(panel), .. } => Some(*panel),
        Overlay::Query { query, of: QueryOwner::Rule(rule) } => {
            let expr = &model.queries.get(*query)?.expr;
            let what = format!("the query of alert {}", sanitize::clean(rule));
            return Some((what, sanitize::clean_owned(expr)));
        }
        _ if model.ui.focus == Focus::Panels => model.selected_panel(),
        _ => None,
    };
    if let Some(p) = panel.and_then(|i| model.panels.get(i)) {
        let query = model.queries.get(p.query)?;
        let title = sanitize::clean_owned(&p.spec.title);
        return Some((format!("the query of {title}"), sanitize::clean_owned(&query.expr)));
    }
    let a = model.selected_alert()?;
    let labels: Vec<String> = a.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let link = a
        .runbook
        .as_deref()
        .filter(|r| crate::runbook::reference::is_link(r))
        .map(|r| format!(" — runbook {r}"))
        .unwrap_or_default();
    let line = format!(
        "{} {} {} {} value {} since {} — {}{link}",
        a.state.label(),
        a.severity.label(),
        a.rule,
        labels.join(","),
        crate::alert::summary::format_value(a.value),
        a.since.format("%Y-%m-%d %H:%M:%S UTC"),
        a.summary
    );
    Some((format!("alert {}", sanitize::clean(&a.rule)), sanitize::clean_owned(&line)))
}
