#!/usr/bin/env python
"""Python plateau's half of the Rust <-> Python interop check (.ci/interop/roundtrip.sh).

Usage:
  $PYTHON tools/interop/python_side.py list
  $PYTHON tools/interop/python_side.py queries
  $PYTHON tools/interop/python_side.py run STORE_DIR RUST_DUMPS_DIR PY_DUMPS_DIR [--only a,b]

`list` prints the uuids of the datasets the Rust side (`io-eager/examples/interop.rs write`)
writes, one per line; `queries` prints `<uuid> TAB <name> TAB <predicates JSON>` for the
predicate reads both sides compare (RUST_DUMPS_DIR/<uuid>__<name>.jsonl). `run` takes every
dataset through these steps, printing one `[PASS|FAIL] <uuid> <step>: ...` line per step and
exiting 1 if any step failed:

  load      DatasetMetadata.load_from_store(load_all_indices=True, load_schema=True) works;
            partition keys, secondary index columns, header format and user metadata are the
            ones the Rust side was asked to write
  files     every referenced data file exists with a readable footer, _common_metadata exists,
            each file's schema equals _common_metadata after plateau's own type normalisation
  labels    labels are `<uuid>/<table>/<label>.parquet` with the partition keys in order
  indices   every secondary index (as plateau loads it) equals the index recomputed from the
            data read by plateau: same values, same partitions, nothing missing or extra
  gc-dry    plateau's GC dry run never picks a referenced file, and finds exactly the garbage
            the spec expects (none, or orphans for a dataset Rust updated without gc)
  read      read_table as a canonical dump (pyref-dump/1) == the Rust dump, byte for byte
  queries   the same for each predicate read of the spec (partition pruning, index lookups)
  update    update_dataset_from_dataframes(append rows, delete_scope) succeeds, keeps the
            partition keys and indices, removes at least one partition and adds the new rows
  indices+  the indices after Python's update still equal the data (Rust-written index
            entries merged with Python's)
  gc        garbage_collect_dataset succeeds and leaves no garbage behind
  dump      Python's canonical dumps of the result (plain and per query), written to
            PY_DUMPS_DIR/<uuid>[__<query>].jsonl for the Rust side to compare with its reads

Known plateau 4.6.2 bugs are avoided explicitly (see EXCLUSIONS below, and the comments at
each dataset's spec); this check is about *our* format, not about re-proving Python's bugs.
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import difflib
import os
import sys
import traceback

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fixtures", "pyref"))
import pyref_common as C  # noqa: E402

from plateau.core.common_metadata import normalize_type  # noqa: E402
from plateau.core.dataset import DatasetMetadata  # noqa: E402
from plateau.core.index import ExplicitSecondaryIndex  # noqa: E402
from plateau.core.naming import PARQUET_FILE_SUFFIX  # noqa: E402
from plateau.core.urlencode import decode_key  # noqa: E402
from plateau.io.eager import (  # noqa: E402
    garbage_collect_dataset,
    read_dataset_as_metapartitions,
    read_table,
    update_dataset_from_dataframes,
)
from plateau.io_components.gc import dispatch_files_to_gc  # noqa: E402

# Exclusions: what the Rust side does NOT write, or what this script reads around, because
# Python plateau 4.6.2 (with pandas 3.1 / pyarrow 26) cannot handle it. Printed by `run`.
EXCLUSIONS = [
    "bool partition columns: plateau rebuilds them with np.bool_('False') == True (pyref README "
    "§8 quirk 2), so ia_part_bool is read per value with `flag == True` / `flag == False` "
    "predicates (pruning is correct) and the column is set to the predicate's value; every "
    "other column and the row set are compared as usual",
    "tz-aware partition columns: read_table raises 'Unexpected object encountered: "
    "DatetimeTZDtype' (quirk 3); the Rust side writes tz-aware timestamps only as data "
    "columns (ia_types.tstz), never in partition_on",
    "'/' in partition values written by Python: plateau writes it unescaped, which adds a "
    "directory level and truncates the value (quirk 1); Rust writes '%2F' (which Python "
    "decodes correctly, ia_part_str) but Python's appended rows contain no '/'",
    "timestamps outside 1677-09-21..2262-04-11: plateau coerces to ns and raises (quirk 4); "
    "all timestamps written are inside that range",
    "int columns with nulls come back from pandas as float64, so values beyond 2^53 would "
    "lose precision in Python's view: the int extremes (int64/uint64 min/max) sit in columns "
    "without nulls, nullable int columns hold small values",
    "tz-aware data appended by Python is datetime64[us, tz]: with ns data plateau's schema "
    "check fails against its own timestamp[us, tz] _common_metadata (quirk 12)",
    "decimal data appended by Python: pyarrow infers decimal128(precision, scale) from the "
    "Decimal objects, so the appended values have exactly the dataset's precision 10 / scale 2",
    "predicates on int columns with nulls: pandas reads such a file's column as float64 and "
    "plateau's predicate type check raises for an int value (quirk 8); the ia_indices queries "
    "on `i` are chosen so that only partitions without null `i` are read",
    "msgpack header: Python's update writes a JSON header next to the msgpack one (quirk 5); "
    "the msgpack-only state is checked before Python's update, afterwards both readers must "
    "take the JSON header",
]

D = datetime.date
TS = pd.Timestamp


# --------------------------------------------------------------------------------------------
# the datasets: what Rust wrote (for the load checks) and what Python does to them
# --------------------------------------------------------------------------------------------


def _frame(cols: dict) -> pd.DataFrame:
    return pd.DataFrame(cols)


def _dates(values):
    return pd.Series(values, dtype=object)


def _ts(values, tz=None):
    s = pd.Series(pd.to_datetime(values, format="ISO8601")).astype("datetime64[us]")
    if tz is not None:
        s = s.dt.tz_localize("UTC").dt.tz_convert(tz)
    return s


def append_types():
    n = 2
    return _frame(
        {
            "grp": np.array([2, 2], dtype="int64"),
            "id": np.array([100, 101], dtype="int64"),
            "i8": np.array([-7, 7], dtype="int8"),
            "i16": np.array([-300, 300], dtype="int16"),
            "i32": np.array([-70000, 70000], dtype="int32"),
            "i64": np.array([-(2**40), 2**40], dtype="int64"),
            "i64n": pd.array([None, 5], dtype="Int64"),
            "u8": np.array([1, 200], dtype="uint8"),
            "u16": np.array([2, 60000], dtype="uint16"),
            "u32": np.array([3, 4000000000], dtype="uint32"),
            "u64": np.array([4, 2**64 - 2], dtype="uint64"),
            "f32": np.array([0.25, -1.5], dtype="float32"),
            "f64": np.array([1e-300, np.nan], dtype="float64"),
            "b": pd.Series([True, None], dtype=object),
            "s": pd.Series(["appended by python", None], dtype="str"),
            "bin": pd.Series([b"\x01\x02", None], dtype=object),
            "d": _dates([D(2030, 6, 15), None]),
            "ts": _ts(["2030-06-15 01:02:03.000004", None]),
            "tstz": _ts(["2030-06-15 01:02:03.000004", None], tz="Europe/Berlin"),
            "dec": pd.Series([decimal.Decimal("12345678.90"), decimal.Decimal("-0.01")], dtype=object),
            "lst": pd.Series([[7, 8], []], dtype=object),
            "nul": pd.Series([None] * n, dtype=object),
        }
    )


def append_part_str():
    return _frame(
        {
            "key": pd.Series(["a b", "python = 100% ü"], dtype="str"),
            "v": np.array([1000, 1001], dtype="int64"),
        }
    )


def append_part_typed():
    return _frame(
        {
            "level 1": np.array([7, -1], dtype="int64"),
            "f": np.array([2.5, 1.5], dtype="float64"),
            "d": _dates([D(2021, 1, 1), D(2020, 2, 29)]),
            "t": _ts(["2021-01-01 06:00:00", "2021-01-01 06:00:00.5"]),
            "v": np.array([1000, 1001], dtype="int64"),
        }
    )


def append_part_numeric():
    return _frame(
        {
            "i8": np.array([5, -128], dtype="int8"),
            "u": np.array([1, 1], dtype="uint64"),
            "v": np.array([1000.5, -1000.5], dtype="float64"),
        }
    )


def append_part_bool():
    return _frame({"flag": np.array([False, False]), "v": np.array([1000, 1001], dtype="int64")})


def append_indices():
    return _frame(
        {
            "p": pd.Series(["b", "d"], dtype="str"),
            "i": pd.array([None, 3], dtype="Int64"),
            "s": pd.Series(["python", "y"], dtype="str"),
            "d": _dates([D(2024, 2, 29), None]),
            # ns, not us: plateau loads a timestamp index as ns and refuses to merge the us
            # index of an appended us column into it ("Expected timestamp[ns] but got
            # timestamp[us]"), a Python-side limitation independent of who wrote the dataset
            "t": _ts(["2020-01-01 00:00:00.000001", "2030-01-01"]).astype("datetime64[ns]"),
            "v": np.array([1000, 1001], dtype="int64"),
        }
    )


def append_keyed(k_values, p="z"):
    n = len(k_values)
    return _frame(
        {
            "p": pd.Series([p] * n, dtype="str"),
            "k": np.array(k_values, dtype="int64"),
            "v": np.array([1000 + i for i in range(n)], dtype="int64"),
        }
    )


# Per dataset: partition_on and secondary indices Rust was asked to write, the header format,
# user metadata keys that must be there, the garbage expected before Python touches it, and
# Python's update (rows to append, delete scope).
SPEC = {
    # every column type, two input frames (= two partitions), user metadata, an index on `grp`
    # so that a delete scope is meaningful (a scope on an unindexed column is an error in Rust,
    # and in Python silently deletes every partition)
    "ia_types": dict(
        partition_on=[],
        secondary=["grp"],
        header="json",
        user_metadata={"origin": "plateau-rs interop", "nested": {"a": [1, 2], "b": None}},
        garbage="none",
        append=append_types,
        delete_scope=[{"grp": 0}],
        queries={
            "grp_eq": '[[["grp", "==", 1]]]',
            "mixed": '[[["i64", "<", 0]], [["s", "in", ["a", "tab\\t"]]], [["d", "==", {"date": "2000-01-01"}]]]',
        },
    ),
    # string partition values that need quoting; the delete scope hits the value with a '/'
    # (written by Rust as %2F), so it also checks Python's decoding of Rust's labels
    "ia_part_str": dict(
        partition_on=["key"],
        secondary=[],
        header="json",
        garbage="none",
        append=append_part_str,
        delete_scope=[{"key": "a/b"}],
        queries={
            "slash": '[[["key", "==", "a/b"]]]',
            "in": '[[["key", "in", ["a b", "100%", "", "%2F", "ünï 日本"]]]]',
        },
    ),
    # typed partition values: int (negative, int64 min/max) in a column whose name has a
    # space, float (-0.0, 1e20, 0.1), date, naive timestamp
    "ia_part_typed": dict(
        partition_on=["level 1", "f", "d", "t"],
        secondary=[],
        header="json",
        garbage="none",
        append=append_part_typed,
        delete_scope=[{"d": D(1999, 12, 31)}],
        queries={
            "date": '[[["d", "==", {"date": "2020-02-29"}]]]',
            "int_float": '[[["level 1", "<", 0], ["f", ">", 1.0]]]',
            "ts": '[[["t", "==", {"timestamp": "2020-01-01T12:34:56.789"}]]]',
        },
    ),
    # int8 and uint64 (>= 2^63) partition values
    "ia_part_numeric": dict(
        partition_on=["i8", "u"],
        secondary=[],
        header="json",
        garbage="none",
        append=append_part_numeric,
        delete_scope=[{"u": 2**64 - 1}],
        queries={
            "u64_max": '[[["u", "==", 18446744073709551615]]]',
            "i8_neg": '[[["i8", "<", 0]]]',
        },
    ),
    # bool partition values (Python's read of the column is buggy, see EXCLUSIONS)
    "ia_part_bool": dict(
        partition_on=["flag"],
        secondary=[],
        header="json",
        garbage="none",
        bool_partition_columns=["flag"],
        append=append_part_bool,
        delete_scope=[{"flag": True}],
    ),
    # secondary indices on int, string, date and timestamp columns, with nulls and values
    # spread over several partitions; two delete scopes (string index, date index)
    "ia_indices": dict(
        partition_on=["p"],
        secondary=["d", "i", "s", "t"],
        header="json",
        garbage="none",
        append=append_indices,
        delete_scope=[{"s": "shared"}, {"d": D(2020, 1, 2)}],
        # Not queried, plateau quirks: `== None` (no row found through an index), dates as
        # strings (match nothing on an indexed date column), and an int predicate that reaches
        # a partition where `i` has nulls (pandas reads it as float64 and plateau raises
        # "Column 'i' has pandas type 'float64', but predicate value ... 'int64'"): the `i`
        # queries are chosen so that the index leads only to files without null `i`.
        queries={
            "s_eq": '[[["s", "==", "shared"]]]',
            "i_eq": '[[["i", "==", 3]]]',
            "d_eq": '[[["d", "==", {"date": "2020-01-03"}]]]',
            "t_eq": '[[["t", "==", {"timestamp": "2020-01-01T00:00:00"}]]]',
            "t_gt": '[[["t", ">", {"timestamp": "2020-01-01T00:00:00"}]]]',
            "p_and_i": '[[["p", "==", "a"], ["i", ">=", 2]], [["s", "==", "z ü"]]]',
        },
    ),
    # msgpack header (Rust keeps msgpack; Python's update then adds a JSON header, quirk 5)
    "ia_msgpack": dict(
        partition_on=["p"],
        secondary=["k"],
        header="msgpack",
        garbage="none",
        append=lambda: append_keyed([3, 40]),
        delete_scope=[{"k": 3}],
        queries={"k_eq": '[[["k", "==", 3]]]', "k_in": '[[["k", "in", [1, 40]]]]'},
    ),
    # Rust: store, update (append + delete scope on the partition key), delete-only update
    # (scope on an index value); no gc, so the replaced files are still on disk
    "ia_updated": dict(
        partition_on=["p"],
        secondary=["k"],
        header="json",
        garbage="orphans",
        append=lambda: append_keyed([21, 50]),
        delete_scope=[{"k": 20}],
        queries={"k_eq": '[[["k", "==", 20]]]', "p_eq": '[[["p", "==", "z"]]]', "k_gt": '[[["k", ">", 11]]]'},
    ),
    # the same followed by Rust's garbage_collect_dataset; its uuid has `ia_updated` as a
    # prefix, which a careless key listing would mix up
    "ia_updated_gc": dict(
        partition_on=["p"],
        secondary=["k"],
        header="json",
        garbage="none",
        append=lambda: append_keyed([21, 50]),
        delete_scope=[{"k": 20}],
        queries={"k_eq": '[[["k", "==", 20]]]', "p_eq": '[[["p", "==", "z"]]]', "k_gt": '[[["k", ">", 11]]]'},
    ),
}


# --------------------------------------------------------------------------------------------
# reporting
# --------------------------------------------------------------------------------------------


class StepFailed(Exception):
    pass


class Report:
    def __init__(self):
        self.fails = 0
        self.lines = []

    def line(self, ok, uuid, step, msg):
        status = "PASS" if ok else "FAIL"
        if not ok:
            self.fails += 1
        text = f"[{status}] {uuid} {step}: {msg}"
        self.lines.append(text)
        print(text, flush=True)

    def ok(self, uuid, step, msg):
        self.line(True, uuid, step, msg)

    def fail(self, uuid, step, msg):
        self.line(False, uuid, step, msg)
        raise StepFailed(step)


def _short(items, n=6):
    items = list(items)
    s = ", ".join(map(str, items[:n]))
    return s + (f", ... (+{len(items) - n})" if len(items) > n else "")


def _diff(expected: str, actual: str, a: str, b: str, max_lines=40) -> str:
    lines = list(difflib.unified_diff(expected.splitlines(), actual.splitlines(), a, b, lineterm="", n=0))
    more = f"\n    ... ({len(lines) - max_lines} more)" if len(lines) > max_lines else ""
    return "\n" + "\n".join("    " + x for x in lines[:max_lines]) + more


# --------------------------------------------------------------------------------------------
# reading (canonical dump, pyref-dump/1)
# --------------------------------------------------------------------------------------------


def _table_name(dm) -> str:
    return "table" if dm.table_name == "<Unknown Table>" else dm.table_name


def read_canonical_text(store, uuid, spec, predicates=None) -> tuple[str, int]:
    """plateau's read_table of the dataset (with `predicates`, pyref's JSON form) as the
    canonical dump text, and its row count."""
    dm = DatasetMetadata.load_from_store(uuid, store, load_schema=True)
    disk_schema = C.read_common_metadata_schema(store, uuid, _table_name(dm))
    bool_cols = spec.get("bool_partition_columns", [])
    if predicates is not None:
        assert not bool_cols, "queries on datasets with bool partition columns are excluded"
        df = read_table(dataset_uuid=uuid, store=store, predicates=C.parse_predicates(predicates))
    elif bool_cols:
        # plateau returns True for every value of a bool partition column (quirk 2), but
        # prunes correctly: read each value separately and restore the column from the
        # predicate. Only one such column is supported (all the spec needs).
        (col,) = bool_cols
        parts = []
        for value in (False, True):
            df = read_table(dataset_uuid=uuid, store=store, predicates=[[(col, "==", value)]])
            df[col] = np.full(len(df), value, dtype=bool)
            parts.append(df)
        df = pd.concat(parts, ignore_index=True)
    else:
        df = read_table(dataset_uuid=uuid, store=store)
    fields = []
    for name in df.columns:
        name = str(name)
        i = disk_schema.get_field_index(name)
        if i < 0:
            raise ValueError(f"read_table returned column {name!r} that is not in _common_metadata")
        fields.append((name, disk_schema.field(i).type))
    rows, _ = C.canonical_rows(df, fields)
    header = {
        "format": C.DUMP_FORMAT,
        "dataset_uuid": uuid,
        "columns": [{"name": n, "type": C.type_str(t)} for n, t in fields],
        "num_rows": len(rows),
    }
    return "\n".join([C.dumps_canonical(header), *rows]) + "\n", len(rows)


# --------------------------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------------------------


def check_load(rep, store, uuid, spec):
    json_key = f"{uuid}.by-dataset-metadata.json"
    mp_key = f"{uuid}.by-dataset-metadata.msgpack.zstd"
    present = [k for k in (json_key, mp_key) if k in store]
    want = [json_key] if spec["header"] == "json" else [mp_key]
    if present != want:
        rep.fail(uuid, "load", f"header files {present}, expected {want}")
    try:
        dm = DatasetMetadata.load_from_store(uuid, store, load_schema=True, load_all_indices=True)
    except Exception as e:  # noqa: BLE001
        rep.fail(uuid, "load", f"plateau cannot load the metadata: {type(e).__name__}: {e}")
    if list(dm.partition_keys or []) != spec["partition_on"]:
        rep.fail(uuid, "load", f"partition_keys {dm.partition_keys} != {spec['partition_on']}")
    sec = sorted(c for c, i in dm.indices.items() if isinstance(i, ExplicitSecondaryIndex))
    if sec != sorted(spec["secondary"]):
        rep.fail(uuid, "load", f"secondary indices {sec} != {sorted(spec['secondary'])}")
    if not dm.explicit_partitions:
        rep.fail(uuid, "load", "the header has no explicit partitions")
    if "creation_time" not in dm.metadata:
        rep.fail(uuid, "load", "metadata has no creation_time")
    for k, v in spec.get("user_metadata", {}).items():
        if dm.metadata.get(k) != v:
            rep.fail(uuid, "load", f"user metadata {k!r} = {dm.metadata.get(k)!r}, expected {v!r}")
    rep.ok(
        uuid,
        "load",
        f"{spec['header']} header, {len(dm.partitions)} partitions, partition_keys={dm.partition_keys}, "
        f"secondary indices={sec}",
    )
    return dm


def _same_storage_class(a: pa.DataType, b: pa.DataType) -> bool:
    """string vs large_string and binary vs large_binary (also inside lists): data files may
    keep the narrower offsets of the input, as they keep int8 for an int64 column; plateau
    casts on read and only checks *new* frames against _common_metadata, so a file with
    `string` under a `large_string` schema reads and updates the same."""
    strings = (pa.types.is_string, pa.types.is_large_string)
    binaries = (pa.types.is_binary, pa.types.is_large_binary)
    for family in (strings, binaries):
        if any(f(a) for f in family) and any(f(b) for f in family):
            return True
    if pa.types.is_list(a) and pa.types.is_list(b):
        return a.value_type == b.value_type or _same_storage_class(a.value_type, b.value_type)
    return False


def check_files(rep, store, dm, uuid):
    table = _table_name(dm)
    cm_key = f"{uuid}/{table}/_common_metadata"
    if cm_key not in store:
        rep.fail(uuid, "files", f"missing {cm_key}")
    disk_schema = C.read_common_metadata_schema(store, uuid, table)
    missing, mismatches, tolerated = [], [], set()
    for part in dm.partitions.values():
        for key in part.files.values():
            if key not in store:
                missing.append(key)
                continue
            try:
                fschema = pq.ParquetFile(pa.BufferReader(store.get(key))).schema_arrow
            except Exception as e:  # noqa: BLE001
                missing.append(f"{key} (unreadable footer: {e})")
                continue
            pandas_cols = {c.get("field_name"): c for c in (fschema.pandas_metadata or {}).get("columns", [])}
            for f in fschema:
                if f.name.startswith("__index_level_"):
                    continue
                i = disk_schema.get_field_index(f.name)
                if i < 0:
                    mismatches.append(f"{key}: column {f.name!r} not in _common_metadata")
                    continue
                if pa.types.is_null(f.type):
                    continue
                cmd = pandas_cols.get(f.name, {})
                t_pd = cmd.get("pandas_type")
                if t_pd is None and pa.types.is_list(f.type):
                    # files without pandas metadata: plateau's normalize_type only needs the
                    # pandas type to recurse into lists (it strips "list[...]" off it)
                    t_pd = "list[]"
                nt = normalize_type(f.type, t_pd, cmd.get("numpy_type"), cmd.get("metadata"))[0]
                ct = disk_schema.field(i).type
                if nt != ct:
                    if _same_storage_class(nt, ct):
                        tolerated.add(f"{f.name}: {f.type} in files, {ct} in _common_metadata")
                    else:
                        mismatches.append(f"{key}: {f.name}: file {f.type} (normalised {nt}) vs _common_metadata {ct}")
            for pk in dm.partition_keys or []:
                if fschema.get_field_index(pk) >= 0:
                    mismatches.append(f"{key}: partition column {pk!r} stored in the data file")
    if missing:
        rep.fail(uuid, "files", f"{len(missing)} referenced file(s) missing/unreadable: {_short(missing, 4)}")
    if mismatches:
        rep.fail(uuid, "files", f"{len(mismatches)} schema difference(s): {_short(mismatches, 4)}")
    note = f" (tolerated: {_short(sorted(tolerated), 4)})" if tolerated else ""
    rep.ok(uuid, "files", f"{len(dm.partitions)} data files readable, schemas agree with _common_metadata{note}")
    return disk_schema


def check_labels(rep, dm, uuid):
    problems = []
    for label, part in dm.partitions.items():
        for tbl, key in part.files.items():
            expected = f"{uuid}/{tbl}/{label}{PARQUET_FILE_SUFFIX}"
            if key != expected:
                problems.append(f"{label}: file {key} != {expected}")
            cols = [c for c, _ in decode_key(key)[2]]
            if cols != list(dm.partition_keys or []):
                problems.append(f"{label}: path keys {cols} != partition_keys {dm.partition_keys}")
    if problems:
        rep.fail(uuid, "labels", f"{len(problems)} irregular label(s): {_short(problems, 4)}")
    rep.ok(uuid, "labels", f"all labels are <uuid>/{_table_name(dm)}/<label>.parquet with keys {dm.partition_keys}")


def check_indices(rep, store, uuid, step):
    dm = DatasetMetadata.load_from_store(uuid, store, load_schema=True, load_all_indices=True)
    disk_schema = C.read_common_metadata_schema(store, uuid, _table_name(dm))
    sec = {c: i for c, i in dm.indices.items() if isinstance(i, ExplicitSecondaryIndex)}
    if not sec:
        rep.ok(uuid, step, "no secondary indices")
        return
    labels = set(dm.partitions)
    mps = read_dataset_as_metapartitions(dataset_uuid=uuid, store=lambda: store, columns=sorted(sec))
    summary = []
    for col, idx in sorted(sec.items()):
        key = idx.index_storage_key
        if not key or key not in store or not key.startswith(f"{uuid}/indices/"):
            rep.fail(uuid, step, f"{col}: index file {key!r} missing or outside {uuid}/indices/")
        t = disk_schema.field(disk_schema.get_field_index(col)).type
        stored = {}
        for v, labs in idx.index_dct.items():
            stored.setdefault(C.dumps_canonical(C.encode_cell(v, t)), set()).update(labs)
        dangling = {lab for labs in stored.values() for lab in labs} - labels
        if dangling:
            rep.fail(uuid, step, f"{col}: references unknown partitions {_short(sorted(dangling), 3)}")
        actual = {}
        for mp in mps:
            for v in mp.data[col].dropna().unique():
                actual.setdefault(C.dumps_canonical(C.encode_cell(v, t)), set()).add(mp.label)
        if stored != actual:
            missing = [f"{v} -> {sorted(actual[v] - stored.get(v, set()))[:2]}" for v in actual if actual[v] - stored.get(v, set())]
            extra = [f"{v} -> {sorted(stored[v] - actual.get(v, set()))[:2]}" for v in stored if stored[v] - actual.get(v, set())]
            rep.fail(uuid, step, f"{col}: index != data; missing from the index: {_short(missing, 3)}; "
                                 f"in the index but not in the data: {_short(extra, 3)}")
        summary.append(f"{col} ({len(stored)} values)")
    rep.ok(uuid, step, "equal to the data: " + ", ".join(summary))


def gc_candidates(store, uuid):
    return sorted(next(dispatch_files_to_gc(dataset_uuid=uuid, store_factory=lambda: store, chunk_size=None, factory=None)))


def check_gc_dry(rep, store, dm, uuid, spec):
    files = gc_candidates(store, uuid)
    referenced = {k for p in dm.partitions.values() for k in p.files.values()}
    referenced |= {i.index_storage_key for i in dm.indices.values() if isinstance(i, ExplicitSecondaryIndex)}
    referenced.add(f"{uuid}/{_table_name(dm)}/_common_metadata")
    bad = sorted(set(files) & referenced)
    if bad:
        rep.fail(uuid, "gc-dry", f"plateau's GC would delete referenced files: {_short(bad, 4)}")
    if spec["garbage"] == "none" and files:
        rep.fail(uuid, "gc-dry", f"unexpected garbage: {_short(files, 4)}")
    if spec["garbage"] == "orphans" and not files:
        rep.fail(uuid, "gc-dry", "expected the files Rust's update replaced to be garbage, found none")
    rep.ok(uuid, "gc-dry", f"{len(files)} unreferenced file(s) (expected: {spec['garbage']}), no referenced file picked")


def check_read(rep, store, uuid, spec, rust_dumps):
    path = os.path.join(rust_dumps, f"{uuid}.jsonl")
    if not os.path.exists(path):
        rep.fail(uuid, "read", f"no Rust dump at {path}")
    with open(path, encoding="utf-8") as fh:
        expected = fh.read()
    try:
        text, n = read_canonical_text(store, uuid, spec)
    except Exception as e:  # noqa: BLE001
        rep.fail(uuid, "read", f"plateau read_table failed: {type(e).__name__}: {e}")
    if text != expected:
        rep.fail(uuid, "read", "Python's read differs from Rust's dump:" + _diff(expected, text, "rust", "python"))
    suffix = " (bool partition column read per value, see exclusions)" if spec.get("bool_partition_columns") else ""
    rep.ok(uuid, "read", f"{n} rows, identical to Rust's dump{suffix}")
    counts = []
    for name, predicates in spec.get("queries", {}).items():
        with open(os.path.join(rust_dumps, f"{uuid}__{name}.jsonl"), encoding="utf-8") as fh:
            expected = fh.read()
        try:
            text, rows = read_canonical_text(store, uuid, spec, predicates)
        except Exception as e:  # noqa: BLE001
            rep.fail(uuid, "queries", f"{name}: plateau read_table({predicates}) failed: {type(e).__name__}: {e}")
        if text != expected:
            rep.fail(uuid, "queries", f"{name} {predicates}: Python's read differs from Rust's:" + _diff(expected, text, "rust", "python"))
        counts.append(f"{name}={rows}")
    if counts:
        rep.ok(uuid, "queries", f"identical to Rust's predicate reads ({', '.join(counts)} rows)")
    return n


def do_update(rep, store, uuid, spec, rows_before):
    before = DatasetMetadata.load_from_store(uuid, store, load_schema=True)
    append = spec["append"]()
    try:
        after = update_dataset_from_dataframes(
            [append], store=lambda: store, dataset_uuid=uuid, delete_scope=spec["delete_scope"]
        )
    except Exception as e:  # noqa: BLE001
        rep.fail(uuid, "update", f"update_dataset_from_dataframes raised {type(e).__name__}: {e}")
    removed = set(before.partitions) - set(after.partitions)
    added = set(after.partitions) - set(before.partitions)
    if not removed:
        rep.fail(uuid, "update", f"delete_scope {spec['delete_scope']} removed no partition")
    if not added:
        rep.fail(uuid, "update", "no partition added")
    if list(after.partition_keys or []) != spec["partition_on"]:
        rep.fail(uuid, "update", f"partition_keys changed to {after.partition_keys}")
    if before.metadata.get("creation_time") != after.metadata.get("creation_time"):
        rep.fail(uuid, "update", "creation_time changed")
    _, rows_after = read_canonical_text(store, uuid, spec)
    removed_rows = sum(
        pq.ParquetFile(pa.BufferReader(store.get(k))).metadata.num_rows
        for lab in removed
        for k in before.partitions[lab].files.values()
    )
    if rows_after != rows_before - removed_rows + len(append):
        rep.fail(uuid, "update", f"{rows_after} rows after the update, expected {rows_before} - {removed_rows} + {len(append)}")
    rep.ok(uuid, "update", f"appended {len(append)} rows, delete_scope {spec['delete_scope']!r} removed "
                           f"{len(removed)} partition(s) ({removed_rows} rows), {rows_after} rows now")


def do_gc(rep, store, uuid):
    try:
        garbage_collect_dataset(dataset_uuid=uuid, store=lambda: store)
    except Exception as e:  # noqa: BLE001
        rep.fail(uuid, "gc", f"garbage_collect_dataset raised {type(e).__name__}: {e}")
    left = gc_candidates(store, uuid)
    if left:
        rep.fail(uuid, "gc", f"garbage left after gc: {_short(left, 4)}")
    rep.ok(uuid, "gc", f"garbage_collect_dataset done, {len(DatasetMetadata.storage_keys(uuid, store))} keys left, no garbage")


def do_dump(rep, store, uuid, spec, py_dumps):
    # the queries first: the plain dump's presence tells the shell script all steps passed
    for name, predicates in spec.get("queries", {}).items():
        text, _ = read_canonical_text(store, uuid, spec, predicates)
        with open(os.path.join(py_dumps, f"{uuid}__{name}.jsonl"), "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
    text, n = read_canonical_text(store, uuid, spec)
    with open(os.path.join(py_dumps, f"{uuid}.jsonl"), "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
    queries = f" and {len(spec.get('queries', {}))} predicate read(s)" if spec.get("queries") else ""
    rep.ok(uuid, "dump", f"{n} rows -> {uuid}.jsonl{queries}")


def run_dataset(rep, store, uuid, spec, rust_dumps, py_dumps):
    try:
        dm = check_load(rep, store, uuid, spec)
        check_files(rep, store, dm, uuid)
        check_labels(rep, dm, uuid)
        check_indices(rep, store, uuid, "indices")
        check_gc_dry(rep, store, dm, uuid, spec)
        rows = check_read(rep, store, uuid, spec, rust_dumps)
        do_update(rep, store, uuid, spec, rows)
        check_indices(rep, store, uuid, "indices+")
        do_gc(rep, store, uuid)
        do_dump(rep, store, uuid, spec, py_dumps)
    except StepFailed:
        pass
    except Exception as e:  # noqa: BLE001 - a crash of this script is a failure of the dataset
        rep.line(False, uuid, "error", f"{type(e).__name__}: {e}\n{traceback.format_exc()}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="print the dataset uuids")
    sub.add_parser("queries", help="print <uuid> TAB <name> TAB <predicates JSON> per query")
    r = sub.add_parser("run", help="check, update and gc every dataset")
    r.add_argument("store_dir")
    r.add_argument("rust_dumps")
    r.add_argument("py_dumps")
    r.add_argument("--only", default=None, help="comma separated uuids")
    args = ap.parse_args(argv)
    if args.cmd == "list":
        print("\n".join(SPEC))
        return 0
    if args.cmd == "queries":
        for uuid, spec in SPEC.items():
            for name, predicates in spec.get("queries", {}).items():
                print(f"{uuid}\t{name}\t{predicates}")
        return 0

    C.quiet_warnings()
    store = C.open_store(args.store_dir)
    os.makedirs(args.py_dumps, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    print("exclusions (Python plateau 4.6.2 bugs this check avoids):")
    for e in EXCLUSIONS:
        print(f"  - {e}")
    rep = Report()
    for uuid, spec in SPEC.items():
        if only is None or uuid in only:
            run_dataset(rep, store, uuid, spec, args.rust_dumps, args.py_dumps)
    print(f"python side: {rep.fails} failed step(s)")
    return 1 if rep.fails else 0


if __name__ == "__main__":
    sys.exit(main())
