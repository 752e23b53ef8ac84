//! Files: the web app (inside the binary with the `web-app` feature: the build with Run
//! natively, `scripts/build-web.sh --served`, which `just serve` makes first) and, under
//! `/report/`, the report folder the server was given. The app's page and its embed widget are
//! marked as served (`<meta name="conlab-serve">`), which turns Run natively on.

use crate::api::AppState;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use std::path::{Component, Path, PathBuf};

#[cfg(feature = "web-app")]
static WEB_APP: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/../../web/dist-served");

/// Whether this build carries the web app.
pub fn has_web_app() -> bool {
    cfg!(feature = "web-app")
}

/// A file of the web app, by its path in `web/dist`.
pub fn web_app_file(path: &str) -> Option<&'static [u8]> {
    #[cfg(feature = "web-app")]
    {
        WEB_APP.get_file(path).map(|f| f.contents())
    }
    #[cfg(not(feature = "web-app"))]
    {
        let _ = path;
        None
    }
}

/// Every file of the web app, with its path (empty without the `web-app` feature).
pub fn web_app_files() -> Vec<(String, &'static [u8])> {
    #[allow(unused_mut)]
    let mut out = Vec::new();
    #[cfg(feature = "web-app")]
    {
        fn walk(dir: &'static include_dir::Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
            for f in dir.files() {
                out.push((f.path().to_string_lossy().into_owned(), f.contents()));
            }
            for d in dir.dirs() {
                walk(d, out);
            }
        }
        walk(&WEB_APP, &mut out);
    }
    out
}

/// The content type of a file, by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        _ => "text/plain; charset=utf-8",
    }
}

fn file_response(path: &str, bytes: Vec<u8>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(path)),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        bytes,
    )
        .into_response()
}

fn not_found(path: &str) -> Response {
    (StatusCode::NOT_FOUND, format!("nothing is at {path}\n")).into_response()
}

pub async fn asset(State(state): State<AppState>, uri: Uri) -> Response {
    let path = uri.path();
    if path.starts_with("/api/") || path == "/api" {
        return crate::api::refuse(
            StatusCode::NOT_FOUND,
            format!(
                "there is no such API call; the API: {}",
                crate::api::API_CALLS
            ),
        );
    }
    if path == "/report" {
        return axum::response::Redirect::permanent("/report/").into_response();
    }
    if let Some(rest) = path.strip_prefix("/report/") {
        let Some(dir) = &state.config.report else {
            return not_found(path);
        };
        let Some(file) = inside(dir, rest) else {
            return not_found(path);
        };
        return match tokio::fs::read(&file).await {
            Ok(bytes) => file_response(&file.to_string_lossy(), bytes),
            Err(_) => not_found(path),
        };
    }
    let name = match path.trim_start_matches('/') {
        "" => "index.html",
        name => name,
    };
    let from_disk;
    let file = match &state.config.web_dir {
        Some(dir) => {
            from_disk = match inside(dir, name) {
                Some(file) => tokio::fs::read(file).await.ok(),
                None => None,
            };
            from_disk.as_deref()
        }
        None => web_app_file(name),
    };
    match file {
        // The playground and the embed widget both learn that a server stands behind them.
        Some(bytes) if name == "index.html" || name == "embed.html" => {
            let page = String::from_utf8_lossy(bytes).replacen(
                "<head>",
                "<head><meta name=\"conlab-serve\" content=\"1\">",
                1,
            );
            file_response(name, page.into_bytes())
        }
        Some(bytes) => file_response(name, bytes.to_vec()),
        None if name == "index.html" => Html(WITHOUT_WEB_APP).into_response(),
        None => not_found(path),
    }
}

/// `rest` as a file under `dir` (a folder's `index.html`), refusing any way out of it.
fn inside(dir: &Path, rest: &str) -> Option<PathBuf> {
    let relative = Path::new(rest);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
        || rest.split('/').any(|part| part.starts_with('.'))
    {
        return None;
    }
    let mut file = dir.join(relative);
    if rest.is_empty() || rest.ends_with('/') {
        file = file.join("index.html");
    }
    Some(file)
}

const WITHOUT_WEB_APP: &str = "<!doctype html><meta charset=utf-8><title>conlab serve</title>\
<body style=\"font-family:system-ui;max-width:40em;margin:3em auto\"><h1>conlab serve</h1>\
<p>This build of conlab does not carry the web app. Run <code>just serve</code>, which builds \
it and starts a server with it.</p><p>The JSON API answers here: \
<a href=\"/api/scenarios\">/api/scenarios</a>, <a href=\"/api/runs\">/api/runs</a>. \
A report given with <code>--open</code> is at <a href=\"/report/\">/report/</a>.</p></body>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_paths_stay_inside() {
        let dir = Path::new("/srv/report");
        assert_eq!(inside(dir, ""), Some(dir.join("index.html")));
        assert_eq!(inside(dir, "runs/a.json"), Some(dir.join("runs/a.json")));
        for bad in [
            "../etc/passwd",
            "runs/../../x",
            "/etc/passwd",
            ".hidden",
            "a/.git/x",
        ] {
            assert_eq!(inside(dir, bad), None, "{bad}");
        }
    }
}
