//! Decoding Prometheus's JSON envelope into [`QueryResponse`] or a typed [`PromError`].
//!
//! Handles the shapes real servers send: Prometheus's `status`/`data`/`errorType`/`error`/
//! `warnings`/`infos`, VictoriaMetrics' `isPartial`, and non-JSON bodies from proxies.
//!
//! At most `max_series` series of an answer are kept; the rest are skipped while parsing (never
//! held), and the answer carries a warning that says how many there were.

use std::marker::PhantomData;

use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::types::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
use crate::sanitize;
use crate::secret::Secrets;

#[derive(Deserialize)]
struct Envelope<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<Data<'a>>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
    #[serde(rename = "isPartial", default)]
    is_partial: bool,
}

#[derive(Deserialize)]
struct Data<'a> {
    #[serde(rename = "resultType")]
    result_type: String,
    /// Parsed once the type is known, which may come after it.
    #[serde(borrow)]
    result: &'a RawValue,
}

#[derive(Deserialize)]
struct RawSeries {
    #[serde(default)]
    metric: Labels,
    value: Option<(Value, Value)>,
    #[serde(default)]
    values: Vec<(Value, Value)>,
}

/// Decodes one HTTP answer (status code + body) of `/api/v1/query` or `/api/v1/query_range`,
/// keeping the first `max_series` series. Every text taken from the body (error message,
/// excerpt, warnings) loses `secrets` before it is cut short, so no part of one is left.
pub fn decode(
    status: u16,
    body: &[u8],
    max_series: usize,
    secrets: &Secrets,
) -> Result<QueryResponse, PromError> {
    let text = |s: &str| clean(&secrets.scrub(s));
    let env: Envelope = parse(status, body, secrets)?;
    answered(status, body, secrets, &env.status, env.error_type.as_deref(), env.error.as_deref())?;
    let data = env.data.ok_or_else(|| PromError::Decode("success without data".into()))?;
    let mut warnings: Vec<String> =
        env.warnings.iter().chain(env.infos.iter()).map(|w| text(w)).collect();
    let partial =
        env.is_partial || warnings.iter().any(|w| w.to_ascii_lowercase().contains("partial"));
    let (data, total) = decode_data(&data, max_series)?;
    if total > max_series {
        warnings.push(format!(
            "{} series, first {} shown",
            crate::units::thousands(total),
            crate::units::thousands(max_series)
        ));
    }
    Ok(QueryResponse { data, warnings, partial })
}

/// The body as a Prometheus API envelope; a body that is none is a decoding error on a
/// success status, else the HTTP error it is.
fn parse<'a, T: Deserialize<'a>>(
    status: u16,
    body: &'a [u8],
    secrets: &Secrets,
) -> Result<T, PromError> {
    serde_json::from_slice(body).map_err(|e| {
        if (200..300).contains(&status) {
            PromError::Decode(format!("not Prometheus JSON ({e})"))
        } else {
            PromError::Http { status, excerpt: excerpt(body, secrets) }
        }
    })
}

/// Whether an envelope says success on a success status: else the typed, cleaned API error
/// (`status` of the envelope not `success`) or HTTP error.
fn answered(
    status: u16,
    body: &[u8],
    secrets: &Secrets,
    env_status: &str,
    raw_type: Option<&str>,
    raw_error: Option<&str>,
) -> Result<(), PromError> {
    let text = |s: &str| clean(&secrets.scrub(s));
    if env_status != "success" {
        let message = text(raw_error.unwrap_or("no error text"));
        let error_type = error_type(raw_type.map(text).as_deref(), status, &message);
        return Err(PromError::Api { status, error_type, message });
    }
    if !(200..300).contains(&status) {
        return Err(PromError::Http { status, excerpt: excerpt(body, secrets) });
    }
    Ok(())
}

/// The envelope of `/api/v1/label/<name>/values`: `data` is a list of strings.
#[derive(Deserialize)]
struct ValuesEnvelope<'a> {
    status: String,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(rename = "errorType")]
    error_type: Option<String>,
    error: Option<String>,
}

/// Decodes an answer of `/api/v1/label/<name>/values`: the first `max` values and how many
/// there were. Errors are typed (and cleaned) as for queries.
pub fn decode_values(
    status: u16,
    body: &[u8],
    max: usize,
    secrets: &Secrets,
) -> Result<(Vec<String>, usize), PromError> {
    let env: ValuesEnvelope = parse(status, body, secrets)?;
    answered(status, body, secrets, &env.status, env.error_type.as_deref(), env.error.as_deref())?;
    let raw = env.data.ok_or_else(|| PromError::Decode("success without data".into()))?;
    // Values as they are: they go back into queries, where a cleaned one would match nothing.
    // Whoever shows one cleans it.
    capped::<String>(raw, max)
}

/// The first `max` elements of a JSON array and how many it has; the others are skipped unread.
struct Capped<T> {
    max: usize,
    element: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for Capped<T> {
    type Value = (Vec<T>, usize);

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Capped<T> {
    type Value = (Vec<T>, usize);

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of series")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut kept = Vec::new();
        while kept.len() < self.max {
            match seq.next_element::<T>()? {
                Some(x) => kept.push(x),
                None => break,
            }
        }
        let mut total = kept.len();
        while seq.next_element::<IgnoredAny>()?.is_some() {
            total += 1;
        }
        Ok((kept, total))
    }
}

fn capped<T: serde::de::DeserializeOwned>(
    raw: &RawValue,
    max: usize,
) -> Result<(Vec<T>, usize), PromError> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    Capped { max, element: PhantomData }
        .deserialize(&mut de)
        .map_err(|e| PromError::Decode(e.to_string()))
}

/// Prometheus's error class. VictoriaMetrics sends the HTTP status as `errorType` (`"422"` for
/// parse errors and execution errors alike): name the class as Prometheus would.
fn error_type(raw: Option<&str>, status: u16, message: &str) -> String {
    let raw = raw.unwrap_or("error");
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return clean(raw);
    }
    const BAD_DATA: [&str; 6] = [
        "cannot parse",
        "unparsed data",
        "unexpected token",
        "unknown func",
        "too many points",
        "cannot unmarshal",
    ];
    let lower = message.to_ascii_lowercase();
    match status {
        _ if BAD_DATA.iter().any(|m| lower.contains(m)) => "bad_data",
        400 => "bad_data",
        422 => "execution",
        503 => "unavailable",
        504 => "timeout",
        _ if lower.contains("timeout") || lower.contains("timed out") => "timeout",
        _ => "internal",
    }
    .to_string()
}

/// The data and how many series the answer had.
fn decode_data(data: &Data, max_series: usize) -> Result<(QueryData, usize), PromError> {
    match data.result_type.as_str() {
        "vector" => {
            let (raw, total) = capped::<RawSeries>(data.result, max_series)?;
            raw.into_iter()
                .map(|s| {
                    let (t, v) =
                        s.value.ok_or_else(|| PromError::Decode("vector without value".into()))?;
                    Ok(Sample { labels: s.metric, point: point(&t, &v)? })
                })
                .collect::<Result<_, _>>()
                .map(|v| (QueryData::Vector(v), total))
        }
        "matrix" => {
            let (raw, total) = capped::<RawSeries>(data.result, max_series)?;
            raw.into_iter()
                .map(|s| {
                    let points =
                        s.values.iter().map(|(t, v)| point(t, v)).collect::<Result<_, _>>()?;
                    Ok(Series { labels: s.metric, points })
                })
                .collect::<Result<_, _>>()
                .map(|m| (QueryData::Matrix(m), total))
        }
        "scalar" => {
            let (t, v): (Value, Value) = serde_json::from_str(data.result.get())
                .map_err(|e| PromError::Decode(e.to_string()))?;
            Ok((QueryData::Scalar(point(&t, &v)?), 1))
        }
        other => Err(PromError::Decode(format!("unsupported resultType {:?}", clean(other)))),
    }
}

fn point(t: &Value, v: &Value) -> Result<Point, PromError> {
    let t = t.as_f64().ok_or_else(|| PromError::Decode("timestamp is not a number".into()))?;
    let v = match v {
        Value::String(s) => parse_value(s)?,
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        _ => return Err(PromError::Decode("sample value is not a string".into())),
    };
    Ok(Point { t, v })
}

/// Parses Prometheus's sample value strings, including `NaN`, `+Inf` and `-Inf`.
pub fn parse_value(s: &str) -> Result<f64, PromError> {
    match s {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        _ => s.parse().map_err(|_| PromError::Decode(format!("bad sample value {:?}", clean(s)))),
    }
}

fn clean(s: &str) -> String {
    let mut c = sanitize::clean_owned(s);
    if c.len() > 300 {
        let mut cut = 300;
        while !c.is_char_boundary(cut) {
            cut -= 1;
        }
        c.truncate(cut);
        c.push('…');
    }
    c
}

/// A short, readable excerpt of a non-JSON body: secrets and tags dropped, whitespace folded.
fn excerpt(body: &[u8], secrets: &Secrets) -> String {
    let text = secrets.scrub(&String::from_utf8_lossy(&body[..body.len().min(4096)]));
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    let folded = out.split_whitespace().collect::<Vec<_>>().join(" ");
    if folded.is_empty() {
        "empty body".into()
    } else {
        clean(&folded.chars().take(160).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_vector_with_special_values() {
        let body = br#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"instance":"a"},"value":[1700000000.5,"NaN"]},
            {"metric":{"instance":"b"},"value":[1700000000.5,"+Inf"]},
            {"metric":{"instance":"c"},"value":[1700000000.5,"-Inf"]},
            {"metric":{"instance":"d"},"value":[1700000000.5,"42.5"]}]}}"#;
        let r = decode(200, body, 100, &Secrets::default()).unwrap();
        let QueryData::Vector(v) = r.data else { panic!("vector") };
        assert!(v[0].point.v.is_nan());
        assert_eq!(v[1].point.v, f64::INFINITY);
        assert_eq!(v[2].point.v, f64::NEG_INFINITY);
        assert_eq!(v[3].point.v, 42.5);
    }

    #[test]
    fn decodes_matrix_warnings_and_partial() {
        let body = br#"{"status":"success","isPartial":true,"warnings":["w\u001b[2J"],
            "data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"2"]]}]}}"#;
        let r = decode(200, body, 100, &Secrets::default()).unwrap();
        assert!(r.partial);
        assert_eq!(r.warnings, vec!["w\\x1b[2J".to_string()]);
        assert!(matches!(r.data, QueryData::Matrix(ref m) if m[0].points.len() == 2));
    }

    #[test]
    fn api_errors_keep_type_and_text() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 3"}"#;
        assert_eq!(
            decode(400, body, 100, &Secrets::default()),
            Err(PromError::Api {
                status: 400,
                error_type: "bad_data".into(),
                message: "parse error at char 3".into()
            })
        );
    }

    #[test]
    fn victoria_metrics_numeric_error_types_get_prometheus_classes() {
        let parse = br#"{"status":"error","errorType":"422","error":"error when executing query=\"up(\" for (time=1, step=300000): argList: unexpected token \"\"; want \",\", \")\"; unparsed data: \"\""}"#;
        assert!(matches!(decode(422, parse, 100, &Secrets::default()),
            Err(PromError::Api { status: 422, ref error_type, .. }) if error_type == "bad_data"));
        let points = br#"{"status":"error","errorType":"422","error":"too many points for the given step=1000; cannot exceed -search.maxPointsPerTimeseries=30000"}"#;
        assert!(matches!(decode(422, points, 100, &Secrets::default()),
            Err(PromError::Api { ref error_type, .. }) if error_type == "bad_data"));
        let exec =
            br#"{"status":"error","errorType":"422","error":"cannot execute: not enough memory"}"#;
        assert!(matches!(decode(422, exec, 100, &Secrets::default()),
            Err(PromError::Api { ref error_type, .. }) if error_type == "execution"));
    }

    #[test]
    fn html_error_pages_become_http_errors() {
        let body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
        match decode(502, body, 100, &Secrets::default()) {
            Err(PromError::Http { status: 502, excerpt }) => {
                assert!(excerpt.contains("502 Bad Gateway"))
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode(200, b"garbage{", 100, &Secrets::default()),
            Err(PromError::Decode(_))
        ));
    }

    #[test]
    fn keeps_the_first_series_and_says_how_many_there_were() {
        let answer = |kind: &str, point: &str| {
            let series: Vec<String> =
                (0..12_345).map(|i| format!(r#"{{"metric":{{"i":"{i}"}},{point}}}"#)).collect();
            // resultType after result, as some servers send it.
            format!(
                r#"{{"status":"success","data":{{"result":[{}],"resultType":"{kind}"}}}}"#,
                series.join(",")
            )
        };
        let body = answer("vector", r#""value":[1,"1"]"#);
        let r = decode(200, body.as_bytes(), 10_000, &Secrets::default()).unwrap();
        let QueryData::Vector(v) = &r.data else { panic!("vector") };
        assert_eq!(v.len(), 10_000);
        assert_eq!(v[9_999].labels["i"], "9999", "the first ones, in order");
        assert_eq!(r.warnings, vec!["12,345 series, first 10,000 shown".to_string()]);
        assert!(!r.partial);

        let matrix = answer("matrix", r#""values":[[1,"1"],[2,"2"]]"#);
        let r = decode(200, matrix.as_bytes(), 10_000, &Secrets::default()).unwrap();
        assert!(matches!(&r.data, QueryData::Matrix(m) if m.len() == 10_000), "{:?}", r.warnings);
        assert_eq!(r.warnings.len(), 1);

        let r = decode(200, body.as_bytes(), 20_000, &Secrets::default()).unwrap();
        assert!(r.warnings.is_empty());
        assert_eq!(crate::units::thousands(999), "999");
        assert_eq!(crate::units::thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn secrets_are_taken_out_before_texts_are_cut_short() {
        let mut secrets = Secrets::default();
        secrets.add("tok-0123456789abcdef");
        let page = format!("{} tok-0123456789abcdef", "x".repeat(150));
        let Err(PromError::Http { excerpt, .. }) = decode(502, page.as_bytes(), 100, &secrets)
        else {
            panic!("an HTTP error")
        };
        assert!(excerpt.len() < page.len() && !excerpt.contains("tok-0123"), "{excerpt}");
        let long = format!(
            r#"{{"status":"error","errorType":"x","error":"{} tok-0123456789abcdef"}}"#,
            "y".repeat(290)
        );
        let Err(e) = decode(400, long.as_bytes(), 100, &secrets) else { panic!("an error") };
        assert!(!e.to_string().contains("tok-0123"), "{e}");
        let warned = format!(
            r#"{{"status":"success","warnings":["{} tok-0123456789abcdef"],"data":{{"resultType":"vector","result":[]}}}}"#,
            "z".repeat(290)
        );
        let r = decode(200, warned.as_bytes(), 100, &secrets).unwrap();
        assert!(!r.warnings[0].contains("tok-0123"), "{:?}", r.warnings);
    }

    #[test]
    fn label_values_come_as_sent_capped_with_typed_errors() {
        let secrets = Secrets::default();
        let body = br#"{"status":"success","data":["a","b\u001b[31m","c"]}"#;
        let (values, total) = decode_values(200, body, 2, &secrets).unwrap();
        assert_eq!((values, total), (vec!["a".to_string(), "b\u{1b}[31m".to_string()], 3));
        let refused = br#"{"status":"error","errorType":"bad_data","error":"bad \u001b matcher"}"#;
        match decode_values(400, refused, 10, &secrets) {
            Err(PromError::Api { error_type, message, .. }) => {
                assert_eq!(error_type, "bad_data");
                assert!(!message.contains('\u{1b}'), "{message}");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            decode_values(502, b"<html>bad gateway</html>", 10, &secrets),
            Err(PromError::Http { .. })
        ));
        assert!(matches!(
            decode_values(200, br#"{"status":"success","data":{"x":1}}"#, 10, &secrets),
            Err(PromError::Decode(_))
        ));
    }
}
