#!/usr/bin/env python3
"""plateau for Rust against every peer on the same files, in one run.

    PYTHON=$(tools/python/setup-venv.sh)
    "$PYTHON" -m pip install -r tools/python/requirements-bench.txt      # polars
    cargo build --release -p plateau-cli -p plateau-benches --bin plateau --bin peers
    "$PYTHON" tools/bench/peers.py [--rows 2000000] [--repeat 5] [--scale-partitions 100000]

Python plateau 4.6.2 writes the benchmark dataset: --rows rows of id, part (the partition
key: --partitions contiguous blocks of id), idx_key (--index-cardinality contiguous blocks of
id, with a secondary index), i32, f0, s (10,000 strings), tag (5 strings), flag, d (date) and
ts (timestamp[us]), dealt to --frames input frames in turn (id % frames), so files = frames x
partitions (400 by default) and an index value or an id range of one partition lies in
--frames files. Then the
operations below run --repeat rounds; in each round every engine runs once per operation, the
engines in an order that rotates from round to round, so a noisy moment hits all of them.

Engines: plateau-rs eager, parallel and async APIs (one warm `peers` process, see
benches/src/bin/peers.rs), raw arrow-rs over the same files, the `plateau` CLI as a whole
process (reads write Parquet: `--format parquet --output F`), Python plateau, polars
(scan_parquet with hive partitioning), DuckDB (read_parquet with hive partitioning, to arrow)
and pyarrow.dataset (hive partitioning), the Python ones in this interpreter.

Operations: read_full; read_partition (part == partitions/2); read_index (idx_key == value:
the peers scan); read_range (id < rows/100, a plain column); write (partition_on=[part] and
an index on idx_key for plateau; the peers write the same hive layout without an index);
update (the rows of part == 0 with the delete scope part == 0); build_index (on s). With
--scale-partitions N (0 skips): the CLI writes a dataset of N one-row partitions (key p) with an
index on k (1,000 values), timed once; then scale_load (metadata load), scale_partition
(p == 5) and scale_index (k == 5).

Peak memory: the resident-set high-water mark during the operation above the resident set
before it (reset through /proc/self/clear_refs) for in-process engines; the whole process's
maxrss for the CLI (started from a small launcher, whose memory the
maxrss would otherwise include). Prints medians, ratios (Python plateau's median over the engine's: above
1 is faster than Python plateau) and peak memory, checks the issue's goals, and writes every
run as JSON (--json). Exits 1 when engines return different row counts for an operation
(`.ci/run` runs it at a small size with debug binaries for that check).
"""

from __future__ import annotations

import argparse
import datetime
import glob as globlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tools", "fixtures", "pyref"))
sys.dont_write_bytecode = True

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.dataset as pads  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import pyref_common as C  # noqa: E402
import plateau  # noqa: E402
from plateau.core.dataset import DatasetMetadata  # noqa: E402
from plateau.io.eager import (  # noqa: E402
    build_dataset_indices,
    read_table,
    store_dataframes_as_dataset,
    update_dataset_from_dataframes,
)

UUID = "bench"
SCALE_UUID = "scale"
WRITE_UUID = "w"
RUST_APIS = ("eager", "parallel", "async")
ENGINES = ("rs eager", "rs parallel", "rs async", "arrow-rs", "CLI", "py plateau", "polars", "duckdb", "pyarrow")
OPS = ("read_full", "read_partition", "read_index", "read_range", "write", "update", "build_index")
SCALE_OPS = ("scale_load", "scale_partition", "scale_index")


def make_frames(rows: int, partitions: int, index_cardinality: int, frames: int, seed: int) -> list[pd.DataFrame]:
    """The issue's layout: `part` and `idx_key` in contiguous blocks of `id`, and the rows
    dealt to the frames in turn (`id % frames`), so every partition value has one file per
    frame and an index value lives in `frames` files."""
    rng = np.random.default_rng(seed)
    pool = np.array([f"str_{i:06d}_{'x' * (i % 7)}" for i in range(10_000)], dtype=object)
    tags = np.array(["alpha", "beta", "gamma", "delta", "epsilon"], dtype=object)
    out = []
    for f in range(frames):
        ids = np.arange(f, rows, frames, dtype=np.int64)
        n = len(ids)
        days = rng.integers(0, 3650, n).astype("timedelta64[D]")
        out.append(pd.DataFrame({
            "id": ids,
            "part": (ids.astype(object) * partitions // rows).astype(np.int64),
            "idx_key": (ids.astype(object) * index_cardinality // rows).astype(np.int64),
            "i32": rng.integers(-(2**31), 2**31 - 1, n).astype(np.int32),
            "f0": rng.normal(size=n),
            "s": pd.Series(pool[rng.integers(0, len(pool), n)], dtype="str"),
            "tag": pd.Series(tags[rng.integers(0, len(tags), n)], dtype="str"),
            "flag": rng.random(n) < 0.5,
            "d": pd.Series((np.datetime64("2020-01-01", "D") + days).astype(object), dtype=object),
            "ts": pd.Series(np.datetime64("2020-01-01T00:00:00", "us")
                            + rng.integers(0, 10**13, n).astype("timedelta64[us]")),
        }))
    return out


def status_kib(name: str) -> int:
    with open("/proc/self/status") as f:
        return int(re.search(rf"^{name}:\s+(\d+)", f.read(), re.M).group(1))


def reset_peak() -> int | None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return status_kib("VmRSS")
    except OSError:
        return None


class RustServer:
    """The warm `peers` process: one JSON command in, one JSON answer out."""

    def __init__(self, binary: str, inputs: list[str], threads: int):
        self.proc = subprocess.Popen([binary, "--input", ",".join(inputs), "--threads", str(threads)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ready = json.loads(self.proc.stdout.readline())
        assert ready.get("ready"), ready

    def run(self, **command):
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        answer = json.loads(self.proc.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"peers {command}: {answer['error']}")
        return answer

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# Runs a command and reports its wall time and maxrss. A child's maxrss includes the memory of
# the process it was forked from (Linux keeps the high-water mark across exec), so the command is
# started from a small launcher interpreter, not from this one, which holds the input frames.
LAUNCHER = """
import json, os, sys, time
t = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=[(os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0)])
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "peak_bytes": usage.ru_maxrss * 1024, "exit": os.waitstatus_to_exitcode(status)}))
"""


def run_cli(argv: list[str], output: str | None = None) -> dict:
    if output is not None and os.path.exists(output):
        # untimed: truncating the previous (up to 80 MB) answer would be charged to this run
        os.remove(output)
    out = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, *argv], capture_output=True, text=True, check=True)
    run = json.loads(out.stdout)
    if run.pop("exit") != 0:
        raise RuntimeError(f"{' '.join(argv)} failed")
    return run


def timed_python(fn) -> dict:
    before = reset_peak()
    t = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - t
    peak = None if before is None else max(0, status_kib("VmHWM") - before) * 1024
    rows = None
    if isinstance(result, (pd.DataFrame, pa.Table)):
        rows = len(result)
    elif hasattr(result, "height"):
        rows = result.height
    elif isinstance(result, DatasetMetadata):
        rows = len(result.partitions)
    del result
    return {"seconds": seconds, "rows": rows, "peak_bytes": peak}


def clear(path: str):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path, exist_ok=True)


class Harness:
    def __init__(self, args, tmp: str):
        self.args = args
        self.tmp = tmp
        self.store_dir = os.path.join(tmp, "store")
        self.work = os.path.join(tmp, "work")
        self.out = os.path.join(tmp, "answer.parquet")
        self.runs: dict[tuple[str, str], list[dict]] = {}
        self.disagreements: list[str] = []
        self.cli = [args.plateau, "-q"]

    def record(self, op: str, engine: str, run: dict):
        self.runs.setdefault((op, engine), []).append(run)

    def setup(self):
        a = self.args
        t = time.perf_counter()
        self.frames = make_frames(a.rows, a.partitions, a.index_cardinality, a.frames, a.seed)
        store = C.open_store(self.store_dir)
        store_dataframes_as_dataset(store=store, dataset_uuid=UUID, dfs=self.frames, partition_on=["part"],
                                    secondary_indices=["idx_key"])
        self.py_store = store
        table_dir = os.path.join(self.store_dir, UUID, "table")
        self.files = sorted(globlib.glob(os.path.join(table_dir, "**", "*.parquet"), recursive=True))
        self.part_value = a.partitions // 2
        self.part_files = [f for f in self.files if f"/part={self.part_value}/" in f]
        self.glob = os.path.join(table_dir, "**", "*.parquet")
        self.dataset_bytes = sum(os.path.getsize(f) for f in self.files)
        # inputs for the CLI and the Rust APIs: one Parquet file per frame
        self.inputs = []
        for i, frame in enumerate(self.frames):
            path = os.path.join(self.tmp, f"frame{i}.parquet")
            pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path)
            self.inputs.append(path)
        self.replacement = pd.concat([f[f["part"] == 0] for f in self.frames], ignore_index=True)
        self.replacement_file = os.path.join(self.tmp, "replacement.parquet")
        pq.write_table(pa.Table.from_pandas(self.replacement, preserve_index=False), self.replacement_file)
        self.arrow_input = pa.concat_tables(pa.Table.from_pandas(f, preserve_index=False) for f in self.frames)
        print(f"peers: {a.rows} rows, {len(self.files)} files ({self.dataset_bytes / 1e6:.1f} MB) written by Python "
              f"plateau in {time.perf_counter() - t:.1f} s; repeat {a.repeat}", flush=True)

    # --- the operations of each engine -------------------------------------------------------

    def predicates(self, op):
        a = self.args
        return {
            "read_full": (None, None),
            "read_partition": (f"part == {self.part_value}", ("part", self.part_value, self.part_value)),
            "read_index": (f"idx_key == {a.index_value}", ("idx_key", a.index_value, a.index_value)),
            "read_range": (f"id < {a.rows // 100}", ("id", -(2**63), a.rows // 100 - 1)),
        }[op]

    def engine_runs(self, op):
        """(engine, callable returning a run dict) of every engine that has `op`."""
        a = self.args
        rs, out = self.rust, []
        engine_store = lambda e: os.path.join(self.work, e.replace(" ", "_"))  # noqa: E731
        if op.startswith("read_"):
            where, bounds = self.predicates(op)
            for api in RUST_APIS:
                out.append((f"rs {api}", lambda api=api: rs.run(op="read", api=api, store=self.store_dir,
                                                                 dataset=UUID, where=where)))
            files = self.part_files if op == "read_partition" else self.files
            arrow_filter = None if op in ("read_full", "read_partition") else dict(zip(("column", "min", "max"), bounds))
            out.append(("arrow-rs", lambda: rs.run(op="arrow_read", files=files, filter=arrow_filter)))
            cli = self.cli + ["--store", self.store_dir, "read", UUID, "--format", "parquet", "--output", self.out]
            if where:
                cli += ["--where", where]
            out.append(("CLI", lambda: run_cli(cli, self.out)))
            py_pred = None
            if where:
                col, lo, hi = bounds
                py_pred = [[(col, "==", lo)]] if lo == hi else [[(col, "<=", hi)]]
            out.append(("py plateau", lambda: timed_python(lambda: read_table(UUID, self.py_store, predicates=py_pred))))
            sql_where = ""
            if where:
                col, lo, hi = bounds
                sql_where = f" WHERE {col} = {lo}" if lo == hi else f" WHERE {col} <= {hi}"
            if self.pl is not None:
                pl = self.pl

                def polars_read():
                    lf = pl.scan_parquet(self.glob, hive_partitioning=True)
                    if where:
                        col, lo, hi = bounds
                        lf = lf.filter(pl.col(col) == lo) if lo == hi else lf.filter(pl.col(col) <= hi)
                    return lf.collect()
                out.append(("polars", lambda: timed_python(polars_read)))
            query = f"SELECT * FROM read_parquet('{self.glob}', hive_partitioning=true){sql_where}"
            out.append(("duckdb", lambda: timed_python(lambda: self.duck.sql(query).to_arrow_table())))

            def pyarrow_read():
                dataset = pads.dataset(os.path.join(self.store_dir, UUID, "table"), format="parquet",
                                       partitioning="hive")
                if not where:
                    return dataset.to_table()
                col, lo, hi = bounds
                return dataset.to_table(filter=(pc.field(col) == lo) if lo == hi else (pc.field(col) <= hi))
            out.append(("pyarrow", lambda: timed_python(pyarrow_read)))
            return out

        if op == "write":
            for api in RUST_APIS:
                out.append((f"rs {api}", lambda api=api: rs.run(op="write", api=api, store=engine_store(f"rs {api}"),
                                                                 dataset=WRITE_UUID)))

            def cli_write():
                clear(engine_store("CLI"))
                return run_cli(self.cli + ["--store", engine_store("CLI"), "write", WRITE_UUID, *self.inputs,
                                           "--partition-on", "part", "--index", "idx_key"])
            out.append(("CLI", cli_write))

            def py_write():
                clear(engine_store("py plateau"))
                store = C.open_store(engine_store("py plateau"))
                return timed_python(lambda: store_dataframes_as_dataset(
                    store=store, dataset_uuid=WRITE_UUID, dfs=self.frames, partition_on=["part"],
                    secondary_indices=["idx_key"]))
            out.append(("py plateau", py_write))
            if self.pl is not None:
                df = self.pl.from_arrow(self.arrow_input)

                def polars_write():
                    clear(engine_store("polars"))
                    return timed_python(lambda: df.write_parquet(engine_store("polars"), partition_by=["part"]))
                out.append(("polars", polars_write))
            def duck_write():
                target = os.path.join(engine_store("duckdb"), "out")
                clear(engine_store("duckdb"))
                return timed_python(lambda: self.duck.sql(
                    f"COPY (SELECT * FROM arrow_input) TO '{target}' (FORMAT parquet, PARTITION_BY (part))"))
            self.duck.register("arrow_input", self.arrow_input)
            out.append(("duckdb", duck_write))

            def pyarrow_write():
                clear(engine_store("pyarrow"))
                return timed_python(lambda: pads.write_dataset(
                    self.arrow_input, engine_store("pyarrow"), format="parquet", partitioning=["part"],
                    partitioning_flavor="hive", existing_data_behavior="overwrite_or_ignore"))
            out.append(("pyarrow", pyarrow_write))
            return out

        if op == "update":
            for api in RUST_APIS:
                out.append((f"rs {api}", lambda api=api: rs.run(op="update", api=api, store=engine_store(f"rs {api}"),
                                                                 dataset=WRITE_UUID)))
            out.append(("CLI", lambda: run_cli(self.cli + ["--store", engine_store("CLI"), "update", WRITE_UUID,
                                                           self.replacement_file, "--delete-scope", "part=0"])))
            out.append(("py plateau", lambda: timed_python(lambda: update_dataset_from_dataframes(
                [self.replacement], store=C.open_store(engine_store("py plateau")), dataset_uuid=WRITE_UUID,
                delete_scope=[{"part": 0}], partition_on=["part"]))))
            return out

        if op == "build_index":
            for api in ("eager", "parallel"):
                out.append((f"rs {api}", lambda api=api: rs.run(op="build_index", api=api,
                                                                 store=engine_store(f"rs {api}"),
                                                                 dataset=WRITE_UUID, column="s")))
            out.append(("CLI", lambda: run_cli(self.cli + ["--store", engine_store("CLI"), "build-index",
                                                           WRITE_UUID, "s"])))
            out.append(("py plateau", lambda: timed_python(lambda: build_dataset_indices(
                store=C.open_store(engine_store("py plateau")), dataset_uuid=WRITE_UUID, columns=["s"]))))
            return out

        # the 100,000-partition dataset
        scale = os.path.join(self.tmp, "scale")
        if op == "scale_load":
            for api in ("eager", "async"):
                out.append((f"rs {api}", lambda api=api: rs.run(op="load", api=api, store=scale, dataset=SCALE_UUID)))
            out.append(("py plateau", lambda: timed_python(
                lambda: DatasetMetadata.load_from_store(SCALE_UUID, self.scale_store))))
            return out
        where, py_pred = {"scale_partition": ("p == 5", [[("p", "==", 5)]]),
                          "scale_index": ("k == 5", [[("k", "==", 5)]])}[op]
        for api in RUST_APIS:
            out.append((f"rs {api}", lambda api=api: rs.run(op="read", api=api, store=scale, dataset=SCALE_UUID,
                                                             where=where)))
        out.append(("CLI", lambda: run_cli(self.cli + ["--store", scale, "read", SCALE_UUID, "--where", where,
                                                       "--format", "parquet", "--output", self.out], self.out)))
        out.append(("py plateau", lambda: timed_python(
            lambda: read_table(SCALE_UUID, self.scale_store, predicates=py_pred))))
        return out

    def write_scale(self):
        n = self.args.scale_partitions
        ids = np.arange(n, dtype=np.int64)
        frame = pa.table({"p": ids, "k": ids % 1000, "v": ids.astype(np.float64) * 0.5})
        path = os.path.join(self.tmp, "scale_input.parquet")
        pq.write_table(frame, path)
        scale = os.path.join(self.tmp, "scale")
        clear(scale)
        run = run_cli(self.cli + ["--store", scale, "write", SCALE_UUID, path, "--partition-on", "p", "--index", "k"])
        self.record("scale_write", "CLI", run)
        self.scale_store = C.open_store(scale)
        print(f"  scale: the CLI wrote {n} partitions in {run['seconds']:.1f} s "
              f"({os.path.getsize(os.path.join(scale, SCALE_UUID + '.by-dataset-metadata.json')) / 1e6:.1f} MB "
              "of metadata)", flush=True)

    def run(self):
        a = self.args
        import duckdb
        try:
            import polars as pl
        except ImportError:
            pl = None
            print("polars is not installed: pip install -r tools/python/requirements-bench.txt", flush=True)
        self.pl, self.duck = pl, duckdb.connect()
        self.rust = RustServer(a.peers, self.inputs, a.threads)
        ops = [op for op in OPS if op in a.ops]
        if a.scale_partitions > 0:
            self.write_scale()
            ops += [op for op in SCALE_OPS if op in a.ops]
        try:
            for round_ in range(a.repeat):
                for op in ops:
                    runs = self.engine_runs(op)
                    shift = round_ % len(runs)
                    for engine, fn in runs[shift:] + runs[:shift]:
                        self.record(op, engine, fn())
                print(f"  round {round_ + 1}/{a.repeat} done", flush=True)
        finally:
            self.rust.close()

    # --- the report --------------------------------------------------------------------------

    def median(self, op, engine, key="seconds"):
        values = [r[key] for r in self.runs.get((op, engine), []) if r.get(key) is not None]
        return statistics.median(values) if values else None

    def report(self) -> list[str]:
        a = self.args
        lines = []
        ops = [op for op in OPS + SCALE_OPS if any((op, e) in self.runs for e in ENGINES)]
        engines = [e for e in ENGINES if any((op, e) in self.runs for op in ops)]
        lines.append("Median seconds (Python plateau's median / the engine's: above 1 is faster than Python "
                     "plateau):")
        lines.append("")
        lines.append("| operation | " + " | ".join(engines) + " | rows |")
        lines.append("|---|" + "---:|" * (len(engines) + 1))
        for op in ops:
            base = self.median(op, "py plateau")
            cells = []
            for e in engines:
                m = self.median(op, e)
                if m is None:
                    cells.append("")
                elif base is None or e == "py plateau":
                    cells.append(f"{m:.4f}")
                else:
                    cells.append(f"{m:.4f} ({base / m:.1f}x)")
            rows = {e: self.runs[(op, e)][-1].get("rows") for e in engines if (op, e) in self.runs}
            distinct = {r for r in rows.values() if r is not None}
            if len(distinct) > 1:
                self.disagreements.append(op)
            rows_cell = "" if not distinct else (str(distinct.pop()) if len(distinct) == 1 else f"differ: {rows}")
            lines.append(f"| {op} | " + " | ".join(cells) + f" | {rows_cell} |")
        lines.append("")
        lines.append("Peak memory, MB (in process: above the resident set before the operation; CLI: the whole "
                     "process):")
        lines.append("")
        lines.append("| operation | " + " | ".join(engines) + " |")
        lines.append("|---|" + "---:|" * len(engines))
        for op in ops:
            cells = []
            for e in engines:
                peaks = [r["peak_bytes"] for r in self.runs.get((op, e), []) if r.get("peak_bytes") is not None]
                cells.append(f"{max(peaks) / 1e6:.0f}" if peaks else "")
            lines.append(f"| {op} | " + " | ".join(cells) + " |")
        lines.append("")
        lines += self.goals()
        return lines

    def goals(self) -> list[str]:
        m = self.median
        out = ["Goals (issue 14):", ""]

        def best_rs(op):
            values = [(m(op, f"rs {api}"), api) for api in RUST_APIS if m(op, f"rs {api}") is not None]
            return min(values) if values else (None, None)

        def goal(text, value, target, ok):
            if value is None or target is None:
                out.append(f"- {text}: not measured")
            else:
                out.append(f"- {text}: {value} vs {target} -> {'met' if ok else 'NOT met'}")

        for op in ("read_full", "read_partition"):
            rs, api = best_rs(op)
            pol = m(op, "polars")
            goal(f"in-process {op} <= polars", rs and f"{rs:.4f} s (rs {api})", pol and f"{pol:.4f} s",
                 rs is not None and pol is not None and rs <= pol)
        rs, api = best_rs("read_index")
        goal("in-process read_index <= 2 ms", rs and f"{rs * 1e3:.2f} ms (rs {api})", "2 ms",
             rs is not None and rs <= 0.002)
        for op, factor in (("read_full", 5), ("read_index", 20), ("read_partition", 5)):
            cli, py = m(op, "CLI"), m(op, "py plateau")
            ratio = py / cli if cli and py else None
            goal(f"CLI {op} >= {factor}x Python plateau", ratio and f"{ratio:.1f}x ({cli:.4f} s)", f"{factor}x",
                 ratio is not None and ratio >= factor)
        cli = m("read_index", "CLI")
        goal("CLI read_index <= 5 ms", cli and f"{cli * 1e3:.1f} ms", "5 ms", cli is not None and cli <= 0.005)
        for op, factor in (("write", 5), ("build_index", 20), ("update", 10)):
            rs, api = best_rs(op)
            py = m(op, "py plateau")
            ratio = py / rs if rs and py else None
            goal(f"{op} >= {factor}x Python plateau", ratio and f"{ratio:.1f}x (rs {api})", f"{factor}x",
                 ratio is not None and ratio >= factor)
        peaks = [r["peak_bytes"] for r in self.runs.get(("read_full", "CLI"), [])]
        result = [r.get("result_bytes") for r in self.runs.get(("read_full", "rs eager"), []) if r.get("result_bytes")]
        if peaks and result:
            ratio = max(peaks) / result[-1]
            goal("CLI read_full peak memory <= 1.5x the decoded result",
                 f"{max(peaks) / 1e6:.0f} MB / {result[-1] / 1e6:.0f} MB = {ratio:.2f}x", "1.5x", ratio <= 1.5)
        if self.args.scale_partitions > 0:
            for op in ("scale_partition", "scale_index"):
                cli, py = m(op, "CLI"), m(op, "py plateau")
                goal(f"CLI {op} <= 60 ms and >= 20x Python", cli and f"{cli * 1e3:.0f} ms, {py / cli:.1f}x",
                     "60 ms, 20x", cli is not None and cli <= 0.06 and py / cli >= 20)
            load = min((v for v in (m("scale_load", "rs eager"), m("scale_load", "rs async")) if v), default=None)
            goal("in-process scale_load <= 30 ms (loading; planning is in scale_* reads)",
                 load and f"{load * 1e3:.1f} ms", "30 ms", load is not None and load <= 0.03)
            w = m("scale_write", "CLI")
            goal("CLI write of the scale dataset >= 5x faster than 294 s", w and f"{w:.1f} s", "58.8 s",
                 w is not None and w <= 58.8)
        return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=2_000_000)
    ap.add_argument("--partitions", type=int, default=100)
    ap.add_argument("--frames", type=int, default=4)
    ap.add_argument("--index-cardinality", type=int, default=20_000)
    ap.add_argument("--index-value", type=int, default=12_345)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2, help="threads of the parallel pool and the async runtime")
    ap.add_argument("--scale-partitions", type=int, default=100_000, help="0 skips the scale dataset")
    ap.add_argument("--ops", default=",".join(OPS + SCALE_OPS), help="comma-separated subset of the operations")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--plateau", default=os.path.join(ROOT, "target", "release", "plateau"))
    ap.add_argument("--peers", default=os.path.join(ROOT, "target", "release", "peers"))
    ap.add_argument("--json", default="peers_results.json")
    ap.add_argument("--keep", metavar="DIR", help="work in DIR (emptied first) and keep it, for profiling")
    args = ap.parse_args(argv)
    args.ops = set(args.ops.split(","))
    for binary in (args.plateau, args.peers):
        if not os.access(binary, os.X_OK):
            sys.exit(f"{binary} is missing: cargo build --release -p plateau-cli -p plateau-benches "
                     "--bin plateau --bin peers")
    C.quiet_warnings()
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        os.makedirs(args.keep)
        tmp = os.path.abspath(args.keep)
    else:
        tmp = tempfile.mkdtemp(prefix="plateau-peers.")
    try:
        h = Harness(args, tmp)
        h.setup()
        h.run()
        lines = h.report()
        print()
        print("\n".join(lines))
        import duckdb
        try:
            import polars
            polars_version = polars.__version__
        except ImportError:
            polars_version = None
        doc = {
            "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "env": {"python": sys.version.split()[0], "plateau": plateau.__version__, "pandas": pd.__version__,
                    "pyarrow": pa.__version__, "duckdb": duckdb.__version__, "polars": polars_version,
                    "platform": platform.platform(), "cpu_count": os.cpu_count()},
            "params": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(args).items()},
            "dataset": {"files": len(h.files), "bytes": h.dataset_bytes},
            "runs": [{"op": op, "engine": e, "runs": runs} for (op, e), runs in h.runs.items()],
            "report": lines,
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        print(f"\nresults in {args.json}")
        if h.disagreements:
            print(f"engines returned different row counts for: {', '.join(h.disagreements)}")
            return 1
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
