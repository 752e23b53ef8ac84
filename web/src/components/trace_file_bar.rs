//! Open a trace file; download the trace on show as conlab JSON or Chrome trace-event JSON.

use crate::trace_file::{download, load_trace_file};
use conlab_core::Trace;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Properties of [`TraceFileBar`].
#[derive(Properties, PartialEq)]
pub struct TraceFileBarProps {
    /// The trace on show, if any (for the download buttons).
    pub trace: Option<Trace>,
    /// Called with the opened trace, or with what is wrong with the file.
    pub on_load: Callback<Result<Trace, String>>,
}

/// The file bar.
#[function_component(TraceFileBar)]
pub fn trace_file_bar(props: &TraceFileBarProps) -> Html {
    let on_change = {
        let on_load = props.on_load.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            let on_load = on_load.clone();
            wasm_bindgen_futures::spawn_local(async move {
                on_load.emit(load_trace_file(file).await);
            });
        })
    };
    let save = |chrome: bool| {
        let trace = props.trace.clone();
        Callback::from(move |_| {
            let Some(t) = &trace else { return };
            let (name, text) = if chrome {
                (
                    format!("{}.chrome.json", t.scenario),
                    conlab_core::chrome::to_chrome_json(t).to_string(),
                )
            } else {
                (format!("{}.json", t.scenario), t.to_json())
            };
            let _ = download(&name, &text);
        })
    };
    html! {
        <section class="trace-file">
            <label class="open">
                { "Open a trace file… " }
                <input id="trace-file" type="file" accept=".json,application/json" onchange={on_change} />
            </label>
            if props.trace.is_some() {
                <button id="download-json" onclick={save(false)}>{ "Download trace (JSON)" }</button>
                <button id="download-chrome" onclick={save(true)}>{ "Download for Perfetto" }</button>
            }
        </section>
    }
}
