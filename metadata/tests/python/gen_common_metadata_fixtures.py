"""Regenerates metadata/tests/fixtures/common_metadata/ (read by tests/common_metadata.rs).

Usage (from the repository root, with the reference venv: plateau 4.6.2, pandas 3.1.1,
pyarrow 26.0.1):

    <python> metadata/tests/python/gen_common_metadata_fixtures.py <ref-dir>

`<ref-dir>` holds datasets written by Python plateau (tools/fixtures/pyref, e.g. /tmp/ref).
Their `_common_metadata` files are copied as `<dataset>.parquet`. The `legacy_*` and
`foreign_*` files are synthesised here with pyarrow, for forms plateau 4.6.2 with pandas 3 no
longer writes but must still read.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from plateau.core.common_metadata import _schema2bytes

COPIED = [
    "ref_types_core",
    "ref_types_extra",
    "ref_partition_two",
    "ref_empty_header",
    "ref_quirk_partition_tz",
    "ref_partition_dates",
]

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "common_metadata"


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    ref = Path(sys.argv[1])
    OUT.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copyfile(ref / name / "table" / "_common_metadata", OUT / f"{name}.parquet")

    # Object-dtype strings: pyarrow describes them as `unicode`/`object` (what pandas < 3 wrote
    # for every text column), with a named index stored as a field.
    df = pd.DataFrame({"s": pd.Series(["a", "b"], dtype=object), "v": [1, 2]})
    df.index = pd.Index([10, 11], name="idx")
    schema = pa.Table.from_pandas(df).schema
    (OUT / "legacy_object_strings_named_index.parquet").write_bytes(_schema2bytes(schema))

    # A MultiIndex: plateau refuses it.
    multi = df.set_index("v", append=True)
    (OUT / "legacy_multiindex.parquet").write_bytes(
        _schema2bytes(pa.Table.from_pandas(multi).schema)
    )

    # Written by a non-pandas tool: no pandas metadata at all.
    plain = pa.schema([("a", pa.int64()), ("t", pa.timestamp("us")), ("s", pa.large_string())])
    (OUT / "foreign_no_pandas.parquet").write_bytes(_schema2bytes(plain))

    # No `ARROW:schema` (the Parquet schema alone), pandas metadata present.
    path = OUT / "foreign_no_arrow_schema.parquet"
    table = pa.Table.from_pandas(pd.DataFrame({"s": pd.Series(["x"]), "v": [1]}), preserve_index=False)
    with pq.ParquetWriter(path, table.schema, store_schema=False) as writer:
        writer.add_key_value_metadata({"pandas": table.schema.metadata[b"pandas"]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
