//! Colours and text styles: what a line's SGR sequences (`\e[…m`) make of
//! its characters, twice over. [`Style`]'s colours and attributes are what a
//! terminal shows (the 8/16 named colours, the 256-colour palette, RGB; bold,
//! faint, italic, underline, blink, inverse, conceal, cross-out), and
//! [`Style::gitlab_classes`] is the class string GitLab's job page puts on the
//! same text, which follows GitLab's own converter, quirks included.
//!
//! GitLab's converter (`lib/gitlab/ci/ansi2json/style.rb` and `parser.rb`, the
//! converter the job page uses unless the project has the `ci_ansi2json_v2`
//! flag) reads the parameters as strings split at `;` and handles: `0` (and
//! none) reset; `1`, `3`, `4`, `8`, `9` on and `21`/`22`, `23`, `24`, `28`,
//! `29` off (`term-bold`, `term-italic`, `term-underline`, `term-conceal`,
//! `term-cross`); `30`–`37` `term-fg-<c>`, `90`–`97` `term-fg-l-<c>`, `39` and
//! `99` clear the foreground; `40`–`47` `term-bg-<c>`, `49` clears the
//! background; `100`–`107` put `term-bg-l-<c>` in the *foreground* slot and
//! `109` clears the foreground; `38;5;n` / `48;5;n` `xterm-fg-n` /
//! `xterm-bg-n` (`n` read as Ruby's `to_i`, kept only within 0–255). Bold
//! turns a `term-fg-<c>` into `term-fg-l-<c>` for good (it stays light after
//! `22`). Everything else is ignored, RGB included: a `38` or `48` not
//! followed by `5` only clears that slot, and the `2;r;g;b` after it are read
//! as codes of their own (a `0` among them resets). Faint, blink and inverse
//! have no class. The classes are joined foreground, background, then bold,
//! italic, underline, conceal, cross (`Style#to_s`).

use std::fmt;

/// A colour of the foreground or background.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Color {
    /// One of the 16 named colours: 0–7 normal (black, red, green, yellow,
    /// blue, magenta, cyan, white), 8–15 their bright variants (`90`–`97`,
    /// `100`–`107`).
    Named(u8),
    /// A colour of the 256-colour palette (`38;5;n`, `48;5;n`).
    Palette(u8),
    /// A direct colour (`38;2;r;g;b`, `48;2;r;g;b`).
    Rgb(u8, u8, u8),
}

/// Attributes a terminal shows, as bits.
mod attr {
    pub(super) const BOLD: u16 = 1;
    pub(super) const FAINT: u16 = 1 << 1;
    pub(super) const ITALIC: u16 = 1 << 2;
    pub(super) const UNDERLINE: u16 = 1 << 3;
    pub(super) const BLINK: u16 = 1 << 4;
    pub(super) const INVERSE: u16 = 1 << 5;
    pub(super) const CONCEAL: u16 = 1 << 6;
    pub(super) const CROSSED_OUT: u16 = 1 << 7;
}

/// The style of some text: its colours and attributes as a terminal shows
/// them, and the classes GitLab's job page gives it. The default style is
/// plain text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Style {
    fg: Option<Color>,
    bg: Option<Color>,
    attrs: u16,
    gitlab: GitLab,
}

impl Style {
    /// The foreground colour; `None` for the terminal's default.
    pub fn fg(&self) -> Option<Color> {
        self.fg
    }

    /// The background colour; `None` for the terminal's default.
    pub fn bg(&self) -> Option<Color> {
        self.bg
    }

    /// Bold (`1`).
    pub fn is_bold(&self) -> bool {
        self.attrs & attr::BOLD != 0
    }

    /// Faint (`2`).
    pub fn is_faint(&self) -> bool {
        self.attrs & attr::FAINT != 0
    }

    /// Italic (`3`).
    pub fn is_italic(&self) -> bool {
        self.attrs & attr::ITALIC != 0
    }

    /// Underlined (`4`, `21`).
    pub fn is_underlined(&self) -> bool {
        self.attrs & attr::UNDERLINE != 0
    }

    /// Blinking (`5`, `6`).
    pub fn is_blinking(&self) -> bool {
        self.attrs & attr::BLINK != 0
    }

    /// Foreground and background swapped (`7`).
    pub fn is_inverse(&self) -> bool {
        self.attrs & attr::INVERSE != 0
    }

    /// Concealed (`8`).
    pub fn is_concealed(&self) -> bool {
        self.attrs & attr::CONCEAL != 0
    }

    /// Crossed out (`9`).
    pub fn is_crossed_out(&self) -> bool {
        self.attrs & attr::CROSSED_OUT != 0
    }

    /// Whether text in this style looks like plain text, both in a terminal
    /// and on GitLab's page.
    pub fn is_plain(&self) -> bool {
        *self == Style::default()
    }

    /// The CSS classes GitLab's job page puts on text in this style
    /// (`term-fg-l-red term-bold`, `xterm-fg-208`, …), in GitLab's order;
    /// empty where GitLab gives the text no style. See the module docs for
    /// GitLab's rules, which differ from a terminal's (RGB has no class,
    /// bold lightens a colour for good).
    pub fn gitlab_classes(&self) -> String {
        self.gitlab.to_string()
    }

    /// The style after the parameters of an SGR sequence (`1;31` of
    /// `\e[1;31m`), as raw bytes.
    pub(super) fn apply(&mut self, params: &[u8]) {
        self.apply_terminal(params);
        self.gitlab.apply(params);
    }

    /// The parameters as a terminal reads them: numbers split at `;`, a
    /// colon-separated group (`38:2::255:0:0`) read as one colour.
    fn apply_terminal(&mut self, params: &[u8]) {
        let mut numbers = [0u16; 32];
        let mut count = 0;
        let mut current: Option<u16> = None;
        for &b in params.iter().chain(std::iter::once(&b';')) {
            match b {
                b'0'..=b'9' => {
                    current = Some(current.unwrap_or(0).saturating_mul(10).saturating_add(u16::from(b - b'0')));
                }
                b';' | b':' => {
                    if count < numbers.len() {
                        numbers[count] = current.unwrap_or(0);
                        count += 1;
                    }
                    current = None;
                }
                _ => {}
            }
        }
        let numbers = &numbers[..count];
        let mut at = 0;
        while at < numbers.len() {
            let code = numbers[at];
            at += 1;
            match code {
                0 => {
                    self.fg = None;
                    self.bg = None;
                    self.attrs = 0;
                }
                1 => self.attrs |= attr::BOLD,
                2 => self.attrs |= attr::FAINT,
                3 => self.attrs |= attr::ITALIC,
                4 | 21 => self.attrs |= attr::UNDERLINE,
                5 | 6 => self.attrs |= attr::BLINK,
                7 => self.attrs |= attr::INVERSE,
                8 => self.attrs |= attr::CONCEAL,
                9 => self.attrs |= attr::CROSSED_OUT,
                22 => self.attrs &= !(attr::BOLD | attr::FAINT),
                23 => self.attrs &= !attr::ITALIC,
                24 => self.attrs &= !attr::UNDERLINE,
                25 => self.attrs &= !attr::BLINK,
                27 => self.attrs &= !attr::INVERSE,
                28 => self.attrs &= !attr::CONCEAL,
                29 => self.attrs &= !attr::CROSSED_OUT,
                30..=37 => self.fg = Some(Color::Named((code - 30) as u8)),
                39 => self.fg = None,
                40..=47 => self.bg = Some(Color::Named((code - 40) as u8)),
                49 => self.bg = None,
                90..=97 => self.fg = Some(Color::Named((code - 90 + 8) as u8)),
                100..=107 => self.bg = Some(Color::Named((code - 100 + 8) as u8)),
                38 | 48 => {
                    let (color, used) = extended_color(&numbers[at..]);
                    at += used;
                    if let Some(color) = color {
                        if code == 38 {
                            self.fg = Some(color);
                        } else {
                            self.bg = Some(color);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// `5;n` or `2;r;g;b` after a `38` or `48`: the colour and how many numbers
/// it took.
fn extended_color(rest: &[u16]) -> (Option<Color>, usize) {
    let byte = |n: u16| u8::try_from(n).ok();
    match rest {
        [5, n, ..] => (byte(*n).map(Color::Palette), 2),
        [2, r, g, b, ..] => match (byte(*r), byte(*g), byte(*b)) {
            (Some(r), Some(g), Some(b)) => (Some(Color::Rgb(r, g, b)), 4),
            _ => (None, 4),
        },
        _ => (None, 0),
    }
}

/// What GitLab's converter holds of a style: the class in its foreground
/// slot and in its background slot, and its format bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
struct GitLab {
    fg: Option<Class>,
    bg: Option<Class>,
    formats: u8,
}

/// A colour class of GitLab's job page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Class {
    /// `term-fg-<c>`
    Fg(u8),
    /// `term-fg-l-<c>`
    FgLight(u8),
    /// `term-bg-<c>`
    Bg(u8),
    /// `term-bg-l-<c>` (GitLab puts it in the foreground slot)
    BgLight(u8),
    /// `xterm-fg-<n>`
    XtermFg(u8),
    /// `xterm-bg-<n>`
    XtermBg(u8),
}

/// GitLab's format bits, in the order of its class string.
const FORMATS: [(u8, &str); 5] =
    [(1, "term-bold"), (2, "term-italic"), (4, "term-underline"), (8, "term-conceal"), (16, "term-cross")];
const BOLD: u8 = 1;

const COLOURS: [&str; 8] = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = |c: &u8| COLOURS[usize::from(*c) % 8];
        match self {
            Class::Fg(c) => write!(f, "term-fg-{}", name(c)),
            Class::FgLight(c) => write!(f, "term-fg-l-{}", name(c)),
            Class::Bg(c) => write!(f, "term-bg-{}", name(c)),
            Class::BgLight(c) => write!(f, "term-bg-l-{}", name(c)),
            Class::XtermFg(n) => write!(f, "xterm-fg-{n}"),
            Class::XtermBg(n) => write!(f, "xterm-bg-{n}"),
        }
    }
}

impl fmt::Display for GitLab {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut word = |f: &mut fmt::Formatter<'_>, text: &dyn fmt::Display| {
            let space = if std::mem::take(&mut first) { "" } else { " " };
            write!(f, "{space}{text}")
        };
        for class in self.fg.iter().chain(&self.bg) {
            word(f, class)?;
        }
        for (bit, name) in FORMATS {
            if self.formats & bit != 0 {
                word(f, &name)?;
            }
        }
        Ok(())
    }
}

/// A one-digit colour code's colour: `3` of `31` is red (1).
fn digit(text: &[u8]) -> Option<u8> {
    match text {
        [d] if d.is_ascii_digit() && *d <= b'7' => Some(d - b'0'),
        _ => None,
    }
}

/// Ruby's `String#to_i`: an optional sign and the leading digits; 0 for none.
fn ruby_to_i(text: &[u8]) -> i64 {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, text),
    };
    let value = digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |n, &d| n.saturating_mul(10).saturating_add(i64::from(d - b'0')));
    if negative { -value } else { value }
}

impl GitLab {
    /// `Style#update`: the commands of `params`, split at `;` (trailing
    /// empty ones dropped, as Ruby's `split` does; none at all is a reset),
    /// each taken in turn.
    fn apply(&mut self, params: &[u8]) {
        // The commands, on the stack unless there are very many.
        let mut stack: [&[u8]; 16] = [&[]; 16];
        let heap: Vec<&[u8]>;
        let mut commands: &[&[u8]] = if memchr::memchr_iter(b';', params).count() < stack.len() {
            let mut count = 0;
            for (slot, command) in stack.iter_mut().zip(params.split(|&b| b == b';')) {
                *slot = command;
                count += 1;
            }
            &stack[..count]
        } else {
            heap = params.split(|&b| b == b';').collect();
            &heap
        };
        while let [rest @ .., last] = commands
            && last.is_empty()
        {
            commands = rest;
        }
        if commands.is_empty() {
            *self = GitLab::default();
            return;
        }
        let mut at = 0;
        while at < commands.len() {
            let command = commands[at];
            at += 1;
            let changed = match command {
                b"0" => {
                    *self = GitLab::default();
                    true
                }
                b"1" => self.format(BOLD, true),
                b"3" => self.format(2, true),
                b"4" => self.format(4, true),
                b"8" => self.format(8, true),
                b"9" => self.format(16, true),
                b"21" | b"22" => self.format(BOLD, false),
                b"23" => self.format(2, false),
                b"24" => self.format(4, false),
                b"28" => self.format(8, false),
                b"29" => self.format(16, false),
                b"39" | b"99" | b"109" => {
                    self.fg = None;
                    true
                }
                b"49" => {
                    self.bg = None;
                    true
                }
                b"38" | b"48" => {
                    // `xterm_color_class`: `5` and at least one more argument.
                    let class = match commands.get(at..) {
                        Some([five, n, ..]) if *five == b"5" => {
                            at += 2;
                            u8::try_from(ruby_to_i(n)).ok()
                        }
                        _ => None,
                    };
                    if command == b"38" {
                        self.fg = class.map(Class::XtermFg);
                    } else {
                        self.bg = class.map(Class::XtermBg);
                    }
                    true
                }
                [b'3', d] => match digit(&[*d]) {
                    Some(c) => {
                        self.fg = Some(Class::Fg(c));
                        true
                    }
                    None => false,
                },
                [b'4', d] => match digit(&[*d]) {
                    Some(c) => {
                        self.bg = Some(Class::Bg(c));
                        true
                    }
                    None => false,
                },
                [b'9', d] => match digit(&[*d]) {
                    Some(c) => {
                        self.fg = Some(Class::FgLight(c));
                        true
                    }
                    None => false,
                },
                [b'1', b'0', d] => match digit(&[*d]) {
                    Some(c) => {
                        self.fg = Some(Class::BgLight(c));
                        true
                    }
                    None => false,
                },
                _ => false,
            };
            // `update_formats`, after every change applied: bold lightens
            // a normal foreground, for good.
            if changed
                && self.formats & BOLD != 0
                && let Some(Class::Fg(c)) = self.fg
            {
                self.fg = Some(Class::FgLight(c));
            }
        }
    }

    fn format(&mut self, bit: u8, on: bool) -> bool {
        if on {
            self.formats |= bit;
        } else {
            self.formats &= !bit;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(sequences: &[&str]) -> Style {
        let mut style = Style::default();
        for params in sequences {
            style.apply(params.as_bytes());
        }
        style
    }

    /// GitLab's classes, written from `Style`, `Parser` and their specs in
    /// GitLab's `lib/gitlab/ci/ansi2json/` (v1) and the examples of its
    /// `style_spec.rb` and `converter_spec.rb`.
    #[test]
    fn classes_are_gitlabs_for_16_and_256_colours_resets_and_formats() {
        let classes = |sequences: &[&str]| after(sequences).gitlab_classes();
        assert_eq!(classes(&["31"]), "term-fg-red");
        assert_eq!(classes(&["1;31"]), "term-fg-l-red term-bold");
        assert_eq!(classes(&["31;1"]), "term-fg-l-red term-bold");
        assert_eq!(classes(&["1", "31", "22"]), "term-fg-l-red", "bold lightens for good");
        assert_eq!(classes(&["3;31", "23;1;43"]), "term-fg-l-red term-bg-yellow term-bold");
        assert_eq!(classes(&["1;30;42;3"]), "term-fg-l-black term-bg-green term-bold term-italic");
        assert_eq!(classes(&["92;104"]), "term-bg-l-blue", "100-107 take the foreground slot");
        assert_eq!(classes(&["38;5;208"]), "xterm-fg-208");
        assert_eq!(classes(&["48;5;17;1"]), "xterm-bg-17 term-bold");
        assert_eq!(classes(&["38;5;999"]), "", "out of the palette: cleared");
        assert_eq!(classes(&["4;8;9"]), "term-underline term-conceal term-cross");
        assert_eq!(classes(&["31;", ";"]), "", "`;` alone is a reset");
        assert_eq!(classes(&["31", ""]), "", "no parameters reset");
        assert_eq!(classes(&["01;31"]), "term-fg-red", "leading zeros are not GitLab's codes");
        assert_eq!(classes(&["2;5;7"]), "", "faint, blink and inverse have no class");
        assert_eq!(classes(&["31", "39"]), "");
        assert_eq!(classes(&["31", "109"]), "");
        // RGB: the slot is cleared and its numbers read as codes; a 0 resets.
        assert_eq!(classes(&["1;38;2;255;100;0"]), "");
        assert_eq!(classes(&["1;38;2;1;100;3"]), "term-bg-l-black term-bold term-italic");
        assert_eq!(classes(&["32", "38;2;0;0;255"]), "");
    }

    #[test]
    fn the_terminal_style_reads_every_colour_form() {
        let style = after(&["1;38;2;255;100;0"]);
        assert_eq!((style.fg(), style.is_bold()), (Some(Color::Rgb(255, 100, 0)), true));
        let style = after(&["38:5:208", "48;5;17"]);
        assert_eq!((style.fg(), style.bg()), (Some(Color::Palette(208)), Some(Color::Palette(17))));
        let style = after(&["92;104;3;7"]);
        assert_eq!((style.fg(), style.bg()), (Some(Color::Named(10)), Some(Color::Named(12))));
        assert!(style.is_italic() && style.is_inverse());
        let style = after(&["1;2", "22"]);
        assert!(!style.is_bold() && !style.is_faint());
        assert!(after(&["31", "0"]).is_plain());
        assert!(!after(&["1"]).is_plain());
    }
}
