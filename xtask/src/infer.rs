//! JSON Schemas inferred from example JSON, merged across endpoints and docs
//! versions.
//!
//! Merging follows what the examples can tell: a key missing from some
//! examples is optional; `null` in one and a value in another is nullable of
//! that type; integer and fraction merge to number; strings that all read as
//! ISO 8601 are date-times; arrays merge their items; objects merge by key.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

/// The most distinct string values kept per field, to compare with enums.
const MAX_VALUES: usize = 32;

/// What the examples show of one value.
#[derive(Clone, Debug, PartialEq)]
pub enum Ty {
    /// Only `null` or empty arrays were seen.
    Unknown,
    Boolean,
    Integer,
    Number,
    /// `values` holds the distinct strings seen, or `None` past `MAX_VALUES`.
    String {
        date_time: bool,
        values: Option<BTreeSet<String>>,
    },
    Array(Box<Schema>),
    Object(BTreeMap<String, Prop>),
    /// Incompatible kinds were seen for the same value.
    Mixed(BTreeSet<&'static str>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Schema {
    pub ty: Ty,
    pub nullable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prop {
    pub schema: Schema,
    /// Present in every example of the enclosing object.
    pub required: bool,
}

impl Ty {
    pub fn kind(&self) -> &'static str {
        match self {
            Ty::Unknown => "null",
            Ty::Boolean => "boolean",
            Ty::Integer => "integer",
            Ty::Number => "number",
            Ty::String { .. } => "string",
            Ty::Array(_) => "array",
            Ty::Object(_) => "object",
            Ty::Mixed(_) => "mixed",
        }
    }
}

/// The schema of one example value.
pub fn infer(value: &Value) -> Schema {
    let ty = match value {
        Value::Null => return Schema { ty: Ty::Unknown, nullable: true },
        Value::Bool(_) => Ty::Boolean,
        Value::Number(n) if n.is_i64() || n.is_u64() => Ty::Integer,
        Value::Number(_) => Ty::Number,
        Value::String(s) => Ty::String {
            date_time: chrono::DateTime::parse_from_rfc3339(s).is_ok(),
            values: Some(BTreeSet::from([s.clone()])),
        },
        Value::Array(items) => Ty::Array(Box::new(
            items.iter().map(infer).reduce(merge).unwrap_or(Schema { ty: Ty::Unknown, nullable: false }),
        )),
        Value::Object(fields) => {
            Ty::Object(fields.iter().map(|(k, v)| (k.clone(), Prop { schema: infer(v), required: true })).collect())
        }
    };
    Schema { ty, nullable: false }
}

/// The schema that admits everything either schema saw.
pub fn merge(a: Schema, b: Schema) -> Schema {
    let nullable = a.nullable || b.nullable;
    let ty = match (a.ty, b.ty) {
        (Ty::Unknown, other) | (other, Ty::Unknown) => other,
        (Ty::Integer, Ty::Number) | (Ty::Number, Ty::Integer) => Ty::Number,
        (Ty::String { date_time: x, values: vx }, Ty::String { date_time: y, values: vy }) => {
            let values = match (vx, vy) {
                (Some(mut x), Some(y)) => {
                    x.extend(y);
                    (x.len() <= MAX_VALUES).then_some(x)
                }
                _ => None,
            };
            Ty::String { date_time: x && y, values }
        }
        (Ty::Array(x), Ty::Array(y)) => Ty::Array(Box::new(merge(*x, *y))),
        (Ty::Object(mut x), Ty::Object(mut y)) => {
            let keys: BTreeSet<String> = x.keys().chain(y.keys()).cloned().collect();
            Ty::Object(
                keys.into_iter()
                    .map(|k| {
                        let prop = match (x.remove(&k), y.remove(&k)) {
                            (Some(p), Some(q)) => {
                                Prop { schema: merge(p.schema, q.schema), required: p.required && q.required }
                            }
                            (Some(p), None) | (None, Some(p)) => Prop { schema: p.schema, required: false },
                            (None, None) => unreachable!("the key came from one of the maps"),
                        };
                        (k, prop)
                    })
                    .collect(),
            )
        }
        (x, y) if x == y => x,
        (Ty::Mixed(mut x), other) | (other, Ty::Mixed(mut x)) => {
            x.insert(other.kind());
            Ty::Mixed(x)
        }
        (x, y) => Ty::Mixed(BTreeSet::from([x.kind(), y.kind()])),
    };
    Schema { ty, nullable }
}

/// The name of the type of `key` inside the type `parent`: objects GitLab
/// embeds in several places share one name (a job's and a bridge's `commit`
/// are both `Commit`), and names follow the hand-written spec's so that a
/// reader can set the two documents side by side.
pub fn type_name(parent: &str, key: &str) -> String {
    match (parent, key) {
        ("AllowedAgents", "allowed_agents") => "AllowedAgent".into(),
        ("AllowedAgent", "config_project") => "AgentConfigProject".into(),
        ("AllowedAgentsProject", "groups") => "GroupRef".into(),
        ("AllowedAgents", _) => format!("AllowedAgents{}", pascal(key)),
        (_, "commit") => "Commit".into(),
        (_, "pipeline" | "downstream_pipeline") => "Pipeline".into(),
        (_, "user") => "User".into(),
        (_, "runner") => "Runner".into(),
        (_, "runner_manager") => "RunnerManager".into(),
        (_, "artifacts_file") => "ArtifactsFile".into(),
        (_, "artifacts") => "JobArtifact".into(),
        ("Job" | "Bridge", "project") => "JobProject".into(),
        (_, "job_variables_attributes") => "JobVariable".into(),
        _ => format!("{parent}{}", pascal(key)),
    }
}

/// The name of a response's top-level type: a bridge has a downstream
/// pipeline, a job a stage and status; anything else is named after its operation.
pub fn root_name(operation: &str, schema: &Schema) -> String {
    let item = match &schema.ty {
        Ty::Array(items) => &items.ty,
        other => other,
    };
    match item {
        Ty::Object(props) if props.contains_key("downstream_pipeline") => "Bridge".into(),
        Ty::Object(props) if props.contains_key("stage") && props.contains_key("status") => "Job".into(),
        _ if operation == "get_allowed_agents" => "AllowedAgents".into(),
        _ => format!("{}Response", pascal(operation)),
    }
}

pub fn pascal(snake: &str) -> String {
    snake
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Named object types, merged wherever the same name appears.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Registry {
    pub types: BTreeMap<String, Schema>,
}

impl Registry {
    /// Adds `schema` under `name`, merging with what is there.
    pub fn add(&mut self, name: &str, schema: Schema) {
        let merged = match self.types.remove(name) {
            Some(existing) => merge(existing, schema),
            None => schema,
        };
        self.types.insert(name.to_owned(), merged);
    }

    /// Names every object nested in a registered type, until nothing changes.
    pub fn expand(&mut self) {
        loop {
            let before = self.clone();
            for (name, schema) in &before.types {
                if let Ty::Object(props) = &schema.ty {
                    for (key, prop) in props {
                        if let Some(object) = object_within(&prop.schema) {
                            self.add(&type_name(name, key), object);
                        }
                    }
                }
            }
            if *self == before {
                return;
            }
        }
    }

    /// The OpenAPI schema of a registered type, nested objects as references.
    pub fn component(&self, name: &str) -> Value {
        let Some(schema) = self.types.get(name) else { return json!({}) };
        let Ty::Object(props) = &schema.ty else { return to_json(schema, name, "") };
        let properties: serde_json::Map<String, Value> =
            props.iter().map(|(key, prop)| (key.clone(), to_json(&prop.schema, name, key))).collect();
        let required: Vec<&String> = props.iter().filter(|(_, p)| p.required).map(|(k, _)| k).collect();
        let mut object = json!({"type": "object", "properties": properties});
        if !required.is_empty() {
            object["required"] = json!(required);
        }
        object
    }
}

/// The object an object-valued or array-of-objects property holds.
pub fn object_within(schema: &Schema) -> Option<Schema> {
    match &schema.ty {
        Ty::Object(_) => Some(Schema { ty: schema.ty.clone(), nullable: false }),
        Ty::Array(items) => object_within(items),
        _ => None,
    }
}

/// The OpenAPI schema of a value of `key` in type `parent`.
pub fn to_json(schema: &Schema, parent: &str, key: &str) -> Value {
    let mut out = match &schema.ty {
        Ty::Unknown => json!({}),
        Ty::Boolean => json!({"type": "boolean"}),
        Ty::Integer => json!({"type": "integer"}),
        Ty::Number => json!({"type": "number"}),
        Ty::String { date_time: true, .. } => json!({"type": "string", "format": "date-time"}),
        Ty::String { .. } => json!({"type": "string"}),
        Ty::Array(items) => json!({"type": "array", "items": to_json(items, parent, key)}),
        Ty::Object(_) => {
            let reference = json!({"$ref": format!("#/components/schemas/{}", type_name(parent, key))});
            if schema.nullable {
                return json!({"nullable": true, "allOf": [reference]});
            }
            return reference;
        }
        Ty::Mixed(kinds) => {
            json!({"description": format!("examples disagree: {}", kinds.iter().copied().collect::<Vec<_>>().join(", "))})
        }
    };
    if schema.nullable {
        out["nullable"] = json!(true);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(schema: &Schema) -> &BTreeMap<String, Prop> {
        match &schema.ty {
            Ty::Object(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn merging_follows_what_the_examples_show() {
        let a = infer(
            &json!({"id": 1, "duration": 240, "coverage": null, "started_at": "2015-12-24T17:54:27.722Z", "tag_list": []}),
        );
        let b = infer(
            &json!({"id": 2, "duration": 0.173, "coverage": 81.5, "started_at": "never", "tag_list": ["x"], "archived": false}),
        );
        let merged = merge(a, b);
        let p = props(&merged);
        assert!(p["id"].required && p["id"].schema.ty == Ty::Integer);
        assert_eq!(p["duration"].schema.ty, Ty::Number, "integer and fraction merge to number");
        assert!(p["coverage"].schema.nullable && p["coverage"].schema.ty == Ty::Number);
        assert!(matches!(p["started_at"].schema.ty, Ty::String { date_time: false, .. }));
        assert!(matches!(&p["tag_list"].schema.ty, Ty::Array(items) if matches!(items.ty, Ty::String { .. })));
        assert!(!p["archived"].required, "missing from one example");
        let mixed = merge(infer(&json!(1)), infer(&json!("one")));
        assert_eq!(mixed.ty, Ty::Mixed(BTreeSet::from(["integer", "string"])));
    }

    #[test]
    fn shared_objects_share_a_name() {
        assert_eq!(type_name("Job", "commit"), "Commit");
        assert_eq!(type_name("Bridge", "downstream_pipeline"), "Pipeline");
        assert_eq!(type_name("AllowedAgents", "user"), "AllowedAgentsUser");
        assert_eq!(type_name("Job", "project"), "JobProject");
        assert_eq!(pascal("list_project_jobs"), "ListProjectJobs");
    }
}
