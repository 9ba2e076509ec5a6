//! warroom's command line: load config (or the demo), then run the dashboard or a subcommand.

#![warn(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use warroom::app::App;
use warroom::cli::{Cli, Command};
use warroom::config::EnvKind;
use warroom::config::{self, ConfigFile, Overrides};
use warroom::demo::DemoServer;
use warroom::diag::Diagnostic;
use warroom::theme::{check_themes, parse_colour, ColorDepth, Role, Theme, ThemeLoader};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(*shell, &mut Cli::command(), "warroom", &mut std::io::stdout());
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            let mut out = Vec::new();
            return match man.render(&mut out).and_then(|_| std::io::stdout().write_all(&out)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("cannot write man page: {e}")),
            };
        }
        _ => {}
    }
    let runtime =
        match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(rt) => rt,
            Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
        };
    let code = runtime.block_on(run(cli));
    // Leave without waiting on blocking work still running (a DNS lookup on a dead network):
    // once the dashboard has quit, the process must be gone promptly.
    runtime.shutdown_timeout(std::time::Duration::from_millis(250));
    code
}

async fn run(cli: Cli) -> ExitCode {
    // The demo source must be up before the config points at it.
    let demo = if cli.common.demo {
        match DemoServer::start().await {
            Ok(s) => Some(s),
            Err(e) => return fail(&format!("cannot start the demo source on loopback: {e}")),
        }
    } else {
        None
    };
    let overrides = Overrides {
        prometheus_url: demo.as_ref().map(DemoServer::url).or(cli.common.prometheus_url.clone()),
        read_only: cli.read_only,
        theme: cli.theme.clone(),
        refresh: cli.refresh,
    };
    let config = match load_config(&cli, &overrides) {
        Ok(c) => c,
        Err(problems) => return report(&problems),
    };
    let _log = init_logging(&config);
    let theme = match load_theme(&config, cli.theme.is_some()) {
        Ok(t) => t,
        Err(mut problems) => {
            if matches!(cli.command, Some(Command::Check { .. })) {
                for p in theme_problems(&config) {
                    if !problems.contains(&p) {
                        problems.push(p);
                    }
                }
            }
            return report(&problems);
        }
    };
    let app = match App::new(&config, theme) {
        Ok(a) => a,
        Err(e) => return fail(&format!("{e:#}")),
    };
    match cli.command {
        Some(Command::Snapshot { size: (w, h) }) => {
            match warroom::snapshot::snapshot(app, w, h).await {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("{e:#}")),
            }
        }
        Some(Command::Check { .. }) => {
            let problems = theme_problems(&config);
            if !problems.is_empty() {
                return report(&problems);
            }
            println!("config OK");
            ExitCode::SUCCESS
        }
        Some(Command::Timeline { .. }) => fail("timeline: no history yet"),
        Some(Command::Completions { .. } | Command::Man) => ExitCode::SUCCESS,
        None => match app.run().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&format!("{e:#}")),
        },
    }
}

fn load_config(cli: &Cli, overrides: &Overrides) -> Result<ConfigFile, Vec<Diagnostic>> {
    if cli.common.demo && cli.common.config.is_none() {
        return config::load_str(
            warroom::demo::DASHBOARD,
            &PathBuf::from("<demo dashboard>"),
            overrides,
        );
    }
    let path = config::resolve_path(cli.common.config.as_deref(), |k| std::env::var(k).ok());
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
fn load_theme(config: &ConfigFile, from_flag: bool) -> Result<Theme, Vec<Diagnostic>> {
    let name = config.config.theme.as_deref().unwrap_or(warroom::theme::DEFAULT_THEME);
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
            return Err(vec![Diagnostic::new(
                file,
                None,
                format!("environment.color: bad colour {spec:?}"),
            )
            .with_fix(warroom::theme::COLOUR_HINT)]);
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
fn theme_problems(config: &ConfigFile) -> Vec<Diagnostic> {
    theme_loader(config)
        .dirs()
        .iter()
        .flat_map(|dir| check_themes(dir))
        .map(Diagnostic::from)
        .collect()
}

/// Logs go to a file in the state directory, never to the terminal.
fn init_logging(config: &ConfigFile) -> Option<()> {
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

fn report(problems: &[Diagnostic]) -> ExitCode {
    let mut err = std::io::stderr();
    for p in problems {
        let _ = writeln!(err, "error: {p}");
    }
    ExitCode::from(2)
}

fn fail(msg: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr(), "warroom: {}", warroom::sanitize::clean(msg));
    ExitCode::FAILURE
}
