//! Acknowledging a row of the alert list: as an Alertmanager silence when one is configured,
//! else (or when the silence fails, or read-only) here only — one acknowledgement for the whole
//! row, every twin.

use chrono::{DateTime, Utc};

use super::record::record;
use crate::alert::{AlertKey, Event};
use crate::model::Model;
use crate::msg::Effect;
use crate::pager::{matcher_labels, Notice, SilenceRequest, UNTIL_RESOLVED_SILENCE};

/// Acknowledges the alert `key` as the dialog asked: as an Alertmanager silence when one is
/// configured and the dashboard is not read-only (ending at `until`, or in an hour for "until
/// resolved"), else here only.
pub(super) fn acknowledge(
    model: &mut Model,
    key: AlertKey,
    note: Option<String>,
    until: Option<DateTime<Utc>>,
) -> Vec<Effect> {
    if !model.pager.silences_enabled() {
        return local_ack(model, &key, note, until);
    }
    if model.read_only {
        // Read-only covers the team's pager too: no silence, an acknowledgement here only.
        model.pager.notice = Some(Notice {
            at: model.now,
            text: "read-only: acknowledged here only, no silence made in Alertmanager".into(),
            problem: true,
        });
        return local_ack(model, &key, note, until);
    }
    let Some(alert) = model.alert_list.row_of(&key).cloned() else {
        return Vec::new();
    };
    let now = model.now;
    let comment =
        note.clone().unwrap_or_else(|| format!("acknowledged in warroom by {}", model.user));
    let request = SilenceRequest {
        labels: matcher_labels(&alert),
        alert_labels: (*alert.labels).clone(),
        key: key.clone(),
        starts_at: now,
        ends_at: until.unwrap_or(now + UNTIL_RESOLVED_SILENCE),
        created_by: model.user.clone(),
        comment,
        note,
        until,
    };
    model.pager.notice = Some(Notice {
        at: now,
        text: format!("silencing {} in Alertmanager…", crate::sanitize::clean(&key.rule)),
        problem: false,
    });
    model.pager.silencing.insert(key, request.clone());
    vec![Effect::CreateSilence(Box::new(request)), Effect::Redraw]
}

/// An acknowledgement kept here only, for the whole row `key` belongs to (every twin).
fn local_ack(
    model: &mut Model,
    key: &AlertKey,
    note: Option<String>,
    until: Option<DateTime<Utc>>,
) -> Vec<Effect> {
    let (user, now) = (model.user.clone(), model.now);
    let Some(row) = model.alert_list.row_of(key).cloned() else {
        return Vec::new();
    };
    let event = model.acks.ack(&row, note, until, &user, now);
    let mut effects = record(model, event.into_iter().collect());
    effects.push(Effect::Redraw);
    effects
}

/// A silence was made, or not. Made: it shows at once (before the next poll of silences) and
/// goes into the history as an acknowledgement carrying its id. Not made: nothing is lost, the
/// alert is acknowledged here with the failure in its note, and the notice says so.
pub(super) fn created(
    model: &mut Model,
    at: DateTime<Utc>,
    request: SilenceRequest,
    result: Result<String, crate::prom::PromError>,
) -> Vec<Effect> {
    model.pager.silencing.remove(&request.key);
    let rule = crate::sanitize::clean_owned(&request.key.rule);
    match result {
        Ok(id) => {
            if let Some(am) = model.pager.alertmanager.as_mut() {
                if !am.silences.iter().any(|s| s.id == id) {
                    am.silences.push(request.to_silence(id.clone()));
                }
            }
            model.pager.notice = Some(Notice {
                at,
                text: format!(
                    "silenced {rule} in Alertmanager until {} ({id})",
                    request.ends_at.with_timezone(&model.utc_offset).format("%H:%M:%S")
                ),
                problem: false,
            });
            let event = Event::Ack {
                at,
                rule: request.key.rule.clone(),
                scope: request.key.scope,
                labels: request.alert_labels.clone(),
                by: request.created_by.clone(),
                note: request.note.clone(),
                until: Some(request.ends_at),
                silence: Some(id),
            };
            let mut effects = record(model, vec![event]);
            effects.push(Effect::Redraw);
            effects
        }
        Err(e) => {
            model.pager.notice = Some(Notice {
                at,
                text: format!(
                    "could not silence {rule} in Alertmanager ({e}): acknowledged here only"
                ),
                problem: true,
            });
            let note = match &request.note {
                Some(n) => format!("not silenced in Alertmanager ({e}); {n}"),
                None => format!("not silenced in Alertmanager ({e})"),
            };
            let mut effects = local_ack(model, &request.key, Some(note), request.until);
            effects.push(Effect::Redraw);
            effects
        }
    }
}
