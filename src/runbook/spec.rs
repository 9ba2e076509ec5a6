//! The validated shape of a runbook and its actions, as [`crate::runbook::parse`] produces it.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::LazyLock;
use std::time::Duration;

use regex::Regex;

use crate::prom::Labels;

/// Pattern applied to a label value that has no `allow` entry of its own: letters, digits and
/// `_ . : -`, not starting with `-` or `.`, at most 253 characters. No spaces, quotes, slashes,
/// `$`, `;` or control characters.
pub const DEFAULT_ALLOW: &str = "[A-Za-z0-9_][A-Za-z0-9_.:-]{0,252}";

#[allow(clippy::expect_used, reason = "a constant pattern; the tests compile it")]
static STRICT: LazyLock<Regex> =
    LazyLock::new(|| anchored(DEFAULT_ALLOW).expect("DEFAULT_ALLOW is a valid pattern"));

/// Default run timeout when an action sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// One runbook file.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// Stable identifier (`[a-z0-9_-]+`), used in lock names and the audit log.
    pub id: String,
    /// Title shown above the runbook pane.
    pub title: String,
    /// Where it was loaded from.
    pub file: PathBuf,
    /// Alert names it applies to (any of them).
    pub alerts: Vec<String>,
    /// Label matchers that must all hold.
    pub matchers: Vec<Matcher>,
    /// The one-key actions, in file order.
    pub actions: Vec<ActionSpec>,
    /// The Markdown body, for the runbook pane.
    pub body: String,
    /// Line of `alerts =` in the file (for diagnostics), or 1.
    pub alerts_line: usize,
}

impl Runbook {
    /// Whether this runbook is offered for an alert: its name is listed in `alerts` (when
    /// `alerts` is non-empty) and every matcher holds on `labels` (`alertname` matchers see the
    /// alert name). A runbook with neither alerts nor matchers applies to nothing.
    pub fn applies_to(&self, alertname: &str, labels: &Labels) -> bool {
        if self.alerts.is_empty() && self.matchers.is_empty() {
            return false;
        }
        if !self.alerts.is_empty() && !self.alerts.iter().any(|a| a == alertname) {
            return false;
        }
        self.matchers.iter().all(|m| {
            let value = if m.name == "alertname" {
                Some(alertname)
            } else {
                labels.get(&m.name).map(String::as_str)
            };
            m.matches(value.unwrap_or(""))
        })
    }

    /// The action bound to `key`, if any.
    pub fn action(&self, key: char) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.key == key)
    }
}

pub use crate::matcher::{MatchOp, Matcher};

pub use crate::matcher::anchored;

/// An allow-list entry: the pattern as written and its anchored compiled form. Named capture
/// groups are available to templates as `{{ labels.NAME.GROUP }}`.
#[derive(Debug, Clone)]
pub struct AllowPattern {
    /// The pattern as written in the file.
    pub source: String,
    /// Compiled with `^(?:…)$`, so it always matches the whole value.
    pub regex: Regex,
}

impl AllowPattern {
    /// Compiles a pattern from a runbook.
    pub fn new(source: &str) -> Result<Self, regex::Error> {
        Ok(AllowPattern { source: source.to_string(), regex: anchored(source)? })
    }

    /// The pattern used for labels without an `allow` entry.
    pub fn default_strict() -> Self {
        AllowPattern { source: DEFAULT_ALLOW.to_string(), regex: STRICT.clone() }
    }
}

/// How much confirmation an action needs before it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    /// Runs on the key press (only for actions that are not `dangerous`).
    None,
    /// A y/n dialog. The default.
    YesNo,
    /// The engineer types the target's name.
    TypeTarget,
}

impl Confirm {
    /// The stricter of two levels (`none` < `yes-no` < `type-target`).
    pub fn stricter(self, other: Confirm) -> Confirm {
        let rank = |c: Confirm| match c {
            Confirm::None => 0,
            Confirm::YesNo => 1,
            Confirm::TypeTarget => 2,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// Parses the front-matter spelling.
    pub fn parse(s: &str) -> Option<Confirm> {
        match s {
            "none" => Some(Confirm::None),
            "yes-no" => Some(Confirm::YesNo),
            "type-target" => Some(Confirm::TypeTarget),
            _ => None,
        }
    }
}

/// An HTTP request template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSpec {
    /// `GET`, `POST`, … (upper case).
    pub method: String,
    /// URL template; label values placed in it are percent-encoded.
    pub url: String,
    /// Header templates.
    pub headers: BTreeMap<String, String>,
    /// Body template.
    pub body: Option<String>,
}

/// What an action does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionKind {
    /// Run a program. With `shell`, argv is `[shell, "-c", script, …]` and holds no placeholders;
    /// labels reach the script only as `WARROOM_LABEL_<NAME>` environment variables.
    Argv {
        /// Program and arguments (templates; `argv[0]` is a constant).
        argv: Vec<String>,
        /// Whether argv runs a shell script.
        shell: bool,
    },
    /// Send an HTTP request.
    Http(HttpSpec),
}

/// One key-bound action of a runbook.
#[derive(Debug, Clone)]
pub struct ActionSpec {
    /// The owning runbook's id.
    pub runbook: String,
    /// The key that starts it.
    pub key: char,
    /// What the footer and confirm dialog call it: `label_template` with the `vars` filled in.
    pub label: String,
    /// The label as written, e.g. `"Terminate sessions idle for more than {{ older_than }} s"`.
    pub label_template: String,
    /// Program or HTTP request.
    pub kind: ActionKind,
    /// Confirmation level.
    pub confirm: Confirm,
    /// The confirmation it needs during the environment's peak hours, when stricter.
    pub peak_confirm: Option<Confirm>,
    /// Argv of a read-only preview (same templating rules as `argv`).
    pub dry_run: Option<Vec<String>>,
    /// Run deadline; the process group is terminated after it.
    pub timeout: Duration,
    /// Quiet period after a run before the same action may run on the same target again.
    pub cooldown: Duration,
    /// Extra environment (templates); the rest is inherited.
    pub env: BTreeMap<String, String>,
    /// Marks actions that can hurt (restarts, kills); rendered loudly and never `confirm = "none"`.
    pub dangerous: bool,
    /// Template naming the target, e.g. `{{ labels.instance }}`.
    pub target: Option<String>,
    /// Allow-list patterns per label.
    pub allow: BTreeMap<String, AllowPattern>,
    /// Constants available as `{{ name }}`.
    pub vars: BTreeMap<String, String>,
    /// Conditions on live metrics that must hold just before it runs.
    pub guards: Vec<super::guard::Guard>,
    /// Whether the engineer may run it anyway when a guard fails, by typing `override`.
    pub guard_override: bool,
    /// How to tell afterwards whether it worked.
    pub verify: Option<super::guard::Verify>,
    /// Whether a confirmed run is announced to the team through Alertmanager, as written
    /// (`None`: see [`ActionSpec::announced`]).
    pub announce: Option<bool>,
    /// Line of the action's `key` in the file.
    pub line: usize,
    /// Line of each field (`argv`, `url`, `env`, `allow.instance`, …) for diagnostics.
    pub lines: BTreeMap<String, usize>,
}

impl ActionSpec {
    /// Sets `vars.name` (e.g. from the config's `runbook_vars`) and fills the label again, so it
    /// never states a value the action no longer uses.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.insert(name.to_owned(), value.to_owned());
        self.label = render_label(&self.label_template, &self.vars);
    }

    /// Whether its confirmed runs are announced through Alertmanager: as `announce` says, else
    /// every action but a harmless look (`confirm = "none"` and not `dangerous`). Dry runs
    /// never are.
    pub fn announced(&self) -> bool {
        self.announce.unwrap_or(self.dangerous || self.confirm != Confirm::None)
    }

    /// Line of a field for diagnostics, falling back to the action's own line.
    pub fn line_of(&self, field: &str) -> usize {
        self.lines.get(field).copied().unwrap_or(self.line)
    }

    /// Every template of the action with the field it comes from, for checks.
    pub fn templates(&self) -> Vec<(&'static str, &str)> {
        let mut out: Vec<(&'static str, &str)> = Vec::new();
        match &self.kind {
            ActionKind::Argv { argv, .. } => out.extend(argv.iter().map(|a| ("argv", a.as_str()))),
            ActionKind::Http(h) => {
                out.push(("url", &h.url));
                out.extend(h.headers.values().map(|v| ("headers", v.as_str())));
                if let Some(b) = &h.body {
                    out.push(("body", b));
                }
            }
        }
        if let Some(d) = &self.dry_run {
            out.extend(d.iter().map(|a| ("dry_run", a.as_str())));
        }
        out.extend(self.env.values().map(|v| ("env", v.as_str())));
        if let Some(t) = &self.target {
            out.push(("target", t));
        }
        out.extend(self.guards.iter().map(|g| ("guard", g.query.as_str())));
        if let Some(v) = &self.verify {
            out.push(("verify", v.query.as_str()));
        }
        out
    }

    /// The allow pattern for `label`: its own entry or the default strict one.
    pub fn allow_for(&self, label: &str) -> AllowPattern {
        self.allow.get(label).cloned().unwrap_or_else(AllowPattern::default_strict)
    }
}

/// A label template with its `{{ name }}` placeholders filled from `vars`; as written when it
/// names anything else (`warroom check` reports that).
pub fn render_label(template: &str, vars: &BTreeMap<String, String>) -> String {
    crate::template::render(template, |name| vars.get(name).cloned())
        .unwrap_or_else(|_| template.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_pattern_refuses_the_usual_tricks() {
        let p = AllowPattern::default_strict();
        for bad in [";touch /tmp/x", "$(id)", "-rf", "a\nb", "", "a b", "../x"] {
            assert!(!p.regex.is_match(bad), "{bad:?}");
        }
        for good in ["pg-1:9187", "db_1.example.com", "10.0.0.1:5432"] {
            assert!(p.regex.is_match(good), "{good}");
        }
    }
}
