//! The local test server every HTTP scenario uses unless the user points at their own:
//!
//! - `GET /files/<name>?size=<bytes>&latency_ms=<ms>` (or `latency_us`): waits, then sends
//!   `size` bytes of the generated file `<name>` ([`crate::content`]), streamed in blocks as
//!   the connection takes them;
//! - `POST /upload?latency_ms=<ms>`: a form ([`crate::upload`]); the server reads the file,
//!   checks its length and CRC-32 against the form's, counts it and says what it received
//!   (`422` when it does not match);
//! - `GET /hello`: a short text.
//!
//! It can be told to fail a given share of requests (a `500`, spread evenly), to stall every
//! request for a while (a server made slow for a second), and be killed mid-run.

use crate::serve::{self, ServerThread, Serving};
use axum::body::Body;
use axum::extract::{Multipart, Path, RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest file the server generates (64 MiB, the crawler's largest).
pub const MAX_FILE: u64 = 64 * 1024 * 1024;
/// Largest upload it reads (the load tester's largest payload, and its form).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024 + 64 * 1024;
/// Blocks a file is streamed in.
const BLOCK: usize = 64 * 1024;

/// What the server has seen, counted as it goes.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Requests received (any route).
    pub requests: AtomicU64,
    /// Requests answered `500` on purpose.
    pub failed_on_purpose: AtomicU64,
    /// Uploads whose length and CRC-32 matched the form's.
    pub uploads_intact: AtomicU64,
    /// Uploads that did not match, or were not a form conlab's client sends.
    pub uploads_damaged: AtomicU64,
    /// File bytes received in uploads.
    pub upload_bytes: AtomicU64,
    /// File bytes sent.
    pub file_bytes: AtomicU64,
}

struct Settings {
    stats: Arc<ServerStats>,
    /// Requests that fail, per million.
    fail_per_million: AtomicU64,
    /// Requests counted for failing on purpose.
    fail_counter: AtomicU64,
    /// Until when (nanoseconds after `origin`) every request waits before it is handled.
    stall_until: AtomicU64,
    origin: Instant,
}

impl Settings {
    /// Whether this request fails on purpose: exactly the set share of every prefix of the
    /// requests, spread evenly (request n fails when floor(n × share) grows).
    fn fails_now(&self) -> bool {
        let share = self.fail_per_million.load(Relaxed);
        if share == 0 {
            return false;
        }
        let n = self.fail_counter.fetch_add(1, Relaxed);
        let fails = (n + 1) * share / 1_000_000 > n * share / 1_000_000;
        if fails {
            self.stats.failed_on_purpose.fetch_add(1, Relaxed);
        }
        fails
    }

    async fn wait_out_stall(&self) {
        let until = self.stall_until.load(Relaxed);
        let now = self.origin.elapsed().as_nanos() as u64;
        if until > now {
            tokio::time::sleep(Duration::from_nanos(until - now)).await;
        }
    }

    /// What every request does first: counted, held through a stall, then told whether it
    /// fails.
    async fn admit(&self) -> Result<(), Response> {
        self.stats.requests.fetch_add(1, Relaxed);
        self.wait_out_stall().await;
        if self.fails_now() {
            return Err((
                StatusCode::INTERNAL_SERVER_ERROR,
                "conlab's test server fails this request on purpose\n",
            )
                .into_response());
        }
        Ok(())
    }
}

/// The running server. Dropping it kills it (every connection dropped).
pub struct TestServer {
    thread: ServerThread,
    settings: Arc<Settings>,
}

impl TestServer {
    /// Starts a server on a free port of 127.0.0.1, from a thread that is not on a loop.
    pub fn start() -> Result<TestServer, String> {
        let (settings, listener, setup) = parts()?;
        let thread = serve::start_blocking(NAME, listener, setup)?;
        Ok(TestServer { thread, settings })
    }

    /// [`TestServer::start`] from code on a loop.
    pub async fn start_async() -> Result<TestServer, String> {
        let (settings, listener, setup) = parts()?;
        let thread = serve::start(NAME, listener, setup).await?;
        Ok(TestServer { thread, settings })
    }

    /// Its address.
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.thread.port()))
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr())
    }

    /// What it has seen.
    pub fn stats(&self) -> &ServerStats {
        &self.settings.stats
    }

    /// Fails this share of the requests from now on (0.0 to 1.0), spread evenly.
    pub fn fail_share(&self, share: f64) {
        let per_million = (share.clamp(0.0, 1.0) * 1e6).round() as u64;
        self.settings.fail_per_million.store(per_million, Relaxed);
    }

    /// Every request arriving in the next `duration` (and those in progress that have not been
    /// handled yet) waits until it is over.
    pub fn stall_for(&self, duration: Duration) {
        let until = self.settings.origin.elapsed() + duration;
        self.settings
            .stall_until
            .store(until.as_nanos() as u64, Relaxed);
    }

    /// Stops it at once: every connection is dropped, new ones are refused.
    pub fn kill(self) {
        self.thread.kill();
    }
}

/// The server thread's name.
const NAME: &str = "conlab-test-server";

type Setup = Box<
    dyn FnOnce(
            tokio::net::TcpListener,
        ) -> std::future::Ready<Result<Serving<tokio::net::TcpListener>, String>>
        + Send,
>;

/// What starting a server takes: its settings, its listener and its setup (the router, served
/// on axum's listener).
fn parts() -> Result<(Arc<Settings>, std::net::TcpListener, Setup), String> {
    let settings = new_settings();
    let listener = serve::loopback_listener().map_err(|e| format!("no loopback listener: {e}"))?;
    let router = router(settings.clone());
    let setup: Setup = Box::new(move |listener| {
        std::future::ready(Ok(Serving {
            router,
            listener,
            after: None,
        }))
    });
    Ok((settings, listener, setup))
}

fn new_settings() -> Arc<Settings> {
    Arc::new(Settings {
        stats: Arc::new(ServerStats::default()),
        fail_per_million: AtomicU64::new(0),
        fail_counter: AtomicU64::new(0),
        stall_until: AtomicU64::new(0),
        origin: Instant::now(),
    })
}

fn router(settings: Arc<Settings>) -> Router {
    Router::new()
        .route("/files/{name}", get(file))
        .route("/upload", post(upload))
        .route("/hello", get(hello))
        .with_state(settings)
        .layer(axum::extract::DefaultBodyLimit::max(MAX_UPLOAD))
}

/// `name=value` pairs of a query string (values are numbers: no decoding needed).
fn query_number(query: &Option<String>, name: &str) -> Option<u64> {
    query
        .as_deref()?
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(n, _)| *n == name)
        .and_then(|(_, v)| v.parse().ok())
}

/// Waits as long as the query asks: `latency_ms`, or `latency_us` (a scaled latency is not a
/// whole number of milliseconds), at most ten minutes.
async fn wait_latency(query: &Option<String>) {
    let latency = match (
        query_number(query, "latency_us"),
        query_number(query, "latency_ms"),
    ) {
        (Some(us), _) => Duration::from_micros(us),
        (None, Some(ms)) => Duration::from_millis(ms),
        (None, None) => return,
    };
    if latency.is_zero() {
        return;
    }
    tokio::time::sleep(latency.min(Duration::from_secs(600))).await;
}

fn bad_request(why: String) -> Response {
    (StatusCode::BAD_REQUEST, why + "\n").into_response()
}

async fn hello(State(s): State<Arc<Settings>>) -> Response {
    if let Err(failed) = s.admit().await {
        return failed;
    }
    "hello from conlab's test server\n".into_response()
}

async fn file(
    State(s): State<Arc<Settings>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    if let Err(failed) = s.admit().await {
        return failed;
    }
    let size = query_number(&query, "size").unwrap_or(1024);
    if size > MAX_FILE {
        return bad_request(format!(
            "size={size} is above the largest file, {MAX_FILE} bytes"
        ));
    }
    wait_latency(&query).await;
    let stats = s.stats.clone();
    let blocks = file_blocks(name, size, stats);
    Response::builder()
        .header(header::CONTENT_TYPE, "text/plain")
        .header(header::CONTENT_LENGTH, size)
        .body(Body::from_stream(blocks))
        .unwrap_or_else(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response())
}

/// The file's blocks as a stream, each generated when the connection wants it.
fn file_blocks(
    name: String,
    size: u64,
    stats: Arc<ServerStats>,
) -> impl futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send {
    FileBlocks {
        name,
        size,
        sent: 0,
        stats,
    }
}

struct FileBlocks {
    name: String,
    size: u64,
    sent: u64,
    stats: Arc<ServerStats>,
}

impl futures_core::Stream for FileBlocks {
    type Item = Result<bytes::Bytes, std::io::Error>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        if self.sent >= self.size {
            return std::task::Poll::Ready(None);
        }
        let n = (self.size - self.sent).min(BLOCK as u64) as usize;
        let mut block = vec![0u8; n];
        crate::content::fill(&self.name, self.sent, &mut block);
        self.sent += n as u64;
        self.stats.file_bytes.fetch_add(n as u64, Relaxed);
        std::task::Poll::Ready(Some(Ok(bytes::Bytes::from(block))))
    }
}

async fn upload(
    State(s): State<Arc<Settings>>,
    RawQuery(query): RawQuery,
    mut form: Multipart,
) -> Response {
    s.stats.requests.fetch_add(1, Relaxed);
    s.wait_out_stall().await;
    // The whole form is read before failing on purpose, so the connection stays usable.
    let (mut length, mut crc, mut file) = (None, None, None);
    loop {
        match form.next_field().await {
            Ok(Some(mut field)) => match field.name() {
                Some("file") => {
                    let name = field.file_name().unwrap_or("").to_string();
                    let mut hasher = crc32fast::Hasher::new();
                    let mut got = 0u64;
                    loop {
                        match field.chunk().await {
                            Ok(Some(chunk)) => {
                                hasher.update(&chunk);
                                got += chunk.len() as u64;
                            }
                            Ok(None) => break,
                            Err(e) => {
                                return damaged(&s, format!("the file could not be read: {e}"))
                            }
                        }
                    }
                    file = Some((name, got, hasher.finalize()));
                }
                Some(other) => {
                    let other = other.to_string();
                    match field.text().await {
                        Ok(text) if other == "length" => length = text.trim().parse::<u64>().ok(),
                        Ok(text) if other == "crc32" => {
                            crc = u32::from_str_radix(text.trim(), 16).ok()
                        }
                        Ok(_) => {}
                        Err(e) => {
                            return damaged(&s, format!("field {other} could not be read: {e}"))
                        }
                    }
                }
                None => {}
            },
            Ok(None) => break,
            Err(e) => return damaged(&s, format!("not a form: {e}")),
        }
    }
    let Some((name, got, got_crc)) = file else {
        return damaged(&s, "the form has no file field".into());
    };
    s.stats.upload_bytes.fetch_add(got, Relaxed);
    wait_latency(&query).await;
    if s.fails_now() {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "conlab's test server fails this request on purpose\n",
        )
            .into_response();
    }
    if length != Some(got) || crc != Some(got_crc) {
        return damaged(
            &s,
            format!(
                "received {name}: {got} bytes, crc32 {got_crc:08x}, but the form said {} bytes, crc32 {}",
                length.map_or("no".into(), |l| l.to_string()),
                crc.map_or("none".into(), |c| format!("{c:08x}"))
            ),
        );
    }
    s.stats.uploads_intact.fetch_add(1, Relaxed);
    format!("received {name}: {got} bytes, crc32 {got_crc:08x}, as sent\n").into_response()
}

fn damaged(s: &Settings, why: String) -> Response {
    s.stats.uploads_damaged.fetch_add(1, Relaxed);
    (StatusCode::UNPROCESSABLE_ENTITY, why + "\n").into_response()
}

/// The run's slow server for the IO scenarios: each request a GET of an empty file on a
/// connection of its own (as `requests.get` makes one), answered after the latency.
impl conlab_tokio::SlowServer for TestServer {
    fn request(
        &self,
        latency: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>>>> {
        let addr = self.addr();
        let request = crate::upload::get_request(&addr.to_string(), &io_path(latency));
        Box::pin(async move {
            let mut conn = crate::conn::Conn::connect_with_buffer(addr, 1024)
                .await
                .map_err(|e| e.to_string())?;
            let response = conn
                .exchange(&request, false, |_| {}, |_| {})
                .await
                .map_err(|e| e.to_string())?;
            match response.head.status {
                200 => Ok(()),
                code => Err(format!("HTTP {code}")),
            }
        })
    }

    fn request_blocking(
        &self,
        latency: Duration,
        give_up: &dyn Fn() -> bool,
    ) -> Result<(), String> {
        struct Ignore;
        impl crate::blocking::Progress for Ignore {
            fn connected(&mut self) {}
            fn head(&mut self, _: &crate::response::Head) {}
            fn body(&mut self, _: &[u8]) {}
        }
        let addr = self.addr();
        let timeout = latency + Duration::from_secs(30);
        let (head, _) = crate::blocking::get_until(
            addr,
            &addr.to_string(),
            &io_path(latency),
            timeout,
            &mut Ignore,
            give_up,
        )
        .map_err(|e| e.to_string())?;
        match head.status {
            200 => Ok(()),
            code => Err(format!("HTTP {code}")),
        }
    }

    fn describe(&self) -> String {
        format!(
            "real: each request an HTTP GET to conlab's test server on {}, answered after the latency",
            self.addr()
        )
    }
}

fn io_path(latency: Duration) -> String {
    format!("/files/io?size=0&latency_us={}", latency.as_micros())
}
