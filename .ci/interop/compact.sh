#!/usr/bin/env bash
# Interop check of `plateau compact` against Python plateau 4.6.2 (run by .ci/run with
# $PYTHON = the reference venv's python). Python plateau has no compaction; this checks that
# what ours leaves behind is an ordinary dataset to it.
#
#   a. Python plateau writes a dataset and updates it 30 times with small frames (two
#      partition keys, two secondary indices, nulls, dates, timestamps; see
#      tools/interop/compact_side.py), and records its rows and files per combination.
#   b. The CLI plans (--dry-run: the plan matches Python's file counts, the store is
#      unchanged byte for byte), compacts one region, then the rest with --sort-by, and
#      finds nothing left to merge.
#   c. Python plateau loads the result with all indices, checks files, labels, indices and
#      the sort order against the data, reads the same rows, sees the merged files as
#      garbage; updates it (append + delete_scope), garbage-collects it and reads the
#      expected rows.
#   d. The CLI reads Python's result (same rows) and `plateau check` finds no problem.
#
# Everything is written under a mktemp directory that is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-$(tools/python/setup-venv.sh)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plateau-compact.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
store="$tmp/store"
state="$tmp/state"
uuid=compacted
side() { "$PYTHON" tools/interop/compact_side.py "$@"; }

# .ci/run has built the dev binary already (`cargo test --workspace`): this costs seconds.
echo "--- building the CLI (dev profile)"
cargo build --quiet -p plateau-cli
bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/plateau"
[ -x "$bin" ] || { echo "cannot find the plateau binary at $bin" >&2; exit 1; }
plateau() { "$bin" --store "$store" "$@"; }

fails=0
pass() { printf '[PASS] %s\n' "$*"; }
fail() { printf '[FAIL] %s\n' "$*"; fails=$((fails + 1)); }
# Every file of the store with its hash: "unchanged" means byte for byte.
snapshot() { (cd "$store" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

echo "--- a. Python plateau writes the dataset with many small updates"
if ! side write "$store" "$uuid" "$state"; then
  fails=$((fails + 1))
  echo "interop compact: $fails failure(s)"
  exit 1
fi

echo "--- b. the CLI compacts it"
snapshot > "$tmp/snap-before"
if plateau compact "$uuid" --dry-run > "$tmp/plan.tsv" 2> "$tmp/dry.err"; then
  if cmp -s "$tmp/snap-before" <(snapshot); then
    pass "compact dry-run: $(cat "$tmp/dry.err"); the store is unchanged"
  else
    fail "compact dry-run changed the store"
  fi
  side check-plan "$state" "$tmp/plan.tsv" north,south,east,west || fails=$((fails + 1))
else
  fail "compact --dry-run: $(cat "$tmp/dry.err")"
fi
if plateau compact "$uuid" --where "region == 'north'" > "$tmp/north.tsv" 2> "$tmp/north.err"; then
  pass "compact --where \"region == 'north'\": $(cat "$tmp/north.err")"
  side check-plan "$state" "$tmp/north.tsv" north || fails=$((fails + 1))
else
  fail "compact --where: $(cat "$tmp/north.err")"
fi
if plateau compact "$uuid" --sort-by k > "$tmp/rest.tsv" 2> "$tmp/rest.err"; then
  pass "compact --sort-by k: $(cat "$tmp/rest.err")"
  side check-plan "$state" "$tmp/rest.tsv" south,east,west || fails=$((fails + 1))
else
  fail "compact --sort-by k: $(cat "$tmp/rest.err")"
fi
snapshot > "$tmp/snap-compacted"
if plateau compact "$uuid" > "$tmp/again.tsv" 2> "$tmp/again.err" \
  && [ "$(wc -l < "$tmp/again.tsv")" -eq 1 ] && grep -q '^nothing to merge' "$tmp/again.err" \
  && cmp -s "$tmp/snap-compacted" <(snapshot); then
  pass "compact again: $(cat "$tmp/again.err"); the store is unchanged"
else
  fail "compact again should find nothing to merge and change nothing: $(cat "$tmp/again.err")"
fi

echo "--- c. Python plateau loads, checks, reads, updates and gcs the compacted dataset"
side verify "$store" "$uuid" "$state" || fails=$((fails + 1))

echo "--- d. the CLI reads Python's result"
if [ ! -f "$state/after.jsonl" ]; then
  fail "rust-read: skipped, Python's steps did not complete"
elif plateau read "$uuid" --format jsonl > "$tmp/cli.jsonl" 2> "$tmp/read.err"; then
  side compare-cli "$store" "$uuid" "$state" "$tmp/cli.jsonl" || fails=$((fails + 1))
else
  fail "rust-read: $(cat "$tmp/read.err")"
fi
if plateau check "$uuid" > "$tmp/check.out" 2>&1; then
  pass "plateau check: no problem in Python's result"
else
  fail "plateau check: $(cat "$tmp/check.out")"
fi

if [ "$fails" -ne 0 ]; then
  echo "interop compact: $fails failure(s)"
  exit 1
fi
echo "interop compact: all passed"
