//! One line of a terminal: what is left of a line's bytes after its escape
//! sequences have been interpreted, so that colours disappear (or become
//! styled spans) and a `\r` progress bar leaves only its last state.
//!
//! A line is first read as UTF-8 the way `String::from_utf8_lossy` reads it
//! (one U+FFFD for each invalid sequence, as GitLab's `encode_utf8_no_detect`
//! does: a byte in 0x80–0x9F is invalid UTF-8, not a C1 control), then a run
//! at a time. Plain printable ASCII, most of any log, is found eight bytes at
//! a time and copied whole; `\r`, backspace, tab and the cursor and erase
//! sequences (`CSI C`, `D`, `G`, `K`) move and clear like a terminal's; SGR
//! sequences (`CSI … m`) change the style when styles are asked for. CSI
//! sequences of digits and `;` are read here; any other escape (OSC, DCS,
//! private modes, intermediates, `ESC ( B`) is handed to `vte` (Alacritty's
//! parser of the VT500-series syntax) from its `ESC` to its last byte, and
//! has no text.
//!
//! While a line's text is all ASCII, a character's index is its byte's, and
//! overwriting after a `\r` happens in place; a line that is not is kept as
//! cells (a character and its style each) once the cursor moves back.

use super::{event::StyledSpan, style::Style};

/// How far past the end of a line the cursor may move.
const MAX_PAD: usize = 256;

/// The most characters a line holds, whatever its escape sequences do:
/// cursor movement pads a line with spaces, and without a bound a record
/// of `x\e[999C` repeated would grow a hundredfold. The record itself is
/// cut at `MAX_LINE_BYTES` (the same number), so this bounds the output as
/// that bounds the input.
pub(super) const MAX_CELLS: usize = 256 * 1024;

/// The longest parameter list read here; a longer one goes to `vte`.
const MAX_FAST_PARAMS: usize = 64;

/// How many style runs an overwrite in place edits; a line with more goes
/// to cells, where a write costs the same however many styles it holds.
const MAX_RUNS_IN_PLACE: usize = 16;

/// The text of one line, with a cursor that may point into it.
pub(crate) struct Screen {
    /// The line's characters, until they become `cells`.
    text: String,
    /// How many characters `text` holds; `text.len()` while it is ASCII.
    count: usize,
    /// The characters with their styles, once the cursor has moved back
    /// into text that is not all ASCII.
    cells: Option<Vec<(char, Style)>>,
    /// The cursor, in characters.
    cursor: usize,
    /// How many characters at the start are known to be blank (an erase to
    /// the cursor made them so), so that a flood of `\e[1K` blanks each
    /// once, not once per sequence.
    blank: usize,
    /// Set when `vte` has acted on a sequence: it then stops reading.
    acted: bool,
    /// `vte` stopped inside a sequence at the line's end.
    pending: bool,
    /// Whether styles are kept, the current one (it carries over from line
    /// to line), and where each style of `text` begins, in bytes.
    styles: bool,
    style: Style,
    runs: Vec<(usize, Style)>,
    /// What SGR sequences seen lately made of the styles they met.
    sgr: SgrCache,
    /// The line last rendered, and its styled spans.
    line: String,
    spans: Vec<StyledSpan>,
    /// Cells blanked by erase sequences, for the test that each is blanked
    /// once.
    #[cfg(test)]
    blanked: usize,
}

/// The last few SGR sequences with the style each met and the style it
/// made: a log repeats a handful of them (`\e[0m`, `\e[32m`, `\e[36;1m`),
/// each read twice over (a terminal's way and GitLab's) the first time only.
#[derive(Default)]
struct SgrCache {
    entries: [(Style, [u8; SGR_KEY], u8, Style); SGR_ENTRIES],
    next: usize,
}

const SGR_KEY: usize = 16;
const SGR_ENTRIES: usize = 8;

impl SgrCache {
    fn apply(&mut self, before: Style, params: &[u8]) -> Style {
        // A reset, the most common, needs no reading (GitLab drops the
        // empty command after `0;`).
        if matches!(params, b"" | b"0" | b"0;") {
            return Style::default();
        }
        let Some(len) = u8::try_from(params.len()).ok().filter(|&len| usize::from(len) <= SGR_KEY) else {
            let mut after = before;
            after.apply(params);
            return after;
        };
        let mut key = [0u8; SGR_KEY];
        key[..params.len()].copy_from_slice(params);
        if let Some((_, _, _, after)) = self.entries.iter().find(|(b, k, l, _)| *l == len && *k == key && *b == before)
        {
            return *after;
        }
        let mut after = before;
        after.apply(params);
        self.entries[self.next] = (before, key, len, after);
        self.next = (self.next + 1) % SGR_ENTRIES;
        after
    }
}

/// Spaces to blank text with, a slice at a time.
const SPACES: &str = "                                                                ";

impl Screen {
    pub(crate) fn new(styles: bool) -> Screen {
        Screen {
            text: String::new(),
            count: 0,
            cells: None,
            cursor: 0,
            blank: 0,
            acted: false,
            pending: false,
            styles,
            style: Style::default(),
            runs: Vec::new(),
            sgr: SgrCache::default(),
            line: String::new(),
            spans: Vec::new(),
            #[cfg(test)]
            blanked: 0,
        }
    }

    /// The line last rendered.
    pub(super) fn line(&self) -> &str {
        &self.line
    }

    /// Its styles, in order and covering all of it; none unless styles
    /// are kept.
    pub(super) fn spans(&self) -> &[StyledSpan] {
        &self.spans
    }

    /// Makes the line so far the line last rendered (`line`, `spans`), and
    /// the screen fresh for the next line in the same style.
    fn finish(&mut self) {
        self.cursor = 0;
        self.count = 0;
        self.blank = 0;
        self.spans.clear();
        let spans = &mut self.spans;
        match self.cells.take() {
            Some(cells) => {
                self.line.clear();
                for (c, style) in cells {
                    let start = self.line.len();
                    self.line.push(c);
                    if self.styles {
                        push_span(spans, start..self.line.len(), style);
                    }
                }
            }
            None => {
                if self.styles {
                    for (i, (start, style)) in self.runs.iter().enumerate() {
                        let end = self.runs.get(i + 1).map_or(self.text.len(), |(next, _)| *next);
                        push_span(spans, *start..end, *style);
                    }
                }
                // The buffers change places: nothing is copied.
                std::mem::swap(&mut self.line, &mut self.text);
            }
        }
        self.text.clear();
        self.runs.clear();
        // A giant line leaves no giant buffer behind.
        if self.text.capacity() > 64 * 1024 {
            self.text = String::new();
        }
    }

    fn len(&self) -> usize {
        match &self.cells {
            Some(cells) => cells.len(),
            None => self.count,
        }
    }

    /// Whether `text` is all ASCII, so that characters are bytes.
    fn ascii(&self) -> bool {
        self.cells.is_none() && self.count == self.text.len()
    }

    /// Notes that text in the current style begins at the end of `text`.
    #[inline(always)]
    fn note_style(&mut self) {
        if self.styles && self.runs.last().is_none_or(|(_, style)| *style != self.style) {
            self.runs.push((self.text.len(), self.style));
        }
    }

    /// Gives `text[from..to]` (ASCII, in bytes) the style `style`, where
    /// `text` held `old_len` bytes before the write.
    fn restyle(&mut self, from: usize, to: usize, old_len: usize, style: Style) {
        let runs = &mut self.runs;
        // The style that resumes at `to`, from the last run starting there
        // or before.
        let after = (to < old_len)
            .then(|| runs.partition_point(|(start, _)| *start <= to))
            .and_then(|i| i.checked_sub(1))
            .map(|i| runs[i].1);
        let first = runs.partition_point(|(start, _)| *start < from);
        let last = runs.partition_point(|(start, _)| *start <= to);
        let mut new = [(from, style), (to, style)];
        let count = match after {
            Some(after) if after != style => {
                new[1].1 = after;
                2
            }
            _ => 1,
        };
        runs.splice(first..last, new[..count].iter().copied());
    }

    /// Whether the text may be written in place at the cursor: it is all
    /// ASCII and, with styles, holds few enough of them to edit.
    fn in_place(&self) -> bool {
        self.ascii() && (!self.styles || self.runs.len() <= MAX_RUNS_IN_PLACE)
    }

    /// Spaces (in the default style) from the end of the text to the
    /// cursor, so that text written there is appended.
    fn pad_to_cursor(&mut self) {
        let style = std::mem::take(&mut self.style);
        while self.count < self.cursor {
            let n = (self.cursor - self.count).min(SPACES.len());
            self.note_style();
            self.text.push_str(&SPACES[..n]);
            self.count += n;
        }
        self.style = style;
    }

    /// The cells, converting from the text the first time.
    fn cells(&mut self) -> &mut Vec<(char, Style)> {
        if self.cells.is_none() {
            let mut cells = Vec::with_capacity(self.count);
            let mut runs = self.runs.iter().peekable();
            let mut style = Style::default();
            for (at, c) in self.text.char_indices() {
                while let Some((start, next)) = runs.peek() {
                    if *start > at {
                        break;
                    }
                    style = *next;
                    runs.next();
                }
                cells.push((c, style));
            }
            self.cells = Some(cells);
            self.text.clear();
            self.runs.clear();
        }
        self.cells.get_or_insert_with(Vec::new)
    }

    /// Text at the cursor: printable ASCII, or characters of which the
    /// first is not ASCII (`chars` of them).
    #[inline(always)]
    fn put_str(&mut self, run: &str, chars: usize) {
        if self.cells.is_none() && self.cursor == self.count && self.count + chars <= MAX_CELLS {
            // Most text: appended to what is there.
            self.note_style();
            self.text.push_str(run);
            self.count += chars;
            self.cursor += chars;
            return;
        }
        self.put_str_slow(run, chars);
    }

    /// `put_str` where the text is not simply appended.
    #[inline(never)]
    fn put_str_slow(&mut self, run: &str, chars: usize) {
        if self.cells.is_none() && self.cursor >= self.count {
            // Appended, after padding to a cursor past the end.
            let room = MAX_CELLS.saturating_sub(self.cursor);
            if room == 0 {
                return;
            }
            self.pad_to_cursor();
            if chars <= room {
                self.note_style();
                self.text.push_str(run);
                self.count += chars;
                self.cursor += chars;
            } else {
                run.chars().take(room).for_each(|c| self.put(c));
            }
            return;
        }
        if chars == run.len() && self.in_place() {
            // ASCII over ASCII: overwrite bytes, append the rest.
            let cursor = self.cursor;
            let old_len = self.text.len();
            let n = run.len().min(MAX_CELLS - cursor);
            let over = n.min(old_len - cursor);
            self.text.replace_range(cursor..cursor + over, &run[..over]);
            self.text.push_str(&run[over..n]);
            self.count = self.text.len();
            self.cursor += n;
            if cursor < self.blank {
                self.blank = cursor;
            }
            if self.styles && n > 0 {
                self.restyle(cursor, cursor + n, old_len, self.style);
            }
            return;
        }
        run.chars().for_each(|c| self.put(c));
    }

    /// One character at the cursor.
    fn put(&mut self, c: char) {
        let cursor = self.cursor;
        // Past the last cell a line may hold, text is dropped; the cursor
        // stays at the edge, as a terminal's does at its last column.
        if cursor >= MAX_CELLS {
            return;
        }
        if self.cells.is_none() && (cursor >= self.count || (c.is_ascii() && self.in_place())) {
            let mut buffer = [0u8; 4];
            self.put_str(c.encode_utf8(&mut buffer), 1);
            return;
        }
        self.cursor += 1;
        if cursor < self.blank {
            self.blank = cursor;
        }
        let style = self.style;
        let cells = self.cells();
        if cursor < cells.len() {
            cells[cursor] = (c, style);
        } else {
            cells.resize(cursor, (' ', Style::default()));
            cells.push((c, style));
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
                    if self.ascii() {
                        self.text.truncate(cursor);
                        self.count = cursor;
                        let keep = self.runs.partition_point(|(start, _)| *start < cursor);
                        self.runs.truncate(keep);
                    } else {
                        self.cells().truncate(cursor);
                    }
                    self.blank = self.blank.min(cursor);
                }
            }
            // From the start to the cursor (inclusive); cells already blank
            // are not blanked again.
            1 => {
                let from = self.blank;
                let end = (cursor + 1).min(self.len());
                if end <= from {
                    return;
                }
                if self.in_place() {
                    let mut at = from;
                    while at < end {
                        let n = (end - at).min(SPACES.len());
                        self.text.replace_range(at..at + n, &SPACES[..n]);
                        at += n;
                    }
                    if self.styles {
                        let old_len = self.text.len();
                        self.restyle(from, end, old_len, Style::default());
                    }
                } else {
                    let cells = self.cells();
                    cells[from..end].iter_mut().for_each(|c| *c = (' ', Style::default()));
                }
                #[cfg(test)]
                {
                    self.blanked += end - from;
                }
                self.blank = end;
            }
            // The whole line; the cursor stays where it is.
            _ => {
                match &mut self.cells {
                    Some(cells) => cells.clear(),
                    None => {
                        self.text.clear();
                        self.runs.clear();
                        self.count = 0;
                    }
                }
                self.blank = 0;
            }
        }
    }

    /// What a CSI sequence does: `params` are its parameter bytes (digits,
    /// `;` and, from `vte`, `:`), `action` its final byte.
    fn csi(&mut self, params: &[u8], action: u8) {
        let first = |default: u16| match first_param(params) {
            0 => default,
            n => n,
        };
        match action {
            b'K' => self.erase_in_line(first_param(params)),
            // Cursor forward, back, and to a column (1-based).
            b'C' => self.cursor = self.clamp(self.cursor.saturating_add(usize::from(first(1)))),
            b'D' => self.cursor = self.cursor.saturating_sub(usize::from(first(1))),
            b'G' => self.cursor = self.clamp(usize::from(first(1)) - 1),
            b'm' if self.styles => self.style = self.sgr.apply(self.style, params),
            _ => {}
        }
    }

    /// An escape sequence at `at` (its `ESC`): read here when it is a CSI
    /// sequence of digits and `;`, else by `vte`. Where the line goes on.
    fn escape(&mut self, parser: &mut vte::Parser, line: &[u8], at: usize) -> usize {
        if line.get(at + 1) == Some(&b'[') {
            let start = at + 2;
            let end = line[start..].iter().position(|b| !(b.is_ascii_digit() || *b == b';')).map(|p| start + p);
            match end {
                // Cut off by the line's end: a terminal would wait for the
                // rest, which never comes (the next line is another line).
                None => return line.len(),
                Some(end) if end - start <= MAX_FAST_PARAMS && (0x40..=0x7e).contains(&line[end]) => {
                    // Colours, most sequences of a log, do nothing
                    // without styles.
                    if line[end] != b'm' || self.styles {
                        self.csi(&line[start..end], line[end]);
                    }
                    return end + 1;
                }
                Some(_) => {}
            }
        }
        self.acted = false;
        let used = parser.advance_until_terminated(self, &line[at..]);
        if !self.acted {
            self.pending = true;
        }
        at + used.max(1)
    }
}

/// Adds `range` in `style` to `spans`, joining it to the last span when that
/// has the same style.
fn push_span(spans: &mut Vec<StyledSpan>, range: std::ops::Range<usize>, style: Style) {
    if range.is_empty() {
        return;
    }
    match spans.last_mut() {
        Some(last) if last.style == style && last.range.end == range.start => last.range.end = range.end,
        _ => spans.push(StyledSpan { range, style }),
    }
}

/// The first parameter of a CSI sequence's bytes; 0 when absent.
fn first_param(params: &[u8]) -> u16 {
    params
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0u16, |n, &d| n.saturating_mul(10).saturating_add(u16::from(d - b'0')))
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
        if !intermediates.is_empty() || !action.is_ascii() {
            return;
        }
        // The parameters as the bytes they were: `;` between parameters, `:`
        // between a parameter's parts.
        let mut bytes = Vec::new();
        for (i, param) in params.iter().enumerate() {
            if i > 0 {
                bytes.push(b';');
            }
            for (j, part) in param.iter().enumerate() {
                if j > 0 {
                    bytes.push(b':');
                }
                bytes.extend_from_slice(part.to_string().as_bytes());
            }
        }
        self.csi(&bytes, action as u8);
    }
}

/// The index of the first byte at or after `at` that is not printable ASCII
/// (0x20–0x7e), eight bytes at a time.
fn plain_end(line: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    loop {
        let w = match line.get(at..at + 8) {
            Some(word) => u64::from_le_bytes(word.try_into().unwrap_or([0; 8])),
            None if at >= line.len() => return line.len(),
            // The last bytes: the line's last word shifted down to them,
            // with spaces (which are plain) above.
            None => match line.len().checked_sub(8).and_then(|from| line.get(from..)) {
                Some(word) => {
                    let left = line.len() - at;
                    let w = u64::from_le_bytes(word.try_into().unwrap_or([0; 8])) >> (8 * (8 - left));
                    w | (ONES * b' ' as u64) << (8 * left)
                }
                None => {
                    return at + line[at..].iter().position(|&b| !(0x20..0x7f).contains(&b)).unwrap_or(line.len() - at);
                }
            },
        };
        // Bytes of 0x80 and above, below 0x20, and 0x7f (DEL): in each case
        // the lowest flagged byte is a true one, whatever borrows do above it.
        let high = w & HIGH;
        let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
        let del = (w ^ (ONES * 0x7f)).wrapping_sub(ONES) & !(w ^ (ONES * 0x7f)) & HIGH;
        let special = high | control | del;
        if special != 0 {
            return (at + (special.trailing_zeros() / 8) as usize).min(line.len());
        }
        at += 8;
    }
}

/// The text of `line` (one line's bytes, without its line end) as a terminal
/// would show it, and its styled spans when the screen keeps styles.
/// Renders `line` (one line's bytes, without its line end) as a terminal
/// would show it: the result is [`Screen::line`], with [`Screen::spans`]
/// when the screen keeps styles.
pub(super) fn render(parser: &mut vte::Parser, screen: &mut Screen, line: &[u8]) {
    match std::str::from_utf8(line) {
        Ok(text) => render_str(parser, screen, text),
        Err(_) => render_str(parser, screen, &String::from_utf8_lossy(line)),
    }
}

/// As [`render`], for a line known to be UTF-8.
pub(super) fn render_str(parser: &mut vte::Parser, screen: &mut Screen, line: &str) {
    let bytes = line.as_bytes();
    // The text is at most as long as the line unless the cursor pads it.
    let mut at = 0;
    while at < bytes.len() {
        let run_end = plain_end(bytes, at);
        if run_end > at {
            if let Some(run) = line.get(at..run_end) {
                screen.put_str(run, run.len());
            }
            at = run_end;
            continue;
        }
        match bytes[at] {
            0x1b => at = screen.escape(parser, bytes, at),
            0x80..=0xff => {
                let end = at + bytes[at..].iter().position(|&b| b < 0x80).unwrap_or(bytes.len() - at);
                // The run ends before an ASCII byte, so on a boundary; it
                // starts on one unless `vte` stopped inside a character.
                if let Some(run) = line.get(at..end) {
                    screen.put_str(run, run.chars().count());
                }
                at = end;
            }
            0x7f => at += 1,
            control => {
                vte::Perform::execute(screen, control);
                at += 1;
            }
        }
    }
    // A sequence cut off at the line end does not continue on the next line:
    // CAN (0x18) cancels any sequence in progress and is otherwise ignored.
    if std::mem::take(&mut screen.pending) {
        parser.advance(screen, b"\x18");
    }
    screen.finish();
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy;

    use super::*;

    fn show(line: &[u8]) -> String {
        let mut screen = Screen::new(false);
        render(&mut vte::Parser::new(), &mut screen, line);
        screen.line().to_owned()
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
        let (mut parser, mut screen) = (vte::Parser::new(), Screen::new(false));
        render(&mut parser, &mut screen, &line);
        assert_eq!(screen.line(), " ".repeat(1000));
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
        // DEL is dropped; a C1 character is text and a lone byte of 0x80-0x9f
        // invalid UTF-8, as on GitLab's page (`encode_utf8_no_detect`).
        assert_eq!(show(b"a\x7fb\xc2\x85c\x85d"), "ab\u{85}c\u{fffd}d");
        assert_eq!(show(b"Grundgeb\x81hr"), "Grundgeb\u{fffd}hr");
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

    /// What `vte` alone makes of a line, every byte through its callbacks,
    /// after the line is decoded as `String::from_utf8_lossy` decodes it (the
    /// fast path reads invalid UTF-8 so, as GitLab does).
    fn through_vte_alone(line: &[u8]) -> String {
        let mut screen = Screen::new(false);
        let decoded = String::from_utf8_lossy(line);
        let mut parser = vte::Parser::new();
        parser.advance(&mut screen, decoded.as_bytes());
        parser.advance(&mut screen, b"\x18");
        screen.finish();
        screen.line().to_owned()
    }

    /// Whether a line holds a C1 character (U+0080 to U+009F), which `vte`
    /// reads as a control and this renderer, as GitLab does, as text.
    fn has_c1(line: &[u8]) -> bool {
        String::from_utf8_lossy(line).chars().any(|c| ('\u{80}'..='\u{9f}').contains(&c))
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
                proptest::strategy::Just("\u{e9}\u{20ac}\u{1f600}".as_bytes().to_vec()),
                proptest::collection::vec(proptest::prelude::any::<u8>(), 0..6),
                "[a-z ]{0,8}".prop_map(String::into_bytes),
            ], 0..16)
        ) {
            let line = pieces.concat();
            proptest::prop_assume!(!has_c1(&line));
            proptest::prop_assert_eq!(show(&line), through_vte_alone(&line));
        }
    }

    /// A line rendered with styles, through the in-place paths or (with
    /// `cells`) through cells from its first character.
    fn styled(line: &[u8], cells: bool) -> (String, Vec<StyledSpan>) {
        let mut screen = Screen::new(true);
        // The style the line begins in, as a previous line may leave it.
        screen.style.apply(b"35");
        if cells {
            screen.cells = Some(Vec::new());
        }
        render(&mut vte::Parser::new(), &mut screen, line);
        (screen.line().to_owned(), screen.spans().to_vec())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn styles_written_in_place_are_the_styles_of_cells(
            pieces in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(b"\x1b[31;1m".to_vec()),
                proptest::strategy::Just(b"\x1b[0m".to_vec()),
                proptest::strategy::Just(b"\x1b[44m".to_vec()),
                proptest::strategy::Just(b"\x1b[38;5;208m".to_vec()),
                proptest::strategy::Just(b"\x1b[K".to_vec()),
                proptest::strategy::Just(b"\x1b[1K".to_vec()),
                proptest::strategy::Just(b"\x1b[2K".to_vec()),
                proptest::strategy::Just(b"\x1b[3D".to_vec()),
                proptest::strategy::Just(b"\x1b[2C".to_vec()),
                proptest::strategy::Just(b"\x1b[5G".to_vec()),
                proptest::strategy::Just(b"\r".to_vec()),
                proptest::strategy::Just(b"\x08".to_vec()),
                proptest::strategy::Just("\u{e9}".as_bytes().to_vec()),
                "[a-z ]{0,8}".prop_map(String::into_bytes),
            ], 0..24)
        ) {
            let line = pieces.concat();
            proptest::prop_assert_eq!(styled(&line, false), styled(&line, true));
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
