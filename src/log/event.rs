//! What the decoder reads from a log: lines of text with their stream,
//! timestamp and sections, and the sections' starts and ends.

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};

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
}

/// A section begins: GitLab shows it as a collapsible block.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SectionStart {
    /// The section's name (`step_script`, `prepare_executor`, …).
    pub name: String,
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
    /// The section's name.
    pub name: String,
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
