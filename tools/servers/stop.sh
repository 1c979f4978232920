#!/usr/bin/env bash
# Stop the servers that tools/servers/start.sh started for STATE_DIR.
# Kills each server's whole process group (TERM, then KILL after 10 s).
# Idempotent: a second call, or a call for servers that already died, is a
# no-op that exits 0. STATE_DIR (logs, azurite data) is left in place.
#
# Usage: tools/servers/stop.sh STATE_DIR
set -euo pipefail

say() { printf '[servers] %s\n' "$*" >&2; }

[[ $# -eq 1 ]] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
STATE_DIR=$1
PIDS_FILE="$STATE_DIR/pids"
if [[ ! -f "$PIDS_FILE" ]]; then
  say "nothing to stop in $STATE_DIR"
  exit 0
fi

# A process group is only killed if one of its members is still one of our
# servers (guards against the pid having been reused since start.sh ran).
ours() {
  local pgid=$1 member cmd
  for member in $(pgrep -g "$pgid" 2>/dev/null); do
    cmd=$(tr '\0' ' ' <"/proc/$member/cmdline" 2>/dev/null || true)
    [[ "$cmd" == *moto_server* || "$cmd" == *azurite* ]] && return 0
  done
  return 1
}

alive_group() { kill -0 -- "-$1" 2>/dev/null; }

groups=()
while read -r pgid; do
  [[ "$pgid" =~ ^[0-9]+$ ]] || continue
  if alive_group "$pgid" && ours "$pgid"; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    groups+=("$pgid")
  fi
done <"$PIDS_FILE"

for _ in $(seq 1 50); do
  left=()
  for pgid in "${groups[@]}"; do alive_group "$pgid" && left+=("$pgid"); done
  ((${#left[@]} == 0)) && break
  sleep 0.2
done
for pgid in "${groups[@]}"; do
  if alive_group "$pgid"; then
    say "process group $pgid ignored SIGTERM; sending SIGKILL"
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
done

mv -f "$PIDS_FILE" "$PIDS_FILE.stopped"
say "stopped ${#groups[@]} server(s) of $STATE_DIR"
