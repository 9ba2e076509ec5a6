//! Finding, parsing, validating and overriding the config.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{Config, SourceSpec};
use crate::diag::{self, Diagnostic};

/// The built-in dashboard: PostgreSQL through the standard exporters on a local Prometheus.
pub const DEFAULT_CONFIG: &str = include_str!("default.toml");

/// A parsed config and where it came from (for messages and relative paths).
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub config: Config,
    /// The file it was read from; `None` for the built-in default.
    pub path: Option<PathBuf>,
}

impl ConfigFile {
    /// Where history, the audit log and the log file live: `state_dir` when the config sets
    /// one, else a folder of the environment's own under the default state directory
    /// (`$XDG_STATE_HOME/warroom`, else `~/.local/state/warroom`) — so the demo, tests and
    /// production never share a history.
    pub fn state_dir(&self) -> PathBuf {
        if let Some(dir) = &self.config.state_dir {
            return self.base_dir().join(dir);
        }
        default_state_dir(|k| std::env::var(k).ok()).join(env_folder(&self.config.environment.name))
    }

    /// Where runbook action locks and cooldowns live: `lock_dir` from the config, else the
    /// host-wide default ([`crate::runbook::lock::default_lock_dir`]).
    pub fn lock_dir(&self) -> PathBuf {
        match &self.config.lock_dir {
            Some(dir) => self.base_dir().join(dir),
            None => crate::runbook::lock::default_lock_dir(),
        }
    }

    /// Folder that relative paths in the config are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// The XDG state directory for warroom.
pub fn default_state_dir(env: impl Fn(&str) -> Option<String>) -> PathBuf {
    if let Some(d) = env("XDG_STATE_HOME").filter(|s| !s.is_empty()) {
        return PathBuf::from(d).join("warroom");
    }
    match env("HOME").filter(|s| !s.is_empty()) {
        Some(h) => PathBuf::from(h).join(".local/state/warroom"),
        None => std::env::temp_dir().join("warroom-state"),
    }
}

/// The folder name for an environment: its name with anything but letters, digits, `.`, `-`
/// and `_` replaced, never empty, never `.` or `..`.
pub fn env_folder(name: &str) -> String {
    let clean: String = name
        .trim()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .take(64)
        .collect();
    match clean.as_str() {
        "" | "." | ".." => "default".into(),
        _ => clean,
    }
}

/// Command-line settings that win over the file.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub prometheus_url: Option<String>,
    pub read_only: bool,
    pub theme: Option<String>,
    pub refresh: Option<Duration>,
}

/// Where the config comes from: `--config`, else `$WARROOM_CONFIG`, else
/// `$XDG_CONFIG_HOME/warroom/config.toml` (or `~/.config/…`) when it exists, else built-in.
pub fn resolve_path(flag: Option<&Path>, env: impl Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(p) = flag {
        return Some(p.to_path_buf());
    }
    if let Some(p) = env("WARROOM_CONFIG").filter(|s| !s.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = env("XDG_CONFIG_HOME")
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .or_else(|| env("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let candidate = base.join("warroom").join("config.toml");
    candidate.is_file().then_some(candidate)
}

/// Reads and validates the config at `path` (or the built-in default), then applies overrides.
/// Every problem found is returned, not just the first.
pub fn load(path: Option<&Path>, overrides: &Overrides) -> Result<ConfigFile, Vec<Diagnostic>> {
    let (text, shown) = match path {
        Some(p) => match std::fs::read_to_string(p) {
            Ok(t) => (t, p.to_path_buf()),
            Err(e) => {
                return Err(vec![Diagnostic::new(p, None, format!("cannot read config: {e}"))
                    .with_fix("check the path given to --config or $WARROOM_CONFIG")])
            }
        },
        None => (DEFAULT_CONFIG.to_string(), PathBuf::from("<built-in default config>")),
    };
    let mut file = load_str(&text, &shown, overrides)?;
    file.path = path.map(Path::to_path_buf);
    Ok(file)
}

/// Parses and validates config `text`; `shown` names it in messages.
pub fn load_str(
    text: &str,
    shown: &Path,
    overrides: &Overrides,
) -> Result<ConfigFile, Vec<Diagnostic>> {
    let mut config: Config =
        toml::from_str(text).map_err(|e| super::typos::parse_problems(text, shown, e))?;
    apply(&mut config, overrides);
    let mut problems = validate(&config, shown, text);
    problems.extend(add_rule_files(&mut config, shown, text));
    if problems.is_empty() {
        Ok(ConfigFile { config, path: None })
    } else {
        Err(problems)
    }
}

fn apply(config: &mut Config, o: &Overrides) {
    if let Some(url) = &o.prometheus_url {
        match config.sources.first_mut() {
            Some(first) => first.url = url.clone(),
            None => config.sources.push(SourceSpec::new("prometheus", url)),
        }
    }
    if o.read_only {
        config.environment.read_only = true;
    }
    if let Some(t) = &o.theme {
        config.theme = Some(t.clone());
    }
    if let Some(r) = o.refresh {
        config.refresh = r;
    }
}

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
            find_key_line(text, "refresh"),
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
    validate_alerts(config, file, text, &names, &mut out);
    if let Some(am) = &config.alertmanager {
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
            let msg = format!(
                "alertmanager: announce_settle {shown:?} holds every action back that long"
            );
            let fix = "use a few times the cluster's gossip delay, e.g. \"1s\" (the default); at most 30s";
            out.push(Diagnostic::new(file, at("announce_settle"), msg).with_fix(fix));
        }
    }
    out
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

/// Loads `rule_files` (relative to the config file `shown`) into the config's alert rules. A
/// name defined both here and in `[[alerts]]` is a problem: one source of truth.
fn add_rule_files(config: &mut Config, shown: &Path, text: &str) -> Vec<Diagnostic> {
    if config.rule_files.is_empty() {
        return Vec::new();
    }
    // The built-in dashboard's rule files are built in too, whatever name it is shown under.
    let base = if text == DEFAULT_CONFIG || shown.to_string_lossy().starts_with("<built-in") {
        Path::new(crate::rules::file::BUILT_IN_DIR)
    } else {
        shown.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."))
    };
    let line = diag::key_line(text, None, "rule_files");
    let (rules, mut problems) = crate::rules::load(&config.rule_files, base, shown, line);
    for rule in &rules {
        if let Some(i) = config.alerts.iter().position(|a| a.name == rule.name) {
            let at = rule.defined_at.as_ref();
            let msg = format!(
                "alert {:?} is defined in [[alerts]] and in {}",
                rule.name,
                at.map_or_else(|| "a rule file".into(), |p| p.file.display().to_string())
            );
            problems.push(
                Diagnostic::new(shown, diag::table_line(text, "alerts", i), msg).with_fix(
                    "keep one of the two: the rule file is what Prometheus evaluates too",
                ),
            );
        }
    }
    config.alerts.extend(rules);
    problems
}

fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|l| l.trim_start().starts_with(key) && l.contains('=')).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_default_is_valid() {
        let cfg = load(None, &Overrides::default()).expect("default config loads");
        assert!(!cfg.config.panels.is_empty());
        assert_eq!(cfg.config.sources[0].url, "http://localhost:9090");
    }

    #[test]
    fn overrides_win() {
        let o = Overrides {
            prometheus_url: Some("http://10.0.0.1:9090".into()),
            read_only: true,
            theme: Some("light".into()),
            refresh: Some(Duration::from_secs(2)),
        };
        let cfg = load(None, &o).expect("loads").config;
        assert_eq!(cfg.sources[0].url, "http://10.0.0.1:9090");
        assert!(cfg.environment.read_only);
        assert_eq!(cfg.theme.as_deref(), Some("light"));
        assert_eq!(cfg.refresh, Duration::from_secs(2));
    }

    #[test]
    fn each_environment_keeps_its_own_state_unless_the_config_names_one() {
        let file = |env: &str, extra: &str| {
            let text = format!("{extra}\n[environment]\nname = {env:?}\n[[sources]]\nname = \"p\"\nurl = \"http://127.0.0.1:9\"\n");
            load_str(&text, Path::new("/etc/warroom/c.toml"), &Overrides::default())
                .unwrap_or_else(|p| panic!("{p:?}"))
        };
        let prod = file("prod-eu", "").state_dir();
        let demo = file("demo-prod", "").state_dir();
        assert_ne!(prod, demo);
        assert!(prod.ends_with("warroom/prod-eu"), "{}", prod.display());
        assert!(file("a/../b c", "").state_dir().ends_with("warroom/a_.._b_c"));
        assert_eq!(env_folder(".."), "default");
        assert_eq!(env_folder(""), "default");
        let chosen = file("prod-eu", "state_dir = \"/var/lib/warroom\"").state_dir();
        assert_eq!(chosen, PathBuf::from("/var/lib/warroom"), "a chosen folder is used as it is");
    }

    #[test]
    fn every_unknown_key_is_reported_at_once_with_a_suggestion() {
        let text = "refersh = \"5s\"\nrange = \"5m\"\nthem = \"dark\"\n[[sources]]\nname = \"p\"\n\
                    url = \"http://127.0.0.1:9\"\ntimout = \"2s\"\n[[panels]]\ntitle = \"x\"\n\
                    qeury = \"up\"\n";
        let problems = load_str(text, Path::new("c.toml"), &Overrides::default()).unwrap_err();
        let shown: Vec<String> = problems.iter().map(ToString::to_string).collect();
        let lines: Vec<Option<usize>> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [Some(1), Some(3), Some(7), Some(10)], "{shown:#?}");
        let fixes: Vec<&str> = problems.iter().filter_map(|p| p.fix.as_deref()).collect();
        assert_eq!(
            fixes,
            [
                "did you mean `refresh`?",
                "did you mean `theme`?",
                "did you mean `timeout`?",
                "did you mean `query`?"
            ],
            "{shown:#?}"
        );
    }

    #[test]
    fn alertmanager_and_fetch_alerts() {
        let src = "[[sources]]\nname = \"a\"\nurl = \"http://p:9090\"\n";
        let text = format!("{src}fetch_alerts = false\n[alertmanager]\nurl = \"http://am:9093\"\n");
        let cfg =
            load_str(&text, Path::new("t.toml"), &Overrides::default()).expect("valid").config;
        assert!(!cfg.sources[0].fetch_alerts);
        assert_eq!(cfg.alertmanager.map(|a| a.url).as_deref(), Some("http://am:9093"));
        let cfg = load_str(src, Path::new("t.toml"), &Overrides::default()).expect("valid").config;
        assert!(cfg.sources[0].fetch_alerts, "on by default");

        let bad = format!("{src}\n[alertmanager]\nurl = \"am:9093\"\nbearer_token_env = \"A\"\nbearer_token_file = \"f\"\n");
        let problems = load_str(&bad, Path::new("t.toml"), &Overrides::default()).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.message.starts_with("alertmanager:")));
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [Some(6), Some(8)]);
        assert!(problems[0].fix.as_deref().is_some_and(|f| f.contains("http://")));
    }

    #[test]
    fn alertmanager_peers_and_announcing() {
        let src = "[[sources]]\nname = \"a\"\nurl = \"http://p:9090\"\n";
        let text = format!("{src}[alertmanager]\nurl = \"http://am:9093\"\n");
        let am = load_str(&text, Path::new("t.toml"), &Overrides::default()).expect("valid");
        let am = am.config.alertmanager.expect("alertmanager");
        assert!(!am.require_for_actions, "off by default");
        assert_eq!(am.announce_settle, super::super::model::DEFAULT_ANNOUNCE_SETTLE);
        assert_eq!(am.members().len(), 1);

        let text = format!(
            "{src}[alertmanager]\nurl = \"http://am:9093\"\npeers = [\"http://am2:9093\"]\n\
             require_for_actions = true\nannounce_settle = \"2s\"\n"
        );
        let am = load_str(&text, Path::new("t.toml"), &Overrides::default()).expect("valid");
        let am = am.config.alertmanager.expect("alertmanager");
        assert!(am.require_for_actions);
        let urls: Vec<String> = am.members().into_iter().map(|m| m.url).collect();
        assert_eq!(urls, ["http://am:9093", "http://am2:9093"]);

        let bad = format!(
            "{src}[alertmanager]\nurl = \"http://am:9093\"\npeers = [\"am2:9093\"]\n\
             announce_settle = \"5m\"\n"
        );
        let problems = load_str(&bad, Path::new("t.toml"), &Overrides::default()).unwrap_err();
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].message.contains("peer \"am2:9093\""), "{problems:?}");
        assert_eq!(problems.iter().map(|p| p.line).collect::<Vec<_>>(), [Some(6), Some(7)]);
        assert!(problems[1].fix.as_deref().is_some_and(|f| f.contains("at most 30s")));
    }

    #[test]
    fn credential_env_names_are_every_env_key() {
        let text = r#"
            [[sources]]
            name = "a"
            url = "http://p:9090"
            bearer_token_env = "PROM_TOKEN"
            [[sources]]
            name = "b"
            url = "http://q:9090"
            basic_auth = { username = "u", password_env = "Q_PASSWORD" }
            [alertmanager]
            url = "http://am:9093"
            bearer_token_env = "AM_TOKEN"
        "#;
        let cfg = load_str(text, Path::new("t.toml"), &Overrides::default()).expect("valid").config;
        assert_eq!(cfg.credential_env_names(), ["AM_TOKEN", "PROM_TOKEN", "Q_PASSWORD"]);
        // A new `*_env` key must be added to `credential_env_names` (and here).
        let model = include_str!("model.rs");
        let mut keys: Vec<&str> = model
            .lines()
            .filter_map(|l| l.trim().strip_prefix("pub ")?.split_once(':'))
            .map(|(name, _)| name)
            .filter(|name| name.ends_with("_env"))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys, ["bearer_token_env", "password_env"]);
    }

    #[test]
    fn resolution_order() {
        let none = |_: &str| None;
        assert_eq!(resolve_path(Some(Path::new("a.toml")), none), Some("a.toml".into()));
        let env = |k: &str| (k == "WARROOM_CONFIG").then(|| "b.toml".to_string());
        assert_eq!(resolve_path(None, env), Some("b.toml".into()));
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("warroom")).unwrap();
        std::fs::write(dir.path().join("warroom/config.toml"), "").unwrap();
        let xdg = dir.path().to_string_lossy().to_string();
        let env = move |k: &str| (k == "XDG_CONFIG_HOME").then(|| xdg.clone());
        assert_eq!(resolve_path(None, env), Some(dir.path().join("warroom/config.toml")));
        assert_eq!(resolve_path(None, none), None);
    }
}
