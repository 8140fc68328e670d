//! The log decoder on logs written to cover each rule: colours, nested and
//! broken sections, `\r` progress bars, CRLF, runner timestamps with
//! continuations, invalid UTF-8, and the rules of GitLab's own converter
//! (`lib/gitlab/ci/ansi2json/converter.rb`) where the job page and a
//! terminal disagree. Each log is decoded whole, split at every byte, and
//! fed one byte at a time, with styles and without, lent (`feed_ref`) and
//! given (`feed`), with identical events; a property test does the same for
//! arbitrary bytes.

use std::time::Duration;

use gitlab_jobs::log::{LogDecoder, LogEvent, MAX_LINE_BYTES, OutputStream, SectionClosed};
use proptest::prelude::*;

fn decoder(styles: bool) -> LogDecoder {
    if styles { LogDecoder::new().with_styles() } else { LogDecoder::new() }
}

fn whole(log: &[u8]) -> Vec<LogEvent> {
    let mut decoder = LogDecoder::new();
    let mut events = decoder.feed(log);
    events.extend(decoder.finish());
    events
}

fn in_pieces(log: &[u8], cuts: &[usize]) -> Vec<LogEvent> {
    in_pieces_with(log, cuts, false)
}

fn in_pieces_with(log: &[u8], cuts: &[usize], styles: bool) -> Vec<LogEvent> {
    let mut decoder = decoder(styles);
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

/// The events lent by `feed_ref`, taken.
fn lent(log: &[u8], cuts: &[usize], styles: bool) -> Vec<LogEvent> {
    let mut decoder = decoder(styles);
    let mut events = Vec::new();
    let mut keep = |event: gitlab_jobs::log::LogEventRef<'_>| events.push(event.to_event());
    let mut start = 0;
    for &cut in cuts.iter().chain(std::iter::once(&log.len())) {
        let cut = cut.clamp(start, log.len());
        decoder.feed_ref(&log[start..cut], &mut keep);
        start = cut;
    }
    decoder.finish_ref(&mut keep);
    events
}

/// The events without their styled spans.
fn unstyled(mut events: Vec<LogEvent>) -> Vec<LogEvent> {
    for event in &mut events {
        if let LogEvent::Line(line) = event {
            line.spans.clear();
        }
    }
    events
}

/// The events of `log`, checked to be the same however the log is cut,
/// lent or given, and (but for the spans) with styles or without.
fn decode(log: &[u8]) -> Vec<LogEvent> {
    let expected = whole(log);
    let styled = in_pieces_with(log, &[], true);
    assert_eq!(unstyled(styled.clone()), expected, "with styles");
    for cut in 0..=log.len() {
        assert_eq!(in_pieces(log, &[cut]), expected, "split at byte {cut}");
        assert_eq!(in_pieces_with(log, &[cut], true), styled, "with styles, split at byte {cut}");
    }
    let every_byte: Vec<usize> = (1..log.len()).collect();
    assert_eq!(in_pieces(log, &every_byte), expected, "fed byte by byte");
    assert_eq!(in_pieces_with(log, &every_byte, true), styled, "with styles, fed byte by byte");
    assert_eq!(lent(log, &[], false), expected, "lent");
    assert_eq!(lent(log, &every_byte, true), styled, "lent with styles, byte by byte");
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
        Just(b"\x81".to_vec()),
        Just(b"\x1b[0Ksection_start:1700000001:A.b-C[collapsed]\r\x1b[0K".to_vec()),
        Just(b"\x1b[0Ksection_start:1700000002:a[k=v, x=1]\r\x1b[0K".to_vec()),
        Just(b"\x1b[0Ksection_end:1700000003:A\r\x1b[0K".to_vec()),
        Just(b"\x1b[38;5;208m".to_vec()),
        Just(b"\x1b[48;2;1;2;3m".to_vec()),
        Just(b"\x1b[0m".to_vec()),
        Just(b"\x1b[1K".to_vec()),
        Just(b"\x1b[3D".to_vec()),
        Just(b"\x08".to_vec()),
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
        prop_assert_eq!(in_pieces(&log, &cuts), expected.clone());
        prop_assert_eq!(lent(&log, &cuts, false), expected.clone());
        // With styles: the same lines and sections, and the same spans
        // however the log is cut.
        let styled = in_pieces_with(&log, &[], true);
        prop_assert_eq!(unstyled(styled.clone()), expected);
        prop_assert_eq!(in_pieces_with(&log, &cuts, true), styled.clone());
        prop_assert_eq!(lent(&log, &cuts, true), styled);
    }
}

// GitLab's job page is the reference where it and a terminal disagree on
// what a log says; the expected lines and sections below are what GitLab's
// converter makes of each log (`lib/gitlab/ci/ansi2json/converter.rb`,
// `line.rb`, `state.rb`, `lib/gitlab/regex.rb`, `lib/gitlab/encoding_helper.rb`).

/// Rule 1: a byte of 0x80–0x9F is invalid UTF-8 like any other, one U+FFFD
/// per invalid sequence (`encode_utf8_no_detect`); a C1 character written
/// as UTF-8 is text.
#[test]
fn invalid_bytes_become_one_replacement_each_as_on_gitlabs_page() {
    let events = decode(b"Grundgeb\x81hr\n\x80\x9f ok\n\xc3( \xe2\x82\xac\n a\xc2\x85b\n");
    assert_eq!(texts(&events), ["Grundgeb\u{fffd}hr", "\u{fffd}\u{fffd} ok", "\u{fffd}( \u{20ac}", " a\u{85}b"]);
}

/// Rule 2: an end marker of a section that is not open is dropped, and the
/// text on its two sides stays one line (`Converter#handle_section_end`).
#[test]
fn a_stray_end_marker_inside_a_line_leaves_one_line() {
    let events = decode(b"before \x1b[0Ksection_end:1700000005:nothing_open\r\x1b[0K after\nnext\n");
    assert_eq!(outline(&events), ["end nothing_open - WithoutStart", "line [] before  after", "line [] next"]);
}

/// Rule 3: options are `[key=value, key=value]` or nothing
/// (`build_trace_section_regex`); anything else makes no marker, and the
/// marker's own `\r\e[0K` erases its text.
#[test]
fn a_start_marker_with_other_options_is_no_marker() {
    for options in ["[collapsed]", "[]", "[collapsed=true,]", "[=true]", "[a-b=c]"] {
        let log = format!(
            "\x1b[0Ksection_start:1700000000:build{options}\r\x1b[0KBuilding\nok\n\x1b[0Ksection_end:1700000009:build\r\x1b[0K\n"
        );
        let events = decode(log.as_bytes());
        assert_eq!(
            outline(&events),
            ["line [] Building", "line [] ok", "end build - WithoutStart"],
            "options {options}"
        );
    }
    // One space after a comma is allowed, and the options kept in order.
    let events = decode(b"\x1b[0Ksection_start:1700000000:b[collapsed=true, hide_duration=false]\r\x1b[0KB\n");
    let LogEvent::SectionStart(start) = &events[0] else { panic!("{events:?}") };
    assert_eq!(start.options, [("collapsed".into(), "true".into()), ("hide_duration".into(), "false".into())]);
    assert!(start.collapsed());
    // An end with options is read as GitLab reads it too.
    let events = decode(b"\x1b[0Ksection_start:1:c\r\x1b[0K\n\x1b[0Ksection_end:4:c[x=1]\r\x1b[0K\n");
    assert_eq!(outline(&events), ["start c \"\"", "end c 3s Marker"]);
}

/// Rule 4: text that a lone `\r` leaves behind before a marker is erased by
/// the marker's `\r\e[0K` (`Converter#consume_token`, `Line#clear!`), in a
/// log with runner timestamps (where the marker is a continuation record)
/// and without.
#[test]
fn text_before_a_marker_after_a_lone_carriage_return_is_erased() {
    let plain = decode(b"Uploading 50%\r\x1b[0Ksection_start:1700000000:upload\r\x1b[0KUpload\ndone\n");
    let expected = ["start upload \"Upload\"", "line [upload] Upload", "line [upload] done", "end upload - EndOfLog"];
    assert_eq!(outline(&plain), expected);
    let stamped = decode(
        b"2024-06-12T10:27:13.000001Z 01O Uploading 50%\r\n\
          2024-06-12T10:27:13.000002Z 01O+\x1b[0Ksection_start:1700000000:upload\r\x1b[0KUpload\n\
          2024-06-12T10:27:13.000003Z 01O done\n",
    );
    assert_eq!(outline(&stamped), expected);
    // Text before a marker that no `\r` erased is a line of its own.
    let kept = decode(b"Uploading 50%\x1b[0Ksection_start:1700000000:upload\r\x1b[0KUpload\n");
    assert_eq!(outline(&kept)[0], "line [] Uploading 50%");
}

/// Rule 5: sections are keyed by their sanitised name
/// (`Converter#sanitize_section_name`): lower case, anything outside
/// `a-z0-9` as `-`.
#[test]
fn an_end_marker_closes_the_section_of_the_same_sanitised_name() {
    let events = decode(
        b"\x1b[0Ksection_start:100:Go_Generate\r\x1b[0Kgenerating\nwork\n\x1b[0Ksection_end:112:go-generate\r\x1b[0K\nafter\n",
    );
    assert_eq!(
        outline(&events),
        [
            "start Go_Generate \"generating\"",
            "line [Go_Generate] generating",
            "line [Go_Generate] work",
            "end Go_Generate 12s Marker",
            "line [] after"
        ]
    );
    let LogEvent::SectionStart(start) = &events[0] else { panic!() };
    assert_eq!(start.key, "go-generate");
    let Some(LogEvent::SectionEnd(end)) = events.get(3) else { panic!() };
    assert_eq!(end.key, "go-generate");
}

/// Rule 6: open sections are keyed by name (`State#open_sections`): opening
/// an open name again only moves its start time, the first end closes it,
/// and a later end closes nothing.
#[test]
fn a_name_opened_twice_is_one_section_timed_from_its_last_start() {
    let events = decode(
        b"\x1b[0Ksection_start:100:a\r\x1b[0Kfirst\n\x1b[0Ksection_start:110:a\r\x1b[0Ksecond\nin a\n\
          \x1b[0Ksection_end:130:a\r\x1b[0K\nafter\n\x1b[0Ksection_end:140:a\r\x1b[0K\n",
    );
    assert_eq!(
        outline(&events),
        [
            "start a \"first\"",
            "line [a] first",
            "line [a] second",
            "line [a] in a",
            "end a 20s Marker",
            "line [] after",
            "end a - WithoutStart",
        ]
    );
}

// Where GitLab's page shows less than a terminal would, the decoder gives
// what a terminal shows.

/// GitLab replaces the whole line after a `\r` (`Line#clear!`); a terminal
/// overwrites only as much as is written.
#[test]
fn a_shorter_overwrite_leaves_the_longer_tail_as_in_a_terminal() {
    assert_eq!(texts(&decode(b"abcdef\rXY\n")), ["XYcdef"]);
    assert_eq!(texts(&decode(b"Downloading 100%\rDone\x1b[K\n")), ["Done"]);
}

/// GitLab drops text that ends in `\r` with nothing after it; a terminal
/// still shows it.
#[test]
fn text_ending_in_a_carriage_return_is_kept() {
    assert_eq!(texts(&decode(b"50%\r")), ["50%"]);
    assert_eq!(texts(&decode(b"first\nUploading 75%\r\nnext\n")), ["first", "Uploading 75%", "next"]);
}

/// GitLab ignores cursor movement and backspace and prints every spinner
/// frame; a terminal moves the cursor.
#[test]
fn backspace_and_cursor_movement_act_as_in_a_terminal() {
    assert_eq!(texts(&decode(b"|\x08/\x08-\x08\\\n")), ["\\"]);
    assert_eq!(texts(&decode(b"a\x1b[3Cb\n")), ["a   b"]);
    assert_eq!(texts(&decode(b"abc\x1b[2Dx\n")), ["axc"]);
    assert_eq!(texts(&decode(b"progress: 10\x1b[3G99\n")), ["pr99ress: 10"]);
}

/// GitLab leaves two-byte escapes such as `ESC ( B` (select the ASCII
/// character set, which `tput sgr0` writes) as text; a terminal acts on
/// them.
#[test]
fn two_byte_escapes_leave_no_text() {
    assert_eq!(texts(&decode(b"\x1b[1mbold\x1b(B\x1b[m plain\x1b7\x1b8\n")), ["bold plain"]);
}

/// GitLab's page shows no empty lines; the decoder keeps them, as a
/// terminal (and `wc -l`) does, so that a log's spacing survives.
#[test]
fn blank_lines_are_kept() {
    assert_eq!(texts(&decode(b"a\n\n\x1b[0m\nb\n")), ["a", "", "", "b"]);
}
