#!/usr/bin/env bash
# Interop check of `plateau sql` (DataFusion over the store's datasets) against DuckDB over
# what Python plateau 4.6.2's read_table returns (run by .ci/run with $PYTHON = the reference
# venv's python, which has duckdb; see tools/python/requirements.txt).
#
#   a. Python plateau writes two datasets into a fresh store (tools/interop/sql_side.py):
#      `sales` (partition_on region, year; secondary indices on customer and note; nulls,
#      dates, timestamps, strings; three appends and one update with a delete scope) and
#      `customers` (partition_on segment) to join with.
#   b. Every query of sql_side.py's QUERIES (partition-key, index and plain-column filters,
#      IN, ranges, IS NULL, GROUP BY, aggregates, ORDER BY ... LIMIT, joins) runs in DuckDB
#      over read_table's frames and as `plateau --store DIR sql QUERY --format jsonl`: the
#      column names and the rows (a multiset, or a list under ORDER BY ... LIMIT) must agree.
#   c. `plateau sql "EXPLAIN ..."` reports the plateau scan of the dataset with exactly the
#      partitions Python's partition labels or secondary index select, fewer than all.
#   d. Two `plateau worker` processes on 127.0.0.1: every query of b again with
#      `--workers`, against the same DuckDB answers (so distributed equals single-node).
#
# One [PASS]/[FAIL] line per query; exit status 1 if any check failed.
# Environment: PYTHON (default: tools/python/setup-venv.sh); PLATEAU = a plateau binary to use
# as it is (default: build the dev profile's, as compact.sh does).
# Everything is written under a mktemp directory that is removed on exit.
set -euo pipefail
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
[ -n "${PLATEAU:-}" ] && [[ $PLATEAU == */* ]] && PLATEAU=$(abs "$PLATEAU")
cd "$(dirname "$0")/../.."

PYTHON=${PYTHON:-$(tools/python/setup-venv.sh)}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/plateau-sql.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
store="$tmp/store"
side() { "$PYTHON" tools/interop/sql_side.py "$@"; }
t0=$(date +%s)

if [ -n "${PLATEAU:-}" ]; then
  bin=$PLATEAU
else
  # .ci/run has built the dev binary already (`cargo test --workspace`): this costs seconds.
  echo "--- building the CLI (dev profile)"
  cargo build --quiet -p plateau-cli
  bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/plateau"
fi
[ -x "$bin" ] || { echo "cannot find the plateau binary at $bin" >&2; exit 1; }

fails=0
echo "--- a. Python plateau writes sales and customers"
if ! side write "$store"; then
  echo "interop sql: the datasets could not be written"
  exit 1
fi

echo "--- b. each query: DuckDB over read_table vs plateau sql"
side queries "$store" "$bin" || fails=$((fails + 1))

echo "--- c. EXPLAIN: the pruning report"
side explain "$store" "$bin" || fails=$((fails + 1))

echo "--- d. the same queries on two plateau worker processes on 127.0.0.1"
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
urls=()
for _ in 1 2; do
  port=$(free_port)
  "$bin" --store "$store" -q worker --port "$port" &
  pids+=($!)
  urls+=("http://127.0.0.1:$port")
done
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for url in "${urls[@]}"; do
  hostport=${url#http://}
  for _ in $(seq 100); do
    if "$PYTHON" -c "import socket, sys; socket.create_connection(('${hostport%:*}', ${hostport#*:}), 1)" 2>/dev/null; then
      break
    fi
    sleep 0.1
  done
done
workers=$(IFS=,; printf '%s' "${urls[*]}")
PLATEAU_SQL_WORKERS=$workers side queries "$store" "$bin" || fails=$((fails + 1))
kill "${pids[@]}" 2>/dev/null || true

secs=$(($(date +%s) - t0))
if [ "$fails" -ne 0 ]; then
  echo "interop sql: failures (see [FAIL] above), ${secs}s"
  exit 1
fi
echo "interop sql: all passed, ${secs}s"
