#!/usr/bin/env python
"""Python's half of the `plateau sql` interop check (.ci/interop/sql.sh): Python plateau
4.6.2 writes the datasets, DuckDB answers every query over what plateau's read_table
returns, and the CLI's answer must be the same.

Usage:
  $PYTHON tools/interop/sql_side.py write STORE_DIR
  $PYTHON tools/interop/sql_side.py queries STORE_DIR PLATEAU_BIN
  $PYTHON tools/interop/sql_side.py explain STORE_DIR PLATEAU_BIN

`write`    Python plateau writes two datasets (store_dataframes_as_dataset, then
           update_dataset_from_dataframes calls):
             sales      partition_on region (str) and year (int), secondary indices on
                        customer (int, no nulls) and note (str, with nulls); columns id,
                        customer, amount (float, nulls), qty (Int64, nulls), note (str, nulls,
                        one non-ASCII value), day (date), ts (timestamp[us] with sub-ms
                        fractions, nulls). Three appends (one adds region west / year 2022)
                        and one update with delete_scope region=east, year=2020 (the rows it
                        replaces must be gone in both engines).
             customers  partition_on segment (str); columns customer (int), name (str, one
                        null, non-ASCII values); customers 17..19 have no sales.
`queries`  for each query of QUERIES: expected = DuckDB over the pandas frames of
           read_table (registered under the dataset uuids, columns in the CLI's order:
           the non-partition columns of _common_metadata, then the partition keys);
           actual = `PLATEAU_BIN --store STORE_DIR sql QUERY --format jsonl`. Column names
           (and their order) must match; rows are compared as canonical multisets, or as
           ordered lists for queries whose ORDER BY ... LIMIT fixes the order. One
           [PASS|FAIL] line per query with its row count.
`explain`  `EXPLAIN` through the CLI: the pruning report (`plateau scan of `sales`: R of T
           partitions read`) names the dataset, T is the number of partitions in Python's
           metadata and R exactly the number that Python's partition labels or its loaded
           secondary index select, fewer than T.

Canonical values (both sides): NULL, NaN and infinities -> null (the CLI's jsonl prints
non-finite floats as null); ints stay ints and floats stay floats (an int on one side and a
float on the other is a difference), floats rounded to 9 significant digits (sums in another
order); dates as ISO text; timestamps as the CLI prints them (`YYYY-MM-DDTHH:MM:SS` plus 3,
6 or 9 fractional digits as needed); strings and booleans as they are.

The SQL stays in the common subset of DuckDB and DataFusion: explicit aliases for every
computed column (the engines name `count(*)` differently), NULLS FIRST/LAST spelled out in
every ORDER BY (DuckDB's default is NULLS LAST for DESC too, DataFusion's NULLS FIRST), no
integer division, no engine-specific functions or type names.

Python plateau 4.6.2 quirks avoided (see python_side.py EXCLUSIONS): no tz-aware, bool or
'/'-containing partition values; every (region, year) group of every written frame has
non-null values in each nullable column, so no data file gets a null-typed column; the
nullable ints are small. Should read_table return an int column of _common_metadata as
float64 (pandas' view of an int column with nulls), it is turned back into Int64 before
DuckDB sees it, and the `load` line says so.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import json
import math
import os
import re
import subprocess
import sys
import time
from collections import Counter

import numpy as np
import pandas as pd
import pyarrow as pa

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "pyref"))
import pyref_common as C  # noqa: E402
from python_side import Report, StepFailed  # noqa: E402

import duckdb  # noqa: E402
from plateau.core.dataset import DatasetMetadata  # noqa: E402
from plateau.io.eager import (  # noqa: E402
    read_table,
    store_dataframes_as_dataset,
    update_dataset_from_dataframes,
)

NAME = "sql"
SALES = "sales"
CUSTOMERS = "customers"
DATASETS = [SALES, CUSTOMERS]
SALES_PARTITION_ON = ["region", "year"]
SALES_INDICES = ["customer", "note"]
CUSTOMERS_PARTITION_ON = ["segment"]
NULLABLE = ["amount", "qty", "note", "ts"]
# The update with a delete scope: every earlier (east, 2020) row is replaced.
DELETE_SCOPE = {"region": "east", "year": 2020}
CLI_TIMEOUT = 300

# --------------------------------------------------------------------------------------------
# the queries: (sql, ordered, may_be_empty). `ordered`: the ORDER BY fixes the order of every
# row (ties broken by unique columns), so the rows are compared as lists.
# --------------------------------------------------------------------------------------------

Q = tuple
QUERIES: list[Q] = [
    # whole tables
    ("SELECT * FROM sales", False, False),
    ("SELECT * FROM customers", False, False),
    # partition keys
    ("SELECT id, amount FROM sales WHERE region = 'north'", False, False),
    ("SELECT id FROM sales WHERE year = 2021 AND region <> 'east'", False, False),
    ("SELECT id, region, year FROM sales WHERE region IN ('north', 'east') AND year >= 2021", False, False),
    ("SELECT id FROM sales WHERE region NOT IN ('north')", False, False),
    ("SELECT id, year FROM sales WHERE year IN (2020, 2022) AND region <> 'south'", False, False),
    ("SELECT id, region FROM sales WHERE region = 'east' AND year = 2020", False, False),
    ("SELECT id FROM sales WHERE region = 'west' AND year = 2020", False, True),
    ("SELECT id, region FROM sales WHERE region > 'north' AND year < 2022", False, False),
    ("SELECT id FROM sales WHERE region LIKE 'no%' OR year BETWEEN 2021 AND 2022", False, False),
    ("SELECT id FROM sales WHERE upper(region) = 'SOUTH' AND year + 1 = 2022", False, False),
    # the secondary indices
    ("SELECT id, customer FROM sales WHERE customer = 5", False, False),
    ("SELECT id FROM sales WHERE customer IN (1, 2, 3)", False, False),
    ("SELECT id FROM sales WHERE customer <> 5", False, False),
    ("SELECT id FROM sales WHERE customer > 14 OR region = 'south'", False, False),
    ("SELECT id FROM sales WHERE customer BETWEEN 3 AND 6 AND year = 2020", False, False),
    ("SELECT id FROM sales WHERE customer IS NULL", False, True),
    ("SELECT count(*) AS n FROM sales WHERE customer = 3 AND region = 'north'", False, False),
    ("SELECT id FROM sales WHERE NOT (region = 'north') AND customer = 4", False, False),
    ("SELECT id, note FROM sales WHERE note = 'n3' OR note IS NULL", False, False),
    ("SELECT id, note FROM sales WHERE note IN ('n1', 'n5 ü') AND amount IS NOT NULL", False, False),
    ("SELECT id FROM sales WHERE note IS NULL AND region = 'south'", False, False),
    ("SELECT id, note FROM sales WHERE note <> 'n3'", False, False),
    ("SELECT id FROM sales WHERE note NOT IN ('n1', 'n2') AND customer NOT IN (1, 2)", False, False),
    ("SELECT id FROM sales WHERE customer >= 16 OR note = 'n0'", False, False),
    ("SELECT id FROM sales WHERE (region = 'north' AND customer = 1) OR (region = 'south' AND note = 'n2')", False, False),
    ("SELECT id FROM sales WHERE note = 'n3' AND customer = 3", False, False),
    # plain columns: ranges, nulls, dates, timestamps, strings
    ("SELECT id, amount FROM sales WHERE amount > 50", False, False),
    ("SELECT id FROM sales WHERE amount IS NULL", False, False),
    ("SELECT id, qty FROM sales WHERE qty BETWEEN 1 AND 2", False, False),
    ("SELECT id FROM sales WHERE qty IS NULL AND region = 'south'", False, False),
    ("SELECT id, day FROM sales WHERE day >= DATE '2019-04-20' AND day < DATE '2019-04-30'", False, False),
    ("SELECT id, ts FROM sales WHERE ts > TIMESTAMP '2020-09-20 00:00:00'", False, False),
    ("SELECT id, ts FROM sales WHERE ts = TIMESTAMP '2020-09-13 13:26:40.123456'", False, False),
    ("SELECT id FROM sales WHERE ts IS NULL AND year = 2021", False, False),
    ("SELECT id, ts FROM sales WHERE ts < TIMESTAMP '2020-09-14 00:00:00' OR ts IS NULL", False, False),
    ("SELECT id FROM sales WHERE day = DATE '2019-04-20' AND ts IS NOT NULL", False, False),
    ("SELECT id, amount FROM sales WHERE amount < 0 OR amount IS NULL", False, False),
    ("SELECT id FROM sales WHERE lower(note) LIKE 'n1%' AND region = 'south'", False, False),
    ("SELECT id, upper(note) AS loud, length(note) AS len FROM sales WHERE region = 'east' AND year = 2021", False, False),
    ("SELECT id, coalesce(note, 'missing') AS note FROM sales WHERE year = 2021", False, False),
    (
        "SELECT id, CASE WHEN amount IS NULL THEN 'none' WHEN amount > 50 THEN 'big' ELSE 'small' END AS size "
        "FROM sales WHERE region = 'north'",
        False,
        False,
    ),
    # aggregates, GROUP BY partition keys and other columns
    ("SELECT region, year, count(*) AS n, sum(amount) AS total FROM sales GROUP BY region, year", False, False),
    (
        "SELECT region, count(qty) AS n, sum(qty) AS qty, min(day) AS first_day, max(ts) AS last_ts "
        "FROM sales GROUP BY region",
        False,
        False,
    ),
    (
        "SELECT year, avg(amount) AS mean, min(amount) AS lo, max(amount) AS hi, count(DISTINCT customer) AS customers "
        "FROM sales GROUP BY year",
        False,
        False,
    ),
    (
        "SELECT count(*) AS n, count(amount) AS n_amount, count(qty) AS n_qty, count(note) AS n_note, "
        "count(ts) AS n_ts, min(ts) AS first_ts FROM sales",
        False,
        False,
    ),
    ("SELECT note, count(*) AS n FROM sales GROUP BY note", False, False),
    ("SELECT customer, count(*) AS n FROM sales GROUP BY customer HAVING count(*) > 10", False, False),
    ("SELECT DISTINCT region AS region FROM sales WHERE year = 2022", False, False),
    # ORDER BY ... LIMIT (a total order)
    ("SELECT id, amount FROM sales ORDER BY amount DESC NULLS LAST, id ASC LIMIT 7", True, False),
    ("SELECT id, ts FROM sales WHERE ts IS NOT NULL ORDER BY ts DESC NULLS LAST, id ASC LIMIT 5", True, False),
    ("SELECT id, region, year FROM sales ORDER BY id DESC NULLS LAST LIMIT 5 OFFSET 3", True, False),
    ("SELECT id, qty FROM sales WHERE region = 'south' ORDER BY qty ASC NULLS FIRST, id ASC LIMIT 6", True, False),
    # two datasets
    (
        "SELECT s.id AS id, c.name AS name FROM sales s JOIN customers c ON s.customer = c.customer "
        "WHERE c.segment = 'retail' AND s.year = 2020",
        False,
        False,
    ),
    (
        "SELECT c.segment AS segment, count(*) AS n, sum(s.qty) AS qty FROM sales s "
        "JOIN customers c ON s.customer = c.customer GROUP BY c.segment",
        False,
        False,
    ),
    (
        "SELECT c.customer AS customer, count(s.id) AS n FROM customers c "
        "LEFT JOIN sales s ON s.customer = c.customer AND s.region = 'west' GROUP BY c.customer",
        False,
        False,
    ),
    (
        "SELECT id FROM sales WHERE year = 2021 AND customer IN "
        "(SELECT customer FROM customers WHERE segment = 'business')",
        False,
        False,
    ),
]

# EXPLAIN checks: (sql, dataset, how the expected partitions are selected)
EXPLAINS = [
    ("EXPLAIN SELECT id FROM sales WHERE region = 'north'", SALES, {"keys": {"region": "north"}}),
    ("EXPLAIN SELECT id FROM sales WHERE region = 'north' AND year = 2021", SALES, {"keys": {"region": "north", "year": "2021"}}),
    ("EXPLAIN SELECT id FROM sales WHERE customer = 5", SALES, {"index": ("customer", 5)}),
    ("EXPLAIN SELECT id FROM sales WHERE note = 'n5 ü'", SALES, {"index": ("note", "n5 ü")}),
    (
        "EXPLAIN SELECT s.id AS id FROM sales s JOIN customers c ON s.customer = c.customer WHERE c.segment = 'retail'",
        CUSTOMERS,
        {"keys": {"segment": "retail"}},
    ),
]


# --------------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------------

REGIONS = ["north", "south", "east"]
DAY0 = datetime.date(2019, 4, 14)
TS0 = pd.Timestamp("2020-09-13 12:26:40")


def sales_rows(ids, region=None, year=None) -> list[dict]:
    rows = []
    for i in ids:
        rows.append(
            dict(
                id=i,
                region=region or REGIONS[i % 3],
                year=year or 2020 + i % 2,
                customer=i % 17,
                amount=None if i % 5 == 0 else (i * 37 % 101) * 1.25 - 20.0,
                qty=None if i % 7 == 0 else i % 4,
                note=None if i % 4 == 0 else ("n5 ü" if i % 6 == 5 else f"n{i % 6}"),
                day=DAY0 + datetime.timedelta(days=i % 30),
                # microsecond fractions (3600.123456 s per id)
                ts=None if i % 8 == 3 else TS0 + pd.Timedelta(microseconds=i * 3_600_123_456),
            )
        )
    return rows


def sales_frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(
        {
            "id": np.array([r["id"] for r in rows], dtype="int64"),
            "region": pd.Series([r["region"] for r in rows], dtype="str"),
            "year": np.array([r["year"] for r in rows], dtype="int64"),
            "customer": np.array([r["customer"] for r in rows], dtype="int64"),
            "amount": np.array([np.nan if r["amount"] is None else r["amount"] for r in rows], dtype="float64"),
            "qty": pd.array([r["qty"] for r in rows], dtype="Int64"),
            "note": pd.Series([r["note"] for r in rows], dtype="str"),
            "day": pd.Series([r["day"] for r in rows], dtype=object),
            "ts": pd.Series(pd.to_datetime([r["ts"] for r in rows])).astype("datetime64[us]"),
        }
    )
    # No null-typed column in any data file (a plateau 4.6.2 schema quirk): every written
    # (region, year) group has a value in each nullable column.
    for key, group in df.groupby(SALES_PARTITION_ON):
        for col in NULLABLE:
            if group[col].isna().all():
                raise AssertionError(f"sales frame: {col} is null in the whole group {key}")
    return df


def customers_frame() -> pd.DataFrame:
    ids = list(range(20))
    names = [None if i == 7 else ("Zoë" if i == 4 else f"c{i}é" if i % 5 == 0 else f"c{i}") for i in ids]
    return pd.DataFrame(
        {
            "customer": np.array(ids, dtype="int64"),
            "name": pd.Series(names, dtype="str"),
            "segment": pd.Series(["retail" if i % 2 == 0 else "business" for i in ids], dtype="str"),
        }
    )


def cmd_write(rep, store):
    factory = lambda: store  # noqa: E731
    store_dataframes_as_dataset(
        store=factory,
        dataset_uuid=SALES,
        dfs=[sales_frame(sales_rows(range(0, 60)))],
        partition_on=SALES_PARTITION_ON,
        secondary_indices=SALES_INDICES,
    )
    updates = [
        (sales_rows(range(100, 140)), None),
        (sales_rows(range(200, 240)) + sales_rows(range(400, 412), region="west", year=2022), None),
        (sales_rows(range(300, 340)), [DELETE_SCOPE]),
    ]
    for rows, scope in updates:
        update_dataset_from_dataframes(
            [sales_frame(rows)],
            store=factory,
            dataset_uuid=SALES,
            partition_on=SALES_PARTITION_ON,
            delete_scope=scope,
        )
    store_dataframes_as_dataset(
        store=factory,
        dataset_uuid=CUSTOMERS,
        dfs=[customers_frame()],
        partition_on=CUSTOMERS_PARTITION_ON,
    )
    parts = []
    for uuid in DATASETS:
        dm = DatasetMetadata.load_from_store(uuid, store)
        n = len(read_table(dataset_uuid=uuid, store=store))
        parts.append(f"{uuid}: {n} rows in {len(dm.partitions)} partitions")
    rep.ok(
        NAME,
        "write",
        f"store_dataframes_as_dataset + {len(updates)} updates (one with delete_scope "
        f"{DELETE_SCOPE}): {'; '.join(parts)}",
    )


# --------------------------------------------------------------------------------------------
# the reference: DuckDB over read_table's frames
# --------------------------------------------------------------------------------------------


def reference_frame(store, uuid) -> tuple[pd.DataFrame, list[str]]:
    """read_table's frame with the CLI's column order; int columns that pandas turned into
    float64 go back to Int64 (noted in the returned list)."""
    dm = DatasetMetadata.load_from_store(uuid, store)
    keys = list(dm.partition_keys)
    schema = C.read_common_metadata_schema(store, uuid, "table")
    fields = [f for f in schema if not f.name.startswith("__index_level_")]
    columns = [f.name for f in fields if f.name not in keys] + keys
    df = read_table(dataset_uuid=uuid, store=store)
    missing = set(columns) - set(df.columns)
    if missing:
        raise AssertionError(f"{uuid}: read_table lacks columns {sorted(missing)}")
    df = df[columns].copy()
    notes = []
    for f in fields:
        if pa.types.is_integer(f.type) and pd.api.types.is_float_dtype(df[f.name].dtype):
            df[f.name] = df[f.name].astype("Int64")
            notes.append(f"{uuid}.{f.name} float64 -> Int64")
    return df, notes


def duckdb_connection(store):
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    notes, shapes = [], []
    frames = {}
    for uuid in DATASETS:
        df, n = reference_frame(store, uuid)
        frames[uuid] = df
        notes += n
        con.register(uuid, df)
        types = ", ".join(f"{c} {t}" for c, t, *_ in con.execute(f"DESCRIBE {uuid}").fetchall())
        shapes.append(f"{uuid}: {len(df)} rows ({types})")
    return con, frames, notes, shapes


# --------------------------------------------------------------------------------------------
# canonical values
# --------------------------------------------------------------------------------------------


def cli_timestamp(ts: pd.Timestamp) -> str:
    """A naive timestamp as the CLI prints it: no fraction when whole seconds, otherwise 3,
    6 or 9 digits as needed."""
    ns = ts.microsecond * 1000 + ts.nanosecond
    base = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ns == 0:
        return base
    if ns % 1_000_000 == 0:
        return f"{base}.{ns // 1_000_000:03d}"
    if ns % 1000 == 0:
        return f"{base}.{ns // 1000:06d}"
    return f"{base}.{ns:09d}"


def canon(v):
    """One value as a canonical, JSON-serialisable [kind, value] (or None)."""
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return ["bool", bool(v)]
    if isinstance(v, (int, np.integer)):
        return ["int", int(v)]
    if isinstance(v, (float, np.floating)):
        v = float(v)
        if not math.isfinite(v):
            return None
        return ["float", float(f"{v:.9g}") + 0.0]
    if isinstance(v, decimal.Decimal):
        return ["decimal", format(v.normalize(), "f")]
    if isinstance(v, (pd.Timestamp, datetime.datetime)):
        ts = pd.Timestamp(v)
        if ts.tzinfo is not None:
            raise TypeError(f"tz-aware timestamp {v!r}: not expected in this suite")
        return ["str", cli_timestamp(ts)]
    if isinstance(v, datetime.date):
        return ["str", v.isoformat()]
    if isinstance(v, str):
        return ["str", v]
    raise TypeError(f"no canonical form for {type(v).__name__} {v!r}")


def row_key(row) -> str:
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def duckdb_answer(con, sql) -> tuple[list[str], list[list]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return names, [[canon(v) for v in r] for r in cur.fetchall()]


def cli_answer(bin_path, store_dir, sql) -> tuple[list[str] | None, list[list]]:
    # PLATEAU_SQL_WORKERS (comma-separated worker URLs): the same queries, distributed.
    workers = os.environ.get("PLATEAU_SQL_WORKERS")
    extra = ["--workers", workers] if workers else []
    out = subprocess.run(
        [bin_path, "--store", store_dir, "sql", sql, "--format", "jsonl", *extra],
        capture_output=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )
    if out.returncode != 0:
        raise RuntimeError(f"exit code {out.returncode}: {out.stderr.decode(errors='replace').strip()}")
    names, rows = None, []
    for line in out.stdout.decode("utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        keys = list(obj)
        if names is None:
            names = keys
        elif keys != names:
            raise RuntimeError(f"rows with different columns: {names} and {keys}")
        rows.append([canon(obj[k]) for k in keys])
    return names, rows


def describe_diff(expected, actual, ordered) -> str:
    if ordered:
        for i, (e, a) in enumerate(zip(expected, actual)):
            if e != a:
                return f"row {i}: expected {row_key(e)}, got {row_key(a)}"
        return f"{len(expected)} rows expected, {len(actual)} returned"
    e = Counter(row_key(r) for r in expected)
    a = Counter(row_key(r) for r in actual)
    missing = list((e - a).elements())
    extra = list((a - e).elements())
    return (
        f"{len(expected)} rows expected, {len(actual)} returned; {len(missing)} missing, e.g. {missing[:4]}; "
        f"{len(extra)} unexpected, e.g. {extra[:4]}"
    )


def cmd_queries(rep, store_dir, bin_path):
    store = C.open_store(store_dir)
    con, _, notes, shapes = duckdb_connection(store)
    rep.ok(NAME, "load", "DuckDB over read_table: " + "; ".join(shapes) + (f" [{'; '.join(notes)}]" if notes else ""))
    t0 = time.monotonic()
    nonempty = 0
    for n, (sql, ordered, may_be_empty) in enumerate(QUERIES, 1):
        step = f"q{n:02d}"
        try:
            names_e, expected = duckdb_answer(con, sql)
        except Exception as e:  # noqa: BLE001
            rep.line(False, NAME, step, f"DuckDB cannot run it: {type(e).__name__}: {e} -- {sql}")
            continue
        try:
            names_a, actual = cli_answer(bin_path, store_dir, sql)
        except Exception as e:  # noqa: BLE001
            rep.line(False, NAME, step, f"plateau sql failed: {e} -- {sql}")
            continue
        problems = []
        if names_a is not None and names_a != names_e:
            problems.append(f"columns {names_a}, DuckDB's {names_e}")
        if not ordered:
            expected = sorted(expected, key=row_key)
            actual = sorted(actual, key=row_key)
        if expected != actual:
            problems.append(describe_diff(expected, actual, ordered))
        if not expected and not may_be_empty:
            problems.append("no rows expected: the data does not exercise this query")
        nonempty += bool(expected)
        how = "ordered" if ordered else "multiset"
        if problems:
            rep.line(False, NAME, step, f"{'; '.join(problems)} -- {sql}")
        else:
            rep.ok(NAME, step, f"{len(actual)} rows ({how}) -- {sql}")
    took = time.monotonic() - t0
    print(
        f"sql queries: {len(QUERIES) - rep.fails} of {len(QUERIES)} agree with DuckDB "
        f"({nonempty} with rows) in {took:.1f}s",
        flush=True,
    )


SCAN = re.compile(r"plateau scan of `([^`]+)`: (\d+) of (\d+) partitions read")


def label_keys(label: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in label.split("/")[:-1])


def cmd_explain(rep, store_dir, bin_path):
    store = C.open_store(store_dir)
    for n, (sql, uuid, want) in enumerate(EXPLAINS, 1):
        step = f"explain{n}"
        out = subprocess.run(
            [bin_path, "--store", store_dir, "sql", sql],
            capture_output=True,
            timeout=CLI_TIMEOUT,
            check=False,
        )
        text = out.stdout.decode("utf-8", errors="replace")
        if out.returncode != 0:
            rep.line(False, NAME, step, f"exit code {out.returncode}: {out.stderr.decode(errors='replace').strip()} -- {sql}")
            continue
        scans = {m.group(1): (int(m.group(2)), int(m.group(3))) for m in SCAN.finditer(text)}
        if uuid not in scans:
            rep.line(False, NAME, step, f"no 'plateau scan of `{uuid}`' line in the output -- {sql}\n{text}")
            continue
        read, total = scans[uuid]
        dm = DatasetMetadata.load_from_store(uuid, store, load_all_indices="index" in want)
        labels = set(dm.partitions)
        if "keys" in want:
            selected = {lab for lab in labels if all(label_keys(lab).get(k) == v for k, v in want["keys"].items())}
            why = f"partition keys {want['keys']}"
        else:
            col, value = want["index"]
            selected = dm.indices[col].eval_operator("==", value) & labels
            why = f"Python's index on {col} for {value}"
        problems = []
        if total != len(labels):
            problems.append(f"{total} partitions in total, Python's metadata has {len(labels)}")
        if read != len(selected):
            problems.append(f"{read} partitions read, {why} select {len(selected)}")
        if not read < total:
            problems.append(f"no pruning: {read} of {total} read")
        line = SCAN.search(text[text.index(f"plateau scan of `{uuid}`"):]).group(0)
        if problems:
            rep.line(False, NAME, step, f"{'; '.join(problems)} -- {sql}\n{text}")
        else:
            rep.ok(NAME, step, f"'{line}' ({why}) -- {sql}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("write")
    w.add_argument("store_dir")
    for name in ("queries", "explain"):
        p = sub.add_parser(name)
        p.add_argument("store_dir")
        p.add_argument("plateau")
    args = ap.parse_args(argv)

    C.quiet_warnings()
    rep = Report()
    try:
        if args.cmd == "write":
            cmd_write(rep, C.open_store(args.store_dir))
        elif args.cmd == "queries":
            cmd_queries(rep, args.store_dir, args.plateau)
        else:
            cmd_explain(rep, args.store_dir, args.plateau)
    except StepFailed:
        pass
    except Exception as e:  # noqa: BLE001 - a crash of this script is a failed step
        import traceback

        rep.line(False, NAME, args.cmd, f"{type(e).__name__}: {e}\n{traceback.format_exc()}")
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
