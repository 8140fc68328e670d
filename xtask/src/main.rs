//! Maintainer tasks for gitlab-jobs; the docs-driven spec checks land here.

fn main() {
    eprintln!("usage: cargo xtask <task>; no tasks exist yet");
    std::process::exit(2);
}
