//! HTTP scenarios.

pub mod web_api;
