//! The wire between a child process and its parent: length-prefixed binary frames over a Unix
//! socket. A frame is a little-endian `u32` length, then a tag byte and the tag's fields;
//! strings are a `u16` length and UTF-8 bytes. Events are a few dozen bytes each, and a child
//! buffers them until it waits, so recording in a child costs a copy, not a system call.
//!
//! Everything read is checked: a frame that is too long, a tag that does not exist, a field cut
//! short or text that is not UTF-8 is [`FrameError::Garbage`], never a panic.

use conlab_core::{LaneKind, Nanos, SpanState};
use std::io::{self, Read};

/// The longest frame either side accepts (a message carries at most this much payload).
pub const MAX_FRAME: usize = 1 << 20;

/// No lane (a wait with no known holder).
pub const NO_LANE: u32 = u32::MAX;

/// What a child tells its parent. Lanes are the child's own numbers (0 is the process itself,
/// then its threads in the order they started); `holder` of a wait is a process's index in its
/// run (see `Spawn::index`).
#[derive(Debug, Clone, PartialEq)]
pub enum ToParent {
    /// A thread of the child started.
    LaneStart {
        /// The thread's lane (child numbering).
        lane: u32,
        /// Its parent lane (child numbering).
        parent: u32,
        /// What it is.
        kind: LaneKind,
        /// When.
        t: Nanos,
        /// Its name.
        name: String,
    },
    /// A lane ended.
    LaneEnd { lane: u32, t: Nanos },
    /// A span opened.
    Begin {
        lane: u32,
        t: Nanos,
        state: SpanState,
        label: String,
    },
    /// The innermost open span closed.
    End { lane: u32, t: Nanos },
    /// A whole span.
    Span {
        lane: u32,
        start: Nanos,
        end: Nanos,
        state: SpanState,
        label: String,
    },
    /// A point event.
    Mark {
        lane: u32,
        t: Nanos,
        name: String,
        detail: String,
    },
    /// A line of output.
    Output { lane: u32, t: Nanos, text: String },
    /// A figure.
    Metric {
        key: String,
        value: f64,
        unit: String,
    },
    /// The process waits (for the watchdog): on what, held by which process, and whether the
    /// wait has a time limit (only untimed waits can be part of a deadlock).
    Waiting {
        holder: u32,
        timed: bool,
        what: String,
    },
    /// The process no longer waits.
    Ready,
    /// A message for the parent's code (an item put on a queue, a task's result).
    Message(Vec<u8>),
    /// The child's code failed; the reason, in words.
    Failure(String),
    /// The child's code returned; it exits next.
    Done,
}

/// What a parent tells a child.
#[derive(Debug, Clone, PartialEq)]
pub enum ToChild {
    /// A message for the child's code (a task, a reply).
    Message(Vec<u8>),
    /// The run is over or aborted: give up at the next slice of any wait.
    Abort,
}

/// A frame that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum FrameError {
    /// The other side closed the channel between frames.
    #[error("the channel closed")]
    Closed,
    /// Reading failed.
    #[error("reading the channel failed: {0}")]
    Io(#[from] io::Error),
    /// What arrived is not a frame.
    #[error("{0}")]
    Garbage(String),
}

/// Writes frames into a buffer.
pub struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    start: usize,
}

impl<'a> Encoder<'a> {
    fn new(out: &'a mut Vec<u8>, tag: u8) -> Encoder<'a> {
        let start = out.len();
        out.extend_from_slice(&[0; 4]);
        out.push(tag);
        Encoder { out, start }
    }

    fn u8(self, v: u8) -> Self {
        self.out.push(v);
        self
    }

    fn u32(self, v: u32) -> Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn u64(self, v: u64) -> Self {
        self.out.extend_from_slice(&v.to_le_bytes());
        self
    }

    fn str(self, s: &str) -> Self {
        // Longer text is cut at a character boundary: a line of output is never that long.
        let mut end = s.len().min(u16::MAX as usize);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        self.out.extend_from_slice(&(end as u16).to_le_bytes());
        self.out.extend_from_slice(&s.as_bytes()[..end]);
        self
    }

    fn bytes(self, b: &[u8]) -> Self {
        self.out.extend_from_slice(b);
        self
    }

    fn finish(self) {
        let len = (self.out.len() - self.start - 4) as u32;
        self.out[self.start..self.start + 4].copy_from_slice(&len.to_le_bytes());
    }
}

fn lane_kind_code(kind: LaneKind) -> u8 {
    match kind {
        LaneKind::Main => 0,
        LaneKind::Thread => 1,
        LaneKind::Process => 2,
        LaneKind::Task => 3,
        LaneKind::Worker => 4,
        LaneKind::Connection => 5,
        LaneKind::Server => 6,
        LaneKind::Lock => 7,
    }
}

fn lane_kind_from(code: u8) -> Option<LaneKind> {
    Some(match code {
        0 => LaneKind::Main,
        1 => LaneKind::Thread,
        2 => LaneKind::Process,
        3 => LaneKind::Task,
        4 => LaneKind::Worker,
        5 => LaneKind::Connection,
        6 => LaneKind::Server,
        7 => LaneKind::Lock,
        _ => return None,
    })
}

fn state_code(state: SpanState) -> u8 {
    SpanState::ALL.iter().position(|s| *s == state).unwrap_or(0) as u8
}

impl ToParent {
    /// Appends this frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ToParent::LaneStart {
                lane,
                parent,
                kind,
                t,
                name,
            } => Encoder::new(out, 1)
                .u32(*lane)
                .u32(*parent)
                .u8(lane_kind_code(*kind))
                .u64(*t)
                .str(name)
                .finish(),
            ToParent::LaneEnd { lane, t } => Encoder::new(out, 2).u32(*lane).u64(*t).finish(),
            ToParent::Begin {
                lane,
                t,
                state,
                label,
            } => Encoder::new(out, 3)
                .u32(*lane)
                .u64(*t)
                .u8(state_code(*state))
                .str(label)
                .finish(),
            ToParent::End { lane, t } => Encoder::new(out, 4).u32(*lane).u64(*t).finish(),
            ToParent::Span {
                lane,
                start,
                end,
                state,
                label,
            } => Encoder::new(out, 5)
                .u32(*lane)
                .u64(*start)
                .u64(*end)
                .u8(state_code(*state))
                .str(label)
                .finish(),
            ToParent::Mark {
                lane,
                t,
                name,
                detail,
            } => Encoder::new(out, 6)
                .u32(*lane)
                .u64(*t)
                .str(name)
                .str(detail)
                .finish(),
            ToParent::Output { lane, t, text } => {
                Encoder::new(out, 7).u32(*lane).u64(*t).str(text).finish()
            }
            ToParent::Metric { key, value, unit } => Encoder::new(out, 8)
                .str(key)
                .u64(value.to_bits())
                .str(unit)
                .finish(),
            ToParent::Waiting {
                holder,
                timed,
                what,
            } => Encoder::new(out, 9)
                .u32(*holder)
                .u8(u8::from(*timed))
                .str(what)
                .finish(),
            ToParent::Ready => Encoder::new(out, 10).finish(),
            ToParent::Message(bytes) => Encoder::new(out, 11).bytes(bytes).finish(),
            ToParent::Failure(reason) => Encoder::new(out, 12).str(reason).finish(),
            ToParent::Done => Encoder::new(out, 13).finish(),
        }
    }

    /// Reads one frame's payload (without its length).
    pub fn decode(payload: &[u8]) -> Result<ToParent, FrameError> {
        let mut d = Decoder::new(payload);
        let frame = match d.u8()? {
            1 => ToParent::LaneStart {
                lane: d.u32()?,
                parent: d.u32()?,
                kind: {
                    let code = d.u8()?;
                    lane_kind_from(code).ok_or_else(|| garbage(format!("lane kind {code}")))?
                },
                t: d.u64()?,
                name: d.str()?,
            },
            2 => ToParent::LaneEnd {
                lane: d.u32()?,
                t: d.u64()?,
            },
            3 => ToParent::Begin {
                lane: d.u32()?,
                t: d.u64()?,
                state: d.state()?,
                label: d.str()?,
            },
            4 => ToParent::End {
                lane: d.u32()?,
                t: d.u64()?,
            },
            5 => ToParent::Span {
                lane: d.u32()?,
                start: d.u64()?,
                end: d.u64()?,
                state: d.state()?,
                label: d.str()?,
            },
            6 => ToParent::Mark {
                lane: d.u32()?,
                t: d.u64()?,
                name: d.str()?,
                detail: d.str()?,
            },
            7 => ToParent::Output {
                lane: d.u32()?,
                t: d.u64()?,
                text: d.str()?,
            },
            8 => ToParent::Metric {
                key: d.str()?,
                value: f64::from_bits(d.u64()?),
                unit: d.str()?,
            },
            9 => ToParent::Waiting {
                holder: d.u32()?,
                timed: d.u8()? != 0,
                what: d.str()?,
            },
            10 => ToParent::Ready,
            11 => return Ok(ToParent::Message(d.rest().to_vec())),
            12 => ToParent::Failure(d.str()?),
            13 => ToParent::Done,
            tag => return Err(garbage(format!("a frame of unknown kind {tag}"))),
        };
        d.end()?;
        Ok(frame)
    }
}

impl ToChild {
    /// Appends this frame to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            ToChild::Message(bytes) => Encoder::new(out, 1).bytes(bytes).finish(),
            ToChild::Abort => Encoder::new(out, 2).finish(),
        }
    }

    /// Reads one frame's payload (without its length).
    pub fn decode(payload: &[u8]) -> Result<ToChild, FrameError> {
        let mut d = Decoder::new(payload);
        match d.u8()? {
            1 => Ok(ToChild::Message(d.rest().to_vec())),
            2 => {
                d.end()?;
                Ok(ToChild::Abort)
            }
            tag => Err(garbage(format!("a frame of unknown kind {tag}"))),
        }
    }
}

fn garbage(what: String) -> FrameError {
    FrameError::Garbage(what)
}

struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    fn new(payload: &'a [u8]) -> Decoder<'a> {
        Decoder { rest: payload }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], FrameError> {
        if self.rest.len() < n {
            return Err(garbage("a frame cut short".into()));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, FrameError> {
        Ok(self.take(1)?[0])
    }

    fn u32(&mut self) -> Result<u32, FrameError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, FrameError> {
        let mut a = [0; 8];
        a.copy_from_slice(self.take(8)?);
        Ok(u64::from_le_bytes(a))
    }

    fn str(&mut self) -> Result<String, FrameError> {
        let b = self.take(2)?;
        let len = u16::from_le_bytes([b[0], b[1]]) as usize;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| garbage("text that is not UTF-8".into()))
    }

    fn state(&mut self) -> Result<SpanState, FrameError> {
        let code = self.u8()?;
        SpanState::ALL
            .get(code as usize)
            .copied()
            .ok_or_else(|| garbage(format!("a span state numbered {code}")))
    }

    fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.rest)
    }

    fn end(&self) -> Result<(), FrameError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(garbage(format!(
                "{} bytes after the end of a frame",
                self.rest.len()
            )))
        }
    }
}

/// Reads whole frames from a stream, reusing one buffer.
pub struct FrameReader<R> {
    input: R,
    buf: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    /// Reads frames from `input`.
    pub fn new(input: R) -> FrameReader<R> {
        FrameReader {
            input,
            buf: Vec::new(),
        }
    }

    /// The next frame's payload. A stream that ends between frames is [`FrameError::Closed`];
    /// one that ends inside a frame, or announces a frame longer than [`MAX_FRAME`], is
    /// garbage. A read that times out (a socket with a read timeout) before the frame's first
    /// byte is returned as `Io` with kind `WouldBlock`/`TimedOut`; once a frame has begun it is
    /// read to its end.
    pub fn next(&mut self) -> Result<&[u8], FrameError> {
        let mut len = [0u8; 4];
        let got = read_some(&mut self.input, &mut len, true)?;
        if got == 0 {
            return Err(FrameError::Closed);
        }
        read_exact_rest(&mut self.input, &mut len[got..])?;
        let len = u32::from_le_bytes(len) as usize;
        if len == 0 || len > MAX_FRAME {
            return Err(garbage(format!(
                "a frame announced as {len} bytes long (the longest allowed is {MAX_FRAME})"
            )));
        }
        self.buf.resize(len, 0);
        read_exact_rest(&mut self.input, &mut self.buf)?;
        Ok(&self.buf)
    }
}

/// Reads at least one byte (or 0 at the end of the stream); a time-out is passed on only if
/// `first` (nothing of the frame read yet).
fn read_some(input: &mut impl Read, buf: &mut [u8], first: bool) -> Result<usize, FrameError> {
    loop {
        match input.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if is_timeout(&e) && !first => continue,
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
}

fn read_exact_rest(input: &mut impl Read, mut buf: &mut [u8]) -> Result<(), FrameError> {
    while !buf.is_empty() {
        match read_some(input, buf, false)? {
            0 => {
                return Err(garbage(
                    "the channel closed in the middle of a frame".into(),
                ))
            }
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Whether a read failed only because its time-out passed.
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(frame: ToParent) {
        let mut out = Vec::new();
        frame.encode(&mut out);
        let mut reader = FrameReader::new(out.as_slice());
        let payload = reader.next().unwrap();
        assert_eq!(ToParent::decode(payload).unwrap(), frame);
        assert!(matches!(reader.next(), Err(FrameError::Closed)));
    }

    #[test]
    fn every_frame_reads_back_as_written() {
        for frame in [
            ToParent::LaneStart {
                lane: 2,
                parent: 0,
                kind: LaneKind::Thread,
                t: 17,
                name: "Thread-1 · 线程".into(),
            },
            ToParent::LaneEnd { lane: 1, t: 9 },
            ToParent::Begin {
                lane: 0,
                t: 5,
                state: SpanState::PoolWait,
                label: "a task".into(),
            },
            ToParent::End { lane: 0, t: 6 },
            ToParent::Span {
                lane: 3,
                start: 1,
                end: u64::MAX,
                state: SpanState::HoldingLock,
                label: String::new(),
            },
            ToParent::Mark {
                lane: 0,
                t: 4,
                name: "started".into(),
                detail: "pid 42".into(),
            },
            ToParent::Output {
                lane: 0,
                t: 8,
                text: "hello".into(),
            },
            ToParent::Metric {
                key: "k".into(),
                value: -1.5,
                unit: "ms".into(),
            },
            ToParent::Waiting {
                holder: NO_LANE,
                timed: true,
                what: "the lock".into(),
            },
            ToParent::Ready,
            ToParent::Message(vec![0, 1, 2, 255]),
            ToParent::Failure("boom".into()),
            ToParent::Done,
        ] {
            round_trip(frame);
        }
    }

    #[test]
    fn garbage_is_an_error_never_a_panic() {
        let cases: &[&[u8]] = &[
            b"\xff\xff\xff\xff",             // longer than allowed
            b"\x00\x00\x00\x00",             // empty frame
            b"\x01\x00\x00\x00\x63",         // unknown tag
            b"\x05\x00\x00\x00\x02\x01\x00", // cut short
            b"\x03\x00\x00",                 // the stream ends inside the length
        ];
        for case in cases {
            let mut reader = FrameReader::new(*case);
            let result = reader.next().and_then(|p| ToParent::decode(p).map(|_| ()));
            assert!(
                matches!(result, Err(FrameError::Garbage(_))),
                "{case:?} gave {result:?}"
            );
        }
        // Text that is not UTF-8.
        let payload = [7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0xc3, 0x28];
        assert!(matches!(
            ToParent::decode(&payload),
            Err(FrameError::Garbage(_))
        ));
    }

    #[test]
    fn drawn_bytes_never_panic() {
        // A small deterministic generator: every prefix of many pseudo-random streams.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..2_000 {
            let len = (x % 40) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 16) as u8
                })
                .collect();
            let mut reader = FrameReader::new(bytes.as_slice());
            while let Ok(p) = reader.next() {
                let _ = ToParent::decode(p);
                let _ = ToChild::decode(p);
            }
        }
    }
}
