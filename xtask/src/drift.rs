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

use serde_json::Value;

use crate::{
    departures::Departure,
    docs::{self, Page, Route},
    spec,
};

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

/// Compares every page with the spec.
pub fn drift(pages: &[Page], spec: &Value, departures: &[Departure]) -> Report {
    let routes = docs::routes(pages, &spec::operation_ids(spec));
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
    let Some(op) = spec::operations(spec).into_iter().find(|op| op.route() == route.route) else {
        found.push(finding("endpoint", "this endpoint".into(), "does not have it".into()));
        return;
    };

    // Parameters: in the path or query, or for writes, in the JSON body.
    let spec_params = spec::parameters(spec, &op);
    let body = spec::request_schema(spec, op.operation);
    for (name, param) in route.params() {
        let at = format!("parameter {name}");
        let docs_schema = docs::param_schema(param);
        let docs_text = format!("`{}` ({}{})", name, param.ty, if param.required { ", required" } else { "" });
        let in_params =
            spec_params.iter().find(|p| p["name"].as_str().map(|n| n.trim_end_matches("[]")) == Some(name.as_str()));
        let spec_schema = match in_params {
            Some(p) => {
                if param.required && !p["required"].as_bool().unwrap_or(false) {
                    found.push(finding(&at, docs_text.clone(), "makes it optional".into()));
                }
                Some(spec::resolve(spec, &p["schema"]))
            }
            None => body.and_then(|b| spec::property(spec, b, &name)).map(|(s, _, _)| s),
        };
        match spec_schema {
            None => found.push(finding(&at, docs_text, "does not have it".into())),
            Some(spec_schema) => compare_param(spec, &docs_schema, spec_schema, &at, &docs_text, &finding, found),
        }
    }

    if let Some(docs) = route.response_schema() {
        match spec::response_schema(spec, op.operation) {
            Some(spec_schema) => {
                spec::walk(spec, &docs, spec_schema, "$", true, &mut |at, d, s| found.push(finding(&at, d, s)))
            }
            None => found.push(finding("response", "a JSON example".into(), "declares no JSON response".into())),
        }
    }
    if let Some(docs) = route.request_schema() {
        match body {
            Some(spec_schema) => {
                spec::walk(spec, &docs, spec_schema, "request $", true, &mut |at, d, s| found.push(finding(&at, d, s)))
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
    let spec_type = spec::schema_type(spec_schema);
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
    let spec_items = if docs_type == "array" { spec::resolve(spec, &spec_schema["items"]) } else { spec_schema };
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
