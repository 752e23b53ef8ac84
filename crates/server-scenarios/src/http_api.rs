//! Scenarios of an HTTP API in front of the servers.

pub mod web_api;
