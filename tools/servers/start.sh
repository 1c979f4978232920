#!/usr/bin/env bash
# Start local object-store protocol test servers on 127.0.0.1, no Docker:
#   S3:         moto_server (moto[server], PyPI) in a cached virtualenv
#   Azure Blob: azurite-blob (azurite, npm) in a cached node_modules
# Creates bucket `plateau` and container `plateau`, writes STATE_DIR/env
# (source it), STATE_DIR/pids and STATE_DIR/*.log.
#
# Usage: tools/servers/start.sh [STATE_DIR]   (default: a new mktemp -d)
# Progress goes to stderr; stdout is only the STATE_DIR path (last line), so
#   state=$(tools/servers/start.sh)
# works. Stop with tools/servers/stop.sh "$state".
#
# Environment:
#   PLATEAU_SERVERS_CACHE    install cache (default ~/.cache/plateau-servers)
#   PLATEAU_SERVERS_TIMEOUT  seconds to wait for each server (default 60)
#   PYTHON                   interpreter for the moto venv (default python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
MOTO_VERSION=5.2.5
AZURITE_VERSION=3.37.0
AZURITE_ACCOUNT=devstoreaccount1
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
BUCKET=plateau
CONTAINER=plateau
CACHE=${PLATEAU_SERVERS_CACHE:-$HOME/.cache/plateau-servers}
TIMEOUT=${PLATEAU_SERVERS_TIMEOUT:-60}
PYTHON=${PYTHON:-python3}
LIB="$HERE/serverlib.py"

say() { printf '[servers] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

for tool in "$PYTHON" node npm setsid flock; do
  command -v "$tool" >/dev/null || die "'$tool' not found"
done

T0=$(now)
STATE_DIR=${1:-$(mktemp -d "${TMPDIR:-/tmp}/plateau-servers.XXXXXX")}
mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
if [[ -s "$STATE_DIR/pids" ]]; then
  while read -r p; do
    if [[ -n "$p" ]] && kill -0 "$p" 2>/dev/null; then
      die "servers of $STATE_DIR still running (pid $p); run tools/servers/stop.sh $STATE_DIR"
    fi
  done <"$STATE_DIR/pids"
fi
rm -f "$STATE_DIR/pids" "$STATE_DIR/env"
mkdir -p "$CACHE"

# On failure, stop whatever this run already started.
STARTED=()
cleanup() {
  local rc=$?
  if ((rc != 0)); then
    for p in "${STARTED[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
    sleep 1
    for p in "${STARTED[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done
    say "failed; logs are in $STATE_DIR"
  fi
}
trap cleanup EXIT

show_log() { say "--- last lines of $1:"; tail -n 30 "$1" >&2 || true; }

# ---------------------------------------------------------------- installs
# One installer at a time per cache (parallel CI jobs on one machine).
exec 9>"$CACHE/.install.lock"
flock 9

MOTO_VENV="$CACHE/moto-venv"
install_moto() {
  local stamp="$MOTO_VENV/.plateau-stamp" want log="$STATE_DIR/install-moto.log"
  want="moto[server]==$MOTO_VERSION constraints=$(sha256sum <"$HERE/moto-constraints.txt" | cut -c1-16) python=$(command -v "$PYTHON") $("$PYTHON" -c 'import sys; print(sys.version.split()[0])')"
  if [[ -x "$MOTO_VENV/bin/moto_server" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "moto $MOTO_VERSION: cached venv $MOTO_VENV"
    return
  fi
  local t; t=$(now)
  say "moto $MOTO_VERSION: installing into $MOTO_VENV (log: $log)"
  rm -rf "$MOTO_VENV"
  "$PYTHON" -m venv "$MOTO_VENV" >>"$log" 2>&1 || { show_log "$log"; die "python venv failed"; }
  "$MOTO_VENV/bin/python" -m pip install --disable-pip-version-check --no-input \
    "moto[server]==$MOTO_VERSION" -c "$HERE/moto-constraints.txt" >>"$log" 2>&1 ||
    { show_log "$log"; rm -rf "$MOTO_VENV"; die "pip install moto[server]==$MOTO_VERSION failed"; }
  printf '%s\n' "$want" >"$stamp"
  say "moto: installed in $(since "$t") s"
}

AZURITE_DIR="$CACHE/azurite"
install_azurite() {
  local stamp="$AZURITE_DIR/.plateau-stamp" want log="$STATE_DIR/install-azurite.log"
  want="azurite@$AZURITE_VERSION lock=$(cat "$HERE/azurite/package.json" "$HERE/azurite/package-lock.json" | sha256sum | cut -c1-16)"
  if [[ -x "$AZURITE_DIR/node_modules/.bin/azurite-blob" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    say "azurite $AZURITE_VERSION: cached in $AZURITE_DIR"
    return
  fi
  local t; t=$(now)
  say "azurite $AZURITE_VERSION: npm ci into $AZURITE_DIR (log: $log)"
  rm -rf "$AZURITE_DIR"
  mkdir -p "$AZURITE_DIR"
  cp "$HERE/azurite/package.json" "$HERE/azurite/package-lock.json" "$AZURITE_DIR/"
  # azurite 3.37 declares node >= 22; on node 20 npm only warns (EBADENGINE)
  # and the blob service runs fine.
  npm ci --prefix "$AZURITE_DIR" --no-audit --no-fund --engine-strict=false >>"$log" 2>&1 ||
    { show_log "$log"; rm -rf "$AZURITE_DIR"; die "npm ci azurite@$AZURITE_VERSION failed"; }
  local got
  got=$(node -p "require('$AZURITE_DIR/node_modules/azurite/package.json').version")
  [[ "$got" == "$AZURITE_VERSION" ]] || die "installed azurite is $got, expected $AZURITE_VERSION"
  printf '%s\n' "$want" >"$stamp"
  say "azurite: installed in $(since "$t") s"
}

install_moto
install_azurite
flock -u 9
exec 9>&-

# ----------------------------------------------------------------- servers
# start_server NAME READY_PATH CMD... (CMD may contain the literal word @PORT@)
# Sets SERVER_PID and SERVER_PORT. Each server gets its own session/process
# group (setsid), so stop.sh can kill the whole group.
start_server() {
  local name=$1 ready=$2; shift 2
  local log="$STATE_DIR/$name.log" attempt port pid cmd t rc
  for attempt in 1 2 3; do
    port=$("$PYTHON" "$LIB" free-port)
    cmd=("${@//@PORT@/$port}")
    t=$(now)
    printf '=== %s: %s\n' "$(date -u +%FT%TZ)" "${cmd[*]}" >>"$log"
    setsid "${cmd[@]}" </dev/null >>"$log" 2>&1 &
    pid=$!
    STARTED+=("$pid")
    rc=0
    "$PYTHON" "$LIB" wait-http "http://127.0.0.1:$port$ready" "$TIMEOUT" "$pid" >/dev/null 2>>"$log" || rc=$?
    if ((rc == 0)); then
      SERVER_PID=$pid SERVER_PORT=$port
      say "$name: pid $pid, http://127.0.0.1:$port, answered after $(since "$t") s"
      return
    fi
    kill -KILL -- "-$pid" 2>/dev/null || true
    say "$name: attempt $attempt on port $port failed"
    show_log "$log"
  done
  die "$name did not start (see $log)"
}

export PYTHONUNBUFFERED=1
start_server moto / \
  "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p @PORT@
S3_PID=$SERVER_PID S3_PORT=$SERVER_PORT
S3_ENDPOINT="http://127.0.0.1:$S3_PORT"
"$PYTHON" "$LIB" s3-create-bucket "$S3_ENDPOINT" "$BUCKET" >/dev/null
say "moto: bucket $BUCKET created"

mkdir -p "$STATE_DIR/azurite"
start_server azurite "/$AZURITE_ACCOUNT?comp=list" \
  "$AZURITE_DIR/node_modules/.bin/azurite-blob" \
  --blobHost 127.0.0.1 --blobPort @PORT@ \
  --location "$STATE_DIR/azurite" \
  --silent --skipApiVersionCheck --loose --disableTelemetry --disableProductStyleUrl
AZ_PID=$SERVER_PID AZ_PORT=$SERVER_PORT
AZ_URL="http://127.0.0.1:$AZ_PORT"
"$PYTHON" "$LIB" az-create-container "$AZ_URL" "$CONTAINER" >/dev/null
say "azurite: container $CONTAINER created"

# ------------------------------------------------------------- state files
printf '%s\n' "$S3_PID" "$AZ_PID" >"$STATE_DIR/pids"
cat >"$STATE_DIR/env" <<EOF
# Written by tools/servers/start.sh at $(date -u +%FT%TZ); source this file.
export PLATEAU_SERVERS_STATE_DIR='$STATE_DIR'
export PLATEAU_SERVERS_PIDS="$S3_PID $AZ_PID"
# S3: moto_server $MOTO_VERSION, path-style URLs; any credentials are accepted (not verified)
export PLATEAU_S3_PID=$S3_PID
export PLATEAU_S3_PORT=$S3_PORT
export AWS_ENDPOINT=$S3_ENDPOINT
export AWS_ALLOW_HTTP=true
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export PLATEAU_TEST_S3_URL=s3://$BUCKET
# Azure Blob: azurite-blob $AZURITE_VERSION, path-style URLs /ACCOUNT/CONTAINER/BLOB.
# object_store reads AZURITE_BLOB_STORAGE_URL itself (std::env::var, at build())
# when use_emulator is on; AZURE_STORAGE_ENDPOINT is ignored in emulator mode.
export PLATEAU_AZURITE_PID=$AZ_PID
export PLATEAU_AZURITE_PORT=$AZ_PORT
export AZURE_STORAGE_USE_EMULATOR=true
export AZURE_STORAGE_ACCOUNT_NAME=$AZURITE_ACCOUNT
export AZURE_STORAGE_ACCOUNT_KEY='$AZURITE_KEY'
export AZURITE_BLOB_STORAGE_URL=$AZ_URL
export PLATEAU_TEST_AZURE_URL=az://$CONTAINER
EOF

say "ready in $(since "$T0") s; state in $STATE_DIR (source $STATE_DIR/env)"
echo "$STATE_DIR"
