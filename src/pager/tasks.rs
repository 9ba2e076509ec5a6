//! The pager's tasks: one poller per source for its own alerts, one for Alertmanager's silences,
//! and one short-lived task per silence to create. They send owned results as messages and never
//! touch the model; update and key handlers never wait for them.

use std::time::Duration;

use chrono::Utc;
use tokio::task::JoinHandle;

use super::announce::Announcement;
use super::api;
use super::team::Team;
use super::types::{PromAlert, Silence, SilenceRequest};
use crate::config::Config;
use crate::poll::{backoff, next_slot, Outbox};
use crate::prom::{Client, ClientError, PromError};

/// A pager result, as sent to the update loop.
#[derive(Debug, Clone)]
pub enum PagerMsg {
    /// One fetch of a source's `/api/v1/alerts` (`source` indexes the config's sources).
    PromAlerts {
        source: usize,
        at: chrono::DateTime<Utc>,
        result: Result<Vec<PromAlert>, PromError>,
    },
    /// One fetch of Alertmanager's active silences.
    Silences { at: chrono::DateTime<Utc>, result: Result<Vec<Silence>, PromError> },
    /// The outcome of creating a silence: its id, or why not.
    SilenceCreated {
        at: chrono::DateTime<Utc>,
        request: Box<SilenceRequest>,
        result: Result<String, PromError>,
    },
    /// One read of the team's announced actions (claims and `WarroomAction` alerts).
    Team { at: chrono::DateTime<Utc>, result: Result<Vec<Announcement>, PromError> },
}

/// What the pager talks to, built before the screen is taken so config mistakes show first.
#[derive(Debug, Clone, Default)]
pub struct PagerSetup {
    /// `(source index, client)` of the sources whose own alerts are listed.
    pub prom: Vec<(usize, Client)>,
    /// Alertmanager, when configured.
    pub alertmanager: Option<Client>,
    /// The team's record of running actions (every member of the Alertmanager cluster), when
    /// configured; shared with the launcher, which announces through it.
    pub team: Option<Team>,
    /// How often each is polled: the dashboard's refresh.
    pub interval: Duration,
}

impl PagerSetup {
    /// From the config and the sources' clients (`clients[i]` serves source `i`).
    pub fn new(config: &Config, clients: &[Client]) -> Result<Self, ClientError> {
        let prom = config
            .sources
            .iter()
            .zip(clients)
            .enumerate()
            .filter(|(_, (spec, _))| spec.fetch_alerts)
            .map(|(i, (_, client))| (i, client.clone()))
            .collect();
        let alertmanager =
            config.alertmanager.as_ref().map(|am| Client::new(&am.as_source())).transpose()?;
        let team = config.alertmanager.as_ref().map(Team::new).transpose()?;
        Ok(PagerSetup { prom, alertmanager, team, interval: config.refresh })
    }
}

/// Running pager tasks, whose results reach the loop as its message `M`; aborted when dropped.
pub struct PagerTasks<M> {
    tasks: Vec<JoinHandle<()>>,
    alertmanager: Option<Client>,
    out: Outbox<PagerMsg, M>,
}

impl<M: Send + 'static> PagerTasks<M> {
    /// Starts the pollers; results go to `out`.
    pub fn start(setup: &PagerSetup, out: Outbox<PagerMsg, M>) -> Self {
        let interval = setup.interval.max(Duration::from_millis(500));
        let mut tasks: Vec<JoinHandle<()>> = setup
            .prom
            .iter()
            .map(|(source, client)| {
                let (source, client, out) = (*source, client.clone(), out.clone());
                let back = client.clone();
                tokio::spawn(async move {
                    poll(interval, Some(back), out, move || {
                        let client = client.clone();
                        async move {
                            let result = api::prom_alerts(&client).await;
                            PagerMsg::PromAlerts { source, at: Utc::now(), result }
                        }
                    })
                    .await
                })
            })
            .collect();
        if let Some(am) = &setup.alertmanager {
            let (am, out) = (am.clone(), out.clone());
            tasks.push(tokio::spawn(async move {
                poll(interval, None, out, move || {
                    let am = am.clone();
                    async move {
                        let result = api::silences(&am).await;
                        PagerMsg::Silences { at: Utc::now(), result }
                    }
                })
                .await
            }));
        }
        if let Some(team) = &setup.team {
            let (team, out) = (team.clone(), out.clone());
            tasks.push(tokio::spawn(async move {
                poll(interval, None, out, move || {
                    let team = team.clone();
                    async move { PagerMsg::Team { at: Utc::now(), result: team.read().await } }
                })
                .await
            }));
        }
        PagerTasks { tasks, alertmanager: setup.alertmanager.clone(), out }
    }

    /// Creates a silence in the background; the outcome comes back as [`PagerMsg::SilenceCreated`].
    pub fn create_silence(&mut self, request: SilenceRequest) {
        self.tasks.retain(|t| !t.is_finished());
        let (am, out) = (self.alertmanager.clone(), self.out.clone());
        self.tasks.push(tokio::spawn(async move {
            let msg = match am {
                Some(am) => create_silence(&am, request).await,
                None => PagerMsg::SilenceCreated {
                    at: Utc::now(),
                    request: Box::new(request),
                    result: Err(PromError::Network("no [alertmanager] configured".into())),
                },
            };
            let _ = out.send(msg).await;
        }));
    }
}

impl<M> PagerTasks<M> {
    /// Aborts every task.
    pub fn stop(&mut self) {
        for t in self.tasks.drain(..) {
            t.abort();
        }
    }
}

impl<M> Drop for PagerTasks<M> {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every pager fetch once, at the same time (for `warroom snapshot`).
pub async fn fetch_once(setup: &PagerSetup) -> Vec<PagerMsg> {
    let alerts = setup.prom.iter().map(|(source, client)| async move {
        let result = api::prom_alerts(client).await;
        PagerMsg::PromAlerts { source: *source, at: Utc::now(), result }
    });
    let silences = async {
        let mut out = Vec::new();
        if let Some(am) = &setup.alertmanager {
            out.push(PagerMsg::Silences { at: Utc::now(), result: api::silences(am).await });
        }
        if let Some(team) = &setup.team {
            out.push(PagerMsg::Team { at: Utc::now(), result: team.read().await });
        }
        out
    };
    let (mut msgs, silences) = tokio::join!(futures_util::future::join_all(alerts), silences);
    msgs.extend(silences);
    msgs
}

/// Creates the silence `request` asks for and reports the outcome: what the dashboard does for
/// `Effect::CreateSilence`, callable on its own (tests use the same path).
pub async fn create_silence(am: &Client, request: SilenceRequest) -> PagerMsg {
    let result = api::create_silence(am, &request).await;
    PagerMsg::SilenceCreated { at: Utc::now(), request: Box::new(request), result }
}

/// Calls `fetch` at the process's poll slots of `interval` (with the query pollers), backing
/// off after failures, until the receiver is gone. While backing off it asks again at once when
/// `source` (the client the query pollers share) has answered since the failure: the alert
/// list stops saying it is blind as soon as the panels have data again.
async fn poll<M, F, Fut>(
    interval: Duration,
    source: Option<Client>,
    out: Outbox<PagerMsg, M>,
    fetch: F,
) where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = PagerMsg>,
{
    let mut failures = 0u32;
    loop {
        let msg = fetch().await;
        let error = match &msg {
            PagerMsg::PromAlerts { result, .. } => result.as_ref().err(),
            PagerMsg::Silences { result, .. } => result.as_ref().err(),
            PagerMsg::Team { result, .. } => result.as_ref().err(),
            PagerMsg::SilenceCreated { .. } => None,
        };
        let failed_at = Utc::now().timestamp_millis();
        let delay = match error {
            None => {
                failures = 0;
                next_slot(interval)
            }
            Some(e) => {
                failures = failures.saturating_add(1);
                // One small request per interval: back off at most to four intervals, so the
                // alert list stops saying it is blind soon after the source is back.
                backoff(interval, failures.min(2), e.is_retryable())
            }
        };
        let backing_off = error.is_some();
        if !out.send(msg).await {
            return;
        }
        match (&source, backing_off) {
            (Some(client), true) => sleep_until_back(client, failed_at, delay).await,
            _ => tokio::time::sleep(delay).await,
        }
    }
}

/// How often a backing-off pager poller looks whether its source answered the query pollers.
const BACK_CHECK: Duration = Duration::from_millis(250);

/// Sleeps for `delay`, or less once `client`'s source has answered after `failed_at` (Unix ms).
async fn sleep_until_back(client: &Client, failed_at: i64, delay: Duration) {
    let until = tokio::time::Instant::now() + delay;
    while tokio::time::Instant::now() < until {
        if client.contact().answered_after(failed_at) {
            return;
        }
        tokio::time::sleep(BACK_CHECK.min(until - tokio::time::Instant::now())).await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    use tokio::sync::mpsc;

    use super::*;
    use crate::config::SourceSpec;

    /// A fetch that always fails as if the source were down, counting its calls.
    fn failing(calls: Arc<AtomicUsize>) -> impl Fn() -> std::future::Ready<PagerMsg> {
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(PagerMsg::PromAlerts {
                source: 0,
                at: Utc::now(),
                result: Err(PromError::Network("connection refused".into())),
            })
        }
    }

    #[tokio::test]
    async fn a_backing_off_poller_asks_again_once_its_source_answered() {
        let client = Client::new(&SourceSpec::new("prom", "http://127.0.0.1:1")).expect("client");
        let calls = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(poll(
            Duration::from_secs(10),
            Some(client.clone()),
            Outbox::new(tx, |m| m),
            failing(calls.clone()),
        ));
        rx.recv().await.expect("first attempt");
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "backing off: at least one 10 s interval");
        let answered = Instant::now();
        client.contact().record(true);
        rx.recv().await.expect("asked again");
        assert!(answered.elapsed() < Duration::from_secs(1), "{:?}", answered.elapsed());
        task.abort();
    }

    #[tokio::test]
    async fn without_an_answer_it_keeps_backing_off() {
        let client = Client::new(&SourceSpec::new("prom", "http://127.0.0.1:1")).expect("client");
        let calls = Arc::new(AtomicUsize::new(0));
        let (tx, mut rx) = mpsc::channel(16);
        let task = tokio::spawn(poll(
            Duration::from_secs(10),
            Some(client.clone()),
            Outbox::new(tx, |m| m),
            failing(calls),
        ));
        rx.recv().await.expect("first attempt");
        client.contact().record(false);
        let again = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
        assert!(again.is_err(), "no second attempt before the interval");
        task.abort();
    }
}
