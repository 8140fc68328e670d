#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

// The layers, bottom up (ARCHITECTURE.md): leaf types; the transport; the
// operation table; the features; the hooks and the builder on top.
mod error;
mod failure;
mod open_enum;
mod path_text;
mod project_id;
mod timestamp;

mod transport;

mod operations;
mod state;

mod page_channel;
mod transfer;

mod artifacts;
mod job_log;
mod job_status;
pub mod log;
mod lost_answer;
mod pagination;
mod wait;

mod config;
mod hooks;

pub use artifacts::{
    ArtifactDownload, ArtifactError, ArtifactProblem, ArtifactSource, DEFAULT_PROGRESS_INTERVAL, Downloaded, Progress,
};
pub use config::{ClientBuilder, ConfigError};
pub use error::{ApiError, ErrorExt, JobTokenDenial, MAX_ERROR_BODY, MAX_PAYLOAD_EXCERPT, Problem, RateLimit};
pub use failure::FailureCategory;
pub use job_log::{DEFAULT_POLL_INTERVAL, FollowLog, LogError, LogTail, MAX_BYTE_LIMIT};
pub use lost_answer::CLOCK_SKEW;
pub use pagination::{DEFAULT_PAGES_IN_FLIGHT, LOW_RATE_LIMIT, Paginate, STREAM_PER_PAGE};
pub use path_text::{ArtifactPath, RefName};
pub use project_id::ProjectId;
pub use state::ClientState;
pub use timestamp::Timestamp;
pub use transport::{DEFAULT_DEADLINE, DEFAULT_MAX_BODY_BYTES, credential::TokenKind, retry::RetryPolicy};
pub use wait::{DEFAULT_MAX_WAIT_INTERVAL, DEFAULT_WAIT_INTERVAL, WaitError, WaitForJob};

/// The client, builders and types that build.rs generates from `spec/openapi.yaml`.
/// It is private: what users need is re-exported below.
#[allow(missing_docs, clippy::all, clippy::pedantic, unused_imports)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/gitlab_jobs.rs"));
}

pub use generated::{ByteStream, Client, ClientInfo, Error, ResponseValue, builder, open_enums::*, types};

/// The generated code, as compiled into this crate: `cargo xtask api` lists
/// the public surface it produces. Not part of the API.
#[doc(hidden)]
pub const GENERATED_SOURCE: &str = include_str!(concat!(env!("OUT_DIR"), "/gitlab_jobs.rs"));
