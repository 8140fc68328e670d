//! Whether a value read into the generated types and written back still says
//! what GitLab sent. Shared by `cargo xtask validate` and the crate's own tests
//! (which include this file by path), so both judge a round trip the same way.
//!
//! What counts as the same: `null`, an absent key and an empty array or object
//! (the generated types skip empty values when serializing); numbers compared
//! as numbers (`0.010` is `0.01`, `240` is `240.0`); timestamps compared as
//! instants with their UTC offset (`.000+01:00` is `+01:00`, but not `Z`).

use serde_json::Value;

fn is_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.is_empty(),
        Some(_) => false,
    }
}

/// Appends one line per difference between `a` (what was sent) and `b` (what
/// the types wrote back), each naming its JSON path below `at`.
pub fn compare(a: &Value, b: &Value, at: &str, diffs: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys().filter(|k| !x.contains_key(*k))) {
                let (va, vb) = (x.get(key), y.get(key));
                let here = format!("{at}.{key}");
                match (va, vb) {
                    (Some(va), Some(vb)) if !is_empty(Some(va)) && !is_empty(Some(vb)) => compare(va, vb, &here, diffs),
                    _ => match (is_empty(va), is_empty(vb)) {
                        (true, true) => {}
                        (false, true) => diffs.push(format!("{here}: dropped (was {})", short(va))),
                        (true, false) => diffs.push(format!("{here}: added {}", short(vb))),
                        (false, false) => {}
                    },
                }
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                diffs.push(format!("{at}: {} items became {}", x.len(), y.len()));
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                compare(va, vb, &format!("{at}[{i}]"), diffs);
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_f64() == y.as_f64() => {}
        (Value::String(x), Value::String(y)) if x == y || same_instant(x, y) => {}
        _ if a == b => {}
        _ => diffs.push(format!("{at}: {} became {}", short(Some(a)), short(Some(b)))),
    }
}

fn short(v: Option<&Value>) -> String {
    let text = v.map(Value::to_string).unwrap_or_default();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

fn same_instant(x: &str, y: &str) -> bool {
    match (chrono::DateTime::parse_from_rfc3339(x), chrono::DateTime::parse_from_rfc3339(y)) {
        (Ok(a), Ok(b)) => a == b && a.offset() == b.offset(),
        _ => false,
    }
}
