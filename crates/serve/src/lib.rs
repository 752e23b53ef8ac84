//! `conlab serve`: the playground and a JSON API that runs native scenarios live on this
//! machine. The API's types are `conlab-wire`'s; this crate is the server:
//!
//! - `config`: what the server is told (address, token, caps, folders) and its checks;
//! - `guard`: what every request passes first (token, host, origin, CORS);
//! - `api`: the handlers; `start`: a start request checked against the catalog's ranges;
//! - `runs`: the runs, running or queued under the caps, and their ends; with a queue, native
//!   runs enqueued for `conlab worker`s and followed in the record;
//! - `executor`: what a `conlab worker` runs jobs with (the same checks, caps and run);
//! - `relay`: a remote run's live events, published by the worker and rebuilt here;
//! - `store`: finished traces written atomically and reloaded at start;
//! - `stream`: a run's events as Server-Sent Events;
//! - `assets`: the web app (embedded with the `web-app` feature) and served reports;
//! - `report`: a suite of runs as a static folder of pages.
#![deny(missing_docs)]

mod api;
mod assets;
mod config;
mod executor;
mod guard;
mod relay;
pub mod report;
mod runs;
mod start;
mod store;
mod stream;

pub use assets::has_web_app;
pub use config::{Config, ConfigError};
pub use executor::NativeExecutor;

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;
use tokio::sync::watch;

/// A running server.
pub struct Server {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
    runs: Arc<runs::Runs>,
}

impl Server {
    /// Binds `config.bind` and serves on threads of its own; returns once it listens.
    pub fn start(config: Config) -> Result<Server, ConfigError> {
        config.check()?;
        // Targets beyond this machine were allowed by name: every `url` is checked against
        // them before it runs, so the HTTP toolkit may send there.
        if config.allows_remote_targets() {
            conlab_scenarios::allow_remote_targets(true);
        }
        let listener = std::net::TcpListener::bind(config.bind).map_err(|e| ConfigError::Bind {
            addr: config.bind,
            error: e.to_string(),
        })?;
        let addr = listener.local_addr().map_err(|e| ConfigError::Bind {
            addr: config.bind,
            error: e.to_string(),
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| ConfigError::Bind {
                addr,
                error: e.to_string(),
            })?;
        let store = store::Store::open(&config.store).map_err(|e| match e {
            store::OpenError::Busy => ConfigError::StoreBusy {
                dir: config.store.clone(),
            },
            store::OpenError::Io(e) => ConfigError::Store {
                dir: config.store.clone(),
                error: e.to_string(),
            },
        })?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("conlab-serve")
            .enable_all()
            .build()
            .map_err(|e| ConfigError::Bind {
                addr,
                error: e.to_string(),
            })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        // The queue's servers answer before the server listens, or it does not start.
        let queue = match &config.queue {
            Some(settings) => Some(
                runtime
                    .block_on(conlab_queue::Queue::open(settings))
                    .map_err(ConfigError::Queue)?,
            ),
            None => None,
        };
        let config = Arc::new(config);
        let runs = runs::Runs::new(config.clone(), store, runtime.handle().clone(), queue);
        runtime.spawn(runs.clone().follow_queue(shutdown_rx.clone()));
        runtime.spawn(runs.clone().trim_record(shutdown_rx.clone()));
        let state = api::AppState {
            config: config.clone(),
            runs: runs.clone(),
            shutdown: shutdown_rx.clone(),
            streams: Arc::new(stream::StreamSlots::new(
                config.max_streams,
                config.max_streams_per_run,
            )),
        };
        let router = api::router(state);
        let thread = std::thread::Builder::new()
            .name("conlab-serve".into())
            .spawn(move || {
                runtime.block_on(async move {
                    use axum::serve::ListenerExt;
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        // Small writes (an event of a live run) go out at once: with Nagle's
                        // delay a browser's delayed ACK held the first event back 40 ms.
                        Ok(l) => l.tap_io(|tcp| {
                            let _ = tcp.set_nodelay(true);
                        }),
                        Err(_) => return,
                    };
                    let mut stop = shutdown_rx;
                    let _ = axum::serve(listener, router)
                        .with_graceful_shutdown(async move {
                            let _ = stop.wait_for(|s| *s).await;
                        })
                        .await;
                });
                runtime.shutdown_timeout(std::time::Duration::from_secs(2));
            })
            .map_err(|e| ConfigError::Bind {
                addr,
                error: e.to_string(),
            })?;
        Ok(Server {
            addr,
            shutdown,
            thread: Some(thread),
            runs,
        })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `http://host:port/`: on every address (`0.0.0.0`, `::`), the URL this
    /// machine opens it at (other machines use its name or address).
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr.ip() {
                std::net::IpAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                std::net::IpAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("http://{addr}/")
    }

    /// Stops every run (each ends *stopped* and is kept), ends the streams and the server.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    /// Waits until the server ends (never, unless stopped from elsewhere).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// A handle that stops the server from another thread (the Ctrl-C handler): every run
    /// is stopped and, within a few seconds, kept; then the server ends.
    pub fn stopper(&self) -> impl Fn() + Send + Sync + 'static {
        let shutdown = self.shutdown.clone();
        let runs = self.runs.clone();
        move || {
            runs.stop_all_and_wait(std::time::Duration::from_secs(3));
            let _ = shutdown.send(true);
        }
    }

    fn stop_inner(&mut self) {
        self.runs
            .stop_all_and_wait(std::time::Duration::from_secs(3));
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_inner();
    }
}
