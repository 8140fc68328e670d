//! The table `cargo xtask check` ends with: what each docs page holds, and
//! what drift and validation found.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::{derive, docs::Page, drift::Report, validate::Fixture};

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

pub fn table(pages: &[Page], fixtures: &[Fixture], drift: &Report, problems: usize) -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "{:<26} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "docs page", "format", "endpoints", "parameters", "fields", "fixtures"
    ));
    let mut totals = (0, 0, 0, 0);
    for page in pages {
        let stem = derive::stem(&page.file);
        let parameters: usize = page.endpoints.iter().map(|e| e.params.len()).sum();
        let mut fields = BTreeSet::new();
        for endpoint in &page.endpoints {
            for example in endpoint.response_example.iter().chain(&endpoint.request_example) {
                paths(example, format!("{} $", endpoint.route()), &mut fields);
            }
        }
        let own = fixtures.iter().filter(|f| f.path.contains(&format!("/{stem}/"))).count();
        out.push_str(&format!(
            "{:<26} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
            format!("{stem}.txt"),
            page.format.to_string(),
            page.endpoints.len(),
            parameters,
            fields.len(),
            own
        ));
        totals = (totals.0 + page.endpoints.len(), totals.1 + parameters, totals.2 + fields.len(), totals.3 + own);
    }
    let real = fixtures.iter().filter(|f| f.path.starts_with("tests/fixtures/real/")).count();
    out.push_str(&format!(
        "{:<26} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "real-world cases", "hand-written", "", "", "", real
    ));
    out.push_str(&format!(
        "{:<26} {:<22} {:>9} {:>10} {:>7} {:>8}\n",
        "total",
        "",
        totals.0,
        totals.1,
        totals.2,
        totals.3 + real
    ));
    out.push_str(&format!(
        "drift: {} findings, {} accepted departures, {} stale departures\nvalidate: {} fixtures, {} problems\n",
        drift.findings.len(),
        drift.departed.len(),
        drift.stale.len(),
        fixtures.len(),
        problems
    ));
    out
}
