"""Writes the legacy-shaped index files of `index/tests/fixtures/` with pyarrow.

plateau itself only writes `<column>` + `partition: list<element: string>`; older versions and
other writers produced the shapes below, which a reader must accept (reference §2.9):

* `legacy_item_first.parquet`: `partition` as the *first* column, list element named `item`,
  an `int32` value column (normalized to int64 on read);
* `legacy_large.parquet`: `large_list<large_string>` labels and `timestamp[ms, tz=Europe/Berlin]`
  values (read as nanoseconds);
* `legacy_renamed.parquet`: a value column whose name differs from the index column (the
  reader takes the column that is not `partition`);
* `legacy_nulls.parquet`: null and NaN keys, a null list, a null label and an empty list,
  which are not index entries;
* `wrong_*.parquet`: shapes that are not index files (no `partition` column, three columns
  without the index column, `partition` not a list), which a reader rejects as corrupt.

Usage: python make_legacy_fixtures.py <fixtures dir>
"""

import sys
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq


def main(out: Path) -> None:
    item_first = pa.table(
        {
            "partition": pa.array(
                [["p2", "p1"], ["p3"], ["p1"]], type=pa.list_(pa.string())
            ),
            "x": pa.array([7, -1, 3], type=pa.int32()),
        }
    )
    pq.write_table(
        item_first,
        out / "legacy_item_first.parquet",
        use_compliant_nested_type=False,
    )

    stamps = [
        datetime(2021, 3, 28, 1, 30, tzinfo=timezone.utc),
        datetime(2020, 1, 1, 0, 0, tzinfo=timezone.utc),
    ]
    large = pa.table(
        {
            "t": pa.array(stamps, type=pa.timestamp("ms", tz="Europe/Berlin")),
            "partition": pa.array(
                [["b"], ["a", "b"]], type=pa.large_list(pa.large_string())
            ),
        }
    )
    pq.write_table(large, out / "legacy_large.parquet")

    renamed = pa.table(
        {
            "old_name": pa.array(["x", "y"], type=pa.string()),
            "partition": pa.array([["p1"], ["p1", "p2"]], type=pa.list_(pa.string())),
        }
    )
    pq.write_table(renamed, out / "legacy_renamed.parquet")

    # Nulls where plateau never writes them: null and NaN keys, a null list, a null label,
    # an empty list. Only (1.0, [a]) and (3.0, [d]) are index entries.
    nulls = pa.table(
        {
            "f": pa.array([1.0, float("nan"), None, 2.0, 3.0, 4.0], type=pa.float64()),
            "partition": pa.array(
                [["a"], ["b"], ["c"], None, ["d", None], []], type=pa.list_(pa.string())
            ),
        }
    )
    pq.write_table(nulls, out / "legacy_nulls.parquet")

    # Wrong shapes, which a reader must reject as corrupt.
    pq.write_table(
        pa.table({"x": [1, 2], "y": ["a", "b"]}), out / "wrong_no_partition.parquet"
    )
    pq.write_table(
        pa.table(
            {
                "a": [1],
                "b": [2],
                "partition": pa.array([["p"]], type=pa.list_(pa.string())),
            }
        ),
        out / "wrong_three_columns.parquet",
    )
    pq.write_table(
        pa.table({"x": [1], "partition": ["p"]}), out / "wrong_partition_type.parquet"
    )

    for name in ["legacy_item_first", "legacy_large", "legacy_renamed"]:
        print(name, pq.read_schema(out / f"{name}.parquet"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
