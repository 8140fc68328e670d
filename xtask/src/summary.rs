//! The table `cargo xtask check` ends with: what each docs page and each
//! family of pages holds, and what drift and validation found.

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

/// What a page, a family or everything holds.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    endpoints: usize,
    parameters: usize,
    fields: usize,
    fixtures: usize,
}

impl std::ops::AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        self.endpoints += other.endpoints;
        self.parameters += other.parameters;
        self.fields += other.fields;
        self.fixtures += other.fixtures;
    }
}

fn counts(page: &Page, fixtures: &[String]) -> Counts {
    let stem = page.stem();
    let mut fields = BTreeSet::new();
    for endpoint in &page.endpoints {
        for example in endpoint.response_example.iter().chain(&endpoint.request_example) {
            paths(example, format!("{} $", endpoint.route()), &mut fields);
        }
    }
    Counts {
        endpoints: page.endpoints.len(),
        parameters: page.endpoints.iter().map(|e| e.params.len()).sum(),
        fields: fields.len(),
        fixtures: fixtures.iter().filter(|f| f.contains(&format!("/{stem}/"))).count(),
    }
}

impl Counts {
    fn columns(self) -> [String; 4] {
        [self.endpoints, self.parameters, self.fields, self.fixtures].map(|n| n.to_string())
    }
}

/// One line of the table: four labels, then four numbers.
fn line(out: &mut String, cells: [&str; 8]) {
    let [family, page, era, format, endpoints, parameters, fields, fixtures] = cells;
    let row = format!(
        "{family:<10} {page:<30} {era:<18} {format:<22} {endpoints:>9} {parameters:>10} {fields:>7} {fixtures:>8}"
    );
    out.push_str(row.trim_end());
    out.push('\n');
}

/// The table: one row per docs page, grouped by family (pages oldest era
/// first, then the family's total), the hand-written fixtures, totals, and
/// the stages' findings. `fixtures` are the paths of every fixture validated.
pub fn table(pages: &[Page], fixtures: &[String], found: Findings) -> String {
    let mut out = String::new();
    line(&mut out, ["family", "docs page", "era", "format", "endpoints", "parameters", "fields", "fixtures"]);
    let mut total = Counts::default();
    for (family, members) in crate::docs::families(pages) {
        let mut subtotal = Counts::default();
        for page in &members {
            let own = counts(page, fixtures);
            let name = std::path::Path::new(&page.file).file_name().unwrap_or_default().to_string_lossy();
            let format = page.format.to_string();
            let [endpoints, parameters, fields, own_fixtures] = own.columns();
            line(&mut out, [&family.name, &name, &page.era, &format, &endpoints, &parameters, &fields, &own_fixtures]);
            subtotal += own;
        }
        let label = format!("total of {} page{}", members.len(), if members.len() == 1 { "" } else { "s" });
        let [endpoints, parameters, fields, own_fixtures] = subtotal.columns();
        line(&mut out, [&family.name, &label, "", "", &endpoints, &parameters, &fields, &own_fixtures]);
        total += subtotal;
    }
    let real = fixtures.iter().filter(|f| f.starts_with("tests/fixtures/real/")).count();
    line(&mut out, ["", "real-world cases", "", "hand-written", "", "", "", &real.to_string()]);
    let [endpoints, parameters, fields, _] = total.columns();
    line(&mut out, ["total", "", "", "", &endpoints, &parameters, &fields, &(total.fixtures + real).to_string()]);
    out.push_str(&format!(
        "drift: {} findings, {} accepted departures, {} stale departures\nvalidate: {} fixtures, {} problems\n",
        found.drift, found.departed, found.stale_departures, found.fixtures, found.problems
    ));
    out
}
