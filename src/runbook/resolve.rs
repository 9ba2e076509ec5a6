//! Turning an action template and an alert's labels into the exact thing that will run, or a
//! refusal that says which label value was not allowed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::guard::{promql_escape, Guard, Verify};
use super::quote::{percent_encode, shell_quote};
use super::spec::{ActionKind, ActionSpec, Confirm};
use crate::prom::Labels;
use crate::sanitize;
use crate::secret::{redact_url, shown_value};
use crate::template::{self, TemplateError};

/// Names the caller may put in [`Context::vars`]; templates may use them as `{{ name }}`.
pub const CONTEXT_VARS: &[&str] = &["source_url", "alertname", "environment", "value"];

/// What an action is resolved against: the selected alert's labels and a few values from the
/// running dashboard (see [`CONTEXT_VARS`]). Context values are trusted (they come from the
/// config); label values are not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The alert's labels.
    pub labels: Labels,
    /// `source_url`, `alertname`, `environment`, `value`.
    pub vars: BTreeMap<String, String>,
}

/// Why an action will not run. `Display` gives the message to show; label values in it are
/// stripped of control characters and shortened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A label value failed its allow-list pattern.
    #[error("label {label} = {value:?} is not allowed (it must match {pattern})")]
    NotAllowed {
        /// Label name.
        label: String,
        /// The offending value, sanitized and cut to 80 characters.
        value: String,
        /// The pattern it had to match.
        pattern: String,
    },
    /// A label value would be a whole `.` or `..` segment of a URL's path, which sends the
    /// request to another path.
    #[error(
        "label {label} = {value:?} is not allowed in a URL path (\".\" and \"..\" would send \
         the request to another path)"
    )]
    PathSegment {
        /// Label name.
        label: String,
        /// The offending value, sanitized and cut to 80 characters.
        value: String,
    },
    /// The action needs a label the alert does not carry.
    #[error("the alert has no label {label:?}, which this action needs")]
    MissingLabel {
        /// Label name.
        label: String,
    },
    /// A template names something neither the labels, the vars nor the context provide.
    #[error("{0}")]
    Template(String),
    /// The resolved request is unusable (bad URL or header value, no dry run defined…).
    #[error("{0}")]
    Invalid(String),
    /// Read-only mode: nothing runs.
    #[error("read-only mode: actions are disabled")]
    ReadOnly,
    /// Another run of the same action on the same target holds the lock.
    #[error("already running since {since}")]
    Running {
        /// When and by whom, as recorded by the holder.
        since: String,
    },
    /// The action ran recently on this target.
    #[error("cooling down, {} s left", ceil_secs(*left))]
    CoolingDown {
        /// Time until it may run again.
        left: Duration,
    },
    /// The lock directory cannot be used (missing and not creatable, not a directory, shared
    /// without the sticky bit…); nothing ran.
    #[error("cannot use lock dir {dir}: {why}")]
    LockDir {
        /// The directory.
        dir: String,
        /// What is wrong with it.
        why: String,
    },
    /// A guard did not hold (or could not be read) just before the run, and nobody overrode
    /// it: `"replica must be in sync: 12 (needs < 5)"`.
    #[error("guard does not hold: {0}")]
    Guard(String),
    /// Another host (or another warroom) announced the same action on the same target through
    /// Alertmanager and it is still running, or it announced first when both launched at once.
    #[error("already running elsewhere: {0}")]
    Elsewhere(String),
    /// Alertmanager could not take the announcement, and `require_for_actions` is set.
    #[error("{0}, and [alertmanager] require_for_actions is set")]
    Unannounced(String),
    /// The lock or audit file could not be used; nothing ran.
    #[error("cannot record the run, so it was not started: {0}")]
    Io(String),
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Which action on which target: runbook id, key, target (as the confirm dialog and the
/// answers about it name it).
pub type ActionId = (String, char, String);

/// What exactly to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Program and arguments, passed to `execve` as they are.
    Argv(Vec<String>),
    /// An HTTP request.
    Http {
        /// Upper-case method.
        method: String,
        /// Full URL, label parts percent-encoded.
        url: String,
        /// Header names and values.
        headers: Vec<(String, String)>,
        /// Request body.
        body: Option<String>,
    },
}

/// A fully resolved action: what the confirm dialog shows and what the executor runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// Runbook id.
    pub runbook: String,
    /// Action key.
    pub key: char,
    /// Action label.
    pub label: String,
    /// The exact request.
    pub request: Request,
    /// Environment added to the inherited one (argv actions only).
    pub env: BTreeMap<String, String>,
    /// The target's name (what `type-target` asks for); empty when the action names none.
    pub target: String,
    /// The labels that went into the request (for the audit log).
    pub labels: Labels,
    /// Whether this is the action's dry run.
    pub dry_run: bool,
    /// Copied from the action.
    pub dangerous: bool,
    /// Copied from the action (dry runs need no confirmation: [`Confirm::None`]).
    pub confirm: Confirm,
    /// The action's guards with their labels filled in (none for a dry run).
    pub guards: Vec<Guard>,
    /// The action's verify query with its labels filled in (none for a dry run).
    pub verify: Option<Verify>,
    /// Whether the run is announced to the team ([`ActionSpec::announced`]; never a dry run).
    pub announced: bool,
}

impl Resolved {
    /// The exact command as the confirm dialog shows it: environment additions and arguments,
    /// shell-quoted for reading (never run through a shell), secrets redacted. HTTP requests show
    /// the method and URL, then headers and the body on their own lines.
    pub fn display(&self) -> String {
        match &self.request {
            Request::Argv(argv) => {
                let mut parts: Vec<String> = self
                    .env
                    .iter()
                    .map(|(k, v)| format!("{k}={}", shell_quote(shown_value(k, v))))
                    .collect();
                parts.extend(argv.iter().map(|a| shell_quote(a)));
                parts.join(" ")
            }
            Request::Http { method, url, headers, body } => {
                let mut out = format!("{method} {}", sanitize::clean(&redact_url(url)));
                for (k, v) in headers {
                    let _ = write!(out, "\n{k}: {}", sanitize::clean(shown_value(k, v)));
                }
                if let Some(b) = body {
                    let _ = write!(
                        out,
                        "\n\n{}",
                        b.replace(|c: char| c.is_control() && c != '\n', " ")
                    );
                }
                out
            }
        }
    }

    /// The exact command for reading in the confirm dialog: environment additions, then the
    /// program, then one argument per line (shell-quoted when needed); an argument with line
    /// breaks (a SQL statement) keeps its lines, indented, instead of one `$'…\n…'` string.
    /// HTTP requests read as [`Resolved::display`].
    pub fn display_lines(&self) -> Vec<String> {
        let Request::Argv(argv) = &self.request else {
            return self.display().lines().map(str::to_string).collect();
        };
        let mut out = Vec::new();
        let env: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| format!("{k}={}", shell_quote(shown_value(k, v))))
            .collect();
        if !env.is_empty() {
            out.push(env.join(" "));
        }
        let mut args = argv.iter().peekable();
        if let Some(program) = args.next() {
            out.push(shell_quote(program).to_string());
        }
        while let Some(arg) = args.next() {
            if arg.contains('\n') {
                out.push("    '".into());
                out.extend(arg.lines().map(|l| format!("      {}", sanitize::clean(l))));
                out.push("    '".into());
                continue;
            }
            // An option and its one-line value read together: `-v ON_ERROR_STOP=1`.
            let value =
                args.next_if(|v| arg.starts_with('-') && !v.starts_with('-') && !v.contains('\n'));
            match value {
                Some(v) => out.push(format!("    {} {}", shell_quote(arg), shell_quote(v))),
                None => out.push(format!("    {}", shell_quote(arg))),
            }
        }
        out
    }

    /// The argv for the audit log (verbatim; argv carries no secrets by convention), or the
    /// method and redacted URL for HTTP.
    pub fn audit_command(&self) -> Vec<String> {
        match &self.request {
            Request::Argv(argv) => argv.clone(),
            Request::Http { method, url, .. } => vec![method.clone(), redact_url(url)],
        }
    }

    /// The environment additions with secret-looking values redacted.
    pub fn redacted_env(&self) -> BTreeMap<String, String> {
        self.env.iter().map(|(k, v)| (k.clone(), shown_value(k, v).to_string())).collect()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Place {
    Verbatim,
    Url,
    /// Inside a quoted string of a PromQL expression.
    PromQl,
}

struct Filler<'a> {
    spec: &'a ActionSpec,
    ctx: &'a Context,
    used: Labels,
    refusal: Option<Refusal>,
}

impl Filler<'_> {
    fn fill(&mut self, tpl: &str, place: Place) -> Result<String, Refusal> {
        let result = template::render_marked(tpl, |name| self.lookup(name, place));
        if let Some(r) = self.refusal.take() {
            return Err(r);
        }
        let (out, marks) = result.map_err(|e| match e {
            TemplateError::Unknown { name } => Refusal::Template(format!(
                "unknown placeholder {{{{ {name} }}}} (labels.NAME, the action's vars, or {})",
                CONTEXT_VARS.join(", ")
            )),
            other => Refusal::Template(other.to_string()),
        })?;
        if place == Place::Url {
            if let Some(name) = dot_segment_from_label(&out, &marks) {
                let label = name.strip_prefix("labels.").unwrap_or(name);
                let label = label.split('.').next().unwrap_or(label);
                let value = self.ctx.labels.get(label).map(String::as_str).unwrap_or_default();
                return Err(Refusal::PathSegment {
                    label: label.to_string(),
                    value: sanitize::clean(value).chars().take(80).collect(),
                });
            }
        }
        Ok(out)
    }

    fn lookup(&mut self, name: &str, place: Place) -> Option<String> {
        let Some(path) = name.strip_prefix("labels.") else {
            return self.spec.vars.get(name).or_else(|| self.ctx.vars.get(name)).cloned();
        };
        let (label, group) = match path.split_once('.') {
            Some((l, g)) => (l, Some(g)),
            None => (path, None),
        };
        match self.checked(label, group) {
            Ok(v) => Some(match place {
                Place::Url => percent_encode(&v),
                Place::PromQl => promql_escape(&v),
                Place::Verbatim => v,
            }),
            Err(r) => {
                self.refusal.get_or_insert(r);
                None
            }
        }
    }

    /// The allow-listed value of `label`, or of a named group of its allow pattern.
    fn checked(&mut self, label: &str, group: Option<&str>) -> Result<String, Refusal> {
        let value = self
            .ctx
            .labels
            .get(label)
            .ok_or_else(|| Refusal::MissingLabel { label: label.to_string() })?;
        let pattern = self.spec.allow_for(label);
        let Some(caps) = pattern.regex.captures(value) else {
            let shown: String = sanitize::clean(value).chars().take(80).collect();
            return Err(Refusal::NotAllowed {
                label: label.to_string(),
                value: shown,
                pattern: pattern.source,
            });
        };
        self.used.insert(label.to_string(), value.clone());
        match group {
            None => Ok(value.clone()),
            Some(g) => caps.name(g).map(|m| m.as_str().to_string()).ok_or_else(|| {
                Refusal::Template(format!(
                    "labels.{label}.{g}: the allow pattern for {label} has no group named {g} \
                         that matched"
                ))
            }),
        }
    }
}

impl ActionSpec {
    /// Resolves the action for `ctx`. Every label value used anywhere (argv, URL, headers, body,
    /// env, target) must match its allow pattern; argv elements receive values verbatim, URL
    /// parts percent-encoded. Shell actions get the labels named in `allow` as
    /// `WARROOM_LABEL_<NAME>` and the vars as `WARROOM_VAR_<NAME>`, never in the script.
    pub fn resolve(&self, ctx: &Context) -> Result<Resolved, Refusal> {
        self.resolve_as(ctx, None)
    }

    /// Resolves the action's `dry_run` argv; `Ok(None)` when it has none.
    pub fn resolve_dry_run(&self, ctx: &Context) -> Result<Option<Resolved>, Refusal> {
        match &self.dry_run {
            Some(argv) => self.resolve_as(ctx, Some(argv)).map(Some),
            None => Ok(None),
        }
    }

    fn resolve_as(
        &self,
        ctx: &Context,
        dry_argv: Option<&Vec<String>>,
    ) -> Result<Resolved, Refusal> {
        let mut f = Filler { spec: self, ctx, used: Labels::new(), refusal: None };
        let shell = matches!(self.kind, ActionKind::Argv { shell: true, .. });
        let request = match (dry_argv, &self.kind) {
            (Some(argv), _) | (None, ActionKind::Argv { argv, .. }) => Request::Argv(
                argv.iter().map(|a| f.fill(a, Place::Verbatim)).collect::<Result<_, _>>()?,
            ),
            (None, ActionKind::Http(h)) => {
                let url = f.fill(&h.url, Place::Url)?;
                let parsed = reqwest::Url::parse(&url)
                    .map_err(|e| Refusal::Invalid(format!("URL {url:?} is not valid: {e}")))?;
                if !matches!(parsed.scheme(), "http" | "https") {
                    return Err(Refusal::Invalid(format!("URL {url:?} is not http(s)")));
                }
                let mut headers = Vec::new();
                for (k, v) in &h.headers {
                    let v = f.fill(v, Place::Verbatim)?;
                    if v.chars().any(char::is_control) {
                        return Err(Refusal::Invalid(format!(
                            "header {k} would hold control characters"
                        )));
                    }
                    headers.push((k.clone(), v));
                }
                let body = h.body.as_ref().map(|b| f.fill(b, Place::Verbatim)).transpose()?;
                Request::Http { method: h.method.clone(), url, headers, body }
            }
        };
        let mut env = BTreeMap::new();
        for (k, v) in &self.env {
            env.insert(k.clone(), f.fill(v, Place::Verbatim)?);
        }
        if shell {
            for label in self.allow.keys() {
                if f.ctx.labels.contains_key(label) {
                    let v = f.checked(label, None)?;
                    env.insert(format!("WARROOM_LABEL_{}", env_name(label)), v);
                }
            }
            for (k, v) in ctx.vars.iter().chain(self.vars.iter()) {
                env.insert(format!("WARROOM_VAR_{}", env_name(k)), v.clone());
            }
        }
        let target = match &self.target {
            Some(t) => sanitize::clean_owned(&f.fill(t, Place::Verbatim)?),
            None => String::new(),
        };
        let dry = dry_argv.is_some();
        let mut guards = Vec::new();
        for g in self.guards.iter().filter(|_| !dry) {
            let query = f.fill(&g.query, Place::PromQl)?;
            guards.push(Guard { query, ..g.clone() });
        }
        let verify = match self.verify.as_ref().filter(|_| !dry) {
            Some(v) => Some(Verify { query: f.fill(&v.query, Place::PromQl)?, ..v.clone() }),
            None => None,
        };
        Ok(Resolved {
            runbook: self.runbook.clone(),
            key: self.key,
            label: self.label.clone(),
            request,
            env,
            target,
            labels: f.used,
            dry_run: dry_argv.is_some(),
            dangerous: self.dangerous && dry_argv.is_none(),
            confirm: if dry_argv.is_some() { Confirm::None } else { self.confirm },
            guards,
            verify,
            announced: dry_argv.is_none() && self.announced(),
        })
    }
}

/// The placeholder whose label value made a whole segment of `url`'s path `.` or `..` (or
/// `%2e`, which URL parsers read as a dot), if any. Such a segment moves the request to another
/// path once the URL is normalised, whatever the allow pattern said about the value.
fn dot_segment_from_label<'a>(url: &str, marks: &[template::Mark<'a>]) -> Option<&'a str> {
    let path = url_path(url);
    let mut start = path.start;
    let ends = url[path.clone()].match_indices(['/', '\\']).map(|(i, _)| path.start + i);
    for end in ends.chain([path.end]) {
        let segment = url[start..end].to_ascii_lowercase();
        if matches!(segment.as_str(), "." | ".." | "%2e" | ".%2e" | "%2e." | "%2e%2e") {
            let from_label = marks.iter().find(|(range, name)| {
                name.starts_with("labels.") && range.start < end && range.end > start
            });
            if let Some((_, name)) = from_label {
                return Some(name);
            }
        }
        start = end + 1;
    }
    None
}

/// The byte range of a URL's path: after the authority, before `?` or `#`.
fn url_path(url: &str) -> std::ops::Range<usize> {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let start = after_scheme + rest.find(['/', '\\', '?', '#']).unwrap_or(rest.len());
    let end = start + url[start..].find(['?', '#']).unwrap_or(url.len() - start);
    start..end
}

/// `instance` → `INSTANCE`, `pg-host` → `PG_HOST`.
pub fn env_name(label: &str) -> String {
    label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' })
        .collect()
}

#[cfg(test)]
mod display_tests {
    use super::*;

    #[test]
    fn the_dialog_reads_one_argument_a_line_and_sql_keeps_its_lines() {
        let r = Resolved {
            runbook: "pg".into(),
            key: 't',
            label: "Terminate".into(),
            request: Request::Argv(vec![
                "psql".into(),
                "-X".into(),
                "-c".into(),
                "SELECT pg_terminate_backend(pid)\nFROM pg_stat_activity\nWHERE state = 'idle'"
                    .into(),
                "it's".into(),
            ]),
            env: BTreeMap::from([("PGPASSWORD".to_string(), "hunter2".to_string())]),
            target: String::new(),
            labels: Labels::new(),
            dry_run: false,
            dangerous: true,
            confirm: Confirm::YesNo,
            guards: Vec::new(),
            verify: None,
            announced: true,
        };
        let lines = r.display_lines();
        assert_eq!(
            lines,
            [
                "PGPASSWORD='<redacted>'",
                "psql",
                "    -X",
                "    -c",
                "    '",
                "      SELECT pg_terminate_backend(pid)",
                "      FROM pg_stat_activity",
                "      WHERE state = 'idle'",
                "    '",
                "    'it'\\''s'",
            ],
            "{lines:#?}"
        );
    }
}
