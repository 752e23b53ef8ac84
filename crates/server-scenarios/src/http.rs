//! Scenarios of HTTP itself, against conlab's local test server (`conlab-http`) or a URL the
//! user gives: a crawler, a request written by hand, a load tester.

pub mod crawler;
pub mod load_test;
pub mod raw_http;
mod target;
