//! The hand-written spec as the xtask stages read it. Loading, `$ref`
//! resolution and finding operations come from `spec/load.rs`, the file
//! build.rs reads the spec with, so both see the same document; this module
//! adds what only the xtask needs: comparing what an example shows with a
//! schema of the spec.

#[path = "../../spec/load.rs"]
mod load;

use std::collections::BTreeMap;

pub use load::{
    Document, OPEN_ENUM, OpenEnum, Operation, SPEC, load, open_enums, operation, operations, read, request_schema,
    resolve, response_schema,
};
use serde_json::Value;

use crate::infer::{Schema, Ty};

/// `GET /projects/{id}/jobs` → `list_project_jobs`, for every operation.
pub fn operation_ids(spec: &Value) -> BTreeMap<String, String> {
    operations(spec).iter().map(|op| (op.route(), op.id.to_owned())).collect()
}

/// The parameters of an operation, its path item's included, resolved.
pub fn parameters<'a>(spec: &'a Value, op: &Operation<'a>) -> Vec<&'a Value> {
    op.operation["parameters"]
        .as_array()
        .into_iter()
        .chain(op.item["parameters"].as_array())
        .flatten()
        .map(|p| resolve(spec, p))
        .collect()
}

/// A schema without its `allOf: [one]` wrapper, and whether it is nullable.
pub fn unwrap<'a>(spec: &'a Value, schema: &'a Value) -> (&'a Value, bool) {
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

/// The JSON type a schema declares, or implies by its `properties` or `items`.
pub fn schema_type(schema: &Value) -> Option<&str> {
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
pub fn property<'a>(spec: &'a Value, object: &'a Value, name: &str) -> Option<(&'a Value, bool, bool)> {
    let (object, _) = unwrap(spec, object);
    let schema = object["properties"].get(name)?;
    let (schema, nullable) = unwrap(spec, schema);
    let required = object["required"].as_array().is_some_and(|r| r.iter().any(|n| n == name));
    Some((schema, nullable, required))
}

/// Compares what an example shows (`shown`, inferred from JSON) with a spec
/// schema, calling `report(at, shown, spec)` for each difference. With
/// `enums`, a string the spec's enum does not list is a difference too.
pub fn walk(
    spec: &Value,
    shown: &Schema,
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
            walk(spec, shown, branch, at, enums, &mut |a, d, s| differences.push((a, d, s)));
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
    let spec_kind = schema_type(schema);
    let mismatch = |report: &mut dyn FnMut(String, String, String)| {
        report(
            at.to_owned(),
            format!("a {} value", shown.ty.kind()),
            format!("types it as {}", spec_kind.unwrap_or("anything")),
        )
    };
    match (&shown.ty, spec_kind) {
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
