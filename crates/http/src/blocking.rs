//! A blocking HTTP/1.1 GET, as `requests.get` makes one: a thread waits in each step. The
//! caller is told when the connection is open and when the response's head arrived, so it can
//! draw connect, request in flight and body read as separate spans.

use crate::conn::Failure;
use crate::response::{parse_head, Body, Head, ProtocolError};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// What a blocking GET reports along the way.
pub trait Progress {
    /// The connection is open.
    fn connected(&mut self);
    /// The response's head has arrived.
    fn head(&mut self, head: &Head);
    /// Some of the body arrived.
    fn body(&mut self, bytes: &[u8]);
}

/// GETs `path` from `addr` on a connection of its own (closed after), giving up on a step that
/// waits longer than `timeout`. Returns the head and the number of body bytes.
pub fn get(
    addr: SocketAddr,
    host: &str,
    path: &str,
    timeout: Duration,
    progress: &mut impl Progress,
) -> Result<(Head, u64), Failure> {
    get_until(addr, host, path, timeout, progress, &|| false)
}

/// How often a read that waits looks whether its caller gave up.
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// [`get`], ending early with [`Failure::CutOff`] once `give_up` says so (a run stopped while
/// the request waits for its answer); it is asked every 20 ms of waiting.
pub fn get_until(
    addr: SocketAddr,
    host: &str,
    path: &str,
    timeout: Duration,
    progress: &mut impl Progress,
    give_up: &dyn Fn() -> bool,
) -> Result<(Head, u64), Failure> {
    let mut stream = TcpStream::connect_timeout(&addr, timeout).map_err(Failure::Connect)?;
    let _ = stream.set_nodelay(true);
    stream
        .set_read_timeout(Some(timeout.min(LOOK_EVERY)))
        .map_err(Failure::Connect)?;
    stream
        .set_write_timeout(Some(timeout))
        .map_err(Failure::Connect)?;
    progress.connected();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(Failure::Write)?;
    let mut buf = vec![0u8; 16 * 1024];
    let mut end = 0;
    let started = std::time::Instant::now();
    let read = |stream: &mut TcpStream, into: &mut [u8]| loop {
        match stream.read(into) {
            Ok(n) => return Ok(n),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                if give_up() {
                    return Err(Failure::CutOff);
                }
                if started.elapsed() >= timeout {
                    return Err(Failure::TimedOut);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Failure::Read(e)),
        }
    };
    let (head, used) = loop {
        if let Some(found) = parse_head(&buf[..end], false).map_err(Failure::Protocol)? {
            break found;
        }
        if end == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = read(&mut stream, &mut buf[end..])?;
        if n == 0 {
            return Err(if end == 0 {
                Failure::Closed
            } else {
                Failure::Protocol(ProtocolError::BadHead("cut short".into()))
            });
        }
        end += n;
    };
    progress.head(&head);
    let mut body = Body::new(head.framing);
    let mut sink = |bytes: &[u8]| progress.body(bytes);
    body.feed(&buf[used..end], &mut sink)
        .map_err(Failure::Protocol)?;
    while !body.is_done() {
        let n = read(&mut stream, &mut buf)?;
        if n == 0 {
            body.closed().map_err(Failure::Protocol)?;
            break;
        }
        body.feed(&buf[..n], &mut sink).map_err(Failure::Protocol)?;
    }
    Ok((head, body.received()))
}
