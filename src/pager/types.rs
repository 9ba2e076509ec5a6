//! What the pager side is made of: Prometheus's own alerts, Alertmanager's silences and their
//! matchers, and the request that creates a silence.

use chrono::{DateTime, Utc};

use crate::alert::{AlertKey, Severity};
use crate::prom::Labels;
use crate::sanitize;

/// Longest summary or silence comment kept, in characters.
const MAX_TEXT: usize = 300;

/// The state of an alert as its Prometheus reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PromState {
    Pending,
    Firing,
}

/// One alert of `/api/v1/alerts`. Labels and annotations are raw: clean them before display.
#[derive(Debug, Clone, PartialEq)]
pub struct PromAlert {
    pub labels: Labels,
    pub annotations: Labels,
    pub state: PromState,
    /// When the alert became active (pending); Prometheus keeps it while firing.
    pub active_at: Option<DateTime<Utc>>,
    /// The expression's value at the last evaluation; `NaN` when absent or unreadable.
    pub value: f64,
}

impl PromAlert {
    /// The `alertname` label (the rule's name).
    pub fn alertname(&self) -> &str {
        self.labels.get("alertname").map(String::as_str).unwrap_or("(no alertname)")
    }

    /// Severity from the `severity` label: see [`severity_of`].
    pub fn severity(&self) -> Severity {
        severity_of(self.labels.get("severity").map(String::as_str))
    }

    /// The `summary` annotation (else `description`, else `message`), cleaned and bounded.
    pub fn summary(&self) -> String {
        SUMMARY_ANNOTATIONS
            .iter()
            .find_map(|k| self.annotations.get(*k).filter(|v| !v.trim().is_empty()))
            .map(|v| bounded(v))
            .unwrap_or_default()
    }
}

/// Annotations that hold an alert's summary, in order of preference.
pub const SUMMARY_ANNOTATIONS: [&str; 3] = ["summary", "description", "message"];

/// Maps a `severity` label to warroom's two levels: `critical`, `page`, `error`, `high`,
/// `emergency`, `fatal`, `p1` and `sev1` are critical; anything else (or none) is a warning.
pub fn severity_of(label: Option<&str>) -> Severity {
    let v = label.unwrap_or_default().trim().to_ascii_lowercase();
    match v.as_str() {
        "critical" | "crit" | "page" | "error" | "high" | "emergency" | "fatal" | "p1" | "sev1" => {
            Severity::Critical
        }
        _ => Severity::Warning,
    }
}

/// One matcher of a silence, with Alertmanager's semantics (the one matcher of the crate).
pub use crate::matcher::Matcher;

/// An Alertmanager silence. Texts are cleaned when decoded.
#[derive(Debug, Clone, PartialEq)]
pub struct Silence {
    pub id: String,
    pub matchers: Vec<Matcher>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub created_by: String,
    pub comment: String,
}

impl Silence {
    /// Whether the silence is in force at `now` and every matcher matches `labels`.
    /// A silence without matchers covers nothing (Alertmanager refuses those anyway).
    pub fn covers(&self, labels: &Labels, now: DateTime<Utc>) -> bool {
        self.starts_at <= now
            && now < self.ends_at
            && !self.matchers.is_empty()
            && self.matchers.iter().all(|m| m.matches_labels(labels))
    }
}

/// A silence to create for one alert, from the acknowledge dialog.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceRequest {
    /// The alert it is for.
    pub key: AlertKey,
    /// The alert's labels as listed (what history records).
    pub alert_labels: Labels,
    /// Equality matchers: the alert's labels, `alertname` included.
    pub labels: Labels,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// The engineer's user name.
    pub created_by: String,
    /// The note, or a default text when there is none (Alertmanager wants a comment).
    pub comment: String,
    /// What the engineer chose, kept for the local acknowledgement if the silence fails.
    pub note: Option<String>,
    pub until: Option<DateTime<Utc>>,
}

impl SilenceRequest {
    /// The silence as it will exist once created under `id`.
    pub fn to_silence(&self, id: String) -> Silence {
        Silence {
            id,
            matchers: self.labels.iter().map(|(k, v)| Matcher::equal(k, v)).collect(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: self.created_by.clone(),
            comment: self.comment.clone(),
        }
    }
}

/// Cleans `s` of control characters and cuts it to [`MAX_TEXT`] characters.
pub fn bounded(s: &str) -> String {
    let clean = sanitize::clean(s.trim());
    if clean.chars().count() <= MAX_TEXT {
        return clean.into_owned();
    }
    let mut out: String = clean.chars().take(MAX_TEXT).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn matchers_follow_alertmanager() {
        let l = labels(&[("alertname", "HighCPU"), ("instance", "db-1")]);
        let m = |n, v, re, eq| Matcher::new(n, v, re, eq).unwrap_or_else(|e| panic!("{e}"));
        assert!(m("instance", "db-1", false, true).matches_labels(&l));
        assert!(!m("instance", "db-2", false, true).matches_labels(&l));
        assert!(m("instance", "db-2", false, false).matches_labels(&l));
        assert!(m("instance", "db-.*", true, true).matches_labels(&l));
        assert!(!m("instance", "db", true, true).matches_labels(&l), "regexes are anchored");
        assert!(m("instance", "web.*", true, false).matches_labels(&l));
        assert!(
            m("job", "", false, true).matches_labels(&l),
            "a missing label is the empty string"
        );
        assert!(Matcher::new("x", "(", true, true).is_err());
        assert_eq!(m("a", "b", true, false).text(), "a!~\"b\"");
    }

    #[test]
    fn silences_cover_within_their_time_and_with_all_matchers() {
        let t = |s| DateTime::from_timestamp(s, 0).unwrap_or_default();
        let s = Silence {
            id: "1".into(),
            matchers: vec![Matcher::equal("alertname", "A"), Matcher::equal("instance", "x")],
            starts_at: t(100),
            ends_at: t(200),
            created_by: "ana".into(),
            comment: "on it".into(),
        };
        let l = labels(&[("alertname", "A"), ("instance", "x"), ("job", "db")]);
        assert!(s.covers(&l, t(150)));
        assert!(!s.covers(&l, t(99)));
        assert!(!s.covers(&l, t(200)));
        assert!(!s.covers(&labels(&[("alertname", "A")]), t(150)));
        assert!(!Silence { matchers: vec![], ..s }.covers(&l, t(150)));
    }

    #[test]
    fn severity_from_label() {
        assert_eq!(severity_of(Some("critical")), Severity::Critical);
        assert_eq!(severity_of(Some("Page")), Severity::Critical);
        assert_eq!(severity_of(Some("warning")), Severity::Warning);
        assert_eq!(severity_of(Some("info")), Severity::Warning);
        assert_eq!(severity_of(None), Severity::Warning);
    }

    #[test]
    fn texts_are_cleaned_and_bounded() {
        assert_eq!(bounded(" a\u{1b}[2Jb "), "a\\x1b[2Jb");
        let long = bounded(&"x".repeat(1000));
        assert_eq!(long.chars().count(), MAX_TEXT + 1);
    }
}
