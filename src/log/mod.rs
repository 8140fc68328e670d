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
//! [`Client::job_log`]: crate::Client::job_log
//! [`FollowLog::stream`]: crate::FollowLog::stream

mod decode;
mod event;
mod marker;
mod prefix;
mod screen;
mod summary;

use std::collections::VecDeque;

use bytes::Bytes;
use futures::{Stream, StreamExt, stream::BoxStream};

pub use decode::{LogDecoder, MAX_DEPTH, MAX_LINE_BYTES, MAX_WAITING};
pub use event::{LogEvent, LogLine, OutputStream, SectionClosed, SectionEnd, SectionStart};
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
