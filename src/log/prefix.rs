//! The runner's per-record timestamp prefix (`FF_TIMESTAMPS`, on by default
//! in recent runners), as GitLab Runner writes it
//! (`common/buildlogger/internal/timestamper/timestamper.go`) and GitLab reads
//! it (`TIMESTAMP_HEADER_REGEX` in `lib/gitlab/ci/trace/stream.rb`): 32 bytes,
//!
//! ```text
//! 2024-06-12T10:27:13.765080Z 01O+payload…
//! └ UTC, 6 fraction digits ─┘ │└┤││
//!                   space ────┘ ││└ ' ' a new line, '+' the continuation of the previous record of the stream
//!    stream id (2 lower-case hex) ┘└ 'O' stdout or 'E' stderr
//! ```
//!
//! Stream 00 is the runner's own output, 01 the job's, 0f service containers.
//! A record is recognised by its shape alone, line by line, so a log with a
//! few lines the runner wrote without a prefix still decodes.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use super::event::OutputStream;

/// The length of the prefix.
pub(super) const LEN: usize = 32;

/// A record's prefix, and what follows it.
pub(super) struct Prefix<'a> {
    /// `None` when the shape is right but the date is not (a 31st of June).
    pub(super) timestamp: Option<DateTime<Utc>>,
    pub(super) stream_id: u8,
    pub(super) stream: OutputStream,
    /// Whether the record continues the previous record of its stream.
    pub(super) continues: bool,
    pub(super) content: &'a [u8],
}

/// The last date read, so that records of the same day (nearly all of a
/// log) skip reading and checking a calendar date: its ten bytes (as the
/// first word of the prefix and the two bytes after it) and the date.
pub(super) type DateCache = Option<((u64, u16), Option<NaiveDate>)>;

/// Per word of the prefix, read little-endian: the bytes that must be
/// digits (0x80 in their place), and the bytes that must be a given
/// character (0xff in their place) with those characters.
const DIGITS: [u64; 4] = [
    0x0080_8000_8080_8080, // YYYY-MM-
    0x8080_0080_8000_8080, // DDTHH:MM
    0x8080_8080_0080_8000, // :SS.ffff
    0x0000_0000_0000_8080, // ffZ ….
];
const FIXED_MASK: [u64; 4] =
    [0xff00_00ff_0000_0000, 0x0000_ff00_00ff_0000, 0x0000_0000_ff00_00ff, 0x0000_0000_ffff_0000];
const FIXED: [u64; 4] = [
    u64::from_le_bytes(*b"\0\0\0\0-\0\0-"),
    u64::from_le_bytes(*b"\0\0T\0\0:\0\0"),
    u64::from_le_bytes(*b":\0\0.\0\0\0\0"),
    u64::from_le_bytes(*b"\0\0Z \0\0\0\0"),
];

/// The prefix of `record`, if it has one.
pub(super) fn parse<'a>(record: &'a [u8], cache: &mut DateCache) -> Option<Prefix<'a>> {
    let head: &[u8; LEN] = record.get(..LEN)?.try_into().ok()?;
    let word = |i: usize| {
        u64::from_le_bytes([
            head[8 * i],
            head[8 * i + 1],
            head[8 * i + 2],
            head[8 * i + 3],
            head[8 * i + 4],
            head[8 * i + 5],
            head[8 * i + 6],
            head[8 * i + 7],
        ])
    };
    let words = [word(0), word(1), word(2), word(3)];
    // Every fixed character in place, and every digit a digit, a word at a
    // time: a byte `b ^ '0'` of 10 or more gets its high bit set by adding
    // 0x76 (a carry into the next byte only follows a byte already wrong).
    let mut wrong = 0u64;
    let mut values = [0u64; 4];
    for i in 0..4 {
        wrong |= (words[i] & FIXED_MASK[i]) ^ FIXED[i];
        let value = words[i] ^ 0x3030_3030_3030_3030;
        wrong |= (value.wrapping_add(0x7676_7676_7676_7676) | value) & DIGITS[i];
        values[i] = value;
    }
    if wrong != 0 {
        return None;
    }
    let digit = |at: usize| (values[at / 8] >> (8 * (at % 8)) & 0xff) as u32;
    let two = |at: usize| digit(at) * 10 + digit(at + 1);
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    let stream_id = hex(head[28])? << 4 | hex(head[29])?;
    let stream = match head[30] {
        b'O' => OutputStream::Stdout,
        b'E' => OutputStream::Stderr,
        _ => return None,
    };
    let continues = match head[31] {
        b'+' => true,
        b' ' => false,
        _ => return None,
    };
    let (hour, minute, second) = (two(11), two(14), two(17));
    let micros = two(20) * 10_000 + two(22) * 100 + two(24);
    let key = (words[0], (words[1] & 0xffff) as u16);
    let date = match cache {
        // The same ten bytes as a date already read (and checked) before.
        Some((cached, date)) if *cached == key => *date,
        _ => {
            let date = NaiveDate::from_ymd_opt((two(0) * 100 + two(2)) as i32, two(5), two(8));
            *cache = Some((key, date));
            date
        }
    };
    let mut timestamp = None;
    if hour < 24
        && minute < 60
        && second < 60
        && let Some(date) = date
        && let Some(time) =
            NaiveTime::from_num_seconds_from_midnight_opt(hour * 3600 + minute * 60 + second, micros * 1000)
    {
        timestamp = Some(NaiveDateTime::new(date, time).and_utc());
    }
    Some(Prefix { timestamp, stream_id, stream, continues, content: &record[LEN..] })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(record: &[u8]) -> Option<Prefix<'_>> {
        super::parse(record, &mut None)
    }

    #[test]
    fn records_of_one_second_share_the_date_but_not_the_fraction() {
        let mut cache = None;
        let a = super::parse(b"2024-06-12T10:27:13.000001Z 01O a", &mut cache).unwrap().timestamp.unwrap();
        let b = super::parse(b"2024-06-12T10:27:13.999999Z 01O b", &mut cache).unwrap().timestamp.unwrap();
        let c = super::parse(b"2024-06-12T10:27:14.000000Z 01O c", &mut cache).unwrap().timestamp.unwrap();
        assert_eq!((b - a).num_microseconds(), Some(999_998));
        assert_eq!((c - b).num_microseconds(), Some(1));
    }

    #[test]
    fn the_runners_prefix_is_read_and_anything_else_is_not() {
        let p = parse(b"2024-06-12T10:27:13.765080Z 01E+tail").unwrap();
        assert_eq!(p.timestamp.unwrap().to_rfc3339(), "2024-06-12T10:27:13.765080+00:00");
        assert_eq!((p.stream_id, p.stream, p.continues, p.content), (1, OutputStream::Stderr, true, &b"tail"[..]));
        let p = parse(b"2021-01-01T01:00:00.020010Z ffO ").unwrap();
        assert_eq!((p.stream_id, p.continues, p.content), (255, false, &b""[..]));
        // GitLab's pattern wants lower-case hex, O or E, and ' ' or '+'.
        assert!(parse(b"2024-06-12T10:27:13.765080Z 0FO x").is_none());
        assert!(parse(b"2024-06-12T10:27:13.765080Z 01X x").is_none());
        assert!(parse(b"2024-06-12T10:27:13.765080Z 01O-x").is_none());
        assert!(parse(b"2024-06-12T10:27:13.765Z 01O x").is_none(), "three fraction digits");
        assert!(parse(b"2024-06-12T10:27:13.765080Z 01O").is_none(), "cut short");
        assert!(parse(b"Running with gitlab-runner 17.0.0").is_none());
        // The right shape with an impossible date still strips the prefix.
        let p = parse(b"2024-06-31T10:27:13.765080Z 01O x").unwrap();
        assert_eq!((p.timestamp, p.content), (None, &b"x"[..]));
    }
}
