//! Section markers, read from a line's raw bytes before any escape sequence
//! is interpreted (escape sequences are part of their syntax):
//! `\e[0Ksection_start:<unix time>:<name>[<options>]\r\e[0K<header>` and
//! `\e[0Ksection_end:<unix time>:<name>\r\e[0K`.

use chrono::{DateTime, Utc};

/// A section marker read from a line.
pub(super) enum Marker {
    Start { time: Option<DateTime<Utc>>, name: String, options: Vec<(String, String)> },
    End { time: Option<DateTime<Utc>>, name: String },
}

/// The longest options block (`[collapsed=true,…]`) read; a longer one is no marker.
const MAX_OPTIONS: usize = 1024;

const START: &[u8] = b"section_start:";
const END: &[u8] = b"section_end:";
/// What closes a marker, as the runner writes it.
const MARKER_END: &[u8] = b"\r\x1b[0K";
/// The erase-line sequence the runner writes before a marker.
const ERASE: &[u8] = b"\x1b[0K";

/// The first well-formed marker of `line`: where its text ends (before the
/// erase sequence in front of it), the marker, and the bytes after it.
pub(super) fn find_marker(line: &[u8]) -> Option<(usize, Marker, &[u8])> {
    // Most lines have no marker: look for the `_` of `section_` (one memchr
    // over a short line) rather than set up a substring search per line.
    for underscore in memchr::memchr_iter(b'_', line) {
        let Some(at) = underscore.checked_sub(b"section".len()) else { continue };
        let rest = &line[at..];
        let (is_start, body) = if let Some(body) = rest.strip_prefix(START) {
            (true, body)
        } else if let Some(body) = rest.strip_prefix(END) {
            (false, body)
        } else {
            continue;
        };
        let Some((marker, after)) = parse_marker(is_start, body) else { continue };
        let text_end = if line[..at].ends_with(ERASE) { at - ERASE.len() } else { at };
        return Some((text_end, marker, after));
    }
    None
}

/// `<unix time>:<name>[<options>]\r\e[0K` after `section_start:` or `section_end:`.
fn parse_marker(is_start: bool, body: &[u8]) -> Option<(Marker, &[u8])> {
    let digits = body.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || body.get(digits) != Some(&b':') {
        return None;
    }
    let time = std::str::from_utf8(&body[..digits])
        .ok()
        .and_then(|t| t.parse::<i64>().ok())
        .and_then(|secs| DateTime::from_timestamp(secs, 0));
    let rest = &body[digits + 1..];
    let name_len = rest.iter().take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')).count();
    if name_len == 0 {
        return None;
    }
    let name = String::from_utf8_lossy(&rest[..name_len]).into_owned();
    let mut rest = &rest[name_len..];
    // GitLab's options group, `(\[\w+=\w+(?:, ?\w+=\w+)*\])?` in
    // `Gitlab::Regex.build_trace_section_regex`, on starts and ends alike: a
    // marker whose brackets hold anything else (`[collapsed]`, `[]`, a
    // trailing comma) is no marker at all.
    let mut options = Vec::new();
    if rest.first() == Some(&b'[') {
        let window = &rest[..rest.len().min(MAX_OPTIONS)];
        let (parsed, used) = parse_options(window)?;
        options = parsed;
        rest = &rest[used..];
    }
    let after = rest.strip_prefix(MARKER_END)?;
    let marker = if is_start { Marker::Start { time, name, options } } else { Marker::End { time, name } };
    Some((marker, after))
}

/// `[key=value, key=value]` at the start of `text` (keys and values of
/// ASCII letters, digits and `_`; one optional space after each comma): the
/// pairs and the bytes they took, or `None` for anything else.
fn parse_options(text: &[u8]) -> Option<(Vec<(String, String)>, usize)> {
    let word = |at: usize| text[at..].iter().take_while(|b| b.is_ascii_alphanumeric() || **b == b'_').count();
    let mut options = Vec::new();
    let mut at = 1;
    loop {
        let key = word(at);
        if key == 0 || text.get(at + key) != Some(&b'=') {
            return None;
        }
        let value_at = at + key + 1;
        let value = word(value_at);
        if value == 0 {
            return None;
        }
        let text_of = |from: usize, len: usize| String::from_utf8_lossy(&text[from..from + len]).into_owned();
        options.push((text_of(at, key), text_of(value_at, value)));
        at = value_at + value;
        match text.get(at) {
            Some(b']') => return Some((options, at + 1)),
            Some(b',') => {
                at += 1;
                if text.get(at) == Some(&b' ') {
                    at += 1;
                }
            }
            _ => return None,
        }
    }
}
