//! Opening trace files (for example those `conlab run-native` saves) and downloading traces,
//! with a clear message for anything that is not a trace this version can read.

use crate::i18n::Lang;
use conlab_core::Trace;
use wasm_bindgen::{JsCast, JsValue};

/// The largest file the page opens, checked before reading it.
pub const MAX_FILE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Reads a trace from text; the error says (in English) what is wrong and where.
pub fn load_trace_text(name: &str, text: &str) -> Result<Trace, String> {
    load_trace_text_in(Lang::En, name, text)
}

/// Reads a trace from text; the error says in `lang` what is wrong and where.
pub fn load_trace_text_in(lang: Lang, name: &str, text: &str) -> Result<Trace, String> {
    Trace::from_json(text).map_err(|e| match e {
        // A Chrome trace (Perfetto's format) that conlab did not write: conlab's own exports
        // carry the trace they show, this one has none.
        conlab_core::TraceLoadError::WrongSchema { found: None } if is_chrome_trace(text) => {
            lang.foreign_chrome_trace(name)
        }
        e => lang.trace_error(name, &e),
    })
}

/// Whether `text` looks like a Chrome trace: an object with `traceEvents`, or the bare array of
/// events (each with its phase, `ph`).
fn is_chrome_trace(text: &str) -> bool {
    text.contains("\"traceEvents\"")
        || (text.trim_start().starts_with('[') && text.contains("\"ph\""))
}

/// Reads a picked file: refuses an oversized one before reading it.
pub async fn load_trace_file(file: web_sys::File, lang: Lang) -> Result<Trace, String> {
    let name = file.name();
    if file.size() > MAX_FILE_BYTES {
        return Err(lang.file_too_large(&name, file.size() / 1e6, MAX_FILE_BYTES / 1e6));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|e| format!("{name}: {e:?}"))?
        .as_string()
        .ok_or_else(|| format!("{name}: not text"))?;
    load_trace_text_in(lang, &name, &text)
}

/// Offers `text` as a file download named `name`.
pub fn download(name: &str, text: &str) -> Result<(), JsValue> {
    let parts = js_sys::Array::of1(&JsValue::from_str(text));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/json");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    let document = web_sys::window()
        .and_then(|w| w.document())
        .ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a")?.dyn_into()?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    web_sys::Url::revoke_object_url(&url)
}
