"""Checks that Python plateau loads the index files plateau for Rust wrote.

Reads `<dir>/expected.json` (written by `cargo run -p plateau-index --example
write_index_samples -- <dir>`) and, for every file listed:

* loads it with plateau itself: `ExplicitSecondaryIndex(column, index_storage_key=key).load(store)`
  with a minimalkv store on `<dir>`, and compares the index dtype and every value with its
  partition labels against the expectation;
* checks plateau can use it: `query` and `eval_operator("==", ...)` on the first value, and an
  `update` + `store` + `load` round trip in Python;
* reads it with plain pyarrow and checks the file shape: columns `<column>` and
  `partition: list<element: string>`, SNAPPY, the number of row groups.

Exits with status 1 on the first kind of mismatch it reports (all mismatches are printed).

Usage: python check_plateau_loads.py <dir>
"""

import datetime
import json
import sys
from decimal import Decimal
from pathlib import Path

import minimalkv
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from plateau.core.index import ExplicitSecondaryIndex


def canonical(value) -> str:
    """The text form `write_index_samples` uses for a value as plateau holds it."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, (np.datetime64, pd.Timestamp)):
        return str(pd.Timestamp(value).value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"unexpected value {value!r} of type {type(value)}")


def check(directory: Path) -> list[str]:
    store = minimalkv.get_store_from_url(f"hfs://{directory.resolve()}")
    expected = json.loads((directory / "expected.json").read_text())
    problems = []
    for sample in expected:
        column, key = sample["column"], sample["key"]
        where = f"{column} ({key})"

        # plateau itself.
        index = ExplicitSecondaryIndex(column, index_storage_key=key).load(store)
        if str(index.dtype) != sample["type"]:
            problems.append(f"{where}: plateau dtype {index.dtype}, expected {sample['type']}")
        got = {canonical(v): sorted(labels) for v, labels in index.index_dct.items()}
        want = {value: sorted(labels) for value, labels in sample["entries"]}
        if got != want:
            missing = sorted(set(want) - set(got))[:5]
            extra = sorted(set(got) - set(want))[:5]
            wrong = [v for v in want if v in got and got[v] != want[v]][:5]
            problems.append(
                f"{where}: contents differ (missing {missing}, extra {extra}, labels differ {wrong})"
            )
        # plateau cannot normalize decimal values (`normalize_value` raises
        # NotImplementedError), so it cannot query or update decimal indices at all.
        usable = sample["entries"] and not pa.types.is_decimal(index.dtype)
        if usable:
            first = next(iter(index.index_dct))
            labels = set(index.index_dct[first])
            if set(index.query(first)) != labels:
                problems.append(f"{where}: query({first!r}) gave {index.query(first)}")
            # plateau's eval_operator cannot handle tz-aware dtypes at all (np.fromiter fails
            # on `datetime64[ns, tz]`, also for files plateau wrote itself) and compares
            # dates as objects: only check the other types.
            tz_aware = pa.types.is_timestamp(index.dtype) and index.dtype.tz is not None
            if not (tz_aware or pa.types.is_date(index.dtype)):
                evaluated = index.eval_operator("==", first)
                if evaluated != labels:
                    problems.append(f"{where}: eval_operator('==', {first!r}) gave {evaluated}")
        # plateau can update and re-store what we wrote. Not for binary: plateau's own writer
        # goes through a numpy `S` array, which mangles bytes containing NUL (b"\x00\xff\x80"
        # is stored as b""), whoever wrote the file it loaded.
        if usable and not pa.types.is_binary(index.dtype):
            other = ExplicitSecondaryIndex(column, {first: ["added"]}, dtype=index.dtype)
            updated = index.update(other)
            new_key = updated.store(store, "samples-python")
            reloaded = ExplicitSecondaryIndex(column, index_storage_key=new_key).load(store)
            if set(reloaded.query(first)) != labels | {"added"}:
                problems.append(f"{where}: update + store + load in plateau lost a label")
            if len(reloaded.index_dct) != len(index.index_dct):
                problems.append(f"{where}: update + store + load in plateau lost values")

        # Plain pyarrow: the file shape.
        path = directory / key
        parquet = pq.ParquetFile(path)
        schema = parquet.schema_arrow
        if schema.names != [column, "partition"]:
            problems.append(f"{where}: columns {schema.names}")
        if schema.field("partition").type != pa.list_(pa.field("element", pa.string())):
            problems.append(f"{where}: partition type {schema.field('partition').type}")
        if parquet.metadata.num_row_groups != sample["row_groups"]:
            problems.append(
                f"{where}: {parquet.metadata.num_row_groups} row groups, "
                f"expected {sample['row_groups']}"
            )
        for rg in range(parquet.metadata.num_row_groups):
            for c in range(parquet.metadata.num_columns):
                compression = parquet.metadata.row_group(rg).column(c).compression
                if compression != "SNAPPY":
                    problems.append(f"{where}: column chunk compressed with {compression}")
        table = pq.read_table(path)
        if table.num_rows != len(sample["entries"]):
            problems.append(f"{where}: {table.num_rows} rows")
        failed = [p for p in problems if p.startswith(where)]
        print(f"FAILED {where}: {failed}" if failed else f"ok {where}: {index.dtype}, {len(index.index_dct)} values")
    return problems


def main() -> int:
    problems = check(Path(sys.argv[1]))
    for problem in problems:
        print("MISMATCH", problem)
    print(f"{len(problems)} mismatch(es)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
