//! `cargo xtask derive`: an OpenAPI document derived from the docs pages alone,
//! and their examples as fixture files, written deterministically so that a
//! docs change shows up in review as a diff of `spec/derived/` and the fixtures.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_json::{Value, json};

use crate::{
    docs::{Endpoint, Page, Param},
    infer::{self, Registry, Schema},
};

pub const DERIVED: &str = "spec/derived/openapi.json";
pub const DOCS_FIXTURES: &str = "tests/fixtures/docs";

/// A file `derive` writes: where, and what.
#[derive(Debug, PartialEq)]
pub struct Output {
    pub path: String,
    pub text: String,
}

/// Everything one endpoint's pages say, across docs versions.
pub struct Route<'a> {
    pub route: String,
    pub operation: String,
    /// (page file stem, endpoint) for each page that describes the route.
    pub versions: Vec<(String, &'a Endpoint)>,
}

/// The endpoints of every page, grouped by route, in the order of the newest
/// page. `operation_ids` maps routes to the hand-written spec's operation ids;
/// a route it lacks gets an id made from its method and path.
pub fn routes<'a>(pages: &'a [Page], operation_ids: &BTreeMap<String, String>) -> Vec<Route<'a>> {
    let mut grouped: Vec<Route<'a>> = Vec::new();
    for page in pages {
        let stem = stem(&page.file);
        for endpoint in &page.endpoints {
            let route = endpoint.route();
            match grouped.iter_mut().find(|r| r.route == route) {
                Some(existing) => existing.versions.push((stem.clone(), endpoint)),
                None => grouped.push(Route {
                    operation: operation_ids.get(&route).cloned().unwrap_or_else(|| slug(&route)),
                    route,
                    versions: vec![(stem.clone(), endpoint)],
                }),
            }
        }
    }
    grouped
}

pub fn stem(file: &str) -> String {
    Path::new(file).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn slug(route: &str) -> String {
    route
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

/// The response schema of a route, merged over every page's example.
pub fn response_schema(route: &Route<'_>) -> Option<Schema> {
    route.versions.iter().filter_map(|(_, e)| e.response_example.as_ref()).map(infer::infer).reduce(infer::merge)
}

fn request_schema(route: &Route<'_>) -> Option<Schema> {
    route.versions.iter().filter_map(|(_, e)| e.request_example.as_ref()).map(infer::infer).reduce(infer::merge)
}

/// Every page's parameters of a route, by name, the newest page's row last.
pub fn params<'a>(route: &Route<'a>) -> BTreeMap<String, &'a Param> {
    let mut all = BTreeMap::new();
    for (_, endpoint) in &route.versions {
        for param in &endpoint.params {
            all.insert(param.name.clone(), param);
        }
    }
    all
}

/// The JSON Schema of a parameter from the docs' type column; for a list of
/// allowed values (`Either one of or an array of the following: a, b, or c.`),
/// an enum of them.
pub fn param_schema(param: &Param) -> Value {
    let ty = param.ty.to_ascii_lowercase();
    let scalar = |t: &str| match t {
        "integer" => json!({"type": "integer"}),
        "boolean" => json!({"type": "boolean"}),
        "hash" | "object" => json!({"type": "object"}),
        _ => json!({"type": "string"}),
    };
    let mut schema = if let Some(item) = ty.strip_prefix("array of ") {
        json!({"type": "array", "items": scalar(item.trim_end_matches('s').trim_end_matches("hashe"))})
    } else if let Some((_, item)) = ty.split_once(" or array of ") {
        json!({"type": "array", "items": scalar(item.trim_end_matches('s'))})
    } else if ty == "integer/string" {
        json!({"type": "string", "description": "integer or string"})
    } else {
        scalar(&ty)
    };
    if let Some(values) = listed_values(&param.description) {
        match schema.get_mut("items") {
            Some(items) => items["enum"] = json!(values),
            None => schema["enum"] = json!(values),
        }
    }
    schema
}

/// The values in "…the following: `a`, `b`, or `c`." in a description.
pub fn listed_values(description: &str) -> Option<Vec<String>> {
    let (_, list) = description.split_once("the following:")?;
    let list = list.split('.').next()?;
    let values: Vec<String> = list
        .split(',')
        .map(|v| v.trim().trim_start_matches("or ").trim().trim_matches('`').trim().to_owned())
        .filter(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .collect();
    (!values.is_empty()).then_some(values)
}

/// The derived OpenAPI document and the example fixtures.
pub fn outputs(pages: &[Page], operation_ids: &BTreeMap<String, String>) -> Vec<Output> {
    let routes = routes(pages, operation_ids);
    let mut registry = Registry::default();
    let mut paths: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    let mut roots = Vec::new();
    for route in &routes {
        if let Some(schema) = response_schema(route) {
            let name = infer::root_name(&route.operation, &schema);
            if let Some(object) = infer::object_within(&schema) {
                registry.add(&name, object);
            }
            roots.push((route.route.clone(), name, schema));
        }
        if let Some(schema) = request_schema(route) {
            registry.add(&format!("{}Request", infer::pascal(&route.operation)), schema);
        }
    }
    registry.expand();

    for route in &routes {
        let (method, path) = route.route.split_once(' ').unwrap_or(("GET", &route.route));
        let Some((_, newest)) = route.versions.last() else { continue };
        let mut parameters = Vec::new();
        let mut body_properties = serde_json::Map::new();
        for (name, param) in params(route) {
            let in_path = path.contains(&format!("{{{name}}}"));
            if !in_path && method != "GET" {
                body_properties.insert(name.clone(), param_schema(param));
                continue;
            }
            parameters.push(json!({
                "name": name,
                "in": if in_path { "path" } else { "query" },
                "required": in_path || param.required,
                "description": param.description,
                "schema": param_schema(param),
            }));
        }
        let mut operation = json!({
            "operationId": route.operation,
            "summary": newest.title,
            "description": format!("Described by {} of the vendored docs pages.", route.versions.len()),
            "parameters": parameters,
        });
        let response = match roots.iter().find(|(r, _, _)| *r == route.route) {
            Some((_, name, schema)) => {
                let reference = json!({"$ref": format!("#/components/schemas/{name}")});
                let schema = if matches!(schema.ty, infer::Ty::Array(_)) {
                    json!({"type": "array", "items": reference})
                } else {
                    reference
                };
                json!({"description": "The docs' example response.", "content": {"application/json": {"schema": schema}}})
            }
            None => json!({"description": "The docs show no JSON example."}),
        };
        operation["responses"] = json!({"default": response});
        let request_name = format!("{}Request", infer::pascal(&route.operation));
        if registry.types.contains_key(&request_name) || !body_properties.is_empty() {
            let schema = if registry.types.contains_key(&request_name) {
                json!({"$ref": format!("#/components/schemas/{request_name}")})
            } else {
                json!({"type": "object", "properties": body_properties})
            };
            operation["requestBody"] = json!({"content": {"application/json": {"schema": schema}}});
        }
        paths.entry(path.to_owned()).or_default().insert(method.to_ascii_lowercase(), operation);
    }

    let schemas: serde_json::Map<String, Value> =
        registry.types.keys().map(|name| (name.clone(), registry.component(name))).collect();
    let pages_list: Vec<String> = pages.iter().map(|p| format!("{} ({})", stem(&p.file), p.format)).collect();
    let document = json!({
        "openapi": "3.0.3",
        "info": {
            "title": "GitLab CI Jobs API, as GitLab's docs pages describe it",
            "version": "4",
            "description": format!(
                "Derived by `cargo xtask derive` from the example JSON and parameter tables of: {}. Do not edit; \
                 compare with spec/openapi.yaml through `cargo xtask drift`.",
                pages_list.join(", ")
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    });

    let mut outputs = vec![Output { path: DERIVED.to_owned(), text: pretty(&document) }];
    for route in &routes {
        for (stem, endpoint) in &route.versions {
            if let Some(example) = &endpoint.response_example {
                outputs.push(Output {
                    path: format!("{DOCS_FIXTURES}/{stem}/{}.json", route.operation),
                    text: pretty(example),
                });
            }
            if let Some(example) = &endpoint.request_example {
                outputs.push(Output {
                    path: format!("{DOCS_FIXTURES}/{stem}/{}.request.json", route.operation),
                    text: pretty(example),
                });
            }
        }
    }
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    outputs
}

pub fn pretty(value: &Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

/// What is out of date on disk: missing or different files, and fixture files
/// that no docs page produces any more.
pub fn stale(root: &Path, outputs: &[Output]) -> Vec<String> {
    let mut problems = Vec::new();
    for output in outputs {
        match std::fs::read_to_string(root.join(&output.path)) {
            Ok(text) if text == output.text => {}
            Ok(_) => problems.push(format!("{} is out of date", output.path)),
            Err(_) => problems.push(format!("{} is missing", output.path)),
        }
    }
    for file in files_under(&root.join(DOCS_FIXTURES)) {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        if !outputs.iter().any(|o| o.path == rel) {
            problems.push(format!("{rel} is not produced by any docs page"));
        }
    }
    problems
}

/// Writes the outputs and removes docs fixtures no page produces any more.
pub fn write(root: &Path, outputs: &[Output]) -> Result<usize, String> {
    for file in files_under(&root.join(DOCS_FIXTURES)) {
        let rel = file.strip_prefix(root).unwrap_or(&file).to_string_lossy().replace('\\', "/");
        if !outputs.iter().any(|o| o.path == rel) {
            std::fs::remove_file(&file).map_err(|e| format!("{}: {e}", file.display()))?;
        }
    }
    let mut written = 0;
    for output in outputs {
        let path = root.join(&output.path);
        if std::fs::read_to_string(&path).is_ok_and(|t| t == output.text) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &output.text).map_err(|e| format!("{}: {e}", path.display()))?;
        written += 1;
    }
    Ok(written)
}

pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}
