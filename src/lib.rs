//! warroom: an incident-response on-call dashboard for the terminal.

pub mod config;
pub mod diag;
pub mod duration;
pub mod prom;
pub mod sanitize;
pub mod template;
pub mod units;
