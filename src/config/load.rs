//! Finding, parsing, validating and overriding the config.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::model::{Config, SourceSpec};
pub use super::validate::validate;
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
