//! load-test: many clients send requests to an API, each on a connection it keeps alive, and
//! the run measures them as wrk does: latency percentiles (HdrHistogram), requests per second,
//! bytes each way, errors by kind. With a `rate`, requests are sent on a fixed schedule and
//! each latency is measured from the moment its request *should* have been sent (as wrk2
//! does), so a server that stalls cannot hide its stall by holding the clients back.
//!
//! The target is conlab's own test server (`POST /upload` of a form, checked by the server;
//! `GET /hello` when `payload_kb=0`) or the user's `url`. Every request is accounted for:
//! sent = succeeded + failed, whatever the server does, a server killed mid-run included.
//!
//! Stopped before its end (Ctrl-C, the page's Stop), it sends nothing more, gives the requests
//! in flight a second to finish (then counts them cut off) and reports what it measured, as a
//! run that ended would.

mod tally;

use super::target::{self, Target};
use conlab_core::sync::{select, Either};
use conlab_core::{
    Checks, LaneCtx, LaneId, LaneKind, Metric, Nanos, Params, ScenarioError, SpanState, Text,
};
use conlab_http::conn::{Conn, Failure};
use conlab_http::{content, upload, TestServer};
use conlab_tokio::{open_files, StopSignal, TokioRuntime};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tally::Tally;

/// How long one request may take before it counts as failed (`timed out`).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Requests drawn as a span each; after them, each client draws a span per 100 ms of requests.
const DRAWN_REQUESTS: u64 = 20_000;
const BATCH: Nanos = 100_000_000;
/// Error marks recorded per kind (the counts are complete; the marks show when they began).
const MARKS_PER_KIND: u64 = 20;
/// How long the series is kept at a tenth of a second per point.
const FINE_SERIES: Nanos = (tally::FINE_SECONDS * 1e9) as Nanos;
/// How long requests in flight may take to finish once the run is asked to stop (within the
/// loop's grace, [`conlab_tokio::STOP_GRACE`], which is longer).
const IN_FLIGHT_AFTER_STOP: Duration = Duration::from_millis(1000);
/// The resolution of tokio's timer: a sleep ends up to this much after its deadline.
const TIMER_TICK: Nanos = 1_000_000;
/// How long requests still in flight when a run for a duration ends may take to finish.
const END_GRACE: Nanos = 2_000_000_000;
/// A client that could not connect waits this long before it tries again, doubling up to
/// [`MOST_BACKOFF`] (a refused connection fails at once: without it, a stopped server would be
/// hammered with connects).
const FIRST_BACKOFF: Duration = Duration::from_millis(10);
const MOST_BACKOFF: Duration = Duration::from_secs(1);
/// What a client reads at a time: answers are short, and thousands of clients each hold one.
const CLIENT_BUFFER: usize = 8 * 1024;

/// What the parameters ask for.
struct Plan {
    clients: usize,
    /// Requests to send, when not run for a duration.
    requests: u64,
    /// Run for this long instead (0: send `requests`).
    duration: Nanos,
    payload: usize,
    /// Requests per second, 0 for as fast as the clients go.
    rate: u64,
    fail_percent: u64,
}

impl Plan {
    fn new(p: &Params) -> Plan {
        Plan {
            clients: p.usize("clients"),
            requests: p.count("requests") as u64,
            duration: p.duration("duration_ms").as_nanos() as Nanos,
            payload: p.usize("payload_kb") * 1024,
            rate: p.count("rate") as u64,
            fail_percent: p.count("fail_percent") as u64,
        }
    }

    /// The interval between scheduled sends, with a rate.
    fn period(&self) -> Option<f64> {
        (self.rate > 0).then(|| 1e9 / self.rate as f64)
    }

    /// How many requests the run sends, when that is known up front.
    fn scheduled(&self) -> Option<u64> {
        match (self.duration, self.period()) {
            (0, _) => Some(self.requests),
            (d, Some(period)) => Some((d as f64 / period).ceil() as u64),
            (_, None) => None,
        }
    }

    /// How long the run lasts at least: its duration, or its schedule's (with a rate).
    fn length(&self) -> Nanos {
        match (self.duration, self.period()) {
            (0, Some(period)) => (self.requests as f64 * period) as Nanos,
            (d, _) => d,
        }
    }

    fn what(&self) -> String {
        let amount = match self.duration {
            0 => conlab_core::count_of(self.requests as usize, "request", "requests"),
            d => format!("for {}", conlab_core::ms(d)),
        };
        let pace = match self.rate {
            0 => "as fast as they go".to_string(),
            r => format!("at {r} req/s, latency from each request's intended send time"),
        };
        format!(
            "{}, {amount}, {pace}",
            conlab_core::count_of(self.clients, "client", "clients")
        )
    }
}

/// Hands out requests and, with a rate, says when each is due.
struct Schedule {
    next: Cell<u64>,
    start: Nanos,
    plan: Plan,
}

impl Schedule {
    /// Takes the next request: `Some` with its intended send time (when there is a rate), or
    /// `None` when the run is done. In a run for a duration a client's `first` request is
    /// sent even when the clients were not all connected before its end (each client sends at
    /// least one, if it is due within the duration).
    fn take(&self, now: Nanos, first: bool) -> Option<Option<Nanos>> {
        let i = self.next.get();
        let due = self
            .plan
            .period()
            .map(|p| self.start + (i as f64 * p) as Nanos);
        // A run for a duration ends with it, whatever was due: requests the clients fell
        // behind on are never sent (counted as unsent).
        let more = match self.plan.duration {
            0 => i < self.plan.requests,
            d => due.unwrap_or(self.start) < self.start + d && (first || now < self.start + d),
        };
        more.then(|| {
            self.next.set(i + 1);
            due
        })
    }
}

/// What every client shares (one loop, so no locks).
struct Shared {
    main: LaneCtx<TokioRuntime>,
    schedule: Schedule,
    tally: RefCell<Tally>,
    request: Rc<[u8]>,
    addr: std::net::SocketAddr,
    drawn: Cell<u64>,
    stop: StopSignal,
}

impl Shared {
    /// The next request to send, as [`Schedule::take`]; none once the run is asked to stop.
    fn next(&self, now: Nanos, first: bool) -> Option<Option<Nanos>> {
        match self.stop.requested() {
            Some(_) => None,
            None => self.schedule.take(now, first),
        }
    }

    /// Resolves [`IN_FLIGHT_AFTER_STOP`] after the run is asked to stop: a request still in
    /// flight then is cut off, so the run reports before the loop's grace runs out.
    async fn cut_off_after_stop(&self) {
        self.stop.asked().await;
        tokio::time::sleep(IN_FLIGHT_AFTER_STOP).await;
    }

    /// Waits `d`, or less if the run is asked to stop meanwhile; whether it was.
    async fn wait_unless_stopped(&self, d: Duration) -> bool {
        matches!(
            select(tokio::time::sleep(d), self.stop.asked()).await,
            Either::Right(())
        )
    }
}

/// Why it cannot run with these parameters: a URL that is not this machine (without
/// `--allow-remote`) or cannot be resolved, a failure share asked of the user's server, or
/// more clients than the process may hold connections for.
pub fn unavailable(params: &Params) -> Option<String> {
    if let Some(why) = target::refusal(params) {
        return Some(why);
    }
    let own = params.url("url").is_none();
    if !own && params.count("fail_percent") > 0 {
        return Some(
            "fail_percent makes conlab's own test server fail requests; with url= it has no \
             effect (leave url empty, or fail_percent=0)"
                .into(),
        );
    }
    open_files::FilesNeed {
        param: "clients",
        value: params.count("clients") as u64,
        lowest: conlab_core::catalog::lowest("load-test", "clients"),
        each: if own { 2 } else { 1 },
        besides: 0,
        why: if own {
            "a connection each, a socket on either side of it"
        } else {
            "a connection each"
        },
        otherwise: None,
    }
    .refusal()
}

/// Sets conlab's own server up for a run with `params`: it fails the share of requests
/// `fail_percent` asks. (A CPython run of the lesson sets up the server it owns alike.)
pub fn prepare_own_server(server: &TestServer, params: &Params) {
    server.fail_share(params.count("fail_percent") as f64 / 100.0);
}

/// What conlab's own server counted over a run, as the metrics the checks read
/// (`server_requests`, `server_failed_on_purpose`, `server_uploads_intact`,
/// `server_uploads_damaged`): added by the native run, and to a CPython run's trace.
pub fn server_counts(server: &TestServer) -> Vec<Metric> {
    let stats = server.stats();
    let count = |key: &str, c: &AtomicU64, unit: &str| Metric {
        key: key.to_string(),
        value: c.load(Ordering::Relaxed) as f64,
        unit: unit.to_string(),
    };
    vec![
        count("server_requests", &stats.requests, "requests"),
        count(
            "server_failed_on_purpose",
            &stats.failed_on_purpose,
            "requests",
        ),
        count("server_uploads_intact", &stats.uploads_intact, "uploads"),
        count("server_uploads_damaged", &stats.uploads_damaged, "uploads"),
    ]
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let plan = Plan::new(main.params());
    let stop = main.runtime().wind_down_on_stop();
    open_files::raise_to_hard_limit();
    let target = Target::start(main.params()).await?;
    if let Some(server) = target.own() {
        prepare_own_server(server, main.params());
    }
    let (method, own_path) = match plan.payload {
        0 => ("GET", "/hello"),
        _ => ("POST", "/upload"),
    };
    let path = target.path(own_path);
    let request: Rc<[u8]> = match plan.payload {
        0 => upload::get_request(&target.host(), &path),
        n => upload::post_request(
            &target.host(),
            &path,
            "payload.bin",
            &content::bytes("payload.bin", n),
        ),
    }
    .into();
    main.print(format!(
        "{method} {} — {}",
        target.url(own_path),
        plan.what()
    ));
    if plan.payload > 0 {
        main.print(format!(
            "each request posts a form with a {} KB file ({} bytes on the wire)",
            plan.payload / 1024,
            request.len()
        ));
    }
    let clients = plan.clients;
    let start = main.now();
    let shared = Rc::new(Shared {
        schedule: Schedule {
            next: Cell::new(0),
            start,
            plan,
        },
        tally: RefCell::new(Tally::new(start)),
        request,
        addr: target.addr(),
        drawn: Cell::new(0),
        main: main.clone(),
        stop,
    });
    let mut handles = Vec::with_capacity(clients);
    for c in 0..clients {
        let lane = main
            .new_lane(LaneKind::Connection, format!("client-{}", c + 1))
            .lane();
        handles.push(tokio::task::spawn_local(client(shared.clone(), lane)));
    }
    let ticker = tokio::task::spawn_local(tick_every_second(shared.clone()));
    for handle in handles {
        if let Err(e) = handle.await {
            ticker.abort();
            return Err(ScenarioError::failed(format!(
                "a client ended unexpectedly: {e}"
            )));
        }
    }
    // A run on a schedule or for a duration lasts as long as it, even when the clients are
    // done early (the rate is measured over it).
    let until = start + shared.schedule.plan.length();
    let now = main.now();
    if until > now {
        main.during(
            SpanState::Sleeping,
            "rest of the run",
            shared.wait_unless_stopped(Duration::from_nanos(until - now)),
        )
        .await;
    }
    ticker.abort();
    let end = main.now();
    let mut tally = shared.tally.borrow_mut();
    tally.tick(end, start);
    let unsent = shared
        .schedule
        .plan
        .scheduled()
        .map_or(0, |due| due.saturating_sub(tally.sent));
    main.metric("unsent", unsent as f64, "requests");
    let stopped = shared.stop.requested().is_some();
    if stopped {
        main.print(format!(
            "stopped before its end: {} sent, those in flight given a second to finish{}",
            conlab_core::count_of(tally.sent as usize, "request", "requests"),
            match unsent {
                0 => String::new(),
                n => format!(
                    ", {} never sent",
                    conlab_core::count_of(n as usize, "request", "requests")
                ),
            }
        ));
    }
    // Requests a stop left unsent were not the clients falling behind.
    let behind = if stopped { 0 } else { unsent };
    report(&main, &tally, end - start, &shared.schedule.plan, behind);
    if let Some(server) = target.own() {
        for m in server_counts(server) {
            main.metric(&m.key, m.value, &m.unit);
        }
    }
    let answered = tally.latency.len();
    if answered == 0 && tally.sent > 0 {
        let mut kinds: Vec<String> = tally
            .errors
            .iter()
            .map(|(k, n)| format!("{n} × {k}"))
            .collect();
        kinds.truncate(3);
        return Err(ScenarioError::failed(format!(
            "no request got an answer from {}: {}",
            target.url(own_path),
            kinds.join("; ")
        )));
    }
    Ok(())
}

/// One client: takes the next request, waits for its time (with a rate), sends it on its
/// connection (opening one when it has none), and counts the outcome.
async fn client(shared: Rc<Shared>, lane: LaneId) {
    let main = &shared.main;
    let writer = main.writer();
    let mut conn: Option<Conn> = None;
    // Requests beyond the drawn ones are drawn as one span per BATCH.
    let mut batch: Option<(Nanos, Nanos, u64)> = None;
    let mut backoff = FIRST_BACKOFF;
    let plan = &shared.schedule.plan;
    // A run for a duration cuts off what is still in flight a little after its end.
    let cut_off = (plan.duration > 0).then(|| shared.schedule.start + plan.duration + END_GRACE);
    let mut first = true;
    while let Some(due) = shared.next(main.now(), first) {
        first = false;
        if let Some(due) = due {
            // tokio's timer fires up to a tick (1 ms) late: aiming a tick early sends about on
            // time, so the client's own lateness does not pass for the server's latency.
            let aim = due.saturating_sub(TIMER_TICK);
            let now = main.now();
            if aim > now
                && shared
                    .wait_unless_stopped(Duration::from_nanos(aim - now))
                    .await
            {
                break;
            }
        }
        let sent_at = main.now();
        // From the intended send time, or from the actual one when sent a little early.
        let from = due.map_or(sent_at, |due| due.min(sent_at));
        shared.tally.borrow_mut().sent += 1;
        let opened = conn.is_none();
        let limit = match cut_off {
            // A first request sent after the end (its client connected late) has the grace too.
            Some(at) => REQUEST_TIMEOUT.min(Duration::from_nanos(
                at.max(sent_at + END_GRACE).saturating_sub(sent_at),
            )),
            None => REQUEST_TIMEOUT,
        };
        let exchange = tokio::time::timeout(limit, async {
            let c = match conn.take() {
                Some(c) => c,
                None => Conn::connect_with_buffer(shared.addr, CLIENT_BUFFER).await?,
            };
            let c = conn.insert(c);
            c.exchange(&shared.request, false, |_| {}, |_| {}).await
        });
        let outcome = match select(exchange, shared.cut_off_after_stop()).await {
            Either::Left(done) => done.unwrap_or(Err(if limit < REQUEST_TIMEOUT {
                Failure::CutOff
            } else {
                Failure::TimedOut
            })),
            // Stopped, and still unanswered a while after: counted, its connection dropped.
            Either::Right(()) => {
                conn = None;
                Err(Failure::CutOff)
            }
        };
        let end = main.now();
        let refused = matches!(outcome, Err(Failure::Connect(_)));
        if !conn.as_ref().is_some_and(Conn::is_reusable) {
            conn = None;
        }
        let failed = count(&shared, lane, outcome, opened, (from, sent_at, end));
        let drawn = shared.drawn.get();
        if drawn < DRAWN_REQUESTS {
            shared.drawn.set(drawn + 1);
            let what = if failed {
                "request (failed)"
            } else {
                "request"
            };
            writer.span(lane, SpanState::InFlight, sent_at, end, Text::Static(what));
        } else {
            let (first, _, n) = batch.unwrap_or((sent_at, end, 0));
            batch = Some((first, end, n + 1));
            if end - first >= BATCH {
                flush(writer, lane, &mut batch);
            }
        }
        if refused {
            // Not past the end of a run for a duration.
            let left = match plan.duration {
                0 => backoff,
                d => Duration::from_nanos((shared.schedule.start + d).saturating_sub(end))
                    .min(backoff),
            };
            shared.wait_unless_stopped(left).await;
            backoff = (backoff * 2).min(MOST_BACKOFF);
        } else {
            backoff = FIRST_BACKOFF;
            if failed {
                // Let the other clients and the ticker run.
                tokio::task::yield_now().await;
            }
        }
    }
    flush(writer, lane, &mut batch);
    writer.end_lane(main.now(), lane);
}

/// Counts one request's outcome (`times`: intended send, actual send, end); whether it failed.
fn count(
    shared: &Shared,
    lane: LaneId,
    outcome: Result<conlab_http::conn::Response, Failure>,
    opened: bool,
    (from, sent_at, end): (Nanos, Nanos, Nanos),
) -> bool {
    let writer = shared.main.writer();
    let mut tally = shared.tally.borrow_mut();
    if opened && !matches!(outcome, Err(Failure::Connect(_))) {
        tally.connections += 1;
    }
    let failure = match outcome {
        Ok(response) => {
            tally.bytes_sent += shared.request.len() as u64;
            tally.bytes_received += response.head_bytes + response.body_bytes;
            tally.answered(end - from, end - sent_at);
            match response.head.status {
                200..=299 => None,
                code => Some(Failure::Status(code)),
            }
        }
        Err(e) => {
            if !matches!(e, Failure::Connect(_) | Failure::Write(_)) {
                tally.bytes_sent += shared.request.len() as u64;
            }
            Some(e)
        }
    };
    let failed = failure.is_some();
    match failure {
        None => tally.succeeded(),
        Some(e) => {
            let kind = e.kind();
            let seen = tally.errors.get(&kind).copied().unwrap_or(0);
            if seen < MARKS_PER_KIND {
                writer.mark(end, lane, "request_failed", Text::from(kind.clone()));
            }
            tally.failed(kind);
        }
    }
    failed
}

fn flush(writer: &conlab_core::EventWriter, lane: LaneId, batch: &mut Option<(Nanos, Nanos, u64)>) {
    if let Some((first, last, n)) = batch.take() {
        writer.span(
            lane,
            SpanState::InFlight,
            first,
            last,
            Text::from(format!("{n} requests")),
        );
    }
}

/// Every tenth of a second for the first five, then every second: closes the interval in
/// the series and says how far the run has got.
async fn tick_every_second(shared: Rc<Shared>) {
    let main = &shared.main;
    let start = shared.schedule.start;
    let total = shared.schedule.plan.scheduled();
    let mut due = start;
    loop {
        // A tenth of a second at a time for the first seconds (a short run still has a
        // series), then a second at a time (an hour's run keeps 3,600 points).
        due += if due - start < FINE_SERIES {
            100_000_000
        } else {
            1_000_000_000
        };
        let now = main.now();
        if due > now {
            tokio::time::sleep(Duration::from_nanos(due - now)).await;
        }
        let mut tally = shared.tally.borrow_mut();
        // Counted up to now, placed at the interval's planned end: a timer that fires a
        // little late does not make its interval look wider on the chart.
        tally.tick(main.now(), start);
        tally.place_last(due - start);
        // Kept up to date, so a run cut short by its time limit still says how far it got.
        main.metric("sent", tally.sent as f64, "requests");
        main.metric("succeeded", tally.ok as f64, "requests");
        main.metric("failed", tally.failed as f64, "requests");
        // The live figures a page shows under the running test (thousands separated,
        // three significant digits, as every figure of conlab is written).
        let n = conlab_core::thousands;
        let sent = match total {
            Some(total) => format!("{}/{}", n(tally.sent), n(total)),
            None => n(tally.sent),
        };
        let rate = tally.seconds.last().map_or(0.0, |s| s.per_s);
        let at = |q: f64| {
            (!tally.latency.is_empty()).then(|| tally.latency.value_at_quantile(q) as Nanos)
        };
        let so_far = |q: f64| at(q).map_or("—".to_string(), conlab_core::ms);
        main.progress(format!(
            "{} in · sent {sent} · ok {} · failed {} · {} req/s · p50 {} · p99 {} so far",
            conlab_core::ms(due - start),
            n(tally.ok),
            n(tally.failed),
            conlab_core::figure(rate),
            so_far(0.50),
            so_far(0.99),
        ));
    }
}

/// The figures, as output lines (wrk's report, and a histogram in text), metrics, marks and
/// charts. `behind`: requests due that the clients never got to send.
fn report(main: &LaneCtx<TokioRuntime>, t: &Tally, took: Nanos, plan: &Plan, behind: u64) {
    let secs = took.max(1) as f64 / 1e9;
    let l = t.summary(took);
    let ms = |ns: Nanos| ns as f64 / 1e6;
    let count = |n: u64, one: &str, many: &str| conlab_core::count_of(n as usize, one, many);
    main.print(format!(
        "requests: {} sent, {} succeeded, {} failed ({} answered), in {secs:.2} s over {}",
        conlab_core::thousands(t.sent),
        conlab_core::thousands(t.ok),
        conlab_core::thousands(t.failed),
        conlab_core::thousands(l.count),
        count(t.connections, "connection", "connections"),
    ));
    if behind > 0 {
        main.print(format!(
            "{} due on the schedule {} never sent: the clients fell behind (more clients, or a lower rate, would keep up)",
            count(behind, "request", "requests"),
            if behind == 1 { "was" } else { "were" }
        ));
    }
    if l.count == 0 {
        main.print("latency: no answers to measure");
    } else {
        main.print(format!(
        "latency (ms{}): min {:.3}  mean {:.3}  p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
        if plan.rate > 0 { ", from intended send times" } else { "" },
        ms(l.min),
        ms(l.mean),
        ms(l.p50),
        ms(l.p90),
        ms(l.p99),
        ms(l.p999),
        ms(l.max)
    ));
    }
    if plan.rate > 0 && !t.service.is_empty() {
        main.print(format!(
            "  from actual send times (what a naive tester reports): p50 {:.3}  p99 {:.3}  max {:.3}",
            ms(t.service.value_at_quantile(0.5)),
            ms(t.service.value_at_quantile(0.99)),
            ms(t.service.max())
        ));
    }
    let mb = |b: u64| b as f64 / 1e6;
    main.print(format!(
        "throughput: {} answers/s · sent {} ({}/s) · received {} ({}/s)",
        conlab_core::figure(l.throughput_per_s),
        bytes(t.bytes_sent as f64),
        bytes(t.bytes_sent as f64 / secs),
        bytes(t.bytes_received as f64),
        bytes(t.bytes_received as f64 / secs)
    ));
    if !t.errors.is_empty() {
        let mut kinds: Vec<(&String, &u64)> = t.errors.iter().collect();
        kinds.sort_by_key(|(_, n)| std::cmp::Reverse(**n));
        let text: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} × {k}")).collect();
        main.print(format!("errors: {}", text.join("; ")));
    }
    for (kind, n) in &t.errors {
        main.mark("errors", Text::from(format!("{n}\t{kind}")));
    }
    let histogram = t.histogram_chart();
    let tallest = histogram.points.iter().map(|p| p[1]).fold(0.0, f64::max);
    if tallest > 0.0 {
        main.print("latency histogram (ms, up to):");
        for [edge, count] in &histogram.points {
            let bar = "#".repeat(((count / tallest) * 40.0).round() as usize);
            main.print(format!("  {edge:>10.3} {count:>9} {bar}"));
        }
    }
    main.metric("sent", t.sent as f64, "requests");
    main.metric("succeeded", t.ok as f64, "requests");
    main.metric("failed", t.failed as f64, "requests");
    main.metric("requests_per_s", l.throughput_per_s, "req/s");
    main.metric("mb_sent", mb(t.bytes_sent), "MB");
    main.metric("mb_received", mb(t.bytes_received), "MB");
    main.metric("mb_per_s_sent", mb(t.bytes_sent) / secs, "MB/s");
    main.metric("mb_per_s_received", mb(t.bytes_received) / secs, "MB/s");
    main.metric("connections", t.connections as f64, "connections");
    if !t.service.is_empty() {
        main.metric(
            "service_p99_ms",
            ms(t.service.value_at_quantile(0.99)),
            "ms",
        );
    }
    main.measured_latency(l);
    main.chart(histogram);
    for chart in t.series_charts() {
        main.chart(chart);
    }
}

/// A number of bytes as a person reads it: `812 B`, `64.0 KB`, `9.94 GB` (powers of 1000).
fn bytes(b: f64) -> String {
    match b {
        b if b < 1e3 => format!("{b:.0} B"),
        b if b < 1e6 => format!("{:.1} KB", b / 1e3),
        b if b < 1e9 => format!("{:.2} MB", b / 1e6),
        b => format!("{:.2} GB", b / 1e9),
    }
}

/// Checks, from the figures and marks the run recorded.
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let metric = |k: &str| t.metrics.extra(k).unwrap_or(-1.0) as i64;
    let (sent, ok, failed) = (metric("sent"), metric("succeeded"), metric("failed"));
    let unsent = metric("unsent");
    let by_kind: Vec<(i64, &str)> = t
        .marks_named("errors")
        .filter_map(|m| m.detail.split_once('\t'))
        .map(|(n, k)| (n.parse().unwrap_or(-1), k))
        .collect();
    let kinds_total: i64 = by_kind.iter().map(|(n, _)| n).sum();
    let plan = Plan::new(c.params);
    let expected = plan.scheduled();
    c.check(
        "every-request-accounted",
        "every request sent is accounted for: sent = succeeded + failed, failures counted by kind",
        sent >= 0
            && sent == ok + failed
            && kinds_total == failed
            && unsent >= 0
            && expected.is_none_or(|e| sent + unsent == e as i64),
        {
            let n = conlab_core::grouped;
            let sent_as = match (expected, unsent) {
                (None, _) => format!("{} sent", n(sent)),
                (Some(e), 0) if e as i64 == sent => format!("{} sent, as scheduled", n(sent)),
                (Some(e), 0) => format!("{} sent of {} scheduled", n(sent), n(e as i64)),
                (Some(e), u) => format!(
                    "{} sent of {} scheduled ({} never sent: behind schedule)",
                    n(sent),
                    n(e as i64),
                    n(u)
                ),
            };
            format!(
                "{sent_as}, {} succeeded, {} failed ({} by kind)",
                n(ok),
                n(failed),
                n(kinds_total)
            )
        },
    );
    let latency = t.metrics.latency;
    // The histogram's bars hold every answer once.
    let bars = t
        .charts
        .iter()
        .find(|ch| ch.key == "latency_histogram")
        .map(|ch| ch.points.iter().map(|p| p[1]).sum::<f64>());
    c.check(
        "percentiles-ordered",
        "every response has a latency, and min ≤ p50 ≤ p90 ≤ p99 ≤ p99.9 ≤ max",
        latency.is_some_and(|l| {
            l.min <= l.p50
                && l.p50 <= l.p90
                && l.p90 <= l.p99
                && l.p99 <= l.p999
                && l.p999 <= l.max
                && bars == Some(l.count as f64)
        }),
        match latency {
            Some(l) => format!(
                "{} latencies: {} ≤ {} ≤ {} ≤ {} ≤ {} ≤ {}",
                conlab_core::thousands(l.count),
                conlab_core::ms(l.min),
                conlab_core::ms(l.p50),
                conlab_core::ms(l.p90),
                conlab_core::ms(l.p99),
                conlab_core::ms(l.p999),
                conlab_core::ms(l.max)
            ),
            None => "no latency recorded".into(),
        },
    );
    // The rest needs conlab's own server, which counts what it saw.
    if c.params.url("url").is_some() {
        return;
    }
    let server = metric("server_requests");
    c.check(
        "server-saw-every-request",
        "conlab's server received every request sent, and failed on purpose exactly the share asked",
        server == sent
            && metric("server_failed_on_purpose") == sent * plan.fail_percent as i64 / 100
            && by_kind
                .iter()
                .all(|(n, k)| *k == "HTTP 500" && *n == metric("server_failed_on_purpose")),
        format!(
            "server received {}; failed {} on purpose ({}% asked); failures by kind: {}",
            conlab_core::of(server.max(0) as u64, sent.max(0) as u64),
            conlab_core::grouped(metric("server_failed_on_purpose")),
            plan.fail_percent,
            if by_kind.is_empty() {
                "none".to_string()
            } else {
                by_kind.iter().map(|(n, k)| format!("{} × {k}", conlab_core::grouped(*n))).collect::<Vec<_>>().join("; ")
            }
        ),
    );
    if plan.payload > 0 {
        let (intact, damaged) = (
            metric("server_uploads_intact"),
            metric("server_uploads_damaged"),
        );
        c.check(
            "uploads-intact",
            "the server found every upload intact (length and CRC-32 as the form said)",
            damaged == 0 && intact == ok,
            format!(
                "{} intact, {} damaged, {} succeeded",
                conlab_core::grouped(intact),
                conlab_core::grouped(damaged),
                conlab_core::grouped(ok)
            ),
        );
    }
}

/// About how many events it records: the first 20,000 requests a span each, then a span per
/// client per 100 ms of the run (as long as its estimate), two events a span.
pub fn trace_events(p: &Params) -> u64 {
    let first = (p.usize("requests") as u64).min(20_000);
    let later = p.usize("clients") as u64 * (expected(p).as_millis() as u64 / 100 + 1);
    (first + later) * 2 + 256
}

/// About how long a run takes: its duration, its schedule, or its requests at a few thousand
/// a second (and its bytes at a few hundred MB/s).
pub fn expected(p: &Params) -> Duration {
    let plan = Plan::new(p);
    let run = match (plan.duration, plan.period()) {
        (0, Some(period)) => Duration::from_nanos((plan.requests as f64 * period) as u64),
        (0, None) => {
            let per_request = 1e9 / 5_000.0 + plan.payload as f64 / 300e6 * 1e9;
            Duration::from_nanos(
                (plan.requests as f64 * per_request / plan.clients.min(2) as f64) as u64,
            )
        }
        (d, _) => Duration::from_nanos(d),
    };
    run + Duration::from_millis(500)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
