#!/usr/bin/env bash
# S3 interop check between plateau for Rust (the CLI) and Python plateau 4.6.2, against the
# moto server of a tools/servers state directory:
#
#   tools/interop/s3.sh STATE_DIR          # servers of STATE_DIR running (tools/servers/start.sh)
#
# Both sides reach the bucket through ONE configuration string, minimalkv's
#   hs3://KEY:SECRET@HOST:PORT/BUCKET?is_secure=false&force_bucket_suffix=false
# (Python: minimalkv.get_store_from_url -> HS3FSStore over s3fs/boto3; Rust: --store), both
# run with the AWS_* variables removed from their environment, so the URL alone must do.
# Then the CLI is also run as `--store s3://BUCKET` with only the AWS_* variables of
# STATE_DIR/env and must list and read the same.
#
#   1. Python writes <RUN>_py (partitioned on country, indices product and store, ~1000 rows
#      of int/float/string/date/timestamp); the CLI lists it, reads it (parquet and csv),
#      reads it with index/partition predicates (and `partitions --where` must prune exactly
#      as the indices say); the CLI updates it (append more.csv, --delete-scope country=DE);
#      Python read_table (in full and with the same predicates) sees exactly the expected
#      rows, and the indices as Python loads them match the data.
#   2. The CLI writes <RUN>_rs from in.csv (--partition-on country --index product,store);
#      Python reads it (rows equal), updates it (append, delete_scope country=FR) and runs
#      garbage_collect_dataset (exactly the referenced keys remain); the CLI reads the result
#      (in full and with predicates), `plateau check` exits 0 for both datasets, and
#      `plateau gc --dry-run --min-age 0` lists exactly the keys no metadata references
#      (none after Python's gc; the deleted partition's files and the replaced index files
#      after the CLI's own update).
#   3. `--store s3://BUCKET` + AWS_* env: `list --json` equals the hs3:// listing, reads of
#      both datasets give the expected rows. Finally `plateau delete` removes both datasets
#      (one through each URL) and no key of the run is left.
#
# RUN is unique per run (s3i_<utc time>_<pid>_<random>), so runs can share a bucket.
# Rows are compared in Python as values keyed by a unique id (see s3_interop.py).
#
# Environment: PYTHON (default: tools/python/setup-venv.sh), PLATEAU (default
# target/debug/plateau), S3_INTEROP_KEEP=1 keeps the work directory and the datasets.
# The S3 extras (boto3, s3fs: tools/python/requirements-s3.txt) are installed into PYTHON's
# venv once (stamp: $VENV/.requirements-s3.sha256).
# Exit status: 0 all passed, 1 a check failed, 2 usage/setup error.
set -euo pipefail
t0=$(date +%s%N)
# STATE_DIR and PLATEAU may be relative to the caller's directory
abs() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
[ $# -eq 1 ] && set -- "$(abs "$1")"
[ -n "${PLATEAU:-}" ] && [[ $PLATEAU == */* ]] && PLATEAU=$(abs "$PLATEAU")
cd "$(dirname "$0")/../.."
secs() { local ms=$((($(date +%s%N) - $1) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }

die() { echo "s3.sh: $*" >&2; exit 2; }
[ $# -eq 1 ] || die "usage: tools/interop/s3.sh STATE_DIR"
state=$1
[ -f "$state/env" ] || die "$state/env not found (start the servers with tools/servers/start.sh)"
# shellcheck disable=SC1091
source "$state/env"
for v in AWS_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY PLATEAU_TEST_S3_URL; do
  [ -n "${!v:-}" ] || die "$v is not set by $state/env"
done

PYTHON=${PYTHON:-$(tools/python/setup-venv.sh)}
PLATEAU=${PLATEAU:-target/debug/plateau}
[ -x "$PLATEAU" ] || command -v "$PLATEAU" > /dev/null || die "no CLI binary at $PLATEAU (cargo build -p plateau-cli, or set PLATEAU)"

# --- the S3 extras in the reference venv (idempotent; reinstalled when either list changes)
req=tools/python/requirements-s3.txt
venv=$("$PYTHON" -c 'import sys; print(sys.prefix)')
stamp="$venv/.requirements-s3.sha256"
want=$(cat "$req" tools/python/requirements.txt | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "--- installing $req into $venv"
  t_install=$(date +%s%N)
  (
    flock 9
    if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
      # --no-deps: the list is complete; see its header for why (python-dateutil)
      "$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps -r "$req" >&2
      "$PYTHON" -W ignore -c 'import boto3, s3fs, minimalkv.net.s3fsstore' \
        || { echo "s3.sh: boto3/s3fs do not import after the install" >&2; exit 2; }
      echo "$want" > "$stamp"
    fi
  ) 9> "$venv/.requirements-s3.lock"
  echo "--- installed in $(secs "$t_install") s"
fi

bucket=${PLATEAU_TEST_S3_URL#s3://}
bucket=${bucket%%/*}
hostport=${AWS_ENDPOINT#*://}
hostport=${hostport%%/*}
case $AWS_ENDPOINT in https://*) secure=true ;; *) secure=false ;; esac
hs3="hs3://$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY@$hostport/$bucket?is_secure=$secure&force_bucket_suffix=false"
s3url="s3://$bucket"
run=s3i_$(date -u +%Y%m%d%H%M%S)_$$_$RANDOM
py=${run}_py
rs=${run}_rs

work=$(mktemp -d "${TMPDIR:-/tmp}/plateau-s3-interop.XXXXXX")
cleanup() { if [ "${S3_INTEROP_KEEP:-}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi; }
trap cleanup EXIT

# the hs3:// URL must be enough: neither side sees the AWS_* variables of STATE_DIR/env
noaws=(env -u AWS_ENDPOINT -u AWS_ALLOW_HTTP -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY
  -u AWS_REGION -u AWS_SESSION_TOKEN -u AWS_PROFILE -u PLATEAU_STORE)
mask() { local s="$*"; printf '%s' "${s//":$AWS_SECRET_ACCESS_KEY@"/:***@}"; }

npass=0
nfail=0
pass() { printf '[PASS] %s\n' "$*"; npass=$((npass + 1)); }
fail() { printf '[FAIL] %s\n' "$*"; nfail=$((nfail + 1)); }

# cli WHAT STORE OUT ARGS...: runs the CLI (STORE hs3 = the URL without AWS_* env; s3 = s3://
# with the env), stdout to OUT (- to discard); a non-zero exit is a failure with the exact
# command line and stderr.
cli() {
  local what=$1 which=$2 out=$3 rc=0
  shift 3
  local cmd=("$PLATEAU" --quiet --store "$s3url" "$@") envnote="with the AWS_* env"
  if [ "$which" = hs3 ]; then
    cmd=("$PLATEAU" --quiet --store "$hs3" "$@")
    envnote="without AWS_* env"
  fi
  [ "$out" = - ] && out=/dev/null
  if [ "$which" = hs3 ]; then
    "${noaws[@]}" "${cmd[@]}" > "$out" 2> "$work/stderr" || rc=$?
  else
    "${cmd[@]}" > "$out" 2> "$work/stderr" || rc=$?
  fi
  if [ "$rc" -eq 0 ]; then
    pass "$what"
  else
    fail "$what: exit $rc"
    local line
    printf -v line ' %q' "${cmd[@]}"
    echo "    command ($envnote):$(mask "$line")"
    sed 's/^/    /' "$work/stderr" | head -n 20
  fi
  return 0
}

# pyphase NAME ARGS...: one s3_interop.py phase; its [PASS]/[FAIL] lines are counted
pyphase() {
  local rc=0
  "${noaws[@]}" "$PYTHON" tools/interop/s3_interop.py "$@" > "$work/py.out" 2>&1 || rc=$?
  cat "$work/py.out"
  npass=$((npass + $(grep -c '^\[PASS\]' "$work/py.out" || true)))
  local f
  f=$(grep -c '^\[FAIL\]' "$work/py.out" || true)
  nfail=$((nfail + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    fail "s3_interop.py $1 exited $rc without a failed check (a crash: see above)"
  fi
  return "$rc"
}

summary() {
  echo "--- summary"
  echo "store: $(mask "$hs3") (Python and CLI) and $s3url + AWS_* env (CLI), endpoint $AWS_ENDPOINT"
  echo "datasets: $py (written by Python), $rs (written by the CLI)"
  [ -f "$work/rows.txt" ] && cat "$work/rows.txt"
  echo "compared: rows (values keyed by id, all 8 columns) and column kinds of every CLI read"
  echo "  (parquet, csv, 6 predicates x 2 states, s3:// and hs3://) and Python read_table"
  echo "  (full and 6 predicates); partition pruning; indices vs data; list; gc; check; delete"
  echo "time: $(secs "$t0") s"
  echo "s3 interop: $npass passed, $nfail failed"
}

mapfile -t queries < <("$PYTHON" tools/interop/s3_interop.py queries)
[ "${#queries[@]}" -gt 0 ] || die "s3_interop.py queries printed nothing"

echo "--- 1. Python plateau writes $py over $(mask "$hs3")"
if ! pyphase phase1 "$hs3" "$run" "$work"; then
  fail "Python could not write $py: nothing else to check"
  summary
  exit 1
fi

echo "--- 1. the CLI lists and reads $py (hs3:// URL only)"
cli "$py cli list --json" hs3 "$work/list-1.json" list --json
cli "$py cli read --format parquet" hs3 - read "$py" --format parquet --output "$work/a-full.parquet"
cli "$py cli read --format csv" hs3 - read "$py" --format csv --output "$work/a-full.csv"
for q in "${queries[@]}"; do
  name=${q%%$'\t'*}
  where=${q#*$'\t'}
  cli "$py cli read --where \"$where\"" hs3 - read "$py" --where "$where" --format parquet \
    --output "$work/a-q-$name.parquet"
  cli "$py cli partitions --where \"$where\"" hs3 "$work/a-p-$name.json" partitions "$py" --where "$where" --json
done
echo "--- 1. the CLI updates $py; the CLI writes $rs"
cli "$py cli update more.csv --delete-scope country=DE" hs3 - update "$py" "$work/more.csv" --delete-scope country=DE
cli "$rs cli write in.csv --partition-on country --index product,store" hs3 - \
  write "$rs" "$work/in.csv" --partition-on country --index product,store

echo "--- 1./2. Python reads both, updates and garbage-collects $rs"
pyphase phase2 "$hs3" "$run" "$work" || true

echo "--- 2. the CLI reads Python's result; check, gc"
cli "$rs cli read --format parquet" hs3 - read "$rs" --format parquet --output "$work/b-full.parquet"
for q in "${queries[@]}"; do
  name=${q%%$'\t'*}
  where=${q#*$'\t'}
  cli "$rs cli read --where \"$where\"" hs3 - read "$rs" --where "$where" --format parquet \
    --output "$work/b-q-$name.parquet"
  cli "$rs cli partitions --where \"$where\"" hs3 "$work/b-p-$name.json" partitions "$rs" --where "$where" --json
done
for u in "$rs" "$py"; do
  cli "$u cli check" hs3 - check "$u"
  cli "$u cli gc --dry-run --min-age 0" hs3 "$work/gc-$u.txt" gc "$u" --dry-run --min-age 0
done
# (phase3 compares both gc lists with the unreferenced keys Python finds)

echo "--- 3. the same store as s3://$bucket + AWS_* env"
cli "cli list --json (hs3://)" hs3 "$work/list-hs3.json" list --json
cli "cli list --json (s3://)" s3 "$work/list-s3.json" list --json
cli "$py cli read --store s3://" s3 - read "$py" --format parquet --output "$work/c-py.parquet"
cli "$rs cli read --store s3://" s3 - read "$rs" --format parquet --output "$work/c-rs.parquet"
pyphase phase3 "$hs3" "$run" "$work" || true

if [ "${S3_INTEROP_KEEP:-}" != 1 ]; then
  echo "--- cleanup: plateau delete"
  # --min-age 0: nobody else writes this run's uuids (the files of the partition the CLI's
  # update deleted are vouched for by no metadata, and are younger than the default 1h)
  cli "$py cli delete --min-age 0 (hs3://)" hs3 - delete "$py" --min-age 0
  cli "$rs cli delete --min-age 0 (s3://)" s3 - delete "$rs" --min-age 0
  pyphase leftovers "$hs3" "$run" || true
fi

summary
[ "$nfail" -eq 0 ]
