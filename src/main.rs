//! warroom's command line: load config (or the demo), then run the dashboard or a subcommand.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;

use warroom::app::App;
use warroom::cli::{Cli, Command, DashboardArgs, Format};
use warroom::config::ConfigFile;
use warroom::demo::DemoServer;
use warroom::diag::Diagnostic;
use warroom::setup;

/// Writes `bytes` to standard output. A reader that stops early (`| head`) is no failure.
fn print(bytes: &[u8], what: &str) -> ExitCode {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => fail(&format!("cannot write the {what}: {e}")),
    }
}

fn main() -> ExitCode {
    warroom::memory::tune();
    let cli = Cli::try_parse_args(std::env::args_os()).unwrap_or_else(|e| e.exit());
    match &cli.command {
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "warroom", &mut script);
            return print(&script, "completions");
        }
        Some(Command::Man) => {
            return match warroom::cmd::man::page() {
                Ok(page) => print(&page, "man page"),
                Err(e) => fail(&format!("cannot write man page: {e}")),
            };
        }
        _ => {}
    }
    // One thread runs the loop, the pollers and the drawing: nothing in them blocks (files and
    // child processes go to tokio's blocking pool), and a dashboard that mostly waits costs
    // the fewest wake-ups this way.
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
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
    let args = cli.dashboard_args();
    // The demo source must be up before the config points at it.
    let demo = if args.run.config.demo {
        match DemoServer::start().await {
            Ok(s) => Some(s),
            Err(e) => return fail(&format!("cannot start the demo source on loopback: {e}")),
        }
    } else {
        None
    };
    let overrides = setup::overrides(&args, demo.as_ref().map(DemoServer::url));
    let mut config = match setup::load_config(&args.run.config, &overrides) {
        Ok(c) => c,
        Err(problems) => return report(&problems),
    };
    let _log = setup::init_logging(&config);
    // Dashboard variables are resolved from the source, except by `check --offline`.
    let offline = matches!(&cli.command, Some(Command::Check { offline: true, .. }));
    let dashboards = warroom::grafana::import_into(&mut config, &args.run.grafana, !offline).await;
    let checking = matches!(&cli.command, Some(Command::Check { .. }));
    if dashboards.unreadable > 0 && !checking {
        return report(&dashboards.problems);
    }
    for p in &dashboards.problems {
        tracing::warn!("dashboard problem: {p}");
    }
    match &cli.command {
        Some(Command::Check { offline, .. }) => check(&args, &config, *offline, dashboards).await,
        Some(Command::Timeline { since, format, .. }) => timeline(&config, *since, *format).await,
        Some(Command::Snapshot { size: (w, h), .. }) => {
            let (w, h) = (*w, *h);
            let app = match build_app(&args, &config, &dashboards) {
                Ok(app) => app,
                Err(code) => return code,
            };
            match warroom::snapshot::snapshot(app, w, h).await {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("{e:#}")),
            }
        }
        Some(Command::Completions { .. } | Command::Man) => ExitCode::SUCCESS,
        None => {
            let app = match build_app(&args, &config, &dashboards) {
                Ok(app) => app,
                Err(code) => return code,
            };
            match app.run().await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&format!("{e:#}")),
            }
        }
    }
}

/// Theme and runbooks loaded, clients built. Runbook problems do not stop the dashboard (the
/// broken files are left out and the footer says so), nor do the parts of Grafana dashboards
/// warroom cannot show (`dashboards.problems`); config and theme problems do.
fn build_app(
    args: &DashboardArgs,
    config: &ConfigFile,
    dashboards: &warroom::grafana::Report,
) -> Result<App, ExitCode> {
    let dashboard_problems = dashboards.problems.len();
    let theme = setup::load_theme(config, args.theme.is_some()).map_err(|p| report(&p))?;
    let demo = args.run.config.demo_dashboard();
    let (runbooks, problems) = setup::load_runbooks(config, args.run.runbooks.as_deref(), demo);
    for p in &problems {
        tracing::warn!("runbook problem: {p}");
    }
    let mut app = App::new(config, theme, runbooks).map_err(|e| fail(&format!("{e:#}")))?;
    app.model.dashboards = dashboards.dashboards.clone();
    // `--grafana FILE` asks for that dashboard: its tab is shown first.
    if let Some(first) = dashboards.first_from_flag.and_then(|k| dashboards.dashboards.get(k)) {
        let tab = app.model.tabs().iter().position(|t| t.panels == first.panels);
        app.model.ui.tab = tab.unwrap_or(0);
    }
    let said: Vec<String> = [(problems.len(), "runbook"), (dashboard_problems, "dashboard")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, what)| format!("{n} {what} problem(s)"))
        .collect();
    if !said.is_empty() {
        let msg = format!("{}: run `warroom check` for details", said.join(", "));
        app.model.flash = Some((msg, app.model.now));
    }
    Ok(app)
}

async fn check(
    args: &DashboardArgs,
    config: &ConfigFile,
    offline: bool,
    dashboards: warroom::grafana::Report,
) -> ExitCode {
    let demo = args.run.config.demo_dashboard();
    let mut problems = dashboards.problems;
    if let Err(p) = setup::load_theme(config, args.theme.is_some()) {
        problems.extend(p);
    }
    for p in setup::theme_problems(config) {
        if !problems.contains(&p) {
            problems.push(p);
        }
    }
    let (loaded, runbook_problems) =
        setup::load_runbooks(config, args.run.runbooks.as_deref(), demo);
    problems.extend(runbook_problems);
    problems.extend(setup::lock_dir_problems(config, &loaded));
    problems.extend(warroom::cmd::check::promql_warnings(config));
    if !offline {
        let mut found =
            warroom::cmd::check::check_sources(&config.config, &loaded, config.path.as_deref())
                .await;
        warroom::grafana::relocate(&mut found, &dashboards.dashboards, &config.config.panels);
        problems.extend(found);
        problems
            .extend(warroom::cmd::rule_names::check_runbook_alerts(&config.config, &loaded).await);
    }
    let summary = warroom::cmd::check::Summary::new(config, &loaded, demo);
    print!("{}", warroom::cmd::check::report(&problems, &summary));
    if problems.iter().all(|p| p.warning) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

async fn timeline(config: &ConfigFile, since: std::time::Duration, format: Format) -> ExitCode {
    let from = chrono::Utc::now()
        - chrono::Duration::from_std(since).unwrap_or_else(|_| chrono::Duration::days(3650));
    let (mut entries, mut warnings) = warroom::cmd::timeline::collect(&config.state_dir(), from);
    // Other hosts' announced actions, as far as Alertmanager still lists them.
    if let Some(am) = &config.config.alertmanager {
        let read = match warroom::pager::Team::new(am) {
            Ok(team) => team.read().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        match read {
            Ok(list) => {
                let me = warroom::runbook::Identity::from_env(&config.config.environment.name);
                let me = (me.user.as_str(), me.host.as_str());
                let team = warroom::cmd::timeline::from_team(&list, from, me, &entries);
                entries.extend(team);
                entries.sort_by_key(|e| e.at);
            }
            Err(e) => warnings
                .push(format!("Alertmanager: {e} (other hosts' actions are not in this timeline)")),
        }
    }
    for w in warnings {
        let _ = writeln!(std::io::stderr(), "warning: {}", warroom::sanitize::clean(&w));
    }
    let out = match format {
        Format::Markdown => {
            warroom::cmd::timeline::markdown(&entries, &config.config.environment.name, from)
        }
        Format::Json => warroom::cmd::timeline::json(&entries),
    };
    println!("{out}");
    ExitCode::SUCCESS
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
