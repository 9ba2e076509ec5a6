//! Everything that talks to Prometheus-compatible servers.

pub mod types;

pub use types::{Labels, Point, PromError, QueryData, QueryResponse, Sample, Series};
