//! warroom: an incident-response on-call dashboard for the terminal.

pub mod duration;
pub mod prom;
pub mod runbook;
pub mod sanitize;
pub mod template;
