//! Job logs as a person or a program reads them: lines of clean text, the
//! sections GitLab folds them into, the runner's timestamps, and answers
//! built on those (the sections with their durations, the last lines, the
//! section a job failed in).
//!
//! [`LogDecoder`] works on any bytes of a GitLab job log, in chunks of any
//! size; [`decode`] adapts a stream of chunks (from [`Client::job_log`] or
//! [`FollowLog::stream`]) into a stream of [`LogEvent`]s:
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use gitlab_jobs::{Client, log::{self, LogEvent}};
//!
//! # async fn run(client: Client) -> Result<(), gitlab_jobs::Error> {
//! let mut events = log::decode(client.job_log("group/project", 11215821048));
//! while let Some(event) = events.try_next().await? {
//!     if let LogEvent::Line(line) = event {
//!         println!("[{}] {}", line.sections.join("/"), line.text);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! [`LogDecoder::feed_ref`] lends each event instead of giving it, for
//! programs that read every line of large logs and keep few of them; with
//! [`LogDecoder::with_styles`] every line also carries its colours and
//! attributes as styled spans, with the classes GitLab's job page gives them
//! ([`Style::gitlab_classes`], [`html`]).
//!
//! # As GitLab shows a log
//!
//! A decoded log is meant to read as the job page reads, so where GitLab's
//! converter (`lib/gitlab/ci/ansi2json/converter.rb` and its `parser.rb`,
//! `line.rb`, `state.rb`, `style.rb`) decides what a log says, the decoder
//! follows it:
//!
//! - **Invalid UTF-8** becomes one U+FFFD per invalid sequence, as GitLab's
//!   `Gitlab::EncodingHelper#encode_utf8_no_detect` and Rust's
//!   `String::from_utf8_lossy` both do. A lone byte in 0x80–0x9F (a
//!   Windows-1252 file printed by a job) is invalid UTF-8, not a C1 control;
//!   a C1 character written as UTF-8 is text.
//! - **Section markers** are `section_start:<time>:<name>[<options>]\r\e[0K`
//!   and `section_end:<time>:<name>\r\e[0K`, anywhere in a line, with
//!   options either absent or `[key=value, key=value]` (word characters; one
//!   optional space after a comma), as `Gitlab::Regex.build_trace_section_regex`
//!   reads them. Anything else (`[collapsed]`, `[]`, a trailing comma) is no
//!   marker but text, which its own `\r\e[0K` then erases.
//! - **Sections are keyed by their sanitised name**
//!   (`Converter#sanitize_section_name`: lower case, anything outside
//!   `a-z0-9` as `-`; [`SectionStart::key`]), so `section_end:…:go-generate`
//!   closes `section_start:…:Go_Generate`. Open sections are a set by key
//!   (`State#open_sections`): opening an open key again only moves its start
//!   time, the first end closes it (innermost or not, leaving the others
//!   open), and an end that finds nothing open closes nothing
//!   ([`SectionClosed::WithoutStart`]).
//! - **An end marker of no open section** is dropped and the text on its two
//!   sides stays one line (`Converter#handle_section_end`); text before a
//!   start marker, or before an end that closes a section, is a line of its
//!   own (`#handle_section_start`, `#handle_section_end`).
//! - **Text that a lone `\r` left before a marker** is gone: the marker's
//!   `\r\e[0K` clears the row (`Converter#consume_token`, `Line#clear!`),
//!   on GitLab's page as in a terminal.
//! - **Colours and styles** follow `Style#update` for the classes (see
//!   [`Style`]): bold lightens a foreground for good, `100`–`107` fill the
//!   foreground slot, RGB is read as separate codes; a style carries over
//!   from line to line.
//!
//! Where GitLab's page shows less than a terminal would, the decoder gives
//! what a terminal shows, since that is what the job printed:
//!
//! - **A shorter overwrite after `\r`** leaves the longer tail
//!   (`abcdef\rXY` is `XYcdef`); GitLab's `Line#clear!` drops the whole line
//!   at a `\r`.
//! - **Text ending in `\r` with nothing after it** is kept; GitLab clears it
//!   at once, so a last `50%\r` never shows.
//! - **Backspace and cursor movement** (`\b`, `CSI C`, `D`, `G`) and erasing
//!   (`CSI K`) act as in a terminal, so a spinner shows its last frame;
//!   GitLab's parser ignores them and prints every frame side by side.
//! - **Two-byte escapes** such as `ESC ( B` (which `tput sgr0` writes) and
//!   strings such as OSC titles and hyperlinks leave no text; GitLab leaves
//!   the first as text and parts of the others.
//! - **Blank lines** are kept, as a terminal keeps them; GitLab's
//!   `Converter#flush_current_line` emits no empty line.
//!
//! And where neither applies, as a terminal would: runner timestamps and
//! their continuation records are read as GitLab's `Trace::Stream` reads them
//! (see [`LogLine::timestamp`]), lines are cut at [`MAX_LINE_BYTES`].
//!
//! [`Client::job_log`]: crate::Client::job_log
//! [`FollowLog::stream`]: crate::FollowLog::stream

mod decode;
mod event;
mod html;
mod marker;
mod prefix;
mod screen;
mod style;
mod summary;

use std::collections::VecDeque;

use bytes::Bytes;
use futures::{Stream, StreamExt, stream::BoxStream};

pub use decode::{LogDecoder, MAX_DEPTH, MAX_LINE_BYTES, MAX_WAITING};
pub use event::{
    LineRef, LogEvent, LogEventRef, LogLine, OutputStream, SectionClosed, SectionEnd, SectionStart, StyledSpan,
};
pub use html::html;
pub use style::{Color, Style};
pub use summary::{FailedSection, LogSummary, MAX_SECTIONS, SectionSummary, Tail};

/// The events of a stream of log chunks, in order; an error of the stream is
/// passed on and ends it. The decoder's held events follow the last chunk.
pub fn decode<'a, E: Send + 'a>(
    chunks: impl Stream<Item = Result<Bytes, E>> + Send + 'a,
) -> BoxStream<'a, Result<LogEvent, E>> {
    struct State<S> {
        chunks: S,
        decoder: LogDecoder,
        ready: VecDeque<LogEvent>,
        done: bool,
    }
    let start = State { chunks: Box::pin(chunks), decoder: LogDecoder::new(), ready: VecDeque::new(), done: false };
    futures::stream::unfold(start, |mut st| async move {
        loop {
            if let Some(event) = st.ready.pop_front() {
                return Some((Ok(event), st));
            }
            if st.done {
                return None;
            }
            match st.chunks.next().await {
                Some(Ok(chunk)) => {
                    let ready = &mut st.ready;
                    st.decoder.feed_with(&chunk, &mut |event| ready.push_back(event));
                }
                Some(Err(error)) => {
                    st.done = true;
                    return Some((Err(error), st));
                }
                None => {
                    st.done = true;
                    st.ready.extend(st.decoder.finish());
                }
            }
        }
    })
    .boxed()
}
