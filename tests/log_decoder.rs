//! The log decoder on logs written to cover each rule: colours, nested and
//! broken sections, `\r` progress bars, CRLF, runner timestamps with
//! continuations, invalid UTF-8. Each log is decoded whole, split at every
//! byte, and fed one byte at a time, with identical events; a property test
//! does the same for arbitrary bytes.

use std::time::Duration;

use gitlab_jobs::log::{LogDecoder, LogEvent, MAX_LINE_BYTES, OutputStream, SectionClosed};
use proptest::prelude::*;

fn whole(log: &[u8]) -> Vec<LogEvent> {
    let mut decoder = LogDecoder::new();
    let mut events = decoder.feed(log);
    events.extend(decoder.finish());
    events
}

fn in_pieces(log: &[u8], cuts: &[usize]) -> Vec<LogEvent> {
    let mut decoder = LogDecoder::new();
    let mut events = Vec::new();
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&log.len())) {
        let cut = cut.clamp(start, log.len());
        events.extend(decoder.feed(&log[start..cut]));
        start = cut;
    }
    events.extend(decoder.finish());
    events
}

/// The events of `log`, checked to be the same however the log is cut.
fn decode(log: &[u8]) -> Vec<LogEvent> {
    let expected = whole(log);
    for cut in 0..=log.len() {
        assert_eq!(in_pieces(log, &[cut]), expected, "split at byte {cut}");
    }
    let every_byte: Vec<usize> = (1..log.len()).collect();
    assert_eq!(in_pieces(log, &every_byte), expected, "fed byte by byte");
    expected
}

fn texts(events: &[LogEvent]) -> Vec<&str> {
    events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Line(line) => Some(line.text.as_str()),
            _ => None,
        })
        .collect()
}

/// Each event in short: `line [a/b] text`, `start a "header"`, `end a 12s Marker`.
fn outline(events: &[LogEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            LogEvent::Line(l) => format!("line [{}] {}", l.sections.join("/"), l.text),
            LogEvent::SectionStart(s) => format!("start {} {:?}", s.name, s.header),
            LogEvent::SectionEnd(s) => {
                format!(
                    "end {} {} {:?}",
                    s.name,
                    s.duration.map_or("-".into(), |d| format!("{}s", d.as_secs())),
                    s.closed
                )
            }
            _ => "other".into(),
        })
        .collect()
}

#[test]
fn colours_go_and_text_stays() {
    let events = decode(b"\x1b[32;1mPASS\x1b[0;m src/a.rs\n\x1b[1m\x1b[31mFAIL\x1b[0m src/b.rs\nplain\n");
    assert_eq!(texts(&events), ["PASS src/a.rs", "FAIL src/b.rs", "plain"]);
}

#[test]
fn sections_nest_and_carry_their_header_time_and_options() {
    let log = b"Running with gitlab-runner 17.0.0\n\
        \x1b[0Ksection_start:1700000000:step_script[collapsed=true,hide_duration=true]\r\x1b[0K\x1b[0K\x1b[36;1mExecuting \"step_script\"\x1b[0;m\n\
        \x1b[0Ksection_start:1700000001:section_script_step_0\r\x1b[0K\x1b[32;1m$ cargo build\x1b[0;m\n\
        Compiling a v0.1.0\n\
        \x1b[0Ksection_end:1700000031:section_script_step_0\r\x1b[0K\n\
        \x1b[0Ksection_end:1700000042:step_script\r\x1b[0K\n\
        Job succeeded\n";
    let events = decode(log);
    assert_eq!(
        outline(&events),
        [
            "line [] Running with gitlab-runner 17.0.0",
            "start step_script \"Executing \\\"step_script\\\"\"",
            "line [step_script] Executing \"step_script\"",
            "start section_script_step_0 \"$ cargo build\"",
            "line [step_script/section_script_step_0] $ cargo build",
            "line [step_script/section_script_step_0] Compiling a v0.1.0",
            "end section_script_step_0 30s Marker",
            "end step_script 42s Marker",
            "line [] Job succeeded",
        ]
    );
    let LogEvent::SectionStart(start) = &events[1] else { panic!() };
    assert!(start.collapsed());
    assert_eq!(start.options, [("collapsed".into(), "true".into()), ("hide_duration".into(), "true".into())]);
    assert_eq!(start.started_at.unwrap().timestamp(), 1_700_000_000);
    let LogEvent::SectionStart(inner) = &events[3] else { panic!() };
    assert_eq!(&*inner.parents, ["step_script".to_owned()]);
}

#[test]
fn broken_sections_lose_no_line() {
    let log = b"\x1b[0Ksection_end:1700000005:never_started\r\x1b[0K\n\
        \x1b[0Ksection_start:1700000010:outer\r\x1b[0Kouter\n\
        \x1b[0Ksection_start:1700000011:inner\r\x1b[0Kinner\n\
        in both\n\
        \x1b[0Ksection_end:1700000020:outer\r\x1b[0K\n\
        still in inner\n\
        \x1b[0Ksection_start:1700000030:unended\r\x1b[0Kheader\n\
        last line\n\
        \x1b[0Ksection_sta";
    let events = decode(log);
    assert_eq!(
        outline(&events),
        [
            "end never_started - WithoutStart",
            "start outer \"outer\"",
            "line [outer] outer",
            "start inner \"inner\"",
            "line [outer/inner] inner",
            "line [outer/inner] in both",
            // As GitLab's job page does: the end of `outer` closes only `outer`.
            "end outer 10s Marker",
            "line [inner] still in inner",
            "start unended \"header\"",
            "line [inner/unended] header",
            "line [inner/unended] last line",
            // A marker cut off at the end of the log is text, not lost.
            "line [inner/unended] section_sta",
            "end unended - EndOfLog",
            "end inner - EndOfLog",
        ]
    );
}

#[test]
fn markers_share_a_line_and_text_after_an_end_stays() {
    let log =
        b"\x1b[0Ksection_start:1:a\r\x1b[0KA\n\x1b[0Ksection_end:2:a\r\x1b[0K\x1b[0Ksection_start:2:b\r\x1b[0KB\n\
        \x1b[0Ksection_end:9:b\r\x1b[0Kafter b\n";
    assert_eq!(
        outline(&decode(log)),
        [
            "start a \"A\"",
            "line [a] A",
            "end a 1s Marker",
            "start b \"B\"",
            "line [b] B",
            "end b 7s Marker",
            "line [] after b"
        ]
    );
}

#[test]
fn progress_bars_keep_their_last_state_and_crlf_ends_a_line() {
    let log = b"Downloading   0%\rDownloading  40%\rDownloading 100%\r\nnext\r\n\r\nlast";
    assert_eq!(texts(&decode(log)), ["Downloading 100%", "next", "", "last"]);
}

#[test]
fn invalid_utf8_is_replaced() {
    let events = decode(b"caf\xc3\xa9 \xff ok\n\xe2\x82\xac \xe2\x82\n");
    assert_eq!(texts(&events), ["caf\u{e9} \u{fffd} ok", "\u{20ac} \u{fffd}"]);
}

#[test]
fn runner_timestamps_give_time_and_stream_and_continuations_are_joined() {
    let log = b"2024-06-12T10:27:13.765080Z 00O Running with gitlab-runner 17.0.0\n\
        2024-06-12T10:27:13.765411Z 00O \x1b[0Ksection_start:1718187433:step_script\r\x1b[0K\n\
        2024-06-12T10:27:13.765502Z 00O+\x1b[0K\x1b[36;1mExecuting \"step_script\"\x1b[0;m\n\
        2024-06-12T10:27:21.000000Z 01O Downloading 10%\r\n\
        2024-06-12T10:27:21.100000Z 01E warning: slow mirror\n\
        2024-06-12T10:27:21.500000Z 01O+Downloading 100%\r\n\
        2024-06-12T10:27:22.000000Z 01O done\n\
        2024-06-12T10:27:23.000000Z 00O \x1b[0Ksection_end:1718187443:step_script\r\x1b[0K\n\
        Job's log exceeded limit\n";
    let events = decode(log);
    assert_eq!(
        outline(&events),
        [
            "line [] Running with gitlab-runner 17.0.0",
            "start step_script \"Executing \\\"step_script\\\"\"",
            "line [step_script] Executing \"step_script\"",
            "line [step_script] Downloading 100%",
            "line [step_script] warning: slow mirror",
            "line [step_script] done",
            "end step_script 10s Marker",
            "line [] Job's log exceeded limit",
        ]
    );
    let lines: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            LogEvent::Line(l) => Some(l),
            _ => None,
        })
        .collect();
    assert_eq!(lines[0].stream, Some(OutputStream::Stdout));
    assert_eq!(lines[0].timestamp.unwrap().to_rfc3339(), "2024-06-12T10:27:13.765080+00:00");
    // A joined line keeps the time it began.
    assert_eq!(lines[2].timestamp.unwrap().to_rfc3339(), "2024-06-12T10:27:21+00:00");
    assert_eq!(lines[3].stream, Some(OutputStream::Stderr));
    assert_eq!((lines[5].stream, lines[5].timestamp), (None, None), "a line without a prefix");
}

#[test]
fn logs_without_timestamps_decode_as_before() {
    let events = decode(b"Running with gitlab-runner 16.0.0\n$ make\nok\n");
    assert_eq!(texts(&events), ["Running with gitlab-runner 16.0.0", "$ make", "ok"]);
    assert!(events.iter().all(|e| matches!(e, LogEvent::Line(l) if l.stream.is_none() && l.timestamp.is_none())));
}

#[test]
fn an_endless_line_is_cut_at_the_documented_size() {
    let mut log = vec![b'x'; MAX_LINE_BYTES * 2 + 10];
    log.push(b'\n');
    let events = whole(&log);
    let lens: Vec<usize> = texts(&events).iter().map(|t| t.len()).collect();
    assert_eq!(lens, [MAX_LINE_BYTES, MAX_LINE_BYTES, 10]);
    assert_eq!(in_pieces(&log, &[1000, MAX_LINE_BYTES + 3, MAX_LINE_BYTES * 2]), events);
}

#[test]
fn a_line_of_exactly_the_cut_size_is_one_line() {
    let mut log = vec![b'y'; MAX_LINE_BYTES];
    log.extend_from_slice(b"\nnext\n");
    let events = whole(&log);
    let lens: Vec<usize> = texts(&events).iter().map(|t| t.len()).collect();
    assert_eq!(lens, [MAX_LINE_BYTES, 4], "no empty line after the cut");
    for cuts in
        [vec![MAX_LINE_BYTES], vec![MAX_LINE_BYTES + 1], vec![MAX_LINE_BYTES, MAX_LINE_BYTES, MAX_LINE_BYTES + 1]]
    {
        assert_eq!(in_pieces(&log, &cuts), events, "{cuts:?}");
    }
}

#[test]
fn sections_nest_only_so_deep() {
    let log: Vec<u8> = (0..200).flat_map(|i| format!("\x1b[0Ksection_start:1:s{i}\r\x1b[0K\n").into_bytes()).collect();
    let events = whole(&log);
    let ends = events.iter().filter(|e| matches!(e, LogEvent::SectionEnd(_))).count();
    assert_eq!(ends, gitlab_jobs::log::MAX_DEPTH, "only the sections kept open end with the log");
}

#[test]
fn a_section_without_times_in_its_marker_is_still_read() {
    let events = decode(b"\x1b[0Ksection_start:99999999999999999999:big\r\x1b[0Kx\n");
    let LogEvent::SectionStart(start) = &events[0] else { panic!("{events:?}") };
    assert_eq!((start.name.as_str(), start.started_at), ("big", None));
    assert!(
        matches!(&events[2], LogEvent::SectionEnd(e) if e.closed == SectionClosed::EndOfLog && e.duration.is_none())
    );
    let _ = Duration::ZERO;
}

/// Bytes shaped like GitLab logs: fragments of markers, prefixes, escapes and
/// text, so that the property test reaches the decoder's rules often.
fn loggy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"\x1b[0Ksection_start:1700000000:a[collapsed=true]\r\x1b[0K".to_vec()),
        Just(b"\x1b[0Ksection_end:1700000009:a\r\x1b[0K".to_vec()),
        Just(b"section_start:1:b\r\x1b[0K".to_vec()),
        Just(b"2024-06-12T10:27:13.765080Z 01O ".to_vec()),
        Just(b"2024-06-12T10:27:13.765080Z 01O+".to_vec()),
        Just(b"2024-06-12T10:27:13.765080Z 00E ".to_vec()),
        Just(b"\x1b[31;1m".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just("\u{20ac}".as_bytes().to_vec()),
        Just(b"\xff".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..8),
        "[a-z ]{0,10}".prop_map(String::into_bytes),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_bytes_decode_the_same_however_they_are_cut(
        log in prop_oneof![loggy(), proptest::collection::vec(any::<u8>(), 0..300)],
        cuts in proptest::collection::vec(0usize..400, 0..12),
    ) {
        let mut cuts = cuts;
        cuts.sort_unstable();
        let expected = whole(&log);
        prop_assert_eq!(in_pieces(&log, &cuts), expected);
    }
}
