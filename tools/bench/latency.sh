#!/usr/bin/env bash
# The latency benchmark (benches/src/bin/latency.rs) for this checkout and for an older
# commit, in one run, so their figures can be compared side by side.
#
#   tools/bench/latency.sh [BASE_COMMIT] [latency args...]
#
# BASE_COMMIT (default: the commit before the async scan, 1ee8c98) is checked out in a
# temporary worktree with this checkout's benchmark sources copied in (the harness only uses
# the blocking front-end APIs both builds have), built in release mode, and run with the same
# arguments as the current build. Results: latency_<label>.json in the current directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-1ee8c98}
shift || true
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git -C "$repo" worktree add --detach "$work/base" "$base" >/dev/null
cp "$repo/benches/Cargo.toml" "$work/base/benches/Cargo.toml"
cp "$repo/benches/src/lib.rs" "$repo/benches/src/data.rs" "$work/base/benches/src/"
cp "$repo/benches/src/bin/latency.rs" "$work/base/benches/src/bin/"
(cd "$work/base" && CARGO_TARGET_DIR="$repo/target/latency-base" \
    cargo build --release --quiet -p plateau-benches --bin latency)
(cd "$repo" && cargo build --release --quiet -p plateau-benches --bin latency)
"$repo/target/latency-base/release/latency" --label "$base" --json "latency_$base.json" "$@"
"$repo/target/release/latency" --label current --json latency_current.json "$@"
