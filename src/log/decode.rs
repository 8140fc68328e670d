//! The streaming decoder: raw job-log bytes in, lines and section events out.
//!
//! GitLab stores a job's log as the runner sent it. Three things are read off
//! the raw bytes, before any escape sequence is interpreted, because escape
//! sequences are part of their syntax:
//!
//! 1. **Runner timestamps.** With the runner's `FF_TIMESTAMPS`, each record
//!    (one `\n`-terminated piece of output) starts with a 32-byte prefix
//!    (see `prefix.rs`). The runner ends a record early, with a `\n` of its
//!    own, when a write holds a `\r` but no `\n` or overflows its buffer, and
//!    marks the next record of that stream with `+`: such a record is joined
//!    to the previous record of the same stream (stream id and stdout or
//!    stderr), with records of other streams possibly between. A line is
//!    therefore complete only once the next record of its stream arrives.
//!    Lines are still given out in the order they began: a line waits for
//!    the lines before it, and after [`MAX_WAITING`] later records (or at
//!    [`LogDecoder::finish`]) the oldest waiting line is taken as complete.
//! 2. **Section markers** (`marker.rs`), anywhere in a line:
//!    `\e[0Ksection_start:<unix time>:<name>[<options>]\r\e[0K<header>` and
//!    `\e[0Ksection_end:<unix time>:<name>\r\e[0K`. The name is ASCII letters,
//!    digits, `_`, `.` and `-`, as GitLab reads it (`build_trace_section_regex`
//!    in `lib/gitlab/regex.rb`). Sections nest. As on GitLab's job page
//!    (`lib/gitlab/ci/ansi2json/converter.rb`), an end marker closes the open
//!    section of its name even when it is not the innermost, and leaves the
//!    others open; an end for a section that is not open closes nothing.
//! 3. What is left is rendered by [`screen`](super::screen): colours removed,
//!    `\r` and cursor movements applied.
//!
//! The decoder holds the current record (at most [`MAX_LINE_BYTES`]), the
//! lines waiting for a possible continuation (at most [`MAX_WAITING`]) and the
//! open sections; nothing else grows with the log.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    event::{LogEvent, LogLine, OutputStream, SectionClosed, SectionEnd, SectionStart},
    marker::{Marker, find_marker},
    prefix::{self, Prefix},
    screen::{self, Screen},
};

/// The longest line the decoder holds: a line longer than this (an endless
/// progress line, a minified file printed whole) is cut into lines of this
/// many bytes. 256 KiB; a character or escape sequence at a cut may be split.
pub const MAX_LINE_BYTES: usize = 256 * 1024;

// A rendered line holds at most as many characters as its record has bytes.
const _: () = assert!(MAX_LINE_BYTES == screen::MAX_CELLS);

/// How many records of other streams a line waits for its continuation
/// before it is taken as complete.
pub const MAX_WAITING: usize = 16;

/// How deeply sections nest: a section begun deeper than this is reported
/// (`SectionStart`) but not kept open, and its end closes nothing
/// (`SectionClosed::WithoutStart`).
pub const MAX_DEPTH: usize = 64;

/// A section that has begun and not ended.
struct Open {
    name: String,
    started_at: Option<DateTime<Utc>>,
}

/// A line that has begun, in the order lines began.
struct Waiting {
    /// The runner stream it came from; `None` for a record without a prefix.
    key: Option<(u8, OutputStream)>,
    timestamp: Option<DateTime<Utc>>,
    bytes: Span,
    /// No continuation can follow any more.
    complete: bool,
}

/// A waiting line's bytes: still in the chunk being fed (most lines are
/// given out before the chunk ends, and are never copied), or a copy.
enum Span {
    Chunk(std::ops::Range<usize>),
    Owned(Vec<u8>),
}

impl Span {
    fn get<'a>(&'a self, chunk: &'a [u8]) -> &'a [u8] {
        match self {
            Span::Chunk(range) => &chunk[range.clone()],
            Span::Owned(bytes) => bytes,
        }
    }
}

/// Reads a job log in chunks of any size; see the module documentation.
///
/// ```
/// use gitlab_jobs::log::{LogDecoder, LogEvent};
///
/// let mut decoder = LogDecoder::new();
/// let mut events = decoder.feed(b"\x1b[0Ksection_start:1700000000:build[collapsed=true]\r\x1b[0KBuilding\n");
/// events.extend(decoder.feed(b"\x1b[32mok\x1b[0m\n\x1b[0Ksection_end:1700000042:build\r\x1b[0K\n"));
/// events.extend(decoder.finish());
/// let lines: Vec<_> = events
///     .iter()
///     .filter_map(|e| match e { LogEvent::Line(line) => Some(line.text.as_str()), _ => None })
///     .collect();
/// assert_eq!(lines, ["Building", "ok"]);
/// assert!(matches!(&events[3], LogEvent::SectionEnd(end) if end.duration.unwrap().as_secs() == 42));
/// ```
pub struct LogDecoder {
    /// The record being read: bytes since the last `\n`.
    record: Vec<u8>,
    waiting: std::collections::VecDeque<Waiting>,
    /// Buffers of lines given out, for the next waiting lines.
    spare: Vec<Vec<u8>>,
    second: prefix::SecondCache,
    /// The last record was cut at `MAX_LINE_BYTES`: a `\n` right after it
    /// ends that line, not an empty one.
    cut: bool,
    open: Vec<Open>,
    path: Arc<[String]>,
    parser: vte::Parser,
    screen: Screen,
}

impl Default for LogDecoder {
    fn default() -> Self {
        LogDecoder::new()
    }
}

impl std::fmt::Debug for LogDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogDecoder")
            .field("buffered_bytes", &self.record.len())
            .field("open_sections", &&*self.path)
            .finish_non_exhaustive()
    }
}

impl LogDecoder {
    /// A decoder at the start of a log.
    pub fn new() -> LogDecoder {
        LogDecoder {
            record: Vec::new(),
            waiting: std::collections::VecDeque::new(),
            spare: Vec::new(),
            second: None,
            cut: false,
            open: Vec::new(),
            path: Arc::from(Vec::new()),
            parser: vte::Parser::new(),
            screen: Screen::new(),
        }
    }

    /// The events that `chunk` completes. A chunk may end anywhere, even
    /// inside a character or an escape sequence: the events are the same as
    /// for the log in one piece.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<LogEvent> {
        let mut events = Vec::new();
        self.feed_with(chunk, &mut |event| events.push(event));
        events
    }

    /// As [`feed`](Self::feed), handing each event to `emit` instead of
    /// collecting them.
    pub fn feed_with(&mut self, chunk: &[u8], emit: &mut dyn FnMut(LogEvent)) {
        let mut at = 0;
        if self.cut && !chunk.is_empty() {
            self.cut = false;
            if chunk[0] == b'\n' && self.record.is_empty() {
                at = 1;
            }
        }
        while at < chunk.len() {
            let room = MAX_LINE_BYTES - self.record.len();
            let window = &chunk[at..chunk.len().min(at + room)];
            match memchr::memchr(b'\n', window) {
                Some(end) => {
                    if self.record.is_empty() {
                        self.record_done(chunk, Some(at), &window[..end], emit);
                    } else {
                        self.record.extend_from_slice(&window[..end]);
                        let record = std::mem::take(&mut self.record);
                        self.record_done(chunk, None, &record, emit);
                        self.record = record;
                        self.record.clear();
                    }
                    at += end + 1;
                }
                None => {
                    self.record.extend_from_slice(window);
                    at += window.len();
                    if self.record.len() >= MAX_LINE_BYTES {
                        // An endless line: cut it here.
                        let record = std::mem::take(&mut self.record);
                        self.record_done(chunk, None, &record, emit);
                        self.record = record;
                        self.record.clear();
                        if chunk.get(at) == Some(&b'\n') {
                            at += 1;
                        } else if at == chunk.len() {
                            self.cut = true;
                        }
                    }
                }
            }
        }
        // The chunk goes back to the caller: copy what still waits in it.
        for waiting in &mut self.waiting {
            if let Span::Chunk(range) = &waiting.bytes {
                let mut copy = self.spare.pop().unwrap_or_default();
                copy.extend_from_slice(&chunk[range.clone()]);
                waiting.bytes = Span::Owned(copy);
            }
        }
    }

    /// The events still held at the end of the log: its last line if it has
    /// no line end, lines waiting for a continuation, and an end for every
    /// section still open (`SectionClosed::EndOfLog`).
    pub fn finish(&mut self) -> Vec<LogEvent> {
        let mut events = Vec::new();
        let mut emit = |event| events.push(event);
        if !self.record.is_empty() {
            let record = std::mem::take(&mut self.record);
            self.record_done(&[], None, &record, &mut emit);
        }
        self.waiting.iter_mut().for_each(|w| w.complete = true);
        self.flush(&[], &mut emit);
        while let Some(open) = self.open.pop() {
            self.path = self.open.iter().map(|o| o.name.clone()).collect();
            emit(LogEvent::SectionEnd(SectionEnd {
                name: open.name,
                ended_at: None,
                duration: None,
                closed: SectionClosed::EndOfLog,
            }));
        }
        events
    }

    /// One record: a `\n`-terminated piece of the log, without the `\n`;
    /// `start` is where it begins in `chunk`, if it lies there.
    fn record_done(&mut self, chunk: &[u8], start: Option<usize>, record: &[u8], emit: &mut dyn FnMut(LogEvent)) {
        // Bytes `from..to` of the record, kept where they are or copied.
        let span = |this: &mut Self, from: usize, to: usize| match start {
            Some(start) => Span::Chunk(start + from..start + to),
            None => Span::Owned(this.buffer(&record[from..to])),
        };
        match prefix::parse(record, &mut self.second) {
            // Nothing waits before it: the line is done at once.
            None if self.waiting.is_empty() => {
                let line = record.strip_suffix(b"\r").unwrap_or(record);
                self.line_done(line, None, None, emit);
                return;
            }
            None => {
                let bytes = span(self, 0, record.len());
                self.waiting.push_back(Waiting { key: None, timestamp: None, bytes, complete: true });
            }
            Some(Prefix { timestamp, stream_id, stream, continues, content }) => {
                let key = Some((stream_id, stream));
                let open = self.waiting.iter().rposition(|w| w.key == key && !w.complete);
                let fits = |w: &Waiting| w.bytes.get(chunk).len() + content.len() <= MAX_LINE_BYTES;
                match open {
                    Some(at) if continues && fits(&self.waiting[at]) => {
                        let mut joined = match std::mem::replace(&mut self.waiting[at].bytes, Span::Owned(Vec::new())) {
                            Span::Owned(bytes) => bytes,
                            Span::Chunk(range) => self.buffer(&chunk[range]),
                        };
                        joined.extend_from_slice(content);
                        self.waiting[at].bytes = Span::Owned(joined);
                    }
                    _ => {
                        // The line waiting on this stream is complete: this record
                        // is not its continuation (or would make it too long).
                        if let Some(at) = open {
                            self.waiting[at].complete = true;
                        }
                        let bytes = span(self, prefix::LEN, record.len());
                        self.waiting.push_back(Waiting { key, timestamp, bytes, complete: false });
                    }
                }
            }
        }
        if self.waiting.len() > MAX_WAITING
            && let Some(oldest) = self.waiting.front_mut()
        {
            oldest.complete = true;
        }
        self.flush(chunk, emit);
    }

    /// Gives out the complete lines at the front of the queue.
    fn flush(&mut self, chunk: &[u8], emit: &mut dyn FnMut(LogEvent)) {
        while self.waiting.front().is_some_and(|w| w.complete) {
            let Some(done) = self.waiting.pop_front() else { break };
            let bytes = done.bytes.get(chunk);
            let line = bytes.strip_suffix(b"\r").unwrap_or(bytes);
            self.line_done(line, done.key.map(|(_, stream)| stream), done.timestamp, emit);
            if let Span::Owned(mut bytes) = done.bytes
                && self.spare.len() < MAX_WAITING
                && bytes.capacity() <= 64 * 1024
            {
                bytes.clear();
                self.spare.push(bytes);
            }
        }
    }

    /// A copy of `bytes` in a spare buffer where there is one.
    fn buffer(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.extend_from_slice(bytes);
        buffer
    }

    /// One whole line: its section markers, then its text.
    fn line_done(
        &mut self,
        mut line: &[u8],
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        emit: &mut dyn FnMut(LogEvent),
    ) {
        let mut had_marker = false;
        while let Some((at, marker, rest)) = find_marker(line) {
            let before = &line[..at];
            if !before.is_empty() {
                self.text(before, stream, timestamp, false, emit);
            }
            had_marker = true;
            match marker {
                Marker::Start { time, name, options } => {
                    // The header runs to the next marker or the line end.
                    let header_end = find_marker(rest).map_or(rest.len(), |(at, _, _)| at);
                    let header = screen::render(&mut self.parser, &mut self.screen, &rest[..header_end]);
                    let parents = self.path.clone();
                    if self.open.len() < MAX_DEPTH {
                        self.open.push(Open { name: name.clone(), started_at: time });
                    }
                    self.path = self.open.iter().map(|o| o.name.clone()).collect();
                    emit(LogEvent::SectionStart(SectionStart {
                        name,
                        header: header.clone(),
                        started_at: time,
                        options,
                        parents,
                    }));
                    if !header.is_empty() {
                        emit(LogEvent::Line(LogLine { text: header, stream, timestamp, sections: self.path.clone() }));
                    }
                    line = &rest[header_end..];
                }
                Marker::End { time, name } => {
                    self.end_section(name, time, emit);
                    line = rest;
                }
            }
        }
        if !line.is_empty() || !had_marker {
            self.text(line, stream, timestamp, had_marker, emit);
        }
    }

    /// A line of text; after a marker, one that shows nothing is left out.
    fn text(
        &mut self,
        bytes: &[u8],
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        skip_empty: bool,
        emit: &mut dyn FnMut(LogEvent),
    ) {
        let text = screen::render(&mut self.parser, &mut self.screen, bytes);
        if skip_empty && text.is_empty() {
            return;
        }
        emit(LogEvent::Line(LogLine { text, stream, timestamp, sections: self.path.clone() }));
    }

    fn end_section(&mut self, name: String, time: Option<DateTime<Utc>>, emit: &mut dyn FnMut(LogEvent)) {
        let Some(at) = self.open.iter().rposition(|o| o.name == name) else {
            emit(LogEvent::SectionEnd(SectionEnd {
                name,
                ended_at: time,
                duration: None,
                closed: SectionClosed::WithoutStart,
            }));
            return;
        };
        let open = self.open.remove(at);
        let duration = match (open.started_at, time) {
            (Some(start), Some(end)) => (end - start).to_std().ok(),
            _ => None,
        };
        self.path = self.open.iter().map(|o| o.name.clone()).collect();
        emit(LogEvent::SectionEnd(SectionEnd {
            name: open.name,
            ended_at: time,
            duration,
            closed: SectionClosed::Marker,
        }));
    }
}
