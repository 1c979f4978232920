#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets (fuzz/fuzz_targets/*.rs) under
# fuzz/corpus/<target>/ from what the repository already holds: the datasets Python plateau
# wrote (fixtures/datasets, fixtures/reference-data), the predicates of fixtures/plans.json
# and of the Rust tests, the partition-value and quoting vectors of core/tests/vectors, and
# the hand-written seeds under fuzz/seeds/<target>/.
#
# Seeds are named by the SHA-1 of their content (as libFuzzer names its finds), so running
# this again only adds missing files; inputs the fuzzer added to the corpus stay.
#
# Usage: tools/fuzz/seed.sh [TARGET...]   (default: every target; FUZZ_CORPUS overrides the
# output directory). Needs python3 (standard library only).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
corpus=${FUZZ_CORPUS:-$root/fuzz/corpus}
exec python3 - "$root" "$corpus" "$@" <<'PY'
import csv
import glob
import gzip
import hashlib
import io
import json
import os
import re
import struct
import sys

root, corpus, wanted = sys.argv[1], sys.argv[2], set(sys.argv[3:])
counts = {}

def add(target, data):
    if wanted and target not in wanted:
        return
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    directory = os.path.join(corpus, target)
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, hashlib.sha1(data).hexdigest())
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    counts[target] = counts.get(target, 0) + 1

def read(path):
    with open(path, "rb") as f:
        return f.read()

def files(pattern):
    return sorted(glob.glob(os.path.join(root, pattern), recursive=True))

def rust_sources():
    for crate in ["core", "serialization", "index", "metadata", "io", "io-eager", "io-iter",
                  "io-parallel", "testing", "cli"]:
        yield from files(f"{crate}/**/*.rs")

def rust_strings(text):
    """The contents of the plain and raw string literals of Rust source `text`."""
    for m in re.finditer(r'r(#+)"(.*?)"\1', text, re.S):
        yield m.group(2)
    for m in re.finditer(r'(?<![r#\w])"((?:[^"\\\n]|\\.)*)"', text):
        s = m.group(1)
        s = re.sub(r'\\u\{([0-9a-fA-F]+)\}', lambda u: chr(int(u.group(1), 16)), s)
        s = (s.replace(r'\"', '"').replace(r"\'", "'").replace(r"\n", "\n")
              .replace(r"\t", "\t").replace(r"\0", "\0").replace("\\\\", "\\"))
        yield s

# msgpack as Python's msgpack.packb writes it (enough for metadata dicts).
def packb(v):
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v < 128:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack("b", v)
        if 0 <= v < 2**8: return b"\xcc" + struct.pack(">B", v)
        if 0 <= v < 2**16: return b"\xcd" + struct.pack(">H", v)
        if 0 <= v < 2**32: return b"\xce" + struct.pack(">I", v)
        if 0 <= v < 2**64: return b"\xcf" + struct.pack(">Q", v)
        if -2**7 <= v: return b"\xd0" + struct.pack(">b", v)
        if -2**15 <= v: return b"\xd1" + struct.pack(">h", v)
        if -2**31 <= v: return b"\xd2" + struct.pack(">i", v)
        return b"\xd3" + struct.pack(">q", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, str):
        b = v.encode("utf-8")
        n = len(b)
        if n < 32: return bytes([0xa0 | n]) + b
        if n < 2**8: return b"\xd9" + struct.pack(">B", n) + b
        if n < 2**16: return b"\xda" + struct.pack(">H", n) + b
        return b"\xdb" + struct.pack(">I", n) + b
    if isinstance(v, list):
        n = len(v)
        head = bytes([0x90 | n]) if n < 16 else (b"\xdc" + struct.pack(">H", n) if n < 2**16 else b"\xdd" + struct.pack(">I", n))
        return head + b"".join(packb(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        head = bytes([0x80 | n]) if n < 16 else (b"\xde" + struct.pack(">H", n) if n < 2**16 else b"\xdf" + struct.pack(">I", n))
        return head + b"".join(packb(k) + packb(x) for k, x in v.items())
    raise TypeError(type(v))

# 1, 2: metadata files. The msgpack target wraps any input that is not a zstd frame into
# one, so raw msgpack of every JSON fixture is a seed too.
for path in files("fixtures/datasets/*.by-dataset-metadata.json"):
    data = read(path)
    add("metadata_json", data)
    add("metadata_msgpack", packb(json.loads(data)))
for path in files("fixtures/datasets/*.by-dataset-metadata.msgpack.zstd"):
    add("metadata_msgpack", read(path))
for seed in files("fuzz/seeds/metadata_json/*"):
    add("metadata_json", read(seed))
    try:
        add("metadata_msgpack", packb(json.loads(read(seed))))
    except ValueError:
        pass

# 3: index files, current and legacy keys.
for path in files("fixtures/datasets/**/*.by-dataset-index.parquet"):
    add("index_parquet", read(path))

# 4: _common_metadata files.
for path in files("fixtures/datasets/**/_common_metadata"):
    add("common_metadata", read(path))

# 5: data files: up to three per table directory (many partitions share a schema), the
# pyarrow-version compatibility files and the serialization test files; 64 KiB at most so
# libFuzzer's input length limit stays small.
LIMIT = 64 * 1024
per_dir = {}
data_files = [p for p in files("fixtures/datasets/**/*.parquet")
              if not p.endswith(".by-dataset-index.parquet")]
data_files += files("fixtures/reference-data/**/*.parquet")
data_files += files("serialization/tests/**/*.parquet")
seen_sizes = set()
for path in data_files:
    size = os.path.getsize(path)
    table = os.path.dirname(path).split("/table/")[0]
    if size > LIMIT or per_dir.get(table, 0) >= 3 or (table, size) in seen_sizes:
        continue
    per_dir[table] = per_dir.get(table, 0) + 1
    seen_sizes.add((table, size))
    add("data_file_schema", read(path))
    add("data_file_read", read(path))

# 6, 7: predicates from the tests (text and JSON forms) and from the reference plans.
for path in rust_sources():
    text = read(path).decode("utf-8", "replace")
    for m in re.finditer(r'(?:Predicates::parse|parse_err|\bparse)\(\s*(r#*"|")', text):
        literal = next(rust_strings(text[m.start(1):]), None)
        if literal is not None:
            add("predicate_text", literal)
    for m in re.finditer(r'"--where",\s*', text):
        literal = next(rust_strings(text[m.end():]), None)
        if literal is not None:
            add("predicate_text", literal)
    for s in rust_strings(text):
        if s.lstrip().startswith("[[") or s.strip() in ("[]", "[[]]"):
            add("predicate_json", s)
for plan in json.load(open(os.path.join(root, "fixtures/plans.json"))):
    if plan.get("predicates"):
        add("predicate_json", plan["predicates"])
for target in ["predicate_text", "predicate_json"]:
    for seed in files(f"fuzz/seeds/{target}/*"):
        for line in read(seed).decode("utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                add(target, line)

# 8: partition values (first byte: the column type, see `column_types` in
# fuzz_targets/partition_keys.rs), quoting vectors and the keys of the fixture datasets.
TYPES = [
    "string", "large_string", "binary", "fixed_size_binary[3]", "bool", "int8", "int16",
    "int32", "int64", "uint8", "uint16", "uint32", "uint64", "halffloat", "float", "double",
    "date32[day]", "date64[ms]", "timestamp[s]", "timestamp[ms]", "timestamp[us]",
    "timestamp[ns]", "timestamp[ns, tz=UTC]", "timestamp[us, tz=UTC]",
    "timestamp[us, tz=Europe/Berlin]", "timestamp[ns, tz=Europe/Berlin]",
    "timestamp[s, tz=Europe/Berlin]", "timestamp[us, tz=America/New_York]",
    "timestamp[us, tz=Asia/Kolkata]", "timestamp[us, tz=+05:30]", "timestamp[us, tz=-05:30]",
    "decimal128(3, 2)", "decimal128(7, 7)", "decimal128(5, 0)", "decimal128(2, 2)",
    "decimal128(5, 3)", "decimal128(22, 2)", "decimal128(38, 10)", "decimal128(3, -2)",
    "dictionary<values=large_string, indices=int8, ordered=0>",
    "dictionary<values=int64, indices=int32, ordered=0>", "null",
    "timestamp[ns, tz=-00:19:32]",
]
def selector(type_name):
    return bytes([TYPES.index(type_name)]) if type_name in TYPES else None
vectors = json.load(open(os.path.join(root, "core/tests/vectors/partition_values.json")))
for v in vectors["vectors"]:
    for type_name in [v["arrow_type"], *v.get("parses", {})]:
        sel = selector(type_name)
        if sel is not None and v.get("quoted") is not None:
            add("partition_keys", sel + v["quoted"].encode("utf-8", "surrogatepass"))
for v in json.load(open(os.path.join(root, "core/tests/vectors/quote.json")))["vectors"]:
    for text in [v["input"], v["quote_component"]]:
        add("partition_keys", b"\x00" + text.encode("utf-8", "surrogatepass"))
keys = {}
for path in files("fixtures/datasets/**/*.parquet"):
    rel = os.path.relpath(path, os.path.join(root, "fixtures/datasets"))
    keys.setdefault(rel.split("/")[0], []).append(rel)
for rels in keys.values():
    for rel in rels[:2]:
        add("partition_keys", b"\x01" + rel.encode("utf-8"))
        label = rel.split("/", 2)[-1]
        add("partition_keys", b"\x08" + label.encode("utf-8"))

# 9: CSV: the reference rows of the fixture datasets as CSV (`,` as the CLI reads it, `;`
# and gzip as plateau's CsvSerializer writes it), plus hand-written seeds.
def cell(value):
    if value is None:
        return ""
    if isinstance(value, dict) and len(value) == 1:
        value = next(iter(value.values()))
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)
for path in files("fixtures/rows/*.jsonl")[:40]:
    lines = read(path).decode("utf-8").splitlines()
    if not lines:
        continue
    header = json.loads(lines[0])
    names = [c["name"] for c in header.get("columns", [])]
    rows = [json.loads(line) for line in lines[1:6]]
    for delimiter in [",", ";"]:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([cell(x) for x in row])
        text = out.getvalue().encode("utf-8")
        add("csv_input", text)
        if delimiter == ";":
            add("csv_input", gzip.compress(text, mtime=0))
for seed in files("fuzz/seeds/csv_input/*"):
    add("csv_input", read(seed))

# JSON lines: the JSON objects the Rust tests hold (one per line and joined), and
# hand-written ones.
objects = []
for source in rust_sources():
    for s in rust_strings(read(source).decode("utf-8", "replace")):
        if s.lstrip().startswith("{") and len(s) < 2000:
            objects.append(s)
for s in objects:
    add("jsonl_input", s)
if objects:
    add("jsonl_input", "\n".join(objects[:50]) + "\n")
for seed in files("fuzz/seeds/jsonl_input/*"):
    add("jsonl_input", read(seed))

for target in sorted(counts):
    print(f"seed: {target}: {counts[target]} seeds in {os.path.relpath(os.path.join(corpus, target), root)}")
PY
