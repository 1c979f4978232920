#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ for a while each, one after the other.
#
# Usage: tools/fuzz/run.sh [SECONDS] [TARGET...]
#   SECONDS  libFuzzer's -max_total_time per target (default 30)
#   TARGET   targets to run (default: every fuzz/fuzz_targets/*.rs)
#
# Steps: install cargo-fuzz if missing; pick the nightly toolchain (or, without one, the
# stable toolchain with RUSTC_BOOTSTRAP=1); seed the corpora (tools/fuzz/seed.sh); build
# the targets; replay fuzz/regressions/<target>/ (inputs that crashed once); fuzz each
# target. Prints per target the runs libFuzzer executed ("Done N runs in S second(s)").
# Exits non-zero if a build fails or any target crashes, runs out of memory or times out;
# a crash input lands in fuzz/artifacts/<target>/, with the command to reproduce it.
#
# Environment:
#   FUZZ_SANITIZER    cargo fuzz --sanitizer (default none: the workspace forbids unsafe
#                     code, and ASan costs ~2.5x in speed and a third more build time;
#                     `address` for a deeper run)
#   FUZZ_TARGET_DIR   cargo target directory (default ~/.cache/plateau-fuzz/target, kept
#                     between checkouts so that a second run only rebuilds plateau's crates)
#   FUZZ_DEADLINE     if set, a budget in seconds for the whole script: targets get fewer
#                     seconds (at least 5) when the build took long, so the total stays near it
#   PLATEAU_FUZZ_IGNORE  panic locations to treat as known bugs (see fuzz/src/lib.rs)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root/fuzz"
started=$SECONDS

seconds=${1:-30}
shift || true
if ! [[ $seconds =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in fuzz_targets/*.rs; do targets+=("$(basename "$f" .rs)"); done
fi

# The toolchain: nightly if installed, else stable with nightly features unlocked (libFuzzer's
# instrumentation flags are nightly-only).
if cargo +nightly --version >/dev/null 2>&1; then
  toolchain=(+nightly)
else
  toolchain=()
  export RUSTC_BOOTSTRAP=1
  echo "fuzz: no nightly toolchain; using $(cargo --version) with RUSTC_BOOTSTRAP=1"
fi

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz"
  cargo install cargo-fuzz --locked
fi

sanitizer=${FUZZ_SANITIZER:-none}
target_dir=${FUZZ_TARGET_DIR:-$HOME/.cache/plateau-fuzz/target}
mkdir -p "$target_dir"
# Debug assertions on (-a): integer overflow is a crash, as in the workspace's tests.
fuzz_args=(--sanitizer "$sanitizer" --debug-assertions --target-dir "$target_dir")
triple=$(rustc "${toolchain[@]}" -vV | sed -n 's/^host: //p')
bin_dir="$target_dir/$triple/release"

"$root/tools/fuzz/seed.sh" "${targets[@]}"

build_start=$SECONDS
echo "fuzz: building ${#targets[@]} targets (sanitizer $sanitizer, target dir $target_dir)"
for target in "${targets[@]}"; do
  cargo "${toolchain[@]}" fuzz build "${fuzz_args[@]}" "$target"
done
build_seconds=$((SECONDS - build_start))
echo "fuzz: build took ${build_seconds} s"

failed=()
summary=()
mkdir -p logs
for i in "${!targets[@]}"; do
  target=${targets[$i]}
  bin="$bin_dir/$target"

  # Inputs that crashed before must not crash now (the fixed bugs stay fixed).
  regressions=(regressions/"$target"/*)
  if [ -e "${regressions[0]}" ]; then
    if ! "$bin" "${regressions[@]}" >"logs/$target.regressions.log" 2>&1; then
      echo "fuzz: $target: a regression input crashes:"
      grep -m1 -A1 "panicked at" "logs/$target.regressions.log" || tail -5 "logs/$target.regressions.log"
      failed+=("$target (regression)")
      summary+=("$target: REGRESSION (fuzz/logs/$target.regressions.log)")
      continue
    fi
  fi

  run_seconds=$seconds
  if [ -n "${FUZZ_DEADLINE:-}" ]; then
    left=$((FUZZ_DEADLINE - (SECONDS - started)))
    share=$((left / (${#targets[@]} - i)))
    if [ "$share" -lt "$run_seconds" ]; then run_seconds=$((share > 5 ? share : 5)); fi
  fi
  mkdir -p "corpus/$target" "artifacts/$target"
  echo "fuzz: $target for ${run_seconds} s"
  status=0
  # Limits: the parquet crate sizes a page's decompression buffer from the page header and
  # zero-fills it (up to 2 GiB for a corrupt 5 KB file, seconds of work in this debug-asserted
  # build) before it finds the page corrupt; plateau then answers Error::Corrupt. Such inputs
  # are slow, not crashes, so the limits leave room for them; anything beyond is reported.
  "$bin" -max_total_time="$run_seconds" -timeout=60 -rss_limit_mb=4096 \
    -artifact_prefix="artifacts/$target/" -print_final_stats=1 \
    "corpus/$target" >"logs/$target.log" 2>&1 || status=$?
  done_line=$(grep -E '^Done [0-9]+ runs in [0-9]+ second' "logs/$target.log" | tail -1 || true)
  if [ "$status" -eq 0 ] && [ -n "$done_line" ]; then
    runs=$(echo "$done_line" | awk '{print $2}')
    secs=$(echo "$done_line" | awk '{print $5}')
    rate=$((runs / (secs > 0 ? secs : 1)))
    corpus_size=$(find "corpus/$target" -type f | wc -l)
    summary+=("$target: ok, $runs runs in $secs s ($rate runs/s), corpus $corpus_size")
  else
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "logs/$target.log" | tail -1)
    echo "fuzz: $target FAILED (exit $status); log fuzz/logs/$target.log"
    grep -m1 -A1 "panicked at" "logs/$target.log" || grep -m1 "ERROR: libFuzzer" "logs/$target.log" || tail -5 "logs/$target.log"
    if [ -n "$artifact" ]; then
      echo "  input: fuzz/$artifact"
      echo "  reproduce: $bin_dir/$target fuzz/$artifact"
      echo "  minimise:  $bin_dir/$target -minimize_crash=1 -max_total_time=60 fuzz/$artifact"
    fi
    failed+=("$target")
    summary+=("$target: FAILED${artifact:+ (input fuzz/$artifact)}")
  fi
done

echo
echo "fuzz summary (build ${build_seconds} s, total $((SECONDS - started)) s):"
for line in "${summary[@]}"; do echo "  $line"; done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran without a crash"
