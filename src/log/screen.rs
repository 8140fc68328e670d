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
}

impl Screen {
    pub(super) fn new() -> Screen {
        Screen { text: String::new(), count: 0, cells: None, cursor: 0 }
    }

    /// The line so far, and a fresh screen for the next.
    pub(super) fn take(&mut self) -> String {
        self.cursor = 0;
        self.count = 0;
        match self.cells.take() {
            Some(cells) => {
                self.text.clear();
                cells.into_iter().collect()
            }
            None => std::mem::take(&mut self.text),
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

    fn put(&mut self, c: char) {
        let cursor = self.cursor;
        self.cursor += 1;
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

    fn erase_in_line(&mut self, mode: u16) {
        let cursor = self.cursor;
        match mode {
            // From the cursor to the end.
            0 => {
                if cursor < self.len() {
                    self.cells().truncate(cursor);
                }
            }
            // From the start to the cursor (inclusive).
            1 => {
                let cells = self.cells();
                let end = (cursor + 1).min(cells.len());
                cells[..end].iter_mut().for_each(|c| *c = ' ');
            }
            // The whole line; the cursor stays where it is.
            _ => self.cells().clear(),
        }
    }
}

/// The first parameter of a CSI sequence, or `default` when absent or zero.
fn first(params: &vte::Params, default: u16) -> u16 {
    params.iter().next().and_then(|p| p.first().copied()).filter(|p| *p != 0).unwrap_or(default)
}

impl vte::Perform for Screen {
    fn print(&mut self, c: char) {
        self.put(c);
    }

    fn execute(&mut self, byte: u8) {
        match byte {
            b'\r' => self.cursor = 0,
            b'\t' => self.put('\t'),
            // Backspace.
            0x08 => self.cursor = self.cursor.saturating_sub(1),
            _ => {}
        }
    }

    fn csi_dispatch(&mut self, params: &vte::Params, intermediates: &[u8], _ignore: bool, action: char) {
        if !intermediates.is_empty() {
            return;
        }
        match action {
            'K' => {
                let mode = params.iter().next().and_then(|p| p.first().copied()).unwrap_or(0);
                self.erase_in_line(mode);
            }
            // Cursor forward, back, and to a column (1-based).
            'C' => self.cursor += usize::from(first(params, 1)),
            'D' => self.cursor = self.cursor.saturating_sub(usize::from(first(params, 1))),
            'G' => self.cursor = usize::from(first(params, 1)) - 1,
            _ => {}
        }
    }
}

/// The text of `line` (one line's bytes, without its line end) as a terminal
/// would show it. Bytes with no escape sequence and no control character take
/// a fast path with the same result.
pub(super) fn render(parser: &mut vte::Parser, screen: &mut Screen, line: &[u8]) -> String {
    let plain = line.iter().all(|&b| (b >= 0x20 && b != 0x7f) || b == b'\t');
    if plain && let Ok(text) = std::str::from_utf8(line) {
        return text.to_owned();
    }
    let complete = complete_utf8_end(line);
    parser.advance(screen, &line[..complete]);
    if complete < line.len() {
        // A character cut off at the line end is shown as U+FFFD, like any
        // other invalid UTF-8.
        screen.put(char::REPLACEMENT_CHARACTER);
    }
    // A sequence cut off at the line end does not continue on the next line.
    *parser = vte::Parser::new();
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
    use super::*;

    fn show(line: &[u8]) -> String {
        render(&mut vte::Parser::new(), &mut Screen::new(), line)
    }

    #[test]
    fn colours_and_styles_leave_only_text() {
        assert_eq!(show(b"\x1b[32;1mPASS\x1b[0;m tests/a.rs"), "PASS tests/a.rs");
        assert_eq!(show(b"\x1b[38;2;255;0;0mred\x1b[39m \x1b]8;;https://x\x07link\x1b]8;;\x07"), "red link");
        assert_eq!(show(b"\x1b[0K\x1b[36;1m$ cargo test\x1b[0;m"), "$ cargo test");
    }

    #[test]
    fn a_carriage_return_overwrites_like_a_terminal() {
        assert_eq!(show(b"Downloading  10%\rDownloading  55%\rDownloading 100%"), "Downloading 100%");
        assert_eq!(show(b"abcdef\rXY"), "XYcdef");
        assert_eq!(show(b"abcdef\r\x1b[2KXY"), "XY");
        assert_eq!(show(b"abcdef\r\x1b[KXY"), "XY");
        assert_eq!(show(b"ab\x08X"), "aX");
        assert_eq!(show(b"ab\x1b[5GX"), "ab  X");
        assert_eq!(show("na\u{ef}ve\r\u{f1}".as_bytes()), "\u{f1}a\u{ef}ve");
    }

    #[test]
    fn invalid_utf8_is_replaced_not_refused() {
        assert_eq!(show(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
        assert_eq!(show(b"cut \xe2\x82"), "cut \u{fffd}");
        assert_eq!(show("whole \u{20ac}".as_bytes()), "whole \u{20ac}");
        assert_eq!(show(b"\x1b[31"), "");
    }
}
