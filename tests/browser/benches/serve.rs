//! `conlab serve` as a user runs it (the release binary, `just bench` builds it), on loopback:
//!
//! 1. time from clicking **Run natively** to the first drawn lane, in headless Chromium
//!    (target <= 100 ms), beside the floor: the same page's own Run of a browser scenario;
//! 2. the event stream of event-loop-choice with 10,000 tasks: events delivered per second,
//!    and that none was dropped (every span, mark and line the run recorded up to the last
//!    message arrived), beside the recording rate of the run itself;
//! 3. concurrent live runs, each streamed to a reader: API latency and the page's
//!    click-to-first-lane while they go on.

use conlab_browser_tests::*;
use conlab_core::Trace;
use conlab_wire::{apply, Delta};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `conlab serve` started as a process, stopped on drop.
struct Serve {
    child: Child,
    addr: SocketAddr,
    _store: tempfile::TempDir,
}

impl Serve {
    fn start(max_running: usize) -> Serve {
        let binary = workspace().join("target/release/conlab");
        assert!(
            binary.exists(),
            "{} is not built: cargo build --release -p conlab",
            binary.display()
        );
        let store = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args(["serve", "--bind", "127.0.0.1:0", "--max-queued", "64"])
            .args(["--max-running", &max_running.to_string()])
            .arg("--store")
            .arg(store.path())
            .arg("--web-dir")
            .arg(workspace().join("web/dist-served"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("conlab serve starts");
        let mut first = String::new();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        out.read_line(&mut first).unwrap();
        // Read on, so its later lines never meet a closed pipe.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = first
            .trim()
            .strip_prefix("conlab serve: http://")
            .unwrap_or("");
        let addr = url.trim_end_matches('/').parse().expect("its address");
        Serve {
            child,
            addr,
            _store: store,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    s
}

fn call(addr: SocketAddr, method: &str, path: &str, body: Option<&str>) -> String {
    let mut s = request(addr, method, path, body);
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    out.split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

fn start_run(addr: SocketAddr, scenario: &str, params: &str) -> String {
    let body = format!(r#"{{"scenario":"{scenario}","params":{{{params}}}}}"#);
    let answer = call(addr, "POST", "/api/runs", Some(&body));
    let v: serde_json::Value = serde_json::from_str(&answer).expect(&answer);
    v["id"].as_str().expect(&answer).to_string()
}

/// Reads a run's event stream as it arrives: (arrival, event, data) for each message.
fn stream(addr: SocketAddr, id: &str) -> (Vec<(Instant, String, String)>, usize) {
    let mut s = request(addr, "GET", &format!("/api/runs/{id}/events"), None);
    let mut raw = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut decoded = String::new();
    let mut events = Vec::new();
    let mut head_done = false;
    loop {
        let n = s.read(&mut buf).unwrap_or(0);
        if n == 0 {
            break;
        }
        let now = Instant::now();
        raw.extend_from_slice(&buf[..n]);
        if !head_done {
            let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                continue;
            };
            raw.drain(..at + 4);
            head_done = true;
        }
        // Chunked: size line, bytes, CRLF.
        while let Some(line) = raw.windows(2).position(|w| w == b"\r\n") {
            let size = usize::from_str_radix(std::str::from_utf8(&raw[..line]).unwrap().trim(), 16)
                .unwrap_or(0);
            if raw.len() < line + 2 + size + 2 {
                break;
            }
            decoded.push_str(std::str::from_utf8(&raw[line + 2..line + 2 + size]).unwrap());
            raw.drain(..line + 2 + size + 2);
        }
        while let Some(end) = decoded.find("\n\n") {
            let block: String = decoded.drain(..end + 2).collect();
            let mut event = String::new();
            let mut data = String::new();
            for l in block.lines() {
                if let Some(e) = l.strip_prefix("event: ") {
                    event = e.into();
                } else if let Some(d) = l.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            if !event.is_empty() {
                events.push((now, event, data));
            }
        }
        if events.last().is_some_and(|(_, e, _)| e == "end") {
            break;
        }
    }
    let bytes = events.iter().map(|(_, _, d)| d.len()).sum();
    (events, bytes)
}

async fn click_to_first_lane(c: &fantoccini::Client, url: &str, button: &str) -> f64 {
    c.goto(url).await.unwrap();
    wait_for(c, button, 30).await;
    let script = format!(
        "return new Promise(done => {{
           const t0 = performance.now();
           document.querySelector({button:?}).click();
           // The running run's timeline with a lane on it.
           const look = () => {{
             const c = document.querySelector('#live') && document.querySelector('.timeline-stage canvas');
             if (c && parseInt(c.getAttribute('aria-label')) > 0) done(performance.now() - t0);
             else requestAnimationFrame(look);
           }};
           requestAnimationFrame(look);
         }});"
    );
    let ms = eval(c, &script).await.as_f64().unwrap_or(f64::NAN);
    // Let the run end before the next one.
    wait_for(c, "#verdict", 60).await;
    ms
}

fn summary(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[v.len() - 1])
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let serve = Serve::start(2);
    let driver = Driver::start();
    println!("1. click to first drawn lane (headless Chromium, loopback; page loaded afresh for each run)");
    // The first click in a browser that never ran the page, each in a fresh session: it also
    // compiles the page's code paths for drawing a run.
    let native_url = format!(
        "{}?scenario=io-bound-threads&downloads=8&latency_ms=400",
        serve.url()
    );
    let page_url = format!("{}?scenario=asyncio-two-tasks", serve.url());
    let fresh = driver.session(1400, 1000).await;
    let cold = click_to_first_lane(&fresh, &native_url, "#run-native").await;
    fresh.close().await.unwrap();
    let fresh = driver.session(1400, 1000).await;
    let cold_page = click_to_first_lane(&fresh, &page_url, "#run").await;
    fresh.close().await.unwrap();
    println!(
        "   first click in a fresh browser: Run natively {cold:.1} ms, the page's own Run {cold_page:.1} ms"
    );
    let c = driver.session(1400, 1000).await;
    let mut native = Vec::new();
    let mut page = Vec::new();
    for _ in 0..10 {
        native.push(
            click_to_first_lane(
                &c,
                &format!(
                    "{}?scenario=io-bound-threads&downloads=8&latency_ms=400",
                    serve.url()
                ),
                "#run-native",
            )
            .await,
        );
        page.push(
            click_to_first_lane(
                &c,
                &format!("{}?scenario=asyncio-two-tasks", serve.url()),
                "#run",
            )
            .await,
        );
    }
    let (n50, nmax) = summary(native);
    let (p50, pmax) = summary(page);
    println!(
        "   Run natively (io-bound-threads): median {n50:6.1} ms, slowest {nmax:6.1} ms   (target <= 100 ms) {}",
        if nmax <= 100.0 { "ok" } else { "ABOVE TARGET" }
    );
    println!(
        "   floor, the page's own Run (asyncio-two-tasks on its loop): median {p50:6.1} ms, slowest {pmax:6.1} ms"
    );

    println!("\n2. event stream: event-loop-choice, 10,000 tasks sleeping 2 s, to one reader");
    let id = start_run(
        serve.addr,
        "event-loop-choice",
        r#""tasks":"10000","sleep_ms":"2000""#,
    );
    let (events, bytes) = stream(serve.addr, &id);
    let final_trace = Trace::from_json(&call(
        serve.addr,
        "GET",
        &format!("/api/runs/{id}/trace"),
        None,
    ))
    .expect("the kept trace");
    let mut live: Option<Trace> = None;
    let mut last_now = 0;
    let mut biggest = 0;
    let mut peak = 0f64;
    let mut previous = events.first().map(|e| e.0);
    for (at, event, data) in &events {
        match event.as_str() {
            "start" => live = Some(serde_json::from_str(data).unwrap()),
            "delta" => {
                biggest = biggest.max(data.len());
                let delta: Delta = serde_json::from_str(data).unwrap();
                if let Some(p) = previous {
                    let gap = (*at - p).as_secs_f64().max(0.05);
                    peak = peak.max((delta.len() + delta.open.len()) as f64 / gap);
                }
                previous = Some(*at);
                last_now = delta.now;
                apply(live.as_mut().expect("start came first"), delta);
            }
            _ => {}
        }
    }
    let live = live.expect("a start event");
    // Everything recorded up to the last message must have arrived.
    let due_spans: Vec<_> = final_trace
        .spans
        .iter()
        .filter(|s| s.end <= last_now && s.start < last_now)
        .collect();
    let arrived = due_spans
        .iter()
        .filter(|s| {
            live.spans
                .iter()
                .any(|l| !l.open && l.lane == s.lane && l.start == s.start && l.end == s.end)
        })
        .count();
    let due_lines = final_trace
        .output
        .iter()
        .filter(|l| l.t <= last_now)
        .count();
    let due_marks = final_trace.marks.iter().filter(|m| m.t <= last_now).count();
    let due_lanes = final_trace
        .lanes
        .iter()
        .filter(|l| l.start <= last_now)
        .count();
    let dropped = (due_spans.len() - arrived)
        + due_lines.saturating_sub(live.output.len())
        + due_marks.saturating_sub(live.marks.len())
        + due_lanes.saturating_sub(live.lanes.len());
    let first = events.first().map(|e| e.0).unwrap();
    let last = events
        .iter()
        .rev()
        .find(|e| e.1 == "delta")
        .map(|e| e.0)
        .unwrap_or(first);
    let delivered = live.spans.iter().filter(|s| !s.open).count()
        + live.output.len()
        + live.marks.len()
        + live.lanes.len();
    let seconds = (last - first).as_secs_f64().max(1e-3);
    println!(
        "   {} messages, {:.1} MB, largest delta {:.0} KB; {delivered} events delivered in {seconds:.2} s = {:.0} events/s",
        events.len(),
        bytes as f64 / 1e6,
        biggest as f64 / 1e3,
        delivered as f64 / seconds
    );
    println!("   peak: {peak:.0} events/s in one message (its events over the time since the one before)");
    println!(
        "   dropped: {dropped} of the {} events recorded up to the last message (target: none dropped, no sampling) {}",
        due_spans.len() + due_lines + due_marks + due_lanes,
        if dropped == 0 { "ok" } else { "DROPPED" }
    );
    println!(
        "   beside it, the run itself: {} events recorded, makespan {:.2} s",
        final_trace.spans.len()
            + final_trace.output.len()
            + final_trace.marks.len()
            + final_trace.lanes.len(),
        final_trace.metrics.makespan as f64 / 1e9
    );
    // The same in the page: every task's lane drawn while the run goes on.
    c.goto(&format!(
        "{}?scenario=event-loop-choice&tasks=10000&sleep_ms=3000",
        serve.url()
    ))
    .await
    .unwrap();
    let t0 = Instant::now();
    click(&c, "#run-native").await;
    let mut all_lanes_at = None;
    while t0.elapsed() < Duration::from_secs(30) {
        let running = count(&c, "#stop").await == 1;
        let lanes = eval(
            &c,
            "const c = document.querySelector('.timeline-stage canvas'); return c ? parseInt(c.getAttribute('aria-label')) : 0;",
        )
        .await
        .as_u64()
        .unwrap_or(0);
        if lanes >= 10_001 && running {
            all_lanes_at = Some(t0.elapsed());
            break;
        }
        if !running && count(&c, "#verdict.pass, #verdict.fail").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    match all_lanes_at {
        Some(t) => println!(
            "   the page drew all 10,001 lanes {:.2} s after the click, while the run went on",
            t.as_secs_f64()
        ),
        None => println!("   the page did NOT show all 10,001 lanes before the run ended"),
    }
    wait_for(&c, "#verdict", 60).await;
    drop(serve);

    println!("\n3. concurrent live runs (io-bound-threads, 8 downloads of 3 s each, each streamed to a reader)");
    println!("   runs   API GET /api/runs median / slowest   page click-to-first-lane");
    for n in [1usize, 2, 4, 8, 16, 32, 63] {
        let serve = Serve::start(n + 1);
        let readers: Vec<_> = (0..n)
            .map(|_| {
                let id = start_run(
                    serve.addr,
                    "io-bound-threads",
                    r#""downloads":"8","latency_ms":"3000""#,
                );
                let addr = serve.addr;
                std::thread::spawn(move || stream(addr, &id).0.len())
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut api = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            call(serve.addr, "GET", "/api/runs", None);
            api.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let page_ms = click_to_first_lane(
            &c,
            &format!(
                "{}?scenario=io-bound-threads&downloads=4&latency_ms=400",
                serve.url()
            ),
            "#run-native",
        )
        .await;
        let (a50, amax) = summary(api);
        for r in readers {
            assert!(r.join().unwrap() > 2, "every reader got its stream");
        }
        let verdict = if page_ms <= 100.0 {
            "responsive"
        } else {
            "SLOW"
        };
        println!(
            "   {n:4}   {a50:8.1} ms / {amax:6.1} ms              {page_ms:6.1} ms  {verdict}"
        );
    }
    c.close().await.unwrap();
}
