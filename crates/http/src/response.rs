//! Reading an HTTP/1.x response without doing IO: [`parse_head`] finds the status line and
//! headers in what has arrived so far, [`Body`] takes the body's bytes as they come, framed
//! by `Content-Length`, by chunks, or by the connection closing. The blocking client and the
//! async connection feed them from their sockets.

use std::fmt;

/// The most a response head may take (status line and headers).
pub const MAX_HEAD: usize = 64 * 1024;
/// The largest body read: a longer one fails its request (the crawler's largest file is
/// 64 MiB; a server that never stops sending is cut off here).
pub const MAX_BODY: u64 = 256 * 1024 * 1024;
const MAX_HEADERS: usize = 64;

/// A response's status line and headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// `1` for HTTP/1.1, `0` for HTTP/1.0.
    pub minor_version: u8,
    /// The status code.
    pub status: u16,
    /// The reason phrase (`OK`).
    pub reason: String,
    /// The headers, in order, names as sent.
    pub headers: Vec<(String, String)>,
    /// How the body is delimited.
    pub framing: Framing,
    /// Whether the connection may carry another request after this response.
    pub keep_alive: bool,
}

impl Head {
    /// The first header with this name (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// How a response's body ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// After this many bytes.
    Length(u64),
    /// After the last (empty) chunk.
    Chunked,
    /// When the server closes the connection.
    UntilClose,
}

/// A response that is not HTTP as conlab reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtocolError {
    /// The status line or a header could not be parsed.
    BadHead(String),
    /// The head is larger than [`MAX_HEAD`].
    HeadTooLarge,
    /// A chunk size line was not hexadecimal, or a chunk did not end with CRLF.
    BadChunk,
    /// The body is longer than [`MAX_BODY`].
    BodyTooLarge,
    /// The connection closed before the body's end.
    Truncated {
        /// Body bytes received.
        got: u64,
    },
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProtocolError::BadHead(why) => write!(f, "not an HTTP response ({why})"),
            ProtocolError::HeadTooLarge => {
                write!(f, "response head larger than {} KB", MAX_HEAD / 1024)
            }
            ProtocolError::BadChunk => f.write_str("malformed chunked body"),
            ProtocolError::BodyTooLarge => {
                write!(f, "response body larger than {} MiB", MAX_BODY >> 20)
            }
            ProtocolError::Truncated { got } => {
                write!(f, "connection closed after {got} bytes of the body")
            }
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Parses a response head from the start of `buf`: the head and how many bytes it took, or
/// `None` while it is incomplete. `request_was_head` marks a response without a body.
pub fn parse_head(
    buf: &[u8],
    request_was_head: bool,
) -> Result<Option<(Head, usize)>, ProtocolError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let used = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => {
            return Err(ProtocolError::HeadTooLarge)
        }
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(ProtocolError::BadHead(e.to_string())),
    };
    let status = response.code.unwrap_or(0);
    let minor_version = response.version.unwrap_or(0);
    let headers: Vec<(String, String)> = response
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_string(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let no_body = request_was_head || status / 100 == 1 || status == 204 || status == 304;
    let chunked = find("transfer-encoding").is_some_and(|v| {
        v.to_ascii_lowercase()
            .split(',')
            .any(|t| t.trim() == "chunked")
    });
    let framing = if no_body {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(length) = find("content-length") {
        Framing::Length(length.parse().map_err(|_| {
            ProtocolError::BadHead(format!("Content-Length {length:?} is not a number"))
        })?)
    } else {
        Framing::UntilClose
    };
    let connection = find("connection").map(str::to_ascii_lowercase);
    let keep_alive = framing != Framing::UntilClose
        && match minor_version {
            0 => connection.as_deref() == Some("keep-alive"),
            _ => connection.as_deref() != Some("close"),
        };
    let head = Head {
        minor_version,
        status,
        reason: response.reason.unwrap_or("").to_string(),
        headers,
        framing,
        keep_alive,
    };
    Ok(Some((head, used)))
}

/// A body being received: feed it what arrives, it hands the body's bytes on and says when
/// the body is complete.
#[derive(Debug, Clone)]
pub struct Body {
    framing: Framing,
    /// Body bytes handed on so far.
    received: u64,
    chunk: ChunkState,
    /// A chunk-size line split across two reads.
    line: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk, this many bytes left.
    Data(u64),
    /// Expecting the CRLF after a chunk's data.
    DataEnd,
    /// After the last chunk: reading trailer lines until an empty one.
    Trailer,
    /// Complete.
    Done,
}

impl Body {
    /// A body framed as `framing` says.
    pub fn new(framing: Framing) -> Body {
        Body {
            framing,
            received: 0,
            chunk: ChunkState::Size,
            line: Vec::new(),
        }
    }

    /// Body bytes received so far (chunk framing not counted).
    pub fn received(&self) -> u64 {
        self.received
    }

    /// Whether the body is complete.
    pub fn is_done(&self) -> bool {
        match self.framing {
            Framing::Length(n) => self.received >= n,
            Framing::Chunked => self.chunk == ChunkState::Done,
            Framing::UntilClose => false,
        }
    }

    /// Takes bytes that arrived: hands the body's own to `sink` and returns how many of
    /// `input` belonged to this response (the rest is the next response's).
    pub fn feed(
        &mut self,
        input: &[u8],
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<usize, ProtocolError> {
        let took = self.feed_framed(input, sink)?;
        if self.received > MAX_BODY {
            return Err(ProtocolError::BodyTooLarge);
        }
        Ok(took)
    }

    fn feed_framed(
        &mut self,
        input: &[u8],
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<usize, ProtocolError> {
        match self.framing {
            Framing::Length(n) => {
                let take = ((n - self.received.min(n)) as usize).min(input.len());
                sink(&input[..take]);
                self.received += take as u64;
                Ok(take)
            }
            Framing::UntilClose => {
                sink(input);
                self.received += input.len() as u64;
                Ok(input.len())
            }
            Framing::Chunked => self.feed_chunked(input, sink),
        }
    }

    /// Says the connection closed: fine for a body that ends there, an error for one cut short.
    pub fn closed(&self) -> Result<(), ProtocolError> {
        if self.is_done() || self.framing == Framing::UntilClose {
            Ok(())
        } else {
            Err(ProtocolError::Truncated { got: self.received })
        }
    }

    fn feed_chunked(
        &mut self,
        input: &[u8],
        sink: &mut impl FnMut(&[u8]),
    ) -> Result<usize, ProtocolError> {
        let mut at = 0;
        while at < input.len() {
            match self.chunk {
                ChunkState::Done => break,
                ChunkState::Data(left) => {
                    let take = (left as usize).min(input.len() - at);
                    sink(&input[at..at + take]);
                    self.received += take as u64;
                    at += take;
                    self.chunk = match left - take as u64 {
                        0 => ChunkState::DataEnd,
                        rest => ChunkState::Data(rest),
                    };
                }
                ChunkState::Size | ChunkState::DataEnd | ChunkState::Trailer => {
                    let Some(newline) = input[at..].iter().position(|&b| b == b'\n') else {
                        self.line.extend_from_slice(&input[at..]);
                        if self.line.len() > 1024 {
                            return Err(ProtocolError::BadChunk);
                        }
                        return Ok(input.len());
                    };
                    self.line.extend_from_slice(&input[at..at + newline]);
                    at += newline + 1;
                    let line = std::mem::take(&mut self.line);
                    let line = line.strip_suffix(b"\r").unwrap_or(&line);
                    self.chunk = match self.chunk {
                        ChunkState::DataEnd if line.is_empty() => ChunkState::Size,
                        ChunkState::DataEnd => return Err(ProtocolError::BadChunk),
                        ChunkState::Trailer if line.is_empty() => ChunkState::Done,
                        ChunkState::Trailer => ChunkState::Trailer,
                        _ => {
                            let hex = line.split(|&b| b == b';').next().unwrap_or(&[]);
                            let hex =
                                std::str::from_utf8(hex).map_err(|_| ProtocolError::BadChunk)?;
                            match u64::from_str_radix(hex.trim(), 16) {
                                Ok(0) => ChunkState::Trailer,
                                Ok(n) => ChunkState::Data(n),
                                Err(_) => return Err(ProtocolError::BadChunk),
                            }
                        }
                    };
                }
            }
        }
        Ok(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        parse_head(text.as_bytes(), false).unwrap().unwrap().0
    }

    #[test]
    fn heads_say_how_their_body_ends() {
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        assert_eq!(
            (h.status, h.framing, h.keep_alive),
            (200, Framing::Length(5), true)
        );
        let h = head("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false));
        let h = head("HTTP/1.0 200 OK\r\n\r\n");
        assert_eq!(
            (h.minor_version, h.framing, h.keep_alive),
            (0, Framing::UntilClose, false)
        );
        let h = head("HTTP/1.1 204 No Content\r\n\r\n");
        assert_eq!(h.framing, Framing::Length(0));
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Le", false),
            Ok(None)
        );
        assert!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n", false).is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false).is_err());
    }

    #[test]
    fn chunked_bodies_decode_across_any_split() {
        let wire = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT";
        for split in 1..wire.len() {
            let mut body = Body::new(Framing::Chunked);
            let mut out = Vec::new();
            let mut used = 0;
            for part in [&wire[..split], &wire[split..]] {
                if !body.is_done() {
                    used += body.feed(part, &mut |b| out.extend_from_slice(b)).unwrap();
                }
            }
            assert_eq!(out, b"hello world", "split at {split}");
            assert!(body.is_done());
            assert_eq!(&wire[used..], b"NEXT", "split at {split}");
        }
        let mut body = Body::new(Framing::Chunked);
        assert_eq!(
            body.feed(b"zz\r\n", &mut |_| {}),
            Err(ProtocolError::BadChunk)
        );
    }

    #[test]
    fn a_length_body_stops_at_its_length_and_reports_a_cut() {
        let mut body = Body::new(Framing::Length(4));
        let mut out = Vec::new();
        assert_eq!(body.feed(b"ab", &mut |b| out.extend_from_slice(b)), Ok(2));
        assert_eq!(body.closed(), Err(ProtocolError::Truncated { got: 2 }));
        assert_eq!(
            body.feed(b"cdEXTRA", &mut |b| out.extend_from_slice(b)),
            Ok(2)
        );
        assert!(body.is_done() && body.closed().is_ok());
        assert_eq!(out, b"abcd");
    }
}
