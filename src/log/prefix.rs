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

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

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

/// The last whole second read, so that records of the same second (most of
/// them) skip reading and checking a date.
pub(super) type SecondCache = Option<([u8; 19], Option<NaiveDateTime>)>;

/// The prefix of `record`, if it has one.
pub(super) fn parse<'a>(record: &'a [u8], cache: &mut SecondCache) -> Option<Prefix<'a>> {
    let head: &[u8; LEN] = record.get(..LEN)?.try_into().ok()?;
    // The cheapest tests first: most lines of a log without timestamps fail here.
    if head[26] != b'Z' || head[27] != b' ' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        head[range].iter().try_fold(0u32, |n, &b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
    };
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
    if head[19] != b'.' {
        return None;
    }
    let micros = digits(20..26)?;
    let key: [u8; 19] = head[..19].try_into().ok()?;
    let whole_second = match cache {
        // The same 19 bytes as a second already read (and checked) before.
        Some((cached, second)) if *cached == key => *second,
        _ => {
            let punctuation = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
            if punctuation.iter().any(|&(at, b)| head[at] != b) {
                return None;
            }
            let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
            let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
            let second = NaiveDate::from_ymd_opt(year as i32, month, day)
                .and_then(|date| date.and_hms_opt(hour, minute, second));
            *cache = Some((key, second));
            second
        }
    };
    let timestamp = whole_second.and_then(|s| s.with_nanosecond(micros * 1000)).map(|naive| naive.and_utc());
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
