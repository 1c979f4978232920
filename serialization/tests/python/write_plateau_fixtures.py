#!/usr/bin/env python
"""Writes the Parquet data files of ``serialization/tests/parquet_fixtures`` with Python
plateau's ``ParquetSerializer``, for ``serialization/tests/parquet_plateau_fixtures.rs``.

Usage: ``/work/pyvenv/bin/python serialization/tests/python/write_plateau_fixtures.py
serialization/tests/parquet_fixtures`` (written with plateau 4.6.2, pyarrow 26, pandas 3.1).

* ``plain.parquet``: plateau's ``get_dataframe_not_nested(10)`` plus a categorical, a
  tz-aware timestamp, a nullable integer and a float column with NaN, in row groups of 3 rows
  (``chunk_size=3``);
* ``indexed.parquet``: rows 1, 2 and 5 of the same frame, so pandas stores the non-range
  index as the column ``__index_level_0__`` (as plateau does after ``partition_on``).
"""

import sys

import minimalkv
import numpy as np
import pandas as pd
from plateau.serialization import ParquetSerializer
from plateau.serialization.testing import get_dataframe_not_nested


def frame() -> pd.DataFrame:
    df = get_dataframe_not_nested(10)
    df["cat"] = pd.Categorical(["a", "b"] * 5)
    df["tz"] = pd.date_range("2020-01-01", periods=10, freq="h", tz="Europe/Berlin")
    df["nullable_int"] = pd.array([1, None] * 5, dtype="Int64")
    df["float_nan"] = [1.0, np.nan] * 5
    return df


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    store = minimalkv.get_store_from_url(f"hfs://{sys.argv[1]}")
    df = frame()
    ParquetSerializer(chunk_size=3).store(store, "plain", df)
    ParquetSerializer().store(store, "indexed", df.iloc[[1, 2, 5]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
