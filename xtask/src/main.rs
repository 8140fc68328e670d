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
}

fn main() {
    let cli = Cli::parse();
    let root = xtask::root();
    let result = match cli.task {
        Task::Docs => docs(&root),
        Task::Derive { check } => derive(&root, check),
        Task::Drift => drift(&root).map(|_| ()),
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
