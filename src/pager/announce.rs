//! Runbook actions announced to the team through Alertmanager, so that engineers on other
//! bastions see who is running what, and the same action does not run twice on one target.
//!
//! An announcement goes out twice, because an Alertmanager cluster shares silences between its
//! members but not alerts:
//!
//! - the **alert** `WarroomAction` (labels `warroom_run`, `runbook`, `action`, `target`,
//!   `environment`, `user`, `host`; annotations `label`, `summary`, and `outcome` once it is
//!   over), posted to every configured member, for people and receivers to see;
//! - the **claim**, a silence whose matchers are the same labels plus `warroom_claim="true"` (no
//!   alert carries that label, so it silences nothing), which the cluster gossips to every
//!   member. Its comment is the summary, and once the run is over a second line
//!   `outcome: exit 0; took_ms: 3200`. Claims decide single flight.
//!
//! Everything read back is outside data: decoded with bounds, cleaned of control characters.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{decode_list, RawSilence};
use super::types::bounded;
use crate::prom::{Labels, PromError};
use crate::secret::Secrets;

/// The `alertname` of announcements.
pub const ALERTNAME: &str = "WarroomAction";
/// The matcher that makes a silence a claim (and keeps it from silencing anything).
pub const CLAIM_LABEL: &str = "warroom_claim";
/// Most announcements kept from one answer: a flood from a hostile server stops here.
pub const MAX_ANNOUNCEMENTS: usize = 500;
/// How long a finished announcement stays on screen.
pub const KEEP_FINISHED: chrono::Duration = chrono::Duration::minutes(10);

/// How an announced run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finish {
    /// `exit 0`, `timed out`, `withdrawn: …`.
    pub outcome: String,
    /// How long it ran.
    pub took: Duration,
}

/// One announced run, as read from Alertmanager (or as this warroom sends it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    /// `host:pid:start:run id`: names the run across the team.
    pub run: String,
    /// Runbook id.
    pub runbook: String,
    /// Action key.
    pub key: String,
    /// Action label: "Terminate idle sessions".
    pub label: String,
    /// Target name.
    pub target: String,
    pub environment: String,
    pub user: String,
    pub host: String,
    /// When it was announced.
    pub since: DateTime<Utc>,
    /// When Alertmanager took its claim, as the cluster shares it: what single flight
    /// compares, so that every warroom decides on the same times whatever its own clock says.
    pub claimed: Option<DateTime<Utc>>,
    /// When it stops counting as running even if nobody resolves it.
    pub ends: DateTime<Utc>,
    /// `Some` once it is over.
    pub finished: Option<Finish>,
}

impl Announcement {
    /// Whether it is of action `key` of `runbook` on `target`.
    pub fn same_action(&self, runbook: &str, key: char, target: &str) -> bool {
        self.runbook == runbook && self.key == key.to_string() && self.target == target
    }

    /// Whether it still runs at `now`.
    pub fn running(&self, now: DateTime<Utc>) -> bool {
        self.finished.is_none() && now < self.ends
    }

    /// The labels of its alert (and, but for `alertname`, its claim's matchers).
    pub fn labels(&self) -> Labels {
        Labels::from([
            ("alertname".to_string(), ALERTNAME.to_string()),
            ("warroom_run".to_string(), self.run.clone()),
            ("runbook".to_string(), self.runbook.clone()),
            ("action".to_string(), self.key.clone()),
            ("target".to_string(), self.target.clone()),
            ("environment".to_string(), self.environment.clone()),
            ("user".to_string(), self.user.clone()),
            ("host".to_string(), self.host.clone()),
        ])
    }

    /// "alice is running Terminate idle sessions on pg-main-1 from bastion-2", or once it is
    /// over "alice ran Terminate idle sessions on pg-main-1 from bastion-2: exit 0".
    pub fn summary(&self) -> String {
        let on =
            if self.target.is_empty() { String::new() } else { format!(" on {}", self.target) };
        match &self.finished {
            None => format!("{} is running {}{on} from {}", self.user, self.label, self.host),
            Some(f) => {
                format!("{} ran {}{on} from {}: {}", self.user, self.label, self.host, f.outcome)
            }
        }
    }

    /// What the screen says: the summary with "since 01:02:10" (in `offset`'s time) while it
    /// runs, ", 3 s" once it is over.
    pub fn line(&self, offset: chrono::FixedOffset) -> String {
        match &self.finished {
            None => {
                // With its zone: the line also goes into refusals, and so into the audit log.
                let local = self.since.with_timezone(&offset);
                let zone = if offset.local_minus_utc() == 0 {
                    "UTC".to_owned()
                } else {
                    local.format("%:z").to_string()
                };
                format!("{} since {} {zone}", self.summary(), local.format("%H:%M:%S"))
            }
            Some(f) => format!("{}, {}", self.summary(), took(f.took)),
        }
    }

    /// The alert to post: `endsAt` is `ends`, or now when it is over.
    pub fn alert_json(&self) -> Value {
        let mut annotations = BTreeMap::from([
            ("label".to_string(), self.label.clone()),
            ("summary".to_string(), self.summary()),
        ]);
        if let Some(f) = &self.finished {
            annotations.insert("outcome".into(), f.outcome.clone());
            annotations.insert("took_ms".into(), f.took.as_millis().to_string());
        }
        let ends = if self.finished.is_some() { Utc::now() } else { self.ends };
        json!([{
            "labels": self.labels(),
            "annotations": annotations,
            "startsAt": rfc3339(self.since),
            "endsAt": rfc3339(ends),
        }])
    }

    /// The claim's matchers: the alert's labels but `alertname`, plus `warroom_claim="true"`,
    /// and `label`.
    pub fn claim_labels(&self) -> Labels {
        let mut labels = self.labels();
        labels.remove("alertname");
        labels.insert("label".into(), self.label.clone());
        labels.insert(CLAIM_LABEL.into(), "true".into());
        labels
    }

    /// The claim's comment: the summary, and once over `outcome: …; took_ms: …`.
    pub fn claim_comment(&self) -> String {
        match &self.finished {
            None => self.summary(),
            Some(f) => {
                format!(
                    "{}\noutcome: {}; took_ms: {}",
                    self.summary(),
                    f.outcome,
                    f.took.as_millis()
                )
            }
        }
    }
}

/// "3 s" under a minute (whole seconds), else as durations are written ("2m5s").
fn took(d: Duration) -> String {
    let secs = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    if secs < 60 {
        format!("{secs} s")
    } else {
        crate::duration::format(Duration::from_secs(secs))
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Of the running announcements of one action on one target, the one that may run: the
/// earliest claim (`since` for one without), ties broken by the run id.
pub fn winner<'a>(
    candidates: impl IntoIterator<Item = &'a Announcement>,
) -> Option<&'a Announcement> {
    let key = |a: &'a Announcement| (a.claimed.unwrap_or(a.since), &a.run);
    candidates.into_iter().min_by(|a, b| key(a).cmp(&key(b)))
}

/// Announcements read from several places (alerts and claims, several members) as one list,
/// one entry per run: the earliest `since`, the latest `ends`, and the outcome if any says it
/// is over. Newest first.
pub fn merge(all: impl IntoIterator<Item = Announcement>) -> Vec<Announcement> {
    let mut by_run: BTreeMap<String, Announcement> = BTreeMap::new();
    for a in all {
        match by_run.get_mut(&a.run) {
            None => {
                by_run.insert(a.run.clone(), a);
            }
            Some(known) => {
                known.since = known.since.min(a.since);
                known.claimed = match (known.claimed, a.claimed) {
                    (Some(k), Some(c)) => Some(k.min(c)),
                    (k, c) => k.or(c),
                };
                known.ends = known.ends.max(a.ends);
                if known.finished.is_none() {
                    known.finished = a.finished;
                }
            }
        }
    }
    let mut out: Vec<Announcement> = by_run.into_values().collect();
    out.sort_by(|a, b| b.since.cmp(&a.since).then_with(|| a.run.cmp(&b.run)));
    out.truncate(MAX_ANNOUNCEMENTS);
    out
}

/// Builds an announcement from an alert's or a claim's labels; `None` when one is missing.
fn from_labels(
    labels: &Labels,
    label: Option<&String>,
    (since, claimed): (DateTime<Utc>, Option<DateTime<Utc>>),
    ends: DateTime<Utc>,
    finished: Option<Finish>,
) -> Option<Announcement> {
    let get = |k: &str| labels.get(k).map(|v| bounded(v));
    Some(Announcement {
        run: get("warroom_run").filter(|r| !r.is_empty())?,
        runbook: get("runbook")?,
        key: get("action")?,
        label: label.map(|l| bounded(l)).or_else(|| get("action"))?,
        target: get("target").unwrap_or_default(),
        environment: get("environment").unwrap_or_default(),
        user: get("user").unwrap_or_default(),
        host: get("host").unwrap_or_default(),
        since,
        claimed,
        ends,
        finished,
    })
}

fn time(s: &str) -> Option<DateTime<Utc>> {
    let t = DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc);
    (t.timestamp() > 0).then_some(t)
}

/// `outcome: exit 0; took_ms: 3200`, as a claim's comment ends once the run is over.
fn finish_of(outcome: Option<&str>, took_ms: Option<&str>) -> Option<Finish> {
    let outcome = bounded(outcome?);
    let took = Duration::from_millis(took_ms.and_then(|t| t.trim().parse().ok()).unwrap_or(0));
    Some(Finish { outcome, took })
}

#[derive(Deserialize)]
/// An alert as Alertmanager's `GET /api/v2/alerts` lists it (not Prometheus's shape).
struct AmAlert {
    #[serde(default)]
    labels: Labels,
    #[serde(default)]
    annotations: Labels,
    #[serde(rename = "startsAt")]
    starts_at: String,
    #[serde(rename = "endsAt", default)]
    ends_at: String,
}

/// Decodes `GET /api/v2/alerts`: the `WarroomAction` alerts among them.
pub fn decode_alerts(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<Vec<Announcement>, PromError> {
    let raw: Vec<AmAlert> = decode_list(status, body, secrets, "alerts")?;
    Ok(merge(
        raw.iter()
            .filter(|a| a.labels.get("alertname").is_some_and(|n| n == ALERTNAME))
            .filter_map(|a| {
                let since = time(&a.starts_at)?;
                let ends = time(&a.ends_at).unwrap_or(since);
                let finished = finish_of(
                    a.annotations.get("outcome").map(String::as_str),
                    a.annotations.get("took_ms").map(String::as_str),
                );
                from_labels(&a.labels, a.annotations.get("label"), (since, None), ends, finished)
            }),
    ))
}

/// Decodes `GET /api/v2/silences`: the claims among them, expired ones too (they are the
/// finished runs). An expired claim without an outcome line ended unseen ("ended").
pub fn decode_claims(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
) -> Result<Vec<Announcement>, PromError> {
    let raw: Vec<RawSilence> = decode_list(status, body, secrets, "silences")?;
    let claims = raw.iter().filter_map(|s| {
        if s.matchers.iter().any(|m| m.is_regex || !m.is_equal) {
            return None;
        }
        let labels: Labels = s.matchers.iter().map(|m| (m.name.clone(), m.value.clone())).collect();
        if labels.get(CLAIM_LABEL).map(String::as_str) != Some("true") {
            return None;
        }
        let since = time(&s.starts_at)?;
        let ends = time(&s.ends_at)?;
        let (outcome, took) = s
            .comment
            .lines()
            .find_map(|l| l.strip_prefix("outcome: "))
            .map(|rest| match rest.rsplit_once("; took_ms: ") {
                Some((o, t)) => (Some(o), Some(t)),
                None => (Some(rest), None),
            })
            .unwrap_or((None, None));
        let mut finished = finish_of(outcome, took);
        if finished.is_none() && matches!(s.status.state.as_str(), "expired") {
            let took = (ends - since).to_std().unwrap_or_default();
            finished = Some(Finish { outcome: "ended".into(), took });
        }
        from_labels(&labels, labels.get("label"), (since, Some(since)), ends, finished)
    });
    Ok(merge(claims))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
    }

    fn announcement(run: &str, since: i64) -> Announcement {
        Announcement {
            run: run.into(),
            runbook: "pg-idle".into(),
            key: "t".into(),
            label: "Terminate idle sessions".into(),
            target: "pg-main-1".into(),
            environment: "prod".into(),
            user: "alice".into(),
            host: "bastion-2".into(),
            since: at(since),
            claimed: None,
            ends: at(since + 60),
            finished: None,
        }
    }

    #[test]
    fn the_earliest_wins_and_ties_go_to_the_smaller_run_id() {
        let (a, b, c) = (announcement("b:1", 10), announcement("a:1", 10), announcement("c:1", 9));
        assert_eq!(winner([&a, &b]).map(|w| w.run.as_str()), Some("a:1"));
        assert_eq!(winner([&a, &b, &c]).map(|w| w.run.as_str()), Some("c:1"));
        assert_eq!(winner(std::iter::empty()), None);
    }

    #[test]
    fn claims_round_trip_through_a_silence_and_hostile_texts_are_cleaned() {
        let mut a = announcement("h:1:2:3", 0);
        a.user = "mallory\u{1b}[2J".into();
        let matchers: Vec<Value> = a
            .claim_labels()
            .iter()
            .map(|(k, v)| json!({"name": k, "value": v, "isRegex": false, "isEqual": true}))
            .collect();
        let silence = |state: &str, comment: &str| {
            json!({"id": "x", "status": {"state": state}, "matchers": matchers,
                   "startsAt": rfc3339(at(0)), "endsAt": rfc3339(at(3)), "comment": comment,
                   "createdBy": "alice"})
        };
        let done = Announcement {
            finished: Some(Finish { outcome: "exit 0".into(), took: Duration::from_millis(3200) }),
            ..a.clone()
        };
        let body = json!([
            silence("active", &a.claim_comment()),
            {"id": "y", "status": {"state": "active"}, "startsAt": rfc3339(at(0)),
             "endsAt": rfc3339(at(9)), "matchers": [{"name": "alertname", "value": "X"}]},
        ]);
        let read = decode_claims(200, body.to_string().as_bytes(), &Secrets::default()).unwrap();
        assert_eq!(read.len(), 1, "only claims");
        assert_eq!(read[0].user, "mallory\\x1b[2J");
        assert!(read[0].running(at(1)));
        let body = json!([silence("expired", &done.claim_comment())]);
        let read = decode_claims(200, body.to_string().as_bytes(), &Secrets::default()).unwrap();
        let offset = chrono::FixedOffset::east_opt(0).unwrap();
        assert_eq!(
            read[0].line(offset),
            "mallory\\x1b[2J ran Terminate idle sessions on pg-main-1 from bastion-2: exit 0, 3 s"
        );
        let body = json!([silence("expired", &a.claim_comment())]);
        let read = decode_claims(200, body.to_string().as_bytes(), &Secrets::default()).unwrap();
        assert_eq!(read[0].finished.as_ref().map(|f| f.outcome.as_str()), Some("ended"));
    }

    #[test]
    fn alerts_decode_and_merge_with_claims_by_run() {
        let a = announcement("h:1:2:3", 0);
        let body = a.alert_json().to_string();
        let alerts = decode_alerts(200, body.as_bytes(), &Secrets::default()).unwrap();
        assert_eq!(alerts.len(), 1);
        assert_eq!(alerts[0].summary(), a.summary());
        let mut later = a.clone();
        later.since = at(5);
        later.finished = Some(Finish { outcome: "exit 1".into(), took: Duration::ZERO });
        let merged = merge([a.clone(), later, announcement("other", 1)]);
        assert_eq!(merged.len(), 2);
        let same = merged.iter().find(|m| m.run == a.run).unwrap();
        assert_eq!(same.since, at(0), "the earliest start");
        assert!(same.finished.is_some(), "over once any record says so");
        let e = decode_claims(503, b"down", &Secrets::default()).unwrap_err();
        assert!(matches!(e, PromError::Http { status: 503, .. }), "{e:?}");
    }
}
