//! `cargo xtask api`: the public surface the spec generates, as a committed,
//! readable listing (`spec/api.txt`), so that a spec edit that changes what
//! users call or match on shows up in review, classified as breaking or not.
//!
//! The listing is read from the generated code exactly as it was compiled into
//! the crate (`gitlab_jobs::GENERATED_SOURCE`), one line per item:
//!
//! ```text
//! operation get_job: GET /projects/{id}/jobs/{job_id} -> Job
//! operation get_job setter job_id: i64 (required)
//! type Job field stage: String
//! enum SortDirection variant Asc = "asc"
//! open enum JobStatus variant Created = "created"
//! ```
//!
//! Each line is `<item>: <what it is>`; two listings are compared item by item.

use std::{collections::BTreeMap, fmt};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::{Fields, FnArg, GenericParam, ImplItem, Item, ItemImpl, ReturnType, Type, WherePredicate};

/// The committed listing, relative to the repository root.
pub const LISTING: &str = "spec/api.txt";
/// What brings the listing up to date.
pub const COMMAND: &str = "cargo xtask api";

const HEADER: &str = "\
# The public API that build.rs generates from spec/openapi.yaml, one item a line.
# Written by `cargo xtask api`; `cargo xtask check --check` fails when it differs
# from what the spec now generates, and prints each change as breaking or additive.
# Breaking: anything removed or changed (a field becoming Option, a setter's type),
# a new required field or setter, a new variant of a closed enum. Additive: a new
# operation, type, optional setter or optional field, a new variant of an open enum.
# Record breaking changes in CHANGELOG.md.
";

/// The listing of the generated code `source`.
pub fn listing(source: &str) -> Result<String, String> {
    let file = syn::parse_file(source).map_err(|e| format!("the generated code does not parse: {e}"))?;
    let mut lines = Vec::new();
    let mut routes = BTreeMap::new();
    let mut ranges = BTreeMap::new();
    for item in &file.items {
        match item {
            Item::Impl(block) if is_client(block) => routes.extend(client_routes(block)),
            Item::Mod(module) if module.ident == "parameter_ranges" => {
                ranges.extend(module.content.iter().flat_map(|(_, items)| parameter_ranges(items)))
            }
            _ => {}
        }
    }
    for item in &file.items {
        let Item::Mod(module) = item else { continue };
        let Some((_, items)) = &module.content else { continue };
        match module.ident.to_string().as_str() {
            "types" => lines.extend(types(items)),
            "builder" => lines.extend(operations(items, &routes, &ranges)),
            "open_enums" => lines.extend(open_enums(items)?),
            _ => {}
        }
    }
    // By item, so that a type's own line comes before its fields.
    lines.sort_by(|a, b| a.split_once(": ").map(|x| x.0).cmp(&b.split_once(": ").map(|x| x.0)));
    let mut text = HEADER.to_owned();
    for line in lines {
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

fn is_client(block: &ItemImpl) -> bool {
    block.trait_.is_none() && matches!(&*block.self_ty, Type::Path(p) if p.path.is_ident("Client"))
}

/// `get_job` → (`GET`, `/projects/{id}/jobs/{job_id}`), from the methods'
/// docs (progenitor writes "Sends a `GET` request to `/path`").
fn client_routes(block: &ItemImpl) -> Vec<(String, (String, String))> {
    let mut found = Vec::new();
    for item in &block.items {
        let ImplItem::Fn(method) = item else { continue };
        let docs: String = method
            .attrs
            .iter()
            .filter_map(|a| match &a.meta {
                syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                    syn::Expr::Lit(syn::ExprLit { lit: syn::Lit::Str(s), .. }) => Some(s.value()),
                    _ => None,
                },
                _ => None,
            })
            .collect();
        let Some((_, rest)) = docs.split_once("Sends a `") else { continue };
        let mut parts = rest.split('`');
        let (Some(method_name), Some(_), Some(path)) = (parts.next(), parts.next(), parts.next()) else { continue };
        found.push((method.sig.ident.to_string(), (method_name.to_owned(), path.to_owned())));
    }
    found
}

/// `ListProjectJobs` → `list_project_jobs`.
fn snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// (operation, parameter) → `1..=100`, from the generated range table.
fn parameter_ranges(items: &[Item]) -> Vec<((String, String), String)> {
    let mut found = Vec::new();
    for item in items {
        let Item::Const(table) = item else { continue };
        let syn::Expr::Reference(reference) = &*table.expr else { continue };
        let syn::Expr::Array(rows) = &*reference.expr else { continue };
        for row in &rows.elems {
            let syn::Expr::Tuple(row) = row else { continue };
            let cells: Vec<String> = row.elems.iter().map(|e| rust_tokens(e.to_token_stream())).collect();
            let [operation, parameter, minimum, maximum] = cells.as_slice() else { continue };
            let bound = |b: &str| b.strip_prefix("Some(").and_then(|b| b.strip_suffix(')')).unwrap_or("").to_owned();
            let range = match (bound(minimum), bound(maximum)) {
                (min, max) if max.is_empty() => format!("{min}.."),
                (min, max) => format!("{min}..={max}"),
            };
            found.push(((operation.trim_matches('"').to_owned(), parameter.trim_matches('"').to_owned()), range));
        }
    }
    found
}

/// The operations: each builder's route, success type and setters.
fn operations(
    items: &[Item],
    routes: &BTreeMap<String, (String, String)>,
    ranges: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    // Which builder fields start unset (`Result<T, _>`, not `Result<Option<T>, _>`).
    let mut required: BTreeMap<(String, String), bool> = BTreeMap::new();
    for item in items {
        if let Item::Struct(s) = item {
            for field in &s.fields {
                let Some(name) = &field.ident else { continue };
                let ty = rust_type(&field.ty);
                let optional = ty.starts_with("Result<Option<") || name == "body";
                required.insert((s.ident.to_string(), name.to_string()), !optional);
            }
        }
    }
    let mut lines = Vec::new();
    for item in items {
        let Item::Impl(block) = item else { continue };
        let Type::Path(path) = &*block.self_ty else { continue };
        let Some(builder) = path.path.segments.last().map(|s| s.ident.to_string()) else { continue };
        let operation = snake(&builder);
        for item in &block.items {
            let ImplItem::Fn(method) = item else { continue };
            let name = method.sig.ident.to_string();
            match name.as_str() {
                "new" => {}
                "send" => {
                    let success = match &method.sig.output {
                        ReturnType::Type(_, ty) => success_type(&rust_type(ty)),
                        ReturnType::Default => "()".to_owned(),
                    };
                    let (verb, route) = routes.get(&operation).cloned().unwrap_or_default();
                    lines.push(format!("operation {operation}: {verb} {route} -> {success}"));
                }
                _ => {
                    let what = setter_type(&method.sig);
                    let is_required = required.get(&(builder.clone(), name.clone())).copied().unwrap_or(false);
                    let range = match ranges.get(&(operation.clone(), name.clone())) {
                        Some(range) => format!(" in {range}"),
                        None => String::new(),
                    };
                    let flag = if is_required { " (required)" } else { "" };
                    lines.push(format!("operation {operation} setter {name}: {what}{range}{flag}"));
                }
            }
        }
    }
    lines
}

/// `Result<ResponseValue<Job>, Error<()>>` → `Job`.
fn success_type(ret: &str) -> String {
    ret.strip_prefix("Result<ResponseValue<")
        .and_then(|rest| rest.rsplit_once(">,"))
        .map(|(inner, _)| inner.to_owned())
        .unwrap_or_else(|| ret.to_owned())
}

/// What a setter takes: the bound on its generic parameter (`TryInto<T>` → `T`).
fn setter_type(sig: &syn::Signature) -> String {
    let bounds: Vec<String> = sig
        .generics
        .where_clause
        .iter()
        .flat_map(|w| &w.predicates)
        .filter_map(|p| match p {
            WherePredicate::Type(t) if sig.generics.params.iter().any(|g| is_param(g, &t.bounded_ty)) => {
                Some(t.bounds.iter().map(|b| rust_tokens(b.to_token_stream())).collect::<Vec<_>>().join(" + "))
            }
            _ => None,
        })
        .collect();
    let bound = bounds.join(", ");
    match bound.strip_prefix("TryInto<").and_then(|b| b.strip_suffix('>')) {
        Some(inner) => inner.to_owned(),
        None if bound.is_empty() => sig
            .inputs
            .iter()
            .filter_map(|a| match a {
                FnArg::Typed(t) => Some(rust_type(&t.ty)),
                FnArg::Receiver(_) => None,
            })
            .collect::<Vec<_>>()
            .join(", "),
        None => bound,
    }
}

fn is_param(param: &GenericParam, ty: &Type) -> bool {
    match (param, ty) {
        (GenericParam::Type(p), Type::Path(t)) => t.path.is_ident(&p.ident),
        _ => false,
    }
}

/// The structs and enums of `types`, without their builders.
fn types(items: &[Item]) -> Vec<String> {
    let mut lines = Vec::new();
    for item in items {
        match item {
            Item::Struct(s) => {
                lines.push(format!("type {}: struct", s.ident));
                if let Fields::Named(fields) = &s.fields {
                    for field in &fields.named {
                        if let Some(name) = &field.ident {
                            lines.push(format!("type {} field {}: {}", s.ident, name, rust_type(&field.ty)));
                        }
                    }
                }
            }
            Item::Enum(e) => {
                lines.push(format!("enum {}: closed", e.ident));
                for variant in &e.variants {
                    let wire = variant.attrs.iter().find_map(serde_rename);
                    let what = match (&variant.fields, wire) {
                        (Fields::Unit, Some(wire)) => format!("{wire:?}"),
                        (Fields::Unit, None) => "unit".to_owned(),
                        (fields, _) => rust_tokens(fields.to_token_stream()),
                    };
                    lines.push(format!("enum {} variant {}: {what}", e.ident, variant.ident));
                }
            }
            _ => {}
        }
    }
    lines
}

/// The value of `#[serde(rename = "…")]`.
fn serde_rename(attr: &syn::Attribute) -> Option<String> {
    if !attr.path().is_ident("serde") {
        return None;
    }
    let mut found = None;
    let _ = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident("rename") {
            found = Some(meta.value()?.parse::<syn::LitStr>()?.value());
        }
        Ok(())
    });
    found
}

/// The open enums: each `open_enum!` call's name and `Variant = "wire"` pairs.
fn open_enums(items: &[Item]) -> Result<Vec<String>, String> {
    let mut lines = Vec::new();
    for item in items {
        let Item::Macro(call) = item else { continue };
        let mut tokens = call.mac.tokens.clone().into_iter().peekable();
        // Skip the doc attributes: `#` followed by a bracketed group.
        while matches!(tokens.peek(), Some(TokenTree::Punct(p)) if p.as_char() == '#') {
            tokens.next();
            tokens.next();
        }
        let (Some(TokenTree::Ident(name)), Some(TokenTree::Group(body))) = (tokens.next(), tokens.next()) else {
            return Err("an open_enum! call in the generated code has an unexpected shape".to_owned());
        };
        lines.push(format!("open enum {name}: open"));
        let body: Vec<TokenTree> = body.stream().into_iter().collect();
        for chunk in body.split(|t| matches!(t, TokenTree::Punct(p) if p.as_char() == ',')) {
            match chunk {
                [] => {}
                [TokenTree::Ident(variant), TokenTree::Punct(eq), TokenTree::Literal(wire)] if eq.as_char() == '=' => {
                    lines.push(format!("open enum {name} variant {variant}: {wire}"))
                }
                _ => return Err(format!("open_enum! {name}: a variant is not `Name = \"value\"`")),
            }
        }
    }
    Ok(lines)
}

fn rust_type(ty: &Type) -> String {
    rust_tokens(ty.to_token_stream())
}

/// Tokens as a reader writes a type: no spaces, no paths a user never types.
fn rust_tokens(tokens: TokenStream) -> String {
    let mut text: String = tokens.to_string().split_whitespace().collect();
    text = text.replace(",>", ">").replace(",)", ")");
    for prefix in [
        "std::ops::",
        "::std::option::",
        "::std::vec::",
        "::std::string::",
        "::std::collections::",
        "::std::convert::",
        "std::convert::",
        "::std::result::",
        "crate::",
        "types::",
        "super::",
    ] {
        text = text.replace(prefix, "");
    }
    text.replace(',', ", ")
}

/// How a change affects code that uses the crate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Impact {
    Breaking,
    Additive,
}

impl fmt::Display for Impact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Impact::Breaking => "breaking",
            Impact::Additive => "additive",
        })
    }
}

/// One difference between two listings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub impact: Impact,
    pub text: String,
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.impact, self.text)
    }
}

fn items(listing: &str) -> BTreeMap<&str, &str> {
    listing
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_once(": ").unwrap_or((l, "")))
        .collect()
}

/// What changed from `old` to `new`, breaking changes first.
pub fn changes(old: &str, new: &str) -> Vec<Change> {
    let (old, new) = (items(old), items(new));
    let mut changes = Vec::new();
    for (item, was) in &old {
        match new.get(item) {
            None => changes.push(Change { impact: Impact::Breaking, text: format!("{item} removed (was {was})") }),
            Some(now) if now != was => {
                changes.push(Change { impact: Impact::Breaking, text: format!("{item} changed from {was} to {now}") })
            }
            Some(_) => {}
        }
    }
    for (item, now) in &new {
        if old.contains_key(item) {
            continue;
        }
        let impact = added_impact(item, now, &old);
        changes.push(Change { impact, text: format!("{item} added: {now}") });
    }
    changes.sort();
    changes
}

/// A new item is additive, except where code written against the old API
/// stops working: a required setter or field, or a variant of an exhaustive
/// enum, added to an operation or type that existed before.
fn added_impact(item: &str, now: &str, old: &BTreeMap<&str, &str>) -> Impact {
    let existed = |owner: String| old.contains_key(owner.as_str());
    match item.split(' ').collect::<Vec<_>>().as_slice() {
        // Existing calls fail until they set it.
        ["operation", op, "setter", _] if now.ends_with("(required)") && existed(format!("operation {op}")) => {
            Impact::Breaking
        }
        // Responses of servers that lack it fail, and so do struct literals.
        ["type", name, "field", _] if !now.starts_with("Option<") && existed(format!("type {name}")) => {
            Impact::Breaking
        }
        // Exhaustive matches no longer compile.
        ["enum", name, "variant", _] if existed(format!("enum {name}")) => Impact::Breaking,
        _ => Impact::Additive,
    }
}
