//! Effects answered by a task off the loop, whose answer comes back as a message: "why no
//! data?" asked of a source part by part, a dashboard's variables asked again after a choice,
//! an action's guards read before it runs and its verify query watched after. The loop only
//! starts them; it never waits for a source.

use tokio::sync::mpsc::Sender;

use crate::grafana::vars::{Builtins, Variable};
use std::time::{Duration, Instant};

use crate::msg::{Msg, VerifyStage};
use crate::prom::Client;

/// Asks `client`'s source why `expr` (query `query`) returns nothing; `Msg::Explained`.
pub fn explain(query: usize, expr: String, client: Client, tx: Sender<Msg>) {
    tokio::spawn(async move {
        let explanation = Box::new(crate::explain::explain_on(&client, &expr).await);
        let _ = tx.send(Msg::Explained { query, explanation }).await;
    });
}

/// Resolves dashboard `dashboard`'s variables for choice `generation` against `clients`;
/// `Msg::VarsResolved`. Problems go to the log: the variables keep their values.
pub fn resolve_vars(
    (dashboard, generation): (usize, u64),
    mut vars: Vec<Variable>,
    builtins: Builtins,
    clients: Vec<Client>,
    tx: Sender<Msg>,
) {
    tokio::spawn(async move {
        for p in crate::grafana::resolve::resolve(&mut vars, &clients, &builtins).await {
            tracing::warn!("dashboard {dashboard}: {p}");
        }
        let _ = tx.send(Msg::VarsResolved { dashboard, generation, vars }).await;
    });
}

/// How often a verify query is read while it is watched.
pub const VERIFY_EVERY: Duration = Duration::from_secs(2);

/// Reads the guards of `action` now; `Msg::GuardsRead`.
pub fn read_guards(
    (action, last): (crate::runbook::ActionId, bool),
    guards: Vec<crate::runbook::Guard>,
    client: Client,
    tx: Sender<Msg>,
) {
    tokio::spawn(async move {
        let readings = crate::runbook::guard::read_guards(&client, &guards).await;
        let _ = tx.send(Msg::GuardsRead { action, readings, last }).await;
    });
}

/// Reads run `run_id`'s `verify` query once (its value as the run starts), or, to `watch` it,
/// every [`VERIFY_EVERY`] until it holds or its `within` has passed; `Msg::VerifyRead` each time.
pub fn verify(
    (run_id, watch): (u64, bool),
    verify: crate::runbook::Verify,
    client: Client,
    tx: Sender<Msg>,
) {
    tokio::spawn(async move {
        let start = Instant::now();
        loop {
            let reading =
                crate::runbook::guard::read_on(&client, &verify.query, &verify.unit).await;
            let elapsed = start.elapsed();
            let stage = match watch {
                false => VerifyStage::Before,
                true if reading.ok() || elapsed >= verify.within => VerifyStage::Done { elapsed },
                true => VerifyStage::Watching,
            };
            if tx.send(Msg::VerifyRead { run_id, reading, stage }).await.is_err() {
                return;
            }
            if stage != VerifyStage::Watching {
                return;
            }
            tokio::time::sleep(VERIFY_EVERY.min(verify.within.saturating_sub(elapsed))).await;
        }
    });
}

/// The readings of guards whose source does not exist: none holds.
pub fn no_source(
    action: crate::runbook::ActionId,
    guards: &[crate::runbook::Guard],
    last: bool,
) -> Msg {
    let unknown = || crate::runbook::Reading::unknown("no such source");
    Msg::GuardsRead { action, readings: guards.iter().map(|_| unknown()).collect(), last }
}
