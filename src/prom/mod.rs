//! Everything that talks to Prometheus-compatible servers.

pub mod client;
pub mod decode;
pub mod poller;
pub mod types;

pub use client::{Client, ClientError, Fetched};
pub use types::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
