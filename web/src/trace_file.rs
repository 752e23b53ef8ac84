//! Opening trace files (for example those `conlab run-native` saves) and downloading traces,
//! with a clear message for anything that is not a trace this version can read.

use conlab_core::{Trace, TraceLoadError};
use wasm_bindgen::{JsCast, JsValue};

/// The largest file the page opens, checked before reading it.
pub const MAX_FILE_BYTES: f64 = 64.0 * 1024.0 * 1024.0;

/// Reads a trace from text; the error says what is wrong and where.
pub fn load_trace_text(name: &str, text: &str) -> Result<Trace, String> {
    Trace::from_json(text).map_err(|e| match e {
        TraceLoadError::NotJson(why) => format!("{name} is not a complete JSON file ({why})"),
        TraceLoadError::WrongSchema { found: Some(v) } => {
            format!(
                "{name} is a trace of version {v:?}; this playground reads {:?}",
                conlab_core::SCHEMA
            )
        }
        TraceLoadError::WrongSchema { found: None } => {
            format!("{name} is JSON but not a conlab trace (it has no \"schema\" field)")
        }
        TraceLoadError::Invalid(why) => {
            format!("{name} looks like a conlab trace but is damaged: {why}")
        }
        TraceLoadError::TooLarge { size, limit } => {
            format!("{name} is {size} bytes; the limit is {limit} bytes")
        }
    })
}

/// Reads a picked file: refuses an oversized one before reading it.
pub async fn load_trace_file(file: web_sys::File) -> Result<Trace, String> {
    let name = file.name();
    if file.size() > MAX_FILE_BYTES {
        return Err(format!(
            "{name} is {:.1} MB; the playground opens traces up to {:.0} MB",
            file.size() / 1e6,
            MAX_FILE_BYTES / 1e6
        ));
    }
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|e| format!("{name} could not be read: {e:?}"))?
        .as_string()
        .ok_or_else(|| format!("{name} is not text"))?;
    load_trace_text(&name, &text)
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
