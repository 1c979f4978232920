#!/usr/bin/env python3
"""SQL over one plateau dataset: plateau (in process and as `plateau sql`), DuckDB and polars.

    PYTHON=$(tools/python/setup-venv.sh)
    "$PYTHON" -m pip install -r tools/python/requirements-bench.txt     # polars
    cargo build --release -p plateau-cli -p plateau-benches --bin plateau --bin sql
    "$PYTHON" tools/bench/sql_peers.py [--rows 2000000] [--partitions 100] [--frames 4] [--repeat 5]

Python plateau 4.6.2 writes the e2e benchmark table (tools/interop/bench_python.py's frames:
id, part, idx_key with 1,000 values and a secondary index, f0, s, flag, d, ts) with
partition_on=['part'] into a temporary store (--frames x --partitions files). Then, in one run,
each query is timed --repeat times per engine (median and min):

* plateau-rs in process: `plateau-benches --bin sql` (plateau-datafusion, a fresh plan per run);
* plateau-rs CLI: `plateau sql QUERY --format parquet --output FILE`, the whole process;
* DuckDB 2.0: read_parquet('<uuid>/table/**/*.parquet', hive_partitioning=true) -> arrow;
* polars: scan_parquet(hive_partitioning=True) through its SQL context -> DataFrame.

Queries: an aggregate over every row, a partition-pruned query, an index point query.
Prints a table with ratios against plateau in process and writes JSON (--json).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tools", "interop"))
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402

import bench_python as B  # noqa: E402
from plateau.io.eager import store_dataframes_as_dataset  # noqa: E402

UUID = "bench"


def queries(partitions: int) -> list[tuple[str, str]]:
    return [
        ("aggregate", f"SELECT part, count(*) AS n, sum(f0) AS total, max(ts) AS last FROM {UUID} GROUP BY part"),
        ("partition", f"SELECT * FROM {UUID} WHERE part = {partitions // 2}"),
        ("index point", f"SELECT * FROM {UUID} WHERE idx_key = {B.INDEX_CARDINALITY // 2 + 5}"),
    ]


def timed(fn, repeat):
    times, rows = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        rows = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), min(times), rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--plateau", default=os.path.join(ROOT, "target", "release", "plateau"))
    ap.add_argument("--sql-bench", default=os.path.join(ROOT, "target", "release", "sql"))
    ap.add_argument("--json", default="sql_peers_results.json")
    args = ap.parse_args(argv)
    for binary in (args.plateau, args.sql_bench):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} is missing: cargo build --release -p plateau-cli -p plateau-benches")
    import duckdb

    try:
        import polars as pl
    except ImportError:
        pl = None
        print("polars is not installed: pip install -r tools/python/requirements-bench.txt", flush=True)

    tmp = tempfile.mkdtemp(prefix="plateau-sql-peers.")
    try:
        store_dir = os.path.join(tmp, "store")
        store = B.C.open_store(store_dir)
        pool = np.array([f"str_{i:06d}_{'x' * (i % 7)}" for i in range(B.STRING_POOL)], dtype=object)
        bounds = [args.rows * f // args.frames for f in range(args.frames + 1)]
        frames = [B.make_frame(bounds[f], bounds[f + 1], args.rows, args.partitions, pool) for f in range(args.frames)]
        store_dataframes_as_dataset(store=store, dataset_uuid=UUID, dfs=frames, partition_on=["part"],
                                    secondary_indices=["idx_key"])
        files = sum(f.endswith(".parquet") for _, _, fs in os.walk(os.path.join(store_dir, UUID, "table")) for f in fs)
        print(f"sql peers: {args.rows} rows, {files} files written by Python plateau, repeat {args.repeat}",
              flush=True)

        glob = os.path.join(store_dir, UUID, "table", "**", "*.parquet")
        con = duckdb.connect()
        con.sql(f"CREATE VIEW {UUID} AS SELECT * FROM read_parquet('{glob}', hive_partitioning=true)")
        output = os.path.join(tmp, "answer.parquet")
        results = []
        for name, sql in queries(args.partitions):
            row = {"query": name, "sql": sql}
            out = subprocess.run([args.sql_bench, "--store", store_dir, "--repeat", str(args.repeat),
                                  "--query", sql], capture_output=True, text=True, check=True)
            inproc = json.loads(out.stdout.strip().splitlines()[-1])
            row["plateau"] = (inproc["median_s"], inproc["min_s"], inproc["rows"])

            def cli():
                subprocess.run([args.plateau, "--store", store_dir, "-q", "sql", sql, "--format", "parquet",
                                "--output", output], check=True)
                return None
            row["plateau CLI"] = timed(cli, args.repeat)
            row["duckdb"] = timed(lambda: con.sql(sql).to_arrow_table().num_rows, args.repeat)
            if pl is not None:
                lf = pl.scan_parquet(glob, hive_partitioning=True)
                ctx = pl.SQLContext({UUID: lf})
                row["polars"] = timed(lambda: ctx.execute(sql).collect().height, args.repeat)
            results.append(row)

        engines = ["plateau", "plateau CLI", "duckdb"] + (["polars"] if pl is not None else [])
        print()
        print("| query | " + " | ".join(f"{e} s" for e in engines) + " | rows |")
        print("|---|" + "---:|" * (len(engines) + 1))
        for row in results:
            base = row["plateau"][0]
            cells = []
            for e in engines:
                median = row[e][0]
                cells.append(f"{median:.4f}" + ("" if e == "plateau" else f" ({median / base:.1f}x)"))
            rows = {e: row[e][2] for e in engines if row[e][2] is not None}
            agreed = len(set(rows.values())) == 1
            print(f"| {row['query']} | " + " | ".join(cells) +
                  f" | {row['plateau'][2]}{'' if agreed else f' (differ: {rows})'} |")
        with open(args.json, "w") as f:
            json.dump({"rows": args.rows, "files": files, "repeat": args.repeat, "results": results}, f, indent=1)
        return 0 if all(len({r[e][2] for e in engines if r[e][2] is not None}) == 1 for r in results) else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
