//! Reads a captured GitLab docs page (the Jobs API, the Job Artifacts API)
//! into endpoints: title, method, path, parameter table and example JSON.
//!
//! The captures come in five formats, recognised from their content:
//! - markdown source with every newline flattened into a space (one line),
//! - markdown source as committed, line by line (see `markdown`),
//! - rendered text whose table cells are broken across lines ending in `|`,
//! - rendered text whose tables are rows of space-separated cells,
//! - the same, rendered by a Debian source mirror with header lines first.
//!
//! Endpoints are found structurally (a `GET /path` declaration), tables by their
//! `Attribute Type Required Description` header, and examples by reading JSON
//! wherever a value starts (in markdown source, inside code fences). Only
//! titles of rendered or flattened pages need a
//! heuristic, and they serve only as summaries. Nothing here panics on any
//! input: a page that cannot be read yields a [`ParseError`] naming the file
//! and what was missing.

pub mod index;
mod markdown;
pub mod routes;

use std::fmt;

use serde_json::Value;

pub use index::{FIXTURES, Family, INDEX, PAGES_DIR, families, find, find_mut, load_pages};
pub use routes::{Route, param_schema, routes};

/// How a page is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Markdown source flattened into a single line.
    FlatMarkdown,
    /// Markdown source as committed: headings, fences and table rows on lines of their own.
    Markdown,
    /// Rendered text, table cells split across lines ending in `|`.
    PipeTables,
    /// Rendered text, table rows as space-separated cells.
    SpaceTables,
    /// Space-separated tables, from a Debian source mirror with header lines first.
    DebianMirror,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::FlatMarkdown => "flattened markdown",
            Format::Markdown => "markdown source",
            Format::PipeTables => "text with pipe tables",
            Format::SpaceTables => "text with space tables",
            Format::DebianMirror => "Debian mirror text",
        })
    }
}

/// One row of a parameter table.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    pub name: String,
    /// As the docs write it: `integer`, `integer/string`, `string or array of strings`, …
    pub ty: String,
    pub required: bool,
    pub description: String,
}

/// One endpoint of a page.
#[derive(Clone, Debug, PartialEq)]
pub struct Endpoint {
    pub title: String,
    pub method: String,
    /// With `:name` (and `*name`) parameters, as the docs write it, without
    /// the query some docs show after it (`?job=name`).
    pub path: String,
    pub params: Vec<Param>,
    pub request_example: Option<Value>,
    pub response_example: Option<Value>,
}

impl Endpoint {
    /// `GET /projects/{id}/jobs`: the route as OpenAPI writes it.
    pub fn route(&self) -> String {
        format!("{} {}", self.method, openapi_path(&self.path))
    }
}

/// A parsed page.
#[derive(Clone, Debug)]
pub struct Page {
    /// `spec/docs/004_8e66e6f090344155.txt`
    pub file: String,
    /// The family of pages it belongs to, from the index (empty for a page
    /// parsed on its own).
    pub family: Family,
    /// The GitLab releases it describes, from the index (empty for a page
    /// parsed on its own).
    pub era: String,
    pub format: Format,
    pub endpoints: Vec<Endpoint>,
}

impl Page {
    /// The file name without folder and extension: `004_8e66e6f090344155`.
    pub fn stem(&self) -> String {
        std::path::Path::new(&self.file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

/// A page that could not be read, naming the file and what was not found.
#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub file: String,
    pub what: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.what)
    }
}

impl std::error::Error for ParseError {}

/// `/projects/:id/jobs` → `/projects/{id}/jobs`; a wildcard segment
/// (`*artifact_path`, the rest of the path) is a parameter too.
pub fn openapi_path(path: &str) -> String {
    path.split('/')
        .map(|seg| match seg.strip_prefix(':').or_else(|| seg.strip_prefix('*')) {
            Some(name) => format!("{{{name}}}"),
            None => seg.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];
const TABLE_HEADER: [&str; 4] = ["Attribute", "Type", "Required", "Description"];

/// Recognises the format of `text` from its content.
pub fn detect(text: &str) -> Option<Format> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 3 && text.contains("```") {
        return Some(Format::FlatMarkdown);
    }
    if markdown::Source::new(text).is_markdown() {
        return Some(Format::Markdown);
    }
    if lines.iter().any(|l| l.trim_start().starts_with("---|")) {
        return Some(Format::PipeTables);
    }
    let has_space_table = lines.iter().any(|l| is_space_header(l));
    let first = lines.iter().map(|l| l.trim()).find(|l| !l.is_empty()).unwrap_or("");
    let has_size_line = lines.iter().take(12).any(|l| {
        let mut parts = l.split_whitespace();
        matches!((parts.next(), parts.next(), parts.next()), (Some(n), Some("KiB" | "MiB" | "B"), None) if n.parse::<f64>().is_ok())
    });
    if has_space_table && first.ends_with(".md") && has_size_line {
        return Some(Format::DebianMirror);
    }
    has_space_table.then_some(Format::SpaceTables)
}

/// Parses one page. `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Page, ParseError> {
    let error = |what: String| ParseError { file: file.to_owned(), what };
    let format = detect(text).ok_or_else(|| {
        error(
            "format not recognised: found no markdown fences on a single line, no markdown headings and code \
             fences on lines of their own, no `---|` pipe tables and no `Attribute Type Required Description` \
             table header"
                .into(),
        )
    })?;
    let source = (format == Format::Markdown).then(|| markdown::Source::new(text));
    let declarations = match (format, &source) {
        (Format::FlatMarkdown, _) => flat_declarations(text),
        (_, Some(source)) => source.declarations(),
        _ => line_declarations(text),
    };
    if declarations.is_empty() {
        return Err(error("found no endpoint declaration (a line such as `GET /projects/:id/jobs`)".into()));
    }
    let mut endpoints = Vec::new();
    let mut window_start = 0;
    for (i, decl) in declarations.iter().enumerate() {
        let next = declarations.get(i + 1).map_or(text.len(), |next| next.start);
        // A markdown section ends at the next heading of its level; other
        // formats lost their headings, so an endpoint runs to the next one.
        let end = source.as_ref().map_or(next, |s| s.section_end(decl, next));
        let region = text.get(decl.end..end).unwrap_or("");
        let title = match (format, &source) {
            (Format::FlatMarkdown, _) => flat_title(text.get(..decl.start).unwrap_or("")),
            (_, Some(source)) => source.title(decl),
            _ => line_title(text.get(window_start..decl.start).unwrap_or(""), i == 0),
        };
        let params = match (format, &source) {
            (Format::FlatMarkdown, _) => flat_table(region),
            (_, Some(source)) => source.table(decl.end, end),
            (Format::PipeTables, _) => pipe_table(region),
            _ => space_table(region),
        };
        // Markdown keeps its examples in code fences; elsewhere JSON is read
        // wherever a value starts.
        let examples = source.as_ref().map_or_else(|| json_values(region), |s| s.examples(decl.end, end, text));
        let param_names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
        let (requests, responses): (Vec<_>, Vec<_>) = examples.into_iter().partition(|(_, v)| {
            v.as_object().is_some_and(|o| !o.is_empty() && o.keys().all(|k| param_names.contains(&k.as_str())))
        });
        let route = format!("{} {}", decl.method, decl.path);
        let announces_response = ["Example of response", "Example response"].iter().any(|m| region.contains(m));
        if announces_response && responses.is_empty() {
            return Err(error(format!("{route}: an example response is announced but no JSON could be read after it")));
        }
        // Where the next title may start: after this endpoint's last example,
        // or after its declaration when it has none.
        window_start = responses.last().or(requests.last()).map_or(decl.end, |(at, _)| decl.end + at);
        endpoints.push(Endpoint {
            title: title.unwrap_or_else(|| route.clone()),
            method: decl.method.clone(),
            path: decl.path.clone(),
            params,
            request_example: requests.into_iter().next().map(|(_, v)| v),
            response_example: responses.into_iter().last().map(|(_, v)| v),
        });
    }
    Ok(Page { file: file.to_owned(), family: Family::default(), era: String::new(), format, endpoints })
}

#[derive(Debug)]
struct Declaration {
    method: String,
    path: String,
    /// Byte offsets of the declaration in the page.
    start: usize,
    end: usize,
}

/// `METHOD /path` alone on a line.
fn line_declarations(text: &str) -> Vec<Declaration> {
    let mut found = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some((method, path)) = declaration(line.trim()) {
            found.push(Declaration { method, path, start: offset, end: offset + line.len() });
        }
        offset += line.len();
    }
    found
}

/// `METHOD /path` as the whole content of a code fence: ```` ```plaintext GET /job ``` ````.
fn flat_declarations(text: &str) -> Vec<Declaration> {
    let mut found = Vec::new();
    let mut search = 0;
    while let Some(open) = text.get(search..).and_then(|t| t.find("```")).map(|i| search + i) {
        let after = open + 3;
        let Some(close) = text.get(after..).and_then(|t| t.find("```")).map(|i| after + i) else { break };
        let inner = text.get(after..close).unwrap_or("").trim();
        // Drop the fence's language word, if any.
        let body = match inner.split_once(char::is_whitespace) {
            Some((lang, rest)) if !METHODS.contains(&lang) => rest.trim(),
            _ => inner,
        };
        if let Some((method, path)) = fenced_declaration(body) {
            found.push(Declaration { method, path, start: open, end: close + 3 });
        }
        search = close + 3;
    }
    found
}

fn declaration(s: &str) -> Option<(String, String)> {
    let (method, path) = s.split_once(' ')?;
    let ok = METHODS.contains(&method)
        && path.starts_with('/')
        && !path.contains(char::is_whitespace)
        && path.chars().all(|c| c.is_ascii_alphanumeric() || "/:*_-.{}".contains(c));
    ok.then(|| (method.to_owned(), path.to_owned()))
}

/// A declaration that is the whole content of a code fence, where the docs
/// may write the query a route needs after its path (`GET /x/download?job=name`):
/// the query is left out (its parameters are in the table), and so is
/// anything else after a `?`, which then is no declaration at all.
fn fenced_declaration(s: &str) -> Option<(String, String)> {
    let (method, path) = s.split_once(' ')?;
    let path = match path.split_once('?') {
        Some((path, query)) if is_query(query) => path,
        Some(_) => return None,
        None => path,
    };
    declaration(&format!("{method} {path}"))
}

/// `job=name&x=y`: pairs of plain words, as a declaration shows a query.
fn is_query(query: &str) -> bool {
    let word = |w: &str| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c));
    query.split('&').all(|pair| pair.split_once('=').is_some_and(|(k, v)| word(k) && word(v)))
}

/// In flattened markdown the heading runs into the text after it; it ends at
/// a marker (` > `, ` **(`, a fence, a table) or where a new sentence begins:
/// the second word written in sentence case (`Get`, `Retrieve`, `For`).
fn flat_title(before: &str) -> Option<String> {
    let at = before.rfind("## ")?;
    let mut heading = before.get(at + 3..)?;
    for marker in [" > ", " **(", " ```", " |"] {
        if let Some(i) = heading.find(marker) {
            heading = heading.get(..i).unwrap_or(heading);
        }
    }
    let title = until_next_sentence(heading);
    (!title.is_empty()).then(|| title.trim_start_matches('#').trim().to_owned())
}

/// The words of `text` before the second word written in sentence case
/// (`Get`, `Retrieve`, `For`; not `GitLab` or `CI_JOB_TOKEN`) or a label such
/// as `DETAILS:`, where a heading that lost its line break runs into the
/// paragraph after it.
fn until_next_sentence(text: &str) -> String {
    let mut words = Vec::new();
    for word in text.split_whitespace() {
        let mut chars = word.chars();
        let sentence_case = chars.next().is_some_and(char::is_uppercase) && chars.all(|c| !c.is_uppercase());
        if (sentence_case || word.ends_with(':')) && !words.is_empty() {
            break;
        }
        words.push(word);
    }
    words.join(" ")
}

/// Lines that look like a section heading: short, capitalised, not a sentence,
/// not code, not a table row and not the docs' recurring labels.
fn heading_like(line: &str) -> bool {
    const LABELS: [&str; 12] = [
        "Example of response",
        "Example response",
        "Example request",
        "Example of request",
        "Parameters",
        "Supported attributes",
        "Possible response status codes",
        "Status Description",
        "Attribute Type Required Description",
        "note",
        "NOTE",
        "This endpoint",
    ];
    let line = line.trim();
    let words = line.split_whitespace().count();
    (1..=9).contains(&words)
        && line.chars().next().is_some_and(char::is_uppercase)
        && !line.ends_with(['.', ',', ':'])
        && !line.contains([':', '|', '"', '/', '{', '}', '[', ']'])
        && !line.contains("curl")
        && !LABELS.iter().any(|label| label.starts_with(line.trim_end_matches(':')))
        // A lone identifier (`CI_JOB_TOKEN`) is a code span that lost its line.
        && !(words == 1 && (line.contains('_') || line.chars().all(|c| !c.is_lowercase())))
}

/// The title is the first heading-like line after the previous endpoint's
/// content; before the first endpoint, the page's own title comes first.
fn line_title(window: &str, first: bool) -> Option<String> {
    let candidates: Vec<String> = window
        .lines()
        .map(str::trim)
        .filter_map(|line| {
            if heading_like(line) {
                return Some(line.to_owned());
            }
            // A heading whose line break was lost in the capture.
            let prefix = until_next_sentence(line);
            let words = prefix.split_whitespace().count();
            (prefix.len() < line.len() && words >= 3 && heading_like(&prefix)).then_some(prefix)
        })
        .collect();
    let pick = if first && candidates.len() > 1 { candidates.get(1) } else { candidates.first() };
    pick.cloned()
}

/// A table cell without markdown decoration (`code`, **bold**).
fn clean_cell(cell: &str) -> String {
    cell.replace("**", "").trim().trim_matches('`').trim().to_owned()
}

fn row(cells: &[String]) -> Option<Param> {
    let [name, ty, required, description] = cells else { return None };
    let required = match required.to_ascii_lowercase().as_str() {
        "yes" => true,
        "no" => false,
        _ => return None,
    };
    (!name.is_empty()).then(|| Param { name: name.clone(), ty: ty.clone(), required, description: description.clone() })
}

fn is_header(cells: &[String]) -> bool {
    cells.len() == 4 && cells.iter().zip(TABLE_HEADER).all(|(c, h)| c == h)
}

/// `| Attribute | Type | Required | Description | |---|…| | `id` | … |` on one line.
fn flat_table(region: &str) -> Vec<Param> {
    let Some(start) = region.find("| Attribute |") else { return Vec::new() };
    let mut rest = region.get(start..).unwrap_or("");
    let mut params = Vec::new();
    let mut seen_header = false;
    loop {
        rest = rest.trim_start();
        if !rest.starts_with('|') {
            break;
        }
        // A row is `|` followed by four cells, each closed by `|`.
        let mut cells = Vec::new();
        let mut cursor = rest.get(1..).unwrap_or("");
        for _ in 0..4 {
            let Some(bar) = cursor.find('|') else { break };
            cells.push(clean_cell(cursor.get(..bar).unwrap_or("")));
            cursor = cursor.get(bar + 1..).unwrap_or("");
        }
        if cells.len() < 4 {
            break;
        }
        rest = cursor;
        if is_header(&cells) {
            seen_header = true;
        } else if cells.iter().all(|c| c.chars().all(|ch| ch == '-' || ch == ':')) {
            continue;
        } else if seen_header {
            match row(&cells) {
                Some(param) => params.push(param),
                None => break,
            }
        }
    }
    params
}

/// A header line `Attribute | Type | Required | Description |`, a `---|` line,
/// then cells across lines, each ending in `|`, four to a row.
fn pipe_table(region: &str) -> Vec<Param> {
    let lines: Vec<&str> = region.lines().map(str::trim).collect();
    let Some(header) = lines
        .iter()
        .position(|l| is_header(&l.split('|').map(clean_cell).filter(|c| !c.is_empty()).collect::<Vec<_>>()))
    else {
        return Vec::new();
    };
    let body: Vec<&str> = lines
        .iter()
        .skip(header + 1)
        .skip_while(|l| l.starts_with("---|"))
        .take_while(|l| l.ends_with('|'))
        .copied()
        .collect();
    let cells: Vec<String> = body.join(" ").split('|').map(clean_cell).collect();
    // Splitting "a | b | c | d |" leaves one empty piece after the last bar.
    cells.chunks(4).filter(|chunk| chunk.len() == 4).map_while(row).collect()
}

fn is_space_header(line: &str) -> bool {
    line.split_whitespace().eq(TABLE_HEADER)
}

/// `Attribute Type Required Description`, then one row per line:
/// `name type words… Yes|No description…`.
fn space_table(region: &str) -> Vec<Param> {
    let mut lines = region.lines().skip_while(|l| !is_space_header(l));
    if lines.next().is_none() {
        return Vec::new();
    }
    lines
        .map_while(|line| {
            let tokens: Vec<&str> = line.split_whitespace().collect();
            let k = tokens.iter().skip(2).position(|t| matches!(*t, "Yes" | "No" | "yes" | "no"))? + 2;
            let cells = [
                clean_cell(tokens.first()?),
                tokens.get(1..k)?.join(" "),
                tokens.get(k)?.to_string(),
                tokens.get(k + 1..)?.join(" "),
            ];
            row(&cells)
        })
        .collect()
}

/// Every JSON object or array in `region` that holds data (not `[]` from a
/// `scope[]` in a URL), with the byte offset just after it.
fn json_values(region: &str) -> Vec<(usize, Value)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < region.len() {
        let Some(next) = region.get(i..).and_then(|t| t.find(['{', '['])) else { break };
        let start = i + next;
        let mut stream = serde_json::Deserializer::from_str(region.get(start..).unwrap_or("")).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) if holds_data(&value) => {
                let end = start + stream.byte_offset();
                found.push((end, value));
                i = end;
            }
            _ => i = start + 1,
        }
    }
    found
}

fn holds_data(value: &Value) -> bool {
    match value {
        Value::Object(o) => !o.is_empty(),
        Value::Array(items) => items.iter().any(Value::is_object),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_whole_lines_or_whole_fences() {
        assert_eq!(declaration("GET /projects/:id/jobs"), Some(("GET".into(), "/projects/:id/jobs".into())));
        assert_eq!(declaration("GET /projects/:id/jobs?scope[]=x"), None);
        assert_eq!(declaration("curl --header x"), None);
        let flat = "text ```plaintext GET /job ``` more ```shell curl x ``` ```POST /a/:b/c```";
        let found: Vec<_> = flat_declarations(flat).into_iter().map(|d| format!("{} {}", d.method, d.path)).collect();
        assert_eq!(found, ["GET /job", "POST /a/:b/c"]);
    }

    #[test]
    fn a_fenced_declaration_may_show_a_query_and_a_wildcard() {
        assert_eq!(
            fenced_declaration("GET /projects/:id/jobs/artifacts/:ref_name/download?job=name"),
            Some(("GET".into(), "/projects/:id/jobs/artifacts/:ref_name/download".into()))
        );
        assert_eq!(fenced_declaration("GET /a?job=name and more"), None);
        assert_eq!(fenced_declaration("GET /a?not a query"), None);
        assert_eq!(declaration("GET /a?job=name"), None, "outside a fence, a query is a URL in prose");
        assert_eq!(
            openapi_path("/projects/:id/jobs/:job_id/artifacts/*artifact_path"),
            "/projects/{id}/jobs/{job_id}/artifacts/{artifact_path}"
        );
    }

    #[test]
    fn flat_titles_end_where_the_next_sentence_begins() {
        assert_eq!(flat_title("x ## List project jobs > Support for").as_deref(), Some("List project jobs"));
        assert_eq!(
            flat_title("## Get a single job Get a single job of a project").as_deref(),
            Some("Get a single job")
        );
        assert_eq!(
            flat_title("## Get GitLab agent by `CI_JOB_TOKEN` **(PREMIUM)** Retrieve").as_deref(),
            Some("Get GitLab agent by `CI_JOB_TOKEN`")
        );
        assert_eq!(flat_title("## Run a job For a job in manual status").as_deref(), Some("Run a job"));
        assert_eq!(flat_title("no heading"), None);
    }

    #[test]
    fn space_rows_split_at_the_required_column() {
        let params = space_table(
            "Attribute Type Required Description\nscope string or array of strings No Scope of jobs to show.\nid integer/string yes ID.\ncurl x",
        );
        assert_eq!(params.len(), 2);
        assert_eq!(params[0].ty, "string or array of strings");
        assert!(!params[0].required && params[1].required);
    }

    #[test]
    fn stray_brackets_are_not_examples() {
        let found = json_values("curl \"x?scope[]=pending\" [link](a) {\"a\": 1} [] [{\"b\": 2}]");
        let values: Vec<_> = found.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, [serde_json::json!({"a": 1}), serde_json::json!([{"b": 2}])]);
    }
}
