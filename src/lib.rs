//! warroom: an incident-response on-call dashboard for the terminal.

#![warn(clippy::unwrap_used)]

pub mod alert;
pub mod app;
pub mod asks;
pub mod body;
pub mod cli;
pub mod clipboard;
pub mod cmd;
pub mod config;
pub mod demo;
pub mod diag;
pub mod duration;
pub mod explain;
pub mod grafana;
pub mod identity;
pub mod jsonl;
pub mod keymap;
pub mod matcher;
pub mod memory;
pub mod model;
pub mod msg;
pub mod pager;
pub mod peak;
pub mod prom;
pub mod promql;
pub mod rejoin;
pub mod rules;
pub mod runbook;
pub mod sanitize;
pub mod secret;
pub mod setup;
pub mod size;
pub mod snapshot;
pub mod template;
pub mod term;
pub mod theme;
pub mod ui;
pub mod units;
pub mod update;
