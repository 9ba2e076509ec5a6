//! The pager's HTTP calls: Prometheus's `/api/v1/alerts` and Alertmanager's `/api/v2/silences`
//! (list, create). Same clients as the queries (auth, tenant headers, CA, same-origin redirects),
//! same deadline, same bounded body, same typed errors; every text from the server is cleaned,
//! and stripped of the client's secrets, before it leaves this module.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::announce::{self, Announcement};
use super::types::{bounded, Matcher, PromAlert, PromState, Silence, SilenceRequest};
use crate::prom::{Client, Labels, PromError};
use crate::secret::Secrets;

/// Prometheus's (and Thanos's, Mimir's) alerts of its own alerting rules, pending and firing.
pub async fn prom_alerts(client: &Client) -> Result<Vec<PromAlert>, PromError> {
    let url = format!("{}/api/v1/alerts", client.base_url());
    let (status, body) = client.exchange(client.http().get(url)).await?;
    decode_alerts(status, &body, client.secrets())
}

/// Alertmanager's silences in force now (`active`), expired and pending ones left out.
pub async fn silences(am: &Client) -> Result<Vec<Silence>, PromError> {
    let url = format!("{}/api/v2/silences", am.base_url());
    let (status, body) = am.exchange(am.http().get(url)).await?;
    decode_silences(status, &body, am.secrets())
}

/// Creates a silence; returns its id.
pub async fn create_silence(am: &Client, req: &SilenceRequest) -> Result<String, PromError> {
    let url = format!("{}/api/v2/silences", am.base_url());
    let (status, body) = am.exchange(am.http().post(url).json(&silence_body(req))).await?;
    decode_created(status, &body, am.secrets())
}

/// Decodes an answer of `POST /api/v2/silences`: the new silence's id. Like every decoder here,
/// it takes `secrets` out of any text from the body before cutting it short.
pub fn decode_created(status: u16, body: &[u8], secrets: &Secrets) -> Result<String, PromError> {
    if !(200..300).contains(&status) {
        return Err(PromError::Http { status, excerpt: excerpt(body, secrets) });
    }
    #[derive(Deserialize)]
    struct Created {
        #[serde(rename = "silenceID")]
        id: String,
    }
    let created: Created = serde_json::from_slice(body)
        .map_err(|e| PromError::Decode(format!("no silenceID in the answer ({e})")))?;
    Ok(bounded(&created.id))
}

/// The JSON Alertmanager's API v2 takes for a new silence.
pub fn silence_body(req: &SilenceRequest) -> Value {
    silence_json(&req.labels, (req.starts_at, req.ends_at), &req.created_by, &req.comment)
}

/// A silence of equality matchers on `labels` from `starts` to `ends`.
fn silence_json(
    labels: &Labels,
    (starts, ends): (DateTime<Utc>, DateTime<Utc>),
    created_by: &str,
    comment: &str,
) -> Value {
    let matchers: Vec<Value> = labels
        .iter()
        .map(|(k, v)| json!({"name": k, "value": v, "isRegex": false, "isEqual": true}))
        .collect();
    json!({
        "matchers": matchers,
        "startsAt": starts.to_rfc3339_opts(SecondsFormat::Millis, true),
        "endsAt": ends.to_rfc3339_opts(SecondsFormat::Millis, true),
        "createdBy": created_by,
        "comment": comment,
    })
}

/// Posts `a`'s alert (`POST /api/v2/alerts`): announced, refreshed, or resolved once
/// `a.finished` is set.
pub async fn post_announcement(am: &Client, a: &Announcement) -> Result<(), PromError> {
    let url = format!("{}/api/v2/alerts", am.base_url());
    let (status, body) = am.exchange(am.http().post(url).json(&a.alert_json())).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(PromError::Http { status, excerpt: excerpt(&body, am.secrets()) })
    }
}

/// The `WarroomAction` alerts Alertmanager holds (`GET /api/v2/alerts`, active ones).
pub async fn announcements(am: &Client) -> Result<Vec<Announcement>, PromError> {
    let url = format!("{}/api/v2/alerts", am.base_url());
    let filter = format!("alertname=\"{}\"", announce::ALERTNAME);
    let request = am.http().get(url).query(&[("filter", filter.as_str()), ("active", "true")]);
    let (status, body) = am.exchange(request).await?;
    announce::decode_alerts(status, &body, am.secrets())
}

/// Every claim Alertmanager holds, expired ones too (`GET /api/v2/silences`).
pub async fn claims(am: &Client) -> Result<Vec<Announcement>, PromError> {
    let url = format!("{}/api/v2/silences", am.base_url());
    let filter = format!("{}=\"true\"", announce::CLAIM_LABEL);
    let (status, body) = am.exchange(am.http().get(url).query(&[("filter", filter)])).await?;
    announce::decode_claims(status, &body, am.secrets())
}

/// Creates `a`'s claim, a silence that silences nothing, from now to `a.ends`; its id.
pub async fn post_claim(am: &Client, a: &Announcement) -> Result<String, PromError> {
    let url = format!("{}/api/v2/silences", am.base_url());
    let ends =
        if a.finished.is_some() { Utc::now() + chrono::Duration::seconds(1) } else { a.ends };
    let body = silence_json(&a.claim_labels(), (Utc::now(), ends), &a.user, &a.claim_comment());
    let (status, body) = am.exchange(am.http().post(url).json(&body)).await?;
    decode_created(status, &body, am.secrets())
}

/// Expires silence `id` now (`DELETE /api/v2/silence/{id}`).
pub async fn expire_silence(am: &Client, id: &str) -> Result<(), PromError> {
    let id = crate::runbook::quote::percent_encode(id);
    let url = format!("{}/api/v2/silence/{id}", am.base_url());
    let (status, body) = am.exchange(am.http().delete(url)).await?;
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(PromError::Http { status, excerpt: excerpt(&body, am.secrets()) })
    }
}

fn excerpt(body: &[u8], secrets: &Secrets) -> String {
    let text = secrets.scrub(&String::from_utf8_lossy(body));
    let short: String = text.chars().take(200).collect();
    bounded(&short)
}

#[derive(Deserialize)]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

#[derive(Deserialize)]
struct AlertsData {
    #[serde(default)]
    alerts: Vec<RawAlert>,
}

#[derive(Deserialize)]
struct RawAlert {
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    annotations: Labels,
    state: String,
    #[serde(rename = "activeAt")]
    active_at: Option<String>,
    value: Option<Value>,
}

/// The `data` of a Prometheus API answer, or the error it is.
fn open<T: serde::de::DeserializeOwned>(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<T, PromError> {
    let env: Envelope<T> = serde_json::from_slice(body).map_err(|e| {
        if (200..300).contains(&status) {
            PromError::Decode(format!("not Prometheus JSON ({e})"))
        } else {
            PromError::Http { status, excerpt: excerpt(body, secrets) }
        }
    })?;
    if env.status != "success" {
        return Err(PromError::Api {
            status,
            error_type: bounded(&secrets.scrub(env.error_type.as_deref().unwrap_or("error"))),
            message: bounded(&secrets.scrub(env.error.as_deref().unwrap_or("no error text"))),
        });
    }
    env.data.ok_or_else(|| PromError::Decode("success without data".into()))
}

/// The names of a Prometheus's own alerting rules (`/api/v1/rules?type=alert`), sorted, once
/// each.
pub async fn prom_rule_names(client: &Client) -> Result<Vec<String>, PromError> {
    let url = format!("{}/api/v1/rules", client.base_url());
    let request = client.http().get(url).query(&[("type", "alert")]);
    let (status, body) = client.exchange(request).await?;
    decode_rule_names(status, &body, client.secrets())
}

#[derive(Deserialize)]
struct RulesData {
    #[serde(default)]
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    #[serde(default)]
    rules: Vec<NamedRule>,
}

#[derive(Deserialize)]
struct NamedRule {
    name: String,
    #[serde(rename = "type", default)]
    kind: String,
}

/// Decodes an answer of `/api/v1/rules`: the alerting rules' names.
pub fn decode_rule_names(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<Vec<String>, PromError> {
    let data: RulesData = open(status, body, secrets)?;
    let mut names: Vec<String> = data
        .groups
        .into_iter()
        .flat_map(|g| g.rules)
        .filter(|r| r.kind.is_empty() || r.kind == "alerting")
        .map(|r| bounded(&r.name))
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// Decodes an answer of `/api/v1/alerts`.
pub fn decode_alerts(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<Vec<PromAlert>, PromError> {
    let data: AlertsData = open(status, body, secrets)?;
    Ok(data
        .alerts
        .into_iter()
        .filter_map(|a| {
            let state = match a.state.as_str() {
                "firing" => PromState::Firing,
                "pending" => PromState::Pending,
                _ => return None,
            };
            Some(PromAlert {
                labels: a.labels,
                annotations: a.annotations,
                state,
                active_at: a.active_at.as_deref().and_then(timestamp),
                value: a.value.as_ref().map(number).unwrap_or(f64::NAN),
            })
        })
        .collect())
}

/// A silence as `GET /api/v2/silences` lists it (also read for the team's claims).
#[derive(Deserialize)]
pub(super) struct RawSilence {
    pub(super) id: String,
    pub(super) status: RawStatus,
    #[serde(default)]
    pub(super) matchers: Vec<RawMatcher>,
    #[serde(rename = "startsAt")]
    pub(super) starts_at: String,
    #[serde(rename = "endsAt")]
    pub(super) ends_at: String,
    #[serde(rename = "createdBy", default)]
    pub(super) created_by: String,
    #[serde(default)]
    pub(super) comment: String,
}

#[derive(Deserialize)]
pub(super) struct RawStatus {
    pub(super) state: String,
}

#[derive(Deserialize)]
pub(super) struct RawMatcher {
    pub(super) name: String,
    pub(super) value: String,
    #[serde(rename = "isRegex", default)]
    pub(super) is_regex: bool,
    #[serde(rename = "isEqual", default = "yes")]
    pub(super) is_equal: bool,
}

fn yes() -> bool {
    true
}

/// The JSON list an Alertmanager answer of API v2 is (`what`: "silences", "alerts"), or the
/// error it is.
pub(super) fn decode_list<T: serde::de::DeserializeOwned>(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
    what: &str,
) -> Result<Vec<T>, PromError> {
    if !(200..300).contains(&status) {
        return Err(PromError::Http { status, excerpt: excerpt(body, secrets) });
    }
    serde_json::from_slice(body)
        .map_err(|e| PromError::Decode(format!("not a list of {what} ({e})")))
}

/// Decodes an answer of `GET /api/v2/silences`, keeping the active silences whose matchers
/// compile, and leaving out the team's claims ([`announce`]).
pub fn decode_silences(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<Vec<Silence>, PromError> {
    let raw: Vec<RawSilence> = decode_list(status, body, secrets, "silences")?;
    Ok(raw
        .into_iter()
        .filter(|s| s.status.state == "active")
        // The team's claims silence nothing: they are read as announcements instead.
        .filter(|s| !s.matchers.iter().any(|m| m.name == announce::CLAIM_LABEL))
        .filter_map(|s| {
            let matchers = s
                .matchers
                .iter()
                .map(|m| Matcher::new(&m.name, &m.value, m.is_regex, m.is_equal))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| tracing::warn!("silence {}: {e}", bounded(&s.id)))
                .ok()?;
            Some(Silence {
                id: bounded(&s.id),
                matchers,
                starts_at: timestamp(&s.starts_at)?,
                ends_at: timestamp(&s.ends_at)?,
                created_by: bounded(&s.created_by),
                comment: bounded(&s.comment),
            })
        })
        .collect())
}

/// An RFC 3339 time; Go's zero time (year 1) counts as none.
fn timestamp(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    (t.timestamp() > 0).then_some(t)
}

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => match s.as_str() {
            "+Inf" | "Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            s => s.parse().unwrap_or(f64::NAN),
        },
        _ => f64::NAN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_prometheus_alerts() {
        let body = br#"{"status":"success","data":{"alerts":[
            {"labels":{"alertname":"HighCPU","severity":"critical","instance":"db\u001b[2J"},
             "annotations":{"summary":"CPU 97% on db"},"state":"firing",
             "activeAt":"2024-05-01T10:00:00.123456789Z","value":"9.7e+01"},
            {"labels":{"alertname":"Slow"},"annotations":{},"state":"pending",
             "activeAt":"0001-01-01T00:00:00Z","value":"NaN"},
            {"labels":{"alertname":"Old"},"state":"inactive"}]}}"#;
        let alerts =
            decode_alerts(200, body, &Secrets::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(alerts.len(), 2);
        assert_eq!(alerts[0].state, PromState::Firing);
        assert_eq!(alerts[0].value, 97.0);
        assert_eq!(alerts[0].labels["instance"], "db\u{1b}[2J", "raw until displayed");
        assert_eq!(alerts[0].summary(), "CPU 97% on db");
        assert!(alerts[0].active_at.is_some());
        assert_eq!(alerts[1].active_at, None);
        assert!(alerts[1].value.is_nan());
    }

    #[test]
    fn alert_errors_are_typed() {
        let e = decode_alerts(404, b"404 page not found", &Secrets::default()).err();
        assert!(matches!(e, Some(PromError::Http { status: 404, .. })), "{e:?}");
        let e = decode_alerts(
            422,
            br#"{"status":"error","errorType":"execution","error":"boom\u0007"}"#,
            &Secrets::default(),
        )
        .err();
        assert!(matches!(&e, Some(PromError::Api { message, .. }) if message == "boom\\x07"));
    }

    #[test]
    fn decodes_active_silences_only() {
        let body = br#"[
          {"id":"a","status":{"state":"active"},"comment":"on it","createdBy":"ana",
           "startsAt":"2024-05-01T10:00:00Z","endsAt":"2024-05-01T11:00:00Z",
           "matchers":[{"name":"alertname","value":"HighCPU","isRegex":false}]},
          {"id":"b","status":{"state":"expired"},"comment":"","createdBy":"",
           "startsAt":"2024-05-01T08:00:00Z","endsAt":"2024-05-01T09:00:00Z","matchers":[]},
          {"id":"c","status":{"state":"active"},"comment":"","createdBy":"",
           "startsAt":"2024-05-01T08:00:00Z","endsAt":"2024-05-01T19:00:00Z",
           "matchers":[{"name":"x","value":"(","isRegex":true,"isEqual":true}]},
          {"id":"claim","status":{"state":"active"},"comment":"","createdBy":"",
           "startsAt":"2024-05-01T08:00:00Z","endsAt":"2024-05-01T19:00:00Z",
           "matchers":[{"name":"warroom_claim","value":"true"},{"name":"runbook","value":"r"}]}]"#;
        let s = decode_silences(200, body, &Secrets::default()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].id, "a");
        assert!(s[0].matchers[0].is_equal(), "isEqual defaults to true for older servers");
    }

    #[test]
    fn secrets_are_taken_out_before_texts_are_cut_short() {
        let mut secrets = Secrets::default();
        secrets.add_header("X-Api-Key", "key-0123456789abcdef");
        let echo = format!("{} x-api-key: key-0123456789abcdef", "x".repeat(180));
        for e in [
            decode_alerts(500, echo.as_bytes(), &secrets).err(),
            decode_silences(500, echo.as_bytes(), &secrets).err(),
            decode_created(400, echo.as_bytes(), &secrets).err(),
        ] {
            let text = format!("{e:?}");
            assert!(text.contains("xxx") && !text.contains("key-0123"), "{text}");
        }
    }
}
