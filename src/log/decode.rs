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
//!    digits, `_`, `.` and `-`, and the options are `[key=value, …]` or
//!    none, as GitLab reads them (`build_trace_section_regex` in
//!    `lib/gitlab/regex.rb`). Sections nest. As on GitLab's job page
//!    (`lib/gitlab/ci/ansi2json/converter.rb`), sections are keyed by their
//!    sanitised name, an end marker closes the open section of its key even
//!    when it is not the innermost, and leaves the others open; an end for a
//!    section that is not open closes nothing. The module docs of
//!    [`log`](super) list the rules and where the decoder departs from them.
//! 3. What is left is rendered by [`screen`](super::screen): colours removed
//!    (or kept as styles), `\r` and cursor movements applied.
//!
//! Lines are lent to the callback of [`LogDecoder::feed_ref`] from the
//! screen's own buffer; [`LogDecoder::feed`] and `feed_with` copy them out.
//! The chunk being fed is checked for UTF-8 and searched for `section_`
//! once, so that a line in it is rendered from text already checked and
//! searched for a marker only where one may be.
//!
//! The decoder holds the current record (at most [`MAX_LINE_BYTES`]), the
//! lines waiting for a possible continuation (at most [`MAX_WAITING`]) and the
//! open sections; nothing else grows with the log.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{
    event::{LineRef, LogEvent, LogEventRef, OutputStream, SectionClosed, SectionEnd, SectionStart},
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
    /// Its sanitised name, which end markers are matched by.
    key: String,
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
    /// It may hold a section marker (`section_` is in it, or it was not
    /// looked for).
    marked: bool,
}

/// The chunk being fed, and as much of it from its start as is valid UTF-8
/// (all of it, nearly always): a line lying there is text already.
#[derive(Clone, Copy)]
struct Chunk<'a> {
    bytes: &'a [u8],
    text: &'a str,
}

impl<'a> Chunk<'a> {
    const EMPTY: Chunk<'static> = Chunk { bytes: &[], text: "" };

    fn new(bytes: &'a [u8]) -> Chunk<'a> {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            // A character cut at the chunk's end, or an invalid byte: the
            // lines before it are text, the others are read one by one.
            Err(error) => std::str::from_utf8(&bytes[..error.valid_up_to()]).unwrap_or_default(),
        };
        Chunk { bytes, text }
    }
}

/// A waiting line's bytes: still in the chunk being fed (most lines are
/// given out before the chunk ends, and are never copied), or a copy.
enum Span {
    Chunk(std::ops::Range<usize>),
    Owned(Vec<u8>),
}

impl Span {
    fn get<'a>(&'a self, chunk: Chunk<'a>) -> &'a [u8] {
        match self {
            Span::Chunk(range) => &chunk.bytes[range.clone()],
            Span::Owned(bytes) => bytes,
        }
    }

    /// The bytes as text, where they are known to be valid UTF-8.
    fn text<'a>(&self, chunk: Chunk<'a>) -> Option<&'a str> {
        match self {
            Span::Chunk(range) => chunk.text.get(range.clone()),
            Span::Owned(_) => None,
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
    /// Where `section_` is in the chunk being fed, and how many of those
    /// places lie before the record being read.
    marks: Vec<usize>,
    marks_passed: usize,
    date: prefix::DateCache,
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
            marks: Vec::new(),
            marks_passed: 0,
            date: None,
            cut: false,
            open: Vec::new(),
            path: Arc::from(Vec::new()),
            parser: vte::Parser::new(),
            screen: Screen::new(false),
        }
    }

    /// The same decoder, which also gives every line its styled spans
    /// ([`LogLine::spans`](super::LogLine::spans)): colours and attributes as a terminal shows
    /// them, and GitLab's classes for them ([`Style::gitlab_classes`]). A
    /// style carries over from line to line, as on GitLab's page. Without
    /// it, styles cost nothing.
    ///
    /// [`Style::gitlab_classes`]: super::Style::gitlab_classes
    pub fn with_styles(mut self) -> LogDecoder {
        self.screen = Screen::new(true);
        self
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
        self.feed_ref(chunk, &mut |event| emit(event.to_event()));
    }

    /// As [`feed_with`](Self::feed_with), lending each event to `emit`
    /// rather than giving it: a line's text, sections and spans stay the
    /// decoder's, so that reading a log allocates nothing per line. Take
    /// what is kept with [`LineRef::to_line`] or [`LogEventRef::to_event`].
    ///
    /// ```
    /// use gitlab_jobs::log::{LogDecoder, LogEventRef};
    ///
    /// let mut decoder = LogDecoder::new();
    /// let mut errors = Vec::new();
    /// let mut keep = |event: LogEventRef<'_>| {
    ///     if let LogEventRef::Line(line) = event
    ///         && line.text.starts_with("error")
    ///     {
    ///         errors.push(line.to_line());
    ///     }
    /// };
    /// decoder.feed_ref(b"ok\nerror: \x1b[31mE0308\x1b[0m\nok\n", &mut keep);
    /// decoder.finish_ref(&mut keep);
    /// assert_eq!(errors.len(), 1);
    /// assert_eq!(errors[0].text, "error: E0308");
    /// ```
    pub fn feed_ref(&mut self, chunk: &[u8], emit: &mut dyn FnMut(LogEventRef<'_>)) {
        // What is read of the whole chunk at once: whether it is UTF-8, and
        // where a marker may be, so that the lines without one (most) are
        // not searched one by one.
        let chunk = Chunk::new(chunk);
        self.marks.clear();
        self.marks.extend(memchr::memmem::find_iter(chunk.bytes, MARK));
        self.marks_passed = 0;
        let (chunk, bytes) = (chunk, chunk.bytes);
        let mut at = 0;
        if self.cut && !bytes.is_empty() {
            self.cut = false;
            if bytes[0] == b'\n' && self.record.is_empty() {
                at = 1;
            }
        }
        while at < bytes.len() {
            let room = MAX_LINE_BYTES - self.record.len();
            let window = &bytes[at..bytes.len().min(at + room)];
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
                        if bytes.get(at) == Some(&b'\n') {
                            at += 1;
                        } else if at == bytes.len() {
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
                copy.extend_from_slice(&bytes[range.clone()]);
                waiting.bytes = Span::Owned(copy);
            }
        }
    }

    /// The events still held at the end of the log: its last line if it has
    /// no line end, lines waiting for a continuation, and an end for every
    /// section still open (`SectionClosed::EndOfLog`).
    pub fn finish(&mut self) -> Vec<LogEvent> {
        let mut events = Vec::new();
        self.finish_ref(&mut |event| events.push(event.to_event()));
        events
    }

    /// As [`finish`](Self::finish), lending each event to `emit` (see
    /// [`feed_ref`](Self::feed_ref)).
    pub fn finish_ref(&mut self, emit: &mut dyn FnMut(LogEventRef<'_>)) {
        if !self.record.is_empty() {
            let record = std::mem::take(&mut self.record);
            self.record_done(Chunk::EMPTY, None, &record, emit);
        }
        self.waiting.iter_mut().for_each(|w| w.complete = true);
        self.flush(Chunk::EMPTY, emit);
        while let Some(open) = self.open.pop() {
            self.path = self.open.iter().map(|o| o.name.clone()).collect();
            emit(LogEventRef::SectionEnd(&SectionEnd {
                name: open.name,
                key: open.key,
                ended_at: None,
                duration: None,
                closed: SectionClosed::EndOfLog,
            }));
        }
    }

    /// One record: a `\n`-terminated piece of the log, without the `\n`;
    /// `start` is where it begins in `chunk`, if it lies there.
    fn record_done(
        &mut self,
        chunk: Chunk<'_>,
        start: Option<usize>,
        record: &[u8],
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        // Bytes `from..to` of the record, kept where they are or copied.
        let span = |this: &mut Self, from: usize, to: usize| match start {
            Some(start) => Span::Chunk(start + from..start + to),
            None => Span::Owned(this.buffer(&record[from..to])),
        };
        let marked = match start {
            Some(start) => {
                while self.marks.get(self.marks_passed).is_some_and(|&mark| mark < start) {
                    self.marks_passed += 1;
                }
                self.marks.get(self.marks_passed).is_some_and(|&mark| mark < start + record.len())
            }
            None => true,
        };
        match prefix::parse(record, &mut self.date) {
            // Nothing waits before it: the line is done at once.
            None if self.waiting.is_empty() => {
                let line = record.strip_suffix(b"\r").unwrap_or(record);
                let text = start.and_then(|start| chunk.text.get(start..start + line.len()));
                self.line_done(line, text, marked, None, None, emit);
                return;
            }
            None => {
                let bytes = span(self, 0, record.len());
                self.waiting.push_back(Waiting { key: None, timestamp: None, bytes, complete: true, marked });
            }
            Some(Prefix { timestamp, stream_id, stream, continues, content }) => {
                let key = Some((stream_id, stream));
                let open = self.last_open(key);
                let fits = |w: &Waiting| w.bytes.get(chunk).len() + content.len() <= MAX_LINE_BYTES;
                match open {
                    Some(at) if continues && fits(&self.waiting[at]) => {
                        let mut joined = match std::mem::replace(&mut self.waiting[at].bytes, Span::Owned(Vec::new())) {
                            Span::Owned(bytes) => bytes,
                            Span::Chunk(range) => self.buffer(&chunk.bytes[range]),
                        };
                        joined.extend_from_slice(content);
                        self.waiting[at].bytes = Span::Owned(joined);
                        // A marker may now straddle the two records.
                        self.waiting[at].marked = true;
                    }
                    _ => {
                        // The line waiting on this stream is complete: this record
                        // is not its continuation (or would make it too long).
                        match open {
                            // The oldest line, most often: given out at once,
                            // with the lines complete behind it.
                            Some(0) => {
                                if let Some(done) = self.waiting.pop_front() {
                                    self.give_out(chunk, done, emit);
                                }
                                self.flush(chunk, emit);
                            }
                            Some(at) => self.waiting[at].complete = true,
                            None => {}
                        }
                        let bytes = span(self, prefix::LEN, record.len());
                        self.waiting.push_back(Waiting { key, timestamp, bytes, complete: false, marked });
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
    fn flush(&mut self, chunk: Chunk<'_>, emit: &mut dyn FnMut(LogEventRef<'_>)) {
        while self.waiting.front().is_some_and(|w| w.complete) {
            let Some(done) = self.waiting.pop_front() else { break };
            self.give_out(chunk, done, emit);
        }
    }

    /// The last line of the queue that waits on `key` and may still be
    /// continued.
    fn last_open(&self, key: Option<(u8, OutputStream)>) -> Option<usize> {
        let (front, back) = self.waiting.as_slices();
        let open = |w: &Waiting| w.key == key && !w.complete;
        match back.iter().rposition(open) {
            Some(at) => Some(front.len() + at),
            None => front.iter().rposition(open),
        }
    }

    /// A waiting line, given out.
    #[inline]
    fn give_out(&mut self, chunk: Chunk<'_>, done: Waiting, emit: &mut dyn FnMut(LogEventRef<'_>)) {
        let bytes = done.bytes.get(chunk);
        let line = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let text = done.bytes.text(chunk).and_then(|text| text.get(..line.len()));
        self.line_done(line, text, done.marked, done.key.map(|(_, stream)| stream), done.timestamp, emit);
        if let Span::Owned(mut bytes) = done.bytes
            && self.spare.len() < MAX_WAITING
            && bytes.capacity() <= 64 * 1024
        {
            bytes.clear();
            self.spare.push(bytes);
        }
    }

    /// A copy of `bytes` in a spare buffer where there is one.
    fn buffer(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.extend_from_slice(bytes);
        buffer
    }

    /// One whole line: its section markers, then its text.
    ///
    /// As on GitLab's page (`Converter#handle_section_start` and
    /// `#handle_section_end` in `lib/gitlab/ci/ansi2json/converter.rb`): text
    /// before a start marker, or before an end marker that closes a section,
    /// is a line of its own, unless a lone `\r` erased it (`Line#clear!`; a
    /// terminal agrees, as the marker's `\r\e[0K` clears the row); an end
    /// marker for a section that is not open is dropped and the line goes
    /// on across it.
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn line_done(
        &mut self,
        line: &[u8],
        text: Option<&str>,
        marked: bool,
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        match if marked { find_marker(line) } else { None } {
            // Most lines: no marker.
            None => {
                match text {
                    Some(text) => screen::render_str(&mut self.parser, &mut self.screen, text),
                    None => screen::render(&mut self.parser, &mut self.screen, line),
                }
                self.emit_line(stream, timestamp, emit);
            }
            found => self.line_with_markers(line, found, stream, timestamp, emit),
        }
    }

    /// A line with a marker, `found` its first.
    #[inline(never)]
    fn line_with_markers<'l>(
        &mut self,
        line: &'l [u8],
        mut found: Option<(usize, Marker, &'l [u8])>,
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        // Text of the line not given out yet: its pieces between markers.
        let mut pending: Vec<&[u8]> = Vec::new();
        let mut rest = line;
        let mut had_marker = false;
        while let Some((at, marker, after)) = found.take() {
            let before = &rest[..at];
            match marker {
                Marker::Start { time, name, options } => {
                    pending.push(before);
                    self.pending_text(&pending, stream, timestamp, emit);
                    pending.clear();
                    had_marker = true;
                    // The header runs to the next marker or the line end.
                    let header_end = find_marker(after).map_or(after.len(), |(at, _, _)| at);
                    screen::render(&mut self.parser, &mut self.screen, &after[..header_end]);
                    let header = self.screen.line().to_owned();
                    self.start_section(name, time, options, &header, emit);
                    if !header.is_empty() {
                        emit(LogEventRef::Line(LineRef {
                            text: &header,
                            stream,
                            timestamp,
                            sections: &self.path,
                            spans: self.screen.spans(),
                        }));
                    }
                    rest = &after[header_end..];
                }
                Marker::End { time, name } => {
                    let key = section_key(&name);
                    if !self.open.iter().any(|o| o.key == key) {
                        // Nothing of that name is open: GitLab drops the
                        // marker, and the text on either side is one line
                        // (none, if that is empty).
                        pending.push(before);
                        had_marker = true;
                        emit(LogEventRef::SectionEnd(&SectionEnd {
                            name,
                            key,
                            ended_at: time,
                            duration: None,
                            closed: SectionClosed::WithoutStart,
                        }));
                        rest = after;
                        found = find_marker(rest);
                        continue;
                    }
                    pending.push(before);
                    self.pending_text(&pending, stream, timestamp, emit);
                    pending.clear();
                    had_marker = true;
                    self.end_section(&key, time, emit);
                    rest = after;
                }
            }
            found = find_marker(rest);
        }
        pending.push(rest);
        let bytes: std::borrow::Cow<'_, [u8]> = match pending.as_slice() {
            [one] => std::borrow::Cow::Borrowed(one),
            many => std::borrow::Cow::Owned(many.concat()),
        };
        if !bytes.is_empty() || !had_marker {
            self.text(&bytes, stream, timestamp, had_marker, emit);
        }
    }

    /// The text of a line before a marker, as a line of its own: none when
    /// it is empty, or when a lone `\r` at its end erased it.
    fn pending_text(
        &mut self,
        pieces: &[&[u8]],
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        let bytes = pieces.concat();
        if bytes.is_empty() || ends_in_carriage_return(&bytes) {
            return;
        }
        self.text(&bytes, stream, timestamp, true, emit);
    }

    /// A line of text; after a marker, one that shows nothing is left out.
    fn text(
        &mut self,
        bytes: &[u8],
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        skip_empty: bool,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        screen::render(&mut self.parser, &mut self.screen, bytes);
        if skip_empty && self.screen.line().is_empty() {
            return;
        }
        self.emit_line(stream, timestamp, emit);
    }

    /// The line the screen last rendered, lent to `emit`.
    fn emit_line(
        &self,
        stream: Option<OutputStream>,
        timestamp: Option<DateTime<Utc>>,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        emit(LogEventRef::Line(LineRef {
            text: self.screen.line(),
            stream,
            timestamp,
            sections: &self.path,
            spans: self.screen.spans(),
        }));
    }

    /// A start marker. GitLab keys open sections by their sanitised name
    /// (`State#open_sections`): one already open only gets the new start
    /// time, so that its end measures from there, and nests no second time.
    fn start_section(
        &mut self,
        name: String,
        time: Option<DateTime<Utc>>,
        options: Vec<(String, String)>,
        header: &str,
        emit: &mut dyn FnMut(LogEventRef<'_>),
    ) {
        let key = section_key(&name);
        if let Some(open) = self.open.iter_mut().find(|o| o.key == key) {
            open.started_at = time;
            return;
        }
        let parents = self.path.clone();
        if self.open.len() < MAX_DEPTH {
            self.open.push(Open { name: name.clone(), key: key.clone(), started_at: time });
        }
        self.path = self.open.iter().map(|o| o.name.clone()).collect();
        emit(LogEventRef::SectionStart(&SectionStart {
            name,
            key,
            header: header.to_owned(),
            started_at: time,
            options,
            parents,
        }));
    }

    /// An end marker of an open section: it closes that section, innermost
    /// or not, and leaves the others open.
    fn end_section(&mut self, key: &str, time: Option<DateTime<Utc>>, emit: &mut dyn FnMut(LogEventRef<'_>)) {
        let Some(at) = self.open.iter().rposition(|o| o.key == key) else { return };
        let open = self.open.remove(at);
        let duration = match (open.started_at, time) {
            (Some(start), Some(end)) => (end - start).to_std().ok(),
            _ => None,
        };
        self.path = self.open.iter().map(|o| o.name.clone()).collect();
        emit(LogEventRef::SectionEnd(&SectionEnd {
            name: open.name,
            key: open.key,
            ended_at: time,
            duration,
            closed: SectionClosed::Marker,
        }));
    }
}

/// A section's name as GitLab keys it (`Converter#sanitize_section_name`):
/// lower case, anything outside `a-z0-9` as `-`.
/// What every section marker holds.
const MARK: &[u8] = b"section_";

pub(super) fn section_key(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// Whether text ends in a `\r` with nothing shown after it (only escape
/// sequences, which a lone `\r` on GitLab's page and the marker's own
/// `\r\e[0K` in a terminal both leave with nothing).
fn ends_in_carriage_return(bytes: &[u8]) -> bool {
    let mut end = bytes.len();
    // Back over trailing CSI sequences (`\e[…K`, `\e[0m`).
    while let Some(esc) = bytes[..end].iter().rposition(|&b| b == 0x1b) {
        let sequence = &bytes[esc..end];
        let is_csi = sequence.len() >= 3
            && sequence[1] == b'['
            && sequence[2..sequence.len() - 1].iter().all(|b| b.is_ascii_digit() || *b == b';')
            && (0x40..=0x7e).contains(&sequence[sequence.len() - 1]);
        if !is_csi {
            break;
        }
        end = esc;
    }
    bytes[..end].ends_with(b"\r")
}
