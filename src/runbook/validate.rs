//! Checking a runbook's front matter field by field, after TOML parsing: what the types alone
//! cannot say (one-character keys, shell rules, confirmation levels, regexes, names).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::duration::DurationRepr;
use toml::Spanned;

use super::parse::LineMap;
use super::resolve::CONTEXT_VARS;
use super::spec::{
    ActionKind, ActionSpec, AllowPattern, Confirm, HttpSpec, Matcher, Runbook, DEFAULT_TIMEOUT,
};
use super::{diag, Diagnostic};
use crate::template;

const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "ash", "busybox"];
const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRunbook {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    alerts: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    matchers: Vec<Spanned<String>>,
    #[serde(default)]
    actions: Vec<RawAction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAction {
    key: Spanned<String>,
    label: String,
    argv: Option<Spanned<Vec<String>>>,
    shell: Option<Spanned<bool>>,
    http: Option<Spanned<RawHttp>>,
    confirm: Option<Spanned<String>>,
    peak_confirm: Option<Spanned<String>>,
    dry_run: Option<Spanned<Vec<String>>>,
    timeout: Option<Spanned<DurationRepr>>,
    cooldown: Option<Spanned<DurationRepr>>,
    #[serde(default)]
    env: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    dangerous: bool,
    target: Option<Spanned<String>>,
    #[serde(default)]
    allow: BTreeMap<String, Spanned<String>>,
    #[serde(default)]
    vars: BTreeMap<String, Spanned<String>>,
    guard: Option<Spanned<super::conditions::RawGuards>>,
    guard_override: Option<Spanned<bool>>,
    verify: Option<Spanned<super::conditions::RawVerify>>,
    announce: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    #[serde(default = "default_method")]
    method: String,
    url: Spanned<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
}

fn default_method() -> String {
    "POST".into()
}

pub(super) struct Validator<'a> {
    pub(super) file: &'a Path,
    pub(super) lines: LineMap<'a>,
    pub(super) diags: Vec<Diagnostic>,
}

impl Validator<'_> {
    /// The action's confirmation level, and the one it needs during peak hours.
    fn confirmation(&mut self, raw: &RawAction, line: usize) -> (Confirm, Option<Confirm>) {
        let mut level = |c: &Spanned<String>, what: &str| match Confirm::parse(c.get_ref()) {
            Some(v) => Some(v),
            None => {
                self.err(
                    self.line(c),
                    format!("{what} = {:?} is not a confirmation level", c.get_ref()),
                    "use \"none\", \"yes-no\" or \"type-target\"",
                );
                None
            }
        };
        let confirm = match &raw.confirm {
            // A dangerous action with a target makes the engineer type it unless the runbook
            // explicitly settles for yes-no.
            None if raw.dangerous && raw.target.is_some() => Confirm::TypeTarget,
            None => Confirm::YesNo,
            Some(c) => level(c, "confirm").unwrap_or(Confirm::YesNo),
        };
        let peak = raw.peak_confirm.as_ref().and_then(|c| level(c, "peak_confirm"));
        let confirm_line = raw.confirm.as_ref().map_or(line, |c| self.line(c));
        if confirm == Confirm::None && raw.dangerous {
            self.err(
                confirm_line,
                "a dangerous action cannot use confirm = \"none\"",
                "use confirm = \"yes-no\" or \"type-target\"",
            );
        }
        for (what, level, at) in [
            ("confirm", Some(confirm), confirm_line),
            ("peak_confirm", peak, raw.peak_confirm.as_ref().map_or(line, |c| self.line(c))),
        ] {
            if level == Some(Confirm::TypeTarget) && raw.target.is_none() {
                self.err(
                    at,
                    format!("{what} = \"type-target\" needs a target to type"),
                    "add target = \"{{ labels.instance }}\" (or whatever names the target)",
                );
            }
        }
        (confirm, peak)
    }

    pub(super) fn err(&mut self, line: usize, message: impl Into<String>, fix: impl Into<String>) {
        self.diags.push(diag(self.file, line, message, fix));
    }

    pub(super) fn line<T>(&self, s: &Spanned<T>) -> usize {
        self.lines.line(&s.span())
    }

    pub(super) fn runbook(&mut self, raw: RawRunbook, body: &str) -> Runbook {
        let id_line = self.line(&raw.id);
        let id = raw.id.into_inner();
        let id_ok = !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if !id_ok {
            self.err(
                id_line,
                format!("id {id:?} may only hold lower-case letters, digits, - and _"),
                "use a short slug such as \"pg-idle-in-transaction\"",
            );
        }
        let (alerts, alerts_line) = match raw.alerts {
            Some(a) => {
                let line = self.line(&a);
                (a.into_inner(), line)
            }
            None => (Vec::new(), id_line),
        };
        let mut matchers = Vec::new();
        for m in &raw.matchers {
            match Matcher::parse(m.get_ref()) {
                Ok(parsed) => matchers.push(parsed),
                Err(e) => self.err(
                    self.line(m),
                    format!("bad matcher: {e}"),
                    "write matchers as in PromQL: 'severity=\"critical\"', 'instance=~\"pg-.*\"'",
                ),
            }
        }
        if alerts.is_empty() && raw.matchers.is_empty() {
            self.err(
                id_line,
                "the runbook applies to no alert: it has neither alerts nor matchers",
                "add alerts = [\"AlertName\"] or matchers = ['label=\"value\"']",
            );
        }
        let mut actions: Vec<ActionSpec> = Vec::new();
        for raw_action in raw.actions {
            if let Some(a) = self.action(&id, raw_action) {
                if let Some(prev) = actions.iter().find(|p| p.key == a.key) {
                    let msg = format!(
                        "key '{}' is used twice in this runbook (also on line {})",
                        a.key, prev.line
                    );
                    self.err(a.line, msg, "give each action its own key");
                }
                actions.push(a);
            }
        }
        Runbook {
            id,
            title: raw.title,
            file: self.file.to_path_buf(),
            alerts,
            matchers,
            actions,
            body: body.to_string(),
            alerts_line,
        }
    }

    fn action(&mut self, runbook: &str, raw: RawAction) -> Option<ActionSpec> {
        let line = self.line(&raw.key);
        let mut lines = BTreeMap::new();
        let key = self.key(&raw.key, line)?;
        let before = self.diags.len();
        let shell = raw.shell.as_ref().is_some_and(|s| *s.get_ref());
        let (confirm, peak_confirm) = self.confirmation(&raw, line);
        let kind = self.kind(raw.argv, raw.http, raw.shell.as_ref(), line, &mut lines)?;
        let dry_run = raw.dry_run.map(|d| {
            let l = self.line(&d);
            lines.insert("dry_run".to_string(), l);
            self.argv(l, "dry_run", d.get_ref(), shell);
            d.into_inner()
        });
        let timeout = self.duration(raw.timeout.as_ref(), "timeout", DEFAULT_TIMEOUT);
        let cooldown = self.duration(raw.cooldown.as_ref(), "cooldown", Duration::ZERO);
        if timeout.is_zero() {
            self.err(line, "timeout must be above zero", "e.g. timeout = \"30s\"");
        }
        let target = raw.target.map(|t| {
            let l = self.line(&t);
            lines.insert("target".to_string(), l);
            self.template(l, t.get_ref());
            t.into_inner()
        });
        let env = self.env(raw.env, &mut lines);
        let allow = self.allow(raw.allow, &mut lines);
        let vars = self.vars(raw.vars, &mut lines);
        let guards = self.guards(raw.guard, &vars, &mut lines);
        let guard_override = raw.guard_override.is_some_and(|o| {
            if *o.get_ref() && guards.is_empty() {
                let l = self.line(&o);
                self.err(l, "guard_override without a guard", "add a guard or remove the line");
            }
            o.into_inner()
        });
        let verify = self.verify(raw.verify, &vars, &mut lines);
        if self.diags.len() > before {
            return None;
        }
        Some(ActionSpec {
            runbook: runbook.to_string(),
            key,
            label: super::spec::render_label(&raw.label, &vars),
            label_template: raw.label,
            kind,
            confirm,
            peak_confirm,
            dry_run,
            timeout,
            cooldown,
            env,
            dangerous: raw.dangerous,
            target,
            allow,
            vars,
            guards,
            guard_override,
            verify,
            announce: raw.announce,
            line,
            lines,
        })
    }

    /// An action's `key`: exactly one printable character.
    fn key(&mut self, key: &Spanned<String>, line: usize) -> Option<char> {
        let mut chars = key.get_ref().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if !c.is_control() && !c.is_whitespace() => Some(c),
            _ => {
                self.err(
                    line,
                    format!("key {:?} must be exactly one character", key.get_ref()),
                    "use one letter or digit, e.g. key = \"t\"",
                );
                None
            }
        }
    }

    /// What an action does: a program (`argv`) or a request (`[actions.http]`), exactly one.
    fn kind(
        &mut self,
        argv: Option<Spanned<Vec<String>>>,
        http: Option<Spanned<RawHttp>>,
        shell_raw: Option<&Spanned<bool>>,
        line: usize,
        lines: &mut BTreeMap<String, usize>,
    ) -> Option<ActionKind> {
        let shell = shell_raw.is_some_and(|s| *s.get_ref());
        Some(match (argv, http) {
            (Some(argv), None) => {
                lines.insert("argv".to_string(), self.line(&argv));
                let l = self.line(&argv);
                self.argv(l, "argv", argv.get_ref(), shell);
                ActionKind::Argv { argv: argv.into_inner(), shell }
            }
            (None, Some(http)) => ActionKind::Http(self.http(http, shell_raw, lines)),
            (Some(_), Some(_)) => {
                self.err(
                    line,
                    "the action has both argv and [actions.http]",
                    "keep one: a program to run or a request to send",
                );
                return None;
            }
            (None, None) => {
                self.err(
                    line,
                    "the action has neither argv nor [actions.http]",
                    "add argv = [\"program\", \"arg\"] or an [actions.http] table",
                );
                return None;
            }
        })
    }

    /// An action's `[actions.env]`: allowed names, each value a valid template.
    fn env(
        &mut self,
        raw: BTreeMap<String, Spanned<String>>,
        lines: &mut BTreeMap<String, usize>,
    ) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for (name, value) in raw {
            let l = self.line(&value);
            lines.insert(format!("env.{name}"), l);
            if !is_identifier(&name) || name.starts_with("WARROOM_") {
                self.err(
                    l,
                    format!("environment variable name {name:?} is not allowed"),
                    "use letters, digits and _ (not starting with a digit or WARROOM_)",
                );
            }
            self.template(l, value.get_ref());
            env.insert(name, value.into_inner());
        }
        env
    }

    /// An action's `[actions.allow]`: one whole-value regex per label.
    fn allow(
        &mut self,
        raw: BTreeMap<String, Spanned<String>>,
        lines: &mut BTreeMap<String, usize>,
    ) -> BTreeMap<String, AllowPattern> {
        let mut allow = BTreeMap::new();
        for (label, pattern) in raw {
            let l = self.line(&pattern);
            lines.insert(format!("allow.{label}"), l);
            match AllowPattern::new(pattern.get_ref()) {
                Ok(p) => {
                    allow.insert(label, p);
                }
                Err(e) => self.err(
                    l,
                    format!(
                        "allow pattern for label {label:?} is not a valid regex: {}",
                        first_line(&e.to_string())
                    ),
                    "fix the regular expression (Rust regex syntax; it must match the whole value)",
                ),
            }
        }
        allow
    }

    /// An action's `[actions.vars]`: plain names that no context variable uses.
    fn vars(
        &mut self,
        raw: BTreeMap<String, Spanned<String>>,
        lines: &mut BTreeMap<String, usize>,
    ) -> BTreeMap<String, String> {
        let mut vars = BTreeMap::new();
        for (name, value) in raw {
            let l = self.line(&value);
            lines.insert(format!("vars.{name}"), l);
            if CONTEXT_VARS.contains(&name.as_str()) || name == "labels" || !is_identifier(&name) {
                self.err(
                    l,
                    format!("vars.{name} is reserved or not a plain name"),
                    format!("pick another name; reserved: labels, {}", CONTEXT_VARS.join(", ")),
                );
            }
            vars.insert(name, value.into_inner());
        }
        vars
    }

    /// An `[actions.http]` table: a known method, an http(s) URL (or one from
    /// `{{ source_url }}`), templates that close; `shell` must not be set beside it.
    fn http(
        &mut self,
        http: Spanned<RawHttp>,
        shell: Option<&Spanned<bool>>,
        lines: &mut BTreeMap<String, usize>,
    ) -> HttpSpec {
        let l = self.line(&http);
        let http = http.into_inner();
        let url_line = self.line(&http.url);
        lines.insert("url".to_string(), url_line);
        lines.insert("http".to_string(), l);
        let method = http.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            self.err(
                l,
                format!("unknown HTTP method {:?}", http.method),
                format!("use one of {}", METHODS.join(", ")),
            );
        }
        if let Some(s) = shell {
            self.err(self.line(s), "shell = true only applies to argv actions", "remove shell");
        }
        let url = http.url.into_inner();
        if !(url.starts_with("http://") || url.starts_with("https://") || url.starts_with("{{")) {
            self.err(
                url_line,
                format!("url {url:?} is not an http:// or https:// URL"),
                "write a full URL, or start it with {{ source_url }}",
            );
        }
        let spec = HttpSpec { method, url, headers: http.headers, body: http.body };
        for t in std::iter::once(&spec.url).chain(spec.headers.values()).chain(spec.body.iter()) {
            self.template(l, t);
        }
        spec
    }

    fn argv(&mut self, line: usize, field: &str, argv: &[String], shell: bool) {
        let Some(program) = argv.first() else {
            self.err(
                line,
                format!("{field} is empty"),
                "name a program: [\"psql\", \"-c\", \"…\"]",
            );
            return;
        };
        for a in argv {
            self.template(line, a);
        }
        if template::placeholders(program).is_ok_and(|p| !p.is_empty()) {
            self.err(
                line,
                format!("{field}[0] must be a fixed program name, not a template"),
                "put the placeholder in a later argument",
            );
        }
        let base = program.rsplit('/').next().unwrap_or(program);
        if base == "ssh" {
            let uses_label = |a: &String| {
                template::placeholders(a).is_ok_and(|p| p.iter().any(|n| n.starts_with("labels.")))
            };
            let misplaced = argv
                .iter()
                .enumerate()
                .any(|(i, a)| uses_label(a) && (i == 0 || argv[i - 1] != "--"));
            if misplaced {
                self.err(
                    line,
                    format!("{field}: ssh joins its command into a remote shell line, so labels may only fill the destination"),
                    "put the destination right after \"--\" and keep the remote command constant",
                );
            }
        }
        let runs_shell = SHELLS.contains(&base) && argv.iter().skip(1).any(|a| a == "-c");
        if shell {
            if !(SHELLS.contains(&base) && argv.get(1).is_some_and(|a| a == "-c")) {
                self.err(
                    line,
                    format!("shell = true but {field} is not [\"sh\", \"-c\", \"script\", …]"),
                    "write the script as [\"sh\", \"-c\", \"…\"] or drop shell = true",
                );
            }
            if argv.iter().any(|a| template::placeholders(a).is_ok_and(|p| !p.is_empty())) {
                self.err(
                    line,
                    format!("{field} of a shell action holds {{{{ placeholders }}}}"),
                    "read labels from the environment instead: \"$WARROOM_LABEL_INSTANCE\" \
                     (list them in allow = { instance = '…' })",
                );
            }
        } else if runs_shell {
            self.err(
                line,
                format!("{field} runs a shell script but the action does not say shell = true"),
                "add shell = true; labels then reach the script only as $WARROOM_LABEL_<NAME>",
            );
        }
    }

    fn template(&mut self, line: usize, t: &str) {
        if let Err(e) = template::placeholders(t) {
            self.err(line, format!("bad template {t:?}: {e}"), "close every {{ with }}");
        }
    }

    pub(super) fn duration(
        &mut self,
        raw: Option<&Spanned<DurationRepr>>,
        field: &str,
        default: Duration,
    ) -> Duration {
        let Some(raw) = raw else { return default };
        match raw.get_ref().to_duration() {
            Ok(d) => d,
            Err(e) => {
                self.err(
                    self.line(raw),
                    format!("{field}: {e}"),
                    "write a duration such as \"30s\" or \"2m\"",
                );
                default
            }
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn first_line(s: &str) -> String {
    let last = s.lines().map(str::trim).rfind(|l| !l.is_empty()).unwrap_or(s);
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}
