//! A storm in the history: when one evaluation moves thousands of alerts of one rule the same
//! way (20,000 series crossing a threshold at once), the first few moves are recorded one by one
//! and the rest as one [`Event::Storm`] with a count, so the history grows by a few lines, not
//! by megabytes, and the timeline stays readable.

use std::collections::HashMap;

use super::event::Event;
use super::rule::Severity;
use super::state::AlertState;

/// How many alerts of one rule making one move in one batch are recorded one by one.
pub const RECORDED_ONE_BY_ONE: usize = 20;

/// `events` (one evaluation's, in order) with the transitions beyond the first `keep` of each
/// rule and move replaced by one storm record per rule and move, placed where the first one
/// left out was. Everything else passes as it is.
pub fn coalesce(events: Vec<Event>, keep: usize) -> Vec<Event> {
    let mut seen: HashMap<(String, AlertState, AlertState), usize> = HashMap::new();
    let over = events.iter().any(|e| match e {
        Event::Transition { rule, from, to, .. } => {
            let n = seen.entry((rule.clone(), *from, *to)).or_default();
            *n += 1;
            *n > keep
        }
        _ => false,
    });
    if !over {
        return events;
    }
    // Where each storm record goes (the index in `out`), and the record.
    let mut storms: HashMap<(String, AlertState, AlertState), usize> = HashMap::new();
    let mut counted: HashMap<(String, AlertState, AlertState), usize> = HashMap::new();
    let mut out = Vec::with_capacity(seen.len() + keep * seen.len());
    for e in events {
        let Event::Transition { at, rule, from, to, severity, .. } = &e else {
            out.push(e);
            continue;
        };
        let key = (rule.clone(), *from, *to);
        let n = counted.entry(key.clone()).or_default();
        *n += 1;
        if *n <= keep {
            out.push(e);
            continue;
        }
        match storms.get(&key) {
            Some(&i) => grow(&mut out[i], *severity),
            None => {
                storms.insert(key, out.len());
                out.push(Event::Storm {
                    at: *at,
                    rule: rule.clone(),
                    from: *from,
                    to: *to,
                    severity: *severity,
                    count: 1,
                });
            }
        }
    }
    out
}

/// One more alert in a storm record; the record keeps the highest severity among them.
fn grow(storm: &mut Event, sev: Severity) {
    if let Event::Storm { count, severity, .. } = storm {
        *count += 1;
        *severity = (*severity).max(sev);
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::alert::view::Scope;

    fn moved(rule: &str, i: usize, to: AlertState) -> Event {
        Event::Transition {
            at: Utc.timestamp_opt(1_700_000_000, 0).unwrap(),
            rule: rule.into(),
            scope: Scope::Series,
            labels: [("instance".to_string(), format!("db-{i}"))].into(),
            from: AlertState::Inactive,
            to,
            severity: Severity::Warning,
            value: 90.0,
            summary: String::new(),
        }
    }

    #[test]
    fn a_few_moves_pass_as_they_are() {
        let events: Vec<Event> = (0..3).map(|i| moved("cpu", i, AlertState::Firing)).collect();
        assert_eq!(coalesce(events.clone(), 3), events);
    }

    #[test]
    fn a_storm_is_the_first_few_and_one_record_per_rule_and_move() {
        let mut events: Vec<Event> =
            (0..20_000).map(|i| moved("cpu", i, AlertState::Firing)).collect();
        events.extend((0..5).map(|i| moved("cpu", i, AlertState::Pending)));
        events.extend((0..50).map(|i| moved("disk", i, AlertState::Firing)));
        let out = coalesce(events, 3);
        let shape: Vec<String> = out
            .iter()
            .map(|e| match e {
                Event::Storm { rule, to, count, .. } => format!("{rule} {to:?} ×{count}"),
                e => format!("{} {:?}", e.rule(), e.labels()["instance"]),
            })
            .collect();
        assert_eq!(
            shape,
            [
                "cpu \"db-0\"",
                "cpu \"db-1\"",
                "cpu \"db-2\"",
                "cpu Firing ×19997",
                "cpu \"db-0\"",
                "cpu \"db-1\"",
                "cpu \"db-2\"",
                "cpu Pending ×2",
                "disk \"db-0\"",
                "disk \"db-1\"",
                "disk \"db-2\"",
                "disk Firing ×47",
            ]
        );
    }

    #[test]
    fn a_storm_record_round_trips_through_json() {
        let out = coalesce((0..5).map(|i| moved("cpu", i, AlertState::Firing)).collect(), 1);
        let line = serde_json::to_string(&out[1]).unwrap();
        assert_eq!(
            line,
            r#"{"kind":"storm","at":"2023-11-14T22:13:20Z","rule":"cpu","from":"inactive","to":"firing","severity":"warning","count":4}"#
        );
        assert_eq!(serde_json::from_str::<Event>(&line).unwrap(), out[1]);
    }
}
