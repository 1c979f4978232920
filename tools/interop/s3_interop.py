#!/usr/bin/env python
"""Python plateau's half of the S3 interop check (tools/interop/s3.sh).

Usage (s3.sh runs the CLI between the phases; WORK is its scratch directory):
  $PYTHON tools/interop/s3_interop.py queries
  $PYTHON tools/interop/s3_interop.py phase1 STORE_URL RUN WORK
  $PYTHON tools/interop/s3_interop.py phase2 STORE_URL RUN WORK
  $PYTHON tools/interop/s3_interop.py phase3 STORE_URL RUN WORK
  $PYTHON tools/interop/s3_interop.py leftovers STORE_URL RUN

STORE_URL is a minimalkv URL (hs3://KEY:SECRET@HOST:PORT/BUCKET?is_secure=false&
force_bucket_suffix=false): Python plateau 4.6.2 reaches S3 through minimalkv's HS3FSStore
(s3fs + boto3), the Rust CLI through the very same string. Datasets are `<RUN>_py` (written
by Python) and `<RUN>_rs` (written by the CLI); RUN is unique per run.

  queries    prints `name TAB where-text` for the CLI's predicate reads (both datasets)
  phase1     Python writes <RUN>_py (partition_on country, secondary indices product and
             store, two input frames -> two files per partition; int64/int32/float with NaN/
             string/date/timestamp columns) and saves what the CLI's predicate reads of this
             state must prune to (WORK/a-prune.json); writes WORK/more.csv (rows the CLI appends
             to <RUN>_py) and WORK/in.csv (rows the CLI writes as <RUN>_rs)
  phase2     checks the CLI's list, full reads (parquet and csv), predicate reads and
             `partitions --where` pruning of <RUN>_py against what Python wrote; Python
             read_table of <RUN>_py after the CLI's update (append + delete_scope country=DE),
             in full and with the same predicates; the indices as Python loads them against
             the data; Python read_table of <RUN>_rs against in.csv; Python updates <RUN>_rs
             (append + delete_scope country=FR) and garbage-collects it: exactly the
             referenced keys must remain
  phase3     checks the CLI's reads of <RUN>_rs after Python's update and gc (full and
             predicates, pruning with the indices Python merged), the CLI's gc dry runs
             against the unreferenced keys, and that `--store s3://` (AWS_* variables) lists
             and reads the same as the hs3:// URL
  leftovers  after the CLI deleted both datasets: no key of the run is left

Rows are compared as values keyed by the unique `id` column (order-free): ints as int,
floats by repr (NaN == null), strings, dates as ISO dates, timestamps as ns since the
epoch (naive). Column *kinds* are checked too (integer, float, string, date, naive
timestamp), not exact dtypes: plateau returns qty (written as int32) as int64, strings as
large_string/str, dates as object columns of datetime.date.

Each check prints `[PASS] ...` or `[FAIL] ...`; a phase exits 1 if any of its checks failed.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import traceback
from functools import partial

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "pyref"))
import pyref_common as C  # noqa: E402

C.quiet_warnings()

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

D = datetime.date
COLS = ["id", "country", "product", "store", "qty", "price", "day", "ts"]
KINDS = {
    "id": "int",
    "country": "str",
    "product": "str",
    "store": "int",
    "qty": "int",
    "price": "float",
    "day": "date",
    "ts": "timestamp",
}
PARTITION_ON = ["country"]
INDICES = ["product", "store"]
# products sold per country: overlapping ranges, so that an index lookup prunes partitions
PRODUCTS = {
    "DE": range(0, 5),
    "FR": range(3, 8),
    "US": range(6, 11),
    "JP": range(9, 13),
    "BR": range(12, 15),
    "CN": range(0, 3),
}

# --------------------------------------------------------------------------------------------
# the data: deterministic, so every phase regenerates the same frames
# --------------------------------------------------------------------------------------------


def make_rows(first_id: int, n: int, countries: list[str], seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    country = rng.choice(countries, n)
    product = [f"p{rng.choice(list(PRODUCTS[c]))}" for c in country]
    price = rng.normal(20.0, 7.0, n).round(4)
    price[rng.random(n) < 0.03] = np.nan
    return pd.DataFrame(
        {
            "id": np.arange(first_id, first_id + n, dtype="int64"),
            "country": pd.Series(country, dtype="str"),
            "product": pd.Series(product, dtype="str"),
            "store": rng.integers(0, 20, n).astype("int64"),
            "qty": rng.integers(-50, 500, n).astype("int64"),
            "price": price,
            "day": pd.Series(
                [D(2024, 1, 1) + datetime.timedelta(days=int(d)) for d in rng.integers(0, 730, n)],
                dtype=object,
            ),
            # millisecond resolution: survives every text format on the way
            "ts": (
                pd.Timestamp("2024-01-01")
                + pd.to_timedelta(rng.integers(0, 2 * 365 * 86_400_000, n), unit="ms")
            ).astype("datetime64[ns]"),
        }
    )


def py_base() -> pd.DataFrame:  # Python writes <RUN>_py
    return make_rows(0, 1000, ["DE", "FR", "US", "JP"], seed=1)


def cli_more() -> pd.DataFrame:  # the CLI appends to <RUN>_py, deleting country=DE first
    return make_rows(10_000, 120, ["DE", "FR", "BR"], seed=2)


def rs_in() -> pd.DataFrame:  # the CLI writes <RUN>_rs
    return make_rows(20_000, 1000, ["DE", "FR", "US", "JP"], seed=3)


def py_more() -> pd.DataFrame:  # Python appends to <RUN>_rs, deleting country=FR first
    return make_rows(30_000, 150, ["FR", "US", "CN"], seed=4)


CLI_DELETE = "DE"
PY_DELETE = "FR"


def py_after_cli() -> pd.DataFrame:
    b = py_base()
    return pd.concat([b[b.country != CLI_DELETE], cli_more()], ignore_index=True)


def rs_after_py() -> pd.DataFrame:
    b = rs_in()
    return pd.concat([b[b.country != PY_DELETE], py_more()], ignore_index=True)


def write_csv(df: pd.DataFrame, path: str) -> None:
    # floats as repr (round trip), NaN as an empty field, timestamps with a 'T'
    df.to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S.%f")


# --------------------------------------------------------------------------------------------
# predicate reads: CLI text, plateau predicates, the row filter, and what pruning must give
# --------------------------------------------------------------------------------------------
# `prune`: the conjuncts on index/partition columns; for `exact` queries the CLI must read
# exactly the files in which every conjunct has a matching value (that is what the indices
# and partition labels say), otherwise it must read at least the files holding matching rows
# and at most the files the conjuncts allow.

QUERIES = [
    {
        "name": "product",
        "where": "product == 'p3'",
        "predicates": [[("product", "==", "p3")]],
        "rows": lambda d: d["product"] == "p3",
        "prune": [("product", ["p3"])],
        "exact": True,
    },
    {
        "name": "store",
        "where": "store == 7",
        "predicates": [[("store", "==", 7)]],
        "rows": lambda d: d["store"] == 7,
        "prune": [("store", [7])],
        "exact": True,
    },
    {
        "name": "country_product",
        "where": "country == 'FR' and product == 'p3'",
        "predicates": [[("country", "==", "FR"), ("product", "==", "p3")]],
        "rows": lambda d: (d["country"] == "FR") & (d["product"] == "p3"),
        "prune": [("country", ["FR"]), ("product", ["p3"])],
        "exact": True,
    },
    {
        "name": "product_in_store",
        "where": "product in ('p4', 'p9') and store == 3",
        "predicates": [[("product", "in", ["p4", "p9"]), ("store", "==", 3)]],
        "rows": lambda d: d["product"].isin(["p4", "p9"]) & (d["store"] == 3),
        "prune": [("product", ["p4", "p9"]), ("store", [3])],
        "exact": True,
    },
    {
        "name": "store_day",
        "where": "store == 7 and day >= date '2025-01-01'",
        "predicates": [[("store", "==", 7), ("day", ">=", D(2025, 1, 1))]],
        "rows": lambda d: (d["store"] == 7) & (d["day"] >= D(2025, 1, 1)),
        "prune": [("store", [7])],
        "exact": False,
    },
    {
        "name": "product_or_country",
        "where": "product == 'p0' or country == 'JP'",
        "predicates": [[("product", "==", "p0")], [("country", "==", "JP")]],
        "rows": lambda d: (d["product"] == "p0") | (d["country"] == "JP"),
        "prune": [],
        "exact": False,
    },
]

# --------------------------------------------------------------------------------------------
# reporting and comparison
# --------------------------------------------------------------------------------------------


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, msg: str) -> None:
        self.passed += 1
        print(f"[PASS] {msg}", flush=True)

    def fail(self, msg: str) -> None:
        self.failed += 1
        print(f"[FAIL] {msg}", flush=True)

    def check(self, cond: bool, msg: str, why: str = "") -> bool:
        if cond:
            self.ok(msg)
        else:
            self.fail(msg + (f": {why}" if why else ""))
        return cond

    def exit(self) -> None:
        sys.exit(1 if self.failed else 0)


R = Report()


def _norm_day(v):
    if v is None or (not isinstance(v, (str, D)) and pd.isna(v)):
        return None
    if isinstance(v, str):
        return D.fromisoformat(v).isoformat()
    if isinstance(v, datetime.datetime):
        return v.date().isoformat()
    if isinstance(v, D):
        return v.isoformat()
    return pd.Timestamp(v).date().isoformat()


def _norm_ts(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    t = pd.Timestamp(v)
    if t.tzinfo is not None:
        return ("tz-aware", str(t))
    return int(t.as_unit("ns").value)


def _norm_float(v):
    if v is None or pd.isna(v):
        return None
    return repr(float(v))


def _norm_int(v):
    if v is None or pd.isna(v):
        return None
    if float(v) != int(v):
        return ("non-integral", repr(v))
    return int(v)


def _norm_str(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return str(v)


NORM = {"int": _norm_int, "float": _norm_float, "str": _norm_str, "date": _norm_day, "timestamp": _norm_ts}


def canon(df: pd.DataFrame) -> dict:
    """{id: (values of COLS normalised)}; raises on a missing column."""
    cols = {c: [NORM[KINDS[c]](v) for v in df[c].tolist()] for c in COLS}
    out = {}
    for i in range(len(df)):
        row = tuple(cols[c][i] for c in COLS)
        out.setdefault(row[0], []).append(row)
    return out


def compare(what: str, got: pd.DataFrame | None, want: pd.DataFrame) -> bool:
    if got is None:
        R.fail(f"{what}: nothing to compare (see the error above)")
        return False
    missing_cols = [c for c in COLS if c not in got.columns]
    extra_cols = [c for c in got.columns if c not in COLS]
    if missing_cols or extra_cols:
        R.fail(f"{what}: columns differ: missing {missing_cols}, unexpected {extra_cols}")
        return False
    g, w = canon(got), canon(want)
    dups = [k for k, v in g.items() if len(v) > 1]
    missing = sorted(set(w) - set(g), key=str)
    extra = sorted(set(g) - set(w), key=str)
    differ = sorted((k for k in set(w) & set(g) if g[k][0] != w[k][0]), key=str)
    if not (dups or missing or extra or differ):
        R.ok(f"{what}: {len(got)} rows equal")
        return True
    lines = [f"{what}: {len(got)} rows read, {len(want)} expected"]
    if dups:
        lines.append(f"  {len(dups)} duplicated ids, e.g. {dups[:5]}")
    if missing:
        lines.append(f"  {len(missing)} missing ids, e.g. {missing[:5]}")
    if extra:
        lines.append(f"  {len(extra)} unexpected ids, e.g. {extra[:5]}")
    if differ:
        lines.append(f"  {len(differ)} rows differ, e.g.")
        for k in differ[:3]:
            lines.append(f"    want {dict(zip(COLS, w[k][0]))}")
            lines.append(f"    got  {dict(zip(COLS, g[k][0]))}")
    R.fail("\n".join(lines))
    return False


def arrow_kind(t: pa.DataType) -> str:
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "str"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp" if t.tz is None else f"timestamp[tz={t.tz}]"
    return str(t)


def pandas_kind(s: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(s.dtype):
        return "int"
    if pd.api.types.is_float_dtype(s.dtype):
        return "float"
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return f"timestamp[tz={s.dtype.tz}]"
    if pd.api.types.is_datetime64_dtype(s.dtype):
        return "timestamp"
    if pd.api.types.is_string_dtype(s.dtype) and s.dtype != object:
        return "str"
    if s.dtype == object:
        vals = [v for v in s.tolist() if v is not None and not (isinstance(v, float) and np.isnan(v))]
        if vals and all(isinstance(v, D) and not isinstance(v, datetime.datetime) for v in vals):
            return "date"
        if vals and all(isinstance(v, str) for v in vals):
            return "str"
    return str(s.dtype)


def check_kinds(what: str, kinds: dict) -> None:
    bad = {c: (kinds.get(c), k) for c, k in KINDS.items() if kinds.get(c) != k}
    R.check(not bad, f"{what}: column kinds", "got/want " + ", ".join(f"{c}: {g}/{w}" for c, (g, w) in bad.items()))


def read_cli_parquet(path: str, what: str) -> pd.DataFrame | None:
    if not os.path.exists(path):
        R.fail(f"{what}: {path} missing (the CLI command failed, see above)")
        return None
    t = pq.read_table(path)
    check_kinds(what, {f.name: arrow_kind(f.type) for f in t.schema})
    return t.to_pandas()


def read_cli_csv(path: str, what: str) -> pd.DataFrame | None:
    if not os.path.exists(path):
        R.fail(f"{what}: {path} missing (the CLI command failed, see above)")
        return None
    return pd.read_csv(path, dtype={"country": str, "product": str, "day": str, "ts": str},
                       keep_default_na=False, na_values={"price": [""]})


def load_json(path: str, what: str):
    if not os.path.exists(path) or os.path.getsize(path) == 0:
        R.fail(f"{what}: {path} missing or empty (the CLI command failed, see above)")
        return None
    with open(path) as f:
        return json.load(f)


# --------------------------------------------------------------------------------------------
# store access
# --------------------------------------------------------------------------------------------


def store_factory(url: str):
    from minimalkv import get_store_from_url

    return partial(get_store_from_url, url)


def dataset_keys(store, uuid: str) -> set[str]:
    return {k for k in store.keys(prefix=uuid) if k.startswith(uuid + "/") or k.startswith(uuid + ".")}


def load_dm(store, uuid: str):
    from plateau.core.dataset import DatasetMetadata

    return DatasetMetadata.load_from_store(uuid, store, load_all_indices=True)


def file_values(store, dm) -> dict:
    """{label: {col: set of values}} for the partition and index columns, read per file."""
    out = {}
    for label, part in dm.partitions.items():
        key = part.files["table"]
        t = pq.read_table(pa.BufferReader(store.get(key)))
        vals = {c: {_norm_key(v) for v in t.column(c).to_pylist()} for c in INDICES if c in t.column_names}
        # partition columns are not in the files: take them from the label
        for kv in label.split("/")[:-1]:
            k, _, v = kv.partition("=")
            vals[k] = {v}
        out[label] = vals
    return out


def _norm_key(v):
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    return v


def secondary_indices(dm) -> dict:
    """The stored (secondary) indices: load_all_indices also builds the partition indices."""
    from plateau.core.index import ExplicitSecondaryIndex

    return {c: i for c, i in dm.indices.items() if isinstance(i, ExplicitSecondaryIndex)}


def referenced_keys(dm, uuid: str) -> set[str]:
    keys = {f"{uuid}.by-dataset-metadata.json", f"{uuid}/{dm.table_name}/_common_metadata"}
    keys |= {p.files[dm.table_name] for p in dm.partitions.values()}
    keys |= {i.index_storage_key for i in secondary_indices(dm).values()}
    return keys


def check_dataset_meta(store, uuid: str, who: str):
    """Partition keys, indices as Python loads them, and the indices against the data."""
    try:
        dm = load_dm(store, uuid)
    except Exception as e:  # noqa: BLE001
        R.fail(f"{uuid} load ({who}): DatasetMetadata.load_from_store raised {type(e).__name__}: {e}")
        return None
    secondary = secondary_indices(dm)
    R.check(
        list(dm.partition_keys) == PARTITION_ON and set(secondary) == set(INDICES),
        f"{uuid} metadata ({who}): partition keys {list(dm.partition_keys)}, secondary indices {sorted(secondary)}",
        f"want partition keys {PARTITION_ON}, secondary indices {sorted(INDICES)}",
    )
    fv = file_values(store, dm)
    problems = []
    for col in INDICES:
        idx = dm.indices.get(col)
        if idx is None:
            problems.append(f"no index {col}")
            continue
        got = {_norm_key(v): set(labels) for v, labels in idx.index_dct.items()}
        want: dict = {}
        for label, vals in fv.items():
            for v in vals.get(col, ()):
                want.setdefault(v, set()).add(label)
        if got != want:
            diff = sorted({str(v) for v in set(got) ^ set(want)} | {str(v) for v in set(got) & set(want) if got[v] != want[v]})
            problems.append(f"index {col} differs from the data for values {diff[:8]}")
    R.check(
        not problems,
        f"{uuid} indices ({who}): {', '.join(f'{c} ({len(dm.indices[c].index_dct)} values)' for c in INDICES if c in dm.indices)} "
        f"match the data of {len(dm.partitions)} files",
        "; ".join(problems),
    )
    return dm


def python_read(store_f, uuid: str, what: str, predicates=None) -> pd.DataFrame | None:
    from plateau.io.eager import read_table

    try:
        df = read_table(uuid, store_f, predicates=predicates)
    except Exception as e:  # noqa: BLE001
        R.fail(f"{what}: read_table raised {type(e).__name__}: {e}")
        return None
    if predicates is None:
        check_kinds(what, {c: pandas_kind(df[c]) for c in df.columns})
    return df


def pruning_info(store, dm) -> dict:
    """What the CLI's `partitions --where` must list, per query, for one dataset state:
    `allowed` (every prune conjunct has a value in the file, per indices and labels) and
    `need` (the files holding a matching row)."""
    fv = file_values(store, dm)
    info = {"total": len(dm.partitions), "queries": {}}
    data = {}
    for lb in fv:
        df = pq.read_table(pa.BufferReader(store.get(dm.partitions[lb].files["table"]))).to_pandas()
        for kv in lb.split("/")[:-1]:
            k, _, v = kv.partition("=")
            df[k] = v
        data[lb] = df
    for q in QUERIES:
        allowed = sorted(lb for lb, vals in fv.items() if all(vals.get(c, set()) & set(vs) for c, vs in q["prune"]))
        need = sorted(lb for lb, df in data.items() if q["rows"](df).any())
        info["queries"][q["name"]] = {"allowed": allowed, "need": need}
    return info


def check_cli_reads(uuid: str, work: str, tag: str, want: pd.DataFrame, who: str, info: dict):
    """The CLI's predicate reads and `partitions --json` of one dataset state."""
    for q in QUERIES:
        name = q["name"]
        got = read_cli_parquet(f"{work}/{tag}-q-{name}.parquet", f"{uuid} cli read --where \"{q['where']}\"")
        compare(f"{uuid} cli read --where \"{q['where']}\" ({who})", got, want[q["rows"](want)])
        parts = load_json(f"{work}/{tag}-p-{name}.json", f"{uuid} cli partitions --where \"{q['where']}\"")
        if parts is None:
            continue
        listed = {p["label"] for p in parts.get("partitions", [])}
        allowed = set(info["queries"][name]["allowed"])
        need = set(info["queries"][name]["need"])
        if q["exact"]:
            ok = listed == allowed
            why = f"listed {len(listed)} files, the indices/labels select {len(allowed)}"
        else:
            ok = need <= listed <= allowed
            why = f"listed {len(listed)}, rows in {len(need)}, allowed {len(allowed)}"
        ok = ok and parts.get("total") == info["total"]
        R.check(
            ok,
            f"{uuid} cli partitions --where \"{q['where']}\" ({who}): {len(listed)} of {parts.get('total')} files"
            + (" (exactly those the indices select)" if q["exact"] else f" (rows in {len(need)}, index allows {len(allowed)})"),
            why + f", total {parts.get('total')} vs {info['total']}",
        )


def check_list(path: str, what: str, want: dict) -> dict | None:
    """`plateau list --json` output: each uuid of `want` listed with {uuid: partitions}."""
    entries = load_json(path, what)
    if entries is None:
        return None
    by = {e["uuid"]: e for e in entries}
    for uuid, n in want.items():
        e = by.get(uuid)
        if e is None:
            R.fail(f"{what}: {uuid} not listed (listed: {sorted(by)[:10]})")
            continue
        w = {"format": "json", "partitions": n, "partition_keys": PARTITION_ON, "indices": sorted(INDICES)}
        g = {"format": e.get("format"), "partitions": e.get("partitions"),
             "partition_keys": e.get("partition_keys"), "indices": sorted(e.get("indices") or [])}
        R.check(g == w, f"{what}: {uuid} {g['partitions']} files, keys {g['partition_keys']}, indices {g['indices']}",
                f"got {g}, Python's metadata says {w}")
    return by


# --------------------------------------------------------------------------------------------
# phases
# --------------------------------------------------------------------------------------------


def phase1(url: str, run: str, work: str):
    from plateau.io.eager import store_dataframes_as_dataset

    store_f = store_factory(url)
    store = store_f()
    uuid = f"{run}_py"
    taken = list(store.keys(prefix=run))
    if not R.check(not taken, f"run prefix {run}: unused in bucket {store.bucket.name}", f"{len(taken)} keys exist"):
        R.exit()
    base = py_base()
    frames = []
    for part in (base[base.id % 2 == 0], base[base.id % 2 == 1]):
        part = part.reset_index(drop=True)
        part["qty"] = part["qty"].astype("int32")  # plateau's schema normalises it to int64
        frames.append(part)
    try:
        dm = store_dataframes_as_dataset(
            store=store_f, dataset_uuid=uuid, dfs=frames, partition_on=PARTITION_ON, secondary_indices=INDICES
        )
    except Exception as e:  # noqa: BLE001
        R.fail(f"{uuid} python write: store_dataframes_as_dataset raised {type(e).__name__}: {e}")
        R.exit()
    keys = dataset_keys(store, uuid)
    R.ok(f"{uuid} python store_dataframes_as_dataset via minimalkv {type(store).__name__}: {len(base)} rows "
         f"in 2 frames, {len(dm.partitions)} files, {len(keys)} keys")
    # what the CLI's predicate reads of this state must give (checked in phase2, after the
    # CLI's update has changed the dataset)
    dm = load_dm(store, uuid)
    with open(f"{work}/a-prune.json", "w") as f:
        json.dump(pruning_info(store, dm), f)
    write_csv(cli_more(), f"{work}/more.csv")
    write_csv(rs_in(), f"{work}/in.csv")
    R.exit()


def phase2(url: str, run: str, work: str):
    from plateau.io.eager import garbage_collect_dataset, update_dataset_from_dataframes

    store_f = store_factory(url)
    store = store_f()
    py, rs = f"{run}_py", f"{run}_rs"

    # --- 1. the CLI on Python's dataset, as Python wrote it
    with open(f"{work}/a-prune.json") as f:
        info = json.load(f)
    check_list(f"{work}/list-1.json", "cli list --json (hs3://)", {py: info["total"]})
    base = py_base()
    compare(f"{py} cli read --format parquet (python-written)",
            read_cli_parquet(f"{work}/a-full.parquet", f"{py} cli read --format parquet"), base)
    compare(f"{py} cli read --format csv (python-written)",
            read_cli_csv(f"{work}/a-full.csv", f"{py} cli read --format csv"), base)
    check_cli_reads(py, work, "a", base, "python-written", info)

    # --- 1b. Python reads the CLI's update of its dataset (delete_scope + append)
    want = py_after_cli()
    df = python_read(store_f, py, f"{py} python read_table after cli update")
    compare(f"{py} python read_table after cli update more.csv --delete-scope country={CLI_DELETE}", df, want)
    for q in QUERIES:
        got = python_read(store_f, py, f"{py} python read_table {q['predicates']}", q["predicates"])
        compare(f"{py} python read_table {q['predicates']} (after cli update)", got, want[q["rows"](want)])
    check_dataset_meta(store, py, "after cli update")

    # --- 2. Python on the CLI's dataset
    inp = rs_in()
    dm = check_dataset_meta(store, rs, "cli-written")
    df = python_read(store_f, rs, f"{rs} python read_table (cli-written)")
    compare(f"{rs} python read_table (cli-written from in.csv)", df, inp)
    for q in QUERIES:
        got = python_read(store_f, rs, f"{rs} python read_table {q['predicates']}", q["predicates"])
        compare(f"{rs} python read_table {q['predicates']} (cli-written)", got, inp[q["rows"](inp)])
    if dm is None or df is None:
        R.fail(f"{rs} python update: skipped, the dataset did not load")
        R.exit()
    more = py_more()[list(df.columns)]
    before = dataset_keys(store, rs)
    try:
        after_dm = update_dataset_from_dataframes(
            [more], store=store_f, dataset_uuid=rs, delete_scope=[{"country": PY_DELETE}],
            partition_on=PARTITION_ON, secondary_indices=INDICES,
        )
        R.ok(f"{rs} python update_dataset_from_dataframes: +{len(more)} rows, delete_scope country={PY_DELETE}, "
             f"{len(dm.partitions)} -> {len(after_dm.partitions)} files")
    except Exception as e:  # noqa: BLE001
        R.fail(f"{rs} python update_dataset_from_dataframes raised {type(e).__name__}: {e}")
        R.exit()
    mid = dataset_keys(store, rs)
    try:
        garbage_collect_dataset(dataset_uuid=rs, store=store_f)
    except Exception as e:  # noqa: BLE001
        R.fail(f"{rs} python garbage_collect_dataset raised {type(e).__name__}: {e}")
        R.exit()
    after = dataset_keys(store, rs)
    dm2 = load_dm(store, rs)
    referenced = referenced_keys(dm2, rs)
    deleted = {p.files["table"] for lb, p in dm.partitions.items() if lb.startswith(f"country={PY_DELETE}/")}
    R.check(
        after == referenced and deleted and deleted <= mid and deleted.isdisjoint(after),
        f"{rs} python garbage_collect_dataset: {len(before)} keys -> {len(mid)} after the update -> "
        f"{len(after)}, exactly the referenced ones (the {len(deleted)} files of country={PY_DELETE} are gone)",
        f"unreferenced left {sorted(after - referenced)[:5]}, referenced missing {sorted(referenced - after)[:5]}, "
        f"country={PY_DELETE} files {sorted(deleted)[:3]} (still there: {sorted(deleted & after)[:3]})",
    )
    want = rs_after_py()
    compare(f"{rs} python read_table after its update + gc",
            python_read(store_f, rs, f"{rs} python read_table after its update + gc"), want)
    check_dataset_meta(store, rs, "after python update + gc")
    with open(f"{work}/b-prune.json", "w") as f:
        json.dump(pruning_info(store, dm2), f)
    R.exit()


def phase3(url: str, run: str, work: str):
    py, rs = f"{run}_py", f"{run}_rs"
    want_rs = rs_after_py()
    want_py = py_after_cli()
    with open(f"{work}/b-prune.json") as f:
        info = json.load(f)
    compare(f"{rs} cli read --format parquet (after python update + gc)",
            read_cli_parquet(f"{work}/b-full.parquet", f"{rs} cli read --format parquet"), want_rs)
    check_cli_reads(rs, work, "b", want_rs, "after python update + gc", info)
    store = store_factory(url)()
    parts = {u: len(load_dm(store, u).partitions) for u in (py, rs)}
    for uuid, who in ((rs, "after Python's garbage_collect_dataset"), (py, "after the CLI's update, no gc")):
        path = f"{work}/gc-{uuid}.txt"
        if not os.path.exists(path):
            R.fail(f"{uuid} cli gc --dry-run: {path} missing (the CLI command failed, see above)")
            continue
        with open(path) as f:
            listed = {line.strip() for line in f if line.strip()}
        garbage = dataset_keys(store, uuid) - referenced_keys(load_dm(store, uuid), uuid)
        R.check(listed == garbage, f"{uuid} cli gc --dry-run --min-age 0 ({who}): {len(listed)} keys, exactly "
                "the keys no metadata references (as Python sees them)",
                f"only in the CLI's list {sorted(listed - garbage)[:5]}, missed {sorted(garbage - listed)[:5]}")
    hs3 = check_list(f"{work}/list-hs3.json", "cli list --json (hs3://)", parts)
    s3 = check_list(f"{work}/list-s3.json", "cli list --json (s3:// + AWS_* env)", parts)
    if hs3 is not None and s3 is not None:
        R.check(hs3 == s3, f"cli list --json: s3:// and hs3:// list the same {len(hs3)} datasets",
                f"only hs3: {sorted(set(hs3) - set(s3))[:5]}, only s3: {sorted(set(s3) - set(hs3))[:5]}, "
                f"differing: {[k for k in set(hs3) & set(s3) if hs3[k] != s3[k]][:5]}")
    compare(f"{py} cli read --store s3:// (python-written, cli-updated)",
            read_cli_parquet(f"{work}/c-py.parquet", f"{py} cli read --store s3://"), want_py)
    compare(f"{rs} cli read --store s3:// (cli-written, python-updated)",
            read_cli_parquet(f"{work}/c-rs.parquet", f"{rs} cli read --store s3://"), want_rs)
    with open(f"{work}/rows.txt", "w") as f:
        f.write(f"{py}: python wrote {len(py_base())} rows; cli appended {len(cli_more())} with "
                f"--delete-scope country={CLI_DELETE} -> {len(want_py)} rows\n")
        f.write(f"{rs}: cli wrote {len(rs_in())} rows; python appended {len(py_more())} with "
                f"delete_scope country={PY_DELETE}, gc -> {len(want_rs)} rows\n")
    R.exit()


def leftovers(url: str, run: str):
    """After `plateau delete` of both datasets: no key of this run may remain."""
    store = store_factory(url)()
    keys = sorted(store.keys(prefix=run))
    R.check(not keys, f"cli delete: no key left under prefix {run}", f"{len(keys)} left, e.g. {keys[:5]}")
    R.exit()


def main(argv):
    if argv[:1] == ["queries"]:
        for q in QUERIES:
            print(f"{q['name']}\t{q['where']}")
        return
    phases = {"phase1": (phase1, 3), "phase2": (phase2, 3), "phase3": (phase3, 3), "leftovers": (leftovers, 2)}
    if not argv or argv[0] not in phases or len(argv) != phases[argv[0]][1] + 1:
        sys.exit(__doc__)
    try:
        phases[argv[0]][0](*argv[1:])
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        R.fail(f"s3_interop.py {argv[0]} crashed: {type(e).__name__}: {e} (traceback above)")
        R.exit()


if __name__ == "__main__":
    main(sys.argv[1:])
