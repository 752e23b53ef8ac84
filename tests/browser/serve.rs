//! `conlab serve` end to end in headless Chromium: the page it serves runs a native thread
//! scenario live with non-default parameters (its lanes arrive while it runs, then its
//! checks), stops another, works in Chinese on a phone-sized window; a report of a suite
//! opens a run in the viewer and compares two suites, as a static folder and from the server.

use conlab_browser_tests::*;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// `web/dist-served`, the build `conlab serve` embeds (`scripts/build-web.sh --served`).
fn served_dist() -> PathBuf {
    let dir = workspace().join("web/dist-served");
    assert!(
        dir.join("index.html").exists(),
        "{} is not built: run scripts/build-web.sh --served first",
        dir.display()
    );
    dir
}

fn server(report: Option<PathBuf>) -> (conlab_serve::Server, tempfile::TempDir) {
    server_with(|config| config.report = report)
}

fn server_with(
    tune: impl FnOnce(&mut conlab_serve::Config),
) -> (conlab_serve::Server, tempfile::TempDir) {
    let store = tempfile::tempdir().expect("a temporary folder");
    let mut config = conlab_serve::Config::new(store.path().to_path_buf());
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    config.web_dir = Some(served_dist());
    tune(&mut config);
    (
        conlab_serve::Server::start(config).expect("conlab serve starts"),
        store,
    )
}

#[tokio::test(flavor = "current_thread")]
async fn the_served_page_runs_a_thread_scenario_natively_and_live_and_stops_another() {
    let (server, _store) = server(None);
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    // Six downloads of 1.5 s: not the defaults (3 of 300 ms).
    c.goto(&format!(
        "{}?scenario=io-bound-threads&downloads=6&latency_ms=1500",
        server.url()
    ))
    .await
    .unwrap();
    // io-bound-threads runs in the page too, on the scheduler: Run natively sits beside Run.
    // The page runs it there first; Run natively is free once that run is shown.
    wait_for(&c, "#run", 10).await;
    wait_for(&c, "#verdict.pass, #verdict.fail", 30).await;
    click(&c, "#run-native").await;
    let started = Instant::now();
    wait_for(&c, "#stop", 10).await;
    // MainThread and the six threads appear while the run still goes on.
    let mut streamed = false;
    while started.elapsed() < Duration::from_millis(1400) {
        let lanes = count(&c, "#lanes > li").await;
        let running = count(&c, "#stop").await == 1;
        if lanes == 7 && running {
            streamed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(streamed, "the lanes did not stream in before the run ended");
    screenshot_at(&c, "#live", "serve-live-1400px").await;
    let verdict = wait_for(&c, "#verdict.pass, #verdict.fail", 30)
        .await
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert!(count(&c, "#checks li.pass").await >= 3);
    assert_eq!(count(&c, "#checks li.fail").await, 0);
    assert_eq!(count(&c, "#lanes > li").await, 7);
    screenshot_at(&c, "#verdict", "serve-passed-1400px").await;

    // A run of 30 s downloads, stopped: it ends stopped at once, unjudged.
    c.goto(&format!(
        "{}?scenario=io-bound-threads&downloads=4&latency_ms=30000",
        server.url()
    ))
    .await
    .unwrap();
    click(&c, "#run-native").await;
    wait_for(&c, "#stop", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "#stop").await;
    let stopped = Instant::now();
    let verdict = wait_for(&c, "#verdict.stopped", 10)
        .await
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("STOPPED after"), "{verdict}");
    assert!(stopped.elapsed() < Duration::from_secs(5));
    assert_eq!(
        count(&c, "#checks li").await,
        0,
        "a stopped run is not checked"
    );
    assert_eq!(count(&c, "#lanes > li").await, 5);
    assert!(
        count(&c, "#metrics").await == 1,
        "the figures of the run up to its stop are shown"
    );
    let free = eval(
        &c,
        "return !document.querySelector('#run-native').disabled;",
    )
    .await;
    assert_eq!(free, serde_json::json!(true), "Run natively is free again");

    // A load test stopped early still shows what it measured: latency and charts. It runs
    // only natively: the page says where.
    c.goto(&format!(
        "{}?scenario=load-test&duration_ms=30000&clients=4",
        server.url()
    ))
    .await
    .unwrap();
    let note = text(&c, "#served-note").await;
    assert!(note.contains("this machine"), "{note}");
    click(&c, "#run-native").await;
    wait_for(&c, "#stop", 10).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    click(&c, "#stop").await;
    wait_for(&c, "#verdict.stopped", 10).await;
    let latency = text(&c, "#latency").await;
    assert!(!latency.is_empty(), "no latency line");
    assert!(count(&c, "figure.chart").await >= 2, "no charts");
    screenshot(&c, "serve-stopped-load-test").await;

    // A parameter out of range is refused by the server, in words.
    c.goto(&format!(
        "{}?scenario=thread-start&threads=5000",
        server.url()
    ))
    .await
    .unwrap();
    click(&c, "#run-native").await;
    let error = text(&c, ".error").await;
    assert!(
        error.contains("threads") && error.contains("5000"),
        "{error}"
    );
    c.close().await.unwrap();

    // In Chinese, on a phone-sized window.
    let c = driver.session(390, 844).await;
    c.goto(&format!(
        "{}?scenario=thread-start&threads=5&lang=zh-CN",
        server.url()
    ))
    .await
    .unwrap();
    let button = text(&c, "#run-native").await;
    assert_eq!(button, "原生运行");
    // thread-start runs on the scheduler as the page opens: its verdict first, then the
    // native run's, whose makespan (real time) is not the scheduler's (virtual time).
    wait_for(&c, "#verdict.pass, #verdict.fail", 30).await;
    let virtual_ns = eval(
        &c,
        "return document.querySelector('#metrics').dataset.makespanNs;",
    )
    .await;
    let other_run = format!(
        "#metrics:not([data-makespan-ns='{}'])",
        virtual_ns.as_str().unwrap()
    );
    click(&c, "#run-native").await;
    let started = Instant::now();
    let verdict = loop {
        if count(&c, &other_run).await == 1 && count(&c, "#stop").await == 0 {
            if let Ok(Ok(text)) = async {
                let e = c
                    .find(fantoccini::Locator::Css("#verdict.pass, #verdict.fail"))
                    .await?;
                Ok::<_, fantoccini::error::CmdError>(e.text().await)
            }
            .await
            {
                break text;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no native verdict"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(verdict.contains("通过"), "{verdict}");
    assert_eq!(
        count(&c, "#lanes > li").await,
        6,
        "MainThread and 5 threads"
    );
    assert_no_horizontal_overflow(&c).await;
    screenshot_at(&c, "#run-native", "serve-zh-390px").await;
    // The longest parameter names wrap instead of widening the form.
    c.goto(&format!(
        "{}?scenario=cpu-bound-gil&lang=zh-CN",
        server.url()
    ))
    .await
    .unwrap();
    wait_for(&c, "#run-native", 30).await;
    assert_no_horizontal_overflow(&c).await;
    screenshot_at(&c, ".params", "serve-gil-form-zh-390px").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_native_run_whose_connection_is_lost_gets_no_verdict() {
    let (server, _store) = server(None);
    let relay = Relay::start(server.addr());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    // Downloads of 3 s: the connection breaks while they wait.
    c.goto(&format!(
        "{}?scenario=io-bound-threads&downloads=3&latency_ms=3000",
        relay.url()
    ))
    .await
    .unwrap();
    click(&c, "#run-native").await;
    wait_for(&c, "#stop", 10).await;
    let started = Instant::now();
    while count(&c, "#lanes > li").await < 4 && started.elapsed() < Duration::from_secs(3) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    relay.cut();
    let verdict = wait_for(&c, "#verdict.stopped", 10)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        verdict.starts_with("CONNECTION LOST — no verdict"),
        "{verdict}"
    );
    assert_eq!(count(&c, "#checks li").await, 0, "no checks on a lost run");
    let page = text(&c, ".result").await;
    assert!(
        !page.contains("PASSED") && !page.contains("FAILED"),
        "{page}"
    );
    assert!(
        page.contains("connection to conlab serve was lost"),
        "{page}"
    );
    assert!(
        count(&c, "#lanes > li").await >= 4,
        "what reached the page stays"
    );
    assert_eq!(
        count(&c, "#metrics").await,
        0,
        "no figures: the run's end never reached the page"
    );
    screenshot_at(&c, "#verdict", "serve-connection-lost").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_served_embed_of_a_native_only_scenario_runs_natively_with_the_authors_parameters() {
    let (server, _store) = server(None);
    let driver = Driver::start();
    let c = driver.session(900, 1000).await;
    // What `conlab-embed.js` makes of `data-jobs="2"` on loop-in-thread, which cannot run
    // in the page.
    c.goto(&format!(
        "{}embed.html?scenario=loop-in-thread&jobs=2&widget=1",
        server.url()
    ))
    .await
    .unwrap();
    let note = text(&c, "#native-note").await;
    assert!(note.contains("Recorded with"), "{note}");
    assert!(
        !note.contains("jobs=2"),
        "the author's values are not the recorded run's: {note}"
    );
    click(&c, "#run-native").await;
    // The recording (four jobs) shows until the native run replaces it: wait for the run's
    // own verdict, read whole in one go (the page redraws as it arrives).
    let read =
        "const v = document.querySelector('#verdict'), o = document.querySelector('.output');
                return [v ? v.textContent : '', o ? o.textContent : ''];";
    let started = std::time::Instant::now();
    let (verdict, output) = loop {
        let [verdict, output]: [String; 2] = serde_json::from_value(eval(&c, read).await).unwrap();
        if !verdict.is_empty() && !output.contains("job 3 ran") {
            break (verdict, output);
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no native run: {verdict}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    // Two jobs, as the embedding page asked, not the recording's four.
    assert!(
        output.contains("job 1 ran") && !output.contains("job 2 ran"),
        "{output}"
    );
    assert!(
        !text(&c, "#native-note").await.contains("Recorded with"),
        "the native run is on show, not the recording"
    );
    screenshot(&c, "serve-embed-native-only").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_served_page_reloaded_mid_run_follows_it_again_and_lists_the_servers_runs() {
    let (server, _store) = server(None);
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!(
        "{}?scenario=io-bound-threads&downloads=3&latency_ms=2500",
        server.url()
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict.pass, #verdict.fail", 30).await;
    click(&c, "#run-native").await;
    wait_for(&c, "#stop", 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.refresh().await.unwrap();
    // The run went on: the page follows it again and says so, then shows its verdict.
    let notice = text(&c, "[role=status]").await;
    assert!(
        notice.contains("Following your native run again"),
        "{notice}"
    );
    let verdict = text_of(&c, "#verdict.pass, #verdict.fail", 30).await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert!(
        text(&c, "#metrics").await.contains("makespan"),
        "the native run's figures"
    );
    // The server's runs, listed and opened.
    click(&c, "#server-runs summary").await;
    wait_for(&c, "#server-runs li", 10).await;
    let listed = text(&c, "#server-runs").await;
    assert!(
        listed.contains("io-bound-threads") && listed.contains("checks passed"),
        "{listed}"
    );
    click(&c, "#server-runs .open-run").await;
    wait_for(&c, "#verdict", 10).await;
    screenshot_at(&c, "#server-runs", "serve-runs-list").await;

    // Compare with a native run runs the learner's parameters natively beside the page's run.
    c.goto(&format!(
        "{}?scenario=io-bound-threads&downloads=2&latency_ms=200",
        server.url()
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict.pass, #verdict.fail", 30).await;
    click(&c, "#compare-native").await;
    wait_for(&c, "#compare", 30).await;
    let compared = text(&c, "#compare").await;
    assert!(!compared.contains("params-differ"), "{compared}");
    assert_eq!(
        count(&c, "#params-differ").await,
        0,
        "both runs have the learner's parameters: {compared}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_load_test_shows_its_figures_while_it_runs_and_charts_with_axes() {
    let (server, _store) = server(None);
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    // Against conlab's own server, paced so that it runs for about 3 s.
    c.goto(&format!(
        "{}?scenario=load-test&clients=4&requests=600&rate=200&payload_kb=0",
        server.url()
    ))
    .await
    .unwrap();
    click(&c, "#run-native").await;
    let progress = text_of(&c, "#progress", 20).await;
    for figure in ["sent", "ok", "failed", "req/s", "p50", "p99"] {
        assert!(progress.contains(figure), "{figure} in {progress}");
    }
    screenshot_at(&c, "#live", "serve-load-test-live").await;
    let verdict = wait_for(&c, "#verdict.pass, #verdict.fail", 60)
        .await
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert_eq!(
        count(&c, "#progress").await,
        0,
        "the figures are the run's now"
    );
    // Each chart between axes with units; the per-second series in one bucket size.
    assert!(count(&c, "#charts .chart").await >= 2);
    assert_eq!(
        count(&c, "#charts .chart").await,
        count(&c, "#charts .chart .y-axis").await
    );
    let xs: Vec<f64> = serde_json::from_value(
        eval(
            &c,
            "return document.querySelector('[data-chart=requests_per_second] polyline')
               .getAttribute('points').trim().split(' ').map(xy => parseFloat(xy));",
        )
        .await,
    )
    .unwrap();
    // Every interval but the last (cut by the run's end) is as wide as the first.
    let gaps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let first = gaps.first().copied().unwrap_or(0.0);
    assert!(
        gaps.len() >= 2
            && gaps[..gaps.len() - 1]
                .iter()
                .all(|g| (g - first).abs() < 0.5),
        "buckets of one size: {gaps:?}"
    );
    screenshot_at(&c, "#charts", "serve-load-test-charts").await;
    c.close().await.unwrap();
}

/// Run `id`'s event stream, held open by a program: it reads the head and leaves it.
fn hold_stream(addr: SocketAddr, id: &str) -> std::net::TcpStream {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    write!(
        socket,
        "GET /api/runs/{id}/events HTTP/1.1\r\nHost: {addr}\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 1024];
    let n = socket.read(&mut head).unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).contains("200 OK"));
    socket
}

/// Starts `body` through the API; its id.
fn start_run(addr: SocketAddr, body: &str) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    write!(
        socket,
        "POST /api/runs HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    let json = answer.split_once("\r\n\r\n").unwrap().1;
    let at = json.find("\"id\":\"").expect("an id") + 6;
    json[at..].split('"').next().unwrap().to_string()
}

#[tokio::test(flavor = "current_thread")]
async fn a_page_refused_a_stream_says_why_and_its_run_is_stopped() {
    let (server, _store) = server_with(|c| {
        c.max_streams = 1;
        c.max_running = 2;
    });
    let addr = server.addr();
    // Another follower holds the server's only stream.
    let other = start_run(
        addr,
        r#"{"scenario":"io-bound-threads","params":{"downloads":"2","latency_ms":"30000"}}"#,
    );
    let _held = hold_stream(addr, &other);
    let driver = Driver::start();
    for (width, lang, said) in [
        (
            1400,
            "en",
            "already streaming as many live runs as it allows",
        ),
        (390, "zh-CN", "实时运行已达上限"),
    ] {
        let c = driver.session(width, 900).await;
        c.goto(&format!(
            "{}?scenario=io-bound-threads&downloads=2&latency_ms=20000&lang={lang}",
            server.url()
        ))
        .await
        .unwrap();
        click(&c, "#run-native").await;
        let error = wait_for(&c, ".error", 10).await.text().await.unwrap();
        assert!(error.contains(said), "{error}");
        wait_for(&c, "#run-native", 10).await;
        assert_no_horizontal_overflow(&c).await;
        screenshot_at(
            &c,
            ".error",
            &format!("serve-stream-refused-{lang}-{width}px"),
        )
        .await;
        c.close().await.unwrap();
    }
    // The page's runs, nobody following them, were stopped; the other goes on.
    let began = Instant::now();
    loop {
        let list = api_get(addr, "/api/runs");
        let stopped = list.matches("\"kind\":\"stopped\"").count();
        if stopped == 2 {
            break;
        }
        assert!(began.elapsed() < Duration::from_secs(15), "{list}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    server.stop();
}

/// The body of `GET path`.
fn api_get(addr: SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    write!(
        socket,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer
}

/// A suite of `ids` run natively into a temporary folder.
fn suite(ids: &[&'static str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    conlab_scenarios::suite::run_suite(ids, Duration::from_secs(60), dir.path(), |_, _| {})
        .expect("the suite runs");
    dir
}

#[tokio::test(flavor = "current_thread")]
async fn a_report_lists_a_suite_opens_a_run_and_compares_two_suites() {
    let ids = ["thread-start", "lock", "producer-consumer"];
    let (a, b) = (suite(&ids), suite(&ids[..2]));
    let out = tempfile::tempdir().unwrap();
    let read = |d: &tempfile::TempDir| conlab_serve::report::Suite::read(d.path()).unwrap();
    let written =
        conlab_serve::report::write(&read(&a), Some(&read(&b)), out.path(), Some(&dist()))
            .expect("the report is written");
    assert!(written.viewer);

    // As a static folder on any web server.
    let site = Site::serve(out.path().to_path_buf(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!("{}index.html", site.url)).await.unwrap();
    assert_eq!(
        count(&c, "tbody tr").await,
        3,
        "every scenario of either suite"
    );
    assert_eq!(count(&c, "svg.thumb").await, 5, "a thumbnail per run");
    let ratios = text(&c, "tbody tr:first-child td:nth-child(6)").await;
    assert!(ratios.ends_with('x'), "{ratios}");
    let missing = text(&c, "tbody tr:nth-child(3)").await;
    assert!(missing.contains("not run"), "{missing}");
    screenshot(&c, "report-compare-1400px").await;
    click(&c, "tbody tr:nth-child(2) a.open").await;
    let verdict = wait_for(&c, "#verdict", 30).await.text().await.unwrap();
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    let title = text(&c, ".scenario-title").await;
    assert!(title.to_lowercase().contains("lock"), "{title}");
    assert!(count(&c, "#lanes > li").await >= 2);
    c.close().await.unwrap();

    // From conlab serve, at /report/, on a phone-sized window.
    let (server, _store) = server(Some(out.path().to_path_buf()));
    let c = driver.session(390, 844).await;
    c.goto(&format!("{}report/?lang=en", server.url()))
        .await
        .unwrap();
    assert_eq!(count(&c, "tbody tr").await, 3);
    assert_no_horizontal_overflow(&c).await;
    screenshot(&c, "report-390px").await;
    // In Chinese, and the viewer it opens too.
    click(&c, "#lang").await;
    let heading = text(&c, "h1").await;
    assert!(heading.contains("报告"), "{heading}");
    let title = text(&c, "tbody tr:first-child .title").await;
    assert_eq!(title, "启动线程");
    assert_no_horizontal_overflow(&c).await;
    screenshot(&c, "report-zh-390px").await;
    click(&c, "tbody tr:first-child a.open").await;
    let verdict = wait_for(&c, "#verdict", 30).await.text().await.unwrap();
    assert!(verdict.contains("通过"), "{verdict}");
    c.close().await.unwrap();

    // One suite on a phone: when it was recorded said once, the colours said before the
    // first thumbnail, and every row laid out alike (each badge and figure where the
    // others' are, whatever the scenario's name).
    let single = tempfile::tempdir().unwrap();
    conlab_serve::report::write(&read(&a), None, single.path(), Some(&dist()))
        .expect("the report is written");
    let site = Site::serve(single.path().to_path_buf(), Vec::new());
    let c = driver.phone().await;
    c.goto(&format!("{}index.html?lang=en", site.url))
        .await
        .unwrap();
    let page = eval(
        &c,
        "const rows = [...document.querySelectorAll('tbody tr')];
         const left = (r, s) => Math.round(r.querySelector(s).getBoundingClientRect().left);
         return {
           badges: rows.map(r => left(r, '.badge')),
           figures: rows.map(r => left(r, 'td.num')),
           legendFirst: !!(document.querySelector('.legend').compareDocumentPosition(
             document.querySelector('svg.thumb')) & Node.DOCUMENT_POSITION_FOLLOWING),
           text: document.body.innerText,
         };",
    )
    .await;
    let lefts = |key: &str| -> Vec<i64> {
        page[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect()
    };
    for key in ["badges", "figures"] {
        let at = lefts(key);
        assert!(at.windows(2).all(|w| w[0] == w[1]), "{key} ragged: {at:?}");
    }
    assert_eq!(
        page["legendFirst"], true,
        "the legend comes before the thumbnails"
    );
    let text = page["text"].as_str().unwrap();
    let recorded = read(&a).recorded_at.expect("a time of recording");
    let day = &recorded[..10];
    assert_eq!(text.matches(day).count(), 1, "the time said once: {text}");
    assert!(!text.contains(&recorded), "said as people read it: {text}");
    assert_no_horizontal_overflow(&c).await;
    screenshot(&c, "report-single-390px").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn run_in_cpython_runs_the_lessons_python_program_and_shows_its_code() {
    let (server, _store) = server(None);
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!(
        "{}?scenario=gather-vs-wait&sleeps_ms=250,50",
        server.url()
    ))
    .await
    .unwrap();
    // Beside Run and Run natively once the server said which lessons it runs under CPython.
    wait_for(&c, "#run-cpython", 30).await;
    click(&c, "#run-cpython").await;
    let verdict = wait_for(&c, "#verdict.pass, #verdict.fail", 30)
        .await
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    // asyncio's own lanes, with the learner's parameters.
    let content = |css: &str| format!("return document.querySelector('{css}').textContent;");
    let lanes = eval(&c, &content("#lanes")).await;
    let lanes = lanes.as_str().unwrap_or_default();
    assert!(
        lanes.contains("MainThread") && lanes.contains("Task-2"),
        "{lanes}"
    );
    let output = eval(&c, &content("#output")).await;
    let output = output.as_str().unwrap_or_default();
    assert!(output.contains("gather[0] = task 0 (250 ms)"), "{output}");
    // The code that ran is the Python program, exactly as the repository has it, shown
    // first; conlab's own run of the lesson follows.
    click(&c, "#code-python summary").await;
    wait_for(&c, "#code-python .source", 10).await;
    let file = eval(
        &c,
        "return document.querySelector('#code-python .source').dataset.file;",
    )
    .await;
    assert_eq!(file, "python/asyncio/gather_vs_wait.py");
    let on_disk = std::fs::read_to_string(
        conlab_browser_tests::workspace().join("python/asyncio/gather_vs_wait.py"),
    )
    .unwrap();
    assert_eq!(
        count(&c, "#code-python .line").await,
        on_disk.lines().count()
    );
    let order = eval(
        &c,
        "return [...document.querySelectorAll('details.code')].map(d => d.id);",
    )
    .await;
    assert_eq!(order, serde_json::json!(["code-python", "code"]));
    screenshot(&c, "served-cpython-run-1400px").await;
    // Stepping through the CPython run places its lanes at the Python program's lines.
    click(&c, "#step").await;
    wait_for(&c, "#step-code .source", 10).await;
    for _ in 0..4 {
        click(&c, "#step-forward").await;
    }
    let stepped = eval(
        &c,
        "const pane = document.querySelector('#step-code .source');
         return [pane.dataset.file, pane.querySelectorAll('.line.at').length];",
    )
    .await;
    assert_eq!(stepped[0], "python/asyncio/gather_vs_wait.py", "{stepped}");
    assert!(stepped[1].as_u64().unwrap_or(0) >= 1, "{stepped}");
    screenshot_at(&c, "#step-through", "served-cpython-step-through").await;
    // A lesson without a Python program has no such button.
    c.goto(&format!("{}?scenario=sync-vs-async-requests", server.url()))
        .await
        .unwrap();
    wait_for(&c, "#run-native", 30).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(count(&c, "#run-cpython").await, 0);
    c.close().await.unwrap();
}
