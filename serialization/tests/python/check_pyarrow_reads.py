#!/usr/bin/env python
"""Checks that pyarrow, pandas and Python plateau read the Parquet files plateau for Rust
writes with the right types and values.

Usage::

    cargo run -p plateau-serialization --example write_type_samples -- <dir>
    /work/pyvenv/bin/python serialization/tests/python/check_pyarrow_reads.py <dir>

``<dir>/expected.json`` (written by the example) lists, per file, every column with its
pyarrow type name, a value ``kind`` and the expected values (see the example's docs for the
encoding), and predicates Python plateau must evaluate to a given number of rows (with and
without row-group pushdown, unless ``pushdown`` lists only one). Three readers are checked:

1. ``pyarrow.parquet.read_table``: exact types and values;
2. ``Table.to_pandas()``: values as pandas sees them;
3. ``plateau.serialization.ParquetSerializer().restore_dataframe`` on an ``hfs://`` store,
   with and without predicates.

Prints one line per failed check and exits 1 if any failed, 0 otherwise.
"""

from __future__ import annotations

import datetime
import decimal
import json
import math
import sys
from pathlib import Path

import minimalkv
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from plateau.serialization import ParquetSerializer

FAILURES: list[str] = []


def fail(message: str) -> None:
    FAILURES.append(message)
    print(f"FAIL {message}")


def is_missing(value) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        return bool(pd.isna(value)) if np.ndim(value) == 0 else False
    except (TypeError, ValueError):
        return False


def expected_float(value):
    if isinstance(value, str):
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[value]
    return float(value)


def same_float(actual, expected) -> bool:
    actual = float(actual)
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected


def timestamp_nanos(value) -> int:
    """Nanoseconds since the epoch (UTC) of a pandas/numpy/datetime timestamp."""
    if isinstance(value, pd.Timestamp):
        return value.as_unit("ns").value
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[ns]").astype(np.int64))
    if isinstance(value, datetime.datetime):
        return pd.Timestamp(value).as_unit("ns").value
    raise TypeError(f"not a timestamp: {value!r}")


def matches(kind: str, actual, expected, *, null_is_nan: bool) -> bool:
    """Whether a value read by Python equals the expected JSON value."""
    if expected is None:
        # A float NaN is pandas' null for numeric columns.
        return is_missing(actual)
    if kind == "float":
        return not (actual is None) and same_float(actual, expected_float(expected))
    if is_missing(actual):
        # NaN stands for null only where null is; a missing value never matches a value.
        return False
    if kind == "int":
        if isinstance(actual, float):
            # pandas turns integer columns with nulls into float64.
            return null_is_nan and actual == float(expected)
        return int(actual) == expected
    if kind == "bool":
        return bool(actual) is expected
    if kind in ("string", "dictionary"):
        return actual == expected
    if kind == "binary":
        return bytes(actual).hex() == expected
    if kind == "date":
        if isinstance(actual, (pd.Timestamp, np.datetime64, datetime.datetime)):
            actual = pd.Timestamp(actual).date()
        return actual.isoformat() == expected
    if kind == "timestamp":
        return timestamp_nanos(actual) == expected
    if kind == "decimal":
        return isinstance(actual, decimal.Decimal) and str(actual) == expected
    if kind == "list_int":
        items = list(actual)
        if len(items) != len(expected):
            return False
        return all(
            (is_missing(a) if e is None else (not is_missing(a) and int(a) == e))
            for a, e in zip(items, expected)
        )
    if kind == "null":
        return is_missing(actual)
    raise ValueError(f"unknown kind {kind}")


def check_pyarrow(path: Path, spec: dict) -> None:
    table = pq.read_table(path)
    if table.num_rows != spec["rows"]:
        fail(f"{path.name}: pyarrow read {table.num_rows} rows, expected {spec['rows']}")
    for column in spec["columns"]:
        name, kind = column["name"], column["kind"]
        if name not in table.column_names:
            fail(f"{path.name}: pyarrow misses column {name}")
            continue
        array = table.column(name)
        if str(array.type) != column["type"]:
            fail(f"{path.name}:{name}: pyarrow type {array.type}, expected {column['type']}")
        if kind == "timestamp":
            if not pa.types.is_timestamp(array.type):
                continue  # the type mismatch is reported above
            # The raw values in the column's unit, scaled to nanoseconds: exact for every unit.
            unit = array.type.unit
            factor = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}[unit]
            raw = pc.cast(array, pa.int64()).to_pylist()
            values = [None if v is None else v * factor for v in raw]
            if values != column["values"]:
                fail(f"{path.name}:{name}: pyarrow values {values}, expected {column['values']}")
            continue
        for i, (actual, expected) in enumerate(zip(array.to_pylist(), column["values"])):
            if not matches(kind, actual, expected, null_is_nan=False):
                fail(f"{path.name}:{name}[{i}]: pyarrow read {actual!r}, expected {expected!r}")


def python_value(value):
    """A predicate value from JSON: ``{"timestamp": ..}`` and ``{"date": ..}`` are tagged."""
    if isinstance(value, list):
        return [python_value(v) for v in value]
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        if tag == "timestamp":
            return pd.Timestamp(text)
        if tag == "date":
            return datetime.date.fromisoformat(text)
        raise ValueError(f"unknown tag {tag}")
    return value


def check_pandas(path: Path, frame: pd.DataFrame, spec: dict, reader: str) -> None:
    if len(frame) != spec["rows"]:
        fail(f"{path.name}: {reader} read {len(frame)} rows, expected {spec['rows']}")
        return
    for column in spec["columns"]:
        name, kind = column["name"], column["kind"]
        if name not in frame.columns:
            fail(f"{path.name}: {reader} misses column {name}")
            continue
        for i, expected in enumerate(column["values"]):
            actual = frame[name].iloc[i]
            if not matches(kind, actual, expected, null_is_nan=True):
                fail(
                    f"{path.name}:{name}[{i}]: {reader} read {actual!r} "
                    f"(dtype {frame[name].dtype}), expected {expected!r}"
                )


def check_plateau(directory: Path, key: str, spec: dict) -> None:
    store = minimalkv.get_store_from_url(f"hfs://{directory.resolve()}")
    serializer = ParquetSerializer()
    frame = serializer.restore_dataframe(store, key)
    check_pandas(directory / key, frame, spec, "plateau")
    for case in spec.get("plateau_predicates", []):
        predicates = [
            [(column, op, python_value(value)) for column, op, value in conj]
            for conj in case["predicates"]
        ]
        for pushdown in case.get("pushdown", (True, False)):
            try:
                result = serializer.restore_dataframe(
                    store, key, predicates=predicates, predicate_pushdown_to_io=pushdown
                )
            except Exception as exc:  # report every failure, not only the first
                fail(f"{key}: plateau predicates {predicates} (pushdown {pushdown}) raised {exc!r}")
                continue
            if len(result) != case["rows"]:
                fail(
                    f"{key}: plateau predicates {predicates} (pushdown {pushdown}) gave "
                    f"{len(result)} rows, expected {case['rows']}"
                )


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    directory = Path(sys.argv[1])
    spec = json.loads((directory / "expected.json").read_text())
    for key, file_spec in spec["files"].items():
        path = directory / key
        checks = [
            ("pyarrow", lambda: check_pyarrow(path, file_spec)),
            ("pandas", lambda: check_pandas(path, pq.read_table(path).to_pandas(), file_spec, "pandas")),
            ("plateau", lambda: check_plateau(directory, key, file_spec)),
        ]
        for reader, check in checks:
            try:
                check()
            except Exception as exc:  # a crash of one reader must not hide the others
                fail(f"{key}: {reader} check raised {exc!r}")
        print(f"checked {key}")
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
