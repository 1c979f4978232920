#!/usr/bin/env python
"""Python plateau's half of the `plateau compact` interop check (.ci/interop/compact.sh).

Usage:
  $PYTHON tools/interop/compact_side.py write STORE_DIR UUID STATE_DIR
  $PYTHON tools/interop/compact_side.py check-plan STATE_DIR PLAN_TSV REGIONS
  $PYTHON tools/interop/compact_side.py verify STORE_DIR UUID STATE_DIR
  $PYTHON tools/interop/compact_side.py compare-cli STORE_DIR UUID STATE_DIR CLI_JSONL

`write`        Python plateau 4.6.2 writes the dataset (store_dataframes_as_dataset, then 30
               small update_dataset_from_dataframes calls): partition_on region (str) and
               year (int), secondary indices on k (int) and tag (str), nulls in n (Int64),
               x (float), s (str), d (date) and t (timestamp). STATE_DIR gets before.jsonl
               (read_table's rows, canonical and sorted) and files.json (data files per
               partition-key combination).
`check-plan`   the tab-separated plan `plateau compact` printed for the combinations of the
               comma-separated REGIONS: every combination with two or more files (all are
               far below the target) and nothing else, files_before as plateau counts them,
               files_after 1.
`verify`       after the CLI's compactions (REGIONS north plain, the rest with --sort-by k):
               plateau loads the dataset with all indices (one file per combination, files
               readable with schemas equal to _common_metadata, labels regular), every index
               equals the data read per partition, the --sort-by files are sorted by k,
               read_table gives before.jsonl's rows, plateau's GC sees exactly the merged files
               as garbage; then update_dataset_from_dataframes (append + delete_scope
               region=south), indices again, garbage_collect_dataset, and read_table must give
               before - south + appended; the result goes to STATE_DIR/after.jsonl.
`compare-cli`  `plateau read --format jsonl` of the final dataset, encoded canonically with
               the types of _common_metadata, equals after.jsonl as a multiset.

Every step prints `[PASS|FAIL] compact <step>: ...`; the exit code is 1 if any failed.

Python plateau 4.6.2 quirks avoided (see also python_side.py EXCLUSIONS): no tz-aware, bool
or '/'-containing partition values; no int values beyond 2^53 in columns with nulls (pandas
reads them as float64); every partition of every written frame has a non-null date, so no
data file gets a null-typed `d` column; no predicates on columns with nulls.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "pyref"))
import pyref_common as C  # noqa: E402
from python_side import (  # noqa: E402
    Report,
    StepFailed,
    _same_storage_class,
    check_indices,
    check_labels,
    gc_candidates,
)

from plateau.core.common_metadata import normalize_type  # noqa: E402
from plateau.core.dataset import DatasetMetadata  # noqa: E402
from plateau.core.index import ExplicitSecondaryIndex  # noqa: E402
from plateau.io.eager import (  # noqa: E402
    garbage_collect_dataset,
    read_table,
    store_dataframes_as_dataset,
    update_dataset_from_dataframes,
)

NAME = "compact"
PARTITION_ON = ["region", "year"]
SECONDARY = ["k", "tag"]
COMBINATIONS = [
    ("north", 2020),
    ("north", 2021),
    ("south", 2020),
    ("south", 2021),
    ("east", 2020),
    ("east", 2021),
]
# Written once and never updated: a combination with a single file, which compaction leaves.
SINGLE = ("west", 2019)
UPDATES = 30
SORTED_BY = "k"
# The CLI compacts these regions without sorting, the others with --sort-by k.
UNSORTED_REGIONS = {"north"}
DELETED_REGION = "south"


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------


def pair(rng: random.Random, region: str, year: int, serial: int) -> list[dict]:
    """Two rows of one combination: the first without nulls (so that no data file of the
    combination gets a null-typed column), the second with nulls wherever allowed."""
    k1, k2 = rng.randrange(10_000), rng.randrange(10_000)
    return [
        dict(
            region=region,
            year=year,
            k=k1,
            tag=f"t{k1 % 7}",
            n=serial,
            x=rng.uniform(-1e6, 1e6),
            s=f"row {serial} ü",
            d=datetime.date(2020, 1, 1) + datetime.timedelta(days=serial % 700),
            t=pd.Timestamp("2021-01-01") + pd.Timedelta(microseconds=serial * 1_234_567_891),
        ),
        dict(region=region, year=year, k=k2, tag=f"t{k2 % 7}", n=None, x=None, s=None, d=None, t=None),
    ]


def frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": pd.Series([r["region"] for r in rows], dtype="str"),
            "year": np.array([r["year"] for r in rows], dtype="int64"),
            "k": np.array([r["k"] for r in rows], dtype="int64"),
            "tag": pd.Series([r["tag"] for r in rows], dtype="str"),
            "n": pd.array([r["n"] for r in rows], dtype="Int64"),
            "x": np.array([np.nan if r["x"] is None else r["x"] for r in rows], dtype="float64"),
            "s": pd.Series([r["s"] for r in rows], dtype="str"),
            "d": pd.Series([r["d"] for r in rows], dtype=object),
            "t": pd.Series(pd.to_datetime([r["t"] for r in rows])).astype("datetime64[us]"),
        }
    )


def initial_frame(rng) -> pd.DataFrame:
    rows = []
    for i, (region, year) in enumerate([*COMBINATIONS, SINGLE]):
        rows += pair(rng, region, year, i)
    return frame(rows)


def update_frame(rng, i: int) -> pd.DataFrame:
    touched = [COMBINATIONS[i % 6], COMBINATIONS[(i + 3) % 6]]
    if i % 4 == 0:
        touched.append(COMBINATIONS[(i + 1) % 6])
    rows = []
    for j, (region, year) in enumerate(touched):
        rows += pair(rng, region, year, 100 + 10 * i + j)
    return frame(rows)


def appended_frame(rng) -> pd.DataFrame:
    """Python's update after the compaction: rows for a compacted combination and a new one."""
    return frame(pair(rng, "north", 2020, 9000) + pair(rng, "east", 2022, 9001))


# --------------------------------------------------------------------------------------------
# canonical rows
# --------------------------------------------------------------------------------------------


def schema_fields(store, uuid) -> list[tuple[str, pa.DataType]]:
    schema = C.read_common_metadata_schema(store, uuid, "table")
    return [(f.name, f.type) for f in schema if not f.name.startswith("__index_level_")]


def canonical(df: pd.DataFrame, fields) -> list[str]:
    """Rows as canonical JSON lists in _common_metadata's column order, sorted: plateau's
    dtype quirks (Int64 with nulls as float64, NaN vs None, datetime units) are normalised
    by pyref's encode_cell, the same way for every read."""
    rows, _ = C.canonical_rows(df, fields)
    return rows


def read_rows(store, uuid) -> list[str]:
    return canonical(read_table(dataset_uuid=uuid, store=store), schema_fields(store, uuid))


def write_lines(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.writelines(r + "\n" for r in rows)


def read_lines(path) -> list[str]:
    with open(path, encoding="utf-8") as fh:
        return [line.rstrip("\n") for line in fh]


def key_of(label: str) -> str:
    return label.rsplit("/", 1)[0]


def files_per_key(dm) -> dict[str, int]:
    counts: dict[str, int] = {}
    for label in dm.partitions:
        counts[key_of(label)] = counts.get(key_of(label), 0) + 1
    return counts


def region_of(key: str) -> str:
    return dict(part.split("=", 1) for part in key.split("/"))["region"]


def multiset_diff(expected: list[str], actual: list[str]) -> str:
    from collections import Counter

    e, a = Counter(expected), Counter(actual)
    missing = list((e - a).elements())[:3]
    extra = list((a - e).elements())[:3]
    return f"{len(expected)} rows expected, {len(actual)} read; missing e.g. {missing}; unexpected e.g. {extra}"


# --------------------------------------------------------------------------------------------
# steps
# --------------------------------------------------------------------------------------------


def cmd_write(rep, store, uuid, state):
    rng = random.Random(7)
    store_dataframes_as_dataset(
        store=lambda: store,
        dataset_uuid=uuid,
        dfs=[initial_frame(rng)],
        partition_on=PARTITION_ON,
        secondary_indices=SECONDARY,
    )
    for i in range(UPDATES):
        update_dataset_from_dataframes(
            [update_frame(rng, i)], store=lambda: store, dataset_uuid=uuid, partition_on=PARTITION_ON
        )
    dm = DatasetMetadata.load_from_store(uuid, store, load_all_indices=True)
    counts = files_per_key(dm)
    rows = read_rows(store, uuid)
    write_lines(os.path.join(state, "before.jsonl"), rows)
    with open(os.path.join(state, "files.json"), "w", encoding="utf-8") as fh:
        json.dump(counts, fh, sort_keys=True)
    rep.ok(
        NAME,
        "write",
        f"store_dataframes_as_dataset + {UPDATES} updates: {len(rows)} rows in {len(dm.partitions)} files, "
        f"{len(counts)} partition-key combinations ({', '.join(f'{k}: {v}' for k, v in sorted(counts.items()))})",
    )


def cmd_check_plan(rep, state, plan_path, regions):
    with open(os.path.join(state, "files.json"), encoding="utf-8") as fh:
        counts = json.load(fh)
    with open(plan_path, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    step = f"plan {','.join(sorted(regions))}"
    if not lines or lines[0] != "key\tfiles_before\tfiles_after\tbytes_merged":
        rep.fail(NAME, step, f"no header line: {lines[:1]}")
    planned = {}
    for line in lines[1:]:
        key, before, after, merged = line.split("\t")
        planned[key] = (int(before), int(after))
        if int(merged) <= 0:
            rep.fail(NAME, step, f"{key}: bytes_merged {merged}")
    expected = {k: (n, 1) for k, n in counts.items() if n >= 2 and region_of(k) in regions}
    if planned != expected:
        rep.fail(NAME, step, f"the CLI planned {planned}, expected {expected}")
    merged = sum(n for n, _ in expected.values())
    rep.ok(NAME, step, f"{len(planned)} combinations, {merged} files -> {len(planned)} as plateau counts them")


def check_files(rep, store, dm, uuid):
    """Every data file exists, opens, holds no partition column and has _common_metadata's
    types after plateau's own normalisation. Tolerated, and listed in the PASS line:
    string vs large_string (as python_side.py) and a timestamp's unit, as long as its zone
    agrees: plateau-rs holds timestamps as ns and writes the files it rewrites in ns
    (serialization/src/parquet.rs), which pyarrow and plateau read back as timestamp[ns]."""
    schema = C.read_common_metadata_schema(store, uuid, "table")
    problems, tolerated = [], set()
    for part in dm.partitions.values():
        for key in part.files.values():
            try:
                fschema = pq.ParquetFile(pa.BufferReader(store.get(key))).schema_arrow
            except Exception as e:  # noqa: BLE001
                problems.append(f"{key}: missing or unreadable ({e})")
                continue
            pandas_cols = {c.get("field_name"): c for c in (fschema.pandas_metadata or {}).get("columns", [])}
            for f in fschema:
                if f.name.startswith("__index_level_"):
                    continue
                if f.name in PARTITION_ON:
                    problems.append(f"{key}: partition column {f.name!r} stored in the data file")
                    continue
                i = schema.get_field_index(f.name)
                if i < 0:
                    problems.append(f"{key}: column {f.name!r} not in _common_metadata")
                    continue
                cmd = pandas_cols.get(f.name, {})
                nt = normalize_type(f.type, cmd.get("pandas_type"), cmd.get("numpy_type"), cmd.get("metadata"))[0]
                ct = schema.field(i).type
                if nt == ct:
                    continue
                if _same_storage_class(nt, ct) or (
                    pa.types.is_timestamp(nt) and pa.types.is_timestamp(ct) and nt.tz == ct.tz
                ):
                    tolerated.add(f"{f.name}: {nt} in files, {ct} in _common_metadata")
                else:
                    problems.append(f"{key}: {f.name}: file {f.type} (normalised {nt}) vs _common_metadata {ct}")
    if problems:
        rep.fail(NAME, "files", f"{len(problems)} problem(s): {problems[:4]}")
    note = f" (tolerated: {'; '.join(sorted(tolerated))})" if tolerated else ""
    rep.ok(NAME, "files", f"{len(dm.partitions)} data files readable, types agree with _common_metadata{note}")


def check_sorted(rep, store, dm, counts):
    checked = 0
    for label, part in dm.partitions.items():
        key = key_of(label)
        if region_of(key) in UNSORTED_REGIONS or counts.get(key, 0) < 2:
            continue
        for file_key in part.files.values():
            values = pq.read_table(pa.BufferReader(store.get(file_key))).column(SORTED_BY).to_pylist()
            if values != sorted(values):
                rep.fail(NAME, "sort-by", f"{file_key}: {SORTED_BY} not sorted: {values[:10]}")
            checked += 1
    if checked == 0:
        rep.fail(NAME, "sort-by", "no file written with --sort-by found")
    rep.ok(NAME, "sort-by", f"{checked} files compacted with --sort-by {SORTED_BY} are sorted by it")


def cmd_verify(rep, store, uuid, state):
    with open(os.path.join(state, "files.json"), encoding="utf-8") as fh:
        counts = json.load(fh)
    before = read_lines(os.path.join(state, "before.jsonl"))

    try:
        dm = DatasetMetadata.load_from_store(uuid, store, load_schema=True, load_all_indices=True)
    except Exception as e:  # noqa: BLE001
        rep.fail(NAME, "load", f"plateau cannot load the compacted dataset: {type(e).__name__}: {e}")
    now = files_per_key(dm)
    if list(dm.partition_keys) != PARTITION_ON:
        rep.fail(NAME, "load", f"partition keys {dm.partition_keys}")
    secondary = sorted(c for c, i in dm.indices.items() if isinstance(i, ExplicitSecondaryIndex))
    if secondary != sorted(SECONDARY):
        rep.fail(NAME, "load", f"secondary indices {secondary}, expected {sorted(SECONDARY)}")
    if now != {k: 1 for k in counts}:
        rep.fail(NAME, "load", f"files per combination after compaction {now}, expected 1 for each of {sorted(counts)}")
    rep.ok(NAME, "load", f"{sum(counts.values())} -> {len(dm.partitions)} files, one per partition-key combination, "
                         f"secondary indices {secondary}")
    check_files(rep, store, dm, uuid)
    check_labels(rep, dm, uuid)
    check_indices(rep, store, uuid, "indices")
    check_sorted(rep, store, dm, counts)

    rows = read_rows(store, uuid)
    if rows != before:
        rep.fail(NAME, "read", "read_table after compaction != before: " + multiset_diff(before, rows))
    rep.ok(NAME, "read", f"{len(rows)} rows, the same multiset as before the compaction")

    garbage = [f for f in gc_candidates(store, uuid) if f.startswith(f"{uuid}/table/") and f.endswith(".parquet")]
    referenced = {k for p in dm.partitions.values() for k in p.files.values()}
    merged = sum(n for n in counts.values() if n >= 2)
    if set(garbage) & referenced:
        rep.fail(NAME, "gc-dry", f"plateau's GC would delete referenced files: {sorted(set(garbage) & referenced)[:3]}")
    if len(garbage) != merged:
        rep.fail(NAME, "gc-dry", f"{len(garbage)} unreferenced data files, expected the {merged} merged ones")
    rep.ok(NAME, "gc-dry", f"plateau's GC sees the {merged} merged data files as garbage, no referenced file")

    rng = random.Random(11)
    append = appended_frame(rng)
    try:
        after = update_dataset_from_dataframes(
            [append],
            store=lambda: store,
            dataset_uuid=uuid,
            partition_on=PARTITION_ON,
            delete_scope=[{"region": DELETED_REGION}],
        )
    except Exception as e:  # noqa: BLE001
        rep.fail(NAME, "update", f"update_dataset_from_dataframes raised {type(e).__name__}: {e}")
    fields = schema_fields(store, uuid)
    kept = [r for r in before if json.loads(r)[[n for n, _ in fields].index("region")] != {"str": DELETED_REGION}]
    expected = sorted(kept + canonical(append, fields), key=lambda r: r.encode("utf-8"))
    rows = read_rows(store, uuid)
    if rows != expected:
        rep.fail(NAME, "update", "read_table after the update != before - deleted + appended: " + multiset_diff(expected, rows))
    rep.ok(NAME, "update", f"appended {len(append)} rows, delete_scope region={DELETED_REGION} removed "
                           f"{len(before) - len(kept)} rows; {len(rows)} rows, {len(after.partitions)} files")
    check_indices(rep, store, uuid, "indices+")

    try:
        garbage_collect_dataset(dataset_uuid=uuid, store=lambda: store)
    except Exception as e:  # noqa: BLE001
        rep.fail(NAME, "gc", f"garbage_collect_dataset raised {type(e).__name__}: {e}")
    left = gc_candidates(store, uuid)
    on_disk = [k for k in store.keys(prefix=f"{uuid}/table/") if k.endswith(".parquet")]
    if left or len(on_disk) != len(after.partitions):
        rep.fail(NAME, "gc", f"garbage left: {left[:3]}; {len(on_disk)} data files for {len(after.partitions)} partitions")
    rows = read_rows(store, uuid)
    if rows != expected:
        rep.fail(NAME, "gc", "read_table after gc differs: " + multiset_diff(expected, rows))
    write_lines(os.path.join(state, "after.jsonl"), rows)
    rep.ok(NAME, "gc", f"garbage_collect_dataset left {len(on_disk)} data files, no garbage; {len(rows)} rows")


def cli_value(value, t: pa.DataType):
    """A `plateau read --format jsonl` value as the Python object encode_cell takes."""
    if value is None:
        return None
    if pa.types.is_date(t):
        return datetime.date.fromisoformat(value)
    if pa.types.is_timestamp(t):
        return pd.Timestamp(value)
    return value


def cmd_compare_cli(rep, store, uuid, state, cli_jsonl):
    expected = read_lines(os.path.join(state, "after.jsonl"))
    fields = schema_fields(store, uuid)
    rows = []
    with open(cli_jsonl, encoding="utf-8") as fh:
        for line in fh:
            obj = json.loads(line)
            if set(obj) != {n for n, _ in fields}:
                rep.fail(NAME, "rust-read", f"columns {sorted(obj)} != {[n for n, _ in fields]}")
            rows.append(C.dumps_canonical([C.encode_cell(cli_value(obj[n], t), t) for n, t in fields]))
    rows.sort(key=lambda r: r.encode("utf-8"))
    if rows != expected:
        rep.fail(NAME, "rust-read", "the CLI's read != Python's: " + multiset_diff(expected, rows))
    rep.ok(NAME, "rust-read", f"the CLI reads Python's result: {len(rows)} rows, the same multiset as read_table")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("store_dir")
    w.add_argument("uuid")
    w.add_argument("state")
    p = sub.add_parser("check-plan")
    p.add_argument("state")
    p.add_argument("plan")
    p.add_argument("regions")
    v = sub.add_parser("verify")
    v.add_argument("store_dir")
    v.add_argument("uuid")
    v.add_argument("state")
    c = sub.add_parser("compare-cli")
    c.add_argument("store_dir")
    c.add_argument("uuid")
    c.add_argument("state")
    c.add_argument("cli_jsonl")
    args = ap.parse_args(argv)

    C.quiet_warnings()
    rep = Report()
    try:
        if args.cmd == "write":
            os.makedirs(args.state, exist_ok=True)
            cmd_write(rep, C.open_store(args.store_dir), args.uuid, args.state)
        elif args.cmd == "check-plan":
            cmd_check_plan(rep, args.state, args.plan, set(args.regions.split(",")))
        elif args.cmd == "verify":
            cmd_verify(rep, C.open_store(args.store_dir), args.uuid, args.state)
        else:
            cmd_compare_cli(rep, C.open_store(args.store_dir), args.uuid, args.state, args.cli_jsonl)
    except StepFailed:
        pass
    except Exception as e:  # noqa: BLE001 - a crash of this script is a failed step
        import traceback

        rep.line(False, NAME, args.cmd, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
