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
    /// Derive spec/derived/openapi.json and the docs fixtures from the docs pages.
    Derive {
        /// Write nothing; fail if what is committed is out of date.
        #[arg(long)]
        check: bool,
    },
    /// Report what the docs describe that the hand-written spec lacks or types differently.
    Drift,
    /// Read every fixture into the generated types and back, and check it against the spec.
    Validate,
    /// The whole pipeline: derive, drift, validate, and a summary table.
    Check {
        /// Write nothing; fail if derived files are out of date (what CI runs).
        #[arg(long)]
        check: bool,
    },
}

fn main() {
    let cli = Cli::parse();
    let root = xtask::root();
    let result = match cli.task {
        Task::Docs => docs(&root),
        Task::Derive { check } => derive(&root, check),
        Task::Drift => drift(&root).map(|_| ()),
        Task::Validate => validate(&root).map(|_| ()),
        Task::Check { check } => pipeline(&root, check),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn docs(root: &std::path::Path) -> Result<(), String> {
    for page in xtask::docs_pages(root)? {
        println!("{} ({})", page.file, page.format);
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
    Ok(())
}

fn derive(root: &std::path::Path, check: bool) -> Result<(), String> {
    let pages = xtask::docs_pages(root)?;
    let spec = xtask::load_spec(root)?;
    let outputs = xtask::derive::outputs(&pages, &xtask::operation_ids(&spec));
    if check {
        let stale = xtask::derive::stale(root, &outputs);
        if !stale.is_empty() {
            return Err(format!("derived files are out of date; run `cargo xtask derive`:\n  {}", stale.join("\n  ")));
        }
        println!("derive: {} files up to date", outputs.len());
    } else {
        let written = xtask::derive::write(root, &outputs)?;
        println!("derive: {} files, {written} written", outputs.len());
    }
    Ok(())
}

fn drift(root: &std::path::Path) -> Result<xtask::drift::Report, String> {
    let pages = xtask::docs_pages(root)?;
    let spec = xtask::load_spec(root)?;
    let departures = xtask::drift::load_departures(root)?;
    let report = xtask::drift::drift(&pages, &spec, &departures);
    for finding in &report.findings {
        println!("drift: {finding}");
    }
    for departure in &report.stale {
        println!(
            "drift: {} {}: listed in {} but no longer differs; remove it",
            departure.route,
            departure.at,
            xtask::drift::DEPARTURES
        );
    }
    println!(
        "drift: {} findings, {} accepted departures, {} stale departures",
        report.findings.len(),
        report.departed.len(),
        report.stale.len()
    );
    if report.is_clean() { Ok(report) } else { Err("the spec has drifted from the docs (see above)".into()) }
}

fn validate(root: &std::path::Path) -> Result<Vec<xtask::validate::Fixture>, String> {
    let spec = xtask::load_spec(root)?;
    let departures = xtask::drift::load_departures(root)?;
    let mut problems = xtask::validate::check_table(&spec);
    let fixtures = xtask::validate::fixtures(root)?;
    for fixture in &fixtures {
        problems.extend(xtask::validate::validate(&spec, &departures, fixture));
    }
    for problem in &problems {
        println!("validate: {problem}");
    }
    println!("validate: {} fixtures, {} problems", fixtures.len(), problems.len());
    if problems.is_empty() {
        Ok(fixtures)
    } else {
        Err("fixtures do not survive the generated types (see above)".into())
    }
}

/// Runs every stage even when one fails, so one run shows everything.
fn pipeline(root: &std::path::Path, check: bool) -> Result<(), String> {
    let started = std::time::Instant::now();
    let mut failed = Vec::new();
    if let Err(e) = derive(root, check) {
        println!("derive: {e}");
        failed.push("derive");
    }
    let report = drift(root).unwrap_or_else(|e| {
        println!("{e}");
        failed.push("drift");
        let pages = xtask::docs_pages(root).unwrap_or_default();
        let spec = xtask::load_spec(root).unwrap_or_default();
        xtask::drift::drift(&pages, &spec, &xtask::drift::load_departures(root).unwrap_or_default())
    });
    let (fixtures, problems) = match validate(root) {
        Ok(fixtures) => (fixtures, 0),
        Err(e) => {
            println!("{e}");
            failed.push("validate");
            let fixtures = xtask::validate::fixtures(root).unwrap_or_default();
            let spec = xtask::load_spec(root).unwrap_or_default();
            let departures = xtask::drift::load_departures(root).unwrap_or_default();
            let problems = fixtures.iter().map(|f| xtask::validate::validate(&spec, &departures, f).len()).sum();
            (fixtures, problems)
        }
    };
    let pages = xtask::docs_pages(root)?;
    println!("\n{}", xtask::summary::table(&pages, &fixtures, &report, problems));
    println!("check: {:.1} s", started.elapsed().as_secs_f64());
    if failed.is_empty() { Ok(()) } else { Err(format!("failed: {}", failed.join(", "))) }
}
