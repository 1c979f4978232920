"""Interop check: Python plateau reads and updates datasets whose `_common_metadata` Rust wrote.

Usage (from the repository root):

    cargo run -p plateau-metadata --example write_common_metadata_samples -- <dir>
    <python with plateau 4.6.2> metadata/tests/python/check_common_metadata.py <dir>

`<dir>/manifest.json` lists the samples (name, partition keys, a `kind` per column); for each
sample the pandas frame equivalent to the Rust batch is built from the kinds, and:

(a) `read_schema_metadata` loads the Rust file; its fields equal those of the
    `_common_metadata` Python plateau writes for the equivalent frame (compared after
    `read_schema_metadata` on both sides), the file is footer-only with `ARROW:schema` and
    `pandas` keys, and `empty_dataframe_from_schema` gives the same dtypes on both sides;
(b) the update test: a dataset written by Python from the frame, with its `_common_metadata`
    replaced by the Rust one, is updated with new rows of the same frame shape; the outcome must
    be what the untouched Python dataset gives, the update must succeed where Python's own
    succeeds, and `read_table` must return all rows.

Samples with tz-aware timestamps not in microseconds fail (b) in Python for Python's own
metadata too (plateau keeps `timestamp[us, tz]` when reading, reference §8 item 3); for those
the check requires the same failure and reports it. For every tz-aware sample it also checks
that an update whose tz-aware columns are in µs succeeds against the Rust file.

Exits non-zero when any check fails. Prints one line per sample.
"""

from __future__ import annotations

import datetime
import decimal
import json
import shutil
import sys
import tempfile
import traceback
import warnings
from pathlib import Path

import minimalkv
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from plateau.core.common_metadata import (
    empty_dataframe_from_schema,
    read_schema_metadata,
)
from plateau.io.eager import (
    read_table,
    store_dataframes_as_dataset,
    update_dataset_from_dataframes,
)

warnings.simplefilter("ignore")

ROWS = 4


def _ts(unit: str, tz: str | None, offset: int) -> pd.Series:
    values = [pd.Timestamp("2020-01-01 12:00:00") + pd.Timedelta(days=i + offset) for i in range(ROWS)]
    series = pd.Series(values).astype(f"datetime64[{unit}]")
    if tz is not None:
        series = series.dt.tz_localize(tz)
    return series


def column(kind: str, offset: int) -> pd.Series:
    """The pandas column a Python user builds for a Rust column of `kind`."""
    ints = [i + offset for i in range(ROWS)]
    texts = [f"v{i % 2}" for i in ints]
    if kind in ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                "float32", "float64"):
        return pd.Series(ints, dtype=kind)
    if kind == "bool":
        return pd.Series([i % 2 == 0 for i in ints], dtype=bool)
    if kind in ("string", "large_string", "string_view"):
        return pd.Series(texts)  # pandas 3: the `str` dtype
    if kind == "dict_string":
        return pd.Series(pd.Categorical(texts))
    if kind in ("binary", "large_binary"):
        return pd.Series([t.encode() for t in texts], dtype=object)
    if kind == "date32":
        return pd.Series([datetime.date(2020, 1, 1 + i % 28) for i in ints], dtype=object)
    if kind == "decimal":
        return pd.Series([decimal.Decimal(f"12345678.{i % 100:02d}") for i in ints], dtype=object)
    if kind.startswith("ts_"):
        parts = kind.split("_")
        tz = {"utc": "UTC", "berlin": "Europe/Berlin"}.get(parts[2]) if len(parts) > 2 else None
        return _ts(parts[1], tz, offset)
    if kind == "list_int64":
        return pd.Series([[i, i + 1] for i in ints], dtype=object)
    if kind == "list_string":
        return pd.Series([[t, "x"] for t in texts], dtype=object)
    if kind == "null":
        return pd.Series([None] * ROWS, dtype=object)
    raise ValueError(f"unknown kind {kind}")


def frame(sample: dict, offset: int) -> pd.DataFrame:
    return pd.DataFrame({c["name"]: column(c["kind"], offset) for c in sample["columns"]})


def store_for(path: Path):
    return minimalkv.get_store_from_url(f"hfs://{path}")


def fields(schema) -> list[tuple[str, str, bool]]:
    return [(f.name, str(f.type).replace("item:", "element:"), f.nullable) for f in schema]


def update_outcome(store, uuid: str, df: pd.DataFrame, partition_on, expected_rows: int) -> str:
    """'ok' or the error of the update (or of reading back)."""
    try:
        update_dataset_from_dataframes([df], store=store, dataset_uuid=uuid, partition_on=partition_on)
    except Exception as e:  # noqa: BLE001 - the outcome is what we compare
        return f"update failed: {type(e).__name__}: {str(e).splitlines()[0]}"
    try:
        table = read_table(uuid, store)
    except Exception as e:  # noqa: BLE001
        return f"read failed: {type(e).__name__}: {str(e).splitlines()[0]}"
    if len(table) != expected_rows:
        return f"read returned {len(table)} rows, expected {expected_rows}"
    return "ok"


def check_sample(sample: dict, rust_dir: Path, work: Path) -> tuple[bool, str]:
    name = sample["name"]
    partition_on = sample["partition_keys"] or None
    df = frame(sample, 0)
    problems: list[str] = []
    notes: list[str] = []

    rust_file = rust_dir / name / "table" / "_common_metadata"
    raw = pq.read_metadata(rust_file)
    if raw.num_row_groups != 0 or raw.num_rows != 0:
        problems.append(f"not footer-only: {raw.num_row_groups} row groups")
    if set(raw.metadata or {}) != {b"ARROW:schema", b"pandas"}:
        problems.append(f"key-value metadata keys {sorted(raw.metadata or {})}")

    # (a) Python reads the Rust file; fields equal Python's own _common_metadata for the frame.
    py_root = work / "python"
    py_store = store_for(py_root)
    store_dataframes_as_dataset(store=py_store, dataset_uuid=name, dfs=[df], partition_on=partition_on)
    rust_root = work / "rust"
    shutil.copytree(py_root, rust_root)
    shutil.copyfile(rust_file, rust_root / name / "table" / "_common_metadata")
    rust_store = store_for(rust_root)

    ours = read_schema_metadata(name, rust_store)
    theirs = read_schema_metadata(name, py_store)
    if fields(ours) != fields(theirs):
        problems.append(f"fields differ:\n    rust:   {fields(ours)}\n    python: {fields(theirs)}")
    if not ours.internal().equals(theirs.internal(), check_metadata=False):
        problems.append("pyarrow Schema.equals is False")
    ours_cols = {c["name"]: (c["pandas_type"], c["numpy_type"]) for c in ours.pandas_metadata["columns"]}
    theirs_cols = {c["name"]: (c["pandas_type"], c["numpy_type"]) for c in theirs.pandas_metadata["columns"]}
    differing = {k: (ours_cols.get(k), theirs_cols.get(k)) for k in theirs_cols if ours_cols.get(k) != theirs_cols.get(k)}
    if differing:
        notes.append(f"pandas entries differ (rust, python): {differing}")
    ours_empty = empty_dataframe_from_schema(ours).dtypes.astype(str).to_dict()
    theirs_empty = empty_dataframe_from_schema(theirs).dtypes.astype(str).to_dict()
    if ours_empty != theirs_empty:
        problems.append(f"empty frame dtypes differ: rust {ours_empty} python {theirs_empty}")

    # (b) the update test, against Python's own metadata as the control.
    expected_rows = 2 * len(df)
    update = frame(sample, 10)
    tz_kinds = [c for c in sample["columns"] if c["kind"].startswith("ts_") and c["kind"].count("_") == 2]
    if tz_kinds:
        spare_root = work / "rust_us"
        shutil.copytree(rust_root, spare_root)
    control = update_outcome(py_store, name, update, partition_on, expected_rows)
    result = update_outcome(rust_store, name, update, partition_on, expected_rows)
    if result != control:
        problems.append(f"update: rust metadata gives '{result}', python metadata gives '{control}'")
    elif result == "ok":
        # A second update reads the _common_metadata Python rewrote after the first one.
        again = update_outcome(rust_store, name, frame(sample, 20), partition_on, 3 * len(df))
        if again != "ok":
            problems.append(f"second update: {again}")
    else:
        notes.append(f"update fails as with Python's own metadata: {result}")
    if tz_kinds:
        # What plateau accepts for tz-aware columns: new data in µs (pandas 3's default unit
        # for parsed timestamps) always validates against the Rust file, whatever unit the
        # Rust batch had, because the file stores µs like plateau does.
        us_update = update.copy()
        for c in tz_kinds:
            us_update[c["name"]] = us_update[c["name"]].dt.as_unit("us")
        us_result = update_outcome(store_for(spare_root), name, us_update, partition_on, expected_rows)
        if us_result != "ok":
            problems.append(f"update with µs tz data: {us_result}")
        else:
            notes.append("update with µs tz data: ok")

    status = "PASS" if not problems else "FAIL"
    detail = "; ".join(problems + notes)
    return not problems, f"{status} {name}: update={result}" + (f" | {detail}" if detail else "")


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    rust_dir = Path(sys.argv[1])
    manifest = json.loads((rust_dir / "manifest.json").read_text())
    print(f"pandas {pd.__version__}, pyarrow {pa.__version__}")
    failures = 0
    for sample in manifest:
        with tempfile.TemporaryDirectory() as tmp:
            try:
                ok, line = check_sample(sample, rust_dir, Path(tmp))
            except Exception:  # noqa: BLE001 - report and continue with the next sample
                ok, line = False, f"FAIL {sample['name']}: exception\n{traceback.format_exc()}"
        failures += not ok
        print(line)
    print(f"{len(manifest) - failures}/{len(manifest)} samples pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
