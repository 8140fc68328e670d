//! Pages kept as their markdown source (GitLab's `doc/api/*.md` as committed):
//! the one format whose structure survives whole. Headings, code fences and
//! pipe tables are each on lines of their own, so a page is read line by line
//! knowing which lines are inside a fence, and nothing needs guessing: the
//! declaration is the line of a fence that reads `GET /path`, the title is the
//! heading above it, the section ends at the next heading of the same level,
//! and examples are the JSON inside the section's fences.

use serde_json::Value;

use super::{Declaration, Param, TABLE_HEADER, clean_cell, fenced_declaration, json_values, row};

/// What one line of the page is.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind<'a> {
    /// The front matter between the `---` lines that open the page.
    FrontMatter,
    /// `## Title`, with its level (the number of `#`).
    Heading(usize),
    /// A fence's opening or closing line.
    Fence,
    /// A line inside a fence, with the fence's language word (`plaintext`,
    /// `json`; empty when it has none).
    Code(&'a str),
    Text,
}

#[derive(Debug)]
struct Line<'a> {
    /// Without its line break.
    text: &'a str,
    /// Byte offsets of the line, its line break included, in the page.
    start: usize,
    end: usize,
    kind: Kind<'a>,
}

/// A markdown source page, split into classified lines.
pub(super) struct Source<'a> {
    lines: Vec<Line<'a>>,
}

/// The run of three or more backticks or tildes a fence line starts with.
fn fence_run(trimmed: &str) -> Option<(char, usize)> {
    let first = trimmed.chars().next().filter(|c| matches!(c, '`' | '~'))?;
    let count = trimmed.chars().take_while(|c| *c == first).count();
    (count >= 3).then_some((first, count))
}

/// The level of an ATX heading (`## Title`): one to six `#`, indented by at
/// most three spaces, followed by a space or nothing.
fn heading_level(line: &str) -> Option<usize> {
    let unindented = line.trim_start_matches(' ');
    if line.len() - unindented.len() > 3 {
        return None;
    }
    let level = unindented.chars().take_while(|c| *c == '#').count();
    let rest = unindented.get(level..)?;
    ((1..=6).contains(&level) && (rest.is_empty() || rest.starts_with([' ', '\t']))).then_some(level)
}

impl<'a> Source<'a> {
    pub(super) fn new(text: &'a str) -> Source<'a> {
        let mut lines = Vec::new();
        let mut offset = 0;
        // The open fence: its character, its length and its language word.
        let mut fence: Option<(char, usize, &'a str)> = None;
        let mut in_front_matter = false;
        for (i, raw) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let trimmed = line.trim();
            let kind = if i == 0 && trimmed == "---" {
                in_front_matter = true;
                Kind::FrontMatter
            } else if in_front_matter {
                in_front_matter = trimmed != "---";
                Kind::FrontMatter
            } else if let Some((c, n, language)) = fence {
                let closes = fence_run(trimmed)
                    .is_some_and(|(d, m)| d == c && m >= n && trimmed.trim_start_matches(c).trim().is_empty());
                if closes {
                    fence = None;
                    Kind::Fence
                } else {
                    Kind::Code(language)
                }
            } else if let Some((c, n)) = fence_run(trimmed) {
                let info = trimmed.trim_start_matches(c).trim();
                let language = info.split(|ch: char| ch.is_whitespace() || ch == '{').next().unwrap_or("");
                fence = Some((c, n, language));
                Kind::Fence
            } else if let Some(level) = heading_level(line) {
                Kind::Heading(level)
            } else {
                Kind::Text
            };
            lines.push(Line { text: line, start, end: offset, kind });
        }
        Source { lines }
    }

    /// Whether the text reads as markdown source: at least one heading and one
    /// code fence, each on a line of its own.
    pub(super) fn is_markdown(&self) -> bool {
        self.lines.iter().any(|l| matches!(l.kind, Kind::Heading(_)))
            && self.lines.iter().any(|l| l.kind == Kind::Fence)
    }

    /// `METHOD /path` as a line of a code fence (```` ```plaintext ````); a
    /// query the docs show after the path (`?job=name`) is left out.
    pub(super) fn declarations(&self) -> Vec<Declaration> {
        self.lines
            .iter()
            .filter(|l| matches!(l.kind, Kind::Code(_)))
            .filter_map(|l| {
                let (method, path) = fenced_declaration(l.text.trim())?;
                Some(Declaration { method, path, start: l.start, end: l.end })
            })
            .collect()
    }

    /// The nearest heading above `at`, with its level.
    fn heading_before(&self, at: usize) -> Option<(&'a str, usize)> {
        self.lines.iter().take_while(|l| l.end <= at).filter_map(|l| heading(l).map(|level| (l.text, level))).last()
    }

    /// The endpoint's title: the heading above its declaration, without tier
    /// markers (`**(PREMIUM)**`) or Hugo shortcodes.
    pub(super) fn title(&self, declaration: &Declaration) -> Option<String> {
        let (text, _) = self.heading_before(declaration.start)?;
        let mut title = text.trim().trim_start_matches('#').trim().trim_end_matches('#').trim();
        for marker in [" **(", "{{<", "{{%"] {
            if let Some(i) = title.find(marker) {
                title = title.get(..i).unwrap_or(title).trim();
            }
        }
        (!title.is_empty()).then(|| title.to_owned())
    }

    /// Where the declaration's section ends: at the next heading of its
    /// title's level or above, or at `next` (the next declaration), if sooner.
    pub(super) fn section_end(&self, declaration: &Declaration, next: usize) -> usize {
        let level = self.heading_before(declaration.start).map_or(6, |(_, level)| level);
        self.lines
            .iter()
            .filter(|l| l.start >= declaration.end && l.start < next)
            .find(|l| heading(l).is_some_and(|h| h <= level))
            .map_or(next, |l| l.start)
    }

    fn lines_within(&self, start: usize, end: usize) -> impl Iterator<Item = &Line<'a>> {
        self.lines.iter().filter(move |l| l.start >= start && l.end <= end)
    }

    /// The first `| Attribute | Type | Required | Description |` table between
    /// `start` and `end`, one row per line.
    pub(super) fn table(&self, start: usize, end: usize) -> Vec<Param> {
        let mut rows = self.lines_within(start, end).skip_while(|l| !(l.kind == Kind::Text && is_header_row(l.text)));
        if rows.next().is_none() {
            return Vec::new();
        }
        rows.take_while(|l| l.kind == Kind::Text && l.text.trim_start().starts_with('|'))
            .map(|l| cells(l.text))
            .filter(|cells| !cells.iter().all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '))))
            .map_while(|cells| {
                let [name, ty, required, description] = cells.as_slice() else { return None };
                row(&[parameter_name(name), clean_cell(ty), clean_cell(required), clean_cell(description)])
            })
            .collect()
    }

    /// The JSON values inside the code fences between `start` and `end`, each
    /// with the offset just after it, counted from `start`.
    pub(super) fn examples(&self, start: usize, end: usize, text: &str) -> Vec<(usize, Value)> {
        let mut found = Vec::new();
        let mut block: Option<(usize, usize)> = None;
        let mut flush = |block: &mut Option<(usize, usize)>| {
            if let Some((from, to)) = block.take() {
                let code = text.get(from..to).unwrap_or("");
                found.extend(json_values(code).into_iter().map(|(at, value)| (from - start + at, value)));
            }
        };
        for line in self.lines_within(start, end) {
            match line.kind {
                Kind::Code(_) => {
                    let from = block.map_or(line.start, |(from, _)| from);
                    block = Some((from, line.end));
                }
                _ => flush(&mut block),
            }
        }
        flush(&mut block);
        found
    }
}

fn heading(line: &Line<'_>) -> Option<usize> {
    match line.kind {
        Kind::Heading(level) => Some(level),
        _ => None,
    }
}

/// The cells of a table row `| a | b |`: split at each `|` that is neither
/// escaped (`\|`) nor inside a code span.
fn cells(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_code = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            '|' if !escaped && !in_code => cells.push(std::mem::take(&mut cell)),
            _ => {
                if c == '`' && !escaped {
                    in_code = !in_code;
                }
                cell.push(c);
            }
        }
        escaped = c == '\\' && !escaped;
    }
    // A row closed by `|` leaves nothing after it; one that is not keeps its last cell.
    if !cell.trim().is_empty() {
        cells.push(cell);
    }
    cells.iter().map(|c| c.trim().to_owned()).collect()
}

fn is_header_row(line: &str) -> bool {
    let cells: Vec<String> = cells(line).iter().map(|c| clean_cell(c)).collect();
    cells.len() == 4 && cells.iter().zip(TABLE_HEADER).all(|(c, h)| c == h)
}

/// A parameter cell: the code span it starts with (`` `job_token` **(PREMIUM)** ``
/// is `job_token`), or the whole cell without decoration.
fn parameter_name(cell: &str) -> String {
    if let Some(rest) = cell.strip_prefix('`')
        && let Some((name, _)) = rest.split_once('`')
    {
        return name.trim().to_owned();
    }
    clean_cell(cell)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_hide_headings_and_tables() {
        let text = "---\ntitle: x\n---\n# Page\n```shell\n# not a heading\n| Attribute | Type | Required | Description |\n```\n## Section\n";
        let source = Source::new(text);
        let kinds: Vec<Kind<'_>> = source.lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            [
                Kind::FrontMatter,
                Kind::FrontMatter,
                Kind::FrontMatter,
                Kind::Heading(1),
                Kind::Fence,
                Kind::Code("shell"),
                Kind::Code("shell"),
                Kind::Fence,
                Kind::Heading(2),
            ]
        );
        assert!(source.is_markdown());
        assert!(source.table(0, text.len()).is_empty(), "a table inside a fence is code");
    }

    #[test]
    fn rows_keep_escaped_bars_and_code_spans_whole() {
        assert_eq!(cells("| `a|b` | x \\| y | z |"), ["`a|b`", "x \\| y", "z"]);
        assert_eq!(cells("| a | b"), ["a", "b"]);
        assert_eq!(parameter_name("`job_token` **(PREMIUM)**"), "job_token");
        assert_eq!(parameter_name("**id**"), "id");
    }
}
