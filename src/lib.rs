//! warroom: an incident-response on-call dashboard for the terminal.

pub mod duration;
pub mod prom;
pub mod sanitize;
pub mod suggest;
pub mod template;
pub mod theme;
pub mod ui_text;
pub mod units;
