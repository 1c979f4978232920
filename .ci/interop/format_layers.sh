#!/usr/bin/env bash
# The format layers against real Python plateau 4.6.2 / pyarrow 26: files written by Rust are
# read (Parquet data files), loaded (index files) and updated (_common_metadata) by Python.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${PYTHON:?set PYTHON to the reference venv python (tools/python/setup-venv.sh)}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --quiet -p plateau-serialization -p plateau-index -p plateau-metadata --examples

echo "--- Parquet data files: pyarrow and plateau read what we write"
cargo run --quiet -p plateau-serialization --example write_type_samples -- "$work/parquet"
"$PYTHON" serialization/tests/python/check_pyarrow_reads.py "$work/parquet"

echo "--- index files: plateau loads, queries and updates what we write"
cargo run --quiet -p plateau-index --example write_index_samples -- "$work/index"
"$PYTHON" index/tests/python/check_plateau_loads.py "$work/index"

echo "--- _common_metadata: plateau reads it and updates datasets carrying it"
cargo run --quiet -p plateau-metadata --example write_common_metadata_samples -- "$work/common_metadata"
"$PYTHON" metadata/tests/python/check_common_metadata.py "$work/common_metadata"
