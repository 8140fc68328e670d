//! Styled spans from `LogDecoder::with_styles`, and the classes GitLab's job
//! page gives them. The expected classes are written from GitLab's
//! converter (`lib/gitlab/ci/ansi2json/style.rb` and `parser.rb`: which
//! codes set which class slot, bold lightening a foreground for good,
//! `100`–`107` in the foreground slot, RGB read as separate codes), and the
//! expected terminal styles from what a terminal does with the same codes.
//! Every log is also fed one byte at a time, with the same spans.

use gitlab_jobs::log::{self, Color, LogDecoder, LogEvent, LogLine, Style};

fn lines(log: &[u8]) -> Vec<LogLine> {
    let decode = |chunks: &mut dyn Iterator<Item = &[u8]>| {
        let mut decoder = LogDecoder::new().with_styles();
        let mut events = Vec::new();
        for chunk in chunks {
            events.extend(decoder.feed(chunk));
        }
        events.extend(decoder.finish());
        events
            .into_iter()
            .filter_map(|e| match e {
                LogEvent::Line(line) => Some(line),
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    let whole = decode(&mut std::iter::once(log));
    assert_eq!(decode(&mut log.chunks(1)), whole, "fed byte by byte");
    whole
}

/// Each span of a line as its text and GitLab's classes.
fn classes(line: &LogLine) -> Vec<(&str, String)> {
    for pair in line.spans.windows(2) {
        assert_eq!(pair[0].range.end, pair[1].range.start, "spans leave no gap");
    }
    if let (Some(first), Some(last)) = (line.spans.first(), line.spans.last()) {
        assert_eq!((first.range.start, last.range.end), (0, line.text.len()), "spans cover the line");
    }
    line.spans.iter().map(|s| (&line.text[s.range.clone()], s.style.gitlab_classes())).collect()
}

fn pairs<'a>(expected: &[(&'a str, &str)]) -> Vec<(&'a str, String)> {
    expected.iter().map(|(text, classes)| (*text, (*classes).to_owned())).collect()
}

#[test]
fn sixteen_colours_bold_and_resets() {
    let lines =
        lines(b"\x1b[31mred\x1b[0m plain \x1b[1;32mbold green\x1b[0m\n\x1b[91mlight\x1b[39m \x1b[44mon blue\x1b[49m\n");
    assert_eq!(
        classes(&lines[0]),
        pairs(&[("red", "term-fg-red"), (" plain ", ""), ("bold green", "term-fg-l-green term-bold")])
    );
    assert_eq!(classes(&lines[1]), pairs(&[("light", "term-fg-l-red"), (" ", ""), ("on blue", "term-bg-blue")]));
    let red = lines[0].spans[0].style;
    assert_eq!((red.fg(), red.bg(), red.is_bold()), (Some(Color::Named(1)), None, false));
    let bold_green = lines[0].spans[2].style;
    assert_eq!((bold_green.fg(), bold_green.is_bold()), (Some(Color::Named(2)), true));
    assert_eq!(lines[1].spans[0].style.fg(), Some(Color::Named(9)));
    assert!(lines[0].spans[1].style.is_plain());
}

#[test]
fn bold_lightens_a_colour_for_good_on_gitlabs_page_only() {
    let lines = lines(b"\x1b[31;1mX\x1b[22mY\x1b[0mZ\n");
    assert_eq!(classes(&lines[0]), pairs(&[("X", "term-fg-l-red term-bold"), ("Y", "term-fg-l-red"), ("Z", "")]));
    // A terminal shows Y red and not bold.
    let y = lines[0].spans[1].style;
    assert_eq!((y.fg(), y.is_bold()), (Some(Color::Named(1)), false));
}

#[test]
fn the_256_colour_palette() {
    let lines = lines(b"\x1b[38;5;208mo\x1b[48;5;21mob\x1b[38;5;300mbad\x1b[0m\n");
    assert_eq!(
        classes(&lines[0]),
        pairs(&[("o", "xterm-fg-208"), ("ob", "xterm-fg-208 xterm-bg-21"), ("bad", "xterm-bg-21")])
    );
    let ob = lines[0].spans[1].style;
    assert_eq!((ob.fg(), ob.bg()), (Some(Color::Palette(208)), Some(Color::Palette(21))));
}

#[test]
fn rgb_is_a_colour_in_a_terminal_and_separate_codes_on_gitlabs_page() {
    // GitLab: `38` without `5` clears the slot, `2` and `255` do nothing,
    // and each `0` resets, so the bold before it goes too.
    let lines = lines(b"\x1b[1;38;2;255;0;0mr\x1b[0m \x1b[48;2;0;128;255mb\x1b[0m\n");
    assert_eq!(classes(&lines[0]), pairs(&[("r", ""), (" ", ""), ("b", "")]));
    let r = lines[0].spans[0].style;
    assert_eq!((r.fg(), r.is_bold()), (Some(Color::Rgb(255, 0, 0)), true));
    assert_eq!(lines[0].spans[2].style.bg(), Some(Color::Rgb(0, 128, 255)));
}

#[test]
fn light_backgrounds_take_the_foreground_slot_on_gitlabs_page() {
    let lines = lines(b"\x1b[32;101mx\x1b[109my\n");
    assert_eq!(classes(&lines[0]), pairs(&[("x", "term-bg-l-red"), ("y", "")]));
    let x = lines[0].spans[0].style;
    assert_eq!((x.fg(), x.bg()), (Some(Color::Named(2)), Some(Color::Named(9))));
}

#[test]
fn formats_in_gitlabs_order() {
    let lines = lines(b"\x1b[9;8;4;3;1;35mall\x1b[23;24;28;29mbold\x1b[21mnone\n");
    assert_eq!(
        classes(&lines[0]),
        pairs(&[
            ("all", "term-fg-l-magenta term-bold term-italic term-underline term-conceal term-cross"),
            ("bold", "term-fg-l-magenta term-bold"),
            // GitLab reads 21 as bold off; a terminal as double underline.
            ("none", "term-fg-l-magenta"),
        ])
    );
    let all = lines[0].spans[0].style;
    assert!(all.is_italic() && all.is_underlined() && all.is_concealed() && all.is_crossed_out());
    assert!(lines[0].spans[2].style.is_underlined());
}

#[test]
fn a_style_carries_over_to_the_next_lines_until_reset() {
    let lines = lines(b"\x1b[33mone\ntwo\x1b[0m\nthree\n\x1b[36m\n\x1b[mfour\n");
    assert_eq!(classes(&lines[0]), pairs(&[("one", "term-fg-yellow")]));
    assert_eq!(classes(&lines[1]), pairs(&[("two", "term-fg-yellow")]));
    assert_eq!(classes(&lines[2]), pairs(&[("three", "")]));
    assert!(lines[3].spans.is_empty(), "an empty line has no span");
    assert_eq!(classes(&lines[4]), pairs(&[("four", "")]));
}

#[test]
fn overwritten_text_takes_the_style_it_is_written_in() {
    let lines = lines(b"\x1b[31mfailing\x1b[0m\r\x1b[32mok\x1b[0m\n\x1b[34m1234\x1b[0m\x1b[2D\x1b[1K\n");
    assert_eq!(classes(&lines[0]), pairs(&[("ok", "term-fg-green"), ("iling", "term-fg-red")]));
    assert_eq!(classes(&lines[1]), pairs(&[("   ", ""), ("4", "term-fg-blue")]));
}

#[test]
fn sections_keep_their_headers_styles() {
    let lines = lines(b"\x1b[0Ksection_start:1:build\r\x1b[0K\x1b[36;1mBuilding\x1b[0;m\ndone\n");
    assert_eq!(classes(&lines[0]), pairs(&[("Building", "term-fg-l-cyan term-bold")]));
    assert_eq!(classes(&lines[1]), pairs(&[("done", "")]));
}

#[test]
fn html_uses_gitlabs_classes_and_escapes_text() {
    let lines = lines(b"\x1b[1;31merror\x1b[0m: expected `<T>` & got \"&str\"\n");
    assert_eq!(
        log::html(&lines[0]),
        "<span class=\"term-fg-l-red term-bold\">error</span>: expected `&lt;T&gt;` &amp; got &quot;&amp;str&quot;"
    );
    let plain = LogDecoder::new().feed(b"\x1b[31m<b>\n");
    let LogEvent::Line(line) = &plain[0] else { panic!() };
    assert_eq!(log::html(line), "&lt;b&gt;");
}

#[test]
fn without_styles_there_are_no_spans() {
    let events = LogDecoder::new().feed(b"\x1b[31mred\x1b[0m\n");
    let LogEvent::Line(line) = &events[0] else { panic!() };
    assert!(line.spans.is_empty());
    assert_eq!(Style::default().gitlab_classes(), "");
}
