//! `cargo xtask <task>`: the maintainer's pipeline for keeping the spec honest.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "Maintainer tasks for gitlab-jobs")]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Print what the docs parser reads from each vendored page.
    Docs,
    /// Derive spec/derived/ (one document per family of docs pages) and the docs fixtures.
    Derive {
        /// Write nothing; fail if what is committed is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Report what the docs describe that the hand-written spec lacks or types differently.
    Drift,
    /// Read every fixture into the generated types and back, and check it against the spec.
    Validate,
    /// List the public API the spec generates in spec/api.txt, and what changed.
    Api {
        /// Write nothing; fail if spec/api.txt is out of date.
        #[arg(long)]
        check: bool,
    },
    /// The whole pipeline: derive, drift, validate, api, and a summary table.
    Check {
        /// Write nothing; fail if derived files are out of date (what CI runs).
        #[arg(long)]
        check: bool,
    },
}

/// What every task reads: the parsed docs pages, the spec and the departures,
/// loaded once per run.
struct Inputs {
    root: std::path::PathBuf,
    pages: Vec<xtask::docs::Page>,
    spec: serde_json::Value,
    departures: Vec<xtask::departures::Departure>,
}

impl Inputs {
    fn load() -> Result<Inputs, String> {
        let root = xtask::root();
        Ok(Inputs {
            pages: xtask::docs::load_pages(&root)?,
            spec: xtask::spec::load(&root)?.json,
            departures: xtask::departures::load(&root)?,
            root,
        })
    }
}

/// A stage's result, and whether it passed.
struct Outcome<T> {
    value: T,
    passed: bool,
}

fn main() {
    let cli = Cli::parse();
    let result = Inputs::load().and_then(|inputs| {
        let passed = match cli.task {
            Task::Docs => {
                docs(&inputs);
                true
            }
            Task::Derive { check } => derive(&inputs, check).passed,
            Task::Drift => drift(&inputs).passed,
            Task::Validate => validate(&inputs)?.passed,
            Task::Api { check } => api(&inputs, check)?,
            Task::Check { check } => pipeline(&inputs, check)?,
        };
        if passed { Ok(()) } else { Err("the task failed (see above)".to_owned()) }
    });
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn docs(inputs: &Inputs) {
    for page in &inputs.pages {
        println!("{} ({}; {}, {})", page.file, page.format, page.family.name, page.era);
        for e in &page.endpoints {
            let params: Vec<String> =
                e.params.iter().map(|p| format!("{}:{}{}", p.name, p.ty, if p.required { "!" } else { "" })).collect();
            println!(
                "  {:<52} {:<34} params [{}] request {} response {}",
                e.route(),
                e.title,
                params.join(", "),
                if e.request_example.is_some() { "yes" } else { "no" },
                match &e.response_example {
                    Some(serde_json::Value::Array(a)) => format!("[{}]", a.len()),
                    Some(_) => "{}".into(),
                    None => "-".into(),
                }
            );
        }
    }
}

fn derive(inputs: &Inputs, check: bool) -> Outcome<()> {
    let outputs = xtask::derive::outputs(&inputs.pages, &xtask::spec::operation_ids(&inputs.spec));
    let passed = if check {
        let stale = xtask::derive::stale(&inputs.root, &outputs);
        for problem in &stale {
            println!("derive: {problem}");
        }
        if stale.is_empty() {
            println!("derive: {} files up to date", outputs.len());
        }
        stale.is_empty()
    } else {
        match xtask::derive::write(&inputs.root, &outputs) {
            Ok(written) => {
                println!("derive: {} files, {written} written", outputs.len());
                true
            }
            Err(e) => {
                println!("derive: {e}");
                false
            }
        }
    };
    Outcome { value: (), passed }
}

fn drift(inputs: &Inputs) -> Outcome<xtask::drift::Report> {
    let report = xtask::drift::drift(&inputs.pages, &inputs.spec, &inputs.departures);
    for finding in &report.findings {
        println!("drift: {finding}");
    }
    for departure in &report.stale {
        println!(
            "drift: {} {}: listed in {} but no longer differs; remove it",
            departure.route,
            departure.at,
            xtask::departures::DEPARTURES
        );
    }
    println!(
        "drift: {} findings, {} accepted departures, {} stale departures",
        report.findings.len(),
        report.departed.len(),
        report.stale.len()
    );
    Outcome { passed: report.is_clean(), value: report }
}

fn validate(inputs: &Inputs) -> Result<Outcome<(Vec<xtask::validate::Fixture>, usize)>, String> {
    let mut problems = xtask::validate::check_table(&inputs.spec);
    let fixtures = xtask::validate::fixtures(&inputs.root)?;
    for fixture in &fixtures {
        problems.extend(xtask::validate::validate(&inputs.spec, &inputs.departures, fixture));
    }
    for problem in &problems {
        println!("validate: {problem}");
    }
    println!("validate: {} fixtures, {} problems", fixtures.len(), problems.len());
    Ok(Outcome { passed: problems.is_empty(), value: (fixtures, problems.len()) })
}

/// Runs every stage even when one fails, so one run shows everything.
fn pipeline(inputs: &Inputs, check: bool) -> Result<bool, String> {
    let started = std::time::Instant::now();
    let derived = derive(inputs, check);
    let drifted = drift(inputs);
    let validated = validate(inputs)?;
    let api_passed = api(inputs, check)?;
    let (fixtures, problems) = &validated.value;
    let paths: Vec<String> = fixtures.iter().map(|f| f.path.clone()).collect();
    let found = xtask::summary::Findings {
        drift: drifted.value.findings.len(),
        departed: drifted.value.departed.len(),
        stale_departures: drifted.value.stale.len(),
        fixtures: fixtures.len(),
        problems: *problems,
    };
    println!("\n{}", xtask::summary::table(&inputs.pages, &paths, found));
    println!("check: {:.1} s", started.elapsed().as_secs_f64());
    Ok(derived.passed && drifted.passed && validated.passed && api_passed)
}

/// Lists the generated API; prints what changed against the committed listing.
fn api(inputs: &Inputs, check: bool) -> Result<bool, String> {
    use xtask::{api, files};
    let listing = api::listing(gitlab_jobs::GENERATED_SOURCE)?;
    let committed = files::read_text(&inputs.root.join(api::LISTING)).unwrap_or_default();
    let changes = api::changes(&committed, &listing);
    for change in &changes {
        println!("api: {change}");
    }
    let items = listing.lines().filter(|l| !l.starts_with('#')).count();
    if check {
        if changes.is_empty() && committed == listing {
            println!("api: {} items, {} up to date", items, api::LISTING);
            return Ok(true);
        }
        println!(
            "api: {} differs from what the spec generates; run `{}` (and record breaking changes in CHANGELOG.md)",
            api::LISTING,
            api::COMMAND
        );
        return Ok(false);
    }
    let file = files::Generated { path: api::LISTING.to_owned(), text: listing };
    let written = files::write(&inputs.root, std::slice::from_ref(&file))?;
    println!("api: {items} items, {} {}", api::LISTING, if written > 0 { "written" } else { "unchanged" });
    Ok(true)
}
