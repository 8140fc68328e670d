//! Answers people want from a log, built on the decoder's events: the
//! sections with their headers, durations and sizes, the last lines, and the
//! section the job failed in with its last lines. Memory stays bounded: a
//! fixed number of last lines overall and per section, and last lines only
//! for the most recent sections.

use std::{collections::VecDeque, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};

use super::{
    decode::LogDecoder,
    event::{LogEvent, LogEventRef, SectionClosed},
};

/// The last lines of something, at most a fixed number of them. A line
/// held by several tails (a section's and the whole log's) is one shared
/// string.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tail {
    lines: VecDeque<Arc<str>>,
    limit: usize,
}

impl Tail {
    /// Keeps at most `limit` lines.
    pub fn new(limit: usize) -> Tail {
        Tail { lines: VecDeque::with_capacity(limit.min(1024)), limit }
    }

    /// Adds a line, dropping the oldest when full.
    pub fn push(&mut self, line: String) {
        self.push_shared(Arc::from(line));
    }

    fn push_shared(&mut self, line: Arc<str>) {
        if self.limit == 0 {
            return;
        }
        if self.lines.len() == self.limit {
            self.lines.pop_front();
        }
        self.lines.push_back(line);
    }

    /// The lines, oldest first.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|line| &**line)
    }

    /// The lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines().collect::<Vec<_>>().join("\n")
    }
}

/// One section of a log.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SectionSummary {
    /// The section's name.
    pub name: String,
    /// Its header text.
    pub header: String,
    /// The sections it is in, outermost first.
    pub parents: Arc<[String]>,
    /// When it began, from its start marker.
    pub started_at: Option<DateTime<Utc>>,
    /// From its start to its end marker.
    pub duration: Option<Duration>,
    /// How many lines it holds, its header and nested sections' lines included.
    pub lines: usize,
    /// How it ended; `None` while open.
    pub closed: Option<SectionClosed>,
    /// Its last lines (kept for the most recent sections only, see [`LogSummary`]).
    pub tail: Tail,
}

/// The section a job failed in, with its last lines.
#[derive(Clone, Copy, Debug)]
pub struct FailedSection<'a> {
    /// The section.
    pub section: &'a SectionSummary,
    /// Whether the log ended inside it (the job stopped there), rather than
    /// it being the last section of the job's own script.
    pub still_open: bool,
}

/// What a whole log says, gathered event by event.
///
/// ```
/// use gitlab_jobs::log::LogSummary;
///
/// let log = b"\x1b[0Ksection_start:1700000000:step_script\r\x1b[0KExecuting step_script\n\
///             $ cargo test\n\x1b[31merror: 1 test failed\x1b[0m\n\
///             \x1b[0Ksection_end:1700000065:step_script\r\x1b[0K\n\
///             \x1b[31;1mERROR: Job failed: exit code 101\x1b[0;m\n";
/// let summary = LogSummary::of_bytes(log, 10);
/// let failed = summary.failed_section().unwrap();
/// assert_eq!(failed.section.name, "step_script");
/// assert_eq!(failed.section.duration.unwrap().as_secs(), 65);
/// assert_eq!(failed.section.tail.lines().last(), Some("error: 1 test failed"));
/// assert_eq!(summary.tail().lines().last(), Some("ERROR: Job failed: exit code 101"));
/// ```
#[derive(Clone, Debug)]
pub struct LogSummary {
    /// The sections kept, in the order they began: the most recent ones
    /// (see [`MAX_SECTIONS`]) and every open one.
    sections: Vec<SectionSummary>,
    /// The number of each kept section (from 0, in the order sections
    /// began; ascending), and of each open section, in opening order.
    numbers: Vec<usize>,
    open: Vec<usize>,
    /// Sections begun so far, and dropped so far.
    started: usize,
    omitted: usize,
    tail: Tail,
    tail_limit: usize,
}

/// How many of the most recent sections keep their last lines.
const SECTIONS_WITH_TAILS: usize = 64;

/// The most sections a summary keeps: a real job has tens; a log of
/// nothing but section markers must not grow the summary with every one.
/// Past it the oldest closed sections are dropped (and counted).
pub const MAX_SECTIONS: usize = 4096;

/// Sections the runner runs after a job's script has failed or ended: the
/// section a job failed in is the last one that is none of these.
const AFTER_SCRIPT: &[&str] = &[
    "after_script",
    "archive_cache",
    "archive_cache_on_failure",
    "upload_artifacts_on_success",
    "upload_artifacts_on_failure",
    "cleanup_file_variables",
];

impl LogSummary {
    /// An empty summary that keeps `tail_lines` last lines of the log and of
    /// each recent section.
    pub fn new(tail_lines: usize) -> LogSummary {
        LogSummary {
            sections: Vec::new(),
            numbers: Vec::new(),
            open: Vec::new(),
            started: 0,
            omitted: 0,
            tail: Tail::new(tail_lines),
            tail_limit: tail_lines,
        }
    }

    /// The kept section of number `number`, if it is kept.
    fn section_mut(&mut self, number: usize) -> Option<&mut SectionSummary> {
        let at = self.numbers.binary_search(&number).ok()?;
        self.sections.get_mut(at)
    }

    /// The summary of a whole log held in memory.
    pub fn of_bytes(log: &[u8], tail_lines: usize) -> LogSummary {
        let mut summary = LogSummary::new(tail_lines);
        let mut decoder = LogDecoder::new();
        decoder.feed_ref(log, &mut |event| summary.add_ref(event));
        decoder.finish_ref(&mut |event| summary.add_ref(event));
        summary
    }

    /// The summary of a stream of log chunks, such as [`Client::job_log`],
    /// read to its end in constant memory.
    ///
    /// [`Client::job_log`]: crate::Client::job_log
    pub async fn of_stream<E>(
        chunks: impl Stream<Item = Result<bytes::Bytes, E>> + Send,
        tail_lines: usize,
    ) -> Result<LogSummary, E> {
        let mut summary = LogSummary::new(tail_lines);
        let mut decoder = LogDecoder::new();
        let mut chunks = std::pin::pin!(chunks);
        while let Some(chunk) = chunks.next().await {
            decoder.feed_ref(&chunk?, &mut |event| summary.add_ref(event));
        }
        decoder.finish_ref(&mut |event| summary.add_ref(event));
        Ok(summary)
    }

    /// Takes one event into account.
    pub fn add(&mut self, event: &LogEvent) {
        self.add_ref(event.as_event_ref());
    }

    /// As [`add`](Self::add), for an event lent by
    /// [`LogDecoder::feed_ref`].
    pub fn add_ref(&mut self, event: LogEventRef<'_>) {
        match event {
            LogEventRef::Line(line) => {
                let text: Arc<str> = Arc::from(line.text);
                for at in 0..self.open.len() {
                    let number = self.open[at];
                    if let Some(section) = self.section_mut(number) {
                        section.lines += 1;
                        section.tail.push_shared(text.clone());
                    }
                }
                self.tail.push_shared(text);
            }
            LogEventRef::SectionStart(start) => {
                let number = self.started;
                self.started += 1;
                self.sections.push(SectionSummary {
                    name: start.name.clone(),
                    header: start.header.clone(),
                    parents: start.parents.clone(),
                    started_at: start.started_at,
                    duration: None,
                    lines: 0,
                    closed: None,
                    tail: Tail::new(self.tail_limit),
                });
                self.numbers.push(number);
                self.open.push(number);
                // Older sections give up their last lines.
                if let Some(old) = self.sections.len().checked_sub(SECTIONS_WITH_TAILS + 1) {
                    self.sections[old].tail = Tail::new(0);
                }
                // Dropped a quarter at a time, so that each start costs the
                // same however long the log.
                if self.sections.len() > MAX_SECTIONS + MAX_SECTIONS / 4 {
                    self.drop_oldest_closed();
                }
            }
            LogEventRef::SectionEnd(end) => {
                if end.closed == SectionClosed::WithoutStart {
                    return;
                }
                let found = self.open.iter().rposition(|&number| {
                    self.numbers.binary_search(&number).ok().is_some_and(|at| self.sections[at].name == end.name)
                });
                let Some(pos) = found else { return };
                let number = self.open.remove(pos);
                if let Some(section) = self.section_mut(number) {
                    section.duration = end.duration;
                    section.closed = Some(end.closed);
                }
            }
        }
    }

    /// Drops the oldest sections that have ended, down to [`MAX_SECTIONS`]
    /// (open ones are few: the decoder keeps at most `MAX_DEPTH`).
    fn drop_oldest_closed(&mut self) {
        let mut excess = self.sections.len().saturating_sub(MAX_SECTIONS);
        let mut keep = Vec::with_capacity(self.sections.len());
        for (section, number) in self.sections.drain(..).zip(self.numbers.drain(..)) {
            if excess > 0 && section.closed.is_some() {
                excess -= 1;
                self.omitted += 1;
                continue;
            }
            keep.push((section, number));
        }
        (self.sections, self.numbers) = keep.into_iter().unzip();
    }

    /// How many sections were dropped to stay within [`MAX_SECTIONS`].
    pub fn sections_omitted(&self) -> usize {
        self.omitted
    }

    /// Every section kept, in the order they began: all of them unless the
    /// log had more than [`MAX_SECTIONS`] (see [`sections_omitted`](Self::sections_omitted)).
    pub fn sections(&self) -> &[SectionSummary] {
        &self.sections
    }

    /// The last lines of the whole log.
    pub fn tail(&self) -> &Tail {
        &self.tail
    }

    /// The section the job failed in: the innermost section still open when
    /// the log ended (the job stopped inside it), else the last section that
    /// is not one of the steps the runner runs after the script
    /// (`after_script`, uploading artifacts, cleaning up). `None` for a log
    /// without sections.
    pub fn failed_section(&self) -> Option<FailedSection<'_>> {
        let still_open =
            self.sections.iter().rev().find(|s| s.closed == Some(SectionClosed::EndOfLog) || s.closed.is_none());
        if let Some(section) = still_open {
            return Some(FailedSection { section, still_open: true });
        }
        let after_script = |s: &SectionSummary| {
            std::iter::once(&s.name).chain(s.parents.iter()).any(|name| AFTER_SCRIPT.contains(&name.as_str()))
        };
        let last_script = self.sections.iter().rev().find(|s| !after_script(s));
        last_script.or(self.sections.last()).map(|section| FailedSection { section, still_open: false })
    }
}
