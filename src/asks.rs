//! Effects answered by a task off the loop, whose answer comes back as a message: "why no
//! data?" asked of a source part by part, and a dashboard's variables asked again after a
//! choice. The loop only starts them; it never waits for a source.

use tokio::sync::mpsc::Sender;

use crate::grafana::vars::{Builtins, Variable};
use crate::msg::Msg;
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
