//! web-api: an HTTP API served in-process by axum on a loopback port, with a plain handler that
//! blocks (like a synchronous framework's view) and async handlers backed by Redis and by a
//! MySQL pool. Concurrent users hit each endpoint: the async ones serve them together; the
//! blocking one holds the server's only thread and serves them one at a time.

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use conlab_core::{
    Checks, EventWriter, LaneCtx, LaneKind, Nanos, ScenarioError, SpanState, TaskGroup, Text,
};
use conlab_servers::redact_url;
use conlab_tokio::{NativeClock, ScenarioFuture, TokioRuntime};
use mysql_async::prelude::Queryable;
use redis::AsyncCommands;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ENDPOINTS: [&str; 3] = ["/redis", "/mysql", "/plain"];

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

async fn plain(State(app): State<Arc<App>>) -> &'static str {
    let start = app.clock.now();
    // The anti-pattern: a blocking call in an async handler holds the server's thread.
    std::thread::sleep(app.handler);
    app.record("/plain", SpanState::Blocking, start);
    "plain: done\n"
}

async fn with_redis(State(app): State<Arc<App>>) -> Result<String, String> {
    let start = app.clock.now();
    tokio::time::sleep(app.handler).await;
    let mut con = app.redis.clone();
    let hits: i64 = con
        .incr(&app.hits_key, 1)
        .await
        .map_err(|e| e.to_string())?;
    app.record("/redis", SpanState::InFlight, start);
    Ok(format!("redis: hit {hits}\n"))
}

async fn with_mysql(State(app): State<Arc<App>>) -> Result<String, String> {
    let start = app.clock.now();
    let mut conn = app.mysql.get_conn().await.map_err(|e| e.to_string())?;
    let slept: Option<i64> = conn
        .exec_first("SELECT SLEEP(?)", (app.handler.as_secs_f64(),))
        .await
        .map_err(|e| e.to_string())?;
    drop(conn);
    app.record("/mysql", SpanState::InFlight, start);
    Ok(format!("mysql: slept, returned {}\n", slept.unwrap_or(-1)))
}

/// One GET over a fresh connection, HTTP/1.1 written by hand; returns the status code.
async fn get_status(port: u16, path: &str) -> std::io::Result<u16> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await?;
    let head = String::from_utf8_lossy(&response);
    head.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))
}

/// Runs the scenario. `urls` holds the Redis URL, then the MySQL URL.
pub fn run(main: LaneCtx<TokioRuntime>, urls: Vec<String>, run_id: String) -> ScenarioFuture {
    Box::pin(async move {
        let users = main.params().usize("users");
        let handler = main.params().duration("handler_ms");
        let (redis_url, mysql_url) = (urls[0].clone(), urls[1].clone());
        // A backlog big enough for every user connecting at once (std's default is 128; a
        // burst beyond it waits out SYN retries and measures the kernel, not the API).
        let bind = || -> std::io::Result<std::net::TcpListener> {
            let socket = tokio::net::TcpSocket::new_v4()?;
            socket.bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))?;
            socket.listen(4096)?.into_std()
        };
        let listener =
            bind().map_err(|e| ScenarioError::failed(format!("no loopback listener: {e}")))?;
        let port = listener
            .local_addr()
            .map_err(|e| ScenarioError::failed(e.to_string()))?
            .port();
        let (writer, clock) = (main.writer().clone(), main.runtime().clock().clone());
        let hits_key = format!("conlab:{run_id}:hits");
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<Result<(), String>>();
        let pool_size = users.clamp(1, 64);
        // One thread: the async handlers interleave on it, the blocking one stops it.
        let server = conlab_tokio::spawn_loop_thread("web-server", move || async move {
            let setup = async {
                let redis = redis::Client::open(redis_url.as_str())
                    .map_err(|e| e.to_string())?
                    .get_multiplexed_async_connection()
                    .await
                    .map_err(|e| format!("Redis at {}: {e}", redact_url(&redis_url)))?;
                let opts = mysql_async::Opts::from_url(&mysql_url).map_err(|e| e.to_string())?;
                let constraints =
                    mysql_async::PoolConstraints::new(0, pool_size).ok_or("bad pool size")?;
                let mysql = mysql_async::Pool::new(
                    mysql_async::OptsBuilder::from_opts(opts)
                        .pool_opts(mysql_async::PoolOpts::default().with_constraints(constraints)),
                );
                let listener =
                    tokio::net::TcpListener::from_std(listener).map_err(|e| e.to_string())?;
                Ok::<_, String>((redis, mysql, listener))
            };
            let (redis, mysql, listener) = match setup.await {
                Ok(parts) => parts,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
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
            let _ = ready_tx.send(Ok(()));
            let _ = axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
            let _ = mysql.disconnect().await;
        })
        .map_err(|e| ScenarioError::failed(format!("could not start the server thread: {e}")))?;
        match ready_rx.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                return Err(ScenarioError::failed(format!(
                    "the web server could not start: {e}"
                )))
            }
            Err(_) => {
                return Err(ScenarioError::failed(
                    "the web server thread ended at start",
                ))
            }
        }
        main.print(format!(
            "serving on http://127.0.0.1:{port} with {users} concurrent users per endpoint"
        ));

        let mut outcome = Ok(());
        for path in ENDPOINTS {
            main.mark("phase_start", path);
            let start = main.now();
            let group = TaskGroup::new();
            for u in 0..users {
                let lane = main.new_lane(LaneKind::Connection, format!("user-{u} {path}"));
                group.spawn(main.runtime(), async move {
                    let rt = lane.runtime().clone();
                    let status = lane
                        .during(
                            SpanState::InFlight,
                            Text::Static(path),
                            conlab_core::sync::timeout(
                                &rt,
                                Duration::from_secs(120),
                                get_status(port, path),
                            ),
                        )
                        .await;
                    lane.end();
                    match status {
                        Ok(Ok(code)) => code,
                        _ => 0,
                    }
                });
            }
            let codes = main
                .during(SpanState::WaitingJoin, "users", group.join_all())
                .await;
            let ok = codes.iter().filter(|c| **c == 200).count();
            let took = main.now() - start;
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
                outcome = Err(ScenarioError::failed(format!(
                    "{path}: only {ok} of {users} requests succeeded"
                )));
                break;
            }
        }
        let _ = stop_tx.send(());
        let _ = server.join();
        if let Ok(client) = redis::Client::open(urls[0].as_str()) {
            if let Ok(mut con) = client.get_multiplexed_async_connection().await {
                let _ = crate::redis::delete_run_keys(&mut con, &run_id).await;
            }
        }
        outcome
    })
}

/// Checks, from the recorded client and handler spans: the async endpoints serve all users
/// together (~ one handler time); the blocking endpoint serves them one at a time (~ users x
/// handler time), its handlers never overlapping.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let users = c.params.usize("users");
    let handler = c.params.duration("handler_ms");
    let phases = crate::checks::phases(t);
    c.check(
        "all-answered",
        "every user's request is answered on every endpoint",
        phases.len() == 3 && phases.iter().all(|p| p.1 == users),
        format!("{phases:?}"),
    );
    let took = |path: &str| {
        phases
            .iter()
            .find(|p| p.0 == path)
            .map_or(u64::MAX, |p| p.2)
    };
    // Each request also costs a connection and a bit of the server's one thread; allow up to
    // half a millisecond of that per user on top of the handler time.
    let (lo, hi) = c.tolerance.window(handler.as_nanos() as Nanos);
    let hi = hi + users as Nanos * 500_000;
    for (id, path, what) in [
        (
            "redis-concurrent",
            "/redis",
            "the async Redis endpoint serves users together: ~ one handler time",
        ),
        (
            "mysql-concurrent",
            "/mysql",
            "the async MySQL endpoint serves users together: ~ one handler time",
        ),
    ] {
        let got = took(path);
        c.check(
            id,
            what,
            (lo..=hi).contains(&got),
            format!(
                "measured {}, allowed {}..{}",
                conlab_core::ms(got),
                conlab_core::ms(lo),
                conlab_core::ms(hi)
            ),
        );
    }
    c.about(
        "plain-serialized",
        "the blocking handler serves them one at a time: ~ users x handler time",
        took("/plain"),
        handler * users as u32,
    );
    let mut blocking = t.intervals(SpanState::Blocking);
    blocking.sort_unstable();
    c.check(
        "blocking-never-overlaps",
        "the blocking handlers never overlap",
        blocking.len() == users && blocking.windows(2).all(|w| w[1].0 >= w[0].1),
        format!("{} blocking handler runs", blocking.len()),
    );
}
