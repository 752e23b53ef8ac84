//! Driving the built playground (`web/dist`) in headless Chromium: a static file server on a
//! loopback port (serving `web/dist` and any extra pages a test adds), chromedriver started on
//! a free port and stopped on drop, and small helpers to wait, read and take screenshots.

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The most the site's page may download before it draws (its wasm and JavaScript, gzipped):
/// the playground issue's 350 KB.
pub const SIZE_BUDGET: u64 = 350 * 1024;

/// The most the scheduler Worker downloads when a thread scenario first runs (its wasm and
/// JavaScript, gzipped): the scheduler issue's 250 KB.
pub const WORKER_BUDGET: u64 = 250 * 1024;

/// The page's download in `web/dist`: its wasm and JavaScript in bytes, and gzipped (`gzip -9`,
/// as a web server would send them).
pub fn shipped_size() -> (u64, u64) {
    download_size(&["conlab_web_bg.wasm", "conlab_web.js"])
}

/// The download of the page's Worker `kind` (`thread` or `async`) in `web/dist`: its script,
/// its bindings and its wasm, as [`shipped_size`] measures the page's.
pub fn worker_size(kind: &str) -> (u64, u64) {
    download_size(&[
        &format!("{kind}-worker.js"),
        &format!("conlab_{kind}_worker.js"),
        &format!("conlab_{kind}_worker_bg.wasm"),
    ])
}

fn download_size(files: &[&str]) -> (u64, u64) {
    let dir = dist();
    let raw: u64 = files
        .iter()
        .map(|f| std::fs::metadata(dir.join(f)).map(|m| m.len()).unwrap_or(0))
        .sum();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("cat {} | gzip -9 | wc -c", files.join(" ")))
        .current_dir(&dir)
        .output()
        .expect("gzip");
    let gz = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0);
    (raw, gz)
}

/// `web/dist`, which must have been built (`scripts/build-web.sh`).
#[track_caller]
pub fn dist() -> PathBuf {
    let dir = workspace().join("web/dist");
    assert!(
        dir.join("index.html").exists() && dir.join("conlab_web_bg.wasm").exists(),
        "{} is not built: run scripts/build-web.sh (or `scripts/just web`) first",
        dir.display()
    );
    dir
}

/// Where screenshots go: `target/e2e-screenshots`.
pub fn screenshots() -> PathBuf {
    let dir = workspace().join("target/e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// A static site on 127.0.0.1: files from a folder, plus pages added in memory.
pub struct Site {
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
}

impl Site {
    /// Serves `dir`, with `extra` (path, content) served from memory. The server's threads end
    /// with the test process.
    pub fn serve(dir: PathBuf, extra: Vec<(String, Vec<u8>)>) -> Site {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let url = format!("http://{}/", listener.local_addr().expect("local address"));
        let files = Arc::new((dir, extra));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let files = files.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, &files.0, &files.1);
                });
            }
        });
        Site { url }
    }
}

fn answer(mut stream: TcpStream, dir: &Path, extra: &[(String, Vec<u8>)]) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request = String::new();
    reader.read_line(&mut request)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
            break;
        }
    }
    let path = request
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .split('?')
        .next()
        .unwrap_or("/")
        .trim_start_matches('/')
        .to_string();
    let path = if path.is_empty() {
        "index.html".to_string()
    } else {
        path
    };
    let body = match extra.iter().find(|(p, _)| *p == path) {
        Some((_, bytes)) => Some(bytes.clone()),
        None if !path.contains("..") => std::fs::read(dir.join(&path)).ok(),
        None => None,
    };
    let head = |status: &str, kind: &str, len: usize| {
        format!("HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n")
    };
    match body {
        Some(bytes) => {
            stream.write_all(head("200 OK", content_type(&path), bytes.len()).as_bytes())?;
            stream.write_all(&bytes)
        }
        None => stream.write_all(head("404 Not Found", "text/plain", 0).as_bytes()),
    }
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        Some("json") => "application/json",
        _ => "application/octet-stream",
    }
}

/// chromedriver on a free loopback port, stopped when dropped.
pub struct Driver {
    child: Child,
    port: u16,
}

impl Driver {
    /// Starts `$CHROMEDRIVER` (default `/usr/bin/chromedriver`) and waits until it listens.
    #[track_caller]
    pub fn start() -> Driver {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let program =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_string());
        // In a process group of its own, with the browsers it starts: a test that fails
        // before it closes its sessions still leaves no browser behind (see `Drop`).
        let child = Command::new(&program)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("could not start {program} ({e}); run scripts/setup-browser-tests.sh")
            });
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "{program} did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, port }
    }

    /// A new headless Chromium session with a window of `width` x `height`.
    pub async fn session(&self, width: u32, height: u32) -> Client {
        self.session_zoomed(width, height, 1.0).await
    }

    /// A phone: a 390 x 844 CSS-pixel screen at 3 device pixels each, touch and all (a
    /// headless window cannot be narrower than 500 px, so a phone is emulated).
    pub async fn phone(&self) -> Client {
        self.connect(
            serde_json::json!([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--lang=en-US",
            ]),
            Some(serde_json::json!({
                "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "touch": true },
                "userAgent": "Mozilla/5.0 (Linux; Android 14) Mobile"
            })),
        )
        .await
    }

    /// A session whose pages are drawn at `zoom` device pixels per CSS pixel, as a reader's
    /// browser zoom draws them (fractional sizes round as they do there).
    pub async fn session_zoomed(&self, width: u32, height: u32, zoom: f64) -> Client {
        let args = serde_json::json!([
            format!("--force-device-scale-factor={zoom}"),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--lang=en-US",
            format!("--window-size={width},{height}"),
        ]);
        self.connect(args, None).await
    }

    async fn connect(&self, args: serde_json::Value, mobile: Option<serde_json::Value>) -> Client {
        let mut options = serde_json::json!({ "args": args, "binary": "/usr/bin/chromium" });
        if let Some(mobile) = mobile {
            options["mobileEmulation"] = mobile;
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and every browser it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits up to `secs` seconds for `css` to match.
pub async fn wait_for(c: &Client, css: &str, secs: u64) -> Element {
    c.wait()
        .at_most(Duration::from_secs(secs))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("`{css}` did not appear within {secs} s: {e}"))
}

/// Clicks the first element matching `css` (waiting up to 30 s for it).
pub async fn click(c: &Client, css: &str) {
    wait_for(c, css, 30)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("could not click `{css}`: {e}"));
}

/// The text of the first element matching `css`.
pub async fn text(c: &Client, css: &str) -> String {
    wait_for(c, css, 30).await.text().await.unwrap_or_default()
}

/// The text of the first element matching `css` once one appears (up to `secs` s), read in
/// the page in one go: an element the page redraws meanwhile is read again, never stale.
pub async fn text_of(c: &Client, css: &str, secs: u64) -> String {
    let read =
        format!("const e = document.querySelector({css:?}); return e ? e.textContent : null;");
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(text) = eval(c, &read).await.as_str() {
            return text.to_string();
        }
        assert!(
            Instant::now() < deadline,
            "`{css}` did not appear within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many elements match `css`.
pub async fn count(c: &Client, css: &str) -> usize {
    c.find_all(Locator::Css(css))
        .await
        .map(|v| v.len())
        .unwrap_or(0)
}

/// Evaluates `script` (a function body; `arguments` are empty) and returns its value.
pub async fn eval(c: &Client, script: &str) -> serde_json::Value {
    c.execute(script, Vec::new())
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Asserts that nothing on the page is wider than the window (no sideways scrolling).
pub async fn assert_no_horizontal_overflow(c: &Client) {
    let overflow = eval(
        c,
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
    )
    .await;
    assert!(
        overflow.as_i64().unwrap_or(1) <= 0,
        "the page is {overflow} px wider than the window"
    );
}

/// Scrolls `css` to the top of the window, then saves a screenshot as `<name>.png`.
pub async fn screenshot_at(c: &Client, css: &str, name: &str) -> PathBuf {
    let script = format!("document.querySelector({css:?}).scrollIntoView(); return 0;");
    eval(c, &script).await;
    screenshot(c, name).await
}

/// Saves a screenshot as `target/e2e-screenshots/<name>.png` and returns its path.
pub async fn screenshot(c: &Client, name: &str) -> PathBuf {
    let png = c.screenshot().await.expect("a screenshot");
    let path = screenshots().join(format!("{name}.png"));
    std::fs::write(&path, png).expect("write the screenshot");
    path
}

/// A synthetic trace of `lanes` lanes with `per_lane` spans each, cycling through states, for
/// benchmarking the timeline.
pub fn synthetic_trace(lanes: u32, per_lane: u64) -> conlab_core::Trace {
    use conlab_core::{Lane, LaneKind, RuntimeKind, Span, SpanState, Status, Trace, SCHEMA};
    let step = 1_000_000u64;
    let end = per_lane * step;
    let lanes_v: Vec<Lane> = (0..lanes)
        .map(|id| Lane {
            id,
            kind: LaneKind::Task,
            name: format!("task-{id}"),
            start: 0,
            end: Some(end),
            parent: None,
        })
        .collect();
    let mut spans = Vec::with_capacity((lanes as u64 * per_lane) as usize);
    for i in 0..per_lane {
        for lane in 0..lanes {
            let state = SpanState::ALL[((i + lane as u64) % SpanState::ALL.len() as u64) as usize];
            let start = i * step + (lane as u64 % 7) * 1_000;
            spans.push(Span {
                lane,
                state,
                start,
                end: start + step * 3 / 4,
                depth: 0,
                label: String::new(),
                open: false,
                order: (0, 0),
                site: None,
            });
        }
    }
    Trace {
        schema: SCHEMA.to_string(),
        scenario: "event-loop-choice".to_string(),
        runtime: RuntimeKind::Virtual,
        params: Default::default(),
        recorded_at: None,
        host: Some("synthetic".to_string()),
        cores: None,
        interpreter: None,
        status: Status::Ok,
        end,
        lanes: lanes_v,
        spans,
        marks: Vec::new(),
        output: Vec::new(),
        metrics: Default::default(),
        checks: Vec::new(),
        charts: Vec::new(),
        sites: Vec::new(),
    }
}

/// A TCP relay on loopback in front of a server, whose connections a test can cut at once, as
/// a network that fails mid-run would (the server itself keeps running).
pub struct Relay {
    addr: std::net::SocketAddr,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>>,
}

impl Relay {
    /// Relays every connection made to a fresh loopback port to `upstream`.
    pub fn start(upstream: std::net::SocketAddr) -> Relay {
        use std::sync::atomic::Ordering;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open: std::sync::Arc<std::sync::Mutex<Vec<std::net::TcpStream>>> = Default::default();
        let (cut2, open2) = (cut.clone(), open.clone());
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if cut2.load(Ordering::SeqCst) {
                    continue;
                }
                let Ok(server) = std::net::TcpStream::connect(upstream) else {
                    continue;
                };
                let mut list = open2.lock().unwrap();
                for (from, to) in [(&client, &server), (&server, &client)] {
                    let (mut from, mut to) = (from.try_clone().unwrap(), to.try_clone().unwrap());
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
                list.push(client);
                list.push(server);
            }
        });
        Relay { addr, cut, open }
    }

    /// The relay's URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Cuts every connection it relays, and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, std::sync::atomic::Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }
}
