//! raw-http: HTTP by hand. A GET is written as text over a TCP connection on the event loop
//! (HTTP/1.0 as the seed tutorial writes it over asyncio streams, or HTTP/1.1), then the
//! response is read as a person would: the status line, each header line, the blank line,
//! then the body (as long as `Content-Length` says, in chunks, or until the server closes).
//! Every step is a span and every line, sent or received, is in the output.

use super::target::{self, Target};
use conlab_core::{Checks, LaneCtx, Params, ScenarioError, SpanState, Text};
use conlab_http::content;
use conlab_tokio::TokioRuntime;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// How long any one step may wait.
const STEP_LIMIT: Duration = Duration::from_secs(30);
/// Body lines shown in the output; the rest is counted.
const SHOWN_LINES: usize = 4;
/// Longest header section read (lines beyond it fail the run).
const MAX_HEADERS: usize = 100;
/// The longest line read (status line, header, chunk size): a longer one fails the run.
const MAX_LINE: usize = 64 * 1024;
/// The largest body read (it is held whole, to check it): a larger one fails the run.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// How a response says its body ends, from its headers — or what is wrong with what it says
/// (the header and the values named).
fn framing(headers: &[(String, String)]) -> Result<Option<u64>, String> {
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.to_ascii_lowercase().contains("chunked"));
    let mut lengths: Vec<&str> = headers
        .iter()
        .filter(|(n, _)| n == "content-length")
        .flat_map(|(_, v)| v.split(','))
        .map(str::trim)
        .collect();
    if chunked && !lengths.is_empty() {
        return Err(
            "Transfer-Encoding: chunked and Content-Length both say how long the body is".into(),
        );
    }
    let mut values = Vec::new();
    for v in &lengths {
        if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "Content-Length {v:?} is not a length (a length is digits only)"
            ));
        }
        match v.parse::<u64>() {
            Ok(n) => values.push(n),
            Err(_) => return Err(format!("Content-Length {v} is larger than any body can be")),
        }
    }
    values.dedup();
    lengths.dedup();
    match values.as_slice() {
        [] => Ok(None),
        [n] => Ok(Some(*n)),
        _ => Err(format!(
            "Content-Length headers disagree: {}",
            lengths.join(", ")
        )),
    }
}

/// Why it cannot run with these parameters: a `url` that is not this machine (without
/// `--allow-remote`) or cannot be resolved.
pub fn unavailable(params: &Params) -> Option<String> {
    target::refusal(params)
}

fn failed(step: &str, e: impl std::fmt::Display) -> ScenarioError {
    ScenarioError::failed(format!("{step}: {e}"))
}

/// Awaits one step within [`STEP_LIMIT`].
async fn step<T>(
    name: &str,
    f: impl std::future::Future<Output = std::io::Result<T>>,
) -> Result<T, ScenarioError> {
    match tokio::time::timeout(STEP_LIMIT, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(failed(name, e)),
        Err(_) => Err(failed(
            name,
            format!("no progress in {} s", STEP_LIMIT.as_secs()),
        )),
    }
}

/// A line as it is shown: control characters escaped (`\r`, `\t`, `\x1b`), long lines cut.
fn shown(line: &[u8]) -> String {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end_matches(['\r', '\n']);
    // Control characters as escapes (a terminal must not obey them); the rest as it is.
    let mut out = String::new();
    for c in text.chars().take(120) {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    if text.chars().count() > 120 {
        out.push('…');
    }
    out
}

/// Runs the scenario.
pub async fn run(main: LaneCtx<TokioRuntime>) -> Result<(), ScenarioError> {
    let version = main.params().choice("version").to_string();
    let size = main.params().usize("size_kb") * 1024;
    let target = Target::start(main.params()).await?;
    let path = target.path(&format!("/files/hello.txt?size={size}"));
    let host = target.host();

    let stream = main
        .during(
            SpanState::Connecting,
            "connect",
            step("connect", TcpStream::connect(target.addr())),
        )
        .await?;
    main.print(format!("connected to {}", target.addr()));
    let (reader, mut writer) = stream.into_split();
    let mut lines = vec![
        format!("GET {path} HTTP/{version}"),
        format!("Host: {host}"),
    ];
    if version == "1.1" {
        // HTTP/1.1 keeps a connection open unless told; this request is the only one.
        lines.push("Connection: close".into());
    }
    let request: String = lines.iter().map(|l| format!("{l}\r\n")).collect::<String>() + "\r\n";
    for line in &lines {
        main.print(format!("> {line}"));
    }
    main.print(">");
    main.mark("request", Text::from(lines[0].clone()));
    main.during(
        SpanState::Running,
        "write request",
        step("writing the request", async {
            writer.write_all(request.as_bytes()).await?;
            writer.flush().await
        }),
    )
    .await?;
    main.print(format!("({} bytes written)", request.len()));

    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    // The status line is where the request's time in flight ends.
    let n = main
        .during(
            SpanState::InFlight,
            "status line",
            step("reading the status line", read_line(&mut reader, &mut line)),
        )
        .await?;
    if n == 0 {
        return Err(ScenarioError::failed(
            "the server closed the connection without answering",
        ));
    }
    let status_line = shown(&line);
    main.print(format!("< {status_line}"));
    main.mark("status", Text::from(status_line.clone()));
    let mut headers = Vec::new();
    loop {
        let began = main.now();
        let n = step("reading a header", read_line(&mut reader, &mut line)).await?;
        let text = shown(&line);
        // The empty line that ends the headers is a step of its own.
        let what = if text.is_empty() {
            "blank line"
        } else {
            "header"
        };
        main.writer()
            .span(main.lane(), SpanState::BlockedIo, began, main.now(), what);
        if n == 0 {
            return Err(ScenarioError::failed(
                "the connection closed inside the headers",
            ));
        }
        if text.is_empty() {
            main.print("<");
            break;
        }
        main.print(format!("< {text}"));
        main.mark("header", Text::from(text.clone()));
        if let Some((name, value)) = text.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        if headers.len() > MAX_HEADERS {
            return Err(ScenarioError::failed(format!(
                "more than {MAX_HEADERS} headers"
            )));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let chunked = header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
    // A response whose framing is broken is read until the server closes (bounded), and
    // judged by the checks.
    let framed = framing(&headers);
    main.mark(
        "framing",
        Text::from(match &framed {
            Ok(_) => "ok".to_string(),
            Err(why) => why.clone(),
        }),
    );
    let (chunked, length) = match framed {
        Ok(length) => (chunked, length.map(|n| n as usize)),
        Err(_) => (false, None),
    };
    if length.is_some_and(|n| n > MAX_BODY) {
        return Err(ScenarioError::failed(format!(
            "the server announced a body of {} bytes; raw-http reads at most {} MiB",
            length.unwrap_or(0),
            MAX_BODY >> 20
        )));
    }
    let how = match (chunked, length) {
        (true, _) => "in chunks",
        (false, Some(_)) => "as long as Content-Length says",
        (false, None) => "until the server closed the connection",
    };
    let body = main
        .during(
            SpanState::BlockedIo,
            "body",
            step("reading the body", async {
                let mut body = Vec::new();
                if chunked {
                    read_chunked(&mut reader, &mut body).await?;
                } else if let Some(n) = length {
                    body.reserve(n);
                    let got = (&mut reader).take(n as u64).read_to_end(&mut body).await?;
                    if got < n {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            format!("the server closed the connection after {got} of the {n} bytes Content-Length announced"),
                        ));
                    }
                } else {
                    (&mut reader)
                        .take(MAX_BODY as u64 + 1)
                        .read_to_end(&mut body)
                        .await?;
                    if body.len() > MAX_BODY {
                        return Err(too_large());
                    }
                }
                Ok(body)
            }),
        )
        .await?;
    for l in body.split_inclusive(|b| *b == b'\n').take(SHOWN_LINES) {
        main.print(format!("< {}", shown(l)));
    }
    let crc = crc32fast::hash(&body);
    main.print(format!(
        "(body: {} bytes, read {how}; CRC-32 {crc:08x})",
        body.len()
    ));
    main.mark(
        "body",
        Text::from(format!(
            "{} {crc:08x} {}",
            body.len(),
            length.map_or(-1, |n| n as i64)
        )),
    );
    if target.own().is_some() {
        main.mark(
            "expected_body",
            Text::from(format!(
                "{size} {:08x}",
                content::crc32("hello.txt", size as u64)
            )),
        );
    }
    Ok(())
}

/// The error of a body over [`MAX_BODY`].
fn too_large() -> std::io::Error {
    std::io::Error::other(format!(
        "the body is larger than {} MiB, the most raw-http reads",
        MAX_BODY >> 20
    ))
}

/// Reads one line (up to and with its `\n`) into `line`, emptied first; a line longer than
/// [`MAX_LINE`] is an error.
async fn read_line(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    line: &mut Vec<u8>,
) -> std::io::Result<usize> {
    line.clear();
    let n = reader
        .take(MAX_LINE as u64 + 1)
        .read_until(b'\n', line)
        .await?;
    if line.len() > MAX_LINE {
        return Err(std::io::Error::other(format!(
            "a line longer than {} KiB, the longest raw-http reads",
            MAX_LINE >> 10
        )));
    }
    Ok(n)
}

/// A chunked body: a hexadecimal size line, that many bytes and CRLF, until a size of 0; then
/// trailer lines until a blank one.
async fn read_chunked(
    reader: &mut BufReader<tokio::net::tcp::OwnedReadHalf>,
    body: &mut Vec<u8>,
) -> std::io::Result<()> {
    let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string());
    let mut line = Vec::new();
    loop {
        read_line(reader, &mut line).await?;
        let text = String::from_utf8_lossy(&line);
        let hex = text.trim().split(';').next().unwrap_or("");
        let size = usize::from_str_radix(hex, 16)
            .map_err(|_| bad("a chunk size that is not hexadecimal"))?;
        if size == 0 {
            loop {
                if read_line(reader, &mut line).await? == 0 || line.trim_ascii().is_empty() {
                    return Ok(());
                }
            }
        }
        if body.len().saturating_add(size) > MAX_BODY {
            return Err(too_large());
        }
        let at = body.len();
        body.resize(at + size + 2, 0);
        reader.read_exact(&mut body[at..]).await?;
        if &body[at + size..] != b"\r\n" {
            return Err(bad("a chunk not followed by CRLF"));
        }
        body.truncate(at + size);
    }
}

/// Checks, from the recorded steps and marks: the steps came in order (connect, request,
/// status line, headers, body), the status line is HTTP with a success code, and the body is
/// as long as the server said (on conlab's server, also the very bytes of the file).
pub fn checks(c: &mut Checks) {
    let t = c.trace;
    let order = [
        "connect",
        "write request",
        "status line",
        "header",
        "blank line",
        "body",
    ];
    let steps: Vec<(&str, conlab_core::Nanos, conlab_core::Nanos)> = t
        .spans
        .iter()
        .filter_map(|s| {
            let name = order.iter().find(|o| **o == s.label)?;
            Some((*name, s.start, s.end))
        })
        .collect();
    let rank = |name: &str| order.iter().position(|o| *o == name).unwrap_or(0);
    let in_order = steps
        .windows(2)
        .all(|w| rank(w[0].0) <= rank(w[1].0) && w[0].2 <= w[1].1);
    // A response may have no headers at all; every other step is there once.
    let all_there = order
        .iter()
        .filter(|o| **o != "header")
        .all(|o| steps.iter().filter(|s| s.0 == *o).count() == 1);
    c.check(
        "steps-in-order",
        "connect, write the request, read the status line, each header, then the body, one after the other",
        in_order && all_there,
        format!("in this order: {}", steps.iter().map(|s| s.0).collect::<Vec<_>>().join(" → ")),
    );
    let status = t.marks_named("status").next().map(|m| m.detail.clone());
    let code = status
        .as_deref()
        .and_then(|s| s.strip_prefix("HTTP/1."))
        .and_then(|s| s.split(' ').nth(1))
        .and_then(|c| c.parse::<u16>().ok());
    c.check(
        "status-line",
        "the status line is HTTP/1.x with a success code",
        code.is_some_and(|c| (200..300).contains(&c)),
        status.map_or_else(|| "no status line".into(), |s| format!("status line: {s}")),
    );
    let body = t
        .marks_named("body")
        .next()
        .map(|m| m.detail.clone())
        .unwrap_or_default();
    let mut parts = body.split(' ');
    let got: Option<i64> = parts.next().and_then(|n| n.parse().ok());
    let crc = parts.next().unwrap_or("");
    let said: i64 = parts.next().and_then(|n| n.parse().ok()).unwrap_or(-1);
    let expected = t
        .marks_named("expected_body")
        .next()
        .map(|m| m.detail.clone());
    let (ok, detail) = match (&expected, got) {
        (_, None) => (false, "no body read".to_string()),
        (Some(e), Some(n)) => {
            let (size, file_crc) = e.split_once(' ').unwrap_or((e, ""));
            (
                *e == format!("{n} {crc}"),
                format!(
                    "{n} bytes, CRC-32 {crc}; the server's file: {size} bytes, CRC-32 {file_crc}"
                ),
            )
        }
        (None, Some(n)) => (
            said < 0 || said == n,
            match said {
                -1 => format!("{n} bytes (no Content-Length: read until the server closed)"),
                s => format!("{n} bytes, Content-Length {s}"),
            },
        ),
    };
    c.check(
        "body-received",
        "the whole body arrived, as long as the server said",
        ok,
        detail,
    );
    const FRAMING: &str = "the response says how long its body is in one valid way (or not at all)";
    match t.marks_named("framing").next().map(|m| m.detail.as_str()) {
        Some(framing) => {
            let ok = framing == "ok";
            let detail = if ok {
                "one valid length, chunks, or none (read until the server closed)"
            } else {
                framing
            };
            c.check("framing-valid", FRAMING, ok, detail);
        }
        // No head arrived (the run failed before; other checks say so), or a recording of an
        // earlier version, which did not note the framing.
        None => {
            c.not_judged(
                "framing-valid",
                FRAMING,
                "no response head was recorded, so there is no framing to judge",
            );
        }
    }
}

/// About how long a run takes: a round trip on loopback.
pub fn expected(_: &Params) -> Duration {
    Duration::from_millis(50)
}

/// This file: the code that runs, shown beside its timeline on the playground.
pub const SOURCE: &str = file!();
