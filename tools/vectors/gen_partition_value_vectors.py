#!/usr/bin/env python3
"""Generate ``core/tests/vectors/partition_values.json``: partition value texts from pandas
and the directory names real plateau writes for them (reference sections 2.5 and 2.6).

For every case a one-column pandas frame is grouped exactly as plateau's
``MetaPartition._partition_data`` does (``groupby(by=[series], observed=True, sort=False)``)
and ``str()`` of the group key is recorded: that is the text plateau quotes into the key
(``bytes`` keys are quoted as they are, not through ``str``). The same frame is then written
with ``plateau.io.eager.store_dataframes_as_dataset(..., partition_on=["p"])`` to a
temporary ``hfs://`` store, and the directory plateau created is recorded as
``plateau_key_component``, together with the column type plateau reads back from
``_common_metadata``.

Each vector holds:

* ``name``: a short description;
* ``arrow_type``: the column's type as plateau reads ``_common_metadata``
  (``read_schema_metadata``: normalised widths, naive timestamps as ``timestamp[ns]``);
* ``source_type``: the Arrow type of the pandas column before plateau normalises it;
* ``value``: the typed value: int as int, float as its ``repr`` string, bool, string, bytes
  as hex, date as ``YYYY-MM-DD``, timestamp as ``{"epoch", "unit", "tz"}`` (``epoch`` in
  ``unit`` since 1970-01-01 UTC), decimal as ``{"unscaled" (a string), "scale"}``;
* ``text`` (``text_hex`` for binary): what plateau quotes;
* ``quoted``: ``urllib.parse.quote(text, safe="")``: the Rust port's key text, which escapes
  ``/`` as ``%2F`` where plateau keeps it (plateau's quoting is ``safe="/"``);
* ``plateau_key_component``: the directory level(s) plateau wrote, ``p=<value>`` (a ``/`` in
  a value adds levels; empty levels are collapsed by the filesystem store);
* ``parses``: for ``arrow_type`` and ``source_type``, whether the value is representable in
  that type (a timestamp outside the nanosecond range in a ``timestamp[ns]`` column, or with
  nanoseconds in a ``timestamp[us]`` column, is not).

About 200 seeded random floats are included so the Rust float formatting is compared with
Python's ``repr`` beyond the hand-picked cases. NaN is excluded: pandas' groupby drops it.

Requires the reference environment (plateau 4.6.2, pandas 3.1.1, pyarrow 26.0.1); see
``tools/vectors/README.md``. The output is deterministic.

Usage::

    /work/pyvenv/bin/python tools/vectors/gen_partition_value_vectors.py [--output PATH]
"""

from __future__ import annotations

import argparse
import datetime
import decimal
import importlib.metadata
import json
import random
import struct
import sys
import tempfile
import urllib.parse
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from minimalkv import get_store_from_url
from plateau.core.common_metadata import read_schema_metadata
from plateau.io.eager import store_dataframes_as_dataset

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO / "core" / "tests" / "vectors" / "partition_values.json"
RANDOM_SEED = 20240601
RANDOM_FLOATS = 200

Case = tuple[str, pd.Series]


def ts_series(texts: list[str], unit: str, tz: Any = None) -> pd.Series:
    """Naive or tz-aware timestamps at ``unit`` resolution; ``texts`` are UTC wall times."""
    values = np.array(texts, dtype=f"datetime64[{unit}]")
    series = pd.Series(values)
    if tz is not None:
        series = series.dt.tz_localize("UTC").dt.tz_convert(tz)
    return series


def fixed(hours: int, minutes: int = 0) -> datetime.timezone:
    sign = -1 if hours < 0 else 1
    return datetime.timezone(sign * datetime.timedelta(hours=abs(hours), minutes=minutes))


def cases() -> list[Case]:
    """Hand-picked cases, one value per dataset."""
    out: list[Case] = []

    def add(name: str, values: list[Any], dtype: Any = None) -> None:
        out.append((name, pd.Series(values, dtype=dtype)))

    for dtype, info in [
        ("int8", np.iinfo(np.int8)),
        ("int16", np.iinfo(np.int16)),
        ("int32", np.iinfo(np.int32)),
        ("int64", np.iinfo(np.int64)),
    ]:
        add(f"{dtype} min", [int(info.min)], dtype)
        add(f"{dtype} max", [int(info.max)], dtype)
    add("int64 zero", [0], "int64")
    add("int64 negative", [-2], "int64")
    add("int64 one", [1], "int64")
    for dtype in ["uint8", "uint16", "uint32", "uint64"]:
        add(f"{dtype} max", [int(np.iinfo(dtype).max)], dtype)
    add("uint64 zero", [0], "uint64")

    for v in [
        0.1,
        1.0,
        -0.0,
        0.0,
        2.5,
        -1.5,
        1e-07,
        1e-05,
        1.5e-05,
        0.0001,
        0.00011,
        1e15,
        9999999999999998.0,
        1e16,
        1.5e16,
        1e22,
        1e100,
        1.5e300,
        123456789.123,
        5e-324,
        2.2250738585072014e-308,
        1.7976931348623157e308,
        float("inf"),
        float("-inf"),
        # Exactly halfway between two shortest candidates: repr rounds half to even.
        -659.91802978515625,
        8.028549194335938,
        84.43771362304688,
        609.1389770507812,
        129.88143920898438,
        -239.53952026367188,
        582.1814575195312,
    ]:
        add(f"float64 {v!r}", [v], "float64")
    for v in [0.1, 1.5, 1e20, 3.4028234663852886e38, 1e-45, -2.5]:
        add(f"float32 {v!r}", [v], "float32")

    add("bool True", [True], "bool")
    add("bool False", [False], "bool")

    for s in [
        "a",
        "",
        "a b",
        "ö",
        "€",
        "😀",
        "日本語",
        "a/b",
        "ö/x",
        "a=b",
        "%",
        "%41",
        "a+b",
        " leading",
        "trailing ",
        "tab\there",
        "new\nline",
        "~._-",
        "True",
        "1.0",
        "2020-01-01",
        "None",
        "back\\slash",
        "#?&;,@!*'()",
        "\x01",
        "a\x00b",
    ]:
        add(f"string {s!r}", [s], "str")
    add("string[pyarrow] 'x y'", ["x y"], "string[pyarrow]")
    add("object string 'x/y'", ["x/y"], object)
    add("categorical 'cat egory'", ["cat egory"], "category")

    for b in [b"a b", b"\xff\x00", b"", b"/", b"\x80abc", b"plain", b"%41"]:
        add(f"binary {b!r}", [b], object)

    for d in [
        datetime.date(2020, 1, 1),
        datetime.date(2020, 2, 29),
        datetime.date(1969, 12, 31),
        datetime.date(1900, 1, 1),
        datetime.date(2262, 4, 12),
        datetime.date(1, 1, 1),
        datetime.date(9999, 12, 31),
    ]:
        add(f"date {d}", [d], object)

    naive = [
        ("ns", "2020-01-01T00:00:00"),
        ("ns", "2020-01-01T01:02:03.5"),
        ("ns", "2020-01-01T00:00:00.000000001"),
        ("ns", "2020-01-01T00:00:00.123456"),
        ("ns", "2020-01-01T00:00:00.123456789"),
        ("ns", "1969-12-31T23:59:59.999999999"),
        ("ns", "1900-01-01T00:00:00"),
        ("ns", "2262-04-11T23:47:16.854775807"),
        ("ns", "1677-09-21T00:12:43.145224193"),
        ("us", "2020-01-01T00:00:00.123456"),
        ("us", "2020-06-15T12:30:45"),
        ("ms", "2020-01-01T00:00:00.123"),
        ("ms", "1900-01-01T00:00:00.001"),
        ("s", "2020-01-01T00:00:00"),
        ("s", "0001-01-01T00:00:00"),
        ("s", "9999-12-31T23:59:59"),
    ]
    for unit, text in naive:
        out.append((f"timestamp[{unit}] {text}", ts_series([text], unit)))

    aware = [
        ("us", "2020-07-01T01:02:03", "UTC"),
        ("us", "2020-01-01T12:00:00", "Europe/Berlin"),
        ("us", "2020-07-01T12:00:00.5", "Europe/Berlin"),
        ("us", "2020-10-25T00:30:00", "Europe/Berlin"),
        ("us", "2020-10-25T01:30:00", "Europe/Berlin"),
        ("us", "2020-01-15T17:00:00", "America/New_York"),
        ("us", "2020-07-15T17:00:00.000001", "America/New_York"),
        ("us", "2020-07-01T00:00:00", "Asia/Kolkata"),
        ("us", "1890-01-01T00:00:00", "Europe/Berlin"),
        ("us", "2020-07-01T01:02:03", fixed(5, 30)),
        ("us", "2020-07-01T01:02:03", fixed(-5, 30)),
        ("ns", "2020-01-01T00:00:00.000000001", "UTC"),
        ("ns", "2020-03-29T01:00:00.25", "Europe/Berlin"),
        ("s", "2020-03-29T00:59:59", "Europe/Berlin"),
    ]
    for unit, text, tz in aware:
        out.append((f"timestamp[{unit}, {tz}] {text}Z", ts_series([text], unit, tz)))

    for d in ["1.50", "-0.0000001", "12345", "0.00", "-12.345", "99999999999999999999.99"]:
        add(f"decimal {d}", [decimal.Decimal(d)], object)
    return out


def random_floats() -> list[float]:
    """Seeded floats of many shapes; no NaN, no zeros (groupby merges 0.0 and -0.0)."""
    rng = random.Random(RANDOM_SEED)
    values: list[float] = []
    while len(values) < 60:
        (v,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
        if np.isfinite(v) and v != 0.0:
            values.append(v)
    for _ in range(50):
        values.append(round(rng.uniform(-1e6, 1e6), rng.randint(0, 9)))
    for _ in range(50):
        values.append(rng.uniform(1, 10) * 10.0 ** rng.randint(-20, 25) * rng.choice([1, -1]))
    for _ in range(40):
        values.append(float(np.float32(rng.uniform(-1e3, 1e3) * 10.0 ** rng.randint(-8, 8))))
    unique: list[float] = []
    for v in values:
        if v != 0.0 and v not in unique:
            unique.append(v)
    return unique[:RANDOM_FLOATS]


def group_keys(series: pd.Series) -> list[Any]:
    """The group keys as plateau's ``_partition_data`` sees them, in first-appearance order."""
    df = pd.DataFrame({"p": series, "x": range(len(series))})
    keys = []
    for value, _ in df.drop(columns=["p"]).groupby(by=[df["p"]], observed=True, sort=False):
        keys.append(value[0] if not pd.api.types.is_scalar(value) else value)
    return keys


def key_bytes(value: Any) -> bytes:
    """What plateau's ``quote`` percent-encodes: bytes as they are, anything else ``str()``."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def typed_value(value: Any, arrow_type: pa.DataType) -> Any:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, pd.Timestamp):
        return {
            "epoch": int(value.asm8.view("i8")),
            "unit": value.unit,
            "tz": arrow_type.tz if pa.types.is_timestamp(arrow_type) else None,
        }
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        # As a string: unscaled decimals exceed the 64-bit integers JSON readers handle.
        return {"unscaled": str(int(value.scaleb(arrow_type.scale))), "scale": arrow_type.scale}
    raise TypeError(f"no JSON form for {value!r} ({type(value)})")


def representable(value: Any, arrow_type: pa.DataType) -> bool:
    """Whether a column of ``arrow_type`` can hold ``value`` exactly (plateau's read path
    converts with ``pd.Timestamp(text).as_unit(unit)``, which fails or rounds otherwise)."""
    if pa.types.is_timestamp(arrow_type) and isinstance(value, pd.Timestamp):
        try:
            return value.as_unit(arrow_type.unit) == value
        except (OverflowError, ValueError):
            return False
    return True


def plateau_components(store: Any, uuid: str) -> list[str]:
    """The partition directories of every data file plateau wrote for ``uuid``."""
    prefix = f"{uuid}/table/"
    components = []
    for key in sorted(store.keys(prefix=prefix)):
        if key.endswith(".parquet"):
            components.append(key[len(prefix) :].rsplit("/", 1)[0])
    return components


def collapse_empty_levels(component: str) -> str:
    """``component`` as a filesystem stores it: empty directory levels removed."""
    return "/".join(level for level in component.split("/") if level)


def vectors_for(store: Any, uuid: str, name: str, series: pd.Series) -> list[dict[str, Any]]:
    df = pd.DataFrame({"p": series, "x": range(len(series))})
    source_type = pa.Schema.from_pandas(df, preserve_index=False).field("p").type
    store_dataframes_as_dataset(store=store, dataset_uuid=uuid, dfs=[df], partition_on=["p"])
    arrow_type = read_schema_metadata(uuid, store).field("p").type
    written = plateau_components(store, uuid)
    records = []
    for i, key in enumerate(group_keys(series)):
        raw = key_bytes(key)
        plateau_component = "p=" + urllib.parse.quote(raw, safe="/")
        # A '/' in a value becomes a directory level in plateau's key (its bug); the local
        # filesystem store then collapses empty levels (`p=//x` is stored as `p=/x`).
        collapsed = collapse_empty_levels(plateau_component)
        if collapsed not in written:
            raise SystemExit(f"{name}: plateau wrote {written}, expected {plateau_component}")
        plateau_component = collapsed
        record: dict[str, Any] = {
            "name": name if len(series) == 1 else f"{name} #{i}",
            "arrow_type": str(arrow_type),
            "source_type": str(source_type),
            "value": typed_value(key, arrow_type),
        }
        if isinstance(key, bytes):
            record["text_hex"] = raw.hex()
        else:
            record["text"] = raw.decode("utf-8")
        record["quoted"] = urllib.parse.quote(raw, safe="")
        record["plateau_key_component"] = plateau_component
        record["parses"] = {
            str(arrow_type): representable(key, arrow_type),
            str(source_type): representable(key, source_type),
        }
        records.append(record)
    if len(records) != len(written):
        raise SystemExit(f"{name}: {len(records)} groups but {len(written)} files")
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    records: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="plateau-pv-") as tmp:
        store = get_store_from_url(f"hfs://{tmp}")
        for i, (name, series) in enumerate(cases()):
            records += vectors_for(store, f"case{i}", name, series)
        floats = pd.Series(random_floats(), dtype="float64")
        records += vectors_for(store, "random_floats", "random float64", floats)

    document = {
        "generator": "tools/vectors/gen_partition_value_vectors.py",
        "versions": {
            "plateau": importlib.metadata.version("plateau"),
            "pandas": pd.__version__,
            "pyarrow": pa.__version__,
        },
        "vectors": records,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, ensure_ascii=True, indent=1)
        f.write("\n")
    print(f"wrote {len(records)} vectors to {args.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
