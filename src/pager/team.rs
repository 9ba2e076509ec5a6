//! The team's shared record of running actions: Alertmanager, read and written by every
//! warroom. [`Team`] talks to the cluster's members; [`Claim`] is one run's announcement, the
//! gate its command waits behind (check, announce, settle, read back, decide) and its
//! resolution when it ends.
//!
//! The guarantee: strict on one host (the lock in `lock_dir` decides first); across hosts, best
//! effort within the cluster's gossip delay. Two launches further apart than `announce_settle`
//! plus that delay always see each other; closer ones both read back both claims once gossip
//! has carried them, and the later one withdraws. Only when gossip takes longer than the
//! settle time can both run.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::announce::{self, Announcement, Finish};
use super::api;
use crate::config::{AlertmanagerSpec, SourceSpec};
use crate::prom::{Client, ClientError, PromError};
use crate::runbook::exec::{BoxFuture, Outcome, RunGate};
use crate::runbook::Refusal;

/// The most one read of announcements takes in: a flood stops here, not at the 32 MiB of a
/// query answer.
pub const MAX_BODY: u64 = 4 << 20;

/// How often a running action's alert is posted again (an Alertmanager that restarted has lost
/// it: alerts are not kept on disk).
pub const REFRESH: Duration = Duration::from_secs(15);

/// Added to an action's timeout for its announcement's end: the kill grace and the resolve.
pub const MARGIN: Duration = Duration::from_secs(30);

/// Alertmanager as the team's record: every member of the cluster, and the latest read.
#[derive(Debug, Clone)]
pub struct Team {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    members: Vec<Client>,
    require: bool,
    settle: Duration,
    known: Mutex<Vec<Announcement>>,
    /// Why the latest read failed, if it did.
    failed: Mutex<Option<String>>,
}

impl Team {
    /// Clients for `spec`'s members (`url`, then `peers`), each answer at most [`MAX_BODY`].
    pub fn new(spec: &AlertmanagerSpec) -> Result<Self, ClientError> {
        let members = spec
            .members()
            .iter()
            .map(|m| Client::new(&SourceSpec { max_response_bytes: MAX_BODY, ..m.clone() }))
            .collect::<Result<Vec<_>, _>>()?;
        let inner = Inner {
            members,
            require: spec.require_for_actions,
            settle: spec.announce_settle,
            known: Mutex::new(Vec::new()),
            failed: Mutex::new(None),
        };
        Ok(Team { inner: Arc::new(inner) })
    }

    /// Whether an action that cannot be announced is refused.
    pub fn required(&self) -> bool {
        self.inner.require
    }

    /// Why the latest read failed, if it did: what the confirm dialog warns of.
    pub fn unreachable(&self) -> Option<String> {
        self.inner.failed.lock().ok().and_then(|f| f.clone())
    }

    /// The announcements of the latest good read.
    pub fn known(&self) -> Vec<Announcement> {
        self.inner.known.lock().map(|k| k.clone()).unwrap_or_default()
    }

    /// Reads every member's claims and `WarroomAction` alerts, as one list (see
    /// [`announce::merge`]); the error when no member answered. Remembered for
    /// [`Team::known`].
    pub async fn read(&self) -> Result<Vec<Announcement>, PromError> {
        let reads = self.inner.members.iter().map(|am| async move {
            let (claims, alerts) = tokio::join!(api::claims(am), api::announcements(am));
            (claims, alerts)
        });
        let mut all = Vec::new();
        let mut error = None;
        let mut answered = false;
        for (claims, alerts) in futures_util::future::join_all(reads).await {
            for result in [claims, alerts] {
                match result {
                    Ok(list) => {
                        answered = true;
                        all.extend(list);
                    }
                    Err(e) => error = Some(e),
                }
            }
        }
        if let Ok(mut failed) = self.inner.failed.lock() {
            *failed = error.as_ref().filter(|_| !answered).map(ToString::to_string);
        }
        if !answered {
            return Err(error.unwrap_or_else(|| PromError::Network("no Alertmanager".into())));
        }
        let merged = announce::merge(all);
        if let Ok(mut known) = self.inner.known.lock() {
            known.clone_from(&merged);
        }
        Ok(merged)
    }

    /// Posts `a`'s alert to every member and its claim to the first that takes it; what was
    /// posted, or the last error when no member took either.
    async fn announce(&self, a: &Announcement) -> Result<Posted, PromError> {
        let posts = self.inner.members.iter().map(|am| api::post_announcement(am, a));
        let results = futures_util::future::join_all(posts).await;
        let mut error = results.iter().find_map(|r| r.as_ref().err().cloned());
        let alerts = results.iter().filter(|r| r.is_ok()).count();
        let mut claim = None;
        for (i, am) in self.inner.members.iter().enumerate() {
            match api::post_claim(am, a).await {
                Ok(id) => {
                    claim = Some((i, id));
                    break;
                }
                Err(e) => error = Some(e),
            }
        }
        match (alerts, claim, error) {
            (0, None, Some(e)) => Err(e),
            (alerts, claim, _) => Ok(Posted { alerts, claim }),
        }
    }

    /// Posts `a`'s alert again to every member (its end unchanged).
    async fn refresh(&self, a: &Announcement) {
        let posts = self.inner.members.iter().map(|am| api::post_announcement(am, a));
        for r in futures_util::future::join_all(posts).await {
            if let Err(e) = r {
                tracing::warn!("refreshing announcement {}: {e}", a.run);
            }
        }
    }

    /// `a` is over (`a.finished` set): its alert resolved with the outcome on every member,
    /// and its claim replaced by one that says how it ended and expires at once.
    async fn resolve(&self, a: &Announcement, posted: &Posted) {
        self.refresh(a).await;
        let Some((i, id)) = &posted.claim else { return };
        let Some(am) = self.inner.members.get(*i) else { return };
        if let Err(e) = api::expire_silence(am, id).await {
            tracing::warn!("expiring claim {id}: {e}");
        }
        match api::post_claim(am, a).await {
            Ok(done) => {
                if let Err(e) = api::expire_silence(am, &done).await {
                    tracing::warn!("expiring claim {done}: {e}");
                }
            }
            Err(e) => tracing::warn!("recording the end of {}: {e}", a.run),
        }
    }
}

/// What an announcement reached.
#[derive(Debug, Clone, Default)]
struct Posted {
    /// Members that took the alert.
    alerts: usize,
    /// The member that took the claim, and the claim's silence id.
    claim: Option<(usize, String)>,
}

/// The running announcement of `runbook`'s `key` on `target` by another warroom process (whose
/// run names do not start with `own`, this process's [`crate::runbook::Launcher::run_prefix`]),
/// if any, at `now`: what refuses a second run (the earliest, when several). This process's own
/// runs are kept apart by the host lock, and one just ended may still read as running.
pub fn running_elsewhere<'a>(
    known: &'a [Announcement],
    (runbook, key, target): (&str, char, &str),
    own: &str,
    now: DateTime<Utc>,
) -> Option<&'a Announcement> {
    let mine = |a: &Announcement| !own.is_empty() && a.run.starts_with(own);
    let others =
        known.iter().filter(|a| !mine(a) && a.running(now) && a.same_action(runbook, key, target));
    announce::winner(others)
}

/// `host:pid:start:` of a run name `host:pid:start:id`: the process's part.
fn process_of(run: &str) -> &str {
    run.rfind(':').map_or(run, |i| &run[..=i])
}

/// One run's announcement: the gate before its command, the refresh while it runs, the
/// resolution after.
#[derive(Debug, Clone)]
pub struct Claim {
    team: Team,
    state: Arc<Mutex<ClaimState>>,
}

#[derive(Debug)]
struct ClaimState {
    announcement: Announcement,
    posted: Option<Posted>,
    note: Option<String>,
    refresher: Option<tokio::task::JoinHandle<()>>,
}

impl Claim {
    /// The claim of `announcement` (its `run` names this run) through `team`.
    pub fn new(team: Team, announcement: Announcement) -> Self {
        let state = ClaimState { announcement, posted: None, note: None, refresher: None };
        Claim { team, state: Arc::new(Mutex::new(state)) }
    }

    /// For the audit log: `announced to 2 Alertmanagers as RUN`, or `not announced:
    /// Alertmanager unreachable (…)`; `None` before the gate.
    pub fn note(&self) -> Option<String> {
        self.state.lock().ok().and_then(|s| s.note.clone())
    }

    fn with<T>(&self, f: impl FnOnce(&mut ClaimState) -> T) -> Option<T> {
        self.state.lock().ok().map(|mut s| f(&mut s))
    }

    fn announcement(&self) -> Option<Announcement> {
        self.with(|s| s.announcement.clone())
    }

    /// Check, announce, settle, read back, decide: `Ok` when the command may start.
    async fn enter(self) -> Result<(), Refusal> {
        let Some(mut own) = self.announcement() else {
            return Err(Refusal::Io("the announcement's state is unusable".into()));
        };
        let id = (own.runbook.clone(), own.key.chars().next().unwrap_or(' '), own.target.clone());
        let id = (id.0.as_str(), id.1, id.2.as_str());
        let offset = *chrono::Local::now().offset();
        let unreachable = |e: &PromError| {
            format!(
                "not announced: Alertmanager unreachable ({})",
                crate::sanitize::clean(&e.to_string())
            )
        };
        // 1. Someone else already running it (as read now, else as last read) refuses.
        let (known, failed) = match self.team.read().await {
            Ok(list) => (list, None),
            Err(e) => (self.team.known(), Some(e)),
        };
        if let Some(other) = running_elsewhere(&known, id, process_of(&own.run), Utc::now()) {
            return Err(Refusal::Elsewhere(other.line(offset)));
        }
        if let Some(e) = failed {
            return self.unannounced(unreachable(&e));
        }
        // 2. Announce.
        own.since = Utc::now();
        self.with(|s| s.announcement.since = own.since);
        let posted = match self.team.announce(&own).await {
            Ok(p) => p,
            Err(e) => return self.unannounced(unreachable(&e)),
        };
        let members = self.team.inner.members.len();
        let mut note =
            format!("announced to {}/{members} Alertmanagers as {}", posted.alerts, own.run);
        if posted.claim.is_none() {
            // Without a claim the other members never hear of it: alerts are not gossiped.
            note.push_str(" (no member took its claim: hosts on other members cannot see it)");
        }
        self.with(|s| {
            s.posted = Some(posted.clone());
            s.note = Some(note);
        });
        // 3. Let gossip carry the claims, 4. read back: the earliest claim runs.
        tokio::time::sleep(self.team.inner.settle).await;
        match self.team.read().await {
            Ok(list) => {
                let now = Utc::now();
                let mine = list.iter().find(|a| a.run == own.run).cloned();
                // Our own claim as Alertmanager dated it (what every peer compares), else ours.
                let mine = mine.unwrap_or_else(|| own.clone());
                let rivals = list.iter().filter(|a| {
                    a.run != own.run && a.running(now) && a.same_action(id.0, id.1, id.2)
                });
                let first = announce::winner(rivals.chain([&mine]));
                if let Some(first) = first.filter(|f| f.run != own.run) {
                    let line = first.line(offset);
                    own.finished = Some(Finish {
                        outcome: format!("withdrawn: {} started first", first.user),
                        took: Duration::ZERO,
                    });
                    self.team.resolve(&own, &posted).await;
                    self.with(|s| {
                        s.note = Some(format!("withdrawn after announcing as {}", own.run))
                    });
                    return Err(Refusal::Elsewhere(line));
                }
            }
            Err(e) => {
                let note = format!("announced as {}; reading back failed: {e}", own.run);
                self.with(|s| s.note = Some(note));
            }
        }
        // 5. Keep the alert alive while the command runs.
        let (team, refreshed) = (self.team.clone(), own.clone());
        let refresher = tokio::spawn(async move {
            loop {
                tokio::time::sleep(REFRESH).await;
                team.refresh(&refreshed).await;
            }
        });
        self.with(|s| s.refresher = Some(refresher));
        Ok(())
    }

    /// Alertmanager could not be reached: refused when it is required, else noted.
    fn unannounced(&self, note: String) -> Result<(), Refusal> {
        if self.team.required() {
            return Err(Refusal::Unannounced(note));
        }
        self.with(|s| s.note = Some(note));
        Ok(())
    }

    /// The run ended: resolve the announcement with its outcome.
    async fn leave(self, outcome: String, took: Duration) {
        let Some((posted, refresher)) = self.with(|s| (s.posted.clone(), s.refresher.take()))
        else {
            return;
        };
        if let Some(r) = refresher {
            r.abort();
        }
        let (Some(posted), Some(mut a)) = (posted, self.announcement()) else { return };
        a.finished = Some(Finish { outcome, took });
        self.team.resolve(&a, &posted).await;
    }
}

impl RunGate for Claim {
    fn enter(&mut self) -> BoxFuture<Result<(), Refusal>> {
        Box::pin(self.clone().enter())
    }

    fn leave(&mut self, outcome: &Outcome, duration: Duration) -> BoxFuture<()> {
        Box::pin(self.clone().leave(outcome.summary(), duration))
    }
}

/// How long an announcement of an action with `timeout` stands unless resolved.
pub fn ends_after(timeout: Duration) -> chrono::Duration {
    chrono::Duration::from_std(timeout + MARGIN).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap_or_default()
    }

    fn run(name: &str, target: &str, since: i64) -> Announcement {
        Announcement {
            run: name.into(),
            runbook: "rb".into(),
            key: "t".into(),
            label: "Terminate".into(),
            target: target.into(),
            environment: "prod".into(),
            user: "alice".into(),
            host: "b2".into(),
            since: at(since),
            claimed: Some(at(since)),
            ends: at(since + 60),
            finished: None,
        }
    }

    #[test]
    fn only_other_processes_running_the_same_action_on_the_same_target_refuse() {
        let known = [
            run("b1:10:1:1", "pg-1", 0),
            run("b2:20:1:4", "pg-1", 5),
            run("b3:30:1:1", "pg-1", 3),
            run("b4:40:1:1", "pg-2", 1),
        ];
        let id = ("rb", 't', "pg-1");
        let other = running_elsewhere(&known, id, "b1:10:1:", at(10)).map(|a| a.run.as_str());
        assert_eq!(other, Some("b3:30:1:1"), "the earliest of the others");
        assert_eq!(running_elsewhere(&known, ("rb", 't', "pg-3"), "b1:10:1:", at(10)), None);
        assert!(running_elsewhere(&known, id, "", at(10)).is_some(), "no prefix: all count");
        assert_eq!(running_elsewhere(&known, id, "b1:10:1:", at(100)), None, "all ended by then");
        assert_eq!(process_of("b1:10:1:12"), "b1:10:1:");
    }
}
