//! The table `cargo xtask check` ends with: what each docs page holds, and
//! what drift and validation found.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::docs::Page;

/// What the stages found, as the table's last lines report it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Findings {
    pub drift: usize,
    pub departed: usize,
    pub stale_departures: usize,
    pub fixtures: usize,
    pub problems: usize,
}

/// Distinct JSON paths of a value (`$[].commit.id`), to count fields.
fn paths(value: &Value, at: String, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(fields) => {
            for (key, v) in fields {
                let here = format!("{at}.{key}");
                out.insert(here.clone());
                paths(v, here, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                paths(item, format!("{at}[]"), out);
            }
        }
        _ => {}
    }
}

/// The table: one row per docs page (oldest era first), the hand-written
/// fixtures, totals, and the stages' findings. `fixtures` are the paths of
/// every fixture validated.
pub fn table(pages: &[Page], fixtures: &[String], found: Findings) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<26} {:<15} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "docs page", "era", "format", "endpoints", "parameters", "fields", "fixtures"
    ));
    let mut totals = (0, 0, 0, 0);
    for page in pages {
        let stem = page.stem();
        let parameters: usize = page.endpoints.iter().map(|e| e.params.len()).sum();
        let mut fields = BTreeSet::new();
        for endpoint in &page.endpoints {
            for example in endpoint.response_example.iter().chain(&endpoint.request_example) {
                paths(example, format!("{} $", endpoint.route()), &mut fields);
            }
        }
        let own = fixtures.iter().filter(|f| f.contains(&format!("/{stem}/"))).count();
        out.push_str(&format!(
            "{:<26} {:<15} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
            format!("{stem}.txt"),
            page.era,
            page.format.to_string(),
            page.endpoints.len(),
            parameters,
            fields.len(),
            own
        ));
        totals = (totals.0 + page.endpoints.len(), totals.1 + parameters, totals.2 + fields.len(), totals.3 + own);
    }
    let real = fixtures.iter().filter(|f| f.starts_with("tests/fixtures/real/")).count();
    out.push_str(&format!(
        "{:<26} {:<15} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "real-world cases", "", "hand-written", "", "", "", real
    ));
    out.push_str(&format!(
        "{:<26} {:<15} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "total",
        "",
        "",
        totals.0,
        totals.1,
        totals.2,
        totals.3 + real
    ));
    out.push_str(&format!(
        "drift: {} findings, {} accepted departures, {} stale departures\nvalidate: {} fixtures, {} problems\n",
        found.drift, found.departed, found.stale_departures, found.fixtures, found.problems
    ));
    out
}
