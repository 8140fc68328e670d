//! Every item of a paged list as one lazy stream, over GitLab's two kinds of
//! pages.
//!
//! A list endpoint returns 20 items unless asked for more, so a caller that
//! reads one response silently sees only the first 20 jobs. [`Paginate::stream`]
//! follows the pages instead: keyset pages for project jobs (GitLab asks clients
//! to prefer them, since offset paging of large job lists is expensive for the
//! server), following `Link: <…>; rel="next"`; offset pages elsewhere, and for
//! servers that refuse or ignore keyset, following `X-Next-Page` (an empty
//! string on the last page) or `Link`.
//!
//! Past the first page a stream reads one page ahead (`read_ahead.rs`): the
//! page after the one the consumer waits for is asked for on that page's
//! headers, and a page's body is parsed by the stream itself, apart from the
//! consumer when it is large (`page.rs`). Where the number of pages is known,
//! several are asked for at once. `stream().take(5)` makes one request.
//! Where the next page is, `link.rs` reads from the headers.

mod link;
mod page;
mod read_ahead;

use futures::{StreamExt, stream::BoxStream};

use crate::{
    Error, ResponseValue,
    builder::{ListJobArtifactsTree, ListPipelineBridges, ListPipelineJobs, ListPipelineTriggerJobs, ListProjectJobs},
    types,
};
pub use page::STREAM_PER_PAGE;
pub use read_ahead::LOW_RATE_LIMIT;

use page::PagedRequest;
use read_ahead::ReadAhead;

/// Streams every item of a paged list endpoint.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use gitlab_jobs::{Client, JobScope, Paginate};
///
/// # async fn run(client: Client) -> Result<(), gitlab_jobs::Error> {
/// let failed: Vec<_> = client
///     .list_project_jobs()
///     .id("group/project")
///     .scope(vec![JobScope::Failed])
///     .stream()
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub trait Paginate<'a> {
    /// What the list holds.
    type Item;

    /// Every item of the list, fetched page by page as the stream is read.
    /// Every setter used on the builder (scope, ref, include_retried, …) is
    /// kept on every page. The stream is boxed, so it is `Unpin` and can be
    /// stored by name.
    fn stream(self) -> BoxStream<'a, Result<Self::Item, Error>>;

    /// As [`stream`](Self::stream), with up to `max_in_flight` page requests
    /// at once where the server says how many pages there are
    /// (`X-Total-Pages`: pipeline jobs, trigger jobs, the artifacts tree);
    /// items still come in page order. `stream` uses
    /// [`DEFAULT_PAGES_IN_FLIGHT`]. When GitLab's `RateLimit-Remaining` falls
    /// under [`LOW_RATE_LIMIT`], one page at a time again. Project jobs
    /// (keyset pages, no totals) are read one page ahead whatever is set,
    /// unless a server before 15.9 refuses keyset and its offset pages
    /// carry totals.
    fn stream_with_pages_in_flight(self, max_in_flight: usize) -> BoxStream<'a, Result<Self::Item, Error>>;
}

/// How many page requests a stream keeps in flight by default, where the
/// number of pages is known.
pub const DEFAULT_PAGES_IN_FLIGHT: usize = 2;

macro_rules! paged {
    // An endpoint with keyset pagination: `pagination=keyset` and a cursor.
    ($builder:ident, $item:ty, keyset) => {
        paged!(@impl $builder, $item, true, |request: $builder<'a>, cursor: Option<String>| {
            let request = request.pagination(types::PaginationMode::Keyset);
            match cursor {
                Some(cursor) => request.cursor(cursor),
                None => request,
            }
        });
    };
    // An endpoint with offset pagination only.
    ($builder:ident, $item:ty) => {
        paged!(@impl $builder, $item, false, |request: $builder<'a>, _cursor: Option<String>| request);
    };
    (@impl $builder:ident, $item:ty, $keyset:expr, $with_cursor:expr) => {
        impl<'a> PagedRequest for $builder<'a> {
            type Item = $item;
            const KEYSET: bool = $keyset;
            fn send(self) -> impl Future<Output = Result<ResponseValue<Vec<$item>>, Error>> + Send {
                $builder::send(self)
            }
            fn page(self, page: u32) -> Self {
                $builder::page(self, page)
            }
            fn keyset(self, cursor: Option<String>) -> Self {
                ($with_cursor)(self, cursor)
            }
        }

        impl<'a> Paginate<'a> for $builder<'a> {
            type Item = $item;
            fn stream(self) -> BoxStream<'a, Result<$item, Error>> {
                ReadAhead::new(self, DEFAULT_PAGES_IN_FLIGHT).boxed()
            }

            fn stream_with_pages_in_flight(self, max_in_flight: usize) -> BoxStream<'a, Result<$item, Error>> {
                ReadAhead::new(self, max_in_flight).boxed()
            }
        }
    };
}

paged!(ListProjectJobs, types::Job, keyset);
paged!(ListPipelineJobs, types::Job);
paged!(ListPipelineBridges, types::Bridge);
paged!(ListPipelineTriggerJobs, types::Bridge);
paged!(ListJobArtifactsTree, types::JobArtifactEntry);
