//! web-api: an HTTP API served in-process by axum on a loopback port, with a plain handler that
//! blocks (like a synchronous framework's view) and async handlers backed by Redis and by a
//! MySQL pool. Concurrent users hit each endpoint: the async ones serve them together; the
//! blocking one holds the server's only thread and serves them one at a time.
//!
//! Every user holds two open files while its request runs (its socket and the server's side of
//! the connection): the run raises the process's open-files limit as far as it may and refuses
//! up front, naming `users`, when that is still too few. A request that fails is recorded with
//! its reason (`request_failed`), and so is an `accept` the server could not make.

use crate::mysql::{keeping_pool, warm};
use crate::redis::{connection_config, COMMAND_TIMEOUT};
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::Router;
use conlab_core::{
    Checks, EventWriter, LaneCtx, LaneId, LaneKind, Nanos, ScenarioError, SpanState, TaskGroup,
    Text,
};
use conlab_servers::redact_url;
use conlab_tokio::open_files;
use conlab_tokio::{NativeClock, ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use redis::AsyncCommands;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENDPOINTS: [&str; 3] = ["/redis", "/mysql", "/plain"];

/// The MySQL endpoint's pool holds at most this many connections (fewer for fewer users):
/// beyond it, users wait for a connection and are served in waves of the pool.
const MYSQL_POOL: usize = 64;
/// Open files each user holds while its request runs: its socket and the server's side.
const FILES_PER_USER: u64 = 2;
/// What each request costs beyond its handler, at most: a connection set up and taken down
/// and a turn of the server's one thread (allowed on top of the predicted times).
const PER_REQUEST: Nanos = 500_000;
/// The same for a request to the MySQL endpoint, whose handler also takes a connection from
/// the pool and makes a round trip to the server (measured at about 0.6 ms here).
const PER_MYSQL_REQUEST: Nanos = 1_200_000;

/// The MySQL endpoint's pool size for `users`.
fn mysql_pool_size(users: usize) -> usize {
    users.clamp(1, MYSQL_POOL)
}

/// What the handlers share: the recorder, the clock, the pools.
struct App {
    writer: std::sync::Mutex<EventWriter>,
    clock: NativeClock,
    handler: Duration,
    redis: redis::aio::MultiplexedConnection,
    mysql: mysql_async::Pool,
    hits_key: String,
}

impl App {
    /// Records one handler invocation on a lane of its own.
    fn record(&self, name: &'static str, state: SpanState, start: Nanos) {
        let w = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let lane = w.new_lane(start, LaneKind::Server, format!("handler {name}"));
        w.span(lane, state, start, self.clock.now(), Text::Static(name));
        w.end_lane(self.clock.now(), lane);
    }
}

/// A handler's failure, answered as a 500 with the reason (a plain `Err(String)` would be
/// answered as a 200, and the user would count it as served).
fn server_error(e: impl std::fmt::Display) -> (StatusCode, String) {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("{e}\n"))
}

/// The server's listener: accepts as axum's does, but a failed `accept` (out of open files,
/// say) is recorded as an `accept_failed` mark and counted for the run's report, and tried
/// again after 10 ms rather than axum's silent second.
struct RecordingListener {
    inner: tokio::net::TcpListener,
    writer: EventWriter,
    clock: NativeClock,
    lane: Option<LaneId>,
    failures: Arc<std::sync::Mutex<Vec<String>>>,
}

impl axum::serve::Listener for RecordingListener {
    type Io = tokio::net::TcpStream;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            match self.inner.accept().await {
                Ok(accepted) => return accepted,
                Err(e) => {
                    let now = self.clock.now();
                    let lane = *self.lane.get_or_insert_with(|| {
                        self.writer
                            .new_lane(now, LaneKind::Server, "web-server accept")
                    });
                    let why = e.to_string();
                    self.writer
                        .mark(now, lane, "accept_failed", Text::from(why.clone()));
                    self.failures
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(why);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

async fn plain(State(app): State<Arc<App>>) -> &'static str {
    let start = app.clock.now();
    // The anti-pattern: a blocking call in an async handler holds the server's thread.
    std::thread::sleep(app.handler);
    app.record("/plain", SpanState::Blocking, start);
    "plain: done\n"
}

async fn with_redis(State(app): State<Arc<App>>) -> Result<String, (StatusCode, String)> {
    let start = app.clock.now();
    tokio::time::sleep(app.handler).await;
    let mut con = app.redis.clone();
    let hits: i64 = con.incr(&app.hits_key, 1).await.map_err(server_error)?;
    app.record("/redis", SpanState::InFlight, start);
    Ok(format!("redis: hit {hits}\n"))
}

async fn with_mysql(State(app): State<Arc<App>>) -> Result<String, (StatusCode, String)> {
    let start = app.clock.now();
    let mut conn = app.mysql.get_conn().await.map_err(server_error)?;
    let slept: Option<i64> = conn
        .exec_first("SELECT SLEEP(?)", (app.handler.as_secs_f64(),))
        .await
        .map_err(server_error)?;
    drop(conn);
    app.record("/mysql", SpanState::InFlight, start);
    Ok(format!("mysql: slept, returned {}\n", slept.unwrap_or(-1)))
}

/// How one user's request went wrong, in a few words (the same words for the same cause, so
/// they can be counted).
#[derive(Debug)]
enum Failure {
    /// Opening the connection failed.
    Connect(std::io::Error),
    /// Sending the request or reading the answer failed.
    Exchange(std::io::Error),
    /// The answer was not a 200: its status and the first line of its body.
    Status(u16, String),
    /// The answer was not HTTP.
    NoStatus,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = |e: &std::io::Error| match e.raw_os_error() {
            // The OS's words ("Too many open files (os error 24)"), not only the kind's.
            Some(_) => e.to_string(),
            None => e.kind().to_string(),
        };
        match self {
            Failure::Connect(e) => write!(f, "connect: {}", kind(e)),
            Failure::Exchange(e) => write!(f, "request/response: {}", kind(e)),
            Failure::Status(code, said) => write!(f, "HTTP status {code}: {said}"),
            Failure::NoStatus => write!(f, "no HTTP status line"),
        }
    }
}

/// One GET over a fresh connection, HTTP/1.1 written by hand; a 200, or why not.
async fn user_get(port: u16, path: &str) -> Result<(), Failure> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(Failure::Connect)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(Failure::Exchange)?;
    // Its answers are a few bytes; a megabyte is more than any.
    let mut response = Vec::new();
    (&mut stream)
        .take(1 << 20)
        .read_to_end(&mut response)
        .await
        .map_err(Failure::Exchange)?;
    let text = String::from_utf8_lossy(&response);
    match text.split(' ').nth(1).and_then(|c| c.parse().ok()) {
        Some(200) => Ok(()),
        Some(code) => {
            let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
            let said: String = body
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(120)
                .collect();
            Err(Failure::Status(code, said))
        }
        None => Err(Failure::NoStatus),
    }
}

/// Reasons counted, most frequent first: "6 x connect: Connection refused (os error 111)".
fn count_reasons<'a>(reasons: impl Iterator<Item = &'a str>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in reasons {
        *counts.entry(r).or_default() += 1;
    }
    let mut counts: Vec<(&str, usize)> = counts.into_iter().collect();
    counts.sort_by_key(|c| std::cmp::Reverse(c.1));
    counts
        .iter()
        .map(|(r, n)| format!("{n} x {r}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Runs the scenario. `urls` holds the Redis URL, then the MySQL URL.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let users = main.params().usize("users");
        let handler = main.params().duration("handler_ms");
        let (redis_url, mysql_url) = (urls[0].clone(), urls[1].clone());
        // Whether this process may open enough files was asked before the run started
        // (`unavailable`); FILES_RESERVE covers what the run itself opens since.
        let pool_size = mysql_pool_size(users);
        open_files::raise_to_hard_limit();
        let listener = conlab_http::serve::loopback_listener()
            .map_err(|e| ScenarioError::failed(format!("no loopback listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| ScenarioError::failed(e.to_string()))?
            .port();
        let (writer, clock) = (main.writer().clone(), *main.runtime().clock());
        let hits_key = format!("conlab:{run_id}:hits");
        let accept_failures = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let listener_failures = accept_failures.clone();
        // One thread: the async handlers interleave on it, the blocking one stops it.
        let server =
            conlab_http::serve::start("web-server", listener, move |listener| async move {
                // INCR is quick: the slack of a command is its limit.
                let config = connection_config(Some(COMMAND_TIMEOUT));
                let redis = redis::Client::open(redis_url.as_str())
                    .map_err(|e| e.to_string())?
                    .get_multiplexed_async_connection_with_config(&config)
                    .await
                    .map_err(|e| format!("Redis at {}: {e}", redact_url(&redis_url)))?;
                // The pool's connections are opened before the users come, so the phases
                // measure the endpoint, not connections being set up.
                let mysql = keeping_pool(&mysql_url, pool_size)?;
                warm(&mysql, pool_size)
                    .await
                    .map_err(|e| format!("MySQL at {}: {e}", redact_url(&mysql_url)))?;
                let listener = RecordingListener {
                    inner: listener,
                    writer: writer.clone(),
                    clock,
                    lane: None,
                    failures: listener_failures,
                };
                let app = Arc::new(App {
                    writer: std::sync::Mutex::new(writer),
                    clock,
                    handler,
                    redis,
                    mysql: mysql.clone(),
                    hits_key,
                });
                let router = Router::new()
                    .route("/plain", get(plain))
                    .route("/redis", get(with_redis))
                    .route("/mysql", get(with_mysql))
                    .with_state(app);
                let after: std::pin::Pin<Box<dyn std::future::Future<Output = ()>>> =
                    Box::pin(async move {
                        let _ = mysql.disconnect().await;
                    });
                Ok(conlab_http::serve::Serving {
                    router,
                    listener,
                    after: Some(after),
                })
            })
            .await
            .map_err(|e| ScenarioError::failed(format!("the web server could not start: {e}")))?;
        main.print(format!(
            "serving on http://127.0.0.1:{port} with {users} concurrent users per endpoint"
        ));

        // The blocking endpoint answers the last user after every other user's handler.
        let request_limit = handler * users as u32 + Duration::from_secs(30);
        let mut outcome = Ok(());
        for path in ENDPOINTS {
            main.phase_start(path);
            let start = main.now();
            let group = TaskGroup::new();
            for u in 0..users {
                let lane = main.new_lane(LaneKind::Connection, format!("user-{} {path}", u + 1));
                group.spawn(main.runtime(), async move {
                    let rt = lane.runtime().clone();
                    let answer = lane
                        .during(
                            SpanState::InFlight,
                            Text::Static(path),
                            conlab_core::sync::timeout(&rt, request_limit, user_get(port, path)),
                        )
                        .await;
                    let failure = match answer {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(e.to_string()),
                        Err(_) => Some(format!(
                            "no answer within {}",
                            conlab_core::ms(request_limit.as_nanos() as Nanos)
                        )),
                    };
                    if let Some(why) = &failure {
                        lane.mark("request_failed", Text::from(format!("{path} {why}")));
                    }
                    lane.end();
                    failure
                });
            }
            let answers = main
                .during(SpanState::WaitingJoin, "users", group.join_all())
                .await;
            let failures = count_reasons(answers.iter().flatten().map(String::as_str));
            let ok = answers.iter().filter(|a| a.is_none()).count();
            let took = main.now() - start;
            main.phase_end(path);
            main.mark("phase_done", Text::from(format!("{path} {ok} {took}")));
            main.metric(
                &format!("requests_per_s{}", path.replace('/', "_")),
                ok as f64 / (took.max(1) as f64 / 1e9),
                "req/s",
            );
            main.print(format!(
                "{path}: {ok}/{users} answered in {}",
                conlab_core::ms(took)
            ));
            if ok != users {
                let refused = accept_failures
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                let server_side = if refused.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; the server could not accept: {}",
                        count_reasons(refused.iter().map(String::as_str))
                    )
                };
                outcome = Err(ScenarioError::failed(format!(
                    "{path}: only {ok} of {users} requests succeeded ({failures}){server_side}"
                )));
                break;
            }
        }
        server.stop();
        if let Ok(client) = redis::Client::open(urls[0].as_str()) {
            let config = connection_config(Some(COMMAND_TIMEOUT));
            if let Ok(mut con) = client
                .get_multiplexed_async_connection_with_config(&config)
                .await
            {
                let _ = crate::redis::delete_run_keys(&mut con, &run_id).await;
            }
        }
        outcome
    })
}

/// Checks, from the recorded client and handler spans: the async Redis endpoint serves all
/// users together (~ one handler time); the MySQL one in waves of its pool (~ ceil(users /
/// pool) handler times, one when the pool has a connection for every user); the blocking
/// endpoint serves them one at a time (~ users x handler time), its handlers never
/// overlapping. Every request may also cost up to `PER_REQUEST` of its own.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let users = c.params.usize("users");
    let handler = c.params.duration("handler_ms");
    let phases = crate::checks::phases(t);
    let failed = count_reasons(
        t.marks_named("request_failed")
            .chain(t.marks_named("accept_failed"))
            .map(|m| m.detail.as_str()),
    );
    c.check(
        "all-answered",
        "every user's request is answered on every endpoint",
        phases.len() == 3 && phases.iter().all(|p| p.1 == users),
        if failed.is_empty() {
            crate::checks::phases_text(&phases)
        } else {
            format!("{}; failed: {failed}", crate::checks::phases_text(&phases))
        },
    );
    let took: Vec<Nanos> = ENDPOINTS
        .iter()
        .map(|path| c.phase_length(path).unwrap_or(u64::MAX))
        .collect();
    let took = |path: &str| {
        ENDPOINTS
            .iter()
            .position(|p| *p == path)
            .map_or(u64::MAX, |i| took[i])
    };
    // Each time is predicted from the parameters, within the runtime's tolerance; each request
    // also costs a connection and a turn of the server's one thread, allowed on top. Served
    // together and served one at a time must differ by more than that to be told apart.
    let requests = |per: Nanos| {
        (
            users as Nanos * per,
            format!(
                "{} at up to {} each",
                conlab_core::count_of(users, "request", "requests"),
                conlab_core::ms(per)
            ),
        )
    };
    let one_at_a_time = handler * users as u32;
    let (extra, because) = requests(PER_REQUEST);
    c.time(
        "redis-concurrent",
        "the async Redis endpoint serves users together: ~ one handler time",
        took("/redis"),
    )
    .about(handler)
    .plus(extra, because.clone())
    .unlike(one_at_a_time, "the users served one at a time")
    .judge();
    // The MySQL endpoint's users share its pool: beyond its size they wait for a connection,
    // and "one handler time" is one per wave of the pool. (The description is the one the
    // recorded playground run and its translations carry.)
    let pool = mysql_pool_size(users);
    let waves = users.div_ceil(pool) as u32;
    let (mysql_extra, mysql_because) = requests(PER_MYSQL_REQUEST);
    let mysql_because = match waves {
        1 => mysql_because,
        n => format!("{n} waves of a pool of {pool}; {mysql_because}"),
    };
    c.time(
        "mysql-concurrent",
        "the async MySQL endpoint serves users together: ~ one handler time",
        took("/mysql"),
    )
    .about(handler * waves)
    .plus(mysql_extra, mysql_because)
    .unlike(one_at_a_time, "the users served one at a time")
    .judge();
    c.time(
        "plain-serialized",
        "the blocking handler serves them one at a time: ~ users x handler time",
        took("/plain"),
    )
    .about(one_at_a_time)
    .plus(extra, because)
    .unlike(handler, "the users served together")
    .judge();
    let mut blocking = t.intervals(SpanState::Blocking);
    blocking.sort_unstable();
    c.check(
        "blocking-never-overlaps",
        "the blocking handlers never overlap",
        blocking.len() == users && blocking.windows(2).all(|w| w[1].0 >= w[0].1),
        format!("{} blocking handler runs", blocking.len()),
    );
}

/// Why this process cannot run it with these parameters, if it cannot: every user's connection
/// holds an open file on each side, and the process may open only so many (its hard
/// RLIMIT_NOFILE, to which the soft limit is raised). Asked before the run starts.
pub fn unavailable(params: &conlab_core::Params) -> Option<String> {
    let users = params.usize("users");
    open_files::FilesNeed {
        param: "users",
        value: users as u64,
        lowest: conlab_core::catalog::lowest("web-api", "users"),
        each: FILES_PER_USER,
        besides: mysql_pool_size(users) as u64,
        why: "a socket on each side of every user's connection, and the MySQL pool's",
        otherwise: None,
    }
    .refusal()
}

/// About how long a run takes: every user's handler one by one on the blocking endpoint, one handler on each async one.
pub fn expected(p: &conlab_core::Params) -> std::time::Duration {
    let users = p.usize("users");
    // Each user's three requests cost what the checks allow them beyond their handlers.
    let per_user = PER_REQUEST * 2 + PER_MYSQL_REQUEST;
    p.duration("handler_ms") * (users as u32 + 2)
        + std::time::Duration::from_nanos(per_user * users as Nanos)
}

#[cfg(test)]
mod tests {
    use super::count_reasons;

    #[test]
    fn reasons_are_counted_most_frequent_first() {
        let check = |reasons: &[&str], expected: &str| {
            assert_eq!(count_reasons(reasons.iter().copied()), expected);
        };
        check(&[], "");
        check(
            &["connect: refused", "HTTP status 500: x", "connect: refused"],
            "2 x connect: refused; 1 x HTTP status 500: x",
        );
    }
}
