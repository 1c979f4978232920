#!/usr/bin/env python3
"""kill -9 harness for the mutating commands of the `plateau` CLI.

For each command (write, write --overwrite, update append, update with --delete-scope,
build-index, compact, gc, delete) it prepares a template store, runs the command unkilled three times
on copies (duration: the longest; after-state: "new", which must come out the same each time),
and then, per trial, runs it on a fresh copy and kills it with SIGKILL after a delay drawn
uniformly from [0, 1.2 x duration]. The state left behind must be exactly the old one or the
new one:

* the structural dump (`plateau info UUID --json --indices`): uuid, version, table,
  partition keys, schema, user metadata (without `creation_time`), and partitions and index
  postings with every random label replaced by its file's fingerprint (partition directory,
  rows, uncompressed bytes from `plateau stats`), so "which files" is compared, not labels;
* the sorted rows of `plateau read --format csv`;
* a few index values read back with `--where col == value` against the rows of that state;
* `plateau check UUID` exits 0 when the dataset exists, or 7 reporting nothing but the
  temporary files of interrupted uploads (counted as tmp-files; gc must remove them);
* for `write`, "old" is no dataset (exit 3); for `delete`, "new" is exit 3.

Then the leftovers must be removable: `plateau gc UUID --min-age 0` (the dump, stats and
check unchanged after it, and no unreferenced file left) and `plateau delete UUID --min-age 0`
(nothing of the uuid left). gc's old and new states are the same dataset; its trials are
told apart by the files present (old: all garbage there, new: none, partial: some).

    python3 tools/stress/kill.py [--trials 20] [--seed N] [--commands write,gc]
"""

import argparse
import csv
import hashlib
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from plateau_cli import (  # noqa: E402
    CHECK_FAILED, NOT_FOUND, OK, Plateau, age_store, describe, log, resolve_binary)

UUID = "ds"
# How `check` words the temporary file of an interrupted upload.
INTERRUPTED = "is the temporary file of an interrupted upload"
INT_TYPES = {"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64"}


class Violation(Exception):
    pass


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--trials", type=int, default=20, help="kills per command (default 20)")
    p.add_argument("--seed", type=int, help="random seed (default: from the clock)")
    p.add_argument("--plateau", help="the plateau binary (default: target/release/plateau)")
    p.add_argument("--commands", help="comma separated subset of: " + ", ".join(COMMAND_NAMES))
    p.add_argument("--rows", type=int, default=200_000, help="rows per input set (200000)")
    p.add_argument("--files", type=int, default=8, help="input files per input set (8)")
    p.add_argument("--partitions", type=int, default=100, help="partition values (100)")
    p.add_argument("--garbage-rounds", type=int, default=6,
                   help="overwrites that leave garbage for the gc trials (6)")
    p.add_argument("--work", help="work directory (default: a new temporary directory)")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    args = p.parse_args()
    if args.trials < 1 or args.rows < args.files or args.files < 1 or args.partitions < 2:
        p.error("bad sizes")
    return args


# ---------------------------------------------------------------------------------------
# Inputs and templates


def gen_inputs(directory, name, first_id, args, rng):
    """`args.files` CSV files with `args.rows` rows in all; returns their paths."""
    paths = []
    per_file = args.rows // args.files
    next_id = first_id
    for f in range(args.files):
        path = directory / f"{name}{f}.csv"
        with open(path, "w") as out:
            out.write("id,part,cat,grp,val,s\n")
            for _ in range(per_file):
                out.write(f"{next_id},p{rng.randrange(args.partitions):03d},"
                          f"c{rng.randrange(10)},{rng.randrange(16)},"
                          f"{rng.randrange(10**9)},t{rng.randrange(10**6)}-{next_id}\n")
                next_id += 1
        paths.append(str(path))
    return paths


def must(res, what):
    if res.returncode != OK:
        sys.exit(f"preparing templates: {what}: {describe(res)}")


COMMAND_NAMES = ["write", "write --overwrite", "update append", "update --delete-scope",
                 "build-index", "compact", "gc", "delete"]


def commands(inputs, args):
    """name -> (template name, argv)."""
    base, new = inputs["base"], inputs["new"]
    half = [f"part=p{k:03d}" for k in range(args.partitions // 2)]
    scopes = [a for value in half for a in ("--delete-scope", value)]
    return {
        "write": ("empty", ["write", UUID, *base, "--partition-on", "part", "--index", "cat"]),
        "write --overwrite": ("base", ["write", UUID, *new, "--partition-on", "part",
                                       "--index", "cat", "--overwrite"]),
        "update append": ("base", ["update", UUID, *new]),
        "update --delete-scope": ("base", ["update", UUID, *new, *scopes]),
        "build-index": ("base", ["build-index", UUID, "grp", "s"]),
        # base holds one small file per input file and partition: all of them are merged.
        "compact": ("base", ["compact", UUID]),
        "gc": ("garbage", ["gc", UUID, "--min-age", "0"]),
        "delete": ("base", ["delete", UUID]),
    }


def make_templates(cli, work, inputs, args, needed):
    templates = {}
    if "empty" in needed:
        (work / "t-empty").mkdir()
        templates["empty"] = work / "t-empty"
    if "base" in needed or "garbage" in needed:
        base = work / "t-base"
        must(cli.with_store(base).run(["write", UUID, *inputs["base"], "--partition-on",
                                       "part", "--index", "cat"]), "write base")
        templates["base"] = base
    if "garbage" in needed:
        garbage = work / "t-garbage"
        shutil.copytree(templates["base"], garbage, symlinks=True)
        g = cli.with_store(garbage)
        for k in range(args.garbage_rounds):
            src = inputs["new"] if k % 2 == 0 else inputs["base"]
            must(g.run(["write", UUID, *src, "--partition-on", "part", "--index", "cat",
                        "--overwrite"]), "overwrite for garbage")
        templates["garbage"] = garbage
    return templates


# ---------------------------------------------------------------------------------------
# State


def clone(template, dest, hardlinks=True):
    """A copy of a template store whose files are hard links (the local store never writes
    a file in place: it writes `<key>#<n>` and renames, and deletes by unlinking), except
    the lock files, which are copied. `fingerprint` checks that templates stay untouched.
    Without gc/delete --min-age the copies are aged (mtime), so they are real copies."""
    shutil.rmtree(dest, ignore_errors=True)

    def link_or_copy(src, dst):
        if not hardlinks or os.sep + ".plateau-locks" + os.sep in src:
            return shutil.copy2(src, dst)
        os.link(src, dst)
        return dst

    shutil.copytree(template, dest, symlinks=True, copy_function=link_or_copy)


def fingerprint(template):
    out = {}
    for directory, _, files in os.walk(template):
        for name in files:
            path = os.path.join(directory, name)
            st = os.lstat(path)
            out[path] = (st.st_size, st.st_mtime_ns)
    return out


def files_of(store):
    """Every file below the store except the lock directory, relative paths."""
    out = set()
    for directory, dirs, files in os.walk(store):
        rel = os.path.relpath(directory, store)
        if rel == ".plateau-locks":
            dirs[:] = []
            continue
        for name in files:
            out.add(os.path.normpath(os.path.join(rel, name)))
    return out


def uuid_files(store):
    return {f for f in files_of(store)
            if f.startswith(UUID + "/") or f.startswith(UUID + ".by-dataset-metadata.")}


def structure(cli):
    """The structural state: (None, None) if the dataset does not exist, else (struct, dump)
    with every label replaced by its file's fingerprint."""
    res = cli.run(["info", UUID, "--json", "--indices"])
    if res.returncode == NOT_FOUND:
        return None, None
    if res.returncode != OK:
        raise Violation(f"info --json --indices: {describe(res)}")
    dump = json.loads(res.stdout)
    res = cli.run(["stats", UUID])
    if res.returncode != OK:
        raise Violation(f"stats: {describe(res)}")
    fp = {}
    lines = res.stdout.splitlines()
    header = lines[0].split("\t") if lines else []
    col = {name: i for i, name in enumerate(header)}
    for line in lines[1:]:
        cells = line.split("\t")
        label = cells[col["partition_label"]]
        rows = int(cells[col["number_rows_total"]])
        size = int(cells[col["row_group_uncompressed_size"]])
        prefix = label.rsplit("/", 1)[0] if "/" in label else ""
        old = fp.get(label)
        fp[label] = (prefix, rows, (old[2] if old else 0) + size)
    missing = [label for label in dump.get("partitions", {}) if label not in fp]
    if missing:
        raise Violation(f"stats lists no row groups for partitions {missing[:3]}")

    def f(label):
        if label not in fp:
            raise Violation(f"index references unknown partition {label}")
        return "%s|%d|%d" % fp[label]

    metadata = dict(dump.get("metadata") or {})
    metadata.pop("creation_time", None)
    struct = {
        "uuid": dump.get("uuid"),
        "metadata_version": dump.get("metadata_version"),
        "table": dump.get("table"),
        "partition_keys": dump.get("partition_keys"),
        "schema": dump.get("schema"),
        "metadata": metadata,
        "partitions": sorted(f(label) for label in dump.get("partitions", {})),
        "indices": {c: [[v, sorted(f(label) for label in labels)] for v, labels in postings]
                    for c, postings in sorted((dump.get("indices") or {}).items())},
    }
    return struct, dump


def digest(lines):
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def read_rows(cli, extra=()):
    res = cli.run(["read", UUID, "--format", "csv", *extra])
    if res.returncode != OK:
        raise Violation(f"read {' '.join(extra)}: {describe(res)}")
    lines = res.stdout.splitlines()
    return lines[0] if lines else "", sorted(lines[1:])


class State:
    """A full state: structure, rows, and what each index value must read back."""

    def __init__(self, cli, with_values):
        self.struct, dump = structure(cli)
        self.exists = self.struct is not None
        self.rows = None
        self.values = {}
        self.types = {}
        if not self.exists:
            return
        header, body = read_rows(cli)
        self.rows = (header, len(body), digest(body))
        if with_values:
            self.types = {f["name"]: f["type"] for f in dump["schema"]}
            columns = list(dump.get("indices") or {})
            reader = csv.DictReader(io.StringIO(header + "\n" + "\n".join(body)))
            ids = {c: {} for c in columns}
            for row in reader:
                for c in columns:
                    ids[c].setdefault(row[c], []).append(row["id"])
            self.values = {c: {v: digest(sorted(i)) for v, i in vs.items()}
                           for c, vs in ids.items()}

    def key(self):
        return (self.exists, json.dumps(self.struct, sort_keys=True), self.rows)

    def differences(self, other):
        if self.exists != other.exists:
            return ["existence"]
        diff = [k for k in self.struct if self.struct[k] != other.struct.get(k)]
        if self.rows != other.rows:
            diff.append(f"rows ({self.rows[1]} vs {other.rows[1]})")
        return diff


def predicate(column, value, types):
    if types.get(column) in INT_TYPES:
        return f"{column} == {value}"
    return "%s == '%s'" % (column, value.replace("'", "''"))


def sample_index_reads(cli, state, rng, n=2):
    """Reads `n` random index values with --where and compares their ids to the state."""
    columns = sorted(state.values)
    for _ in range(n if columns else 0):
        column = rng.choice(columns)
        value = rng.choice(sorted(state.values[column]))
        where = predicate(column, value, state.types)
        _, body = read_rows(cli, ["--columns", "id", "--where", where])
        if digest(sorted(body)) != state.values[column][value]:
            raise Violation(f"read --where \"{where}\": {len(body)} rows, not the rows of "
                            f"the matched state")


def no_garbage(store, dump):
    """After gc --min-age 0: only referenced files (and no temporary upload files)."""
    files = uuid_files(store)
    table = dump["table"]
    want_table = {os.path.normpath(f) for f in dump["partitions"].values()}
    want_table.add(f"{UUID}/{table}/_common_metadata")
    have_table = {f for f in files if f.startswith(f"{UUID}/{table}/")}
    extra = sorted(have_table - want_table)
    if extra:
        raise Violation(f"gc --min-age 0 left unreferenced table files, e.g. {extra[:3]}")
    secondary = set(dump.get("indices") or {}) - set(dump["partition_keys"])
    for column in sorted(secondary):
        n = sum(1 for f in files if f.startswith(f"{UUID}/indices/{column}/"))
        if n != 1:
            raise Violation(f"gc --min-age 0 left {n} files for index `{column}`")
    others = sorted(f for f in files if f.startswith(f"{UUID}/")
                    and not f.startswith(f"{UUID}/{table}/")
                    and not any(f.startswith(f"{UUID}/indices/{c}/") for c in secondary))
    if others:
        raise Violation(f"gc --min-age 0 left other files of the uuid, e.g. {others[:3]}")


# ---------------------------------------------------------------------------------------
# Trials


def trial(cli, store, argv, delay, before, after, gc_files, rng):
    """Runs one killed trial; returns (outcome, killed_mid_run, detail)."""
    c = cli.with_store(store)
    proc = c.popen(argv)
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        proc.kill()
    proc.wait()
    stderr = proc.stderr.read().decode(errors="replace").strip()
    proc.stderr.close()
    if finished and proc.returncode != OK:
        raise Violation(f"finished before the kill with exit {proc.returncode}: {stderr[:300]}")
    state = State(c, with_values=False)
    if state.key() == before.key() and state.key() == after.key():
        # gc: the same dataset either way; the files tell how far it got.
        have = uuid_files(store)
        outcome = ("old" if have == gc_files[0] else "new" if have == gc_files[1]
                   else "partial")
    elif state.key() == before.key():
        outcome = "old"
    elif state.key() == after.key():
        outcome = "new"
    else:
        near = min((before, after), key=lambda s: len(s.differences(state)))
        which = "old" if near is before else "new"
        raise Violation(f"state is neither old nor new (nearest: {which}, differs in "
                        f"{', '.join(near.differences(state))})")
    matched = before if outcome == "old" else after
    leftovers = False
    if state.exists:
        res = c.run(["check", UUID])
        problems = [line for line in res.stdout.splitlines() if line.strip()]
        # `check` also reports the temporary files of interrupted uploads (exit 7): the
        # expected leftovers of a kill, which gc must then remove. Anything else fails.
        leftovers = (res.returncode == CHECK_FAILED and problems
                     and all(INTERRUPTED in p for p in problems))
        if res.returncode != OK and not leftovers:
            raise Violation(f"check after the kill: {describe(res)} {res.stdout[:300]}")
        sample_index_reads(c, matched, rng)
    # The leftovers are removable: gc keeps the dataset and leaves no garbage ...
    res = c.maintenance("gc", UUID, "0")
    if res.returncode != OK and not (res.returncode == NOT_FOUND and not state.exists):
        raise Violation(f"gc --min-age 0 after the kill: {describe(res)}")
    struct, dump = structure(c)
    if struct != state.struct:
        raise Violation("gc --min-age 0 changed the dataset's structure")
    if state.exists:
        res = c.run(["check", UUID])
        if res.returncode != OK:
            raise Violation(f"check after gc: {describe(res)} {res.stdout[:300]}")
        no_garbage(store, dump)
    else:
        left = sorted(uuid_files(store))
        if left:
            raise Violation(f"gc --min-age 0 left orphans of the missing dataset: {left[:3]}")
    # ... and delete removes everything.
    res = c.maintenance("delete", UUID, "0")
    if res.returncode != OK and not (res.returncode == NOT_FOUND and not state.exists):
        raise Violation(f"delete --min-age 0 after the kill: {describe(res)}")
    left = sorted(uuid_files(store))
    if left:
        raise Violation(f"delete --min-age 0 left files: {left[:3]}")
    return outcome, not finished, leftovers


def main():
    args = parse_args()
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 1_000_000
    names = COMMAND_NAMES
    if args.commands:
        names = [n.strip() for n in args.commands.split(",") if n.strip()]
        unknown = [n for n in names if n not in COMMAND_NAMES]
        if unknown:
            sys.exit(f"unknown commands {unknown}; known: {COMMAND_NAMES}")
    binary = resolve_binary(args.plateau)
    temp_work = args.work is None
    work = Path(tempfile.mkdtemp(prefix="plateau-kill-")) if temp_work else Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cli = Plateau(binary, work)
    hardlinks = cli.gc_min_age and cli.delete_min_age
    if not (cli.gc_min_age and cli.delete_min_age):
        log("warning: this plateau lacks gc/delete --min-age; files are aged instead")
    print(f"kill: seed {args.seed}, {args.trials} trials per command, {args.rows} rows in "
          f"{args.files} files, {args.partitions} partitions, work {work}", flush=True)
    t0 = time.monotonic()
    rng = random.Random(args.seed)
    inputs_dir = work / "inputs"
    inputs_dir.mkdir()
    inputs = {"base": gen_inputs(inputs_dir, "base", 0, args, rng),
              "new": gen_inputs(inputs_dir, "new", 10**7, args, rng)}
    table = commands(inputs, args)
    if not cli.gc_min_age:
        table["gc"] = ("garbage", ["gc", UUID])
    templates = make_templates(cli, work, inputs, args, {table[n][0] for n in names})
    results = []
    violations = []
    untouched = {name: fingerprint(path) for name, path in templates.items()}
    for name in names:
        template, argv = table[name]
        crng = random.Random(f"{args.seed}-{name}")
        # The unkilled reference run on an identical copy: duration and the "new" state.
        ref = work / "reference"
        clone(templates[template], ref, hardlinks)
        r = cli.with_store(ref)
        if not cli.gc_min_age and name == "gc":
            age_store(ref)
        before = State(r, with_values=True)
        old_files = uuid_files(ref)
        started = time.monotonic()
        res = r.run(argv)
        duration = time.monotonic() - started
        if res.returncode != OK:
            sys.exit(f"reference run of `{name}` failed: {describe(res)}")
        after = State(r, with_values=True)
        new_files = uuid_files(ref)
        # Two more unkilled runs: the duration is the longest of three (one run is at the
        # mercy of whatever else the machine does, and kills must reach the commit at the
        # end), and the after-state must be the same every time, or "new" could not be
        # recognised.
        durations = [duration]
        for _ in range(2):
            clone(templates[template], ref, hardlinks)
            if not cli.gc_min_age and name == "gc":
                age_store(ref)
            started = time.monotonic()
            res = r.run(argv)
            durations.append(time.monotonic() - started)
            again = State(r, with_values=False)
            if res.returncode != OK or again.key() != after.key():
                sys.exit(f"`{name}` is not deterministic: a second unkilled run gave "
                         f"{describe(res)}, differing in {after.differences(again)}")
        duration = max(durations)
        if name != "gc" and before.key() == after.key():
            sys.exit(f"`{name}` does not change the dataset; the trials could not tell")
        counts = {"old": 0, "new": 0, "partial": 0, "violation": 0, "mid-run": 0,
                  "leftovers": 0}
        delays = []
        for t in range(args.trials):
            delay = crng.uniform(0, 1.2 * duration)
            delays.append(delay)
            store = work / f"trial-{t}"
            clone(templates[template], store, hardlinks)
            if not cli.gc_min_age and name == "gc":
                    age_store(store)
            try:
                outcome, mid, leftover = trial(cli, store, argv, delay, before, after,
                                        (old_files, new_files), crng)
                counts[outcome] += 1
                counts["mid-run"] += mid
                counts["leftovers"] += bool(leftover)
                shutil.rmtree(store, ignore_errors=True)
            except Violation as v:
                counts["violation"] += 1
                kept = work / "violations" / f"{name.replace(' ', '_')}-{t}"
                kept.parent.mkdir(exist_ok=True)
                shutil.move(str(store), kept)
                text = (f"{name}: trial {t}, seed {args.seed}, kill after {delay:.3f}s of "
                        f"{duration:.3f}s: {v} (store kept: {kept})")
                violations.append(text)
                log(f"VIOLATION: {text}")
        shutil.rmtree(ref, ignore_errors=True)
        results.append((name, duration, counts))
        print(f"  {name:<22} done: {counts}", flush=True)
    for name, path in templates.items():
        if fingerprint(path) != untouched[name]:
            sys.exit(f"template `{name}` changed through a hard link: the harness's copy "
                     f"assumption is wrong; results are void")
    wall = time.monotonic() - t0

    print()
    print(f"{'command':<22} {'run (s)':>8} {'trials':>7} {'mid-run':>8} {'old':>5} {'new':>5} "
          f"{'partial':>8} {'violation':>10} {'tmp-files':>10}")
    for name, duration, c in results:
        total = c["old"] + c["new"] + c["partial"] + c["violation"]
        print(f"{name:<22} {duration:>8.3f} {total:>7} {c['mid-run']:>8} {c['old']:>5} "
              f"{c['new']:>5} {c['partial']:>8} {c['violation']:>10} {c['leftovers']:>10}")
    print("run: longest of three unkilled runs; mid-run: killed while still running; partial: gc "
          "only (the same dataset, part of its garbage removed); tmp-files: `check` reported "
          "only temporary files of interrupted uploads (exit 7), which gc then removed")
    print(f"seed {args.seed}, wall time {wall:.1f}s, violations {len(violations)}")
    for v in violations:
        print(f"  - {v}")
    if temp_work and not args.keep and not violations:
        started = time.monotonic()
        shutil.rmtree(work, ignore_errors=True)
        print(f"removed the work directory in {time.monotonic() - started:.1f}s")
    elif violations or args.keep:
        print(f"work directory kept: {work}")
    sys.exit(1 if violations else 0)


if __name__ == "__main__":
    main()
