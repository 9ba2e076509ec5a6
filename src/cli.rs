//! Command-line interface (also the source of shell completions and the man page).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Incident-response on-call dashboard for the terminal: Prometheus panels, threshold alerts and
/// one-key runbook actions.
#[derive(Debug, Parser)]
#[command(name = "warroom", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub common: Common,
    /// Start in read-only mode: runbook actions are shown but never run.
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Theme name (dark, light, high-contrast, 16color) or a theme file in a themes folder.
    #[arg(long, value_name = "NAME", global = true, value_parser = ThemeName)]
    pub theme: Option<String>,
    /// Poll interval of every panel, e.g. 1s, 5s, 1m.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, global = true)]
    pub refresh: Option<Duration>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Where the dashboard comes from; shared by the dashboard, `check` and `snapshot`.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Config file (else $WARROOM_CONFIG, else $XDG_CONFIG_HOME/warroom/config.toml, else built-in).
    #[arg(long, short = 'c', value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Base URL of the (first) Prometheus-compatible source, overriding the config.
    #[arg(long, value_name = "URL", global = true)]
    pub prometheus_url: Option<String>,
    /// Run against the embedded simulated source: a peak-hour meltdown, no server needed.
    #[arg(long, global = true)]
    pub demo: bool,
    /// Runbook folder, instead of the configured one (dashboard, `check`, `snapshot`).
    #[arg(long, value_name = "DIR", global = true)]
    pub runbooks: Option<PathBuf>,
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
    },
    /// Poll once, print one rendered frame as plain text, and exit.
    Snapshot {
        /// Frame size, e.g. 120x40.
        #[arg(long, value_name = "WxH", default_value = "120x40", value_parser = parse_size)]
        size: (u16, u16),
    },
    /// Alert transitions, acknowledgements and actions in time order: a postmortem's skeleton.
    Timeline {
        /// How far back, e.g. 2h, 1d.
        #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = parse_duration)]
        since: Duration,
        #[arg(long, value_enum, default_value_t = Format::Markdown)]
        format: Format,
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
        assert!(cli.is_ok_and(|c| c.theme.as_deref() == Some("my-own")));
    }
}
