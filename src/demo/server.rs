//! Serves the simulated store over Prometheus's HTTP query API on a loopback port, so the demo
//! runs the real client. Also the demo runbook endpoints under `/-/demo/`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use tokio::net::TcpListener;

use super::source::{Rows, SimSource};

type Shared = Arc<Mutex<SimSource>>;

/// A running simulator; stops when dropped.
pub struct DemoServer {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl DemoServer {
    /// Binds `127.0.0.1:0` and serves until dropped. The meltdown starts now.
    pub async fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let sim: Shared = Arc::new(Mutex::new(SimSource::new(unix_now())));
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let sim = sim.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |req| handle(sim.clone(), req));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Ok(Self { addr, task })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn unix_now() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

async fn handle(sim: Shared, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let mut params: HashMap<String, String> =
        url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if method == Method::POST {
        if let Ok(body) = req.into_body().collect().await {
            params.extend(url::form_urlencoded::parse(&body.to_bytes()).into_owned());
        }
    }
    let now = unix_now();
    let Ok(mut sim) = sim.lock() else {
        return Ok(reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"status": "error"}),
        ));
    };
    sim.advance_to(now);
    let (status, body) = match (method.clone(), path.as_str()) {
        (_, "/api/v1/query") => instant(&sim, &params, now),
        (_, "/api/v1/query_range") => range(&sim, &params),
        (_, "/api/v1/alerts") => (
            StatusCode::OK,
            json!({"status": "success", "data": {"alerts": []}}),
        ),
        (_, "/api/v1/status/buildinfo") => (
            StatusCode::OK,
            json!({"status": "success", "data": {"version": "warroom-demo"}}),
        ),
        (_, "/-/healthy" | "/-/ready") => (StatusCode::OK, json!("ok")),
        (Method::POST, "/-/demo/terminate-idle") => {
            let n = sim.scenario_mut().terminate_idle();
            (
                StatusCode::OK,
                json!({"terminated": n, "message": format!("terminated {n} idle-in-transaction sessions")}),
            )
        }
        (Method::POST, "/-/demo/cancel-long") => {
            let n = sim.scenario_mut().cancel_long();
            (
                StatusCode::OK,
                json!({"cancelled": n, "message": format!("cancelled {n} long-running statements")}),
            )
        }
        (Method::POST, "/-/demo/pause-batch") => {
            sim.scenario_mut().pause_batch(now);
            (
                StatusCode::OK,
                json!({"paused_for_seconds": 120, "message": "batch jobs paused for 2 minutes"}),
            )
        }
        _ => (
            StatusCode::NOT_FOUND,
            json!({"status": "error", "errorType": "not_found", "error": "no such endpoint in the demo source"}),
        ),
    };
    Ok(reply(status, body))
}

fn reply(status: StatusCode, body: Value) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body.to_string())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    resp
}

fn bad_data(msg: String) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        json!({"status": "error", "errorType": "bad_data", "error": msg}),
    )
}

fn num(params: &HashMap<String, String>, key: &str) -> Result<f64, String> {
    let raw = params
        .get(key)
        .ok_or_else(|| format!("missing parameter {key:?}"))?;
    raw.parse::<f64>()
        .map_err(|_| format!("invalid parameter {key:?}: {raw:?}"))
}

fn lookup(sim: &SimSource, params: &HashMap<String, String>, t: f64) -> Result<Rows, String> {
    let expr = params.get("query").ok_or("missing parameter \"query\"")?;
    sim.eval(expr, t)
        .ok_or_else(|| format!("the demo source does not know the query {expr:?}"))
}

fn instant(sim: &SimSource, params: &HashMap<String, String>, now: f64) -> (StatusCode, Value) {
    let t = params
        .get("time")
        .and_then(|s| s.parse().ok())
        .unwrap_or(now);
    match lookup(sim, params, t) {
        Err(e) => bad_data(e),
        Ok(rows) => {
            let result: Vec<Value> = rows
                .into_iter()
                .map(|(labels, v)| json!({"metric": labels, "value": [t, fmt(v)]}))
                .collect();
            (
                StatusCode::OK,
                json!({"status": "success", "data": {"resultType": "vector", "result": result}}),
            )
        }
    }
}

fn range(sim: &SimSource, params: &HashMap<String, String>) -> (StatusCode, Value) {
    let parsed = (|| {
        Ok::<_, String>((
            num(params, "start")?,
            num(params, "end")?,
            num(params, "step")?,
        ))
    })();
    let (start, end, step) = match parsed {
        Ok(v) => v,
        Err(e) => return bad_data(e),
    };
    if step <= 0.0 || end < start {
        return bad_data("end is before start, or step is not positive".into());
    }
    if (end - start) / step > 11_000.0 {
        return bad_data("exceeded maximum resolution of 11,000 points per timeseries".into());
    }
    let mut series: Vec<(crate::prom::Labels, Vec<Value>)> = Vec::new();
    let mut t = start;
    while t <= end + 1e-9 {
        match lookup(sim, params, t) {
            Err(e) => return bad_data(e),
            Ok(rows) => {
                for (labels, v) in rows {
                    let point = json!([t, fmt(v)]);
                    match series.iter_mut().find(|(l, _)| *l == labels) {
                        Some((_, pts)) => pts.push(point),
                        None => series.push((labels, vec![point])),
                    }
                }
            }
        }
        t += step;
    }
    let result: Vec<Value> = series
        .into_iter()
        .map(|(labels, values)| json!({"metric": labels, "values": values}))
        .collect();
    (
        StatusCode::OK,
        json!({"status": "success", "data": {"resultType": "matrix", "result": result}}),
    )
}

fn fmt(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{}", (v * 1000.0).round() / 1000.0)
    }
}
