//! Which failures are transient: worth sending the same request again,
//! because the next attempt may meet a server, gateway or connection that
//! works. The transport retries on them; `ErrorExt::is_transient` tells
//! callers the same.

use reqwest::StatusCode;

/// Statuses worth another attempt: throttling, and a gateway in front of
/// GitLab that could not reach it.
pub(crate) fn is_retryable_status(status: StatusCode) -> bool {
    matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS
            | StatusCode::BAD_GATEWAY
            | StatusCode::SERVICE_UNAVAILABLE
            | StatusCode::GATEWAY_TIMEOUT
    )
}

/// Transport failures worth another attempt: the connection could not be
/// made, broke, or went silent. An answer that breaks the protocol (a
/// malformed or oversized head, bad chunking, a body that does not
/// decompress) is not: the server would send it again.
pub(crate) fn is_retryable_error(error: &reqwest::Error) -> bool {
    use std::io::ErrorKind;
    if error.is_connect() || error.is_timeout() {
        return true;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_parse() || hyper.is_parse_status() || hyper.is_user() {
                return false;
            }
            if hyper.is_incomplete_message() || hyper.is_canceled() || hyper.is_closed() || hyper.is_timeout() {
                return true;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::TimedOut
                    | ErrorKind::Interrupted
                    | ErrorKind::NotConnected
            );
        }
        source = cause.source();
    }
    false
}
