//! Loading what a run needs, with every problem reported as a [`Diagnostic`]: the config (or the
//! demo dashboard), the theme adapted to the terminal, the runbooks, and the log file.

use std::path::{Path, PathBuf};

use crate::cli::{ConfigArgs, DashboardArgs};
use crate::config::{self, ConfigFile, EnvKind, Overrides};
use crate::diag::Diagnostic;
use crate::runbook::{check_runbooks, load_dir, parse_runbook, Runbook};
use crate::theme::{check_themes, parse_colour, ColorDepth, Role, Theme, ThemeLoader};

/// The demo's runbooks, compiled in so `warroom --demo` works anywhere.
pub const DEMO_RUNBOOKS: [(&str, &str); 4] = [
    ("demo-connections-high.md", include_str!("../runbooks/demo/demo-connections-high.md")),
    ("demo-db-cpu-high.md", include_str!("../runbooks/demo/demo-db-cpu-high.md")),
    ("demo-error-rate.md", include_str!("../runbooks/demo/demo-error-rate.md")),
    ("demo-idle-in-transaction.md", include_str!("../runbooks/demo/demo-idle-in-transaction.md")),
];

/// The config: the demo dashboard with `--demo` (unless `--config` is given), else the file
/// `--config` / `$WARROOM_CONFIG` / XDG names, else the built-in default.
pub fn load_config(
    args: &ConfigArgs,
    overrides: &Overrides,
) -> Result<ConfigFile, Vec<Diagnostic>> {
    if args.demo_dashboard() {
        let shown = PathBuf::from("<demo dashboard>");
        return config::load_str(crate::demo::DASHBOARD, &shown, overrides);
    }
    let path = config::resolve_path(args.config.as_deref(), |k| std::env::var(k).ok());
    config::load(path.as_deref(), overrides)
}

fn theme_loader(config: &ConfigFile) -> ThemeLoader {
    ThemeLoader::for_config(config.config.themes_dir.as_deref(), config.path.as_deref(), |k| {
        std::env::var(k).ok()
    })
}

/// The configured theme (or `--theme`), approximated for the terminal's colour depth, with the
/// environment badge coloured as the config asks. `from_flag`: the name came from `--theme`,
/// so that is what a "not found" points at rather than the config file.
pub fn load_theme(config: &ConfigFile, from_flag: bool) -> Result<Theme, Vec<Diagnostic>> {
    let name = config.config.theme.as_deref().unwrap_or(crate::theme::DEFAULT_THEME);
    let named_in = match &config.path {
        Some(path) if !from_flag => path.clone(),
        _ => PathBuf::from("--theme"),
    };
    let mut theme = theme_loader(config).load(name).map_err(|e| {
        e.problems
            .into_iter()
            .map(|mut p| {
                p.file.get_or_insert_with(|| named_in.clone());
                Diagnostic::from(p)
            })
            .collect::<Vec<_>>()
    })?;
    if let Some(spec) = &config.config.environment.color {
        let Some(colour) = parse_colour(spec) else {
            let file = config.path.clone().unwrap_or_default();
            let msg = format!("environment.color: bad colour {spec:?}");
            return Err(vec![Diagnostic::new(file, None, msg).with_fix(crate::theme::COLOUR_HINT)]);
        };
        let role = match config.config.environment.kind {
            EnvKind::Prod => Role::EnvProd,
            EnvKind::Staging => Role::EnvStaging,
            EnvKind::Other => Role::EnvOther,
        };
        theme.set(role, theme.style(role).bg(colour));
    }
    Ok(theme.downgrade(ColorDepth::from_env()))
}

/// Every problem in every theme folder the config would search.
pub fn theme_problems(config: &ConfigFile) -> Vec<Diagnostic> {
    theme_loader(config)
        .dirs()
        .iter()
        .flat_map(|dir| check_themes(dir))
        .map(Diagnostic::from)
        .collect()
}

/// The runbook folder: `runbooks_dir` from the config (relative to the config file), else
/// `runbooks/` beside the config file (or in the current folder for the built-in config).
pub fn runbooks_dir(config: &ConfigFile, flag: Option<&Path>) -> PathBuf {
    if let Some(dir) = flag {
        return dir.to_path_buf();
    }
    match &config.config.runbooks_dir {
        Some(dir) => config.base_dir().join(dir),
        None => config.base_dir().join("runbooks"),
    }
}

/// Runbooks and the problems found in them. With `demo`, the compiled-in demo runbooks (a
/// folder given with `--runbooks` still wins). A missing default folder is no error: a
/// dashboard may have no runbooks.
pub fn load_runbooks(
    config: &ConfigFile,
    flag: Option<&Path>,
    demo: bool,
) -> (Vec<Runbook>, Vec<Diagnostic>) {
    let (runbooks, mut problems) = if demo && flag.is_none() {
        let mut runbooks = Vec::new();
        let mut problems = Vec::new();
        for (name, text) in DEMO_RUNBOOKS {
            match parse_runbook(&PathBuf::from("<built-in>").join(name), text) {
                Ok(rb) => runbooks.push(rb),
                Err(p) => problems.extend(p),
            }
        }
        (runbooks, problems)
    } else {
        let dir = runbooks_dir(config, flag);
        if !dir.is_dir() {
            if flag.is_some() {
                let msg = format!("runbook folder {} (--runbooks) does not exist", dir.display());
                let fix = "pass the folder that holds the runbook .md files";
                return (Vec::new(), vec![Diagnostic::new(&dir, None, msg).with_fix(fix)]);
            }
            if let (Some(set), Some(file)) = (&config.config.runbooks_dir, &config.path) {
                // Say where the setting is and what it resolved to: a config copied elsewhere
                // keeps a relative runbooks_dir that now points nowhere.
                let text = std::fs::read_to_string(file).unwrap_or_default();
                let line = crate::diag::key_line(&text, None, "runbooks_dir");
                let msg = format!(
                    "runbooks_dir = {:?} resolves to {} (relative to this file's folder), which \
                     does not exist: no runbook is loaded",
                    set.display(),
                    dir.display()
                );
                let fix = "point runbooks_dir at the runbooks folder (absolute, or relative to \
                           this file), or pass --runbooks DIR";
                return (Vec::new(), vec![Diagnostic::new(file, line, msg).with_fix(fix)]);
            }
            return (Vec::new(), Vec::new());
        }
        load_dir(&dir)
    };
    let mut runbooks = runbooks;
    for action in runbooks.iter_mut().flat_map(|rb| rb.actions.iter_mut()) {
        for (k, v) in &config.config.runbook_vars {
            if action.vars.contains_key(k) {
                action.set_var(k, v);
            }
        }
    }
    let mut alerts: Vec<String> = config.config.alerts.iter().map(|r| r.name.clone()).collect();
    if config.config.sources.iter().any(|s| s.fetch_alerts) {
        // Runbooks may name alerts that only the sources' own rules define: the sources know
        // those, and `warroom check` asks them (see `cmd::sources::check_runbook_alerts`).
        alerts.extend(runbooks.iter().flat_map(|rb| rb.alerts.iter().cloned()));
    }
    problems.extend(check_runbooks(&runbooks, &alerts, &crate::keymap::reserved_chars()));
    problems.extend(unknown_runbook_ids(config, &runbooks));
    (runbooks, problems)
}

/// Alert rules that name a runbook id no loaded runbook has.
fn unknown_runbook_ids(config: &ConfigFile, runbooks: &[Runbook]) -> Vec<Diagnostic> {
    let file = config.path.clone().unwrap_or_else(|| PathBuf::from("<built-in config>"));
    let text =
        config.path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()).unwrap_or_default();
    let ids: Vec<&str> = runbooks.iter().map(|r| r.id.as_str()).collect();
    config
        .config
        .alerts
        .iter()
        .enumerate()
        .filter_map(|(i, rule)| {
            let id = rule.runbook.as_deref()?;
            // A link is shown when no runbook of the folder has its name: nothing to fix.
            if ids.contains(&id) || crate::runbook::reference::is_link(id) {
                return None;
            }
            let fix = crate::diag::suggest(id, ids.iter().copied())
                .map(|s| format!("did you mean {s:?}?"))
                .unwrap_or_else(|| format!("use one of the runbook ids: {}", ids.join(", ")));
            let msg = format!("alert {:?}: runbook {id:?} is not in the runbook folder", rule.name);
            let (file, line) = match &rule.defined_at {
                Some(p) => (p.file.clone(), p.line),
                None => (file.clone(), crate::diag::table_line(&text, "alerts", i)),
            };
            Some(Diagnostic::new(file, line, msg).with_fix(fix))
        })
        .collect()
}

/// Logs go to a file in the state directory, never to the terminal.
pub fn init_logging(config: &ConfigFile) -> Option<()> {
    let dir = config.state_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let file =
        std::fs::OpenOptions::new().create(true).append(true).open(dir.join("warroom.log")).ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("WARROOM_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .ok()
}

/// Builds the overrides the command line asks for.
pub fn overrides(args: &DashboardArgs, demo_url: Option<String>) -> Overrides {
    Overrides {
        prometheus_url: demo_url.or(args.run.prometheus_url.clone()),
        read_only: args.run.read_only,
        theme: args.theme.clone(),
        refresh: args.run.refresh,
    }
}

/// Whether the runbooks' actions could take their locks: the lock directory (`lock_dir`, or the
/// host-wide default) exists or can be made, and is safe to share. Nothing to say in read-only
/// mode or when no runbook has an action.
pub fn lock_dir_problems(config: &ConfigFile, runbooks: &[Runbook]) -> Vec<Diagnostic> {
    if config.config.environment.read_only || runbooks.iter().all(|rb| rb.actions.is_empty()) {
        return Vec::new();
    }
    let dir = config.lock_dir();
    let Err(refusal) = crate::runbook::lock::ready_dir(&dir) else {
        return Vec::new();
    };
    let why = match refusal {
        crate::runbook::Refusal::LockDir { why, .. } => why,
        other => other.to_string(),
    };
    let message = format!(
        "lock directory {} cannot be used ({why}): every action would be refused",
        dir.display()
    );
    let fix = "set lock_dir to a directory every on-call user may write (warroom creates it \
               with mode 1777 when missing), or fix the one named";
    match (&config.config.lock_dir, &config.path) {
        (Some(_), Some(file)) => {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let line = crate::diag::key_line(&text, None, "lock_dir");
            vec![Diagnostic::new(file, line, message).with_fix(fix)]
        }
        _ => vec![Diagnostic::new(&dir, None, message).with_fix(fix)],
    }
}
