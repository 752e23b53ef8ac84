//! End-to-end: the built playground (`web/dist`) served from loopback and driven in headless
//! Chromium through chromedriver, as a user would: pick, type, click Run, read the result,
//! open a native trace file, and run two widgets embedded in one tutorial page. Screenshots
//! land in `target/e2e-screenshots`.

use conlab_browser_tests::{
    assert_no_horizontal_overflow, click, count, dist, eval, screenshot, screenshot_at,
    shipped_size, text, text_of, wait_for, worker_size, Driver, Site, SIZE_BUDGET, WORKER_BUDGET,
};
use conlab_core::catalog;
use conlab_core::Params;
use std::time::Duration;

/// What the same scenario records on the deterministic runtime: how many lanes to expect.
fn virtual_lanes(id: &str, assignments: &[&str]) -> usize {
    let info = catalog::find(id).unwrap();
    let params = Params::from_assignments(id, info.params, assignments.iter().copied()).unwrap();
    let s = conlab_scenarios::find(id).unwrap();
    s.run_virtual(&params, Duration::from_secs(60))
        .unwrap()
        .lanes
        .len()
}

#[test]
fn the_page_downloads_no_more_than_its_budget() {
    let (raw, gzipped) = shipped_size();
    assert!(raw > 0 && gzipped > 0, "web/dist has no page to measure");
    assert!(
        gzipped <= SIZE_BUDGET,
        "the page's wasm and JavaScript are {gzipped} bytes gzipped, over the budget of {SIZE_BUDGET}"
    );
    for kind in ["thread", "async"] {
        let (raw, gzipped) = worker_size(kind);
        assert!(raw > 0 && gzipped > 0, "web/dist has no {kind} Worker");
        assert!(
            gzipped <= WORKER_BUDGET,
            "the {kind} Worker is {gzipped} bytes gzipped, over its budget of {WORKER_BUDGET}"
        );
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_playground_runs_a_scenario_steps_through_it_and_compares() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1280, 1000).await;
    c.goto(&format!("{}index.html?scenario=create-task", site.url))
        .await
        .unwrap();

    // Change a parameter, run, read the verdict, lanes and checks the page rendered.
    let tasks = wait_for(&c, "input[name=tasks]", 30).await;
    tasks.send_keys("7").await.unwrap();
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    let expected = virtual_lanes("create-task", &["tasks=7"]);
    assert_eq!(
        count(&c, "#lanes > li").await,
        expected,
        "lanes: main and 7 tasks"
    );
    let checks = count(&c, "#checks li").await;
    assert!(checks >= 2, "{checks} checks");
    assert_eq!(count(&c, "#checks li.fail").await, 0);
    let url = c.current_url().await.unwrap().to_string();
    assert!(
        url.contains("scenario=create-task") && url.contains("tasks=7"),
        "{url}"
    );

    // The timeline is drawn; the keyboard zooms it; an output line marks its moment.
    let canvas = wait_for(&c, "canvas#timeline", 10).await;
    let filled: usize = canvas
        .attr("data-filled")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        filled >= expected,
        "{filled} rectangles for {expected} lanes"
    );
    let before = canvas.attr("data-window").await.unwrap();
    canvas.click().await.unwrap();
    canvas.send_keys("+").await.unwrap();
    let after = canvas.attr("data-window").await.unwrap();
    assert_ne!(before, after, "`+` zooms in");
    click(&c, "#output .line").await;
    wait_for(&c, "#output .line.current", 5).await;
    screenshot_at(&c, "#verdict", "playground-create-task").await;

    // Step through the same scenario on the virtual-time runtime.
    click(&c, "#step").await;
    wait_for(&c, "#step-through", 10).await;
    for _ in 0..3 {
        click(&c, "#step-forward").await;
    }
    let position = text(&c, "#step-position").await;
    assert!(position.starts_with("step 4 of"), "{position}");
    assert_eq!(count(&c, ".lane-states tbody tr").await, expected);

    // Keep this run, run again with another value, and compare both on one scale.
    click(&c, "#keep").await;
    let tasks = wait_for(&c, "input[name=tasks]", 5).await;
    tasks.clear().await.unwrap();
    tasks.send_keys("3").await.unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#compare canvas#timeline-current", 30).await;
    wait_for(&c, "#verdict", 30).await;
    assert_eq!(count(&c, "#compare canvas").await, 2);
    // The two runs differ in one parameter, and the page says so.
    let differ = text(&c, "#params-differ").await;
    assert!(differ.contains("tasks: 7 / 3"), "{differ}");
    // Zooming one timeline zooms the other: they keep one time window.
    let kept = wait_for(&c, "canvas#timeline-kept", 10).await;
    let before = kept.attr("data-window").await.unwrap();
    kept.click().await.unwrap();
    kept.send_keys("+").await.unwrap();
    let zoomed = kept.attr("data-window").await.unwrap();
    assert_ne!(before, zoomed);
    let other = wait_for(&c, "canvas#timeline-current", 10).await;
    assert_eq!(
        other.attr("data-window").await.unwrap(),
        zoomed,
        "linked zoom"
    );
    screenshot_at(&c, "#compare", "playground-compare").await;

    // The same scenario recorded natively (shipped with the site) against this browser run.
    click(&c, "#compare-native").await;
    let kept = eval(
        &c,
        "return new Promise(done => { const t = setInterval(() => { \
           const h = document.querySelector('#compare h3'); \
           if (h && h.textContent.includes(' · native · ')) { clearInterval(t); done(h.textContent); } }, 50); });",
    )
    .await;
    assert!(
        kept.as_str().unwrap_or("").contains("create-task · native"),
        "{kept}"
    );
    screenshot_at(&c, "#compare", "playground-browser-vs-native").await;

    // Chinese, then back; the choice sticks in the link.
    click(&c, "#lang option[value='zh-CN']").await;
    // The Chinese texts are fetched the first time Chinese is shown.
    let title = eval(
        &c,
        "return new Promise(done => { let n = 0; const t = setInterval(() => {            const h = document.querySelector('h1').textContent;            if (h !== 'conlab playground' || ++n > 100) { clearInterval(t); done(h); } }, 50); });",
    )
    .await;
    assert_eq!(title, serde_json::json!("conlab 并发实验室"));
    assert!(text(&c, "#run").await.contains("运行"));
    screenshot(&c, "playground-zh-CN").await;
    click(&c, "#lang option[value='en']").await;

    // Usable at 360 px: nothing wider than the screen.
    c.set_window_size(360, 800).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_no_horizontal_overflow(&c).await;
    screenshot(&c, "playground-360px").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_native_trace_file_and_a_recorded_native_run_open() {
    // A real native run: OS threads behind a semaphore.
    let info = catalog::find("semaphore").unwrap();
    let params = Params::from_assignments(
        "semaphore",
        info.params,
        ["threads=6", "permits=2", "hold_ms=30"],
    )
    .unwrap();
    let trace = conlab_scenarios::run(
        "semaphore",
        conlab_scenarios::RuntimeChoice::Tokio,
        &params,
        Duration::from_secs(30),
    )
    .unwrap();
    assert!(trace.passed());
    let file = conlab_browser_tests::screenshots().join("semaphore-native.json");
    std::fs::write(&file, trace.to_json()).unwrap();

    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1280, 1000).await;
    c.goto(&format!("{}index.html", site.url)).await.unwrap();
    let input = wait_for(&c, "#trace-file", 30).await;
    input
        .send_keys(&file.canonicalize().unwrap().display().to_string())
        .await
        .unwrap();
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert_eq!(count(&c, "#lanes > li").await, trace.lanes.len());
    let picked = eval(&c, "return document.querySelector('#scenario').value;").await;
    assert_eq!(picked, "semaphore");
    screenshot_at(&c, "#verdict", "native-trace-file").await;

    // A scenario that cannot run in a browser shows the recorded native run shipped with the site.
    c.goto(&format!("{}index.html?scenario=run-in-executor", site.url))
        .await
        .unwrap();
    let label = text(&c, "#recorded-label").await;
    assert!(
        label.starts_with("Recorded with the native runner on"),
        "{label}"
    );
    wait_for(&c, "#verdict", 30).await;
    assert!(count(&c, "#lanes > li").await >= 2);
    screenshot_at(&c, "#native-note", "recorded-native-run-in-executor").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn two_embedded_widgets_run_independently() {
    let tutorial = r#"<!doctype html><html><head><meta charset="utf-8"><title>A tutorial</title></head>
<body style="font-family:sans-serif;max-width:800px;margin:auto">
<h1>Tasks on the event loop</h1>
<p>Two tasks share one loop:</p>
<div data-conlab-scenario="asyncio-two-tasks" data-sleep-ms="60"></div>
<p>并发请求：</p>
<div data-conlab-scenario="sync-vs-async-requests" data-requests="3" data-latency-ms="40" data-lang="zh-CN"></div>
<script src="conlab-embed.js" defer></script>
</body></html>"#;
    let site = Site::serve(dist(), vec![("tutorial.html".into(), tutorial.into())]);
    let driver = Driver::start();
    let c = driver.session(1000, 1400).await;
    c.goto(&format!("{}tutorial.html", site.url)).await.unwrap();
    wait_for(&c, "iframe.conlab-widget", 30).await;
    assert_eq!(count(&c, "iframe.conlab-widget").await, 2);

    // Press Run in both before either finishes: they run at the same time, each on its own loop.
    for frame in 0..2u16 {
        c.clone().enter_frame(frame).await.unwrap();
        wait_for(&c, "#run", 30).await.click().await.unwrap();
        c.clone().enter_parent_frame().await.unwrap();
    }
    let mut verdicts = Vec::new();
    for frame in 0..2u16 {
        c.clone().enter_frame(frame).await.unwrap();
        verdicts.push(text(&c, "#verdict").await);
        assert!(count(&c, "canvas#timeline").await == 1);
        c.clone().enter_parent_frame().await.unwrap();
    }
    assert!(verdicts[0].starts_with("PASSED"), "{verdicts:?}");
    assert!(
        verdicts[1].starts_with("通过"),
        "the second widget asked for Chinese: {verdicts:?}"
    );
    // The loader sized each frame to its content.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let heights = eval(
        &c,
        "return [...document.querySelectorAll('iframe.conlab-widget')].map(f => f.style.height);",
    )
    .await;
    assert!(
        heights.as_array().unwrap().iter().all(|h| h != "420px"),
        "{heights}"
    );
    screenshot(&c, "embed-two-widgets").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_live_run_shows_its_limit_and_stops_and_a_page_freezing_run_is_refused() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    // 300 tasks that would sleep 40 s: the run says how long it may take, and Stop ends it.
    c.goto(&format!(
        "{}index.html?scenario=event-loop-choice&tasks=300&sleep_ms=40000",
        site.url
    ))
    .await
    .unwrap();
    // Run from the keyboard: the focus stays on the button while the run goes on.
    eval(&c, "document.querySelector('#run').focus(); return 0;").await;
    c.active_element()
        .await
        .unwrap()
        .send_keys(fantoccini::key::Key::Enter.to_string().as_str())
        .await
        .unwrap();
    let live = text(&c, "#live").await;
    assert!(live.contains("time limit"), "{live}");
    let focused = eval(&c, "return document.activeElement.id;").await;
    assert_eq!(focused, serde_json::json!("run"), "focus stayed on Run");
    wait_for(&c, "#stop", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    screenshot_at(&c, "#live", "stop-running-1400px").await;
    click(&c, "#stop").await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("STOPPED after"), "{verdict}");
    assert_eq!(count(&c, "#stop").await, 0, "nothing left to stop");
    assert_eq!(
        count(&c, "#checks li").await,
        0,
        "a stopped run is not checked"
    );
    assert_eq!(count(&c, "#lanes > li").await, 301, "main and 300 tasks");
    let run_free = eval(
        &c,
        "return document.querySelector('#run').getAttribute('aria-disabled') === 'false';",
    )
    .await;
    assert_eq!(run_free, serde_json::json!(true), "Run is free again");
    screenshot_at(&c, "#verdict", "stop-stopped-1400px").await;

    // Stop while a blocking call holds the run's loop: the run ends stopped with what it did
    // before (its first call's line and span), and the heading's time went on meanwhile.
    c.goto(&format!(
        "{}index.html?scenario=blocking-in-async&calls=3&block_ms=1000",
        site.url
    ))
    .await
    .unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#frozen", 10).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    let live = text(&c, "#live").await;
    assert!(
        !live.contains(" 0 ms") && !live.contains("µs"),
        "the time goes on: {live}"
    );
    click(&c, "#stop").await;
    let verdict = wait_for(&c, "#verdict", 10).await.text().await.unwrap();
    assert!(verdict.starts_with("STOPPED after"), "{verdict}");
    let output = text(&c, ".output").await;
    assert!(
        output.contains("call 0: blocking"),
        "what it did before: {output}"
    );
    assert!(
        count(&c, "#lanes > li").await >= 2,
        "its task's lane is kept"
    );

    // Natively 64 blocking calls of 60 s are valid; in the page they would freeze the tab
    // for an hour, so the link and Run both say what the page allows.
    c.goto(&format!(
        "{}index.html?scenario=blocking-in-async&calls=64&block_ms=60000",
        site.url
    ))
    .await
    .unwrap();
    let error = text(&c, ".error").await;
    assert!(
        error.contains("block_ms") && error.contains("10 s in total") && error.contains("156 ms"),
        "{error}"
    );
    let help = text(&c, "label.param:nth-of-type(2) .help").await;
    assert!(help.contains("calls × block_ms ≤ 10 s"), "{help}");
    click(&c, "#run").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(count(&c, "#live").await, 0, "the run did not start");
    assert!(text(&c, ".error").await.contains("10 s in total"));
    screenshot_at(&c, ".params", "blocking-capped-1400px").await;

    // In Chinese the note is Chinese too.
    c.goto(&format!(
        "{}index.html?scenario=blocking-in-async&lang=zh-CN",
        site.url
    ))
    .await
    .unwrap();
    let help = text(&c, "label.param:nth-of-type(2) .help").await;
    assert!(
        help.contains("在浏览器中 calls × block_ms ≤ 10 秒"),
        "{help}"
    );
    c.close().await.unwrap();
}

/// Moves a synthetic pointer over `css` at (x, y) in its own coordinates and returns the
/// tooltip's text (empty if none shows).
async fn hover_text(c: &fantoccini::Client, css: &str, x: f64, y: f64) -> String {
    let script = format!(
        "const el = document.querySelector({css:?}); const r = el.getBoundingClientRect();
         el.dispatchEvent(new PointerEvent('pointermove', {{ clientX: r.left + {x}, clientY: r.top + {y}, bubbles: true }}));
         return new Promise(done => setTimeout(() => {{
           const tip = document.querySelector('.tip'); done(tip ? tip.innerText : ''); }}, 100));"
    );
    eval(c, &script).await.as_str().unwrap_or("").to_string()
}

/// An attribute of the first element matching `css`, as a number.
async fn number_attr(c: &fantoccini::Client, css: &str, attr: &str) -> f64 {
    let e = wait_for(c, css, 30).await;
    e.attr(attr)
        .await
        .unwrap()
        .unwrap_or_default()
        .parse()
        .unwrap_or(f64::NAN)
}

#[tokio::test(flavor = "current_thread")]
async fn big_runs_keep_every_lane_named_and_reachable_and_alike_lanes_fold() {
    let recorded: conlab_core::Trace = conlab_core::Trace::from_json(
        &std::fs::read_to_string(dist().join("recorded/web-api.json")).unwrap(),
    )
    .unwrap();
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    // web-api's recorded run: 121 lanes, the blocking /plain ones at the bottom.
    c.goto(&format!("{}index.html?scenario=web-api", site.url))
        .await
        .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let rows = number_attr(&c, "canvas#timeline", "data-rows").await;
    assert_eq!(rows as usize, recorded.lanes.len(), "one row per lane");
    // End goes to the last lanes; the scroll box scrolled with it, and the last row's name
    // is there to read.
    click(&c, "canvas#timeline").await;
    wait_for(&c, "canvas#timeline", 5)
        .await
        .send_keys(&fantoccini::key::Key::End.to_string())
        .await
        .unwrap();
    let first = number_attr(&c, "canvas#timeline", "data-first-row").await;
    assert!(first > 60.0, "scrolled to row {first}");
    let scrolled = eval(
        &c,
        "return document.querySelector('.canvas-box').scrollTop;",
    )
    .await;
    assert!(scrolled.as_f64().unwrap_or(0.0) > 500.0, "{scrolled}");
    let height = eval(
        &c,
        "return document.querySelector('canvas#timeline').getBoundingClientRect().height;",
    )
    .await
    .as_f64()
    .unwrap();
    // Rows of 14 px under the time axis (taller with the run's phases named in it): the
    // middle of the last whole row.
    let axis = number_attr(&c, "canvas#timeline", "data-axis").await;
    assert!(
        axis > 22.0,
        "web-api's phases are named under the time axis"
    );
    let bottom = axis + (((height - axis) / 14.0).floor() - 0.5) * 14.0;
    let last = hover_text(&c, "canvas#timeline", 20.0, bottom).await;
    assert_eq!(
        last.trim(),
        recorded.lanes.last().unwrap().name,
        "the last lane is named"
    );
    // A span near the bottom: the tooltip opens upwards, inside the page.
    // Over the middle of the last lane's first span (whole run in view, the names' column
    // as wide as the canvas says).
    let width = eval(
        &c,
        "return document.querySelector('canvas#timeline').getBoundingClientRect().width;",
    )
    .await
    .as_f64()
    .unwrap();
    let gutter = eval(
        &c,
        "return Number(document.querySelector('canvas#timeline').dataset.gutter);",
    )
    .await
    .as_f64()
    .unwrap();
    assert!(gutter >= 132.0, "{gutter} px of names");
    let last_lane = recorded.lanes.len() as u32 - 1;
    let span = recorded.spans.iter().find(|s| s.lane == last_lane).unwrap();
    let mid = (span.start + span.end) as f64 / 2.0 / recorded.end as f64;
    let tip = hover_text(
        &c,
        "canvas#timeline",
        gutter + mid * (width - gutter),
        bottom,
    )
    .await;
    assert!(tip.contains("/plain"), "a span of the last lane: {tip:?}");
    {
        let inside = eval(
            &c,
            "const t = document.querySelector('.tip').getBoundingClientRect();
             const b = document.querySelector('.timeline-stage').getBoundingClientRect();
             return t.bottom <= b.bottom + 1 && t.top >= b.top - 1;",
        )
        .await;
        assert_eq!(inside, serde_json::json!(true), "tooltip cut off: {tip}");
    }
    // The plain wheel scrolls the lanes natively: scrolling the box back to the top shows
    // the first rows again.
    eval(&c, "const b = document.querySelector('.canvas-box'); b.scrollTop = 0; return new Promise(d => setTimeout(() => d(0), 100));").await;
    assert_eq!(
        number_attr(&c, "canvas#timeline", "data-first-row").await,
        0.0
    );
    screenshot_at(&c, "#verdict", "big-run-web-api-1400px").await;

    // 2,000 sleeping tasks live: folded into one row that says what it stands for.
    c.goto(&format!(
        "{}index.html?scenario=event-loop-choice&tasks=2000&sleep_ms=50",
        site.url
    ))
    .await
    .unwrap();
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    let rows = number_attr(&c, "canvas#timeline", "data-rows").await;
    assert!(rows <= 4.0, "{rows} rows for 2001 lanes");
    let mut folded = String::new();
    for row in 0..rows as usize {
        let tip = hover_text(&c, "canvas#timeline", 20.0, 22.0 + 20.0 * row as f64 + 10.0).await;
        // (Few rows: 20 px each.)
        if tip.contains("lanes like this") {
            folded = tip;
        }
    }
    assert!(folded.contains("2,000 lanes like this"), "{folded}");
    screenshot_at(&c, "#verdict", "folded-2000-tasks-1400px").await;
    // The filter keeps the lanes whose name has "task-19" (task-19, task-190…199, task-1900…1999).
    let filter = wait_for(&c, "input.lane-filter", 10).await;
    filter.send_keys("TASK-19").await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let shown = text(&c, ".rows-shown").await;
    assert!(shown.starts_with("111 lanes"), "{shown}");
    // Show every lane: one row each.
    filter.clear().await.unwrap();
    eval(&c, "const f = document.querySelector('input.lane-filter'); f.dispatchEvent(new InputEvent('input', {bubbles: true})); return 0;").await;
    click(&c, "button.fold").await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        number_attr(&c, "canvas#timeline", "data-rows").await,
        2001.0
    );

    // The same at 390 px, in Chinese.
    c.set_window_size(390, 900).await.unwrap();
    c.goto(&format!(
        "{}index.html?scenario=web-api&lang=zh-CN",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict", 30).await;
    assert_no_horizontal_overflow(&c).await;
    screenshot_at(&c, "#verdict", "big-run-web-api-390px-zh").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn native_only_scenarios_say_what_they_show() {
    let recorded: conlab_core::Trace = conlab_core::Trace::from_json(
        &std::fs::read_to_string(dist().join("recorded/run-in-executor.json")).unwrap(),
    )
    .unwrap();
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    // The link asks for 7 calls; the page shows the recording's, and cannot change them.
    c.goto(&format!(
        "{}index.html?scenario=run-in-executor&calls=7",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let calls = wait_for(&c, "input[name=calls]", 10).await;
    assert_eq!(
        calls.prop("value").await.unwrap().unwrap_or_default(),
        recorded.params["calls"]
    );
    assert!(
        calls.attr("disabled").await.unwrap().is_some(),
        "the field is disabled"
    );
    assert!(text(&c, "#recorded-params")
        .await
        .contains("cannot be changed"));
    let command = text(&c, "#native-note code").await;
    assert!(command.contains("-p calls=7"), "{command}");
    screenshot_at(&c, "#native-note", "native-only-run-in-executor-1400px").await;

    // rlock, run on the scheduler in the page: the plain lock's deadlock drawn as an arrow from
    // the waiting lane to the holder (itself: a loop), in the deadlock colour, where it was
    // found. The page's run is the one the scheduler makes here, exactly.
    let row = conlab_scenarios::find("rlock").unwrap();
    let rlock = conlab_scenarios::scheduled::run(row, &Params::defaults(row.info().params), None)
        .unwrap()
        .trace;
    let wait = rlock
        .marks_named("waits_for")
        .next()
        .expect("a recorded wait");
    let lane: u32 = wait.detail.split(' ').next().unwrap().parse().unwrap();
    c.goto(&format!("{}index.html?scenario=rlock", site.url))
        .await
        .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let script = format!(
        "const c = document.querySelector('canvas#timeline'); const g = c.getContext('2d');
         const w = c.getBoundingClientRect().width, axis = Number(c.dataset.axis), gutter = Number(c.dataset.gutter), row = 20;
         const x = gutter + {t} / {end} * (w - gutter), y = axis + {lane} * row + row / 2;
         const d = g.getImageData(Math.round(x) - 22, Math.round(y) - 10, 44, 20).data;
         let hits = 0; for (let i = 0; i < d.length; i += 4)
           if (Math.abs(d[i] - 213) < 30 && Math.abs(d[i + 1] - 94) < 30 && d[i + 2] < 40) hits++;
         return hits;",
        t = wait.t,
        end = rlock.end,
    );
    let hits = eval(&c, &script).await.as_u64().unwrap_or(0);
    screenshot_at(&c, "#verdict", "deadlock-arrow-rlock-1400px").await;
    assert!(hits >= 5, "{hits} deadlock-coloured pixels at the wait");

    // Every catalog scenario now runs somewhere: none is labelled planned. The HTTP ones are
    // native-only and show their recording, the URL parameter among the disabled fields.
    let planned = eval(
        &c,
        "return [...document.querySelectorAll('#scenario option')].filter(o => o.textContent.endsWith('(planned)')).length;",
    )
    .await;
    assert_eq!(planned.as_u64(), Some(0), "options labelled planned");
    let load = text(&c, "#scenario option[value=load-test]").await;
    assert!(
        load.ends_with("(native)") && !load.contains("planned"),
        "{load}"
    );
    let executor = text(&c, "#scenario option[value=run-in-executor]").await;
    assert!(executor.ends_with("(native)"), "{executor}");
    // Thread and process scenarios on the scheduler run in the page: no badge.
    for id in ["semaphore", "process-pool", "process-shared-dict"] {
        let option = text(&c, &format!("#scenario option[value={id}]")).await;
        assert!(!option.contains('('), "{option}");
    }
    c.goto(&format!("{}index.html?scenario=load-test", site.url))
        .await
        .unwrap();
    wait_for(&c, "#verdict", 30).await;
    assert_eq!(count(&c, "#planned-note").await, 0);
    assert_eq!(count(&c, "#native-note").await, 1);
    let url = wait_for(&c, "input[name=url]", 10).await;
    assert!(
        url.attr("disabled").await.unwrap().is_some(),
        "the field is disabled"
    );
    let command = text(&c, "#native-note code").await;
    assert!(command.contains("load-test"), "{command}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_trace_link_keeps_its_trace_and_a_chrome_export_opens_again() {
    let info = catalog::find("asyncio-two-tasks").unwrap();
    let params = Params::from_assignments(info.id, info.params, ["sleep_ms=30"]).unwrap();
    let trace = conlab_scenarios::find(info.id)
        .unwrap()
        .run_virtual(&params, Duration::from_secs(10))
        .unwrap();
    let chrome = conlab_core::chrome::to_chrome_json(&trace);
    let file = conlab_browser_tests::screenshots().join("two-tasks.chrome.json");
    std::fs::write(&file, &chrome).unwrap();
    let site = Site::serve(
        dist(),
        vec![("shared/two-tasks.json".into(), trace.to_json().into_bytes())],
    );
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    c.goto(&format!(
        "{}index.html?trace=shared/two-tasks.json",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let url = c.current_url().await.unwrap().to_string();
    assert!(url.contains("trace=shared%2Ftwo-tasks.json"), "{url}");
    // Something else on show: the link no longer carries the trace.
    click(&c, "#run").await;
    wait_for(&c, "#verdict", 30).await;
    let url = c.current_url().await.unwrap().to_string();
    assert!(!url.contains("trace="), "{url}");

    // conlab's own Perfetto export opens as the trace it came from.
    let input = wait_for(&c, "#trace-file", 30).await;
    input
        .send_keys(&file.canonicalize().unwrap().display().to_string())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert_eq!(count(&c, "#lanes > li").await, trace.lanes.len());
    assert_eq!(count(&c, ".error").await, 0);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn embeds_shrink_back_and_take_their_options() {
    let tutorial = r#"<!doctype html><html><head><meta charset="utf-8"><title>Embeds</title></head>
<body style="font-family:sans-serif;max-width:800px;margin:auto">
<div id="one" data-conlab-scenario="asyncio-two-tasks" data-sleep-ms="40"></div>
<div id="two" data-conlab-scenario="asyncio-two-tasks" data-sleep-ms="40" data-compact data-autorun data-theme="dark" data-v-7ba5bd90=""></div>
<div id="three" data-conlab-scenario="create-task" data-height="300"></div>
<script src="conlab-embed.js" defer></script>
</body></html>"#;
    let site = Site::serve(dist(), vec![("embeds.html".into(), tutorial.into())]);
    let driver = Driver::start();
    let c = driver.session(1000, 1400).await;
    c.goto(&format!("{}embeds.html", site.url)).await.unwrap();
    wait_for(&c, "iframe.conlab-widget", 30).await;
    let height = |i: usize| {
        let c = c.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(400)).await;
            eval(
                &c,
                &format!("return parseFloat(document.querySelectorAll('iframe.conlab-widget')[{i}].style.height);"),
            )
            .await
            .as_f64()
            .unwrap()
        }
    };

    // The first grows when its parameters open and shrinks when they close.
    c.clone().enter_frame(0).await.unwrap();
    wait_for(&c, "#run", 30).await;
    c.clone().enter_parent_frame().await.unwrap();
    let closed = height(0).await;
    assert!(closed < 420.0, "sized to its content: {closed}");
    c.clone().enter_frame(0).await.unwrap();
    click(&c, ".embed-params summary").await;
    c.clone().enter_parent_frame().await.unwrap();
    let open = height(0).await;
    assert!(open > closed + 40.0, "{closed} -> {open}");
    c.clone().enter_frame(0).await.unwrap();
    click(&c, ".embed-params summary").await;
    c.clone().enter_parent_frame().await.unwrap();
    let again = height(0).await;
    assert!(
        (again - closed).abs() < 2.0,
        "{open} -> {again}, was {closed}"
    );

    // The second ran by itself, compact (timeline and checks only) and dark; the Vue
    // attribute was ignored.
    c.clone().enter_frame(1).await.unwrap();
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert_eq!(count(&c, "#output").await, 0);
    assert_eq!(count(&c, ".embed-params").await, 0);
    assert_eq!(count(&c, ".error").await, 0);
    assert!(count(&c, "#checks li").await >= 1);
    let theme = eval(
        &c,
        "return document.documentElement.getAttribute('data-theme');",
    )
    .await;
    assert_eq!(theme, serde_json::json!("dark"));
    c.clone().enter_parent_frame().await.unwrap();

    // The third keeps the height its author fixed (raised to the smallest that works, 480 px),
    // and after Run its result scrolls in what is left: the frame itself never scrolls.
    assert_eq!(height(2).await, 480.0);
    c.clone().enter_frame(2).await.unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#verdict", 30).await;
    let overflow = eval(
        &c,
        "const e = document.documentElement; return e.scrollHeight - e.clientHeight;",
    )
    .await;
    assert!(overflow.as_i64().unwrap() <= 0, "{overflow}");
    let panel = eval(
        &c,
        "const p = document.querySelector('.embed-result'); return p.scrollHeight > p.clientHeight;",
    )
    .await;
    assert_eq!(
        panel,
        serde_json::json!(true),
        "the result scrolls in its panel"
    );
    c.clone().enter_parent_frame().await.unwrap();
    screenshot(&c, "embeds-shrink-and-options").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_shared_link_with_foreign_parameters_runs_and_a_switch_mid_run_stops_the_run() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;

    // What a messaging app makes of a shared link: its own parameters are dropped, not refused.
    c.goto(&format!(
        "{}index.html?scenario=asyncio-two-tasks&lang=zh-CN&from=singlemessage&isappinstalled=0&sleep_ms=40",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#run", 30).await;
    assert_eq!(count(&c, ".error").await, 0);
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("通过"), "{verdict}");
    // The checks' details read in Chinese too, the measured values kept. (Two sleeps of
    // 40 ms one after the other fit what a page's timers allow one sleep: that check says
    // in Chinese why it is not judged.)
    let checks = text(&c, "#checks").await;
    assert!(
        checks.contains("状态")
            && checks.contains("ms")
            && checks.contains("未判定：一个接一个运行的两个任务需要 80 ms"),
        "{checks}"
    );
    for english in [
        "measured",
        "expected",
        "status:",
        "output ",
        "would take",
        "allowed",
        "wait",
    ] {
        assert!(!checks.contains(english), "{english:?} in {checks}");
    }
    screenshot_at(&c, "#checks", "checks-zh-CN").await;
    let url = c.current_url().await.unwrap().to_string();
    assert!(
        url.contains("sleep_ms=40") && !url.contains("from=") && !url.contains("isappinstalled"),
        "{url}"
    );

    // A long run, then another scenario picked while it goes: the old run stops and is not
    // shown under the new title, and Run is free.
    c.goto(&format!(
        "{}index.html?scenario=event-loop-choice&tasks=100&sleep_ms=30000",
        site.url
    ))
    .await
    .unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#stop", 10).await;
    eval(
        &c,
        "const s = document.querySelector('#scenario'); s.value = 'create-task';
         s.dispatchEvent(new Event('change', { bubbles: true })); return 0;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        count(&c, "#live").await,
        0,
        "nothing of the old run is drawn"
    );
    assert_eq!(count(&c, "#verdict").await, 0);
    assert_eq!(count(&c, "#stop").await, 0);
    let title = text(&c, ".scenario-title").await;
    assert!(title.starts_with("create_task"), "{title}");
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    assert!(text(&c, "#metrics").await.contains("makespan"));
    c.close().await.unwrap();
}

/// What the step-through shows now: the step's one-line description, and for every line of
/// code some lane is at, the line's text and the lanes named beside it.
async fn step_and_places(c: &fantoccini::Client) -> (String, Vec<(String, Vec<String>)>) {
    let v = eval(
        c,
        "const lines = [...document.querySelectorAll('#step-code .line.at')].map(l => {
           const names = [...l.querySelectorAll('.lane-here:not(.more)')].map(n => n.textContent);
           const code = [...l.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('');
           return [code, names]; });
         return [document.querySelector('#step-event').textContent, lines];",
    )
    .await;
    serde_json::from_value(v).unwrap()
}

#[tokio::test(flavor = "current_thread")]
async fn the_code_beside_the_timeline_shows_where_every_task_is_at_each_step() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!(
        "{}index.html?scenario=asyncio-two-tasks&sleep_ms=150",
        site.url
    ))
    .await
    .unwrap();

    // The lesson's Python program comes first, then the scenario's own file, each fetched
    // when first opened, exactly as it is in the workspace, the Rust file up to its checks
    // (the page lists them under the run).
    wait_for(&c, "#code-python summary", 30).await;
    assert_eq!(
        count(&c, "#code .source").await + count(&c, "#code-python .source").await,
        0,
        "not fetched before opened"
    );
    click(&c, "#code-python summary").await;
    wait_for(&c, "#code-python .source", 10).await;
    let python = std::fs::read_to_string(
        conlab_browser_tests::workspace().join("python/asyncio/two_tasks.py"),
    )
    .unwrap();
    assert_eq!(
        count(&c, "#code-python .line").await,
        python.lines().count()
    );
    assert_eq!(count(&c, "#code-python .code-cut").await, 0);
    click(&c, "#code summary").await;
    wait_for(&c, "#code .source", 10).await;
    let on_disk = std::fs::read_to_string(
        conlab_browser_tests::workspace().join("crates/async-scenarios/src/asyncio/two_tasks.rs"),
    )
    .unwrap();
    let lesson = on_disk
        .lines()
        .position(|l| l.starts_with("pub fn checks"))
        .map(|at| {
            let above = on_disk.lines().take(at).collect::<Vec<_>>();
            above
                .iter()
                .rposition(|l| {
                    let l = l.trim_start();
                    !(l.is_empty() || l.starts_with("///") || l.starts_with("#["))
                })
                .map_or(0, |i| i + 1)
        })
        .expect("two_tasks.rs has checks");
    assert_eq!(count(&c, "#code .line").await, lesson);
    assert!(text(&c, "#code .code-cut").await.contains("checks"));
    let shown = text(&c, "#code .source").await;
    assert!(!shown.contains("pub fn checks"), "the checks are left out");

    // Step through: at every step, the lane that acts is beside a line that does what the
    // step says (prints at a print, sleeps at a sleep, waits at a join).
    click(&c, "#step").await;
    wait_for(&c, "#step-code .source", 10).await;
    let steps = number_attr(&c, "#step-slider", "max").await as usize + 1;
    let mut checked = 0;
    for i in 0..steps {
        if i > 0 {
            click(&c, "#step-forward").await;
        }
        let (event, places) = step_and_places(&c).await;
        let (what, lane) = match event.split_once(": ") {
            Some((head, rest)) => (
                rest.to_string(),
                head[head.find(' ').unwrap() + 1..].to_string(),
            ),
            None => continue,
        };
        let word = if event.starts_with('✎') {
            "print"
        } else if event.starts_with('▶') && what.starts_with("sleeping") {
            "sleep"
        } else if event.starts_with('▶') && what.starts_with("waiting for another") {
            "join"
        } else {
            continue;
        };
        let line = places
            .iter()
            .find(|(_, names)| names.contains(&lane))
            .unwrap_or_else(|| panic!("step {i} ({event}): {lane} is at no line: {places:?}"));
        assert!(
            line.0.contains(word),
            "step {i} ({event}): {lane} is beside {:?}",
            line.0
        );
        checked += 1;
        if i == 3 {
            screenshot_at(&c, "#step-through", "step-through-code").await;
        }
    }
    assert!(checked >= 6, "only {checked} steps could be checked");

    // At 390 px the code stacks under the lanes, and nothing is wider than the screen.
    c.set_window_size(390, 900).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_no_horizontal_overflow(&c).await;
    screenshot_at(&c, "#step-code", "step-through-code-390px").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_thread_scenario_on_the_scheduler_shows_each_threads_line_at_each_step() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    // Two threads take two locks in opposite orders: they deadlock, each at its second
    // `acquire`, and then, in one order, both get through.
    c.goto(&format!(
        "{}index.html?scenario=lock-order&hold_ms=40",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict", 60).await;
    click(&c, "#step").await;
    wait_for(&c, "#step-code .source", 10).await;
    let steps = number_attr(&c, "#step-slider", "max").await as usize + 1;
    let (mut checked, mut stuck) = (0, 0);
    for i in 0..steps {
        if i > 0 {
            click(&c, "#step-forward").await;
        }
        let (event, places) = step_and_places(&c).await;
        let Some((head, what)) = event.split_once(": ") else {
            continue;
        };
        let lane = head[head.find(' ').unwrap() + 1..].to_string();
        let word = if event.starts_with('✎') {
            "print("
        } else if event.starts_with('▶') && what.starts_with("waiting for a lock") {
            "acquire("
        } else if event.starts_with('▶') && what.starts_with("sleeping") {
            "sleep("
        } else {
            continue;
        };
        let line = places
            .iter()
            .find(|(_, names)| names.contains(&lane))
            .unwrap_or_else(|| panic!("step {i} ({event}): {lane} is at no line: {places:?}"));
        assert!(
            line.0.contains(word),
            "step {i} ({event}): {lane} is beside {:?}",
            line.0
        );
        if word == "acquire(" && line.0.contains("second.acquire") {
            stuck += 1;
            if stuck == 2 {
                // Both threads wait, each for the lock the other holds; the code pane has
                // followed them to their lines.
                let in_view = eval(
                    &c,
                    "const pane = document.querySelector('#step-code .source');
                     const a = pane.getBoundingClientRect();
                     const b = pane.querySelector('.line.acting').getBoundingClientRect();
                     return b.top >= a.top && b.bottom <= a.bottom;",
                )
                .await;
                assert_eq!(
                    in_view,
                    serde_json::json!(true),
                    "step {i}: the code pane stays put"
                );
                screenshot_at(&c, "#step-through", "step-through-lock-order").await;
            }
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} steps could be checked");
    assert!(
        stuck >= 2,
        "no thread waited at its second acquire: {stuck}"
    );
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_process_run_shows_each_childs_threads_under_it() {
    // The page runs process-shared-dict on the scheduler: exactly this run.
    let row = conlab_scenarios::find("process-shared-dict").unwrap();
    let recorded =
        conlab_scenarios::scheduled::run(row, &Params::defaults(row.info().params), None)
            .unwrap()
            .trace;
    let manager = recorded
        .lanes
        .iter()
        .find(|l| l.name.starts_with("SyncManager"))
        .expect("the recording has its manager");
    let threads: Vec<&str> = recorded
        .lanes
        .iter()
        .filter(|l| l.parent == Some(manager.id))
        .map(|l| l.name.as_str())
        .collect();
    assert!(!threads.is_empty(), "the manager's threads are recorded");
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    for (width, lang) in [(1400, "en"), (390, "zh-CN")] {
        let c = driver.session(width, 1000).await;
        c.goto(&format!(
            "{}index.html?scenario=process-shared-dict&lang={lang}",
            site.url
        ))
        .await
        .unwrap();
        wait_for(&c, "#verdict", 30).await;
        // Row by row from the top: MainThread, the manager, then the manager's threads,
        // before any worker process.
        let axis = number_attr(&c, "canvas#timeline", "data-axis").await;
        // Rows are 20 px tall, 14 px when there are more than 24.
        let rows = number_attr(&c, "canvas#timeline", "data-rows").await;
        let row_height = if rows > 24.0 { 14.0 } else { 20.0 };
        let mut names = Vec::new();
        for row in 0..2 + threads.len() {
            let y = axis + (row as f64 + 0.5) * row_height;
            names.push(
                hover_text(&c, "canvas#timeline", 20.0, y)
                    .await
                    .trim()
                    .to_string(),
            );
        }
        assert_eq!(names[1], manager.name, "{lang}: {names:?}");
        assert_eq!(&names[2..], threads.as_slice(), "{lang}: {names:?}");
        assert_no_horizontal_overflow(&c).await;
        screenshot_at(
            &c,
            ".timeline-stage",
            &format!("process-shared-dict-{width}px-{lang}"),
        )
        .await;
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_recorded_load_test_draws_its_histogram_and_per_second_series() {
    let recorded: conlab_core::Trace = conlab_core::Trace::from_json(
        &std::fs::read_to_string(dist().join("recorded/load-test.json")).unwrap(),
    )
    .unwrap();
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    for (width, lang, caption) in [
        (1400, "en", "latency histogram"),
        (390, "zh-CN", "延迟直方图"),
    ] {
        let c = driver.session(width, 1000).await;
        c.goto(&format!(
            "{}index.html?scenario=load-test&lang={lang}",
            site.url
        ))
        .await
        .unwrap();
        wait_for(&c, "#charts", 30).await;
        for chart in &recorded.charts {
            let css = format!("#charts figure[data-chart={}]", chart.key);
            assert!(
                !text(&c, &css).await.is_empty(),
                "{lang}: {} is drawn",
                chart.key
            );
            let drawn = match chart.kind {
                conlab_core::ChartKind::Bars => count(&c, &format!("{css} rect")).await,
                conlab_core::ChartKind::Line => count(&c, &format!("{css} polyline")).await,
            };
            let expected = match chart.kind {
                conlab_core::ChartKind::Bars => chart.points.len(),
                conlab_core::ChartKind::Line => 1,
            };
            assert_eq!(drawn, expected, "{lang}: {}", chart.key);
        }
        // The tallest bar is the bucket with the most requests, drawn to the full height.
        let tallest = eval(
            &c,
            "const r = [...document.querySelectorAll('#charts figure[data-chart=latency_histogram] rect')];
             return r.map(x => Number(x.getAttribute('height'))).indexOf(Math.max(...r.map(x => Number(x.getAttribute('height')))));",
        )
        .await
        .as_u64()
        .unwrap() as usize;
        let histogram = &recorded.charts[0].points;
        let most = histogram.iter().map(|p| p[1]).fold(0.0, f64::max);
        assert_eq!(histogram[tallest][1], most, "{lang}");
        assert!(text(&c, "#charts").await.contains(caption), "{lang}");
        assert!(text(&c, "#latency").await.contains("p99.9"), "{lang}");
        // Each scale tops at a round number over its highest value, and no two axis labels
        // run into each other, on a phone too.
        let tops: Vec<f64> = serde_json::from_value(
            eval(
                &c,
                "return [...document.querySelectorAll('#charts figure')].map(f => Number(f.dataset.top));",
            )
            .await,
        )
        .unwrap();
        for (top, chart) in tops.iter().zip(&recorded.charts) {
            let highest = chart.points.iter().map(|p| p[1]).fold(0.0, f64::max);
            let mantissa = top / 10f64.powf(top.log10().floor());
            assert!(
                *top >= highest
                    && [1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0]
                        .iter()
                        .any(|m| (m - mantissa).abs() < 1e-6),
                "{lang}: {}: top {top} for {highest}",
                chart.key
            );
        }
        let overlaps = eval(
            &c,
            "const out = [];
             for (const axis of document.querySelectorAll('#charts .x-axis, #charts .y-axis')) {
               const r = [...axis.children].map(s => s.getBoundingClientRect());
               for (let i = 1; i < r.length; i++) {
                 const a = r[i - 1], b = r[i];
                 if (a.right > b.left + 0.5 && a.bottom > b.top + 0.5) out.push(axis.textContent);
               }
             }
             return out;",
        )
        .await;
        assert_eq!(
            overlaps,
            serde_json::json!([]),
            "{lang}: axis labels overlap"
        );
        assert_no_horizontal_overflow(&c).await;
        screenshot_at(&c, "#charts", &format!("load-test-charts-{width}px-{lang}")).await;
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_saved_verdict_is_checked_again_and_a_check_that_cannot_measure_says_so() {
    // A forged trace: two tasks that printed one after the other (1 2 3 4), every check in
    // the file set to passed.
    let info = catalog::find("asyncio-two-tasks").unwrap();
    let params = Params::from_assignments(info.id, info.params, ["sleep_ms=30"]).unwrap();
    let mut forged = conlab_scenarios::find(info.id)
        .unwrap()
        .run_virtual(&params, Duration::from_secs(10))
        .unwrap();
    forged.output.swap(1, 2);
    for c in &mut forged.checks {
        c.passed = true;
        c.verdict = Some(conlab_core::Verdict::Passed);
    }
    // A native-only scenario's trace: the page does not carry its checks.
    let recorded = std::fs::read(conlab_browser_tests::workspace().join("web/recorded/lock.json"))
        .expect("the site ships a recorded run of lock");
    let site = Site::serve(
        dist(),
        vec![
            ("shared/forged.json".into(), forged.to_json().into_bytes()),
            ("shared/lock.json".into(), recorded),
        ],
    );
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!("{}index.html?trace=shared/forged.json", site.url))
        .await
        .unwrap();
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("FAILED"), "{verdict}");
    let provenance = text(&c, "#provenance").await;
    assert!(
        provenance.contains("the file's own verdict differs")
            && provenance.contains("interleaved: passed → failed"),
        "{provenance}"
    );
    assert!(count(&c, "#checks li.fail").await >= 1);
    screenshot_at(&c, "#verdict", "forged-trace-checked-again").await;

    c.goto(&format!("{}index.html?trace=shared/lock.json", site.url))
        .await
        .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let provenance = text(&c, "#provenance").await;
    assert!(
        provenance.starts_with("Saved verdict, not re-checked here"),
        "{provenance}"
    );

    // Two tasks of 2 ms: one after the other they would take 4 ms, within what a page's timers
    // allow one sleep, so the page says it cannot judge that, drawn apart, and still passes.
    c.goto(&format!(
        "{}index.html?scenario=create-task&sleep_ms=2",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#run", 30).await;
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(
        verdict.starts_with("PASSED") && verdict.contains("1 not judged"),
        "{verdict}"
    );
    let unjudged = text(&c, "#checks li.unjudged").await;
    assert!(
        unjudged.contains("makespan-one-sleep")
            && unjudged.contains("not judged: the tasks one after the other would take 4 ms"),
        "{unjudged}"
    );
    screenshot_at(&c, "#checks", "a-check-not-judged").await;
    c.goto(&format!(
        "{}index.html?scenario=create-task&sleep_ms=2&lang=zh-CN",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#run", 30).await;
    click(&c, "#run").await;
    let verdict = text(&c, "#verdict").await;
    assert!(
        verdict.starts_with("通过") && verdict.contains("1 项未判定"),
        "{verdict}"
    );
    // Each part of the reason in Chinese: the allowance of 2 tasks and of a late wake-up too.
    let unjudged = text(&c, "#checks li.unjudged").await;
    assert!(
        unjudged.contains("2 个任务") && unjudged.contains("次等待"),
        "{unjudged}"
    );
    for english in ["tasks", "wait", "allowed", "would take", " and "] {
        assert!(!unjudged.contains(english), "{english:?} in {unjudged}");
    }
    screenshot_at(&c, "#checks", "a-check-not-judged-zh-CN").await;
    c.close().await.unwrap();
}

/// The output lines of a trace, as the page lists them.
fn output_texts(trace: &conlab_core::Trace) -> Vec<String> {
    trace.output.iter().map(|o| o.text.clone()).collect()
}

async fn page_output(c: &fantoccini::Client) -> Vec<String> {
    let lines = eval(
        c,
        "return [...document.querySelectorAll('#output .line')].map(l => l.lastChild.textContent);",
    )
    .await;
    serde_json::from_value(lines).unwrap_or_default()
}

#[tokio::test(flavor = "current_thread")]
async fn a_thread_scenario_runs_on_the_scheduler_finds_a_failing_schedule_and_its_link_replays_it()
{
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    let row = conlab_scenarios::find("race-condition").unwrap();
    let info = row.info();
    let given = ["op=increment", "threads=3", "increments=2"];

    // The link's parameters run at once, in the scheduler Worker: the same trace as natively.
    c.goto(&format!(
        "{}index.html?scenario=race-condition&{}",
        site.url,
        given.join("&")
    ))
    .await
    .unwrap();
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    let params = Params::from_assignments(info.id, info.params, given).unwrap();
    let native = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
    assert_eq!(count(&c, "#lanes > li").await, native.trace.lanes.len());
    assert_eq!(page_output(&c).await, output_texts(&native.trace));
    assert!(c
        .current_url()
        .await
        .unwrap()
        .as_str()
        .contains("schedule="));

    // Find a failing schedule: progress, then the finding, then the failing run on show.
    click(&c, "#find").await;
    let finding = wait_for(&c, "#finding", 60).await;
    let mut said = String::new();
    for _ in 0..600 {
        said = finding.text().await.unwrap_or_default();
        if said.contains("broke it") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(said.contains("without the lock: schedule"), "{said}");
    assert!(said.contains("none breaks it"), "{said}");
    wait_for(&c, "#run[aria-disabled=false]", 60).await;
    text(&c, "#verdict").await;
    // The search held for no time, and the form says so.
    let hold = wait_for(&c, "input[name=hold_ms]", 10).await;
    assert_eq!(hold.prop("value").await.unwrap().as_deref(), Some("0"));
    screenshot_at(&c, "#finding", "scheduler-found-race-condition-1400px").await;

    // Its link replays exactly that interleaving, in a fresh page.
    let url = c.current_url().await.unwrap().to_string();
    let schedule = conlab_core::percent_decode(
        url.split("schedule=")
            .nth(1)
            .unwrap()
            .split('&')
            .next()
            .unwrap(),
    );
    let mut searched = given.to_vec();
    searched.push("hold_ms=0");
    let searched = Params::from_assignments(info.id, info.params, searched).unwrap();
    let replayed = conlab_scenarios::scheduled::run(row, &searched, Some(&schedule)).unwrap();
    let c2 = driver.session(390, 900).await;
    c2.goto(&url).await.unwrap();
    text(&c2, "#verdict").await;
    assert_eq!(page_output(&c2).await, output_texts(&replayed.trace));
    assert_eq!(count(&c2, "#lanes > li").await, replayed.trace.lanes.len());
    screenshot_at(&c2, "#verdict", "scheduler-replayed-race-condition-390px").await;

    // Step through it.
    click(&c2, "#step").await;
    wait_for(&c2, "#step-through", 10).await;
    c2.close().await.unwrap();

    // A long search, stopped: the run on show before it comes back, with the word "Stopped".
    c.goto(&format!(
        "{}index.html?scenario=race-condition&op=increment&threads=200&increments=100",
        site.url
    ))
    .await
    .unwrap();
    let before = text(&c, "#verdict").await;
    let lanes = count(&c, "#lanes > li").await;
    click(&c, "#find").await;
    wait_for(&c, "#stop", 10).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    click(&c, "#stop").await;
    let said = text(&c, "#finding").await;
    assert!(said.starts_with("Stopped"), "{said}");
    assert_eq!(text(&c, "#verdict").await, before);
    assert_eq!(count(&c, "#lanes > li").await, lanes);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_learner_is_the_scheduler_in_chinese_on_a_phone() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(390, 900).await;
    c.goto(&format!(
        "{}index.html?scenario=lock&threads=3&hold_ms=0&lang=zh-CN",
        site.url
    ))
    .await
    .unwrap();
    text(&c, "#verdict").await;
    click(&c, "#be-scheduler").await;
    wait_for(&c, "#steer", 30).await;
    let title = text(&c, "#steer h3").await;
    assert_eq!(title, "由你来调度");
    // The first thread that can step, then the last, in turn, until one waits for the lock
    // another holds.
    let mut waited = String::new();
    for turn in 0..200 {
        if count(&c, "#steer .steer-waiting li").await > 0 {
            waited = text(&c, "#steer .steer-waiting").await;
            if waited.contains("等待锁") {
                break;
            }
        }
        if count(&c, "#steer .steer-option").await == 0 {
            break;
        }
        let before = text(&c, "#steer-back").await;
        match turn % 2 {
            0 => click(&c, "#steer li:first-child .steer-option").await,
            _ => click(&c, "#steer li:last-child .steer-option").await,
        }
        for _ in 0..100 {
            if text(&c, "#steer-back").await != before {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(
        waited.contains("等待锁") && waited.contains("持有"),
        "{waited:?}"
    );
    screenshot_at(&c, "#steer", "be-the-scheduler-lock-390px-zh").await;
    // The run so far is the learner's, not a stopped one.
    let verdict = text(&c, "#verdict").await;
    assert_eq!(verdict, "目前的运行：下一步由你来选。");
    // The link carries the choices so far (then the seed's): opened, it runs a whole run.
    let url = c.current_url().await.unwrap().to_string();
    assert!(url.contains("schedule=") && url.contains("*"), "{url}");
    // Back takes the last choice back.
    let before = text(&c, "#steer-back").await;
    click(&c, "#steer-back").await;
    let mut after = before.clone();
    for _ in 0..100 {
        after = text(&c, "#steer-back").await;
        if after != before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let n = |s: &str| -> u32 {
        s.rsplit('(')
            .next()
            .unwrap()
            .trim_end_matches(')')
            .parse()
            .unwrap()
    };
    assert_eq!(n(&after) + 1, n(&before), "{before} → {after}");
    // Midway, the link carries the choices so far; a fresh page runs it to its end, judged.
    let url = c.current_url().await.unwrap().to_string();
    assert!(url.contains("schedule=") && url.contains("*"), "{url}");
    let c2 = driver.session(390, 900).await;
    c2.goto(&url).await.unwrap();
    let verdict = wait_for(&c2, "#verdict.pass, #verdict.fail", 30)
        .await
        .text()
        .await
        .unwrap();
    assert!(verdict.starts_with("通过"), "{verdict}");
    c2.close().await.unwrap();
    // Finish the run: the rest as the seed draws, the same whole run as the link's.
    click(&c, "#steer-finish").await;
    let finished = wait_for(&c, "#verdict.pass, #verdict.fail", 30)
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(finished, verdict);
    assert_eq!(count(&c, "#steer").await, 0);
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn an_embedded_thread_scenario_runs_with_the_authors_parameters() {
    // The README's example: semaphore with the author's permits and threads.
    let tutorial = r#"<!doctype html><html><head><meta charset="utf-8"><title>Semaphores</title></head>
<body style="font-family:sans-serif;max-width:800px;margin:auto">
<h1>At most two at once</h1>
<div data-conlab-scenario="semaphore" data-permits="2" data-threads="8"></div>
<script src="conlab-embed.js" defer></script>
</body></html>"#;
    let site = Site::serve(dist(), vec![("semaphore.html".into(), tutorial.into())]);
    let driver = Driver::start();
    let c = driver.session(1000, 1400).await;
    c.goto(&format!("{}semaphore.html", site.url))
        .await
        .unwrap();
    wait_for(&c, "iframe.conlab-widget", 30).await;
    c.clone().enter_frame(0).await.unwrap();
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    let row = conlab_scenarios::find("semaphore").unwrap();
    let info = row.info();
    let params =
        Params::from_assignments(info.id, info.params, ["permits=2", "threads=8"]).unwrap();
    let native = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
    assert_eq!(count(&c, "#lanes > li").await, native.trace.lanes.len());
    assert_eq!(page_output(&c).await, output_texts(&native.trace));
    // Run again: the same interleaving (the default seed), and a Run button to press.
    click(&c, "#run").await;
    wait_for(&c, "#run[aria-disabled=false]", 30).await;
    assert_eq!(page_output(&c).await, output_texts(&native.trace));
    c.clone().enter_parent_frame().await.unwrap();
    screenshot(&c, "embed-semaphore-scheduler").await;
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn cpu_bound_gil_runs_in_the_page_with_its_gil_lane_and_processes() {
    // A Chinese learner on a phone, with parameters of their own: the page runs the lesson on
    // the scheduler, as `conlab run --runtime virtual` does, with the GIL on a lane of its own.
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let row = conlab_scenarios::find("cpu-bound-gil").unwrap();
    let info = row.info();
    let params =
        Params::from_assignments(info.id, info.params, ["units=3", "switch_interval_ms=20"])
            .unwrap();
    let native = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
    for (width, lang) in [(1400, "en"), (390, "zh-CN")] {
        let c = driver.session(width, 1000).await;
        c.goto(&format!(
            "{}index.html?scenario=cpu-bound-gil&units=3&switch_interval_ms=20&lang={lang}",
            site.url
        ))
        .await
        .unwrap();
        wait_for(&c, "#verdict", 60).await;
        wait_for(&c, "#run[aria-disabled=false]", 60).await;
        let verdict = text(&c, "#verdict").await;
        assert!(
            verdict.starts_with("PASSED") || verdict.starts_with("通过"),
            "{lang}: {verdict}"
        );
        assert_eq!(count(&c, "#lanes > li").await, native.trace.lanes.len());
        assert_eq!(count(&c, "#lanes > li[data-lane='GIL']").await, 1, "{lang}");
        assert_eq!(page_output(&c).await, output_texts(&native.trace), "{lang}");
        screenshot_at(&c, "#verdict", &format!("cpu-bound-gil-{width}-{lang}")).await;
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn process_scenarios_run_in_the_page_with_private_memory_and_ipc_as_steps() {
    // Chapter 2 live in the page: each process on a lane of its own with a PID, its list of
    // its own, and the lock and queue between processes as scheduling points; the page's
    // run is the one `conlab run --runtime virtual` makes.
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    for (id, assignments) in [
        ("process-isolation", ["processes=4", "time-scale=1"]),
        ("process-lock", ["processes=3", "hold_ms=40"]),
        ("process-pool", ["workers=3", "tasks=7"]),
    ] {
        let row = conlab_scenarios::find(id).unwrap();
        let info = row.info();
        let params = Params::from_assignments(id, info.params, assignments).unwrap();
        let expected = conlab_scenarios::scheduled::run(row, &params, None).unwrap();
        let query = assignments.join("&");
        c.goto(&format!("{}index.html?scenario={id}&{query}", site.url))
            .await
            .unwrap();
        wait_for(&c, "#verdict", 60).await;
        wait_for(&c, "#run[aria-disabled=false]", 60).await;
        let verdict = text(&c, "#verdict").await;
        assert!(verdict.starts_with("PASSED"), "{id}: {verdict}");
        assert_eq!(
            count(&c, "#lanes > li").await,
            expected.trace.lanes.len(),
            "{id}"
        );
        assert_eq!(page_output(&c).await, output_texts(&expected.trace), "{id}");
        if id == "process-isolation" {
            let lengths: Vec<String> = page_output(&c)
                .await
                .into_iter()
                .filter(|l| l.starts_with("process "))
                .collect();
            assert_eq!(lengths.len(), 4);
            assert!(
                lengths.iter().all(|l| l.ends_with("(length 1)")),
                "{lengths:?}"
            );
        }
        screenshot_at(&c, "#verdict", &format!("{id}-page")).await;
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn lanes_fill_in_while_a_live_run_goes_on_in_its_worker() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!(
        "{}index.html?scenario=create-task&tasks=6&sleep_ms=1500",
        site.url
    ))
    .await
    .unwrap();
    click(&c, "#run").await;
    // Before the verdict: a live heading, the timeline and the tasks' lanes already drawn.
    assert!(text(&c, "#live").await.starts_with("Running"));
    wait_for(&c, "canvas#timeline", 10).await;
    let mut lanes = 0;
    for _ in 0..40 {
        lanes = count(&c, "#lanes > .lane").await;
        if lanes == 7 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(lanes, 7, "main and six tasks, while they sleep");
    assert_eq!(count(&c, "#verdict").await, 0, "not finished yet");
    assert_eq!(
        count(&c, "#frozen").await,
        0,
        "sleeping tasks leave the loop free"
    );
    let verdict = text(&c, "#verdict").await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn every_default_embed_fits_a_screen() {
    // A host page with one widget of the scenario its query names, as a tutorial embeds it.
    let host = r#"<!doctype html><html><head><meta charset="utf-8"><title>host</title>
<style>* { box-sizing: border-box } body { margin: 1rem }</style></head><body>
<div id="w"></div>
<script>
  const w = document.getElementById("w");
  w.setAttribute("data-conlab-scenario", new URLSearchParams(location.search).get("id"));
  w.setAttribute("data-autorun", "");
</script>
<script src="conlab-embed.js" defer></script>
</body></html>"#;
    let site = Site::serve(dist(), vec![("host.html".into(), host.into())]);
    let driver = Driver::start();
    for (width, most) in [(1400u32, 900.0), (390, 1200.0)] {
        let c = match width {
            390 => driver.phone().await,
            _ => driver.session(width, 1000).await,
        };
        for info in catalog::CATALOG {
            let id = info.id;
            c.goto(&format!("{}host.html?id={id}", site.url))
                .await
                .unwrap();
            wait_for(&c, "iframe.conlab-widget", 30).await;
            c.clone().enter_frame(0).await.unwrap();
            // Ran (in the page), or a recorded run shown, or planned.
            wait_for(&c, "#verdict, .planned", 60).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            // The widget itself never scrolls: the frame is as tall as it says (or capped,
            // its result scrolling inside).
            let scrolls = eval(
                &c,
                "const e = document.scrollingElement; return e.scrollHeight - e.clientHeight;",
            )
            .await
            .as_f64()
            .unwrap();
            c.clone().enter_parent_frame().await.unwrap();
            let height = eval(
                &c,
                "return document.querySelector('iframe.conlab-widget').clientHeight;",
            )
            .await
            .as_f64()
            .unwrap();
            assert!(
                height <= most,
                "the embed of {id} is {height:.0} px tall at {width} px (at most {most})"
            );
            assert!(
                scrolls <= 1.0,
                "the embed of {id} scrolls {scrolls:.0} px inside its frame at {width} px"
            );
        }
        c.close().await.unwrap();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn an_embed_of_a_recorded_run_says_so_and_uses_no_parameter_it_did_not_run_with() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(900, 1000).await;
    c.goto(&format!(
        "{}embed.html?scenario=redis-pool&ops=500&widget=1",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "#verdict", 30).await;
    let recorded = text(&c, "#recorded-with").await;
    assert!(
        recorded.starts_with("Recorded with")
            && recorded.contains("ops=")
            && !recorded.contains("ops=500"),
        "{recorded}"
    );
    let yours = text(&c, "#yours").await;
    assert!(
        yours.contains("ops=500") && yours.contains("conlab run redis-pool -p ops=500"),
        "{yours}"
    );
    assert_eq!(count(&c, "#run").await, 0, "nothing runs here");
    assert_eq!(
        count(&c, "#run-native").await,
        0,
        "no server behind this site"
    );
    screenshot(&c, "embed-recorded-redis-pool").await;
    c.close().await.unwrap();
}

/// Where the step-through's parts are on screen: for the lane taking the step, its tag beside
/// the acting line (top, bottom, left, right, and whether the code pane shows it), Next's box,
/// and the window's size.
async fn step_geometry(c: &fantoccini::Client) -> serde_json::Value {
    eval(
        c,
        "const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                            return [r.top, r.bottom, r.left, r.right]; };
         const pane = document.querySelector('#step-code .source');
         const line = document.querySelector('#step-code .line.acting');
         const tag = line && [...line.querySelectorAll('.lane-here')]
           .find(t => t.classList.contains('acting-lane')) || (line && line.querySelector('.lane-here'));
         const p = box(pane), t = box(tag);
         const inPane = p && t && t[0] >= p[0] - 1 && t[1] <= p[1] + 1 && t[2] >= p[2] - 1 && t[3] <= p[3] + 1;
         return { tag: t, inPane: !!inPane, next: box(document.querySelector('#step-forward')),
                  w: window.innerWidth, h: window.innerHeight,
                  event: document.querySelector('#step-event').textContent };",
    )
    .await
}

#[tokio::test(flavor = "current_thread")]
async fn stepping_through_on_a_phone_keeps_the_acting_line_its_lane_and_next_on_one_screen() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.phone().await;
    c.goto(&format!("{}index.html?scenario=gather-vs-wait", site.url))
        .await
        .unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#verdict", 30).await;
    click(&c, "#step").await;
    wait_for(&c, "#step-code .source", 10).await;
    let steps = number_attr(&c, "#step-slider", "max").await as usize + 1;
    let mut seen = 0;
    for i in 0..steps {
        if i > 0 {
            click(&c, "#step-forward").await;
        }
        let g = step_geometry(&c).await;
        let (w, h) = (g["w"].as_f64().unwrap(), g["h"].as_f64().unwrap());
        let on_screen = |b: &serde_json::Value| {
            let b: Vec<f64> = serde_json::from_value(b.clone()).unwrap();
            b[0] >= 0.0 && b[1] <= h && b[2] >= 0.0 && b[3] <= w
        };
        assert!(on_screen(&g["next"]), "step {i}: Next is off screen: {g}");
        if g["tag"].is_null() {
            continue;
        }
        assert!(
            g["inPane"].as_bool().unwrap() && on_screen(&g["tag"]),
            "step {i}: the acting lane's tag is not in view: {g}"
        );
        seen += 1;
        if i == 14 {
            screenshot(&c, "step-through-phone-390px").await;
        }
    }
    assert!(
        seen > steps / 2,
        "{seen} of {steps} steps had an acting line"
    );
    // On a desktop too, the page follows the acting line below the fold, Next in view.
    let desk = driver.session(1400, 800).await;
    desk.goto(&format!(
        "{}index.html?scenario=asyncio-two-tasks",
        site.url
    ))
    .await
    .unwrap();
    click(&desk, "#run").await;
    wait_for(&desk, "#verdict", 30).await;
    click(&desk, "#step").await;
    wait_for(&desk, "#step-code .source", 10).await;
    let steps = number_attr(&desk, "#step-slider", "max").await as usize + 1;
    for i in 0..steps {
        if i > 0 {
            click(&desk, "#step-forward").await;
        }
        let g = step_geometry(&desk).await;
        let h = g["h"].as_f64().unwrap();
        let visible = |b: &serde_json::Value| {
            let b: Vec<f64> = serde_json::from_value(b.clone()).unwrap();
            b[0] >= 0.0 && b[1] <= h
        };
        assert!(visible(&g["next"]), "step {i}: Next is off screen: {g}");
        if !g["tag"].is_null() {
            assert!(
                visible(&g["tag"]),
                "step {i}: the acting tag is off screen: {g}"
            );
        }
    }
    desk.close().await.unwrap();
    // Its lanes' states tell a finished task from one not started yet.
    c.goto(&format!("{}index.html?scenario=gather-vs-wait", site.url))
        .await
        .unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#verdict", 30).await;
    click(&c, "#step").await;
    let states = text(&c, ".lane-states").await;
    assert!(states.contains("not started"), "{states}");
    assert!(
        states.contains("takes this step"),
        "every lane's state in words: {states}"
    );
    let last = number_attr(&c, "#step-slider", "max").await as usize;
    eval(
        &c,
        &format!(
            "const s = document.querySelector('#step-slider'); s.value = {last};
             s.dispatchEvent(new Event('input', {{ bubbles: true }})); return 0;"
        ),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let states = text(&c, ".lane-states").await;
    assert!(
        states.contains("finished") && !states.contains("not started"),
        "{states}"
    );
    // At every step: the lane that takes it is neither finished nor not started yet, a lane
    // said finished takes no later step, and one not started yet took no earlier step.
    let mut acted: Vec<String> = Vec::new();
    let mut finished_before: Vec<(usize, String)> = Vec::new();
    for i in 0..=last {
        let at = eval(
            &c,
            &format!(
                "const s = document.querySelector('#step-slider'); s.value = {i};
                 s.dispatchEvent(new Event('input', {{ bubbles: true }}));
                 return new Promise(done => requestAnimationFrame(() => requestAnimationFrame(() => done({{
                   event: document.querySelector('#step-event').textContent,
                   rows: [...document.querySelectorAll('.lane-states tbody tr')].map(r =>
                     [r.cells[0].textContent, r.cells[1].textContent]),
                 }}))));"
            ),
        )
        .await;
        let event = at["event"].as_str().unwrap();
        // "▶ task-2: sleeping", "✎ task-1: task 0 finished (300 ms)", "◆ main: …"
        let actor = event
            .split_once(' ')
            .and_then(|(_, rest)| rest.split_once(':'))
            .map(|(lane, _)| lane.to_string());
        let rows: Vec<(String, String)> = serde_json::from_value(at["rows"].clone()).unwrap();
        let state_of = |lane: &str| {
            rows.iter()
                .find(|(l, _)| l == lane)
                .map(|(_, s)| s.clone())
                .unwrap_or_default()
        };
        if let Some(actor) = actor.filter(|a| rows.iter().any(|(l, _)| l == a)) {
            let state = state_of(&actor);
            assert!(
                state != "finished" && state != "not started yet",
                "step {i}: {actor} takes the step ({event}) but reads \"{state}\""
            );
            if let Some((when, _)) = finished_before.iter().find(|(_, l)| *l == actor) {
                panic!("step {i}: {actor} takes a step ({event}) after it read finished at step {when}");
            }
            acted.push(actor);
        }
        for (lane, state) in &rows {
            if state == "finished" && !finished_before.iter().any(|(_, l)| l == lane) {
                finished_before.push((i, lane.clone()));
            }
            if state == "not started yet" {
                assert!(
                    !acted.contains(lane),
                    "step {i}: {lane} reads not started yet but took an earlier step"
                );
            }
        }
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn rows_scrolled_part_way_never_paint_over_the_axis() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 900).await;
    c.goto(&format!(
        "{}index.html?scenario=event-loop-choice&tasks=3000&sleep_ms=20",
        site.url
    ))
    .await
    .unwrap();
    click(&c, "#run").await;
    wait_for(&c, "#verdict", 60).await;
    click(&c, "button.fold").await;
    // The axis band's pixels (its tick labels), before and after scrolling the lanes by a
    // part of a row, as dragging the scroll bar or a finger does.
    let band = "const c = document.querySelector('canvas#timeline');
                const d = c.getContext('2d').getImageData(0, 0, c.width, Math.floor(22 * devicePixelRatio)).data;
                let h = 0; for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) >>> 0; return h;";
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = eval(&c, band).await;
    for top in [7, 133, 2711] {
        eval(
            &c,
            &format!("document.querySelector('.canvas-box').scrollTop = {top}; return 0;"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(eval(&c, band).await, before, "scrolled by {top} px");
    }
    c.close().await.unwrap();
}

#[tokio::test(flavor = "current_thread")]
async fn a_hash_route_opens_its_scenario_and_a_loader_mounts_widgets_added_later() {
    let host = r#"<!doctype html><html><head><meta charset="utf-8"></head><body>
<div id="first" data-conlab-scenario="asyncio-two-tasks"></div>
<script src="conlab-embed.js"></script></body></html>"#;
    let site = Site::serve(dist(), vec![("spa.html".into(), host.as_bytes().to_vec())]);
    let driver = Driver::start();
    let c = driver.session(1400, 900).await;
    c.goto(&format!("{}index.html#/gather-vs-wait", site.url))
        .await
        .unwrap();
    wait_for(&c, "#run", 30).await;
    let picked = eval(&c, "return document.querySelector('#scenario').value;").await;
    assert_eq!(picked, "gather-vs-wait");
    // A page that changes without reloading adds an element: it becomes a widget too.
    c.goto(&format!("{}spa.html", site.url)).await.unwrap();
    wait_for(&c, "#first iframe.conlab-widget", 30).await;
    eval(
        &c,
        "const d = document.createElement('div');
         d.id = 'later'; d.setAttribute('data-conlab-scenario', 'gather-vs-wait');
         document.body.appendChild(d); return 0;",
    )
    .await;
    wait_for(&c, "#later iframe.conlab-widget", 10).await;
    c.close().await.unwrap();
}

/// A run that took no time (starting processes, on the scheduler) is drawn step by step, and
/// the page says why; the timeline paints again in the colours of a theme chosen afterwards.
#[tokio::test(flavor = "current_thread")]
async fn a_run_that_takes_no_time_is_drawn_step_by_step_and_repaints_with_the_theme() {
    let site = Site::serve(dist(), Vec::new());
    let driver = Driver::start();
    let c = driver.session(1400, 1000).await;
    c.goto(&format!(
        "{}index.html?scenario=process-start&processes=4",
        site.url
    ))
    .await
    .unwrap();
    wait_for(&c, "input[name=processes]", 30).await;
    click(&c, "#run").await;
    let verdict = text_of(&c, "#verdict", 60).await;
    assert!(verdict.starts_with("PASSED"), "{verdict}");
    wait_for(&c, "#step-axis-note", 10).await;
    let canvas = wait_for(&c, "canvas#timeline", 10).await;
    assert_eq!(
        canvas.attr("data-axis-unit").await.unwrap().as_deref(),
        Some("steps")
    );
    // The main thread and four processes.
    let lanes = count(&c, "#lanes > li").await;
    assert_eq!(lanes, 5);
    let filled: usize = canvas
        .attr("data-filled")
        .await
        .unwrap()
        .unwrap()
        .parse()
        .unwrap();
    assert!(filled >= lanes, "{filled} rectangles for {lanes} lanes");
    // At this width every lane's name is drawn whole.
    let cut = eval(
        &c,
        "const c = document.querySelector('canvas#timeline'); const g = c.getContext('2d');
         g.font = '11px ui-monospace, monospace';
         const room = Number(c.dataset.gutter) - 8;
         return [...document.querySelectorAll('#lanes li')].map(l => l.textContent)
           .filter(n => g.measureText(n).width > room);",
    )
    .await;
    assert_eq!(cut, serde_json::json!([]), "names cut at 1400 px");
    screenshot_at(&c, "#timeline", "process-start-steps").await;

    // Another theme: the canvas paints again, in other colours.
    let pixels = "return document.querySelector('canvas#timeline').toDataURL();";
    let light = eval(&c, pixels).await;
    c.execute(
        "const s = document.getElementById('theme'); s.value = 'dark'; \
         s.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![],
    )
    .await
    .unwrap();
    let mut dark = light.clone();
    for _ in 0..50 {
        dark = eval(&c, pixels).await;
        if dark != light {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_ne!(dark, light, "the timeline kept the light theme's colours");
    screenshot_at(&c, "#timeline", "process-start-steps-dark").await;
}
