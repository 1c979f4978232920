#!/usr/bin/env python
"""Python plateau's side of the end-to-end benchmark (the counterpart of
`cargo run --release -p plateau-benches --bin e2e`; tools/interop/bench.sh runs both).

Usage:
  $PYTHON tools/interop/bench_python.py [--rows 2000000] [--partitions 100] [--frames 1]
                                        [--repeat 3] [--dir DIR] [--json PATH]

Adapted from shared/pyref/bench_plateau.py, plateau's eager API only. The data is the Rust
harness's, value for value: every column is derived from splitmix64 of the row id (uint64
arithmetic that wraps, as in Rust).

  id       int64     0..rows
  part     int64     id * partitions // rows   (partition key; contiguous blocks)
  idx_key  int64     id * 1000 // rows         (secondary index; each value in one partition)
  f0       float64   uniform in [-1000, 1000)
  s        str       one of 10,000 strings
  flag     bool
  d        date      2020-01-01 + 0..3650 days (datetime.date objects, as plateau writes dates)
  ts       datetime64[us]

Operations (median and min of --repeat runs):
  write           store_dataframes_as_dataset(partition_on=['part'], secondary_indices=['idx_key'])
  read_full       read_table
  read_partition  read_table part == partitions // 2
  read_index      read_table idx_key == 505
  update          update_dataset_from_dataframes(rows of part == 0, delete_scope=[{'part': 0}])
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "pyref"))
import pyref_common as C  # noqa: E402

import plateau  # noqa: E402
from plateau.core.dataset import DatasetMetadata  # noqa: E402
from plateau.io.eager import read_table, store_dataframes_as_dataset, update_dataset_from_dataframes  # noqa: E402

UUID = "bench"
INDEX_CARDINALITY = 1000
INDEX_VALUE = 505
STRING_POOL = 10_000


def splitmix64(x: np.ndarray) -> np.ndarray:
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def make_frame(lo: int, hi: int, rows: int, partitions: int, pool: np.ndarray) -> pd.DataFrame:
    ids = np.arange(lo, hi, dtype=np.int64)
    h = splitmix64(ids)
    # Python ints for the scaling: id * partitions must not overflow for any --rows
    part = (ids.astype(object) * partitions // rows).astype(np.int64)
    idx_key = (ids.astype(object) * INDEX_CARDINALITY // rows).astype(np.int64)
    f0 = (h >> np.uint64(11)).astype(np.float64) / float(1 << 53) * 2000.0 - 1000.0
    s = pool[((h >> np.uint64(20)) % np.uint64(STRING_POOL)).astype(np.int64)]
    days = ((h >> np.uint64(32)) % np.uint64(3650)).astype(np.int64)
    d = (np.datetime64("2020-01-01", "D") + days.astype("timedelta64[D]")).astype(object)
    ts_us = np.int64(1_577_836_800_000_000) + ((h >> np.uint64(8)) % np.uint64(10_000_000_000_000)).astype(np.int64)
    return pd.DataFrame(
        {
            "id": ids,
            "part": part,
            "idx_key": idx_key,
            "f0": f0,
            "s": pd.Series(s, dtype="str"),
            "flag": (h & np.uint64(1)) == np.uint64(1),
            "d": pd.Series(d, dtype=object),
            "ts": pd.Series(ts_us.view("datetime64[us]")),
        }
    )


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--frames", type=int, default=1, help="input dataframes (files = frames x partitions)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dir", default=None, help="store directory (wiped); default a temporary directory")
    ap.add_argument("--json", default="bench_python_results.json")
    args = ap.parse_args(argv)
    C.quiet_warnings()

    tmp = None
    if args.dir is None:
        tmp = tempfile.mkdtemp(prefix="plateau-bench-py.")
        args.dir = os.path.join(tmp, "store")
    if os.path.exists(args.dir):
        shutil.rmtree(args.dir)
    try:
        return run(args)
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args):
    store = C.open_store(args.dir)
    pool = np.array([f"str_{i:06d}_{'x' * (i % 7)}" for i in range(STRING_POOL)], dtype=object)
    t_all = time.perf_counter()
    bounds = [args.rows * f // args.frames for f in range(args.frames + 1)]
    frames = [make_frame(bounds[f], bounds[f + 1], args.rows, args.partitions, pool) for f in range(args.frames)]
    generate_s = time.perf_counter() - t_all
    part_value = args.partitions // 2
    print(f"python plateau e2e: {args.rows} rows x 8 columns, {args.partitions} partitions, "
          f"{args.frames} frame(s), repeat {args.repeat}, store {args.dir}", flush=True)

    results = []

    def bench(op, description, fn, setup=None):
        times, rows = [], None
        for _ in range(max(1, args.repeat)):
            if setup:
                setup()
            t0 = time.perf_counter()
            res = fn()
            times.append(time.perf_counter() - t0)
            rows = len(res) if isinstance(res, pd.DataFrame) else None
        rec = {"op": op, "description": description, "median_s": statistics.median(times), "min_s": min(times),
               "times_s": times, "rows": rows}
        results.append(rec)
        print(f"  {op:<22} median {rec['median_s']:9.4f}s  min {rec['min_s']:9.4f}s  rows {'' if rows is None else rows:>9}  {description}",
              flush=True)

    def wipe():
        for k in DatasetMetadata.storage_keys(UUID, store):
            store.delete(k)

    bench("write", "store_dataframes_as_dataset(partition_on=['part'], secondary_indices=['idx_key'])",
          lambda: store_dataframes_as_dataset(store=store, dataset_uuid=UUID, dfs=frames, partition_on=["part"],
                                              secondary_indices=["idx_key"]),
          setup=wipe)
    files = sum(1 for k in DatasetMetadata.storage_keys(UUID, store) if k.endswith(".parquet") and "/table/" in k)
    dataset_bytes = sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(os.path.join(args.dir, UUID)) for f in fs)
    bench("read_full", "read_table", lambda: read_table(UUID, store))
    bench("read_partition", f"read_table part == {part_value} (partition pruning)",
          lambda: read_table(UUID, store, predicates=[[("part", "==", part_value)]]))
    bench("read_index", f"read_table idx_key == {INDEX_VALUE} (secondary index)",
          lambda: read_table(UUID, store, predicates=[[("idx_key", "==", INDEX_VALUE)]]))
    replacement = pd.concat([f[f["part"] == 0] for f in frames], ignore_index=True)
    bench("update", f"update_dataset_from_dataframes(delete_scope part == 0, {len(replacement)} rows)",
          lambda: update_dataset_from_dataframes([replacement], store=store, dataset_uuid=UUID,
                                                 delete_scope=[{"part": 0}]))
    rows_after = len(read_table(UUID, store))
    if rows_after != args.rows:
        raise SystemExit(f"{rows_after} rows after the updates, expected {args.rows}")
    total_s = time.perf_counter() - t_all

    print()
    print("| op | operation | median s | min s | rows |")
    print("|---|---|---:|---:|---:|")
    for r in results:
        print(f"| {r['op']} | {r['description']} | {r['median_s']:.4f} | {r['min_s']:.4f} | {'' if r['rows'] is None else r['rows']} |")
    print(f"\n{args.rows} rows, {files} data files, {dataset_bytes / 1e6:.1f} MB; total {total_s:.1f}s")
    doc = {
        "engine": "plateau-python",
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "env": {"python": sys.version.split()[0], "plateau": plateau.__version__, "pandas": pd.__version__,
                "pyarrow": pa.__version__, "numpy": np.__version__, "platform": platform.platform(),
                "cpu_count": os.cpu_count()},
        "params": {"rows": args.rows, "partitions": args.partitions, "frames": args.frames, "repeat": args.repeat,
                   "files": files, "dataset_bytes": dataset_bytes, "generate_s": generate_s},
        "results": results,
        "total_s": total_s,
    }
    with open(args.json, "w") as fh:
        json.dump(doc, fh, indent=2)
    print(f"results in {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
