//! What the docs pages say about each route, across every page that describes
//! it: the model the xtask stages compare with the spec and derive from.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::{Endpoint, Page, Param};
use crate::infer::{self, Schema};

/// Everything one endpoint's pages say, across docs versions.
pub struct Route<'a> {
    /// `GET /projects/{id}/jobs`
    pub route: String,
    /// The hand-written spec's operation id, or one made from the route.
    pub operation: String,
    /// (page stem, endpoint) for each page that describes the route, in the
    /// order the pages were read (oldest era first, see `docs::INDEX`).
    pub versions: Vec<(String, &'a Endpoint)>,
}

/// The endpoints of every page, grouped by route, in the order they first
/// appear. `operation_ids` maps routes to the hand-written spec's operation
/// ids; a route it lacks gets an id made from its method and path.
pub fn routes<'a>(
    pages: impl IntoIterator<Item = &'a Page>,
    operation_ids: &BTreeMap<String, String>,
) -> Vec<Route<'a>> {
    let mut grouped: Vec<Route<'a>> = Vec::new();
    for page in pages {
        let stem = page.stem();
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

fn slug(route: &str) -> String {
    route
        .to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join("_")
}

impl<'a> Route<'a> {
    /// The endpoint as the newest page that describes it writes it.
    pub fn newest(&self) -> Option<&'a Endpoint> {
        self.versions.last().map(|(_, e)| *e)
    }

    /// The response schema, merged over every page's example.
    pub fn response_schema(&self) -> Option<Schema> {
        self.merged(|e| e.response_example.as_ref())
    }

    /// The request body schema, merged over every page's example.
    pub fn request_schema(&self) -> Option<Schema> {
        self.merged(|e| e.request_example.as_ref())
    }

    fn merged(&self, example: impl Fn(&Endpoint) -> Option<&Value>) -> Option<Schema> {
        self.versions.iter().filter_map(|(_, e)| example(e)).map(infer::infer).reduce(infer::merge)
    }

    /// Every page's parameters, by name; where pages differ, the newest wins.
    pub fn params(&self) -> BTreeMap<String, &'a Param> {
        let mut all = BTreeMap::new();
        for (_, endpoint) in &self.versions {
            for param in &endpoint.params {
                all.insert(param.name.clone(), param);
            }
        }
        all
    }
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
