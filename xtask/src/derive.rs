//! `cargo xtask derive`: an OpenAPI document derived from the docs pages alone,
//! and their examples as fixture files, written deterministically so that a
//! docs change shows up in review as a diff of `spec/derived/` and the fixtures.
//!
//! Each family of pages (see `docs::index`) gets a document of its own: its
//! schemas are inferred from its own examples only, so a document shows what
//! one docs page says across releases, and a new family leaves the documents
//! of the others as they were.

use std::{collections::BTreeMap, path::Path};

use serde_json::{Value, json};

use crate::{
    docs::{self, Family, Page, Route},
    files::{self, Generated},
    infer::{self, Registry, Schema},
};

/// The folder of the derived documents.
pub const DERIVED_DIR: &str = "spec/derived";
/// The document derived from the `jobs` family.
pub const DERIVED: &str = "spec/derived/openapi.json";
/// What brings the derived files up to date.
pub const COMMAND: &str = "cargo xtask derive";

/// Where the document of a family goes: `spec/derived/<family>.openapi.json`,
/// except that the `jobs` family's keeps the name it had before there were
/// families.
pub fn derived_path(family: &str) -> String {
    if family == "jobs" { DERIVED.to_owned() } else { format!("{DERIVED_DIR}/{family}.openapi.json") }
}

/// Everything `derive` writes: each family's derived document and the example
/// fixtures, sorted by path. `operation_ids` maps routes to the spec's
/// operation ids.
pub fn outputs(pages: &[Page], operation_ids: &BTreeMap<String, String>) -> Vec<Generated> {
    let mut outputs = Vec::new();
    for (family, members) in docs::families(pages) {
        let routes = docs::routes(members.iter().copied(), operation_ids);
        outputs.push(Generated {
            path: derived_path(&family.name),
            text: files::pretty_json(&document(family, &members, &routes)),
        });
        outputs.extend(example_fixtures(&routes));
    }
    outputs.sort_by(|a, b| a.path.cmp(&b.path));
    outputs
}

/// The response schema of each route that has examples, named as the spec
/// names it, with every object type registered under its name.
struct Shapes {
    registry: Registry,
    /// (route, type name, schema) of each response.
    responses: Vec<(String, String, Schema)>,
}

fn shapes(routes: &[Route<'_>]) -> Shapes {
    let mut registry = Registry::default();
    let mut responses = Vec::new();
    for route in routes {
        if let Some(schema) = route.response_schema() {
            let name = infer::root_name(&route.operation, &schema);
            if let Some(object) = infer::object_within(&schema) {
                registry.add(&name, object);
            }
            responses.push((route.route.clone(), name, schema));
        }
        if let Some(schema) = route.request_schema() {
            registry.add(&request_name(route), schema);
        }
    }
    registry.expand();
    Shapes { registry, responses }
}

fn request_name(route: &Route<'_>) -> String {
    format!("{}Request", infer::pascal(&route.operation))
}

/// The derived OpenAPI document of one family.
fn document(family: &Family, pages: &[&Page], routes: &[Route<'_>]) -> Value {
    let shapes = shapes(routes);
    let mut paths: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for route in routes {
        let (method, path) = route.route.split_once(' ').unwrap_or(("GET", &route.route));
        if let Some(operation) = operation(route, method, path, &shapes) {
            paths.entry(path.to_owned()).or_default().insert(method.to_ascii_lowercase(), operation);
        }
    }
    let schemas: serde_json::Map<String, Value> =
        shapes.registry.types.keys().map(|name| (name.clone(), shapes.registry.component(name))).collect();
    let pages_list: Vec<String> = pages.iter().map(|p| format!("{} ({})", p.stem(), p.format)).collect();
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": format!("{}, as GitLab's docs pages describe it", family.title),
            "version": "4",
            "description": format!(
                "Derived by `cargo xtask derive` from the example JSON and parameter tables of: {}. Do not edit; \
                 compare with spec/openapi.yaml through `cargo xtask drift`.",
                pages_list.join(", ")
            ),
        },
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

/// One operation of the derived document: parameters, request body and the
/// response, as the docs describe the route.
fn operation(route: &Route<'_>, method: &str, path: &str, shapes: &Shapes) -> Option<Value> {
    let newest = route.newest()?;
    let mut parameters = Vec::new();
    let mut body_properties = serde_json::Map::new();
    for (name, param) in route.params() {
        let in_path = path.contains(&format!("{{{name}}}"));
        if !in_path && method != "GET" {
            body_properties.insert(name.clone(), docs::param_schema(param));
            continue;
        }
        parameters.push(json!({
            "name": name,
            "in": if in_path { "path" } else { "query" },
            "required": in_path || param.required,
            "description": param.description,
            "schema": docs::param_schema(param),
        }));
    }
    let mut operation = json!({
        "operationId": route.operation,
        "summary": newest.title,
        "description": format!("Described by {} of the vendored docs pages.", route.versions.len()),
        "parameters": parameters,
    });
    let response = match shapes.responses.iter().find(|(r, _, _)| *r == route.route) {
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
    let request_name = request_name(route);
    let has_request_type = shapes.registry.types.contains_key(&request_name);
    if has_request_type || !body_properties.is_empty() {
        let schema = if has_request_type {
            json!({"$ref": format!("#/components/schemas/{request_name}")})
        } else {
            json!({"type": "object", "properties": body_properties})
        };
        operation["requestBody"] = json!({"content": {"application/json": {"schema": schema}}});
    }
    Some(operation)
}

/// Each page's examples as fixture files: `<page>/<operation>.json` for a
/// response, `<page>/<operation>.request.json` for a request body.
fn example_fixtures(routes: &[Route<'_>]) -> Vec<Generated> {
    let mut fixtures = Vec::new();
    for route in routes {
        for (stem, endpoint) in &route.versions {
            let examples = [(&endpoint.response_example, ""), (&endpoint.request_example, ".request")];
            for (example, suffix) in examples {
                if let Some(example) = example {
                    fixtures.push(Generated {
                        path: format!("{}/{stem}/{}{suffix}.json", docs::FIXTURES, route.operation),
                        text: files::pretty_json(example),
                    });
                }
            }
        }
    }
    fixtures
}

/// Docs fixtures and derived documents on disk that no page (or family)
/// produces any more.
fn orphans(root: &Path, outputs: &[Generated]) -> Vec<std::path::PathBuf> {
    let mut found = files::files_under(&root.join(docs::FIXTURES));
    found.extend(files::files_under(&root.join(DERIVED_DIR)));
    found.into_iter().filter(|file| !outputs.iter().any(|o| o.path == files::relative(root, file))).collect()
}

/// What is out of date on disk: missing or different files, and fixture files
/// or documents that no docs page produces any more.
pub fn stale(root: &Path, outputs: &[Generated]) -> Vec<String> {
    let mut problems = files::check(root, outputs, COMMAND);
    for file in orphans(root, outputs) {
        problems.push(format!("{} is not produced by any docs page; run `{COMMAND}`", files::relative(root, &file)));
    }
    problems
}

/// Writes the outputs and removes docs fixtures and documents no page
/// produces any more.
pub fn write(root: &Path, outputs: &[Generated]) -> Result<usize, String> {
    for file in orphans(root, outputs) {
        std::fs::remove_file(&file).map_err(|e| format!("{}: {e}", file.display()))?;
    }
    files::write(root, outputs)
}
