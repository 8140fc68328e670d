//! The type of every date and time in the API, read on a fast path because a
//! page of jobs holds about fifteen of them per job and chrono's general parser
//! was a sixth of the time spent reading a page.

mod layout;

use std::{fmt, ops::Deref, str::FromStr};

use chrono::{DateTime, FixedOffset, ParseError, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

/// A date and time with the UTC offset it was sent with: the type of every
/// `*_at` and `*_date` field of [`types`](crate::types).
///
/// GitLab sends job and pipeline times in UTC (`2024-05-02T14:51:14.123Z`)
/// and commit dates in the committer's offset
/// (`2024-05-02T16:51:14.000+02:00`); the offset is kept.
///
/// It is a [`chrono::DateTime<FixedOffset>`] underneath, and it dereferences
/// to one, so chrono's methods work on it directly (`t.timestamp()`,
/// `t.format(..)`, `t.offset()`); [`as_datetime`](Self::as_datetime),
/// [`into_datetime`](Self::into_datetime) and `From` convert both ways, also
/// from and into `DateTime<Utc>`.
///
/// Comparison, ordering and hashing are by instant, as for chrono's
/// `DateTime`: `12:00Z` equals `14:00+02:00`.
///
/// It reads GitLab's two layouts on a fast path and any other text with
/// chrono's `FromStr` for `DateTime<FixedOffset>` (what reading a
/// `DateTime` always used: RFC 3339 and the looser forms chrono accepts),
/// whose errors [`FromStr`] returns. It
/// is written as chrono writes a `DateTime<FixedOffset>`: in JSON with `Z` for
/// UTC, with [`Display`](fmt::Display) as `to_rfc3339()` does (`+00:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(DateTime<FixedOffset>);

impl Timestamp {
    /// The date and time as chrono's type.
    pub fn as_datetime(&self) -> &DateTime<FixedOffset> {
        &self.0
    }

    /// The date and time as chrono's type, by value.
    pub fn into_datetime(self) -> DateTime<FixedOffset> {
        self.0
    }
}

/// The field types changed from `DateTime<FixedOffset>` to `Timestamp`;
/// dereferencing keeps code that calls chrono's methods on them compiling and
/// keeps this type from having to copy chrono's whole API.
impl Deref for Timestamp {
    type Target = DateTime<FixedOffset>;

    fn deref(&self) -> &DateTime<FixedOffset> {
        &self.0
    }
}

impl From<DateTime<FixedOffset>> for Timestamp {
    fn from(datetime: DateTime<FixedOffset>) -> Self {
        Timestamp(datetime)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(datetime: DateTime<Utc>) -> Self {
        Timestamp(datetime.fixed_offset())
    }
}

impl From<Timestamp> for DateTime<FixedOffset> {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(timestamp: Timestamp) -> Self {
        timestamp.0.to_utc()
    }
}

/// RFC 3339, as chrono's `to_rfc3339()`: `2024-05-02T14:51:14.123+00:00`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339())
    }
}

/// The parser that reads JSON: GitLab's layouts on the fast path, any other
/// text with chrono's `FromStr`, so that whatever read as a `DateTime` before
/// still reads, to the same value.
impl FromStr for Timestamp {
    type Err = ParseError;

    fn from_str(text: &str) -> Result<Self, ParseError> {
        match layout::fast_path(text) {
            Some(datetime) => Ok(Timestamp(datetime)),
            None => text.parse::<DateTime<FixedOffset>>().map(Timestamp),
        }
    }
}

/// Exactly what chrono writes for a `DateTime<FixedOffset>`, so that values
/// written before this type existed and after it compare equal as text.
impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(TimestampVisitor)
    }
}

struct TimestampVisitor;

impl de::Visitor<'_> for TimestampVisitor {
    type Value = Timestamp;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 date and time")
    }

    // Borrowed and transient strings both arrive here (serde's defaults
    // forward them), so nothing is allocated unless the text is invalid.
    fn visit_str<E: de::Error>(self, text: &str) -> Result<Timestamp, E> {
        text.parse().map_err(|e| E::custom(format_args!("invalid timestamp {:?}: {e}", Excerpt(text))))
    }
}

/// At most [`Excerpt::CHARS`] characters of a text, so that an error about a
/// huge string stays a line long.
struct Excerpt<'a>(&'a str);

impl Excerpt<'_> {
    const CHARS: usize = 64;
}

impl fmt::Debug for Excerpt<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(Self::CHARS) {
            Some((end, _)) => write!(f, "{:?}…", &self.0[..end]),
            None => write!(f, "{:?}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{layout::fast_path, *};
    use proptest::prelude::*;

    /// The value with its offset, since `==` on chrono's `DateTime` compares
    /// instants only.
    fn exact(datetime: &DateTime<FixedOffset>) -> (DateTime<FixedOffset>, i32) {
        (*datetime, datetime.offset().local_minus_utc())
    }

    /// `text` parses as chrono's `FromStr` (what reading a `DateTime` used
    /// before this type) parses it: the same instant and offset, or an error
    /// from both. Where the fast path reads it, chrono's RFC 3339 parser
    /// gives the same value too.
    fn agrees_with_chrono(text: &str) -> Result<(), String> {
        let ours = text.parse::<Timestamp>();
        let chrono = text.parse::<DateTime<FixedOffset>>();
        match (&ours, &chrono) {
            (Ok(ours), Ok(chrono)) if exact(ours) == exact(chrono) => {}
            (Err(_), Err(_)) => {}
            _ => return Err(format!("{text:?}: ours {ours:?}, chrono's FromStr {chrono:?}")),
        }
        if let Some(fast) = fast_path(text) {
            let strict = DateTime::parse_from_rfc3339(text);
            if strict.as_ref().map(exact) != Ok(exact(&fast)) {
                return Err(format!("{text:?}: fast path {fast:?}, chrono's RFC 3339 parser {strict:?}"));
            }
        }
        Ok(())
    }

    #[test]
    fn other_rfc3339_forms_read_as_chrono_reads_them() {
        let slow = [
            "2024-05-02t14:51:14z",
            "2024-05-02t14:51:14.5Z",
            "2024-05-02 14:51:14Z",
            "2024-05-02T14:51:14z",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5+01:00",
            "2024-05-02T14:51:14.1234567891Z",
            // A Unicode minus sign in the offset, which chrono accepts.
            "2024-05-02T14:51:14\u{2212}01:00",
        ];
        for text in slow {
            assert!(fast_path(text).is_none(), "{text} is not a GitLab layout");
            assert!(text.parse::<Timestamp>().is_ok(), "{text}");
            agrees_with_chrono(text).unwrap();
        }
        let fast = [
            "2024-05-02T14:51:14-00:00",
            "2024-05-02T14:51:14+14:00",
            "2024-05-02T14:51:14-12:00",
            "2024-05-02T14:51:14+23:59",
            "2024-05-02T14:51:14-23:59",
            "2024-05-02T14:51:14+05:45",
            "2024-05-02T14:51:14+00:01",
            "0000-01-01T00:00:00Z",
            "0000-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59.999999999Z",
            "9999-12-31T23:59:59-23:59",
            "2024-02-29T12:00:00Z",
            "2000-02-29T12:00:00Z",
            "1900-02-28T12:00:00Z",
            "2024-04-30T00:00:00Z",
            "2024-12-31T00:00:00Z",
        ];
        for text in fast {
            assert!(fast_path(text).is_some(), "{text} is a GitLab layout");
            agrees_with_chrono(text).unwrap();
        }
        assert_eq!(fast_path("2024-05-02T14:51:14-00:00").unwrap().offset().local_minus_utc(), 0);
    }

    #[test]
    fn text_off_the_layouts_reads_or_fails_as_chrono_read_it_before() {
        for text in [
            "",
            "2024",
            "2024-13-02T14:51:14Z",
            "2024-00-02T14:51:14Z",
            "2024-04-31T14:51:14Z",
            "2024-05-00T14:51:14Z",
            "2023-02-29T14:51:14Z",
            "1900-02-29T14:51:14Z",
            "2024-05-02T24:00:00Z",
            "2024-05-02T14:60:14Z",
            "2024-05-02T14:51:61Z",
            "2024-05-02T14:51:14+24:00",
            "2024-05-02T14:51:14+01:60",
            "2024-05-02T14:51:14-24:00",
            "2024-05-02T14:51:14",
            "2024-05-02T14:51:14.Z",
            "2024-05-02T14:51:14.123",
            "2024-05-02T14:51:1Z",
            "2024-5-02T14:51:14Z",
            "2024-05-02T14:51:14+1:00",
            "2024-05-02T14:51:14+01",
            "2024-05-02T14:51:14+0100",
            "2024-05-02T14:51:14ZZ",
            "2024-05-02T14:51:14Z ",
            " 2024-05-02T14:51:14Z",
            "2024-05-02T14:51:14.123Zgarbage",
            "2024-05-02T14:51:14+01:00:00",
            "2024-05-02T14:51:14UTC",
            "2024-05-02T14:51:14,5Z",
            "２０２４-05-02T14:51:14Z",
            "2024-05-02T14:51:14.12é",
            "2024-05-02T14:51:14é",
            "2024-05-02T14:51:14.é",
            "2024-05-02T14:51:1é",
            "2024-05-02\u{a0}14:51:14Z",
            "+10000-01-01T00:00:00Z",
        ] {
            assert!(fast_path(text).is_none(), "{text:?} took the fast path");
            agrees_with_chrono(text).unwrap();
        }
        // Wrong whatever the parser: ranges, a missing offset, leftovers.
        for text in [
            "2024-13-02T14:51:14Z",
            "2024-04-31T14:51:14Z",
            "2023-02-29T14:51:14Z",
            "2024-05-02T24:00:00Z",
            "2024-05-02T14:51:14+24:00",
            "2024-05-02T14:51:14+01:60",
            "2024-05-02T14:51:14",
            "2024-05-02T14:51:14.123Zgarbage",
            "２０２４-05-02T14:51:14Z",
            "2024-05-02T14:51:14.12é",
        ] {
            assert!(text.parse::<Timestamp>().is_err(), "{text:?} parsed");
        }
        // What chrono's `FromStr` let through before still reads.
        for text in ["2024-05-02 14:51:14 UTC", "2024-05-02T14:51:14+0100", "2024-5-2T14:51:14Z"] {
            let before = text.parse::<DateTime<FixedOffset>>();
            assert_eq!(text.parse::<Timestamp>().map(|t| exact(&t)).ok(), before.as_ref().ok().map(exact), "{text}");
        }
    }

    #[test]
    fn display_is_chrono_rfc3339_and_parses_back() {
        let commit: Timestamp = "2024-05-02T16:51:14.000+02:00".parse().unwrap();
        assert_eq!(commit.to_string(), "2024-05-02T16:51:14+02:00");
        let job: Timestamp = "2024-05-02T14:51:14.123Z".parse().unwrap();
        assert_eq!(job.to_string(), job.to_rfc3339());
        assert_eq!(job.to_string(), "2024-05-02T14:51:14.123+00:00");
        assert_eq!(job.to_string().parse::<Timestamp>().map(|t| exact(&t)), Ok(exact(&job)));
        assert_eq!(format!("{job:?}"), "Timestamp(2024-05-02T14:51:14.123+00:00)");
    }

    #[test]
    fn converts_to_and_from_chrono() {
        let fixed = DateTime::parse_from_rfc3339("2024-05-02T16:51:14+02:00").unwrap();
        let timestamp = Timestamp::from(fixed);
        assert_eq!(exact(timestamp.as_datetime()), exact(&fixed));
        assert_eq!(exact(&timestamp.into_datetime()), exact(&fixed));
        assert_eq!(exact(&DateTime::<FixedOffset>::from(timestamp)), exact(&fixed));
        let utc = DateTime::<Utc>::from(timestamp);
        assert_eq!(utc.to_rfc3339(), "2024-05-02T14:51:14+00:00");
        let from_utc = Timestamp::from(utc);
        assert_eq!((from_utc, from_utc.offset().local_minus_utc()), (timestamp, 0), "same instant, UTC offset");
        // Chrono's methods through `Deref`.
        assert_eq!(timestamp.timestamp(), 1_714_661_474);
    }

    #[test]
    fn comparison_and_order_are_by_instant() {
        let utc: Timestamp = "2024-05-02T14:51:14Z".parse().unwrap();
        let berlin: Timestamp = "2024-05-02T16:51:14+02:00".parse().unwrap();
        let later: Timestamp = "2024-05-02T15:51:14+00:30".parse().unwrap();
        assert_eq!(utc, berlin);
        assert_eq!(utc.cmp(&berlin), std::cmp::Ordering::Equal);
        assert!(utc < later && berlin < later);
        let state = std::hash::RandomState::new();
        assert_eq!(std::hash::BuildHasher::hash_one(&state, utc), std::hash::BuildHasher::hash_one(&state, berlin));
    }

    #[test]
    fn json_is_chrono_json() {
        for text in [
            "2024-05-02T14:51:14.123Z",
            "2024-05-02T16:51:14.000+02:00",
            "2024-05-02T14:51:14.100000Z",
            "2016-12-31T23:59:60Z",
            "2024-05-02t14:51:14z",
        ] {
            let json = serde_json::to_string(text).unwrap();
            let ours: Timestamp = serde_json::from_str(&json).unwrap();
            let chrono: DateTime<FixedOffset> = serde_json::from_str(&json).unwrap();
            assert_eq!(exact(&ours), exact(&chrono), "{text}");
            assert_eq!(serde_json::to_string(&ours).unwrap(), serde_json::to_string(&chrono).unwrap(), "{text}");
        }
        assert_eq!(
            serde_json::to_string(&"2024-05-02T14:51:14.000+00:00".parse::<Timestamp>().unwrap()).unwrap(),
            r#""2024-05-02T14:51:14Z""#
        );
    }

    #[test]
    fn json_error_names_the_text() {
        let error = serde_json::from_str::<Timestamp>(r#""2024-04-31T14:51:14Z""#).unwrap_err();
        assert!(error.to_string().starts_with(r#"invalid timestamp "2024-04-31T14:51:14Z": "#), "{error}");
        let long = format!("\"{}\"", "9".repeat(10_000));
        let error = serde_json::from_str::<Timestamp>(&long).unwrap_err().to_string();
        assert!(error.len() < 200 && error.contains(&format!("{}\"…", "9".repeat(64))), "{error}");
        let error = serde_json::from_str::<Timestamp>("17").unwrap_err();
        assert!(error.to_string().contains("an RFC 3339 date and time"), "{error}");
    }

    /// A string near GitLab's layouts: each part mostly in its range, else
    /// just outside it or of another width, joined mostly by the layout's
    /// separators, so that about half the strings are valid.
    fn near_layout() -> impl Strategy<Value = String> {
        let two = |low: u32, high: u32| {
            prop_oneof![
                20 => (low..=high).prop_map(|n| format!("{n:02}")),
                1 => (0..=99_u32).prop_map(|n| format!("{n:02}")),
                1 => "[0-9]{0,3}",
            ]
        };
        let year = prop_oneof![
            Just("2024".to_owned()),
            Just("2023".to_owned()),
            Just("2000".to_owned()),
            Just("1900".to_owned()),
            "[0-9]{4}",
            "[+-]?[0-9]{0,6}",
        ];
        let separator = |usual: &str| prop_oneof![30 => Just(usual.to_owned()), 1 => "[-:Tt _.+Z\u{2212}é]"];
        let fraction = prop_oneof![
            3 => Just(String::new()),
            6 => "\\.[0-9]{1,9}",
            1 => "\\.[0-9]{0,12}",
            1 => "[.,][0-9]{1,3}[a-zé]?",
        ];
        let sign = prop_oneof![4 => Just('+'), 4 => Just('-'), 1 => Just('\u{2212}')];
        let offset = prop_oneof![
            6 => Just("Z".to_owned()),
            1 => Just("z".to_owned()),
            6 => (sign, two(0, 23), two(0, 59)).prop_map(|(sign, h, m)| format!("{sign}{h}:{m}")),
            1 => "[-+][0-9]{0,5}:?[0-9]{0,3}",
            1 => Just("UTC".to_owned()),
            1 => Just(String::new()),
        ];
        let date = (year, separator("-"), two(1, 12), separator("-"), two(1, 31));
        let time = (separator("T"), two(0, 23), separator(":"), two(0, 59), separator(":"), two(0, 60));
        (date, time, fraction, offset).prop_map(|((y, s1, mo, s2, d), (s3, h, s4, mi, s5, s), f, o)| {
            format!("{y}{s1}{mo}{s2}{d}{s3}{h}{s4}{mi}{s5}{s}{f}{o}")
        })
    }

    /// A valid GitLab timestamp with a few characters replaced, inserted or
    /// removed.
    fn mutated() -> impl Strategy<Value = String> {
        let base = prop_oneof![
            Just("2024-05-02T14:51:14.123Z"),
            Just("2024-05-02T16:51:14.000+02:00"),
            Just("2024-02-29T23:59:59-12:00"),
        ];
        let replacement = prop_oneof![
            proptest::char::range('0', '9'),
            "[-:T.Z+ tz,é\u{2212}\u{a0}]".prop_map(|s| s.chars().next().unwrap())
        ];
        let edit = (0..3_u8, 0..40_usize, replacement);
        (base, proptest::collection::vec(edit, 1..4)).prop_map(|(base, edits)| {
            let mut chars: Vec<char> = base.chars().collect();
            for (kind, at, c) in edits {
                let at = at % (chars.len() + 1);
                match kind {
                    0 if at < chars.len() => chars[at] = c,
                    1 => chars.insert(at, c),
                    _ if at < chars.len() => {
                        chars.remove(at);
                    }
                    _ => chars.push(c),
                }
            }
            chars.into_iter().collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn fast_path_agrees_with_chrono_on_text_near_the_layouts(
            text in prop_oneof![near_layout(), mutated(), "[0-9Tt:.Z+ -]{0,36}", any::<String>()],
        ) {
            agrees_with_chrono(&text).map_err(TestCaseError::fail)?;
        }
    }
}
