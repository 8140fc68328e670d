//! Reads `spec/openapi.yaml` the one way everything in this repository reads it:
//! build.rs (which generates the client from it), the xtask (which checks it
//! against GitLab's docs) and the tests include this file with `#[path]`.
//!
//! It lives beside the document, inside the published package, because build.rs
//! needs it when the crate is built from the registry, where `xtask/` is absent.
//! It depends only on crates all three already use: serde_json, serde_yaml_ng
//! and openapiv3.

// Each includer uses a different part of this file.
#![allow(dead_code)]

use serde_json::Value;

/// The hand-written spec, relative to the package root.
pub const SPEC: &str = "spec/openapi.yaml";

/// The schema extension that marks a string enum as an open set: build.rs turns
/// it into an enum with a variant per listed value and `Other(String)`.
pub const OPEN_ENUM: &str = "x-open-enum";

/// The spec, read and checked: as JSON (what the xtask walks), as OpenAPI
/// (what progenitor takes), and the ranges its integer parameters allow.
pub struct Document {
    pub json: Value,
    /// The spec without its parameters' `minimum`/`maximum`: progenitor would
    /// turn `minimum: 1` into a `NonZeroU32` setter, a type users must build
    /// by hand. The client checks the ranges before sending instead.
    pub openapi: openapiv3::OpenAPI,
    pub ranges: Vec<ParameterRange>,
}

/// The values an integer parameter of an operation may take, from its
/// schema's `minimum` and `maximum`.
#[derive(Clone, Debug, PartialEq)]
pub struct ParameterRange {
    pub operation: String,
    pub parameter: String,
    pub minimum: Option<i64>,
    pub maximum: Option<i64>,
}

/// Reads the spec's text: YAML with merge keys (`<<: *anchor`) expanded and
/// the top-level `x-` blocks that only hold anchors dropped, then checked for
/// the mistakes progenitor would answer with a bare panic or silently ignore.
/// Every problem is one line `spec/openapi.yaml: <where>: <what>`.
pub fn read(text: &str) -> Result<Document, String> {
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("{SPEC}: not valid YAML: {e}"))?;
    yaml.apply_merge().map_err(|e| format!("{SPEC}: a merge key (<<) cannot be expanded: {e}"))?;
    let mut json: Value =
        serde_yaml_ng::from_value(yaml).map_err(|e| format!("{SPEC}: cannot be read as JSON data: {e}"))?;
    if let Some(top) = json.as_object_mut() {
        top.retain(|key, _| !key.starts_with("x-"));
    }
    let mut problems = Vec::new();
    lint_nullable_refs(&json, "", &mut problems);
    let ranges = parameter_ranges(&json);
    let openapi: openapiv3::OpenAPI = serde_json::from_value(without_parameter_ranges(&json))
        .map_err(|e| format!("{SPEC}: not an OpenAPI 3.0 document: {e}"))?;
    lint_operations(&openapi, &mut problems);
    if let Err(problem) = open_enums(&json) {
        problems.push(problem);
    }
    if problems.is_empty() {
        Ok(Document { json, openapi, ranges })
    } else {
        Err(problems.iter().map(|p| format!("{SPEC}: {p}")).collect::<Vec<_>>().join("\n"))
    }
}

/// Reads and checks the spec file under `root` (the package root).
pub fn load(root: &std::path::Path) -> Result<Document, String> {
    let text = std::fs::read_to_string(root.join(SPEC)).map_err(|e| format!("{SPEC}: cannot read: {e}"))?;
    read(&text)
}

/// progenitor silently ignores `nullable` beside a bare `$ref`, which would make
/// a `null` from GitLab fail the whole response.
fn lint_nullable_refs(node: &Value, at: &str, problems: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if map.contains_key("$ref") && map.contains_key("nullable") {
                problems.push(format!(
                    "{at}: `nullable` beside `$ref` is ignored; write `nullable: true` with `allOf: [{{$ref: ...}}]`"
                ));
            }
            for (key, child) in map {
                lint_nullable_refs(child, &format!("{at}/{key}"), problems);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                lint_nullable_refs(child, &format!("{at}/{i}"), problems);
            }
        }
        _ => {}
    }
}

/// Checks each operation for what progenitor needs and would otherwise panic on.
fn lint_operations(spec: &openapiv3::OpenAPI, problems: &mut Vec<String>) {
    use openapiv3::{ReferenceOr, StatusCode};
    let mut ids = std::collections::BTreeSet::new();
    for (path, item) in &spec.paths.paths {
        let ReferenceOr::Item(item) = item else {
            problems.push(format!("{path}: a path item must be written out, not referenced"));
            continue;
        };
        for (method, op) in item.iter() {
            let here = format!("{} {path}", method.to_uppercase());
            match &op.operation_id {
                None => problems.push(format!("{here}: no operationId (it becomes the method name)")),
                Some(id) if !ids.insert(id.clone()) => {
                    problems.push(format!("{here}: operationId `{id}` is used twice"))
                }
                Some(_) => {}
            }
            for param in op.parameters.iter().chain(&item.parameters) {
                let param = match param {
                    ReferenceOr::Item(p) => Some(p),
                    ReferenceOr::Reference { reference } => reference
                        .strip_prefix("#/components/parameters/")
                        .and_then(|name| spec.components.as_ref()?.parameters.get(name))
                        .and_then(|p| p.as_item()),
                };
                match param {
                    Some(openapiv3::Parameter::Path { parameter_data, .. }) if !parameter_data.required => {
                        problems.push(format!("{here}: path parameter `{}` must be required", parameter_data.name))
                    }
                    Some(openapiv3::Parameter::Path { parameter_data, .. })
                        if !path.contains(&format!("{{{}}}", parameter_data.name)) =>
                    {
                        problems.push(format!("{here}: path parameter `{}` is not in the path", parameter_data.name))
                    }
                    None => problems.push(format!("{here}: a parameter reference does not resolve")),
                    _ => {}
                }
            }
            let mut success_kinds = std::collections::BTreeSet::new();
            for (code, response) in &op.responses.responses {
                let ReferenceOr::Item(response) = response else {
                    continue;
                };
                for (media, content) in &response.content {
                    if media.starts_with("application/json") && content.schema.is_none() {
                        problems.push(format!("{here}: response {code} has JSON content without a schema"));
                    }
                }
                if matches!(code, StatusCode::Code(200..=299) | StatusCode::Range(2)) {
                    let kind = response
                        .content
                        .iter()
                        .next()
                        .map(|(media, c)| format!("{media} {:?}", c.schema))
                        .unwrap_or_default();
                    success_kinds.insert(kind);
                }
            }
            if success_kinds.len() > 1 {
                problems.push(format!(
                    "{here}: success responses of different types (or with and without a body); use one 2xx response"
                ));
            }
        }
    }
}

/// Every operation's integer parameters that have a `minimum` or `maximum`.
pub fn parameter_ranges(spec: &Value) -> Vec<ParameterRange> {
    let mut ranges = Vec::new();
    for op in operations(spec) {
        let params = op.operation["parameters"].as_array().into_iter().chain(op.item["parameters"].as_array());
        for param in params.flatten().map(|p| resolve(spec, p)) {
            let schema = resolve(spec, &param["schema"]);
            let (minimum, maximum) = (schema["minimum"].as_i64(), schema["maximum"].as_i64());
            if let (Some(name), true) = (param["name"].as_str(), minimum.is_some() || maximum.is_some()) {
                ranges.push(ParameterRange {
                    operation: op.id.to_owned(),
                    parameter: name.to_owned(),
                    minimum,
                    maximum,
                });
            }
        }
    }
    ranges
}

/// The spec with `minimum` and `maximum` removed from every parameter schema.
fn without_parameter_ranges(spec: &Value) -> Value {
    let mut spec = spec.clone();
    let strip = |param: &mut Value| {
        if let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) {
            schema.remove("minimum");
            schema.remove("maximum");
        }
    };
    if let Some(params) = spec.pointer_mut("/components/parameters").and_then(Value::as_object_mut) {
        params.values_mut().for_each(strip);
    }
    for item in spec.pointer_mut("/paths").and_then(Value::as_object_mut).into_iter().flat_map(|p| p.values_mut()) {
        for node in item.as_object_mut().into_iter().flat_map(|i| i.values_mut()) {
            // The path item's own `parameters`, and each operation's.
            let list = if node.is_array() { Some(node) } else { node.get_mut("parameters") };
            for param in list.and_then(Value::as_array_mut).into_iter().flatten() {
                strip(param);
            }
        }
    }
    spec
}

/// The Rust source of the parameter ranges: a table the request hook checks
/// before anything is sent.
pub fn parameter_range_source(ranges: &[ParameterRange]) -> String {
    let bound = |b: Option<i64>| b.map_or("None".to_owned(), |b| format!("Some({b})"));
    let mut out = String::from(
        "/// The ranges of the spec's integer parameters (`minimum`/`maximum`), by operation.
         pub(crate) mod parameter_ranges {
             /// (operation, parameter, minimum, maximum)
             pub(crate) const RANGES: &[(&str, &str, Option<i64>, Option<i64>)] = &[
",
    );
    for r in ranges {
        out.push_str(&format!(
            "        ({:?}, {:?}, {}, {}),\n",
            r.operation,
            r.parameter,
            bound(r.minimum),
            bound(r.maximum)
        ));
    }
    out.push_str("    ];\n}\n");
    out
}

/// The Rust source of the spec's operations, for the test that every one has
/// a row in the crate's operation table (`src/operations/mod.rs`): its id,
/// its method and what its success answer holds (`json`, `file`, `none`).
pub fn operation_list_source(spec: &Value) -> String {
    let mut out = String::from(
        "/// Every operation of the spec: (id, method, answer), the answer `json`, `file` or `none`.
         #[cfg(test)]
         pub(crate) const SPEC_OPERATIONS: &[(&str, &str, &str)] = &[
",
    );
    for op in operations(spec) {
        let answer = match success_content(spec, op.operation) {
            Some(content) if content.contains_key("application/json") => "json",
            Some(content) if !content.is_empty() => "file",
            _ => "none",
        };
        out.push_str(&format!("    ({:?}, {:?}, {:?}),\n", op.id, op.method.to_ascii_uppercase(), answer));
    }
    out.push_str("];\n");
    out
}

/// The `content` of an operation's success response, if it declares one.
fn success_content<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a serde_json::Map<String, Value>> {
    let responses = operation["responses"].as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| resolve(spec, r)["content"].as_object())
}

/// One operation of the spec, found by its id or listed with the others.
#[derive(Clone, Copy, Debug)]
pub struct Operation<'a> {
    pub id: &'a str,
    /// Lower case, as the spec writes it: `get`, `post`.
    pub method: &'a str,
    /// `/projects/{id}/jobs`
    pub path: &'a str,
    /// The path item, which may hold parameters shared by its operations.
    pub item: &'a Value,
    pub operation: &'a Value,
}

impl Operation<'_> {
    /// `GET /projects/{id}/jobs`: how the docs name the route.
    pub fn route(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.path)
    }
}

/// Every operation that has an id, in path order.
pub fn operations(spec: &Value) -> Vec<Operation<'_>> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if let Some(id) = operation["operationId"].as_str() {
                found.push(Operation { id, method, path, item, operation });
            }
        }
    }
    found
}

/// The operation with this `operationId`.
pub fn operation<'a>(spec: &'a Value, id: &str) -> Option<Operation<'a>> {
    operations(spec).into_iter().find(|op| op.id == id)
}

/// Follows `$ref`s (a bounded number of them); an unresolvable one is `null`.
pub fn resolve<'a>(spec: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..32 {
        let Some(reference) = schema["$ref"].as_str() else { return schema };
        match spec.pointer(reference.trim_start_matches('#')) {
            Some(target) => schema = target,
            None => return &Value::Null,
        }
    }
    schema
}

/// The JSON schema of an operation's success response, if it has one.
pub fn response_schema<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    let responses = operation["responses"].as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| resolve(spec, r)["content"]["application/json"].get("schema"))
}

/// The JSON schema of an operation's request body, if it takes one.
pub fn request_schema<'a>(spec: &'a Value, operation: &'a Value) -> Option<&'a Value> {
    resolve(spec, &operation["requestBody"])["content"]["application/json"].get("schema")
}

/// A string enum of the spec marked as an open set.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenEnum {
    /// The schema name, which is also the Rust type name.
    pub name: String,
    pub description: String,
    /// The known values, as GitLab writes them, each with its Rust variant name.
    pub values: Vec<(String, String)>,
}

/// Every schema marked `x-open-enum: true`, with its values; an error names a
/// marked schema that is not a list of strings, or values whose variant names
/// would clash or be no Rust identifier.
pub fn open_enums(spec: &Value) -> Result<Vec<OpenEnum>, String> {
    let mut found = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().into_iter().flatten() {
        if schema[OPEN_ENUM] != Value::Bool(true) {
            continue;
        }
        let here = format!("/components/schemas/{name}");
        let values = schema["enum"].as_array().filter(|_| schema["type"] == "string").ok_or_else(|| {
            format!("{here}: `{OPEN_ENUM}` marks a schema that is not `type: string` with an `enum` list")
        })?;
        let mut variants: Vec<(String, String)> = Vec::new();
        for value in values {
            let wire = value.as_str().ok_or_else(|| format!("{here}: enum value {value} is not a string"))?;
            let variant = variant_name(wire).ok_or_else(|| {
                format!("{here}: enum value `{wire}` gives no Rust variant name (it needs a letter or digit)")
            })?;
            if let Some((other, _)) = variants.iter().find(|(_, v)| *v == variant) {
                return Err(format!("{here}: enum values `{other}` and `{wire}` both become variant `{variant}`"));
            }
            variants.push((wire.to_owned(), variant));
        }
        let description = schema["description"].as_str().unwrap_or_default().trim().to_owned();
        found.push(OpenEnum { name: name.clone(), description, values: variants });
    }
    Ok(found)
}

/// `waiting_for_resource` → `WaitingForResource`: the value's words, each
/// capitalised; a name that would start with a digit gets a `V` before it, and
/// `Other` (the catch-all variant) becomes `Other_`.
pub fn variant_name(wire: &str) -> Option<String> {
    let mut name = String::new();
    for word in wire.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            name.push(first.to_ascii_uppercase());
            name.push_str(chars.as_str());
        }
    }
    if name.is_empty() {
        return None;
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, 'V');
    }
    if name == "Other" || name == "Self" {
        name.push('_');
    }
    Some(name)
}

/// The Rust source of the open enums: one `open_enum!` call each (the macro
/// in `src/open_enum.rs` writes the enum and its impls), in a module the crate
/// re-exports.
pub fn open_enum_source(enums: &[OpenEnum]) -> String {
    let mut out =
        String::from("/// The open sets of values of the spec (schemas marked `x-open-enum`).\npub mod open_enums {\n");
    for e in enums {
        out.push_str("    crate::open_enum::open_enum! {\n");
        for line in e.description.lines() {
            out.push_str(&format!("        #[doc = {:?}]\n", line.trim()));
        }
        out.push_str(&format!("        {} {{\n", e.name));
        for (wire, variant) in &e.values {
            out.push_str(&format!("            {variant} = {wire:?},\n"));
        }
        out.push_str("        }\n    }\n");
    }
    out.push_str("}\n");
    out
}
