//! The playground in headless Chromium: mount it, press Run, wait for the run on the page's own
//! event loop, and read the rendered verdict, lanes and checks.
#![cfg(target_arch = "wasm32")]

use gloo_timers::future::TimeoutFuture;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// Waits for `selector` inside `root` (several apps share the test page).
async fn wait_for(root: &Element, selector: &str) -> Element {
    for _ in 0..200 {
        if let Ok(Some(e)) = root.query_selector(selector) {
            return e;
        }
        TimeoutFuture::new(50).await;
    }
    panic!("{selector} never appeared");
}

#[wasm_bindgen_test]
async fn pressing_run_shows_a_passing_trace() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<conlab_web::App>::with_root(root.clone()).render();

    let run: HtmlElement = wait_for(&root, "#run").await.dyn_into().unwrap();
    run.click();
    let verdict = wait_for(&root, "#verdict").await;
    let text = verdict.text_content().unwrap_or_default();
    assert!(text.starts_with("PASSED"), "verdict: {text}");
    let lanes = root.query_selector_all("#lanes > .lane").unwrap().length();
    assert_eq!(lanes, 3, "main and two tasks");
    let checks = root.query_selector_all("#checks li.pass").unwrap().length();
    let all = root.query_selector_all("#checks li").unwrap().length();
    assert!(all >= 3 && checks == all, "{checks} of {all} checks passed");
}

#[wasm_bindgen_test]
async fn a_bad_parameter_is_refused_with_its_range() {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<conlab_web::App>::with_root(root.clone()).render();
    let input: web_sys::HtmlInputElement = wait_for(&root, "input[name=sleep_ms]")
        .await
        .dyn_into()
        .unwrap();
    input.set_value("-5");
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    let event = web_sys::Event::new_with_event_init_dict("input", &init).unwrap();
    input.dispatch_event(&event).unwrap();
    TimeoutFuture::new(50).await;
    let run: HtmlElement = root
        .query_selector("#run")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    run.click();
    TimeoutFuture::new(100).await;
    let alert = root
        .query_selector("[role=alert]")
        .unwrap()
        .expect("an error is shown");
    let text = alert.text_content().unwrap_or_default();
    assert!(
        text.contains("sleep_ms") && text.contains("-5") && text.contains("0..=60000"),
        "{text}"
    );
}
