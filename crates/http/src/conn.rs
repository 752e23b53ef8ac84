//! An HTTP/1.1 connection on the event loop, kept alive between requests: what the load
//! tester's clients and the crawler's async pool use. A request is bytes written as they are;
//! the response is read with [`crate::response`].

use crate::response::{parse_head, Body, Head, ProtocolError};
use std::fmt;
use std::net::SocketAddr;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const READ_CHUNK: usize = 64 * 1024;

/// How a request went wrong, in the same few words for the same cause (so they can be
/// counted by kind).
#[derive(Debug)]
pub enum Failure {
    /// Opening the connection failed.
    Connect(std::io::Error),
    /// Writing the request failed.
    Write(std::io::Error),
    /// Reading the response failed.
    Read(std::io::Error),
    /// The server closed the connection before any of the response.
    Closed,
    /// The response was not HTTP as conlab reads it, or was cut short.
    Protocol(ProtocolError),
    /// No complete response within the time allowed.
    TimedOut,
    /// Still in flight when the run it belongs to ended.
    CutOff,
    /// A complete response whose status was not a success (2xx): its status.
    Status(u16),
}

impl Failure {
    /// The kind, for counting: `connect: Connection refused (os error 111)`, `HTTP 500`.
    pub fn kind(&self) -> String {
        self.to_string()
    }
}

fn os_words(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(_) => e.to_string(),
        None => e.kind().to_string(),
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Connect(e) => write!(f, "connect: {}", os_words(e)),
            Failure::Write(e) => write!(f, "write: {}", os_words(e)),
            Failure::Read(e) => write!(f, "read: {}", os_words(e)),
            Failure::Closed => f.write_str("connection closed before the response"),
            Failure::Protocol(e) => write!(f, "{e}"),
            Failure::TimedOut => f.write_str("timed out"),
            Failure::CutOff => f.write_str("still in flight when the run ended"),
            Failure::Status(code) => write!(f, "HTTP {code}"),
        }
    }
}

impl std::error::Error for Failure {}

/// One response: its head and how many body bytes came.
#[derive(Debug)]
pub struct Response {
    /// Status line and headers.
    pub head: Head,
    /// Bytes of the head (status line and headers).
    pub head_bytes: u64,
    /// Body bytes.
    pub body_bytes: u64,
}

/// A connection to a server.
pub struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    reusable: bool,
}

impl Conn {
    /// Opens a connection (Nagle's delay off: requests are written whole) that reads 64 KB
    /// at a time.
    pub async fn connect(addr: SocketAddr) -> Result<Conn, Failure> {
        Conn::connect_with_buffer(addr, READ_CHUNK).await
    }

    /// Opens a connection that reads `buffer` bytes at a time (a load tester with thousands
    /// of connections and short answers keeps it small; it grows for a large head).
    pub async fn connect_with_buffer(addr: SocketAddr, buffer: usize) -> Result<Conn, Failure> {
        let stream = TcpStream::connect(addr).await.map_err(Failure::Connect)?;
        let _ = stream.set_nodelay(true);
        // Room for a load test's upload in one write (64 KB forms went out in two or three).
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(512 * 1024);
        Ok(Conn {
            stream,
            buf: vec![0; buffer.max(1024)],
            start: 0,
            end: 0,
            reusable: true,
        })
    }

    /// Whether another request may follow on this connection.
    pub fn is_reusable(&self) -> bool {
        self.reusable
    }

    /// Writes `request` and reads the response: `on_head` is told when its head has arrived,
    /// `sink` gets the body's bytes. A response that does not keep the connection alive, or
    /// any failure, makes it unusable for another request.
    pub async fn exchange(
        &mut self,
        request: &[u8],
        request_is_head: bool,
        on_head: impl FnOnce(&Head),
        mut sink: impl FnMut(&[u8]),
    ) -> Result<Response, Failure> {
        self.reusable = false;
        self.start = 0;
        self.end = 0;
        self.stream
            .write_all(request)
            .await
            .map_err(Failure::Write)?;
        let (head, used) = loop {
            if let Some(found) =
                parse_head(&self.buf[..self.end], request_is_head).map_err(Failure::Protocol)?
            {
                break found;
            }
            if self.end == self.buf.len() {
                self.buf.resize(self.buf.len() * 2, 0);
            }
            let n = self
                .stream
                .read(&mut self.buf[self.end..])
                .await
                .map_err(Failure::Read)?;
            if n == 0 {
                return Err(if self.end == 0 {
                    Failure::Closed
                } else {
                    Failure::Protocol(ProtocolError::BadHead("cut short".into()))
                });
            }
            self.end += n;
        };
        on_head(&head);
        self.start = used;
        let mut body = Body::new(head.framing);
        loop {
            if self.start < self.end {
                let taken = body
                    .feed(&self.buf[self.start..self.end], &mut sink)
                    .map_err(Failure::Protocol)?;
                self.start += taken;
            }
            if body.is_done() {
                break;
            }
            let n = self
                .stream
                .read(&mut self.buf)
                .await
                .map_err(Failure::Read)?;
            (self.start, self.end) = (0, n);
            if n == 0 {
                body.closed().map_err(Failure::Protocol)?;
                break;
            }
        }
        // Bytes beyond the response mean a server that answers what was not asked: do not
        // reuse the connection.
        self.reusable = head.keep_alive && body.is_done() && self.start == self.end;
        Ok(Response {
            head_bytes: used as u64,
            body_bytes: body.received(),
            head,
        })
    }
}
