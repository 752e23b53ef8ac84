//! The conlab playground: pick an async scenario, set its parameters, run it live on the
//! browser's event loop, and see its output, lanes, metrics and checks.

mod app;
mod components;
mod share;
mod trace_file;

pub use app::App;
pub use share::{parse_query, to_query, Shared};
pub use trace_file::{load_trace_text, MAX_FILE_BYTES};

use wasm_bindgen::prelude::wasm_bindgen;

/// Mounts the playground into `#conlab` (or the body) when the module loads in a page.
#[wasm_bindgen(start)]
pub fn start() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(root) = document.get_element_by_id("conlab") {
        yew::Renderer::<App>::with_root(root).render();
    }
}
