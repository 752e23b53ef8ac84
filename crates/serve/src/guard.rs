//! What every request passes before a handler sees it:
//!
//! - **Host**: a server on loopback without a token answers only requests addressed to
//!   loopback names, so a web page elsewhere cannot reach it through a DNS name it controls
//!   (DNS rebinding).
//! - **Origin**: an API call from another site's page is refused unless that origin was
//!   allowed (`--cors-origin`); then it gets CORS headers, preflights included.
//! - **Token**: with `--token`, every API call and report file must carry it, as
//!   `Authorization: Bearer <token>`, as `?token=` (a page opened with it keeps it in a
//!   cookie for the calls it makes), or as that cookie. Compared in constant time.

use crate::api::{refuse, AppState};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// The cookie a page opened with `?token=` keeps the token in.
const COOKIE: &str = "conlab_token";

pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let config = &state.config;
    let path = request.uri().path().to_string();
    let guarded = path.starts_with("/api/") || path.starts_with("/report/");
    if config.token.is_none() && !host_is_loopback(request.headers()) {
        return refuse(
            StatusCode::FORBIDDEN,
            "this server answers only requests addressed to 127.0.0.1, localhost or [::1]".into(),
        );
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|o| o.to_str().ok())
        .map(str::to_string);
    let allowed_origin = origin
        .as_deref()
        .filter(|o| config.cors_origins.iter().any(|a| a == o))
        .map(str::to_string);
    if path.starts_with("/api/") {
        if let Some(origin) = &origin {
            if allowed_origin.is_none() && !same_origin(origin, request.headers()) {
                let how = if origin == "null" {
                    "pages opened from a file (Origin: null) cannot call it; serve the page from \
                     a web server and allow that origin with --cors-origin"
                        .to_string()
                } else {
                    format!("start the server with --cors-origin {origin} to allow them")
                };
                return refuse(
                    StatusCode::FORBIDDEN,
                    format!("calls from pages of {origin} are not allowed; {how}"),
                );
            }
        }
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        if declared.is_some_and(|n| n > crate::api::MAX_BODY) {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the request body is larger than {} KB",
                    crate::api::MAX_BODY / 1024
                ),
            );
        }
        if request.method() == Method::OPTIONS {
            return match allowed_origin {
                Some(origin) => preflight(&origin),
                None => StatusCode::NO_CONTENT.into_response(),
            };
        }
    }
    let mut from_query = None;
    if let Some(token) = &config.token {
        let given = presented(&request);
        if guarded && !given.as_deref().is_some_and(|g| matches(g, token)) {
            let mut answer = refuse(
                StatusCode::UNAUTHORIZED,
                "this server wants its token: send `Authorization: Bearer <token>`, or open \
                 the page with ?token=<token>"
                    .into(),
            );
            answer
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            return answer;
        }
        from_query = query_token(request.uri().query()).filter(|g| matches(g, token));
    }
    let mut response = next.run(request).await;
    if let Some(token) = from_query {
        // Only a token that matched reaches here; the page's later calls carry it.
        let cookie = format!("{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    if let Some(origin) = allowed_origin {
        cors_headers(response.headers_mut(), &origin);
    }
    response
}

fn matches(given: &str, token: &str) -> bool {
    given.as_bytes().ct_eq(token.as_bytes()).into()
}

/// The token a request carries: header, then query, then cookie.
fn presented(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(bearer) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
    {
        return Some(bearer.1.trim().to_string());
    }
    if let Some(token) = query_token(request.uri().query()) {
        return Some(token);
    }
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(COOKIE)?.strip_prefix('='))
        .map(str::to_string)
}

fn query_token(query: Option<&str>) -> Option<String> {
    query?
        .split('&')
        .find_map(|p| p.strip_prefix("token="))
        .map(conlab_core::percent_decode)
}

/// Whether the Host header is a loopback authority, whole: a loopback name or address and at
/// most a port of digits after it — nothing else (`127.0.0.1:80@evil.example` and
/// `localhost:evil` are not).
fn host_is_loopback(headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(header::HOST).and_then(|h| h.to_str().ok()) else {
        // HTTP/1.0 without Host: only a local tool sends that.
        return true;
    };
    let (name, port) = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((name, rest)) => (name, rest),
            None => return false,
        },
        None => match host.split_once(':') {
            Some((name, port)) => (name, &host[name.len()..][..port.len() + 1]),
            None => (host, ""),
        },
    };
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => {
            (1..=5).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => port.is_empty(),
    };
    let name_ok = name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    name_ok && port_ok
}

fn same_origin(origin: &str, headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

fn preflight(origin: &str) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    cors_headers(headers, origin);
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST"),
    );
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("authorization, content-type"),
    );
    headers.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    response
}

fn cors_headers(headers: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        headers.insert(header::VARY, HeaderValue::from_static("Origin"));
        // A page of that origin reads when to try again after a 429.
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("Retry-After"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host(h: &str) -> HeaderMap {
        let mut m = HeaderMap::new();
        m.insert(header::HOST, HeaderValue::from_str(h).unwrap());
        m
    }

    #[test]
    fn loopback_names_pass_and_others_do_not() {
        for ok in [
            "127.0.0.1:7878",
            "localhost",
            "LOCALHOST:1",
            "[::1]:7878",
            "127.5.0.1",
        ] {
            assert!(host_is_loopback(&host(ok)), "{ok}");
        }
        for no in [
            "evil.example:7878",
            "10.0.0.1:7878",
            "[fe80::1]:80",
            "localhost.evil.example",
            "127.0.0.1:80@evil.example",
            "localhost:evil",
            "127.0.0.1:7878/path",
            "[::1]:80:81",
            "[::1]evil",
            "localhost:123456",
        ] {
            assert!(!host_is_loopback(&host(no)), "{no}");
        }
    }

    #[test]
    fn tokens_match_only_exactly() {
        assert!(matches("0123456789abcdef", "0123456789abcdef"));
        assert!(!matches("0123456789abcdeF", "0123456789abcdef"));
        assert!(!matches("0123456789abcde", "0123456789abcdef"));
        assert!(!matches("", "0123456789abcdef"));
    }
}
