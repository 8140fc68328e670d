#!/usr/bin/env bash
# Build cost of depending on gitlab-jobs: clean builds (debug, release) of a
# tiny binary that uses the client, and the rebuild after a one-line edit of
# spec/openapi.yaml. Works on a copy of the repository and a fresh target
# directory, so the working tree and its target/ are untouched.
#
#     bash benches/build_cost.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive HEAD | tar -x -C "$work" --one-top-level=gitlab-jobs
mkdir -p "$work/tiny/src"
cat > "$work/tiny/Cargo.toml" <<TOML
[package]
name = "tiny"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
gitlab-jobs = { path = "../gitlab-jobs" }
tokio = { version = "1", features = ["macros", "rt"] }

[workspace]
TOML
cat > "$work/tiny/src/main.rs" <<'RS'
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let client = gitlab_jobs::Client::builder("http://127.0.0.1:9").no_retry().build().unwrap();
    let result = client.get_job().id("group/project").job_id(1).send().await;
    println!("{}", result.map(|job| job.name.clone()).unwrap_or_else(|e| gitlab_jobs::ErrorExt::describe(&e)));
}
RS
cp "$repo/Cargo.lock" "$work/tiny/Cargo.lock"
cd "$work/tiny"
# Wall time of a command in seconds with one decimal, in plain bash.
seconds() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  local tenths=$(( (end - start) / 100000000 ))
  echo "$(( tenths / 10 )).$(( tenths % 10 ))"
}
export CARGO_TARGET_DIR="$work/target"
echo "| build | seconds |"
echo "|---|---:|"
echo "| clean, debug | $(seconds cargo build) |"
echo "| clean, release | $(seconds cargo build --release) |"
# The one-line edit: a description in the spec, which build.rs regenerates from.
sed -i 's/^  title: GitLab CI Jobs API$/  title: GitLab CI Jobs API (edited)/' "$work/gitlab-jobs/spec/openapi.yaml"
echo "| after a one-line spec edit, debug | $(seconds cargo build) |"
sed -i 's/^  title: GitLab CI Jobs API (edited)$/  title: GitLab CI Jobs API/' "$work/gitlab-jobs/spec/openapi.yaml"
echo "| after a one-line spec edit, release | $(seconds cargo build --release) |"
# Where a rebuild's time goes: the build script alone (progenitor) versus the rest.
script=$(ls -t "$work"/target/release/build/gitlab-jobs-*/build-script-build | head -1)
mkdir -p "$work/out"
ms() { local start end; start=$(date +%s%N); "$@" >/dev/null 2>&1; end=$(date +%s%N); echo "$(( (end - start) / 1000000 )) ms"; }
echo "| of which build.rs itself (reading the spec, progenitor, prettyplease) | $(cd "$work/gitlab-jobs" && OUT_DIR=$work/out ms "$script") |"
