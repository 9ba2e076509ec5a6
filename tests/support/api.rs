//! Calls to the Prometheus HTTP query API shared by Prometheus and VictoriaMetrics.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::http;

/// `GET /api/v1/query?query=…` and its `data` object; panics unless the answer is a success.
pub fn query(base_url: &str, promql: &str) -> Value {
    let url = format!("{base_url}/api/v1/query?query={}", http::encode(promql));
    let response = http::get(&url).unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let body = response.json();
    assert!(
        response.status == 200 && body["status"] == "success",
        "query {promql:?} failed with HTTP {}: {}",
        response.status,
        response.body
    );
    body["data"].clone()
}

/// Polls the instant query `promql` until its result is non-empty and returns the result.
/// Panics after `timeout` with the last answer.
pub fn wait_for_series(base_url: &str, promql: &str, timeout: Duration) -> Vec<Value> {
    let url = format!("{base_url}/api/v1/query?query={}", http::encode(promql));
    let deadline = Instant::now() + timeout;
    loop {
        let last = match http::get(&url) {
            Ok(response) => {
                if response.status == 200 {
                    if let Ok(body) = serde_json::from_str::<Value>(&response.body) {
                        match &body["data"]["result"] {
                            Value::Array(series) if !series.is_empty() => return series.clone(),
                            Value::Array(_) | Value::Null => {}
                            // A scalar or string result is never empty.
                            result => return vec![result.clone()],
                        }
                    }
                }
                format!("HTTP {}: {}", response.status, response.body)
            }
            Err(e) => e.to_string(),
        };
        if Instant::now() >= deadline {
            panic!("no series for {promql:?} at {base_url} after {timeout:?}; last answer: {last}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The numeric value of a vector sample (`[ts, "value"]` under `value`).
pub fn sample_value(series: &Value) -> f64 {
    series["value"][1]
        .as_str()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("not a vector sample: {series}"))
}
