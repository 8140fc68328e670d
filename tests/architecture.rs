//! The layers of `src/` stay layers (ARCHITECTURE.md): no file depends on
//! another that depends back on it, directly or round a longer circle, and
//! only the operation table spells operation ids.
//!
//! What the check reads, in every `src/**/*.rs` and in the generated code
//! (`gitlab_jobs::GENERATED_SOURCE`, as the node `generated`), with comments,
//! strings and character literals blanked out first:
//! - `use` declarations. A plain `use` is a dependency on what it names; a
//!   `pub use` / `pub(crate) use` is a re-export, an alias that others see
//!   through, and a dependency only where the file's own code uses the name.
//! - Paths in code that start with `crate::`, `super::`, `self::` or the name
//!   of a child module the file declares (`mod page;` … `page::fetch`).
//! - Names brought in by `use` and used in the file's code.
//!
//! A path is resolved to the file that defines it: the longest module prefix
//! that is a file, then through re-exports (`crate::Client` is the generated
//! code; `crate::log::LogSummary` is `src/log/summary.rs`). Method calls are
//! not seen: they name no path.

#[path = "../spec/load.rs"]
mod spec;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

/// The node of the generated code, which lib.rs includes.
const GENERATED: &str = "generated";

/// The hand-written file that may spell operation ids.
const TABLE: &str = "operations";

// ---------------------------------------------------------------- lexing

/// A file's code with comments and literals blanked out, and its string
/// literals' contents.
struct Lexed {
    code: String,
    strings: Vec<String>,
}

/// Blanks out comments, strings and character literals (keeping line breaks),
/// so that only code is left to scan.
fn lex(source: &str) -> Lexed {
    let chars: Vec<char> = source.chars().collect();
    let mut code = String::with_capacity(source.len());
    let mut strings = Vec::new();
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                    continue;
                }
                if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                    continue;
                }
                code.push(blank(chars[i]));
                i += 1;
            }
            continue;
        }
        // Raw strings: r"…", r#"…"#, br"…".
        let raw_start = match (c, next) {
            ('r', Some('"' | '#')) => Some(i + 1),
            ('b', Some('r')) if matches!(chars.get(i + 2), Some('"' | '#')) => Some(i + 2),
            _ => None,
        };
        let word_before = i > 0 && (chars[i - 1].is_alphanumeric() || chars[i - 1] == '_');
        if let Some(mut j) = raw_start.filter(|_| !word_before) {
            let mut hashes = 0;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) == Some(&'"') {
                let closing: String = std::iter::once('"').chain(std::iter::repeat_n('#', hashes)).collect();
                let body_start = j + 1;
                let rest: String = chars[body_start..].iter().collect();
                let len = rest.find(&closing).map_or(rest.len(), |at| rest[..at].chars().count());
                strings.push(chars[body_start..body_start + len].iter().collect());
                let end = (body_start + len + closing.chars().count()).min(chars.len());
                code.extend(chars[i..end].iter().map(|&c| blank(c)));
                i = end;
                continue;
            }
        }
        if c == '"' {
            let mut j = i + 1;
            let mut text = String::new();
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    text.push(chars[j]);
                    j += 1;
                }
                if let Some(&c) = chars.get(j) {
                    text.push(c);
                }
                j += 1;
            }
            strings.push(text);
            let end = (j + 1).min(chars.len());
            code.extend(chars[i..end].iter().map(|&c| blank(c)));
            i = end;
            continue;
        }
        if c == '\'' {
            // A character literal ('x', '\n', '\u{1b}'), not a lifetime ('a).
            let end = if next == Some('\\') {
                chars.get(i + 3..).and_then(|rest| rest.iter().position(|&c| c == '\'')).map(|p| i + 3 + p + 1)
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 3)
            } else {
                None
            };
            if let Some(end) = end {
                code.extend(chars[i..end].iter().map(|&c| blank(c)));
                i = end;
                continue;
            }
        }
        code.push(c);
        i += 1;
    }
    Lexed { code, strings }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

fn tokens(code: &str) -> Vec<Token> {
    let chars: Vec<char> = code.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_alphabetic() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------- modules

/// A module of the crate and what its file says.
struct Module {
    /// `transport::exchange`; the crate root is "".
    path: String,
    /// For messages: `src/transport/exchange.rs`.
    file: String,
    /// Child modules it declares (`mod x;`, `mod x { … }`).
    children: BTreeSet<String>,
    /// Names it re-exports (`pub use`): name → the path it stands for.
    aliases: BTreeMap<String, Vec<String>>,
    /// Modules it re-exports whole (`pub use x::*`).
    globs: Vec<Vec<String>>,
    /// Names imported with a plain `use`: name → path.
    imports: BTreeMap<String, Vec<String>>,
    /// Paths its code uses outside `use` declarations, and the names it uses.
    code_paths: Vec<Vec<String>>,
    code_names: BTreeSet<String>,
    /// The leaves of its plain `use` declarations.
    use_leaves: Vec<Vec<String>>,
    strings: Vec<String>,
}

/// The leaves of a use tree: each one's path, the name it binds, and whether
/// it is a glob.
fn use_tree(
    tokens: &[Token],
    at: &mut usize,
    prefix: &[String],
    leaves: &mut Vec<(Vec<String>, Option<String>, bool)>,
) {
    let mut path = prefix.to_vec();
    loop {
        match tokens.get(*at) {
            Some(Token::Ident(word)) if word == "as" => {
                let alias = match tokens.get(*at + 1) {
                    Some(Token::Ident(alias)) => Some(alias.clone()),
                    _ => None,
                };
                *at += 2;
                leaves.push((path, alias, false));
                return;
            }
            Some(Token::Ident(name)) => {
                path.push(name.clone());
                *at += 1;
            }
            Some(Token::PathSep) => *at += 1,
            Some(Token::Punct('{')) => {
                *at += 1;
                while !matches!(tokens.get(*at), None | Some(Token::Punct('}'))) {
                    use_tree(tokens, at, &path, leaves);
                    if tokens.get(*at) == Some(&Token::Punct(',')) {
                        *at += 1;
                    }
                }
                *at += 1;
                return;
            }
            Some(Token::Punct('*')) => {
                *at += 1;
                leaves.push((path, None, true));
                return;
            }
            _ => break,
        }
    }
    let name = path.last().cloned();
    leaves.push((path, name, false));
}

fn read_module(path: String, file: String, source: &str) -> Module {
    let lexed = lex(source);
    let tokens = tokens(&lexed.code);
    let mut module = Module {
        path,
        file,
        children: BTreeSet::new(),
        aliases: BTreeMap::new(),
        globs: Vec::new(),
        imports: BTreeMap::new(),
        code_paths: Vec::new(),
        code_names: BTreeSet::new(),
        use_leaves: Vec::new(),
        strings: lexed.strings,
    };
    // Inline modules (`mod tests { … }`) being read, with the brace depth at
    // which each began: `super::` inside one names the file itself.
    let mut inline: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < tokens.len() {
        let ident = |at: usize| match tokens.get(at) {
            Some(Token::Ident(name)) => Some(name.as_str()),
            _ => None,
        };
        match tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last() == Some(&depth) {
                    inline.pop();
                }
            }
            _ => {}
        }
        // `mod name;` or `mod name {`
        if ident(i) == Some("mod")
            && let Some(name) = ident(i + 1)
        {
            if inline.is_empty() {
                module.children.insert(name.to_owned());
            }
            if tokens.get(i + 2) == Some(&Token::Punct('{')) {
                inline.push(depth);
                depth += 1;
                i += 3;
            } else {
                i += 2;
            }
            continue;
        }
        let from_file = |path: Vec<String>| relative_to_file(path, inline.len());
        if ident(i) == Some("use") {
            // `pub use`, `pub(crate) use`, `pub(super) use`: a re-export.
            let public = (i >= 1 && ident(i - 1) == Some("pub"))
                || (i >= 4 && ident(i - 4) == Some("pub") && tokens.get(i - 1) == Some(&Token::Punct(')')));
            let mut at = i + 1;
            let mut leaves = Vec::new();
            use_tree(&tokens, &mut at, &[], &mut leaves);
            for (path, name, glob) in leaves {
                let path = from_file(normalise(path));
                let name = name.map(|name| if name == "self" { path.last().cloned().unwrap_or(name) } else { name });
                match (public && inline.is_empty(), glob, name) {
                    (true, true, _) => module.globs.push(path),
                    (true, false, Some(name)) => {
                        module.aliases.insert(name, path);
                    }
                    (false, false, Some(name)) => {
                        module.imports.insert(name, path.clone());
                        module.use_leaves.push(path);
                    }
                    (false, true, _) => module.use_leaves.push(path),
                    _ => {}
                }
            }
            i = at;
            continue;
        }
        if let Some(first) = ident(i) {
            // A path in code: `a::b::c`, not preceded by `::`.
            let after_sep = i >= 1 && tokens[i - 1] == Token::PathSep;
            if !after_sep {
                let mut path = vec![first.to_owned()];
                let mut at = i + 1;
                while tokens.get(at) == Some(&Token::PathSep) {
                    match tokens.get(at + 1) {
                        Some(Token::Ident(next)) => path.push(next.clone()),
                        _ => break,
                    }
                    at += 2;
                }
                module.code_names.insert(first.to_owned());
                if path.len() > 1 {
                    module.code_paths.push(from_file(path));
                }
                i = at.max(i + 1);
                continue;
            }
        }
        i += 1;
    }
    module
}

/// A path written inside `inline` nested inline modules, as the file itself
/// would write it: `super::x` one module deep is `self::x`.
fn relative_to_file(path: Vec<String>, inline: usize) -> Vec<String> {
    if inline == 0 {
        return path;
    }
    match path.first().map(String::as_str) {
        Some("super") => {
            let supers = path.iter().take_while(|s| *s == "super").count();
            let rest = path[supers..].iter().cloned();
            if supers <= inline {
                std::iter::once("self".to_owned()).chain(rest).collect()
            } else {
                std::iter::repeat_n("super".to_owned(), supers - inline).chain(rest).collect()
            }
        }
        // Its own items and children: the file itself.
        Some("self") => path,
        Some("crate" | "$crate") => path,
        _ => std::iter::once("self".to_owned()).collect(),
    }
}

/// `self` at the end of a use path names the module before it.
fn normalise(mut path: Vec<String>) -> Vec<String> {
    if path.last().is_some_and(|s| s == "self") {
        path.pop();
    }
    path
}

struct Crate {
    modules: BTreeMap<String, Module>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut modules = BTreeMap::new();
        for file in rust_files(src) {
            let relative = file.strip_prefix(src).unwrap().to_string_lossy().replace('\\', "/");
            let path = relative.trim_end_matches(".rs").trim_end_matches("/mod").replace('/', "::");
            let path = if path == "lib" { String::new() } else { path };
            let source = std::fs::read_to_string(&file).unwrap();
            modules.insert(path.clone(), read_module(path, format!("src/{relative}"), &source));
        }
        let generated = read_module(GENERATED.into(), "the generated code".into(), gitlab_jobs::GENERATED_SOURCE);
        modules.insert(GENERATED.into(), generated);
        Crate { modules }
    }

    /// The absolute path (from the crate root) of `path` as written in `module`.
    fn absolute(&self, module: &Module, path: &[String]) -> Option<Vec<String>> {
        let mut base: Vec<String> =
            if module.path.is_empty() { vec![] } else { module.path.split("::").map(str::to_owned).collect() };
        let mut rest = path;
        match rest.first().map(String::as_str) {
            Some("crate" | "$crate") => {
                base.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().is_some_and(|s| s == "super") {
                    base.pop();
                    rest = &rest[1..];
                }
            }
            // A child module, an item of the module itself (a macro it
            // re-exports), or another crate (`std::…`), which resolves to the
            // module itself and so adds no edge.
            _ => {}
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    /// The module (file) that defines what the absolute `path` names.
    fn resolve(&self, path: &[String], depth: usize) -> Option<String> {
        if depth > 16 {
            return None;
        }
        // The longest prefix that is a module of its own.
        let mut split = path.len();
        while split > 0 && !self.modules.contains_key(&path[..split].join("::")) {
            split -= 1;
        }
        let owner = path[..split].join("::");
        let module = self.modules.get(&owner)?;
        let Some(item) = path.get(split) else { return Some(owner) };
        let rest = &path[split + 1..];
        // Through a re-export to where the item lives.
        let target = module.aliases.get(item).cloned().or_else(|| {
            module.globs.iter().find_map(|glob| {
                let mut candidate = glob.clone();
                candidate.push(item.clone());
                let absolute = self.absolute(module, &candidate)?;
                self.resolve(&absolute, depth + 1).map(|_| candidate)
            })
        });
        match target {
            Some(target) => {
                let mut absolute = self.absolute(module, &target)?;
                absolute.extend(rest.iter().cloned());
                // A re-export of the module's own item (`pub(crate) use m;` of a macro).
                if absolute == path {
                    return Some(owner);
                }
                self.resolve(&absolute, depth + 1)
            }
            None if owner.is_empty() && (item == "generated") => Some(GENERATED.into()),
            None => Some(owner),
        }
    }

    /// Every file each file depends on.
    fn edges(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut edges = BTreeMap::new();
        for module in self.modules.values() {
            let mut targets = BTreeSet::new();
            let mut add = |path: &[String]| {
                if let Some(absolute) = self.absolute(module, path)
                    && let Some(target) = self.resolve(&absolute, 0)
                    && target != module.path
                {
                    targets.insert(target);
                }
            };
            module.use_leaves.iter().for_each(|p| add(p));
            module.code_paths.iter().for_each(|p| add(p));
            // Re-exported names that the file's own code uses.
            for (name, path) in &module.aliases {
                if module.code_names.contains(name) {
                    add(path);
                }
            }
            edges.insert(module.path.clone(), targets);
        }
        edges
    }

    fn name(&self, module: &str) -> String {
        self.modules.get(module).map_or_else(|| module.to_owned(), |m| m.file.clone())
    }
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// A circle of dependencies, if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done,
    }
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        marks: &mut BTreeMap<String, Mark>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_owned(), Mark::Open);
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            match marks.get(next).copied().unwrap_or(Mark::New) {
                Mark::Open => {
                    let from = stack.iter().position(|n| n == next).unwrap_or(0);
                    let mut cycle = stack[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, edges, marks, stack) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        stack.pop();
        marks.insert(node.to_owned(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    for node in edges.keys() {
        if marks.get(node).copied().unwrap_or(Mark::New) == Mark::New {
            let mut stack = Vec::new();
            if let Some(cycle) = visit(node, edges, &mut marks, &mut stack) {
                return Some(cycle);
            }
        }
    }
    None
}

fn the_crate() -> Crate {
    Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

// ---------------------------------------------------------------- tests

#[test]
fn no_file_of_src_depends_on_itself_through_others() {
    let krate = the_crate();
    let edges = krate.edges();
    if let Some(cycle) = find_cycle(&edges) {
        let names: Vec<String> = cycle.iter().map(|m| krate.name(m)).collect();
        panic!("an import circle: {}\nmove what both need into a lower file (ARCHITECTURE.md)", names.join(" -> "));
    }
}

#[test]
fn the_transport_imports_no_layer_above_it() {
    let krate = the_crate();
    let edges = krate.edges();
    for (module, targets) in &edges {
        if !module.starts_with("transport") {
            continue;
        }
        for target in targets {
            let below = target.starts_with("transport") || target == "error" || target.starts_with("error::");
            assert!(below, "{} imports {}: the transport knows no feature", krate.name(module), krate.name(target));
        }
    }
}

#[test]
fn the_check_sees_the_dependencies_it_must() {
    // Known edges of today's code: if the parse stopped seeing them, the
    // circle test would pass for the wrong reason.
    let krate = the_crate();
    let edges = krate.edges();
    let has = |from: &str, to: &str| edges.get(from).is_some_and(|t| t.contains(to));
    assert!(has("hooks", "transport::call"), "hooks -> transport/call.rs through mod.rs's re-export");
    assert!(has("hooks", GENERATED), "hooks -> generated (crate::Client)");
    assert!(has("log::summary", "log::decode"), "summary -> decode through log/mod.rs's re-export");
    assert!(has("pagination", "pagination::read_ahead"), "a parent's code using a child");
    assert!(has(GENERATED, "state"), "generated -> state (crate::ClientState)");
    assert!(has(GENERATED, "open_enum"), "generated -> open_enum (a macro re-exported where it is defined)");
    assert!(has("job_log::tail", "log::summary"), "crate::log::LogSummary");
    // And a circle is found where there is one.
    let mut with_circle = edges.clone();
    with_circle.entry("transport::call".into()).or_default().insert("hooks".into());
    assert!(find_cycle(&with_circle).is_some());
}

#[test]
fn only_the_operation_table_spells_operation_ids() {
    let spec = spec::load(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the spec loads");
    let ids: Vec<String> = spec::operations(&spec.json).iter().map(|op| op.id.to_owned()).collect();
    assert!(ids.len() >= 20, "{ids:?}");
    let krate = the_crate();
    let mut spelled = BTreeMap::<String, Vec<String>>::new();
    for module in krate.modules.values().filter(|m| m.path != GENERATED) {
        for text in &module.strings {
            if ids.iter().any(|id| id == text) {
                spelled.entry(module.path.clone()).or_default().push(text.clone());
            }
        }
    }
    let outside: Vec<_> = spelled.iter().filter(|(m, _)| m.as_str() != TABLE).collect();
    assert!(outside.is_empty(), "operation ids outside src/operations/mod.rs: {outside:?}");
    let in_table: BTreeSet<_> = spelled.get(TABLE).into_iter().flatten().cloned().collect();
    for id in &ids {
        assert!(in_table.contains(id), "`{id}` has no row in src/operations/mod.rs");
    }
}

#[test]
fn the_lexer_blanks_comments_and_strings_but_not_code() {
    let lexed = lex("use crate::a; // crate::b\nlet s = \"crate::c\"; /* crate::d */ let r = r#\"x\"#; 'a'; x::<'a>()");
    assert!(lexed.code.contains("crate::a") && !lexed.code.contains("crate::b") && !lexed.code.contains("crate::c"));
    assert!(!lexed.code.contains("crate::d") && lexed.code.contains("'a>"));
    assert_eq!(lexed.strings, ["crate::c", "x"]);
    let module = read_module(
        "m".into(),
        "m".into(),
        "use crate::{a::{self, B}, c::D as E};\npub use x::Y;\nfn f() { Y::new(); super::z(); }",
    );
    assert_eq!(module.imports.get("a"), Some(&vec!["crate".to_owned(), "a".to_owned()]));
    assert_eq!(module.imports.get("B"), Some(&vec!["crate".into(), "a".into(), "B".into()]));
    assert_eq!(module.imports.get("E"), Some(&vec!["crate".into(), "c".into(), "D".into()]));
    assert_eq!(module.aliases.get("Y"), Some(&vec!["x".to_owned(), "Y".to_owned()]));
    assert!(module.code_names.contains("Y"));
    assert!(module.code_paths.contains(&vec!["super".to_owned(), "z".to_owned()]));
}
