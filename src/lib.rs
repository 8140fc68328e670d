#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

mod artifacts;
mod config;
mod error;
mod hooks;
mod job_log;
pub mod log;
mod open_enum;
mod pagination;
mod path_text;
mod project_id;
mod redirect;
mod retry;
mod routes;
mod timestamp;
mod validation;
mod wait;

pub use artifacts::{ArtifactDownload, ArtifactError, ArtifactProblem, ArtifactSource, Downloaded, Progress};
pub use config::{ClientBuilder, ClientState, ConfigError, TokenKind};
pub use error::{ApiError, ErrorExt, JobTokenDenial, MAX_ERROR_BODY, Problem, RateLimit};
pub use job_log::{DEFAULT_POLL_INTERVAL, FollowLog, LogError, LogTail, MAX_BYTE_LIMIT};
pub use pagination::{DEFAULT_PAGES_IN_FLIGHT, LOW_RATE_LIMIT, Paginate, STREAM_PER_PAGE};
pub use path_text::{ArtifactPath, RefName};
pub use project_id::ProjectId;
pub use retry::RetryPolicy;
pub use timestamp::Timestamp;
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
