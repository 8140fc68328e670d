//! Files read by hand, resumed without ever splicing two versions of a file:
//! the requests the log and artifact features build themselves (the
//! generated builders have no `Range` setter), and [`FileRead`], the read
//! of one file across broken connections that both share.
//!
//! A read that breaks is resumed only where the answer proves it continues
//! the same file:
//! - With a validator from the first answer (a strong `ETag`, else
//!   `Last-Modified`), the rest is asked for with `Range` and `If-Range`. A
//!   `206` is accepted only when its `Content-Range` starts at the first byte
//!   not yet delivered and names the same total size; a `200` is the whole
//!   file again (the server ignores ranges, or the file changed).
//! - Without one, no range is asked for: the whole file comes again.
//! - A whole file read again is skipped up to the bytes already delivered,
//!   and those bytes are checked against a digest of what was delivered
//!   wherever a validator cannot vouch for them (no validator, or a log that
//!   may have grown): a file that changed is an error, never a splice.
//!
//! A file that is not `growing` (an artifact) and whose size or validator
//! changed is an error at once. A growing one (a running job's log) may have
//! grown: its new version must begin with the bytes delivered.

use std::pin::Pin;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use reqwest::{
    Response, StatusCode,
    header::{self, HeaderMap, HeaderName, HeaderValue},
};

use crate::{
    Client, Error,
    error::Problem,
    operations::Operation,
    transport::{self, Deadline, retry::is_retryable_error},
};

/// A file answer's body, chunk by chunk.
pub(crate) type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// A GET of a file for `row`, sent as generated requests are: with the
/// client's credential, its redirect and retry policies, and error bodies
/// read. The caller reads the status.
pub(crate) async fn get(
    client: &Client,
    row: &Operation,
    url: &str,
    headers: &[(HeaderName, HeaderValue)],
    deadline: Option<Deadline>,
) -> Result<Response, Error> {
    let mut request = client.client.get(url).build().map_err(Error::CommunicationError)?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    let settings = &client.inner.transport;
    let mut call = row.call(settings, None);
    call.deadline = deadline.or(call.deadline);
    transport::send(&client.client, settings, request, &call).await.map_err(transport::Failure::into_error)
}

/// An answer the client cannot use, for `reason`, as the error it ends in.
pub(crate) fn refuse(client: &Client, response: Response, reason: String) -> Error {
    Error::UnexpectedResponse(transport::refused(response, Problem::Refused { reason }, &client.inner.transport))
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes */200` → (200, Some(200)).
pub(crate) fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?.trim();
    let spec = value.strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let total = total.trim().parse::<u64>().ok();
    if range.trim() == "*" {
        return Some((total?, total));
    }
    let (start, end) = range.split_once('-')?;
    let (start, end) = (start.trim().parse::<u64>().ok()?, end.trim().parse::<u64>().ok()?);
    // A range that ends before it starts, or past the total, is no range.
    if end < start || total.is_some_and(|total| end >= total) {
        return None;
    }
    Some((start, total))
}

/// Drops the first `skip` bytes of what arrives, across chunks.
pub(crate) fn skip_prefix(chunk: Bytes, skip: &mut u64) -> Bytes {
    if *skip == 0 {
        return chunk;
    }
    let dropped = (*skip).min(chunk.len() as u64);
    *skip -= dropped;
    chunk.slice(dropped as usize..)
}

/// What the first answer said of a file, to tell a later answer of another
/// version.
#[derive(Clone, Debug, Default)]
struct Version {
    /// A strong `ETag`, else `Last-Modified`: what `If-Range` may carry.
    validator: Option<HeaderValue>,
    /// The file's size, where the answer said it.
    size: Option<u64>,
}

impl Version {
    fn of(status: StatusCode, headers: &HeaderMap) -> Version {
        let etag = headers.get(header::ETAG).filter(|tag| !tag.as_bytes().starts_with(b"W/"));
        let validator = etag.or(headers.get(header::LAST_MODIFIED)).cloned();
        let size = match status {
            StatusCode::PARTIAL_CONTENT => content_range(headers).and_then(|(_, total)| total),
            _ => headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse().ok()),
        };
        Version { validator, size }
    }
}

/// A checksum of a byte stream, the same however the stream is cut into
/// chunks: Fletcher's sums over 8-byte words in eight lanes (each word is
/// added to its lane's sum, and the running sum to a second one, which
/// weighs words by position), finished with a mixing step. It has no
/// multiplication in its loop, so the compiler runs the lanes side by side
/// in vector registers and it keeps up with memory: reading a log at
/// loopback speed costs next to nothing more. It tells an accident (a file
/// that changed between two reads) from the same bytes; it is no defence
/// against a server that lies, which could send any bytes in the first
/// place.
#[derive(Clone, Debug)]
pub(crate) struct Digest {
    sums: [u64; LANES],
    weighted: [u64; LANES],
    pending: [u8; BLOCK],
    pending_len: usize,
    len: u64,
}

const LANES: usize = 8;
const BLOCK: usize = LANES * 8;

impl Default for Digest {
    fn default() -> Self {
        Digest { sums: [0; LANES], weighted: [0; LANES], pending: [0; BLOCK], pending_len: 0, len: 0 }
    }
}

impl Digest {
    fn blocks(&mut self, bytes: &[u8]) {
        let (mut sums, mut weighted) = (self.sums, self.weighted);
        for block in bytes.chunks_exact(BLOCK) {
            for lane in 0..LANES {
                let word = u64::from_le_bytes(block[lane * 8..lane * 8 + 8].try_into().unwrap_or_default());
                sums[lane] = sums[lane].wrapping_add(word);
                weighted[lane] = weighted[lane].wrapping_add(sums[lane]);
            }
        }
        (self.sums, self.weighted) = (sums, weighted);
    }

    pub(crate) fn update(&mut self, mut bytes: &[u8]) {
        self.len = self.len.wrapping_add(bytes.len() as u64);
        if self.pending_len > 0 {
            let take = (BLOCK - self.pending_len).min(bytes.len());
            self.pending[self.pending_len..self.pending_len + take].copy_from_slice(&bytes[..take]);
            self.pending_len += take;
            bytes = &bytes[take..];
            if self.pending_len < BLOCK {
                return;
            }
            let pending = self.pending;
            self.blocks(&pending);
            self.pending_len = 0;
        }
        let whole = bytes.len() / BLOCK * BLOCK;
        self.blocks(&bytes[..whole]);
        let rest = &bytes[whole..];
        self.pending[..rest.len()].copy_from_slice(rest);
        self.pending_len = rest.len();
    }

    pub(crate) fn value(&self) -> u64 {
        let mut copy = self.clone();
        let mut last = [0u8; BLOCK];
        last[..self.pending_len].copy_from_slice(&self.pending[..self.pending_len]);
        copy.blocks(&last);
        let mix = |mut h: u64| {
            // The finaliser of splitmix64: every input bit reaches every output bit.
            h ^= h >> 30;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            h ^= h >> 27;
            h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
            h ^ (h >> 31)
        };
        let lanes = copy.sums.iter().chain(&copy.weighted);
        lanes.fold(mix(self.len), |h, &lane| mix(h ^ lane).rotate_left(17))
    }
}

/// Bytes of a file read again from its start that were delivered before:
/// skipped, and checked against the digest of what was delivered.
struct Skip {
    remaining: u64,
    digest: Digest,
    /// The digest the skipped bytes must have; `None` where the validator
    /// vouches for them.
    expected: Option<u64>,
}

/// What went wrong with a read, before it becomes the caller's error.
pub(crate) enum ReadError {
    /// GitLab (or the storage it redirected to) did not deliver the file.
    Api(Box<Error>),
    /// The connection broke too often: `resumes` resumes, the last break
    /// with this error.
    Broken { resumes: u32, error: Box<Error> },
    /// The file changed while it was read; nothing of the new version was
    /// delivered.
    Changed(Box<Error>),
}

impl ReadError {
    fn api(error: Error) -> ReadError {
        ReadError::Api(Box::new(error))
    }

    /// The error of the request, whatever the reason.
    pub(crate) fn into_error(self) -> Error {
        match self {
            ReadError::Api(error) | ReadError::Broken { error, .. } | ReadError::Changed(error) => *error,
        }
    }
}

/// One file read to its end across broken connections; see the module.
pub(crate) struct FileRead<'a> {
    client: &'a Client,
    row: &'static Operation,
    url: String,
    growing: bool,
    deadline: Option<Deadline>,
    version: Version,
    body: Option<Body>,
    skip: Option<Skip>,
    delivered: u64,
    /// The digest of what was delivered, where a resume may need it.
    digest: Option<Digest>,
    /// Resumes so far, and breaks in a row without a byte delivered.
    resumes: u32,
    failures: u32,
    done: bool,
}

impl<'a> FileRead<'a> {
    /// A read of the file that `first` (a `200` the caller has checked)
    /// begins.
    pub(crate) fn new(
        client: &'a Client,
        row: &'static Operation,
        url: String,
        growing: bool,
        deadline: Option<Deadline>,
        first: Response,
    ) -> FileRead<'a> {
        let version = Version::of(first.status(), first.headers());
        let digest = (growing || version.validator.is_none()).then(Digest::default);
        FileRead {
            client,
            row,
            url,
            growing,
            deadline,
            version,
            body: Some(Box::pin(first.bytes_stream())),
            skip: None,
            delivered: 0,
            digest,
            resumes: 0,
            failures: 0,
            done: false,
        }
    }

    /// The file's size, where the first answer said it.
    pub(crate) fn size(&self) -> Option<u64> {
        self.version.size
    }

    /// How many times the read was resumed.
    pub(crate) fn resumes(&self) -> u32 {
        self.resumes
    }

    /// The next new bytes of the file; `None` at its end.
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<Bytes>, ReadError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(body) = self.body.as_mut() else {
                self.resume().await?;
                continue;
            };
            let chunk = match self.deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline.at, body.next()).await {
                    Ok(chunk) => chunk,
                    Err(_) => return Err(ReadError::api(self.deadline_passed())),
                },
                None => body.next().await,
            };
            match chunk {
                Some(Ok(chunk)) => {
                    let Some(fresh) = self.skipped(chunk)? else { continue };
                    if fresh.is_empty() {
                        continue;
                    }
                    self.delivered = self.delivered.saturating_add(fresh.len() as u64);
                    if let Some(digest) = &mut self.digest {
                        digest.update(&fresh);
                    }
                    self.failures = 0;
                    return Ok(Some(fresh));
                }
                None => {
                    self.body = None;
                    if let Some(skip) = &self.skip
                        && skip.remaining > 0
                    {
                        let reason = format!(
                            "it is shorter than the {} bytes already delivered: the file changed while it was read",
                            self.delivered
                        );
                        return Err(ReadError::Changed(Box::new(Error::Custom(reason))));
                    }
                    // A body that ends short of the size it announced broke off.
                    if self.version.size.is_none_or(|size| self.delivered >= size) {
                        self.done = true;
                        return Ok(None);
                    }
                    self.broke(None)?;
                }
                Some(Err(error)) => {
                    self.body = None;
                    let error = self.client.inner.transport.shown_error(error);
                    if !is_retryable_error(&error) {
                        return Err(ReadError::api(Error::ResponseBodyError(error)));
                    }
                    self.broke(Some(error))?;
                }
            }
        }
    }

    /// Counts a break, and fails when there were too many.
    fn broke(&mut self, error: Option<reqwest::Error>) -> Result<(), ReadError> {
        self.failures += 1;
        let policy = &self.client.inner.transport.retry;
        if self.failures >= policy.attempts() || self.resumes >= policy.resumes() {
            let error = match error {
                Some(error) => Error::ResponseBodyError(error),
                None => Error::Custom(format!(
                    "the answer ended after {} of the {} bytes it announced",
                    self.delivered,
                    self.version.size.unwrap_or_default()
                )),
            };
            return Err(ReadError::Broken { resumes: self.resumes, error: Box::new(error) });
        }
        Ok(())
    }

    /// A chunk of the current body past the bytes to skip, or `None` while
    /// all of it is skipped; an error once the skipped bytes prove to be
    /// other than those delivered.
    fn skipped(&mut self, chunk: Bytes) -> Result<Option<Bytes>, ReadError> {
        let Some(skip) = &mut self.skip else { return Ok(Some(chunk)) };
        let take = skip.remaining.min(chunk.len() as u64) as usize;
        if skip.expected.is_some() {
            skip.digest.update(&chunk[..take]);
        }
        skip.remaining -= take as u64;
        if skip.remaining > 0 {
            return Ok(None);
        }
        if let Some(expected) = skip.expected
            && skip.digest.value() != expected
        {
            let reason = format!(
                "its first {} bytes differ from those already delivered: the file changed while it was read",
                self.delivered
            );
            return Err(ReadError::Changed(Box::new(Error::Custom(reason))));
        }
        self.skip = None;
        Ok(Some(chunk.slice(take..)))
    }

    /// Asks for the rest of the file, and checks that the answer continues it.
    async fn resume(&mut self) -> Result<(), ReadError> {
        self.resumes += 1;
        let mut headers = Vec::new();
        if let Some(validator) = &self.version.validator {
            let range = HeaderValue::from_str(&format!("bytes={}-", self.delivered))
                .map_err(|e| ReadError::api(Error::InvalidRequest(e.to_string())))?;
            headers.push((header::RANGE, range));
            headers.push((header::IF_RANGE, validator.clone()));
        }
        let response = get(self.client, self.row, &self.url, &headers, self.deadline).await.map_err(ReadError::api)?;
        let status = response.status();
        let now = Version::of(status, response.headers());
        match status {
            StatusCode::PARTIAL_CONTENT if self.version.validator.is_some() => {
                let range = content_range(response.headers());
                let Some((start, total)) = range else {
                    return Err(self.refused(response, "a 206 without a single Content-Range cannot be resumed"));
                };
                if start != self.delivered {
                    let reason =
                        format!("bytes from {} were asked for and it holds bytes from {start}", self.delivered);
                    return Err(self.refused(response, &reason));
                }
                // The same version (the validator matched) has the same size;
                // a log may have grown (a server whose validator does not
                // change as it grows).
                if let (Some(size), Some(total)) = (self.version.size, total)
                    && (size != total && !self.growing || total < self.delivered)
                {
                    let reason = format!("its Content-Range says {total} bytes where the file had {size}");
                    return Err(self.changed(response, &reason));
                }
                self.version.size =
                    if self.growing { total.or(self.version.size) } else { self.version.size.or(total) };
                self.skip = None;
            }
            StatusCode::OK => {
                let other_validator = matches!((&self.version.validator, &now.validator), (Some(a), Some(b)) if a != b);
                let other_size = matches!((self.version.size, now.size), (Some(a), Some(b)) if a != b);
                if !self.growing && (other_validator || other_size) {
                    return Err(self.changed(
                        response,
                        "it is another version of the file (its ETag, Last-Modified or size differ)",
                    ));
                }
                if now.size.is_some_and(|size| size < self.delivered) {
                    return Err(self.changed(response, "it is shorter than the bytes already delivered"));
                }
                // The validator vouches for the skipped bytes where it is the
                // same; elsewhere the digest checks them.
                let same = self.version.validator.is_some() && !other_validator && !self.growing;
                let expected = if same { None } else { self.digest.as_ref().map(Digest::value) };
                if !same && expected.is_none() {
                    return Err(self.changed(response, "it cannot be told from another version of the file"));
                }
                self.skip = Some(Skip { remaining: self.delivered, digest: Digest::default(), expected });
                if self.growing {
                    self.version = now;
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE
                if content_range(response.headers()).is_some_and(|(_, total)| total == Some(self.delivered)) =>
            {
                self.done = true;
                return Ok(());
            }
            status if status.is_success() || status.is_redirection() => {
                return Err(self.refused(response, "it is no answer to a resumed read"));
            }
            _ => return Err(ReadError::api(Error::UnexpectedResponse(response))),
        }
        self.body = Some(Box::pin(response.bytes_stream()));
        Ok(())
    }

    fn refused(&self, response: Response, reason: &str) -> ReadError {
        ReadError::api(refuse(self.client, response, reason.to_owned()))
    }

    fn changed(&self, response: Response, reason: &str) -> ReadError {
        let reason = format!("{reason}: the file changed after {} bytes were delivered", self.delivered);
        ReadError::Changed(Box::new(refuse(self.client, response, reason)))
    }

    fn deadline_passed(&self) -> Error {
        let limit = self.deadline.map_or(std::time::Duration::ZERO, |d| d.limit);
        Error::Custom(format!(
            "{}: not read whole within its deadline of {limit:?}; {} bytes were delivered",
            self.row.id, self.delivered
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_spans_chunks() {
        let mut skip = 5;
        assert_eq!(skip_prefix(Bytes::from_static(b"abc"), &mut skip), "");
        assert_eq!(skip_prefix(Bytes::from_static(b"defgh"), &mut skip), "fgh");
        assert_eq!(skip, 0);
        assert_eq!(skip_prefix(Bytes::from_static(b"ij"), &mut skip), "ij");
    }

    #[test]
    fn a_digest_is_the_same_however_the_bytes_are_cut() {
        let bytes: Vec<u8> = (0..1000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut whole = Digest::default();
        whole.update(&bytes);
        for cut in [1, 7, 31, 32, 33, 100, 999] {
            let mut pieces = Digest::default();
            for piece in bytes.chunks(cut) {
                pieces.update(piece);
            }
            assert_eq!(pieces.value(), whole.value(), "cut every {cut} bytes");
        }
        let mut changed = bytes.clone();
        changed[500] ^= 1;
        let mut other = Digest::default();
        other.update(&changed);
        assert_ne!(other.value(), whole.value());
        let mut shorter = Digest::default();
        shorter.update(&bytes[..999]);
        assert_ne!(shorter.value(), whole.value());
        // Words swapped within a lane, across lanes, and a block moved.
        for (a, b) in [(0, 64), (8, 72), (0, 8), (128, 640)] {
            let mut swapped = bytes.clone();
            for i in 0..8 {
                swapped.swap(a + i, b + i);
            }
            let mut digest = Digest::default();
            digest.update(&swapped);
            assert_ne!(digest.value(), whole.value(), "words at {a} and {b} swapped");
        }
        // Trailing zeros change the length, and so the digest.
        let (mut a, mut b) = (Digest::default(), Digest::default());
        a.update(b"x");
        b.update(b"x\0");
        assert_ne!(a.value(), b.value());
    }

    #[test]
    fn content_ranges_that_make_no_sense_are_none() {
        let range = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_static(value));
            content_range(&headers)
        };
        assert_eq!(range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(range("bytes 100-199/*"), Some((100, None)));
        assert_eq!(range("bytes */200"), Some((200, Some(200))));
        assert_eq!(range("bytes 100-99/200"), None);
        assert_eq!(range("bytes 100-200/200"), None);
        assert_eq!(range("bytes 0-18446744073709551616/5"), None);
        assert_eq!(range("items 0-1/2"), None);
    }
}
