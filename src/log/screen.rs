//! One line of a terminal: what is left of a line's bytes after its escape
//! sequences have been interpreted, so that colours disappear and a `\r`
//! progress bar leaves only its last state, as GitLab's web page shows it.
//!
//! The escape sequences are parsed by `vte` (Alacritty's parser of the
//! VT500-series syntax), which knows every form a program may write (CSI with
//! any parameters, OSC such as hyperlinks and window titles, DCS, and C1
//! controls) and replaces invalid UTF-8 with U+FFFD. This file only decides
//! what each one does to the line: printing writes at the cursor, `\r` and
//! cursor movements move it, erase-in-line clears; everything else (colours,
//! styles, titles) has no text and is dropped.

/// How far past the end of a line the cursor may move.
const MAX_PAD: usize = 256;

/// The most characters a line holds, whatever its escape sequences do:
/// cursor movement pads a line with spaces, and without a bound a record
/// of `x\e[999C` repeated would grow a hundredfold. The record itself is
/// cut at `MAX_LINE_BYTES` (the same number), so this bounds the output as
/// that bounds the input.
pub(super) const MAX_CELLS: usize = 256 * 1024;

/// The text of one line, with a cursor that may point into it.
pub(super) struct Screen {
    /// The line's characters; a `String` while only appended to.
    text: String,
    /// How many characters `text` holds.
    count: usize,
    /// Set once the cursor moves back: then characters are overwritten.
    cells: Option<Vec<char>>,
    /// The cursor, in characters.
    cursor: usize,
    /// How many cells at the start of `cells` are known to be blank (an
    /// erase to the cursor made them so), so that a flood of `\e[1K`
    /// blanks each cell once, not once per sequence.
    blank: usize,
    /// Set when `vte` has acted on a sequence: it then stops reading.
    acted: bool,
    /// Cells blanked by erase sequences, for the test that each is blanked
    /// once.
    #[cfg(test)]
    blanked: usize,
}

impl Screen {
    pub(super) fn new() -> Screen {
        Screen {
            text: String::new(),
            count: 0,
            cells: None,
            cursor: 0,
            blank: 0,
            acted: false,
            #[cfg(test)]
            blanked: 0,
        }
    }

    /// The line so far, and a fresh screen for the next.
    pub(super) fn take(&mut self) -> String {
        self.cursor = 0;
        self.count = 0;
        self.blank = 0;
        match self.cells.take() {
            Some(cells) => {
                self.text.clear();
                cells.into_iter().collect()
            }
            // One allocation of the exact size; the working buffer keeps its
            // capacity for the next line.
            None => {
                let line = self.text.as_str().to_owned();
                self.text.clear();
                line
            }
        }
    }

    fn len(&self) -> usize {
        match &self.cells {
            Some(cells) => cells.len(),
            None => self.count,
        }
    }

    /// The cells, converting from the appended text the first time.
    fn cells(&mut self) -> &mut Vec<char> {
        if self.cells.is_none() {
            self.cells = Some(self.text.drain(..).collect());
        }
        self.cells.get_or_insert_with(Vec::new)
    }

    /// Text without escape sequences: runs of characters, and the C0
    /// controls between them. Invalid UTF-8 becomes U+FFFD, and a lone C1
    /// byte is a control, as `vte` reads them.
    fn text_and_controls(&mut self, mut bytes: &[u8]) {
        // Most text holds no control at all: one pass without an early exit,
        // which the compiler vectorises, tells.
        let any_control = bytes.iter().fold(false, |seen, &b| seen | (b < 0x20) | (b == 0x7f));
        if !any_control {
            self.text_run(bytes);
            return;
        }
        while !bytes.is_empty() {
            let run = bytes.iter().position(|&b| b < 0x20 || b == 0x7f).unwrap_or(bytes.len());
            if run > 0 {
                self.text_run(&bytes[..run]);
                bytes = &bytes[run..];
                continue;
            }
            vte::Perform::execute(self, bytes[0]);
            bytes = &bytes[1..];
        }
    }

    /// Bytes without controls: valid UTF-8 as it is, anything else as `vte`
    /// reads it (U+FFFD, or nothing for a lone C1 byte).
    fn text_run(&mut self, bytes: &[u8]) {
        if let Ok(text) = std::str::from_utf8(bytes) {
            self.put_str(text);
            return;
        }
        for chunk in bytes.utf8_chunks() {
            self.put_str(chunk.valid());
            let invalid = chunk.invalid();
            // A lone C1 byte is a control (dropped); anything else invalid shows as U+FFFD.
            let lone_c1 = invalid.len() == 1 && invalid[0] <= 0x9f;
            if !invalid.is_empty() && !lone_c1 {
                self.put(char::REPLACEMENT_CHARACTER);
            }
        }
    }

    /// Characters written at the cursor; C1 controls among them are dropped.
    fn put_str(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        let ascii = text.is_ascii();
        let c1 = !ascii && text.chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c));
        if !c1 && self.cells.is_none() && self.count == self.cursor {
            let chars = if ascii { text.len() } else { text.chars().count() };
            if self.count + chars <= MAX_CELLS {
                self.text.push_str(text);
                self.count += chars;
                self.cursor += chars;
                return;
            }
        }
        for c in text.chars().filter(|c| !('\u{80}'..='\u{9f}').contains(c)) {
            self.put(c);
        }
    }

    fn put(&mut self, c: char) {
        let cursor = self.cursor;
        // Past the last cell a line may hold, text is dropped; the cursor
        // stays at the edge, as a terminal's does at its last column.
        if cursor >= MAX_CELLS {
            return;
        }
        self.cursor += 1;
        if cursor < self.blank {
            self.blank = cursor;
        }
        match self.cells.is_none() && self.count == cursor {
            true => {
                self.text.push(c);
                self.count += 1;
            }
            false => {
                let cells = self.cells();
                if cursor < cells.len() {
                    cells[cursor] = c;
                } else {
                    cells.resize(cursor, ' ');
                    cells.push(c);
                }
            }
        }
    }

    /// A cursor moved right stops a little past the text: a terminal pads
    /// with spaces up to where it prints, and `\e[65535C` must not make a
    /// line of 65,535 spaces each time.
    fn clamp(&self, cursor: usize) -> usize {
        cursor.min(self.len() + MAX_PAD).min(MAX_CELLS)
    }

    fn erase_in_line(&mut self, mode: u16) {
        let cursor = self.cursor;
        match mode {
            // From the cursor to the end.
            0 => {
                if cursor < self.len() {
                    self.cells().truncate(cursor);
                    self.blank = self.blank.min(cursor);
                }
            }
            // From the start to the cursor (inclusive); cells already blank
            // are not blanked again.
            1 => {
                let from = self.blank;
                let cells = self.cells();
                let end = (cursor + 1).min(cells.len());
                if end > from {
                    cells[from..end].iter_mut().for_each(|c| *c = ' ');
                    #[cfg(test)]
                    {
                        self.blanked += end - from;
                    }
                    self.blank = end;
                }
            }
            // The whole line; the cursor stays where it is.
            _ => {
                self.cells().clear();
                self.blank = 0;
            }
        }
    }
}

/// The first parameter of a CSI sequence, or `default` when absent or zero.
fn first(params: &vte::Params, default: u16) -> u16 {
    params.iter().next().and_then(|p| p.first().copied()).filter(|p| *p != 0).unwrap_or(default)
}

impl vte::Perform for Screen {
    fn print(&mut self, c: char) {
        if c != '\x7f' {
            self.put(c);
        }
        self.acted = true;
    }

    fn execute(&mut self, byte: u8) {
        // A C0 control inside a sequence is carried out without ending it;
        // only CAN and SUB cancel the sequence.
        if matches!(byte, 0x18 | 0x1a) {
            self.acted = true;
        }
        match byte {
            b'\r' => self.cursor = 0,
            b'\t' => self.put('\t'),
            // Backspace.
            0x08 => self.cursor = self.cursor.saturating_sub(1),
            _ => {}
        }
    }

    // A string (OSC, DCS) ended by ST (`ESC \\`) is done only at its `\\`,
    // which arrives as an `esc_dispatch`; one ended by BEL is done at once.
    fn osc_dispatch(&mut self, _params: &[&[u8]], bell_terminated: bool) {
        self.acted = bell_terminated;
    }

    fn esc_dispatch(&mut self, _intermediates: &[u8], _ignore: bool, _byte: u8) {
        self.acted = true;
    }

    fn terminated(&self) -> bool {
        self.acted
    }

    fn csi_dispatch(&mut self, params: &vte::Params, intermediates: &[u8], _ignore: bool, action: char) {
        self.acted = true;
        if !intermediates.is_empty() {
            return;
        }
        match action {
            'K' => {
                let mode = params.iter().next().and_then(|p| p.first().copied()).unwrap_or(0);
                self.erase_in_line(mode);
            }
            // Cursor forward, back, and to a column (1-based).
            'C' => self.cursor = self.clamp(self.cursor.saturating_add(usize::from(first(params, 1)))),
            'D' => self.cursor = self.cursor.saturating_sub(usize::from(first(params, 1))),
            'G' => self.cursor = self.clamp(usize::from(first(params, 1)) - 1),
            _ => {}
        }
    }
}

/// The text of `line` (one line's bytes, without its line end) as a terminal
/// would show it.
///
/// Text and C0 controls are handled here, a run of text at a time; `vte`
/// reads each escape sequence, from its `ESC` to its last byte, and stops
/// there (`advance_until_terminated`), so most bytes never go through a
/// per-character callback. The result is what `vte` alone would give, except
/// that DEL (0x7f), which `vte` prints, is dropped as a terminal drops it.
pub(super) fn render(parser: &mut vte::Parser, screen: &mut Screen, line: &[u8]) -> String {
    let complete = complete_utf8_end(line);
    let mut rest = &line[..complete];
    while !rest.is_empty() {
        let text_end = memchr::memchr(0x1b, rest).unwrap_or(rest.len());
        screen.text_and_controls(&rest[..text_end]);
        rest = &rest[text_end..];
        if !rest.is_empty() {
            screen.acted = false;
            let used = parser.advance_until_terminated(screen, rest);
            rest = &rest[used.max(1).min(rest.len())..];
        }
    }
    if complete < line.len() {
        // A character cut off at the line end is shown as U+FFFD, like any
        // other invalid UTF-8.
        screen.put(char::REPLACEMENT_CHARACTER);
    }
    // A sequence cut off at the line end does not continue on the next line:
    // CAN (0x18) cancels any sequence in progress and is otherwise ignored.
    parser.advance(screen, b"\x18");
    screen.take()
}

/// Where a UTF-8 character cut off at the end of `bytes` begins, or the
/// length of `bytes` when it ends on a whole character.
fn complete_utf8_end(bytes: &[u8]) -> usize {
    let tail_start = bytes.len().saturating_sub(3);
    for start in (tail_start..bytes.len()).rev() {
        let lead = bytes[start];
        if lead & 0b1100_0000 == 0b1000_0000 {
            continue; // a continuation byte: look further back
        }
        let needed = match lead {
            0xc0..=0xdf => 2,
            0xe0..=0xef => 3,
            0xf0..=0xf7 => 4,
            _ => 1,
        };
        return if bytes.len() - start < needed { start } else { bytes.len() };
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy;

    use super::*;

    fn show(line: &[u8]) -> String {
        render(&mut vte::Parser::new(), &mut Screen::new(), line)
    }

    #[test]
    fn cursor_movement_never_grows_a_line_past_its_cells() {
        // 1.6 MB of `x\e[999C`: each moves 256 past the end and prints.
        let line = b"x\x1b[999C".repeat(200_000);
        let text = show(&line);
        assert!(text.chars().count() <= MAX_CELLS, "{} characters", text.chars().count());
        assert!(text.chars().count() > MAX_CELLS - 300, "{} characters", text.chars().count());
        // Moving to a column far away is bounded the same way.
        let text = show(b"a\x1b[65535Gb\x1b[65535Gc");
        assert_eq!(text, format!("a{pad}b{pad}c", pad = " ".repeat(MAX_PAD)));
        // And text past the last cell is dropped, not appended.
        let long = vec![b'y'; MAX_CELLS + 10];
        assert_eq!(show(&long).len(), MAX_CELLS);
    }

    #[test]
    fn a_flood_of_erase_to_cursor_blanks_each_cell_once() {
        let mut line = std::iter::repeat_n(b'z', 1000).collect::<Vec<u8>>();
        line.extend(b"\x1b[1K".repeat(100_000));
        let (mut parser, mut screen) = (vte::Parser::new(), Screen::new());
        assert_eq!(render(&mut parser, &mut screen, &line), " ".repeat(1000));
        assert!(screen.blanked <= 1000, "{} cells blanked for a line of 1000", screen.blanked);
        // What an erase does is what it did before the bound: a cell written
        // after one is blanked by the next.
        assert_eq!(show(b"abcdef\x1b[1K\rX\x1b[3C\x1b[1KY"), "    Y ");
        assert_eq!(show(b"abcdef\x1b[1KX"), "      X");
        assert_eq!(show(b"abcdef\x1b[3D\x1b[1K\x1b[0K"), "   ");
    }

    #[test]
    fn colours_and_styles_leave_only_text() {
        assert_eq!(show(b"\x1b[32;1mPASS\x1b[0;m tests/a.rs"), "PASS tests/a.rs");
        assert_eq!(show(b"\x1b[38;2;255;0;0mred\x1b[39m \x1b]8;;https://x\x07link\x1b]8;;\x07"), "red link");
        assert_eq!(show(b"\x1b[0K\x1b[36;1m$ cargo test\x1b[0;m"), "$ cargo test");
        // Strings ended by ST or BEL, and a DCS with its payload, leave nothing.
        assert_eq!(show(b"a\x1b]0;title\x1b\\b\x1b]2;t\x07c"), "abc");
        assert_eq!(show(b"a\x1bPq#0;2;0;0;0#0~~\x1b\\b"), "ab");
        assert_eq!(show(b"a\x7fb\xc2\x85c\x85d"), "abcd", "DEL and C1 controls are dropped");
    }

    #[test]
    fn a_carriage_return_overwrites_like_a_terminal() {
        assert_eq!(show(b"Downloading  10%\rDownloading  55%\rDownloading 100%"), "Downloading 100%");
        assert_eq!(show(b"abcdef\rXY"), "XYcdef");
        assert_eq!(show(b"abcdef\r\x1b[2KXY"), "XY");
        assert_eq!(show(b"abcdef\r\x1b[KXY"), "XY");
        assert_eq!(show(b"ab\x08X"), "aX");
        assert_eq!(show(b"ab\x1b[5GX"), "ab  X");
        let far = show(&b"\x1b[65535C".repeat(1000).into_iter().chain(*b"x").collect::<Vec<_>>());
        assert!(far.len() < 2 * MAX_PAD && far.ends_with('x'), "{}", far.len());
        assert_eq!(show("na\u{ef}ve\r\u{f1}".as_bytes()), "\u{f1}a\u{ef}ve");
    }

    /// What `vte` alone makes of a line, every byte through its callbacks.
    fn through_vte_alone(line: &[u8]) -> String {
        let mut screen = Screen::new();
        let complete = complete_utf8_end(line);
        let mut parser = vte::Parser::new();
        parser.advance(&mut screen, &line[..complete]);
        // What vte holds of a character cut off before `complete` comes out.
        parser.advance(&mut screen, b"\x18");
        if complete < line.len() {
            screen.put(char::REPLACEMENT_CHARACTER);
        }
        screen.take()
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn the_fast_path_gives_what_vte_alone_gives(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(b"\x1b[31;1m".to_vec()),
                proptest::strategy::Just(b"\x1b]8;;http://x\x1b\\".to_vec()),
                proptest::strategy::Just(b"\x1b]0;t\x07".to_vec()),
                proptest::strategy::Just(b"\x1bP1$r\x1b\\".to_vec()),
                proptest::strategy::Just(b"\x1b[2K".to_vec()),
                proptest::strategy::Just(b"\x1b[4G".to_vec()),
                proptest::strategy::Just(b"\r".to_vec()),
                proptest::strategy::Just(b"\x08\t".to_vec()),
                proptest::strategy::Just("\u{e9}\u{85}\u{20ac}".as_bytes().to_vec()),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6),
                "[a-z ]{0,8}".prop_map(String::into_bytes),
            ], 0..16)
        ) {
            let line = pieces.concat();
            proptest::prop_assert_eq!(show(&line), through_vte_alone(&line));
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        assert_eq!(show(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
        assert_eq!(show(b"cut \xe2\x82"), "cut \u{fffd}");
        assert_eq!(show("whole \u{20ac}".as_bytes()), "whole \u{20ac}");
        assert_eq!(show(b"\x1b[31"), "");
    }
}
