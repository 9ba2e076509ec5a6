//! Several instant queries of one source asked in one request.
//!
//! Every member's answer is tagged with its position by `label_replace` and the members are
//! joined with `or`; the answer is split back by that tag. Members of one combined request are
//! instant queries of the same source and refresh interval: bars, table and gauge panels and the
//! alert rules that have a query of their own. At a 1 s refresh that turns five small requests a
//! second into one, which is most of what a dashboard costs the server between chart steps.
//!
//! Whatever makes a combined answer unusable (a member's syntax error, a scalar, a warning that
//! belongs to one member only, a partial answer) is sorted out by asking the members alone: see
//! [`Round`].

use super::types::{PromError, QueryData, QueryResponse, Sample};

/// The label that carries a member's position in a combined answer.
pub const TAG: &str = "__warroom_member__";

/// The expression asking every member at once. Each member sits on lines of its own, so a
/// `# comment` at its end cannot swallow the rest.
pub fn combined<'a>(exprs: impl IntoIterator<Item = &'a str>) -> String {
    exprs
        .into_iter()
        .enumerate()
        .map(|(i, e)| format!("label_replace((\n{e}\n), \"{TAG}\", \"{i}\", \"\", \"\")"))
        .collect::<Vec<_>>()
        .join("\nor\n")
}

/// A combined answer split into one answer per member, or `None` when it cannot stand for the
/// members' own answers: not a vector, a series without a valid tag, or any warning or partial
/// flag (which member it belongs to is unknown). The samples move into their parts: a storm's
/// 20,000 label sets are not copied.
pub fn split(response: QueryResponse, members: usize) -> Option<Vec<QueryResponse>> {
    if response.partial || !response.warnings.is_empty() {
        return None;
    }
    let QueryData::Vector(samples) = response.data else {
        return None;
    };
    let member = |s: &Sample| s.labels.get(TAG)?.parse::<usize>().ok().filter(|&i| i < members);
    if !samples.iter().all(|s| member(s).is_some()) {
        return None;
    }
    let mut parts: Vec<Vec<Sample>> = vec![Vec::new(); members];
    for mut sample in samples {
        let i = member(&sample)?;
        sample.labels.remove(TAG);
        parts.get_mut(i)?.push(sample);
    }
    Some(
        parts
            .into_iter()
            .map(|v| QueryResponse {
                data: QueryData::Vector(v),
                warnings: Vec::new(),
                partial: false,
            })
            .collect(),
    )
}

/// Whether an error says the server (or the way to it) is in trouble, rather than one of the
/// queries: nothing is learnt about the members by asking them alone.
pub fn source_wide(e: &PromError) -> bool {
    match e {
        PromError::Network(_)
        | PromError::Timeout(_)
        | PromError::Http { .. }
        | PromError::Redirect(_) => true,
        PromError::Api { status, error_type, .. } => {
            *status == 429
                || (*status >= 500 && error_type != "timeout" && error_type != "execution")
        }
        // Another member's share may be what makes the answer too large.
        PromError::Decode(_) | PromError::TooLarge(_) => false,
    }
}

/// Whether an answer could have come from a combined request: a clean vector.
pub fn clean(response: &QueryResponse) -> bool {
    matches!(response.data, QueryData::Vector(_))
        && !response.partial
        && response.warnings.is_empty()
}

/// Why the members are asked alone this time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    /// The combined answer was refused or unusable although the server answered.
    Unusable,
    /// The combined request timed out: maybe the server, maybe one slow member.
    Timeout,
}

/// What asking every member alone showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Round {
    /// Members to ask alone from now on (positions in the round).
    pub leave: Vec<usize>,
    /// Whether combining itself fails (every member answered cleanly alone, yet the combined
    /// request was refused): stop combining on this source.
    pub give_up: bool,
}

impl Round {
    /// Judges the members' own answers. A member leaves the combined request when its own answer
    /// is not clean, or when it failed the way a server in trouble does while another member
    /// got an answer (so the server is fine and this member is slow or broken).
    pub fn judge(cause: Cause, answers: &[Result<&QueryResponse, &PromError>]) -> Round {
        let server_answered = answers.iter().any(|a| a.is_ok());
        let leave: Vec<usize> = answers
            .iter()
            .enumerate()
            .filter(|(_, a)| match a {
                Ok(r) => !clean(r),
                Err(e) => !source_wide(e) || server_answered,
            })
            .map(|(i, _)| i)
            .collect();
        let give_up = cause == Cause::Unusable
            && leave.is_empty()
            && answers.iter().all(|a| a.is_ok_and(clean));
        Round { leave, give_up }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::{Labels, Point};

    fn sample(tag: Option<&str>, name: &str, v: f64) -> Sample {
        let mut labels = Labels::from([("s".to_string(), name.to_string())]);
        if let Some(t) = tag {
            labels.insert(TAG.to_string(), t.to_string());
        }
        Sample { labels, point: Point { t: 1.0, v } }
    }

    fn vector(samples: Vec<Sample>) -> QueryResponse {
        QueryResponse { data: QueryData::Vector(samples), warnings: vec![], partial: false }
    }

    #[test]
    fn combined_tags_each_member_and_survives_comments() {
        let e = combined(["up # all targets", "sum(x)"]);
        assert_eq!(
            e,
            "label_replace((\nup # all targets\n), \"__warroom_member__\", \"0\", \"\", \"\")\nor\n\
             label_replace((\nsum(x)\n), \"__warroom_member__\", \"1\", \"\", \"\")"
        );
    }

    #[test]
    fn split_returns_each_members_series_without_the_tag() {
        let r = vector(vec![
            sample(Some("0"), "a", 1.0),
            sample(Some("2"), "c", 3.0),
            sample(Some("0"), "b", 2.0),
        ]);
        let parts = split(r, 3).expect("clean answer");
        assert_eq!(parts[0], vector(vec![sample(None, "a", 1.0), sample(None, "b", 2.0)]));
        assert_eq!(parts[1], vector(vec![]), "a member without series has no data");
        assert_eq!(parts[2], vector(vec![sample(None, "c", 3.0)]));
    }

    #[test]
    fn split_refuses_answers_it_cannot_attribute() {
        assert!(split(vector(vec![sample(None, "a", 1.0)]), 2).is_none(), "untagged");
        assert!(split(vector(vec![sample(Some("5"), "a", 1.0)]), 2).is_none(), "out of range");
        assert!(split(vector(vec![sample(Some("x"), "a", 1.0)]), 2).is_none(), "not a number");
        let warned = QueryResponse { warnings: vec!["w".into()], ..vector(vec![]) };
        assert!(split(warned, 2).is_none());
        let partial = QueryResponse { partial: true, ..vector(vec![]) };
        assert!(split(partial, 2).is_none());
        let scalar =
            QueryResponse { data: QueryData::Scalar(Point { t: 1.0, v: 1.0 }), ..vector(vec![]) };
        assert!(split(scalar, 1).is_none());
    }

    fn api(status: u16, error_type: &str) -> PromError {
        PromError::Api { status, error_type: error_type.into(), message: "m".into() }
    }

    #[test]
    fn server_trouble_is_told_from_query_trouble() {
        assert!(source_wide(&PromError::Timeout(800)));
        assert!(source_wide(&PromError::Network("refused".into())));
        assert!(source_wide(&PromError::Http { status: 502, excerpt: "<html>".into() }));
        assert!(source_wide(&api(503, "unavailable")));
        assert!(source_wide(&api(429, "too_many")));
        assert!(!source_wide(&api(400, "bad_data")));
        assert!(!source_wide(&api(422, "execution")));
        assert!(!source_wide(&api(503, "timeout")), "the query ran out of time, not the server");
        assert!(!source_wide(&PromError::Decode("x".into())));
    }

    #[test]
    fn a_round_keeps_clean_members_and_sends_the_rest_alone() {
        let ok = vector(vec![]);
        let warned = QueryResponse { warnings: vec!["w".into()], ..vector(vec![]) };
        let bad = api(400, "bad_data");
        let slow = PromError::Timeout(800);
        let r = Round::judge(Cause::Unusable, &[Ok(&ok), Err(&bad), Ok(&warned)]);
        assert_eq!(r, Round { leave: vec![1, 2], give_up: false });
        // One member times out while the others answer: it is the slow one.
        let r = Round::judge(Cause::Timeout, &[Ok(&ok), Err(&slow)]);
        assert_eq!(r, Round { leave: vec![1], give_up: false });
        // Everyone times out: the server is in trouble, nobody leaves.
        let r = Round::judge(Cause::Timeout, &[Err(&slow), Err(&slow)]);
        assert_eq!(r, Round { leave: vec![], give_up: false });
        // The combined request was refused but every member is fine alone: the server does not
        // take combined queries.
        let r = Round::judge(Cause::Unusable, &[Ok(&ok), Ok(&ok)]);
        assert_eq!(r, Round { leave: vec![], give_up: true });
        // After a timeout, members answering cleanly alone is no reason to stop combining.
        let r = Round::judge(Cause::Timeout, &[Ok(&ok), Ok(&ok)]);
        assert_eq!(r, Round { leave: vec![], give_up: false });
    }
}
