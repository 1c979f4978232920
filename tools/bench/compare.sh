#!/usr/bin/env bash
# One benchmark binary of plateau-benches built at two commits and run one after the other
# with the same arguments, so their figures can be compared side by side in one run.
#
#   tools/bench/compare.sh BIN [BASE_COMMIT [NEW_COMMIT]] [-- args...]
#
#   tools/bench/compare.sh latency 1ee8c98 HEAD -- --partitions 400   # a delay per request
#   tools/bench/compare.sh e2e 1ee8c98 HEAD -- --rows 2000000          # local disk
#
# BIN is `latency` or `e2e`. BASE_COMMIT defaults to 1ee8c98 (the last commit before the async
# scan), NEW_COMMIT to HEAD. Each is checked out in a temporary worktree and built in release
# mode. The latency harness only uses the blocking front-end APIs both builds have, so HEAD's
# benchmark sources are copied into both worktrees; e2e is built from each commit's own
# sources. Results: <bin>_<commit>.json in the current directory.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:?usage: compare.sh BIN [BASE [NEW]] [-- args...]}
shift
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
    if [[ $bin == latency ]]; then
        git -C "$repo" show HEAD:benches/Cargo.toml >"$work/$name/benches/Cargo.toml"
        for file in src/lib.rs src/data.rs src/bin/latency.rs; do
            git -C "$repo" show "HEAD:benches/$file" >"$work/$name/benches/$file"
        done
    fi
    (cd "$work/$name" && CARGO_TARGET_DIR="$repo/target/compare-$name" \
        cargo build --release --quiet -p plateau-benches --bin "$bin" >&2)
    echo "$repo/target/compare-$name/release/$bin"
}
base_bin=$(build "$base" base)
new_bin=$(build "$new" new)
label_new=$(git -C "$repo" rev-parse --short "$new")
case $bin in
    latency) label() { echo --label "$1"; } ;;
    *) label() { :; } ;;
esac
# shellcheck disable=SC2046
"$base_bin" $(label "$base") --json "${bin}_$base.json" "$@"
# shellcheck disable=SC2046
"$new_bin" $(label "$label_new") --json "${bin}_$label_new.json" "$@"
