//! A plain HTTP/1.1 client over a loopback socket, as a program calling the API would be,
//! and a server on a free loopback port with a store of its own.

#![allow(dead_code)]

use conlab_serve::{Config, Server};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn error(&self) -> String {
        self.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }
}

/// One request on a connection of its own; reads the whole answer.
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("the server accepts");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .expect("a timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {addr}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    if let Some(body) = body {
        request.push_str(body);
    }
    stream
        .write_all(request.as_bytes())
        .expect("the request is sent");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse(&raw)
}

fn parse(raw: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(raw);
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &str) -> String {
    let mut out = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            out.push_str(&after[..size.min(after.len())]);
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].strip_prefix("\r\n").unwrap_or(&after[size..]);
    }
    out
}

pub fn post_json(addr: SocketAddr, path: &str, body: &str) -> Answer {
    call(
        addr,
        "POST",
        path,
        &[("Content-Type", "application/json")],
        Some(body),
    )
}

pub fn get(addr: SocketAddr, path: &str) -> Answer {
    call(addr, "GET", path, &[], None)
}

/// One Server-Sent Event.
#[derive(Debug)]
pub struct Sse {
    pub event: String,
    pub data: String,
}

/// Reads a run's whole event stream (it closes after `end`).
pub fn events(addr: SocketAddr, id: &str) -> Vec<Sse> {
    let answer = get(addr, &format!("/api/runs/{id}/events"));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(answer
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/event-stream")));
    answer
        .body
        .split("\n\n")
        .filter_map(|block| {
            let mut event = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(e) = line.strip_prefix("event: ") {
                    event = Some(e.to_string());
                } else if let Some(d) = line.strip_prefix("data: ") {
                    data.push_str(d);
                }
            }
            Some(Sse {
                event: event?,
                data,
            })
        })
        .collect()
}

/// A server on a free loopback port, keeping runs in a folder of its own.
pub fn server(tune: impl FnOnce(&mut Config)) -> (Server, tempfile::TempDir) {
    let store = tempfile::tempdir().expect("a temporary folder");
    let mut config = Config::new(store.path().to_path_buf());
    config.bind = SocketAddr::from(([127, 0, 0, 1], 0));
    tune(&mut config);
    (Server::start(config).expect("the server starts"), store)
}

/// Starts a run and returns its id.
pub fn start(addr: SocketAddr, body: &str) -> String {
    let answer = post_json(addr, "/api/runs", body);
    assert_eq!(answer.status, 202, "{}", answer.body);
    answer.json()["id"].as_str().expect("an id").to_string()
}

/// Waits (at most a minute) until run `id` has ended; returns its summary.
pub fn wait_ended(addr: SocketAddr, id: &str) -> serde_json::Value {
    for _ in 0..1200 {
        let summary = get(addr, &format!("/api/runs/{id}")).json();
        if summary["state"] == "ended" {
            return summary;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("run {id} did not end within a minute");
}
