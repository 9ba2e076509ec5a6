//! Typed results of Prometheus's HTTP query API, shared by the client, the pollers, the model and
//! the alert engine.

use std::collections::BTreeMap;

/// A series' label set, ordered so that equal sets compare and hash the same.
pub type Labels = BTreeMap<String, String>;

/// One sample: Unix time in seconds and a value. `NaN` and `±Inf` are kept as such.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub t: f64,
    pub v: f64,
}

/// One series of an instant (vector) result: its labels and its single point.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub labels: Labels,
    pub point: Point,
}

/// One series of a range (matrix) result.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub points: Vec<Point>,
}

/// The data of a successful answer.
#[derive(Debug, Clone, PartialEq)]
pub enum QueryData {
    Vector(Vec<Sample>),
    Matrix(Vec<Series>),
    Scalar(Point),
}

impl QueryData {
    /// The latest value of each series, as the alert engine and stat panels see it.
    pub fn latest(&self) -> Vec<Sample> {
        match self {
            QueryData::Vector(v) => v.clone(),
            QueryData::Matrix(m) => m
                .iter()
                .filter_map(|s| {
                    s.points.last().map(|p| Sample { labels: s.labels.clone(), point: *p })
                })
                .collect(),
            QueryData::Scalar(p) => vec![Sample { labels: Labels::new(), point: *p }],
        }
    }

    /// True when the answer holds no series at all.
    pub fn is_empty(&self) -> bool {
        match self {
            QueryData::Vector(v) => v.is_empty(),
            QueryData::Matrix(m) => m.iter().all(|s| s.points.is_empty()),
            QueryData::Scalar(_) => false,
        }
    }
}

/// A successful answer with the server's caveats.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResponse {
    pub data: QueryData,
    /// Prometheus `warnings` (and `infos`), already stripped of control characters.
    pub warnings: Vec<String>,
    /// VictoriaMetrics `isPartial`, or a Thanos partial-response warning.
    pub partial: bool,
}

/// Why a query failed. Messages are safe to show: no secrets, no control characters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PromError {
    /// The server answered with Prometheus's error envelope (`errorType`, `error`).
    #[error("{error_type} ({status}): {message}")]
    Api { status: u16, error_type: String, message: String },
    /// A non-JSON or unexpected HTTP answer, e.g. a proxy's 502 page.
    #[error("HTTP {status}: {excerpt}")]
    Http { status: u16, excerpt: String },
    /// The client-side deadline passed.
    #[error("timed out after {0} ms")]
    Timeout(u64),
    /// Could not connect or the connection broke.
    #[error("unreachable: {0}")]
    Network(String),
    /// The answer was not valid Prometheus JSON.
    #[error("bad answer: {0}")]
    Decode(String),
    /// The answer went on past the source's `max_response_bytes` (this many bytes, counted
    /// after decompression); the rest was not read.
    #[error("answer larger than {}", crate::size::format(*.0))]
    TooLarge(u64),
    /// The server sent the request elsewhere and it was not followed (another origin would be
    /// handed the source's credentials).
    #[error("{0}")]
    Redirect(String),
}

impl PromError {
    /// Whether a retry with backoff may help (5xx, 429, network, timeout) or not (400, 422, decode).
    pub fn is_retryable(&self) -> bool {
        match self {
            PromError::Api { status, .. } | PromError::Http { status, .. } => {
                *status == 429 || *status >= 500
            }
            PromError::Timeout(_) | PromError::Network(_) => true,
            PromError::Decode(_) | PromError::TooLarge(_) | PromError::Redirect(_) => false,
        }
    }

    /// The same error with every secret in its text replaced.
    pub fn scrubbed(self, secrets: &crate::secret::Secrets) -> PromError {
        match self {
            PromError::Api { status, error_type, message } => PromError::Api {
                status,
                error_type: secrets.scrub(&error_type),
                message: secrets.scrub(&message),
            },
            PromError::Http { status, excerpt } => {
                PromError::Http { status, excerpt: secrets.scrub(&excerpt) }
            }
            PromError::Timeout(ms) => PromError::Timeout(ms),
            PromError::Network(m) => PromError::Network(secrets.scrub(&m)),
            PromError::Decode(m) => PromError::Decode(secrets.scrub(&m)),
            PromError::TooLarge(limit) => PromError::TooLarge(limit),
            PromError::Redirect(m) => PromError::Redirect(secrets.scrub(&m)),
        }
    }

    /// Why an alert rule evaluated on this failure is blind, for the header:
    /// `source down`, `credentials refused (401)`, `source failing (HTTP 502)`, `bad answer`,
    /// `query error (bad_data)`.
    pub fn blind_reason(&self) -> String {
        match self {
            PromError::Api { status: s @ (401 | 403), .. }
            | PromError::Http { status: s @ (401 | 403), .. } => {
                format!("credentials refused ({s})")
            }
            PromError::Timeout(_) | PromError::Network(_) => "source down".into(),
            PromError::Api { status, .. } | PromError::Http { status, .. } if *status >= 500 => {
                format!("source failing (HTTP {status})")
            }
            PromError::Api { error_type, .. } => format!("query error ({error_type})"),
            PromError::Http { .. } | PromError::Decode(_) => "bad answer".into(),
            PromError::TooLarge(_) => "answer too large".into(),
            PromError::Redirect(_) => "redirected to another origin".into(),
        }
    }

    /// Whether the server refused the credentials (401, 403): it is up, warroom is not let in.
    pub fn is_auth(&self) -> bool {
        matches!(
            self,
            PromError::Api { status: 401 | 403, .. } | PromError::Http { status: 401 | 403, .. }
        )
    }

    /// Short class name for status lines: `bad_data`, `timeout`, `http 502`, `unreachable`…
    pub fn class(&self) -> String {
        match self {
            PromError::Api { error_type, .. } => error_type.clone(),
            PromError::Http { status, .. } => format!("http {status}"),
            PromError::Timeout(_) => "timeout".into(),
            PromError::Network(_) => "unreachable".into(),
            PromError::Decode(_) => "bad answer".into(),
            PromError::TooLarge(_) => "too large".into(),
            PromError::Redirect(_) => "redirect refused".into(),
        }
    }
}
