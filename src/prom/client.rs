//! HTTP client for one Prometheus-compatible source: instant and range queries with auth,
//! tenant headers, a CA file, a client-side deadline and typed errors.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, AUTHORIZATION};

use super::contact::Contact;
use super::decode::decode;
use super::types::{PromError, QueryResponse};
use crate::config::SourceSpec;
use crate::secret::{self, Secrets};

/// Default deadline of one request when the source sets none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// How much of the newest data incremental fetches re-fetch when the source sets nothing:
/// covers slow scrapes and VictoriaMetrics' default `-search.latencyOffset` of 30 s.
pub const DEFAULT_OVERLAP: Duration = Duration::from_secs(30);

/// A query answer and what it cost.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub response: QueryResponse,
    /// Round-trip time of the HTTP exchange.
    pub rtt: Duration,
    /// Size of the response body as received (after decompression).
    pub bytes: usize,
}

/// Answers at least this long are decoded off the loop thread.
const DECODE_ON_LOOP_BYTES: usize = 256 * 1024;

/// A problem building a client from its config (bad header, unreadable token file…).
#[derive(Debug, thiserror::Error)]
#[error("source {source_name:?}: {message}")]
pub struct ClientError {
    pub source_name: String,
    pub message: String,
}

/// A client for one source. Cheap to clone (shares the connection pool). Its `Debug` output,
/// its errors and the warnings it passes on never hold the source's credentials.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    name: String,
    timeout: Duration,
    overlap: Duration,
    max_response_bytes: usize,
    max_series: usize,
    secrets: Secrets,
    /// Shared by every clone: when the source last answered, when a request last failed.
    contact: Arc<Contact>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.name)
            .field("base", &secret::redact_url(&self.base))
            .field("timeout", &self.timeout)
            .field("overlap", &self.overlap)
            .field("secrets", &self.secrets)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Builds a client from a source spec: reads tokens and the CA file now, so mistakes show at
    /// start-up and not at 3 a.m. Errors never include secret values.
    pub fn new(spec: &SourceSpec) -> Result<Self, ClientError> {
        let err = |message: String| ClientError { source_name: spec.name.clone(), message };
        let mut secrets = Secrets::default();
        secrets.add_url(&spec.url);
        let mut headers = HeaderMap::new();
        for (k, v) in &spec.headers {
            secrets.add_header(k, v);
            let name = HeaderName::from_bytes(k.as_bytes())
                .map_err(|_| err(format!("header name {k:?} is not valid")))?;
            let mut value = HeaderValue::from_str(v)
                .map_err(|_| err(format!("value of header {k:?} has characters HTTP forbids")))?;
            value.set_sensitive(true);
            headers.insert(name, value);
        }
        if let Some(token) = bearer_token(spec).map_err(err)? {
            secrets.add(&token);
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| err("bearer token has characters HTTP forbids".into()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        if let Some(basic) = &spec.basic_auth {
            let password = secret(basic.password_env.as_deref(), basic.password_file.as_deref())
                .map_err(err)?
                .unwrap_or_default();
            secrets.add_basic(&basic.username, &password);
            let raw = format!("{}:{}", basic.username, password);
            let mut value =
                HeaderValue::from_str(&format!("Basic {}", secret::base64(raw.as_bytes())))
                    .map_err(|_| err("basic auth has characters HTTP forbids".into()))?;
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        let timeout = spec.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let mut builder = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(concat!("warroom/", env!("CARGO_PKG_VERSION")))
            .redirect(same_origin_redirects())
            .connect_timeout(timeout.min(Duration::from_secs(3)))
            .pool_max_idle_per_host(spec.concurrency());
        if let Some(ca) = &spec.ca_file {
            let pem = std::fs::read(ca)
                .map_err(|e| err(format!("cannot read ca_file {}: {e}", ca.display())))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|_| err(format!("ca_file {} is not a PEM certificate", ca.display())))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| err(format!("cannot build HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: spec.url.trim_end_matches('/').to_string(),
            name: spec.name.clone(),
            timeout,
            overlap: spec.incremental_overlap.unwrap_or(DEFAULT_OVERLAP),
            max_response_bytes: usize::try_from(spec.max_response_bytes).unwrap_or(usize::MAX),
            max_series: spec.max_series.max(1),
            secrets,
            contact: Arc::default(),
        })
    }

    /// How much of the newest data incremental range fetches fetch again.
    pub fn overlap(&self) -> Duration {
        self.overlap
    }

    /// When the source last answered and last failed, shared by every clone of this client.
    pub fn contact(&self) -> &Contact {
        &self.contact
    }

    /// The source's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// The HTTP client with this source's auth, headers and CA, for its other APIs (alerts,
    /// Alertmanager's silences). Requests made with it need their own deadline.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The per-request deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The same client (same pool) with a shorter deadline, e.g. to stay below a poll interval.
    pub fn with_timeout(&self, deadline: Duration) -> Client {
        Client { timeout: deadline.min(self.timeout), ..self.clone() }
    }

    /// Instant query at `time` (Unix seconds), or the server's now.
    pub async fn query(&self, expr: &str, time: Option<f64>) -> Result<Fetched, PromError> {
        let mut form = vec![("query", expr.to_string())];
        if let Some(t) = time {
            form.push(("time", fmt_ts(t)));
        }
        self.post("/api/v1/query", form).await
    }

    /// Range query over `[start, end]` (Unix seconds) at `step`.
    pub async fn query_range(
        &self,
        expr: &str,
        start: f64,
        end: f64,
        step: Duration,
    ) -> Result<Fetched, PromError> {
        let form = vec![
            ("query", expr.to_string()),
            ("start", fmt_ts(start)),
            ("end", fmt_ts(end)),
            ("step", format!("{}", step.as_secs_f64())),
        ];
        self.post("/api/v1/query_range", form).await
    }

    /// The values of label `name` (`/api/v1/label/<name>/values`), of the series `matchers`
    /// select when there are any: the first `max`, as the server sent them (clean them before
    /// showing them), and how many there were. `name` must be a valid label name; it is never sent otherwise.
    pub async fn label_values(
        &self,
        name: &str,
        matchers: &[String],
        max: usize,
    ) -> Result<(Vec<String>, usize), PromError> {
        let valid = name
            .chars()
            .enumerate()
            .all(|(i, c)| c == '_' || c.is_ascii_alphabetic() || (i > 0 && c.is_ascii_digit()));
        if name.is_empty() || !valid {
            let shown = crate::sanitize::clean(name);
            return Err(PromError::Decode(format!("{shown:?} is not a label name")));
        }
        let url = format!("{}/api/v1/label/{name}/values", self.base);
        let query: Vec<(&str, &str)> = matchers.iter().map(|m| ("match[]", m.as_str())).collect();
        let (status, body) = self.exchange(self.http.get(url).query(&query)).await?;
        let decoded = super::decode::decode_values(status, &body, max, &self.secrets);
        self.scrub(decoded)
    }

    async fn post(&self, path: &str, mut form: Vec<(&str, String)>) -> Result<Fetched, PromError> {
        // Ask the server to give up a little before we do, so it stops working for nobody.
        let server_timeout = self.timeout.mul_f64(0.9).max(Duration::from_millis(100));
        form.push(("timeout", format!("{}ms", server_timeout.as_millis())));
        let started = Instant::now();
        let (status, body) =
            self.exchange(self.http.post(format!("{}{path}", self.base)).form(&form)).await?;
        let rtt = started.elapsed();
        let bytes = body.len();
        let response = if bytes < DECODE_ON_LOOP_BYTES {
            decode(status, &body, self.max_series, &self.secrets)?
        } else {
            // A large answer (an alert storm, a wide panel) is decoded on a blocking thread:
            // the loop thread keeps reading keys and drawing while it is parsed.
            let (max_series, secrets) = (self.max_series, self.secrets.clone());
            tokio::task::spawn_blocking(move || decode(status, &body, max_series, &secrets))
                .await
                .map_err(|e| PromError::Decode(format!("decoding stopped: {e}")))??
        };
        Ok(Fetched { response, rtt, bytes })
    }

    /// Sends `request` (made with [`Client::http`]) under this client's deadline and reads at
    /// most `max_response_bytes` of the answer (after decompression): the status and the body.
    /// Its errors hold none of this source's secrets.
    pub async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<(u16, Vec<u8>), PromError> {
        let (deadline, limit) = (self.timeout, self.max_response_bytes);
        let exchange = async {
            let resp =
                request.timeout(deadline).send().await.map_err(|e| net_error(e, deadline))?;
            let status = resp.status().as_u16();
            // A length that says it is too long is believed (reqwest drops it from gzipped
            // bodies, whose decoded size only reading tells).
            if resp.content_length().is_some_and(|n| n > limit as u64) {
                return Err(PromError::TooLarge(limit as u64));
            }
            let body = crate::body::read(resp, limit).await;
            if body.longer {
                return Err(PromError::TooLarge(limit as u64));
            }
            if let Some(e) = body.error {
                return Err(net_error(e, deadline));
            }
            Ok((status, body.bytes))
        };
        let result = tokio::time::timeout(deadline, exchange)
            .await
            .unwrap_or(Err(PromError::Timeout(deadline.as_millis() as u64)));
        self.scrub(result)
    }

    /// This source's secrets, for decoders of its answers.
    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// `result` with none of this source's secrets (nor URL passwords) in its error's text: for
    /// every error made from what the server sent.
    pub fn scrub<T>(&self, result: Result<T, PromError>) -> Result<T, PromError> {
        result.map_err(|e| e.scrubbed(&self.secrets))
    }
}

/// Redirects are followed within the origin (scheme, host and port) of the request only: the
/// credentials and headers configured for a source are never sent to another server.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("too many redirects");
        }
        let to = attempt.url().origin();
        if attempt.previous().first().is_some_and(|from| from.origin() != to) {
            let shown = to.ascii_serialization();
            return attempt.error(CrossOrigin(secret::redact_userinfo(&shown)));
        }
        attempt.follow()
    })
}

/// Why a redirect was not followed.
#[derive(Debug, thiserror::Error)]
#[error("redirected to another origin ({0}); refusing to send credentials")]
struct CrossOrigin(String);

/// A transport error as a [`PromError`], without the URL (it may carry credentials).
pub(crate) fn net_error(e: reqwest::Error, deadline: Duration) -> PromError {
    if e.is_timeout() {
        return PromError::Timeout(deadline.as_millis() as u64);
    }
    if e.is_redirect() {
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            if let Some(refused) = s.downcast_ref::<CrossOrigin>() {
                return PromError::Redirect(refused.to_string());
            }
            source = s.source();
        }
    }
    // Without the URL: it may carry credentials in its query string.
    let e = e.without_url();
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    PromError::Network(crate::sanitize::clean_owned(&msg))
}

fn fmt_ts(t: f64) -> String {
    format!("{t:.3}")
}

fn bearer_token(spec: &SourceSpec) -> Result<Option<String>, String> {
    secret(spec.bearer_token_env.as_deref(), spec.bearer_token_file.as_deref())
}

/// Reads a secret from an environment variable or the first line of a file.
fn secret(env: Option<&str>, file: Option<&std::path::Path>) -> Result<Option<String>, String> {
    if let Some(var) = env {
        return std::env::var(var)
            .map(Some)
            .map_err(|_| format!("environment variable {var} is not set"));
    }
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read secret file {}: {e}", path.display()))?;
        return Ok(Some(text.lines().next().unwrap_or_default().trim().to_string()));
    }
    Ok(None)
}
