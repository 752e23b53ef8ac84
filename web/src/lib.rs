//! The conlab playground: pick a scenario, set its parameters, run it live on a browser's
//! event loop (in a Worker, so no demo blocks the page; a thread scenario: on the
//! deterministic scheduler, in another; or open a recorded native run), and explore its timeline, output, metrics and
//! checks. `embed.html` and `conlab-embed.js` put one scenario in a tutorial page.

mod app;
mod components;
mod embed;
mod i18n;
mod live;
/// Native runs through `conlab serve`: only in the build it embeds (feature `served`); the
/// site's build has the same names doing nothing, and stays within its size budget.
#[cfg(feature = "served")]
mod native;
#[cfg(not(feature = "served"))]
#[path = "native_off.rs"]
mod native;
mod scheduler;
mod share;
mod state;
mod stream;
mod timeline;
mod trace_file;

pub use app::App;
pub use embed::EmbedApp;
pub use i18n::Lang;
pub use share::{parse_query, to_query, FetchError, Shared};
pub use timeline::{state_style, tick_step, RowChoice, Rows, TimelineModel, Viewport};
pub use trace_file::{load_trace_text, MAX_FILE_BYTES};

pub use components::embed_dialog::snippets;
/// For the browser tests: the step-through events of a trace and the lanes' states.
pub use components::step_through::{lane_states, steps, Replay, Step, StepKind};
/// For the browser tests: the embed snippets.
pub use components::timeline::fmt_time;

use wasm_bindgen::prelude::wasm_bindgen;

/// The page's allocator: talc, about a tenth of the default dlmalloc's code in the download.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Mounts the playground into `#conlab`, or the embed widget when that element carries
/// `data-embed`, when the module loads in a page.
#[wasm_bindgen(start)]
pub fn start() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(root) = document.get_element_by_id("conlab") else {
        return;
    };
    let embed = root.has_attribute("data-embed");
    let render = move || {
        if embed {
            yew::Renderer::<EmbedApp>::with_root(root).render();
        } else {
            yew::Renderer::<App>::with_root(root).render();
        }
    };
    // A page that opens in Chinese waits for its Chinese texts rather than flashing English.
    let query = share::parse_query(&share::current_query());
    if app::initial_lang(&query, !embed) == Lang::ZhCn {
        wasm_bindgen_futures::spawn_local(async move {
            let _ = i18n::zh::fetch().await;
            render();
        });
    } else {
        render();
    }
}

/// For the browser tests: loads the Chinese texts from the text of `web/i18n/zh-CN.json`, as
/// the page does when it fetches them.
pub fn load_chinese(text: &str) -> Result<(), String> {
    i18n::zh::load(text)
}
