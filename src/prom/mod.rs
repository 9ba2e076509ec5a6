//! Everything that talks to Prometheus-compatible servers.

pub mod batch;
mod batch_job;
pub mod client;
pub mod contact;
pub mod decode;
pub mod plan;
pub mod poller;
mod result;
mod shared;
mod single;
pub mod types;

pub use client::{Client, ClientError, Fetched};
pub use plan::{FetchKind, QuerySpec};
pub use result::PollResult;
pub use shared::fetch_capped;
pub use types::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
