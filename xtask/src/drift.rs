//! `cargo xtask drift`: what GitLab's docs pages describe that the hand-written
//! spec lacks or types differently.
//!
//! Every docs endpoint, parameter and example field must exist in the spec
//! with a compatible type. The direction is one way: the spec may know more
//! than the docs (fields real servers send), never less. An optional or
//! nullable field in the spec is compatible with one the docs always show; an
//! integer field is not compatible with a string example. Deliberate
//! departures live in `spec/departures.yaml`, each with its reason; a listed
//! departure that no longer matches a finding is itself reported.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;

use crate::{
    derive::{self, Route},
    docs::Page,
    infer::{Schema, Ty},
};

pub const DEPARTURES: &str = "spec/departures.yaml";

/// One difference, as one readable line.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// `GET /projects/{id}/jobs`
    pub route: String,
    /// `$[].commit.author_email`, `parameter scope`, `request $.x`, `endpoint`.
    pub at: String,
    pub docs: String,
    pub spec: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: the docs show {}; the spec {}", self.route, self.at, self.docs, self.spec)
    }
}

/// A reviewed, deliberate difference between the docs and the spec.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Departure {
    pub route: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Report {
    /// Differences nobody has accepted: each one fails the check.
    pub findings: Vec<Finding>,
    /// Differences accepted in the departures list.
    pub departed: Vec<(Finding, String)>,
    /// Listed departures that match no difference any more.
    pub stale: Vec<Departure>,
}

impl Report {
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty() && self.stale.is_empty()
    }
}

pub fn load_departures(root: &std::path::Path) -> Result<Vec<Departure>, String> {
    let text = std::fs::read_to_string(root.join(DEPARTURES)).map_err(|e| format!("{DEPARTURES}: {e}"))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{DEPARTURES}: {e}"))
}

/// Compares every page with the spec.
pub fn drift(pages: &[Page], spec: &Value, departures: &[Departure]) -> Report {
    let routes = derive::routes(pages, &crate::operation_ids(spec));
    let mut found = Vec::new();
    for route in &routes {
        compare_route(spec, route, &mut found);
    }
    let mut report = Report::default();
    for finding in found {
        match departures.iter().find(|d| d.route == finding.route && d.at == finding.at) {
            Some(departure) => report.departed.push((finding, departure.reason.clone())),
            None => report.findings.push(finding),
        }
    }
    report.stale = departures
        .iter()
        .filter(|d| !report.departed.iter().any(|(f, _)| f.route == d.route && f.at == d.at))
        .cloned()
        .collect();
    report
}

fn compare_route(spec: &Value, route: &Route<'_>, found: &mut Vec<Finding>) {
    let finding =
        |at: &str, docs: String, spec: String| Finding { route: route.route.clone(), at: at.into(), docs, spec };
    let (method, path) = route.route.split_once(' ').unwrap_or(("GET", &route.route));
    let item = &spec["paths"][path];
    let operation = &item[method.to_ascii_lowercase()];
    if !operation.is_object() {
        found.push(finding("endpoint", "this endpoint".into(), "does not have it".into()));
        return;
    }

    // Parameters: in the path or query, or for writes, in the JSON body.
    let spec_params: Vec<&Value> = operation["parameters"]
        .as_array()
        .into_iter()
        .chain(item["parameters"].as_array())
        .flatten()
        .map(|p| resolve(spec, p))
        .collect();
    let body = request_schema(spec, operation);
    for (name, param) in derive::params(route) {
        let at = format!("parameter {name}");
        let docs_schema = derive::param_schema(param);
        let docs_text = format!("`{}` ({}{})", name, param.ty, if param.required { ", required" } else { "" });
        let in_params =
            spec_params.iter().find(|p| p["name"].as_str().map(|n| n.trim_end_matches("[]")) == Some(name.as_str()));
        let spec_schema = match in_params {
            Some(p) => {
                if param.required && !p["required"].as_bool().unwrap_or(false) {
                    found.push(finding(&at, docs_text.clone(), "makes it optional".into()));
                }
                Some(resolve(spec, &p["schema"]))
            }
            None => body.and_then(|b| property(spec, b, &name)).map(|(s, _, _)| s),
        };
        match spec_schema {
            None => found.push(finding(&at, docs_text, "does not have it".into())),
            Some(spec_schema) => compare_param(spec, &docs_schema, spec_schema, &at, &docs_text, &finding, found),
        }
    }

    if let Some(docs) = derive::response_schema(route) {
        match response_schema(spec, operation) {
            Some(spec_schema) => {
                walk(spec, &docs, spec_schema, "$", true, &mut |at, d, s| found.push(finding(&at, d, s)))
            }
            None => found.push(finding("response", "a JSON example".into(), "declares no JSON response".into())),
        }
    }
    let request = route
        .versions
        .iter()
        .filter_map(|(_, e)| e.request_example.as_ref())
        .map(crate::infer::infer)
        .reduce(crate::infer::merge);
    if let Some(docs) = request {
        match body {
            Some(spec_schema) => {
                walk(spec, &docs, spec_schema, "request $", true, &mut |at, d, s| found.push(finding(&at, d, s)))
            }
            None => found.push(finding("request", "a JSON request body".into(), "declares none".into())),
        }
    }
}

fn compare_param(
    spec: &Value,
    docs: &Value,
    spec_schema: &Value,
    at: &str,
    docs_text: &str,
    finding: &impl Fn(&str, String, String) -> Finding,
    found: &mut Vec<Finding>,
) {
    let docs_type = docs["type"].as_str().unwrap_or("string");
    let spec_type = spec_type(spec_schema);
    let compatible = match (docs_type, spec_type) {
        (_, None) => true,
        ("string", Some("string")) | ("integer", Some("integer" | "number")) | ("boolean", Some("boolean")) => true,
        // The docs' `integer/string` project id.
        ("string", Some("integer")) => docs["description"] == "integer or string",
        ("array", Some("array")) | ("object", Some("object")) => true,
        _ => false,
    };
    if !compatible {
        found.push(finding(at, docs_text.to_owned(), format!("types it as {}", spec_type.unwrap_or("anything"))));
        return;
    }
    let docs_values = docs["items"]["enum"].as_array().or(docs["enum"].as_array());
    let spec_items = if docs_type == "array" { resolve(spec, &spec_schema["items"]) } else { spec_schema };
    if let (Some(values), Some(allowed)) = (docs_values, spec_items["enum"].as_array()) {
        for value in values.iter().filter(|v| !allowed.contains(v)) {
            found.push(finding(
                &format!("{at} value {}", value.as_str().unwrap_or("?")),
                format!("value {value}"),
                "does not list it".into(),
            ));
        }
    }
}

/// Follows `$ref`s (a bounded number of them).
pub fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = schema["$ref"].as_str() else { return schema };
        let pointer = reference.trim_start_matches('#');
        match spec.pointer(pointer) {
            Some(target) => schema = target,
            None => return &Value::Null,
        }
    }
    schema
}

/// A schema without its `allOf: [one]` wrapper, and whether it is nullable.
fn unwrap<'a>(spec: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
    let schema = resolve(spec, schema);
    let nullable = schema["nullable"].as_bool().unwrap_or(false);
    match schema["allOf"].as_array().map(Vec::as_slice) {
        Some([only]) => {
            let (inner, inner_nullable) = unwrap(spec, only);
            (inner, nullable || inner_nullable)
        }
        _ => (schema, nullable),
    }
}

fn spec_type(schema: &Value) -> Option<&str> {
    schema["type"].as_str().or_else(|| {
        if schema["properties"].is_object() {
            Some("object")
        } else if schema["items"].is_object() {
            Some("array")
        } else {
            None
        }
    })
}

/// A property of an object schema: its schema, whether it is nullable, and
/// whether the object requires it.
fn property<'a>(spec: &'a Value, object: &'a Value, name: &str) -> Option<(&'a Value, bool, bool)> {
    let (object, _) = unwrap(spec, object);
    let schema = object["properties"].get(name)?;
    let (schema, nullable) = unwrap(spec, schema);
    let required = object["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name));
    Some((schema, nullable, required))
}

pub fn response_schema<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let responses = operation["responses"].as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| resolve(spec, r)["content"]["application/json"].get("schema"))
}

fn request_schema<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    resolve(spec, &operation["requestBody"])["content"]["application/json"].get("schema")
}

/// Compares what an example shows (`docs`) with a spec schema, calling
/// `report(at, docs, spec)` for each difference. With `enums`, a string the
/// spec's enum does not list is a difference too.
pub fn walk(
    spec: &Value,
    docs: &Schema,
    schema: &Value,
    at: &str,
    enums: bool,
    report: &mut dyn FnMut(String, String, String),
) {
    let (schema, _) = unwrap(spec, schema);
    if let Some(branches) = schema["oneOf"].as_array() {
        // Compatible with one branch is enough; otherwise show the closest.
        let mut best: Option<Vec<(String, String, String)>> = None;
        for branch in branches {
            let mut differences = Vec::new();
            walk(spec, docs, branch, at, enums, &mut |a, d, s| differences.push((a, d, s)));
            if differences.is_empty() {
                return;
            }
            if best.as_ref().is_none_or(|b| differences.len() < b.len()) {
                best = Some(differences);
            }
        }
        for (a, d, s) in best.unwrap_or_default() {
            report(a, d, s);
        }
        return;
    }
    let spec_kind = spec_type(schema);
    let mismatch = |report: &mut dyn FnMut(String, String, String)| {
        report(
            at.to_owned(),
            format!("a {} value", docs.ty.kind()),
            format!("types it as {}", spec_kind.unwrap_or("anything")),
        )
    };
    match (&docs.ty, spec_kind) {
        (Ty::Unknown, _) | (_, None) => {}
        (Ty::Mixed(kinds), _) => report(
            at.to_owned(),
            format!("values of different kinds ({})", kinds.iter().copied().collect::<Vec<_>>().join(", ")),
            "can hold only one".into(),
        ),
        (Ty::Boolean, Some("boolean")) | (Ty::Integer, Some("integer" | "number")) | (Ty::Number, Some("number")) => {}
        (Ty::Number, Some("integer")) => {
            report(at.to_owned(), "a fractional number".into(), "types it as integer".into())
        }
        (Ty::String { values, .. }, Some("string")) => {
            if let (true, Some(values), Some(allowed)) = (enums, values, schema["enum"].as_array()) {
                for value in values.iter().filter(|v| !allowed.iter().any(|a| a == *v)) {
                    report(
                        format!("{at} value {value}"),
                        format!("the value `{value}`"),
                        "does not list it in its enum".into(),
                    );
                }
            }
        }
        (Ty::Array(items), Some("array")) => walk(spec, items, &schema["items"], &format!("{at}[]"), enums, report),
        (Ty::Object(props), Some("object")) => {
            for (key, prop) in props {
                let here = format!("{at}.{key}");
                match property(spec, schema, key) {
                    None if schema["additionalProperties"].is_object() || schema["additionalProperties"] == true => {}
                    None => report(
                        here,
                        format!("the field (a {} value)", prop.schema.ty.kind()),
                        "does not have it".into(),
                    ),
                    Some((field, nullable, required)) => {
                        if prop.schema.nullable && !nullable && required {
                            report(here.clone(), "`null`".into(), "requires a value".into());
                        }
                        walk(spec, &prop.schema, field, &here, enums, report);
                    }
                }
            }
        }
        _ => mismatch(report),
    }
}
