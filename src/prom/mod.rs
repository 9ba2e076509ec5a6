//! Everything that talks to Prometheus-compatible servers.

pub mod batch;
mod batch_job;
pub mod client;
pub mod contact;
pub mod decode;
pub mod plan;
pub mod poller;
pub mod types;

pub use client::{Client, ClientError, Fetched};
pub use types::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
