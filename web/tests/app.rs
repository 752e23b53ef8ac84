//! The playground in headless Chromium: mount it, open links and trace files, and read the
//! rendered verdict, lanes and checks. (Runs go on in the page's Workers, which only the built
//! page serves: `tests/browser` presses Run there.)
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
async fn a_bad_parameter_is_refused_with_its_range() {
    set_query("?scenario=asyncio-two-tasks");
    let root = mount();
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
    // Refused as typed, next to the field, before Run is pressed.
    let inline = wait_for(&root, ".param-error")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(
        inline.contains("sleep_ms") && inline.contains("0–60,000"),
        "{inline}"
    );
    assert_eq!(input.get_attribute("aria-invalid").as_deref(), Some("true"));
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
        text.contains("sleep_ms") && text.contains("-5") && text.contains("0–60,000"),
        "{text}"
    );
}

/// Records a trace of scenario `id` with one parameter, on this page's own loop.
async fn browser_trace(id: &str, param: &str) -> conlab_core::Trace {
    let info = conlab_core::catalog::find(id).unwrap();
    let scenario = conlab_scenarios::find(info.id).unwrap();
    let params = conlab_core::Params::from_assignments(info.id, info.params, [param]).unwrap();
    conlab_browser::run_scenario(
        info,
        scenario.generic.unwrap().on_browser,
        scenario.checks,
        params,
        std::time::Duration::from_secs(30),
    )
    .await
}

/// Waits for the verdict of `trace` on the page: passed, with every one of its lanes.
async fn shows_passing_trace(root: &Element, trace: &conlab_core::Trace) {
    let verdict = wait_for(root, "#verdict").await;
    let text = verdict.text_content().unwrap_or_default();
    assert!(text.starts_with("PASSED"), "{text}");
    let lanes = root.query_selector_all("#lanes > .lane").unwrap().length() as usize;
    assert_eq!(lanes, trace.lanes.len());
}

/// Puts a file with `text` on the page's file input, as a user's pick would.
fn pick_file(root: &Element, name: &str, text: &str) {
    let input: web_sys::HtmlInputElement = root
        .query_selector("#trace-file")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(text));
    let file = web_sys::File::new_with_str_sequence(&parts, name).unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    input.set_files(transfer.files().as_ref());
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    input
        .dispatch_event(&web_sys::Event::new_with_event_init_dict("change", &init).unwrap())
        .unwrap();
}

#[wasm_bindgen_test]
async fn a_trace_file_opens_and_a_broken_one_is_explained() {
    let root = mount();
    wait_for(&root, "#trace-file").await;

    // A real trace, recorded on this page's own loop.
    let trace = browser_trace("gather-vs-wait", "sleeps_ms=30,10,20").await;
    let json = trace.to_json();

    pick_file(&root, "run.json", &json[..json.len() / 2]);
    let alert = wait_for(&root, "[role=alert]").await;
    let text = alert.text_content().unwrap_or_default();
    assert!(
        text.contains("run.json")
            && text.contains("not a complete JSON file")
            && text.contains("line"),
        "{text}"
    );

    pick_file(&root, "run.json", &json);
    shows_passing_trace(&root, &trace).await;
    assert!(
        root.query_selector("#download-chrome").unwrap().is_some(),
        "download buttons appear with a trace"
    );
    // The form shows the opened run's parameters, so Run runs it again.
    let sleeps: web_sys::HtmlInputElement = wait_for(&root, "input[name=sleeps_ms]")
        .await
        .dyn_into()
        .unwrap();
    assert_eq!(sleeps.value(), "30,10,20");

    // A Chrome trace conlab did not write is named as such.
    pick_file(
        &root,
        "other.json",
        r#"{"traceEvents": [{"name": "x", "ph": "X", "ts": 1, "dur": 2, "pid": 1, "tid": 1}]}"#,
    );
    let text = wait_for(&root, "[role=alert]")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(
        text.contains("other.json")
            && text.contains("Chrome trace")
            && text.contains("not one conlab exported"),
        "{text}"
    );
}

#[wasm_bindgen_test]
fn wrong_versions_and_other_json_are_explained() {
    let cases = [
        (
            r#"{"schema":"conlab.trace/2"}"#,
            "version \"conlab.trace/2\"",
        ),
        (r#"{"hello":1}"#, "not a conlab trace"),
        (r#"{"schema":"conlab.trace/1","scenario":1}"#, "damaged"),
        ("", "not a complete JSON file"),
    ];
    for (text, expected) in cases {
        let err = conlab_web::load_trace_text("t.json", text).unwrap_err();
        assert!(err.contains(expected), "{text:?}: {err}");
    }
}

/// Sets the page's query string for the app mounted next; returns the old one to restore.
fn set_query(query: &str) -> String {
    let window = web_sys::window().unwrap();
    let old = window.location().search().unwrap_or_default();
    let path = window.location().pathname().unwrap_or_default();
    window
        .history()
        .unwrap()
        .replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}")),
        )
        .unwrap();
    old
}

/// Fires a bubbling `kind` event (`input`, `change`) at `target`, as the browser does.
fn fire(target: &web_sys::EventTarget, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    target
        .dispatch_event(&web_sys::Event::new_with_event_init_dict(kind, &init).unwrap())
        .unwrap();
}

/// Types `value` into a form field as a person would; returns the page's query afterwards.
async fn type_into(field: &web_sys::HtmlInputElement, value: &str) -> String {
    field.set_value(value);
    fire(field, "input");
    TimeoutFuture::new(50).await;
    web_sys::window().unwrap().location().search().unwrap()
}

/// Mounts a playground; it reads the page's query as it is now (other apps on the test page
/// rewrite it as their state changes, so tests set it first).
fn mount() -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<conlab_web::App>::with_root(root.clone()).render();
    root
}

#[wasm_bindgen_test]
async fn a_shared_link_opens_the_scenario_with_its_parameters() {
    let old = set_query("?scenario=wait-timeout&timeout_ms=150&sleeps_ms=100%2C200%2C400");
    let root = mount();
    let select: web_sys::HtmlSelectElement = wait_for(&root, "#scenario").await.dyn_into().unwrap();
    assert_eq!(select.value(), "wait-timeout");
    let timeout: web_sys::HtmlInputElement = wait_for(&root, "input[name=timeout_ms]")
        .await
        .dyn_into()
        .unwrap();
    assert_eq!(timeout.value(), "150");
    // Editing a field rewrites the link.
    let search = type_into(&timeout, "1000").await;
    assert!(
        search.contains("scenario=wait-timeout") && search.contains("timeout_ms=1000"),
        "{search}"
    );
    set_query(&old);
}

#[wasm_bindgen_test]
async fn parameters_a_link_picked_up_on_the_way_are_dropped_not_refused() {
    conlab_web::load_chinese(include_str!("../i18n/zh-CN.json")).unwrap();
    // What a messaging app appends to a shared link, and an embed's framework attribute.
    let old = set_query(
        "?scenario=asyncio-two-tasks&lang=zh-CN&from=singlemessage&isappinstalled=0&v_7ba5bd90=&sleep_ms=30&time-scale=2",
    );
    let root = mount();
    let sleep: web_sys::HtmlInputElement = wait_for(&root, "input[name=sleep_ms]")
        .await
        .dyn_into()
        .unwrap();
    assert_eq!(sleep.value(), "30");
    assert!(
        root.query_selector("[role=alert]").unwrap().is_none(),
        "a stray parameter was refused"
    );
    // The link the page shares keeps the scenario's parameters and drops the others.
    let search = type_into(&sleep, "40").await;
    assert!(
        search.contains("sleep_ms=40")
            && search.contains("time-scale=2")
            && !search.contains("from=")
            && !search.contains("isappinstalled")
            && !search.contains("v_7ba5bd90"),
        "{search}"
    );
    set_query(&old);
}

#[wasm_bindgen_test]
async fn a_trace_link_opens_the_trace_and_bad_links_are_explained() {
    let trace = browser_trace("as-completed", "sleeps_ms=30,10").await;
    let data_url = format!(
        "data:application/json,{}",
        String::from(js_sys::encode_uri_component(&trace.to_json()))
    );
    let old = set_query(&format!(
        "?trace={}",
        String::from(js_sys::encode_uri_component(&data_url))
    ));
    let root = mount();
    let verdict = wait_for(&root, "#verdict").await;
    assert!(verdict
        .text_content()
        .unwrap_or_default()
        .starts_with("PASSED"));

    set_query("?scenario=create-task&tasks=0");
    let root = mount();
    let alert = wait_for(&root, "[role=alert]")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(
        alert.contains("tasks") && alert.contains("1–100,000"),
        "{alert}"
    );
    set_query(&old);
}

#[wasm_bindgen_test]
async fn the_loader_survives_cut_and_scrambled_traces() {
    let json = browser_trace("as-completed", "sleeps_ms=20,10")
        .await
        .to_json();
    let bytes = json.as_bytes();
    // Every cut is refused with the file's name; no cut panics or is taken for a whole trace.
    for cut in (0..bytes.len()).step_by((bytes.len() / 97).max(1)) {
        let text = String::from_utf8_lossy(&bytes[..cut]);
        let err = conlab_web::load_trace_text("cut.json", &text).unwrap_err();
        assert!(err.contains("cut.json"), "cut at {cut}: {err}");
    }
    // Scrambled bytes (a simple deterministic generator) never panic the loader.
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..300 {
        let mut b = bytes.to_vec();
        for _ in 0..4 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let at = (seed % b.len() as u64) as usize;
            let alphabet = b"{}[]\",:0a-9e\\ ";
            b[at] = alphabet[(seed >> 32) as usize % alphabet.len()];
        }
        let _ = conlab_web::load_trace_text("scrambled.json", &String::from_utf8_lossy(&b));
    }
}

#[wasm_bindgen_test]
async fn a_trace_dropped_on_the_page_opens() {
    set_query("?scenario=asyncio-two-tasks");
    let root = mount();
    let zone = wait_for(&root, "#drop-zone").await;
    let trace = browser_trace("gather-vs-wait", "sleeps_ms=30,10,20").await;
    let parts = js_sys::Array::of1(&wasm_bindgen::JsValue::from_str(&trace.to_json()));
    let file = web_sys::File::new_with_str_sequence(&parts, "dropped.json").unwrap();
    let transfer = web_sys::DataTransfer::new().unwrap();
    transfer.items().add_with_file(&file).unwrap();
    let init = web_sys::DragEventInit::new();
    init.set_bubbles(true);
    init.set_cancelable(true);
    init.set_data_transfer(Some(&transfer));
    let drop = web_sys::DragEvent::new_with_event_init_dict("drop", &init).unwrap();
    zone.dispatch_event(&drop).unwrap();
    shows_passing_trace(&root, &trace).await;
    let picked: web_sys::HtmlSelectElement = root
        .query_selector("#scenario")
        .unwrap()
        .unwrap()
        .dyn_into()
        .unwrap();
    assert_eq!(
        picked.value(),
        "gather-vs-wait",
        "the picker follows the opened trace"
    );
}

#[wasm_bindgen_test]
async fn the_timeline_zooms_pans_and_describes_what_is_under_the_pointer() {
    set_query("?scenario=asyncio-two-tasks");
    let root = mount();
    wait_for(&root, "#trace-file").await;
    let trace = browser_trace("create-task", "tasks=5").await;
    pick_file(&root, "tasks.json", &trace.to_json());
    let canvas: HtmlElement = wait_for(&root, "canvas#timeline").await.dyn_into().unwrap();
    let window = || canvas.get_attribute("data-window").unwrap_or_default();
    let whole = window();
    let r = canvas.get_bounding_client_rect();
    let (x, y) = (r.left() + r.width() * 0.6, r.top() + 60.0);

    // A plain wheel is left to scroll the lanes or the page; Ctrl+wheel zooms in around the
    // pointer, as in Perfetto.
    let wheel = |ctrl: bool| {
        let init = web_sys::WheelEventInit::new();
        init.set_delta_y(-300.0);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        init.set_ctrl_key(ctrl);
        init.set_bubbles(true);
        init.set_cancelable(true);
        canvas
            .dispatch_event(&web_sys::WheelEvent::new_with_event_init_dict("wheel", &init).unwrap())
            .unwrap()
    };
    assert!(wheel(false), "a plain wheel is not taken from the page");
    assert_eq!(window(), whole);
    assert!(!wheel(true), "Ctrl+wheel is the timeline's");
    let zoomed = window();
    assert_ne!(zoomed, whole, "Ctrl+wheel zooms");

    // Dragging to the right shows earlier times.
    let pointer = |kind: &str, x: f64| {
        let init = web_sys::PointerEventInit::new();
        init.set_pointer_id(1);
        init.set_client_x(x as i32);
        init.set_client_y(y as i32);
        init.set_bubbles(true);
        canvas
            .dispatch_event(&web_sys::PointerEvent::new_with_event_init_dict(kind, &init).unwrap())
            .unwrap();
    };
    pointer("pointerdown", x);
    pointer("pointermove", x + 80.0);
    pointer("pointerup", x + 80.0);
    let start = |w: &str| w.split('-').next().unwrap().parse::<f64>().unwrap();
    assert!(
        start(&window()) < start(&zoomed),
        "{} then {}",
        zoomed,
        window()
    );

    // `0` shows the whole run again; hovering a task's lane describes its span.
    let key = web_sys::KeyboardEventInit::new();
    key.set_key("0");
    key.set_bubbles(true);
    canvas
        .dispatch_event(
            &web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &key).unwrap(),
        )
        .unwrap();
    assert_eq!(window(), whole);
    let hover = web_sys::PointerEventInit::new();
    hover.set_client_x((r.left() + r.width() * 0.7) as i32);
    hover.set_client_y((r.top() + 22.0 + 20.0 * 1.5) as i32);
    hover.set_bubbles(true);
    canvas
        .dispatch_event(
            &web_sys::PointerEvent::new_with_event_init_dict("pointermove", &hover).unwrap(),
        )
        .unwrap();
    let tip = wait_for(&root, ".tip")
        .await
        .text_content()
        .unwrap_or_default();
    assert!(
        tip.contains("task-1") && tip.contains("sleeping") && tip.contains("lasted"),
        "{tip}"
    );
}
