//! Command-line interface (also the source of shell completions and the man page).

use std::path::PathBuf;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::parser::ValueSource;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};

/// Incident-response on-call dashboard for the terminal: Prometheus panels, threshold alerts and
/// one-key runbook actions.
///
/// Parse with [`Cli::try_parse_args`]: flags written before a subcommand count as its own when it
/// takes them, and are refused when it does not.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub dashboard: DashboardArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Which dashboard: a config file or the demo. Every command that loads the config takes these.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigArgs {
    /// Config file (else $WARROOM_CONFIG, else $XDG_CONFIG_HOME/warroom/config.toml, else built-in).
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run against the embedded simulated source: a peak-hour meltdown, no server needed.
    #[arg(long)]
    pub demo: bool,
}

impl ConfigArgs {
    /// The demo dashboard (and its compiled-in runbooks) is used with `--demo` and no `--config`.
    pub fn demo_dashboard(&self) -> bool {
        self.demo && self.config.is_none()
    }
}

/// How the dashboard polls and acts: the dashboard, `check` and `snapshot` take these.
#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub config: ConfigArgs,
    /// Base URL of the (first) Prometheus-compatible source, overriding the config.
    #[arg(long, value_name = "URL")]
    pub prometheus_url: Option<String>,
    /// Runbook folder, instead of the configured one.
    #[arg(long, value_name = "DIR")]
    pub runbooks: Option<PathBuf>,
    /// Start in read-only mode: runbook actions are shown but never run.
    #[arg(long)]
    pub read_only: bool,
    /// Poll interval of every panel, e.g. 1s, 5s, 1m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub refresh: Option<Duration>,
    /// Grafana dashboard (Classic JSON), opened as a tab beside the config's panels; repeatable.
    #[arg(long, value_name = "FILE")]
    pub grafana: Vec<PathBuf>,
}

/// Everything the dashboard takes; `check` takes it all too, to validate that very run.
#[derive(Debug, Clone, Default, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub run: RunArgs,
    /// Theme name (dark, light, high-contrast, 16color) or a theme file in a themes folder.
    #[arg(long, value_name = "NAME", value_parser = ThemeName)]
    pub theme: Option<String>,
}

impl DashboardArgs {
    /// These flags, each filled from `before` where it is not given here.
    fn or(self, before: &DashboardArgs) -> DashboardArgs {
        let (run, b) = (self.run, &before.run);
        DashboardArgs {
            run: RunArgs {
                config: ConfigArgs {
                    config: run.config.config.or_else(|| b.config.config.clone()),
                    demo: run.config.demo || b.config.demo,
                },
                prometheus_url: run.prometheus_url.or_else(|| b.prometheus_url.clone()),
                runbooks: run.runbooks.or_else(|| b.runbooks.clone()),
                read_only: run.read_only || b.read_only,
                refresh: run.refresh.or(b.refresh),
                grafana: if run.grafana.is_empty() { b.grafana.clone() } else { run.grafana },
            },
            theme: self.theme.or_else(|| before.theme.clone()),
        }
    }
}

impl Cli {
    /// Parses `args` (the program name first). A dashboard flag written before a subcommand
    /// (`warroom --config prod.toml check`) counts as the subcommand's when it takes that flag,
    /// and is refused when it does not: it would have no effect there.
    pub fn try_parse_args<I, T>(args: I) -> Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let mut cmd = Cli::command();
        let matches = cmd.try_get_matches_from_mut(args)?;
        if let Some((name, _)) = matches.subcommand() {
            let takes: Vec<&clap::Id> = cmd
                .find_subcommand(name)
                .map(|sub| sub.get_arguments().map(clap::Arg::get_id).collect())
                .unwrap_or_default();
            let stray = cmd.get_arguments().find(|a| {
                matches.value_source(a.get_id().as_str()) == Some(ValueSource::CommandLine)
                    && !takes.contains(&a.get_id())
            });
            if let Some(arg) = stray {
                let flag = arg.get_long().unwrap_or(arg.get_id().as_str()).to_string();
                let msg = format!("--{flag} has no effect on `warroom {name}`: leave it out");
                return Err(cmd.error(ErrorKind::ArgumentConflict, msg));
            }
        }
        Cli::from_arg_matches(&matches)
    }

    /// The dashboard flags this command runs with: the subcommand's own, else those written
    /// before it; the ones it does not take are unset.
    pub fn dashboard_args(&self) -> DashboardArgs {
        let own = match &self.command {
            None => return self.dashboard.clone(),
            Some(Command::Check { dashboard, .. }) => dashboard.clone(),
            Some(Command::Snapshot { run, .. }) => DashboardArgs { run: run.clone(), theme: None },
            Some(Command::Timeline { config, .. }) => DashboardArgs {
                run: RunArgs { config: config.clone(), ..RunArgs::default() },
                theme: None,
            },
            Some(Command::Completions { .. } | Command::Man) => DashboardArgs::default(),
        };
        own.or(&self.dashboard)
    }
}

/// Any theme name (a user's theme files too), with the shipped ones offered to shell
/// completion instead of file names.
#[derive(Clone)]
struct ThemeName;

impl clap::builder::TypedValueParser for ThemeName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            crate::theme::BUILTIN_THEMES.iter().map(|(n, _)| clap::builder::PossibleValue::new(*n)),
        ))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate config, runbooks and themes; print every problem with file, line and a fix.
    Check {
        /// Do not contact the sources (skip reachability and query checks).
        #[arg(long)]
        offline: bool,
        #[command(flatten)]
        dashboard: DashboardArgs,
    },
    /// Poll once, print one rendered frame as plain text, and exit.
    Snapshot {
        /// Frame size, e.g. 120x40.
        #[arg(long, value_name = "WxH", default_value = "120x40", value_parser = parse_size)]
        size: (u16, u16),
        #[command(flatten)]
        run: RunArgs,
    },
    /// Alert transitions, acknowledgements and actions in time order: a postmortem's skeleton.
    Timeline {
        /// How far back, e.g. 2h, 1d.
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
        since: Duration,
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
        #[command(flatten)]
        config: ConfigArgs,
    },
    /// Print shell completions.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    Man,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Markdown,
    Json,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s)
}

/// `120x40` → (120, 40).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (w, h) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("{s:?}: write the size as WIDTHxHEIGHT, e.g. 120x40"))?;
    let w: u16 = w.trim().parse().map_err(|_| format!("{s:?}: width is not a number"))?;
    let h: u16 = h.trim().parse().map_err(|_| format!("{s:?}: height is not a number"))?;
    if w == 0 || h == 0 || w > 1000 || h > 1000 {
        return Err(format!("{s:?}: width and height must be between 1 and 1000"));
    }
    Ok((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("120x40"), Ok((120, 40)));
        assert!(parse_size("120").is_err());
        assert!(parse_size("0x5").is_err());
    }
}

#[cfg(test)]
mod help_tests {
    use super::Cli;

    /// Every dashboard flag.
    const DASHBOARD: &str =
        "--config --demo --prometheus-url --runbooks --read-only --refresh --grafana --theme";

    /// Each command (its words, none for the dashboard itself), its own flags, and the
    /// dashboard flags it takes.
    const COMMANDS: [(&[&str], &str, &str); 6] = [
        (&[], "", DASHBOARD),
        (&["check"], "--offline", DASHBOARD),
        (
            &["snapshot"],
            "--size",
            "--config --demo --prometheus-url --runbooks --read-only --refresh --grafana",
        ),
        (&["timeline"], "--since --format", "--config --demo"),
        (&["completions", "bash"], "", ""),
        (&["man"], "", ""),
    ];

    /// `flag` as written on a command line, with a value where it takes one.
    fn given(flag: &str) -> Vec<&str> {
        let value = match flag {
            "--config" => "prod.toml",
            "--prometheus-url" => "http://prom:9090",
            "--runbooks" => "runbooks",
            "--refresh" => "5s",
            "--theme" => "dark",
            "--grafana" => "dashboard.json",
            _ => return vec![flag],
        };
        vec![flag, value]
    }

    fn parse(words: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_args(std::iter::once("warroom").chain(words.iter().copied()))
    }

    /// The long flags a help text lists, in its order (`--help` and `--version` left out).
    fn listed_flags(help: &str) -> Vec<String> {
        help.lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with('-'))
            .filter_map(|l| l.split("  ").next())
            .flat_map(|names| names.split([',', ' ']))
            .filter(|w| w.starts_with("--") && *w != "--help" && *w != "--version")
            .map(String::from)
            .collect()
    }

    #[test]
    fn each_help_lists_exactly_the_flags_its_command_takes() {
        for (words, own, takes) in COMMANDS {
            let name = words.first().copied().unwrap_or("warroom");
            let help = match parse(&[&words[..words.len().min(1)], &["--help"]].concat()) {
                Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => e.to_string(),
                other => panic!("{name} --help: {other:?}"),
            };
            let mut listed = listed_flags(&help);
            let mut expected: Vec<String> =
                own.split_whitespace().chain(takes.split_whitespace()).map(String::from).collect();
            listed.sort();
            expected.sort();
            assert_eq!(listed, expected, "{name} --help:\n{help}");
        }
        let top = parse(&["--help"]).unwrap_err().to_string();
        for sub in ["check", "snapshot", "timeline", "completions", "man"] {
            assert!(top.lines().any(|l| l.trim_start().starts_with(sub)), "{sub} in:\n{top}");
        }
    }

    /// A dashboard flag a command takes is its own after the command and before it; one it
    /// does not take is refused in both places, since it would do nothing.
    #[test]
    fn dashboard_flags_reach_the_commands_that_take_them_and_are_refused_elsewhere() {
        for (words, _, takes) in COMMANDS {
            for flag in DASHBOARD.split_whitespace() {
                let after = parse(&[words, &given(flag)].concat());
                let before = parse(&[&given(flag), words].concat());
                let shown = format!("{words:?} {flag}");
                if !takes.split_whitespace().any(|t| t == flag) {
                    assert!(after.is_err() && before.is_err(), "{shown} is accepted");
                    continue;
                }
                for cli in [after, before] {
                    let args = cli.unwrap_or_else(|e| panic!("{shown}: {e}")).dashboard_args();
                    let set = match flag {
                        "--config" => args.run.config.config.is_some(),
                        "--demo" => args.run.config.demo,
                        "--prometheus-url" => args.run.prometheus_url.is_some(),
                        "--runbooks" => args.run.runbooks.is_some(),
                        "--read-only" => args.run.read_only,
                        "--refresh" => args.run.refresh.is_some(),
                        "--theme" => args.theme.is_some(),
                        "--grafana" => !args.run.grafana.is_empty(),
                        other => panic!("unknown flag {other}"),
                    };
                    assert!(set, "{shown} is not in the dashboard args");
                }
            }
        }
    }

    #[test]
    fn a_flag_after_the_command_wins_over_one_before_it() {
        let cli = parse(&["--config", "a.toml", "check", "--config", "b.toml"]).unwrap();
        let config = cli.dashboard_args().run.config.config;
        assert_eq!(config.as_deref(), Some(std::path::Path::new("b.toml")));
    }

    /// The command lines of the README's code blocks, with `[…]` taken as given and comments
    /// and redirections left out.
    fn readme_command_lines() -> Vec<Vec<String>> {
        include_str!("../README.md")
            .lines()
            .filter_map(|l| l.strip_prefix("    "))
            .map(|l| l.split(" #").next().unwrap_or(l))
            .map(|l| l.split(" >").next().unwrap_or(l))
            .filter(|l| l.split_whitespace().next() == Some("warroom"))
            .map(|l| l.replace(['[', ']'], "").split_whitespace().map(String::from).collect())
            .collect()
    }

    #[test]
    fn the_readme_command_lines_parse() {
        let lines = readme_command_lines();
        assert!(lines.len() >= 9, "{lines:?}");
        for line in lines {
            if let Err(e) = Cli::try_parse_args(&line) {
                panic!("README: `{}` does not parse: {e}", line.join(" "));
            }
        }
    }
}

#[cfg(test)]
mod completion_tests {
    use clap::{CommandFactory, Parser};

    #[test]
    fn theme_completion_offers_theme_names_and_any_name_parses() {
        let mut out = Vec::new();
        clap_complete::generate(
            clap_complete::Shell::Bash,
            &mut super::Cli::command(),
            "warroom",
            &mut out,
        );
        let script = String::from_utf8_lossy(&out);
        assert!(script.contains("dark light high-contrast 16color"), "{script}");
        let cli = super::Cli::try_parse_from(["warroom", "--theme", "my-own"]);
        assert!(cli.is_ok_and(|c| c.dashboard.theme.as_deref() == Some("my-own")));
    }
}
