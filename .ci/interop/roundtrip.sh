#!/usr/bin/env bash
# Interop round trip between plateau for Rust and Python plateau 4.6.2 (the issue's interop
# requirement; run by .ci/run with $PYTHON = the reference venv's python).
#
#   a. Rust writes datasets (io-eager/examples/interop.rs `write`): every column type,
#      partition_on with awkward values, secondary indices, a msgpack header, an update with
#      a delete scope, gc. Rust dumps what it reads back from each (pyref-dump/1), in full
#      and for a few predicates per dataset (partition pruning, index lookups).
#   b. Python plateau (tools/interop/python_side.py) loads each with all indices, checks files,
#      labels and indices against the data, reads it (in full and with the predicates) and
#      compares with Rust's dumps, updates it (append + delete_scope), garbage-collects it and
#      dumps the result.
#   c. Rust reads each result (in full and with the predicates); its dumps must equal
#      Python's byte for byte.
#
# The datasets, and the Python plateau bugs they deliberately avoid, are listed in
# tools/interop/python_side.py (SPEC, EXCLUSIONS); python_side.py prints the exclusions.
# Everything is written under a mktemp directory that is removed on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-$(tools/python/setup-venv.sh)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plateau-interop.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
store="$tmp/store"
mkdir -p "$tmp/rust-before" "$tmp/python-after" "$tmp/rust-after"

# Profile: dev by default. .ci/run has just built every example in the dev profile
# (`cargo test --workspace`), so this costs seconds, while a release build of the dependency
# tree from a fresh clone alone took 5m23s on the 2-core box; the datasets are a few rows, so
# the profile does not matter for the run. INTEROP_PROFILE=release runs the optimised build.
profile=${INTEROP_PROFILE:-dev}
echo "--- building the interop example ($profile)"
# Built once, then run directly: the binary `cargo run [--release] -p plateau-io-eager
# --example interop -- ...` would run, without cargo's freshness check on each of ~60 calls.
cargo build --profile "$profile" --quiet -p plateau-io-eager --example interop \
  --message-format=json > "$tmp/build.json"
interop_bin=$("$PYTHON" -c '
import json, sys
for line in open(sys.argv[1]):
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "interop" and m.get("executable"):
        print(m["executable"])
' "$tmp/build.json")
[ -x "$interop_bin" ] || { echo "cannot find the interop example's binary" >&2; exit 1; }
interop() { "$interop_bin" "$@"; }

fails=0
pass() { printf '[PASS] %s\n' "$*"; }
fail() { printf '[FAIL] %s\n' "$*"; fails=$((fails + 1)); }

echo "--- a. Rust writes the datasets and dumps what it reads back"
# (through files, not process substitution, so that a failure stops the script)
if ! interop write "$store" > "$tmp/written.txt"; then
  fail "rust write: some datasets could not be written (see above)"
fi
"$PYTHON" tools/interop/python_side.py list > "$tmp/expected.txt"
mapfile -t written < "$tmp/written.txt"
mapfile -t expected < "$tmp/expected.txt"
if [ "$(printf '%s\n' "${written[@]}" | sort)" = "$(printf '%s\n' "${expected[@]}" | sort)" ]; then
  pass "rust write: ${#written[@]} datasets (${written[*]})"
else
  fail "rust write: wrote [${written[*]}], python_side.py expects [${expected[*]}]"
fi
"$PYTHON" tools/interop/python_side.py queries > "$tmp/queries.tsv"
for uuid in "${expected[@]}"; do
  if interop dump "$store" "$uuid" "$tmp/rust-before/$uuid.jsonl"; then
    pass "$uuid rust-dump: $(($(wc -l < "$tmp/rust-before/$uuid.jsonl") - 1)) rows"
  else
    fail "$uuid rust-dump: the Rust reader failed on its own dataset"
  fi
done
# predicate reads (partition pruning, index lookups), compared by Python in step b
while IFS=$'\t' read -r uuid name predicates; do
  out="$tmp/rust-before/${uuid}__$name.jsonl"
  if interop dump "$store" "$uuid" "$out" "$predicates"; then
    pass "$uuid rust-dump $name: $(($(wc -l < "$out") - 1)) rows for $predicates"
  else
    fail "$uuid rust-dump $name: the Rust reader failed on $predicates"
  fi
done < "$tmp/queries.tsv"

echo "--- b. Python plateau checks, reads, updates and gcs each dataset"
if ! "$PYTHON" tools/interop/python_side.py run "$store" "$tmp/rust-before" "$tmp/python-after"; then
  fails=$((fails + 1))
fi

echo "--- c. Rust reads Python's results"
for uuid in "${expected[@]}"; do
  py="$tmp/python-after/$uuid.jsonl"
  rs="$tmp/rust-after/$uuid.jsonl"
  if [ ! -f "$py" ]; then
    fail "$uuid rust-read-after: skipped, Python's steps did not complete"
  elif ! interop dump "$store" "$uuid" "$rs"; then
    fail "$uuid rust-read-after: the Rust reader failed on Python's result"
  elif cmp -s "$py" "$rs"; then
    pass "$uuid rust-read-after: $(($(wc -l < "$rs") - 1)) rows, identical to Python's dump"
  else
    fail "$uuid rust-read-after: Rust's read differs from Python's"
    diff -u --label python "$py" --label rust "$rs" | head -n 40 || true
  fi
done
# the same predicate reads on Python's results: Rust prunes with the labels and index files
# Python wrote (or merged)
while IFS=$'\t' read -r uuid name predicates; do
  py="$tmp/python-after/${uuid}__$name.jsonl"
  rs="$tmp/rust-after/${uuid}__$name.jsonl"
  if [ ! -f "$tmp/python-after/$uuid.jsonl" ]; then
    fail "$uuid rust-read-after $name: skipped, Python's steps did not complete"
  elif ! interop dump "$store" "$uuid" "$rs" "$predicates"; then
    fail "$uuid rust-read-after $name: the Rust reader failed on $predicates"
  elif cmp -s "$py" "$rs"; then
    pass "$uuid rust-read-after $name: $(($(wc -l < "$rs") - 1)) rows, identical to Python's read"
  else
    fail "$uuid rust-read-after $name: Rust's read of $predicates differs from Python's"
    diff -u --label python "$py" --label rust "$rs" | head -n 40 || true
  fi
done < "$tmp/queries.tsv"

if [ "$fails" -ne 0 ]; then
  echo "interop round trip: $fails failure(s)"
  exit 1
fi
echo "interop round trip: all passed"
