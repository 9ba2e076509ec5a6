//! What happened to alerts, as records for the history file and the timeline.
//!
//! Serialized as one JSON object per event with a `kind` tag. Values that JSON cannot hold
//! (`NaN`, `±Inf`) are written as the strings `"NaN"`, `"+Inf"`, `"-Inf"`, as Prometheus does.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::prom::Labels;

use super::rule::Severity;
use super::state::AlertState;
use super::view::Scope;

/// Why an acknowledgement ended before the alert resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnackReason {
    /// Its `until` passed while the alert was still active.
    Expired,
    /// The alert became more severe than what was acknowledged.
    Escalated,
    /// Someone withdrew it.
    Withdrawn,
}

/// One thing that happened to an alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// The alert's state changed.
    Transition {
        at: DateTime<Utc>,
        rule: String,
        #[serde(default)]
        scope: Scope,
        labels: Labels,
        from: AlertState,
        to: AlertState,
        severity: Severity,
        #[serde(with = "value_serde", default = "nan")]
        value: f64,
        summary: String,
    },
    /// A firing alert became more severe.
    Escalation {
        at: DateTime<Utc>,
        rule: String,
        #[serde(default)]
        scope: Scope,
        labels: Labels,
        from: Severity,
        to: Severity,
        #[serde(with = "value_serde", default = "nan")]
        value: f64,
        summary: String,
    },
    /// Someone acknowledged the alert.
    Ack {
        at: DateTime<Utc>,
        rule: String,
        #[serde(default)]
        scope: Scope,
        labels: Labels,
        by: String,
        note: Option<String>,
        until: Option<DateTime<Utc>>,
        /// The id of the Alertmanager silence that carries this acknowledgement, when it was
        /// made as a silence (`until` is then the silence's end).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        silence: Option<String>,
    },
    /// An acknowledgement ended while the alert was still active: it alerts again.
    Unack {
        at: DateTime<Utc>,
        rule: String,
        #[serde(default)]
        scope: Scope,
        labels: Labels,
        /// Who had acknowledged it (for `withdrawn`: who withdrew it).
        by: String,
        reason: UnackReason,
    },
    /// Many alerts of one rule made the same move in one evaluation: the first few are recorded
    /// one by one, the rest as this one record (see [`super::storm`]). A restart restores only
    /// the alerts recorded one by one; the rest start over from their next evaluation.
    Storm {
        at: DateTime<Utc>,
        rule: String,
        from: AlertState,
        to: AlertState,
        severity: Severity,
        /// How many alerts this record stands for.
        count: usize,
    },
}

fn nan() -> f64 {
    f64::NAN
}

impl Event {
    /// When it happened.
    pub fn at(&self) -> DateTime<Utc> {
        match self {
            Event::Transition { at, .. }
            | Event::Escalation { at, .. }
            | Event::Ack { at, .. }
            | Event::Unack { at, .. }
            | Event::Storm { at, .. } => *at,
        }
    }

    /// The rule's name.
    pub fn rule(&self) -> &str {
        match self {
            Event::Transition { rule, .. }
            | Event::Escalation { rule, .. }
            | Event::Ack { rule, .. }
            | Event::Unack { rule, .. }
            | Event::Storm { rule, .. } => rule,
        }
    }

    /// The alert's labels (series labels plus the rule's extra labels; none for a storm).
    pub fn labels(&self) -> &Labels {
        static NONE: Labels = Labels::new();
        match self {
            Event::Transition { labels, .. }
            | Event::Escalation { labels, .. }
            | Event::Ack { labels, .. }
            | Event::Unack { labels, .. } => labels,
            Event::Storm { .. } => &NONE,
        }
    }

    /// Whether an alert started firing, or one firing became more severe (the bell rings).
    pub fn fired(&self) -> bool {
        match self {
            Event::Transition { to, .. } | Event::Storm { to, .. } => to.is_firing(),
            Event::Escalation { .. } => true,
            Event::Ack { .. } | Event::Unack { .. } => false,
        }
    }
}

/// Serde adapter for `f64` fields that may hold `NaN` or `±Inf`.
pub mod value_serde {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Finite values as numbers, others as `"NaN"`, `"+Inf"`, `"-Inf"`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else if v.is_nan() {
            s.serialize_str("NaN")
        } else if *v > 0.0 {
            s.serialize_str("+Inf")
        } else {
            s.serialize_str("-Inf")
        }
    }

    /// Accepts numbers, `null` (as `NaN`) and the strings written by [`serialize`] (or any
    /// number written as a string, as Prometheus does).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Num(f64),
            Text(String),
        }
        match Option::<Repr>::deserialize(d)? {
            None => Ok(f64::NAN),
            Some(Repr::Num(v)) => Ok(v),
            Some(Repr::Text(t)) => match t.as_str() {
                "NaN" => Ok(f64::NAN),
                "+Inf" | "Inf" => Ok(f64::INFINITY),
                "-Inf" => Ok(f64::NEG_INFINITY),
                other => other
                    .parse()
                    .map_err(|_| serde::de::Error::custom(format!("not a number: {other:?}"))),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn transition(value: f64) -> Event {
        Event::Transition {
            at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            rule: "cpu".into(),
            scope: Scope::Series,
            labels: [("instance".to_string(), "db-1".to_string())].into(),
            from: AlertState::Pending,
            to: AlertState::Firing,
            severity: Severity::Critical,
            value,
            summary: "DB CPU 97%".into(),
        }
    }

    #[test]
    fn json_shape() {
        let json = serde_json::to_string(&transition(97.5)).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"transition","at":"2023-11-14T22:13:20Z","rule":"cpu","scope":"series","labels":{"instance":"db-1"},"from":"pending","to":"firing","severity":"critical","value":97.5,"summary":"DB CPU 97%"}"#
        );
    }

    #[test]
    fn non_finite_values_round_trip() {
        for v in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.25] {
            let json = serde_json::to_string(&transition(v)).unwrap();
            let back: Event = serde_json::from_str(&json).unwrap();
            let Event::Transition { value, .. } = back else { panic!("kind changed: {json}") };
            assert!(value == v || (value.is_nan() && v.is_nan()), "{v} -> {json} -> {value}");
        }
        let null = r#"{"kind":"transition","at":"2023-11-14T22:13:20Z","rule":"cpu","labels":{},"from":"pending","to":"no_data","severity":"warning","value":null,"summary":""}"#;
        let Event::Transition { value, scope, .. } = serde_json::from_str(null).unwrap() else {
            panic!()
        };
        assert!(value.is_nan());
        assert_eq!(scope, Scope::Series);
    }
}
