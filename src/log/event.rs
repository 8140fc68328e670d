//! What the decoder reads from a log: lines of text with their stream,
//! timestamp and sections, and the sections' starts and ends.

use std::{ops::Range, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

use super::style::Style;

/// Which output of the job a line came from, where the runner says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputStream {
    /// Standard output (`O` in the runner's prefix).
    Stdout,
    /// Standard error (`E`).
    Stderr,
}

/// One line of the log, as a person reads it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LogLine {
    /// The text, with escape sequences removed and `\r` applied.
    pub text: String,
    /// Standard output or error, where the runner's timestamps say.
    pub stream: Option<OutputStream>,
    /// When the runner received the line, where it writes timestamps.
    pub timestamp: Option<DateTime<Utc>>,
    /// The names of the sections the line is in, outermost first.
    pub sections: Arc<[String]>,
    /// The styles of `text`, in order and covering all of it, when the
    /// decoder keeps styles ([`LogDecoder::with_styles`]); empty otherwise.
    ///
    /// [`LogDecoder::with_styles`]: super::LogDecoder::with_styles
    pub spans: Vec<StyledSpan>,
}

/// A part of a line's text in one style.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StyledSpan {
    /// Where it is in the line's `text`, in bytes (on character boundaries).
    pub range: Range<usize>,
    /// Its colours and attributes, and GitLab's classes for them.
    pub style: Style,
}

/// A section begins: GitLab shows it as a collapsible block.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SectionStart {
    /// The section's name as the log writes it (`step_script`,
    /// `prepare_executor`, …).
    pub name: String,
    /// The name as GitLab keys the section (`step-script`): lower case,
    /// anything outside `a-z0-9` as `-` (`Converter#sanitize_section_name`).
    /// An end marker closes the open section of the same key.
    pub key: String,
    /// The header text shown for the collapsed section; the header also
    /// arrives as the section's first [`LogLine`].
    pub header: String,
    /// When the section began (the marker's Unix time).
    pub started_at: Option<DateTime<Utc>>,
    /// The marker's options, such as `collapsed=true`, in their order.
    pub options: Vec<(String, String)>,
    /// The names of the sections it is in, outermost first.
    pub parents: Arc<[String]>,
}

impl SectionStart {
    /// Whether GitLab shows the section collapsed (`[collapsed=true]`).
    pub fn collapsed(&self) -> bool {
        self.options.iter().any(|(k, v)| k == "collapsed" && v == "true")
    }
}

/// How a section came to an end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SectionClosed {
    /// Its own end marker.
    Marker,
    /// The log ended while it was open.
    EndOfLog,
    /// An end marker for a section that was not open; nothing was closed.
    WithoutStart,
}

/// A section ends.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SectionEnd {
    /// The section's name, as its start wrote it (an end marker of the same
    /// key may spell it otherwise), or as the end marker wrote it when no
    /// such section was open.
    pub name: String,
    /// The name as GitLab keys the section (see [`SectionStart::key`]).
    pub key: String,
    /// When it ended (the end marker's Unix time), if a marker said so.
    pub ended_at: Option<DateTime<Utc>>,
    /// From its start marker to its end marker, where both have a time.
    pub duration: Option<Duration>,
    /// How it ended.
    pub closed: SectionClosed,
}

/// What the decoder read from the log, in the order of the log.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum LogEvent {
    /// A line of text.
    Line(LogLine),
    /// A section begins.
    SectionStart(SectionStart),
    /// A section ends.
    SectionEnd(SectionEnd),
}

/// A line as the decoder holds it, lent to the callback of
/// [`LogDecoder::feed_ref`]: the same fields as [`LogLine`], borrowed, so
/// that reading a log line by line allocates nothing per line.
///
/// [`LogDecoder::feed_ref`]: super::LogDecoder::feed_ref
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub struct LineRef<'a> {
    /// The text, with escape sequences removed and `\r` applied.
    pub text: &'a str,
    /// Standard output or error, where the runner's timestamps say.
    pub stream: Option<OutputStream>,
    /// When the runner received the line, where it writes timestamps.
    pub timestamp: Option<DateTime<Utc>>,
    /// The names of the sections the line is in, outermost first.
    pub sections: &'a Arc<[String]>,
    /// The styles of `text` (see [`LogLine::spans`]).
    pub spans: &'a [StyledSpan],
}

impl LineRef<'_> {
    /// The line as an owned [`LogLine`].
    pub fn to_line(&self) -> LogLine {
        LogLine {
            text: self.text.to_owned(),
            stream: self.stream,
            timestamp: self.timestamp,
            sections: self.sections.clone(),
            spans: self.spans.to_vec(),
        }
    }
}

impl LogLine {
    /// The line, borrowed.
    pub fn as_line_ref(&self) -> LineRef<'_> {
        LineRef {
            text: &self.text,
            stream: self.stream,
            timestamp: self.timestamp,
            sections: &self.sections,
            spans: &self.spans,
        }
    }
}

/// An event as the decoder holds it, lent to the callback of
/// [`LogDecoder::feed_ref`].
///
/// [`LogDecoder::feed_ref`]: super::LogDecoder::feed_ref
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum LogEventRef<'a> {
    /// A line of text.
    Line(LineRef<'a>),
    /// A section begins.
    SectionStart(&'a SectionStart),
    /// A section ends.
    SectionEnd(&'a SectionEnd),
}

impl LogEventRef<'_> {
    /// The event as an owned [`LogEvent`].
    pub fn to_event(&self) -> LogEvent {
        match self {
            LogEventRef::Line(line) => LogEvent::Line(line.to_line()),
            LogEventRef::SectionStart(start) => LogEvent::SectionStart((*start).clone()),
            LogEventRef::SectionEnd(end) => LogEvent::SectionEnd((*end).clone()),
        }
    }
}

impl LogEvent {
    /// The event, borrowed.
    pub fn as_event_ref(&self) -> LogEventRef<'_> {
        match self {
            LogEvent::Line(line) => LogEventRef::Line(line.as_line_ref()),
            LogEvent::SectionStart(start) => LogEventRef::SectionStart(start),
            LogEvent::SectionEnd(end) => LogEventRef::SectionEnd(end),
        }
    }
}
