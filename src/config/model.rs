//! Serde structs of the config file. Unknown keys are errors, so typos don't pass silently.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use crate::units::Unit;

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub environment: Environment,
    /// Theme name (`dark`, `light`, `high-contrast`, `16color`, or a file in a themes folder).
    pub theme: Option<String>,
    /// Default poll interval of every panel.
    #[serde(default = "default_refresh", deserialize_with = "crate::duration::de")]
    pub refresh: Duration,
    /// Time window shown by charts.
    #[serde(default = "default_range", deserialize_with = "crate::duration::de")]
    pub range: Duration,
    /// Where alert history and the audit log live (default: the XDG state dir).
    pub state_dir: Option<PathBuf>,
    /// Where runbook action locks and cooldowns live, shared by every user of the host who
    /// names the same folder (default: `/run/lock/warroom`, or `warroom-locks` in the temporary
    /// directory). Created with mode 1777 when missing.
    pub lock_dir: Option<PathBuf>,
    /// Folder of runbook files (default: `runbooks/` beside the config file).
    pub runbooks_dir: Option<PathBuf>,
    /// Values for runbook actions' `vars` that this dashboard's environment needs (a database
    /// port, a cluster name…); they win over the defaults written in the runbook files.
    #[serde(default)]
    pub runbook_vars: BTreeMap<String, String>,
    /// Extra folder of theme files.
    pub themes_dir: Option<PathBuf>,
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    #[serde(default)]
    pub panels: Vec<PanelSpec>,
    /// Grafana dashboards (Classic JSON), each a tab beside the config's own panels; relative
    /// to the config file.
    #[serde(default)]
    pub dashboards: Vec<PathBuf>,
    /// Threshold alert rules. After loading, also the alerting rules of `rule_files`.
    #[serde(default)]
    pub alerts: Vec<crate::alert::RuleSpec>,
    /// Prometheus rule files whose alerting rules are alert rules here too (relative to this
    /// file; `*` and `?` allowed in the file name): the same file Prometheus loads.
    #[serde(default)]
    pub rule_files: Vec<String>,
    /// Ring the terminal bell when an alert starts firing (at most once per 30 s).
    #[serde(default)]
    pub bell: bool,
    /// Fetch only new steps of range queries after the first full window (default on).
    #[serde(default = "yes")]
    pub incremental: bool,
    /// The Alertmanager the pager uses: its silences are shown, and `a` creates silences there.
    pub alertmanager: Option<AlertmanagerSpec>,
}

impl Config {
    /// The environment variables the config names as holding a credential (every `*_env` key:
    /// `bearer_token_env` and `basic_auth.password_env` of the sources and of Alertmanager).
    /// Runbook actions never inherit them.
    pub fn credential_env_names(&self) -> Vec<String> {
        let am = self.alertmanager.as_ref().map(AlertmanagerSpec::as_source);
        let mut names: Vec<String> = self
            .sources
            .iter()
            .chain(am.as_ref())
            .flat_map(|s| {
                let password = s.basic_auth.as_ref().and_then(|b| b.password_env.clone());
                s.bearer_token_env.clone().into_iter().chain(password)
            })
            .collect();
        names.sort();
        names.dedup();
        names
    }
}

fn yes() -> bool {
    true
}

fn default_refresh() -> Duration {
    Duration::from_secs(5)
}

fn default_range() -> Duration {
    Duration::from_secs(15 * 60)
}

/// Which environment this dashboard watches, so nobody mistakes prod for staging.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    #[serde(default = "default_env_name")]
    pub name: String,
    /// `prod`, `staging` or `other`: picks the header colour role.
    #[serde(default)]
    pub kind: EnvKind,
    /// Explicit colour for the environment badge (`#rrggbb`, ANSI name or 0–255).
    pub color: Option<String>,
    /// Start in read-only mode unless `--read-write` is given.
    #[serde(default)]
    pub read_only: bool,
    /// Daily peak hours, e.g. `["20:00-23:00"]`: the header shows PEAK, and runbook actions
    /// with `peak_confirm` ask for that confirmation then.
    #[serde(default)]
    pub peak: Vec<String>,
    /// The UTC offset `peak` is written in (`"+08:00"`, `"UTC"`); the machine's local time by
    /// default.
    pub peak_zone: Option<String>,
}

impl Environment {
    /// The peak hours; none when they do not parse (the config check reports them).
    pub fn peak_hours(&self) -> crate::peak::PeakHours {
        crate::peak::PeakHours::parse(&self.peak, self.peak_zone.as_deref()).unwrap_or_default()
    }
}

impl Default for Environment {
    fn default() -> Self {
        Self {
            name: default_env_name(),
            kind: EnvKind::Other,
            color: None,
            read_only: false,
            peak: Vec::new(),
            peak_zone: None,
        }
    }
}

fn default_env_name() -> String {
    "default".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EnvKind {
    Prod,
    Staging,
    #[default]
    Other,
}

/// A Prometheus-compatible server.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    pub name: String,
    pub url: String,
    /// Client-side deadline of one request; also sent as Prometheus's `timeout` parameter.
    #[serde(default, deserialize_with = "crate::duration::de_opt")]
    pub timeout: Option<Duration>,
    /// Bearer token read from this environment variable.
    pub bearer_token_env: Option<String>,
    /// Bearer token read from this file (first line).
    pub bearer_token_file: Option<PathBuf>,
    pub basic_auth: Option<BasicAuth>,
    /// Extra headers, e.g. `X-Scope-OrgID` for Mimir or Cortex tenants.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// PEM file of extra CA certificates.
    pub ca_file: Option<PathBuf>,
    /// At most this many requests in flight to this source at once.
    #[serde(default = "default_concurrency")]
    pub max_concurrency: usize,
    /// Also list the source's own alerting rules' alerts (`/api/v1/alerts`) beside local rules.
    #[serde(default = "yes")]
    pub fetch_alerts: bool,
    /// How much of the newest data incremental range fetches fetch again, because the server may
    /// still change it (slow scrapes, VictoriaMetrics' `-search.latencyOffset`, ingestion delays
    /// of Thanos or Mimir). Default 30s.
    #[serde(default, deserialize_with = "crate::duration::de_opt")]
    pub incremental_overlap: Option<Duration>,
    /// Ask this source's instant queries of one refresh interval in one request (each tagged
    /// with `label_replace`, joined with `or`). A query that misbehaves in company is asked
    /// alone; turn this off for a server that takes PromQL only in small pieces.
    #[serde(default = "yes")]
    pub combine_queries: bool,
    /// Largest answer read from this source, counted after decompression (`"32MiB"` by
    /// default): past it the request is cut off and the panel says the answer was too large.
    #[serde(default = "default_max_response_bytes", deserialize_with = "crate::size::de")]
    pub max_response_bytes: u64,
    /// Most series kept of one answer (default 10,000); the panel says how many there were.
    #[serde(default = "default_max_series")]
    pub max_series: usize,
}

/// Default of `max_response_bytes`: 32 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 << 20;
/// Default of `max_series`.
pub const DEFAULT_MAX_SERIES: usize = 10_000;
/// Largest `max_concurrency` accepted: more requests in flight than that to one server is a
/// mistake, not a setting.
pub const MAX_CONCURRENCY: usize = 1024;

fn default_max_response_bytes() -> u64 {
    DEFAULT_MAX_RESPONSE_BYTES
}

fn default_max_series() -> usize {
    DEFAULT_MAX_SERIES
}

impl SourceSpec {
    /// A source with `name` and `url` and every other setting at its default.
    pub fn new(name: &str, url: &str) -> Self {
        SourceSpec {
            name: name.into(),
            url: url.into(),
            timeout: None,
            bearer_token_env: None,
            bearer_token_file: None,
            basic_auth: None,
            headers: BTreeMap::new(),
            ca_file: None,
            max_concurrency: default_concurrency(),
            fetch_alerts: true,
            incremental_overlap: None,
            combine_queries: true,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            max_series: DEFAULT_MAX_SERIES,
        }
    }

    /// `max_concurrency` within 1 and [`MAX_CONCURRENCY`] (the config check rejects values
    /// outside; this keeps a spec built in code from asking for an impossible semaphore).
    pub fn concurrency(&self) -> usize {
        self.max_concurrency.clamp(1, MAX_CONCURRENCY)
    }
}

/// The top-level `[alertmanager]` table: where silences are read and created, and where
/// runbook actions are announced to the team.
///
/// ```toml
/// [alertmanager]
/// url = "http://alertmanager:9093"
/// peers = ["http://alertmanager-2:9093"]
/// bearer_token_env = "AM_TOKEN"
/// require_for_actions = false
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerSpec {
    /// Base URL; API v2 is under `/api/v2/`.
    pub url: String,
    /// Deadline of one request.
    #[serde(default, deserialize_with = "crate::duration::de_opt")]
    pub timeout: Option<Duration>,
    pub bearer_token_env: Option<String>,
    pub bearer_token_file: Option<PathBuf>,
    pub basic_auth: Option<BasicAuth>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    pub ca_file: Option<PathBuf>,
    /// The other members of the same Alertmanager cluster (same auth settings). Alertmanager
    /// does not share alerts between peers, so an action's announcement alert is posted to
    /// `url` and to each of these; its claim (a silence, which the cluster does share) goes to
    /// the first that takes it.
    #[serde(default)]
    pub peers: Vec<String>,
    /// Refuse announced actions when no Alertmanager takes the announcement (default: run them,
    /// saying "not announced").
    #[serde(default)]
    pub require_for_actions: bool,
    /// How long an announced action waits, after announcing, before reading the claims back
    /// and deciding which of simultaneous launches runs: at least the cluster's gossip delay.
    #[serde(default = "default_announce_settle", deserialize_with = "crate::duration::de")]
    pub announce_settle: Duration,
}

/// The wait of [`AlertmanagerSpec::announce_settle`] by default: several gossip rounds of
/// Alertmanager's default 200 ms interval (BENCHMARKS.md measures the delay).
pub const DEFAULT_ANNOUNCE_SETTLE: Duration = Duration::from_secs(1);

/// The longest `announce_settle` accepted: an action should not wait longer to start.
pub const MAX_ANNOUNCE_SETTLE: Duration = Duration::from_secs(30);

fn default_announce_settle() -> Duration {
    DEFAULT_ANNOUNCE_SETTLE
}

impl AlertmanagerSpec {
    /// Every cluster member's settings, `url` first, then each of `peers`.
    pub fn members(&self) -> Vec<SourceSpec> {
        let first = self.as_source();
        let peers = self.peers.iter().map(|url| SourceSpec { url: url.clone(), ..first.clone() });
        std::iter::once(first.clone()).chain(peers).collect()
    }

    /// The same settings as a source, so the one HTTP client builder (auth, CA, headers) serves.
    pub fn as_source(&self) -> SourceSpec {
        SourceSpec {
            timeout: self.timeout,
            bearer_token_env: self.bearer_token_env.clone(),
            bearer_token_file: self.bearer_token_file.clone(),
            basic_auth: self.basic_auth.clone(),
            headers: self.headers.clone(),
            ca_file: self.ca_file.clone(),
            max_concurrency: 2,
            fetch_alerts: false,
            combine_queries: false,
            ..SourceSpec::new("alertmanager", &self.url)
        }
    }
}

fn default_concurrency() -> usize {
    4
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
}

/// One panel on the dashboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelSpec {
    pub title: String,
    /// Stable id for alert rules to refer to; defaults to the title in lowercase with dashes.
    pub id: Option<String>,
    #[serde(default)]
    pub kind: PanelKind,
    /// PromQL expression.
    pub query: String,
    /// Source name; defaults to the first source.
    pub source: Option<String>,
    #[serde(default)]
    pub unit: Unit,
    /// Legend template, e.g. `"{{ instance }} {{ state }}"`.
    pub legend: Option<String>,
    /// Overrides the dashboard's refresh for this panel.
    #[serde(default, deserialize_with = "crate::duration::de_opt")]
    pub refresh: Option<Duration>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Values from which the panel shows warning / critical colour (and lines on charts).
    pub warning: Option<f64>,
    pub critical: Option<f64>,
    /// Rows shown by `table` panels.
    #[serde(default = "default_top")]
    pub top: usize,
    /// Header of a table panel's value column (default `value`).
    pub value_title: Option<String>,
    /// A table panel's extra columns (`[[panels.columns]]`), right of its value.
    #[serde(default)]
    pub columns: Vec<super::ColumnSpec>,
    /// Relative width weight in its row (default 1).
    pub width: Option<u16>,
}

fn default_top() -> usize {
    10
}

impl PanelSpec {
    /// The id alert rules use: explicit `id`, else the title slugged.
    pub fn id(&self) -> String {
        self.id.clone().unwrap_or_else(|| slug(&self.title))
    }
}

/// `"DB CPU (%)"` → `"db-cpu"`.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_string()
}

/// How a panel draws its data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PanelKind {
    /// Line chart over the time range (braille, axes, legend).
    #[default]
    Line,
    /// Big current value with a sparkline.
    Stat,
    /// Fill bar between min and max.
    Gauge,
    /// Top-N series sorted by value.
    Table,
    /// One stacked bar: each series a segment (e.g. connections by state).
    Bars,
}

impl PanelKind {
    /// Whether the panel needs history (a range query) or only the latest values.
    pub fn needs_range(self) -> bool {
        matches!(self, PanelKind::Line | PanelKind::Stat)
    }
}
