//! A run's slow server: what natively stands behind `Runtime::slow_request` (and the thread
//! toolkit's requests) when the registry started one for the run — conlab's local test
//! server, reached with real HTTP requests. The trait keeps this crate free of HTTP; the HTTP
//! toolkit implements it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A server that answers a request after the latency it is asked for.
pub trait SlowServer: Send + Sync {
    /// A request on the current loop, answered after `latency`.
    fn request(&self, latency: Duration) -> Pin<Box<dyn Future<Output = Result<(), String>>>>;
    /// The same from a thread, blocking it; ends early (an error) once `give_up` says so.
    fn request_blocking(&self, latency: Duration, give_up: &dyn Fn() -> bool)
        -> Result<(), String>;
    /// What it is, for the trace's `io` mark: `real: HTTP GET to … on 127.0.0.1:port`.
    fn describe(&self) -> String;
}

/// A run's slow server and the requests to it that failed (a failed request fails the run,
/// naming the first reason).
#[derive(Clone)]
pub struct SlowLink {
    server: Arc<dyn SlowServer>,
    failures: Arc<Mutex<Failures>>,
}

#[derive(Default)]
struct Failures {
    count: u64,
    first: Option<String>,
}

impl SlowLink {
    /// Links a run to `server`.
    pub fn new(server: Arc<dyn SlowServer>) -> SlowLink {
        SlowLink {
            server,
            failures: Arc::default(),
        }
    }

    /// The server.
    pub fn server(&self) -> &dyn SlowServer {
        &*self.server
    }

    /// Counts a failed request.
    pub fn failed(&self, why: String) {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f.count += 1;
        f.first.get_or_insert(why);
    }

    /// Why the run fails, if a request to the server did: how many, and the first reason.
    pub fn failure(&self) -> Option<String> {
        let f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f.first.as_ref().map(|first| {
            format!(
                "{} requests to conlab's test server failed; the first: {first}",
                f.count
            )
        })
    }

    /// A blocking request, its failure counted.
    pub fn request_blocking(&self, latency: Duration) {
        self.request_blocking_until(latency, &|| false);
    }

    /// [`SlowLink::request_blocking`] that ends early once `give_up` says so (the run was
    /// aborted: that is no failure of the request).
    pub fn request_blocking_until(&self, latency: Duration, give_up: &dyn Fn() -> bool) {
        if let Err(why) = self.server.request_blocking(latency, give_up) {
            if !give_up() {
                self.failed(why);
            }
        }
    }
}
