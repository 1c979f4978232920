#!/usr/bin/env bash
# The latency benchmark (benches/src/bin/latency.rs) for two commits of this repository, in
# one run, so their figures can be compared side by side.
#
#   tools/bench/latency.sh [BASE_COMMIT [NEW_COMMIT]] [-- latency args...]
#
# BASE_COMMIT (default 1ee8c98, the last commit before the async scan) and NEW_COMMIT
# (default HEAD) are checked out in temporary worktrees with HEAD's benchmark sources copied
# in (the harness only uses the blocking front-end APIs both builds have), built in release
# mode, and run one after the other with the same arguments. Results:
# latency_<commit>.json in the current directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
base=1ee8c98
new=HEAD
if [[ $# -gt 0 && $1 != -- ]]; then base=$1; shift; fi
if [[ $# -gt 0 && $1 != -- ]]; then new=$1; shift; fi
if [[ $# -gt 0 && $1 == -- ]]; then shift; fi
work=$(mktemp -d)
cleanup() {
    for tree in "$work"/*/; do
        git -C "$repo" worktree remove --force "$tree" >/dev/null 2>&1 || true
    done
    rm -rf "$work"
}
trap cleanup EXIT
build() { # commit name -> path of the built binary on stdout
    local commit=$1 name=$2
    git -C "$repo" worktree add --detach "$work/$name" "$commit" >/dev/null 2>&1
    git -C "$repo" show HEAD:benches/Cargo.toml >"$work/$name/benches/Cargo.toml"
    for file in src/lib.rs src/data.rs src/bin/latency.rs; do
        git -C "$repo" show "HEAD:benches/$file" >"$work/$name/benches/$file"
    done
    (cd "$work/$name" && CARGO_TARGET_DIR="$repo/target/latency-$name" \
        cargo build --release --quiet -p plateau-benches --bin latency >&2)
    echo "$repo/target/latency-$name/release/latency"
}
base_bin=$(build "$base" base)
new_bin=$(build "$new" new)
label_new=$(git -C "$repo" rev-parse --short "$new")
"$base_bin" --label "$base" --json "latency_$base.json" "$@"
"$new_bin" --label "$label_new" --json "latency_$label_new.json" "$@"
