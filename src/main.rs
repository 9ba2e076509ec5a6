//! warroom's command line: load config (or the demo), then run the dashboard or a subcommand.

#![warn(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use warroom::app::App;
use warroom::cli::{Cli, Command};
use warroom::config::{self, ConfigFile, Overrides};
use warroom::demo::DemoServer;
use warroom::diag::Diagnostic;
use warroom::theme::Theme;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match &cli.command {
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                *shell,
                &mut Cli::command(),
                "warroom",
                &mut std::io::stdout(),
            );
            return ExitCode::SUCCESS;
        }
        Some(Command::Man) => {
            let man = clap_mangen::Man::new(Cli::command());
            let mut out = Vec::new();
            return match man
                .render(&mut out)
                .and_then(|_| std::io::stdout().write_all(&out))
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("cannot write man page: {e}")),
            };
        }
        _ => {}
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    runtime.block_on(run(cli))
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
        prometheus_url: demo
            .as_ref()
            .map(DemoServer::url)
            .or(cli.common.prometheus_url.clone()),
        read_only: cli.read_only,
        theme: cli.theme.clone(),
        refresh: cli.refresh,
    };
    let config = match load_config(&cli, &overrides) {
        Ok(c) => c,
        Err(problems) => return report(&problems),
    };
    let _log = init_logging(&config);
    let theme = Theme::default();
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

/// Logs go to a file in the state directory, never to the terminal.
fn init_logging(config: &ConfigFile) -> Option<()> {
    let dir = config.state_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("warroom.log"))
        .ok()?;
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
    let _ = writeln!(
        std::io::stderr(),
        "warroom: {}",
        warroom::sanitize::clean(msg)
    );
    ExitCode::FAILURE
}
