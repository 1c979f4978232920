#!/usr/bin/env bash
# End-to-end benchmark: plateau for Rust (benches/src/bin/e2e.rs, with raw arrow-rs reads of
# the same files as the baseline) and Python plateau 4.6.2 (tools/interop/bench_python.py) on
# the same data, then a table of medians and ratios.
#
#   tools/interop/bench.sh [--rows N] [--partitions P] [--frames F] [--repeat R]
#
# Options are passed to both harnesses. $PYTHON defaults to the reference venv
# (tools/python/setup-venv.sh). Results: $OUT (default target/bench-e2e)/{rust,python}.json.
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-$(tools/python/setup-venv.sh)}
out=${OUT:-target/bench-e2e}
mkdir -p "$out"

cargo build --release --quiet -p plateau-benches --bin e2e
echo "=== plateau for Rust"
cargo run --release --quiet -p plateau-benches --bin e2e -- --json "$out/rust.json" "$@"
echo
echo "=== Python plateau"
"$PYTHON" tools/interop/bench_python.py --json "$out/python.json" "$@"
echo
echo "=== comparison (medians)"
"$PYTHON" - "$out/rust.json" "$out/python.json" <<'EOF'
import json, sys

rust = json.load(open(sys.argv[1]))
py = json.load(open(sys.argv[2]))
r = {x["op"]: x for x in rust["results"]}
p = {x["op"]: x for x in py["results"]}
baseline = {"read_full": "arrow_read_full", "read_partition": "arrow_read_partition", "read_index": "arrow_filter_index"}
print(f"{rust['params']['rows']} rows, {rust['params']['files']} files (Rust) / {py['params']['files']} (Python)")
print()
print("| operation | Rust s | Python s | Python / Rust | arrow-rs s | Rust / arrow-rs | rows |")
print("|---|---:|---:|---:|---:|---:|---:|")
for op in ["write", "read_full", "read_partition", "read_index", "update"]:
    rs, ps = r[op]["median_s"], p[op]["median_s"]
    b = r.get(baseline.get(op, ""), None)
    bs = f"{b['median_s']:.4f}" if b else ""
    br = f"{rs / b['median_s']:.2f}x" if b else ""
    rows = r[op]["rows"]
    if rows is not None and p[op]["rows"] != rows:
        rows = f"{rows} (Python: {p[op]['rows']})"
    print(f"| {op} | {rs:.4f} | {ps:.4f} | {ps / rs:.1f}x | {bs} | {br} | {'' if rows is None else rows} |")
EOF
