#!/usr/bin/env python3
"""Multi-process writer stress test of the `plateau` CLI against one local directory store.

N concurrent workers (threads, each driving its own `plateau` processes) run M rounds. Every
round starts at a barrier, so the CLI processes of one round really race:

* creates: every worker runs `plateau write race-<round>` of one new uuid, `x` as int64 on
  even workers and as string on odd ones. Exactly one must win (exit 0); the others must
  exit 6 (conflict) or 4 (exists). The winner's rows and type must be what is stored.
* appends: workers with `i % 4 != 3` append one small JSONL file (ids `<proc>-<round>-<row>`,
  spread over shared partitions `part=s0..s3`) to dataset `stress` with `plateau update`.
  The CLI retries lost commits itself, so every append must exit 0 (the harness never
  retries); an exit 6 is a failure of the test.
* disjoint delete scopes: workers with `i % 4 == 3` own `part=own<i>` and replace it with
  `plateau update stress --delete-scope part=own<i>` and new rows. At the end the partition
  must hold exactly the rows of the owner's last successful replacement.
* gc: one more thread loops `plateau gc stress --min-age 5s` (and gc of the current race
  uuid) while the workers run.
* compaction: one more thread loops `plateau compact stress` (all small files of a
  partition merged into one) while the workers run. It must exit 0, or 6 when a
  replacement removed a partition it merged; appends that land meanwhile must survive.

At the end: every expected row exactly once, rows equal to what was written, nothing from a
failed or superseded write, every value of the `grp` index reads back its rows, `plateau
check` passes for every dataset; then `gc --min-age 0` on every dataset and the same checks
again. Prints a summary; exits 1 on any violation.

    python3 tools/stress/stress.py [--processes 16] [--rounds 10] [--store DIR] [--seed N]
"""

import argparse
import collections
import json
import random
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ next to the scripts
sys.path.insert(0, str(Path(__file__).resolve().parent))
from plateau_cli import CONFLICT, EXISTS, OK, Plateau, describe, log, resolve_binary  # noqa: E402

DATASET = "stress"
SHARED_PARTS = 4
GROUPS = 5
INT_TYPES = {"Int64"}
STRING_TYPES = {"LargeUtf8", "Utf8", "Utf8View"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--processes", type=int, default=16, help="concurrent workers (default 16)")
    p.add_argument("--rounds", type=int, default=10, help="rounds per worker (default 10)")
    p.add_argument("--rows", type=int, default=20, help="rows per input file (default 20)")
    p.add_argument("--store", help="store directory (default: a new temporary directory)")
    p.add_argument("--seed", type=int, help="random seed (default: from the clock)")
    p.add_argument("--plateau", help="the plateau binary (default: target/release/plateau)")
    p.add_argument("--retries", type=int, help="pass --retries N to every CLI call")
    p.add_argument("--gc-min-age", default="5s", help="--min-age of the concurrent gc (5s)")
    p.add_argument("--keep", action="store_true", help="keep the temporary store")
    args = p.parse_args()
    if args.processes < 1 or args.rounds < 1 or args.rows < 1:
        p.error("--processes, --rounds and --rows must be at least 1")
    return args


def is_owner(proc):
    return proc % 4 == 3


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for row in rows:
            f.write(json.dumps(row, sort_keys=True) + "\n")


class Run:
    """Everything the workers record (appended under one lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ops = []  # dicts: kind, proc, round, code, seconds, ids, stderr
        self.gc_runs = collections.Counter()  # (uuid kind, exit code) -> n
        self.compact_runs = collections.Counter()  # exit code -> n
        self.compact_merges = 0  # successful runs that merged files
        self.gc_failures = []
        self.violations = []

    def record(self, **op):
        with self.lock:
            self.ops.append(op)

    def violation(self, text):
        with self.lock:
            self.violations.append(text)
        log(f"VIOLATION: {text}")


def make_rows(proc, rnd, rows, rng, part_of):
    out = []
    for k in range(rows):
        out.append(
            {
                "id": f"{proc}-{rnd}-{k}",
                "part": part_of(k),
                "proc": proc,
                "round": rnd,
                "row": k,
                "grp": f"g{rng.randrange(GROUPS)}",
            }
        )
    return out


def worker(proc, args, cli, inputs, barrier, run, seed):
    rng = random.Random(seed * 1_000_003 + proc)
    for rnd in range(args.rounds):
        try:
            barrier.wait(timeout=900)
        except threading.BrokenBarrierError:
            run.violation(f"worker {proc}: barrier broken in round {rnd}")
            return
        # (c) the create race of this round
        race = f"race-{rnd}"
        xs = [(k if proc % 2 == 0 else f"s{proc}-{k}") for k in range(3)]
        path = inputs / f"race-{rnd}-{proc}.jsonl"
        write_jsonl(path, [{"x": x, "proc": proc, "p": f"p{k % 2}"} for k, x in enumerate(xs)])
        started = time.monotonic()
        res = cli.run(["write", race, str(path), "--partition-on", "p"])
        run.record(kind="create", proc=proc, round=rnd, code=res.returncode,
                   seconds=time.monotonic() - started, ids=[], stderr=res.stderr)
        # (a) an append or (b) the replacement of the own partition
        if is_owner(proc):
            rows = make_rows(proc, rnd, args.rows, rng, lambda k: f"own{proc}")
            kind, extra = "replace", ["--delete-scope", f"part=own{proc}"]
        else:
            rows = make_rows(proc, rnd, args.rows, rng,
                             lambda k: f"s{(proc + rnd + k) % SHARED_PARTS}")
            kind, extra = "append", []
        path = inputs / f"{kind}-{rnd}-{proc}.jsonl"
        write_jsonl(path, rows)
        started = time.monotonic()
        res = cli.run(["update", DATASET, str(path), *extra])
        run.record(kind=kind, proc=proc, round=rnd, code=res.returncode,
                   seconds=time.monotonic() - started, rows=rows, stderr=res.stderr)


def gc_loop(cli, args, run, stop, current_round):
    rng = random.Random(args.seed)
    while not stop.is_set():
        for uuid, kind in ((DATASET, "stress"), (f"race-{current_round()}", "race")):
            res = cli.run(["gc", uuid, *cli.min_age_args("gc", args.gc_min_age)])
            with run.lock:
                run.gc_runs[(kind, res.returncode)] += 1
            # A race uuid may not exist yet (exit 3); the stress dataset always does.
            if res.returncode != OK and not (kind == "race" and res.returncode == 3):
                run.violation(f"gc {uuid} --min-age {args.gc_min_age}: {describe(res)}")
        stop.wait(rng.uniform(0.05, 0.3))


def compact_loop(cli, args, run, stop):
    rng = random.Random(args.seed + 1)
    while not stop.is_set():
        res = cli.run(["compact", DATASET])
        with run.lock:
            run.compact_runs[res.returncode] += 1
            # stdout: a header, then one line per partition-key combination compacted.
            if res.returncode == OK and len(res.stdout.splitlines()) > 1:
                run.compact_merges += 1
        if res.returncode not in (OK, CONFLICT):
            run.violation(f"compact {DATASET}: {describe(res)}")
        stop.wait(rng.uniform(0.05, 0.3))


def read_jsonl(cli, uuid, extra=()):
    res = cli.run(["read", uuid, "--format", "jsonl", *extra])
    if res.returncode != OK:
        return None, res
    return [json.loads(line) for line in res.stdout.splitlines() if line.strip()], res


def verify(cli, args, run, expected, forbidden, winners, label):
    """Checks the final state; returns (lost, duplicated, unexpected) row counts."""
    rows, res = read_jsonl(cli, DATASET)
    if rows is None:
        run.violation(f"[{label}] read {DATASET}: {describe(res)}")
        return len(expected), 0, 0
    counts = collections.Counter(r["id"] for r in rows)
    lost = [i for i in expected if counts[i] == 0]
    duplicated = sum(n - 1 for n in counts.values() if n > 1)
    unexpected = [i for i in counts if i not in expected]
    if lost:
        run.violation(f"[{label}] {len(lost)} lost rows, e.g. {sorted(lost)[:5]}")
    if duplicated:
        dups = sorted(i for i, n in counts.items() if n > 1)
        run.violation(f"[{label}] {duplicated} duplicated rows, e.g. {dups[:5]}")
    if unexpected:
        why = collections.Counter(forbidden.get(i, "never written") for i in unexpected)
        run.violation(f"[{label}] {len(unexpected)} unexpected rows ({dict(why)}), "
                      f"e.g. {sorted(unexpected)[:5]}")
    wrong = [r["id"] for r in rows if r["id"] in expected and r != expected[r["id"]]]
    if wrong:
        i = wrong[0]
        got = next(r for r in rows if r["id"] == i)
        run.violation(f"[{label}] {len(wrong)} rows differ from what was written, e.g. "
                      f"{got} != {expected[i]}")
    # The secondary index: every value reads back exactly its rows.
    for g in range(GROUPS):
        value = f"g{g}"
        got, res = read_jsonl(cli, DATASET, ["--where", f"grp == '{value}'", "--columns", "id"])
        want = sorted(i for i, r in expected.items() if r["grp"] == value)
        if got is None:
            run.violation(f"[{label}] read --where grp == '{value}': {describe(res)}")
        elif sorted(r["id"] for r in got) != want:
            have = collections.Counter(r["id"] for r in got)
            missing = [i for i in want if have[i] == 0]
            run.violation(f"[{label}] index grp == '{value}': {len(got)} rows read, "
                          f"{len(want)} expected, missing e.g. {missing[:5]}")
    res = cli.run(["check", DATASET])
    if res.returncode != OK:
        run.violation(f"[{label}] check {DATASET}: {describe(res)} {res.stdout[:400]}")
    # The create races.
    for rnd, (winner, winner_rows) in sorted(winners.items()):
        race = f"race-{rnd}"
        res = cli.run(["check", race])
        if res.returncode != OK:
            run.violation(f"[{label}] check {race}: {describe(res)} {res.stdout[:400]}")
        if winner is None:
            continue
        res = cli.run(["schema", race])
        types = dict(line.split(": ", 1) for line in res.stdout.splitlines() if ": " in line)
        want_types = INT_TYPES if winner % 2 == 0 else STRING_TYPES
        if res.returncode != OK or types.get("x") not in want_types:
            run.violation(f"[{label}] schema {race}: x is {types.get('x')!r}, the winner "
                          f"(worker {winner}) wrote {'int' if winner % 2 == 0 else 'string'} "
                          f"({describe(res)})")
        got, res = read_jsonl(cli, race)
        if got is None:
            run.violation(f"[{label}] read {race}: {describe(res)}")
            continue
        canon = sorted(json.dumps(r, sort_keys=True) for r in got)
        if canon != winner_rows:
            run.violation(f"[{label}] {race}: rows are not the winner's (worker {winner}): "
                          f"{canon[:3]}")
    return len(lost), duplicated, len(unexpected)


def main():
    args = parse_args()
    if args.seed is None:
        args.seed = int(time.time() * 1000) % 1_000_000
    binary = resolve_binary(args.plateau)
    temp_store = args.store is None
    store = Path(tempfile.mkdtemp(prefix="plateau-stress-")) if temp_store else Path(args.store)
    if store.exists() and any(store.iterdir()):
        sys.exit(f"--store {store}: must be empty or not exist")
    store.mkdir(parents=True, exist_ok=True)
    inputs = Path(tempfile.mkdtemp(prefix="plateau-stress-inputs-"))
    cli = Plateau(binary, store, args.retries)
    if not cli.gc_min_age:
        log("warning: this plateau has no `gc --min-age`; the concurrent gc runs with its "
            "default minimum age and the final gc ages the files instead")
    print(f"stress: seed {args.seed}, {args.processes} processes x {args.rounds} rounds, "
          f"store {store}, plateau {binary}", flush=True)
    t0 = time.monotonic()
    run = Run()

    # The dataset everybody appends to: the shared partitions and an index on `grp`.
    init_rng = random.Random(args.seed)
    init_rows = make_rows("init", 0, 4 * SHARED_PARTS, init_rng, lambda k: f"s{k % SHARED_PARTS}")
    for r in init_rows:
        r["proc"], r["round"] = -1, -1
    write_jsonl(inputs / "init.jsonl", init_rows)
    res = cli.run(["write", DATASET, str(inputs / "init.jsonl"),
                   "--partition-on", "part", "--index", "grp"])
    if res.returncode != OK:
        sys.exit(f"creating {DATASET}: {describe(res)}")

    barrier = threading.Barrier(args.processes)
    round_now = [0]
    stop = threading.Event()

    def current_round():
        return round_now[0]

    workers = [
        threading.Thread(target=worker, args=(p, args, cli, inputs, barrier, run, args.seed),
                         name=f"worker-{p}")
        for p in range(args.processes)
    ]
    gc_thread = threading.Thread(target=gc_loop, args=(cli, args, run, stop, current_round))
    compact_thread = threading.Thread(target=compact_loop, args=(cli, args, run, stop))
    t_work = time.monotonic()
    gc_thread.start()
    compact_thread.start()
    for w in workers:
        w.start()
    # Follow the rounds for the gc thread: a round is over when all its ops are recorded.
    while any(w.is_alive() for w in workers):
        with run.lock:
            done = collections.Counter(op["round"] for op in run.ops if op["kind"] == "create")
        while done[round_now[0]] == args.processes and round_now[0] < args.rounds - 1:
            round_now[0] += 1
        time.sleep(0.05)
    for w in workers:
        w.join()
    stop.set()
    gc_thread.join()
    compact_thread.join()
    work_seconds = time.monotonic() - t_work

    # What must be there, and what must not.
    expected = {r["id"]: dict(r) for r in init_rows}
    forbidden = {}
    last_replacement = {}
    winners = {}
    by_kind = collections.defaultdict(collections.Counter)
    for op in run.ops:
        by_kind[op["kind"]][op["code"]] += 1
    for op in sorted(run.ops, key=lambda o: (o["round"], o["proc"])):
        if op["kind"] == "append":
            if op["code"] == OK:
                for r in op["rows"]:
                    expected[r["id"]] = r
            else:
                for r in op["rows"]:
                    forbidden[r["id"]] = "failed append"
                what = "a conflict after the CLI's retries" if op["code"] == CONFLICT else "failed"
                run.violation(f"append of worker {op['proc']} round {op['round']}: {what}: "
                              f"exit {op['code']}: {op['stderr'].strip()[:300]}")
        elif op["kind"] == "replace":
            if op["code"] == OK:
                last_replacement[op["proc"]] = op
            else:
                for r in op["rows"]:
                    forbidden[r["id"]] = "failed replacement"
                if op["code"] != CONFLICT:
                    run.violation(f"replacement of worker {op['proc']} round {op['round']}: "
                                  f"exit {op['code']}: {op['stderr'].strip()[:300]}")
    for op in run.ops:
        if op["kind"] == "replace" and op["code"] == OK:
            if last_replacement[op["proc"]] is op:
                for r in op["rows"]:
                    expected[r["id"]] = r
            else:
                for r in op["rows"]:
                    forbidden[r["id"]] = "superseded replacement"
    for rnd in range(args.rounds):
        ops = [o for o in run.ops if o["kind"] == "create" and o["round"] == rnd]
        won = [o for o in ops if o["code"] == OK]
        bad = [o for o in ops if o["code"] not in (OK, CONFLICT, EXISTS)]
        if len(won) != 1:
            run.violation(f"race-{rnd}: {len(won)} creators won (exit 0), expected exactly one")
        for o in bad:
            run.violation(f"race-{rnd}: creator {o['proc']} exit {o['code']} (expected 0, 4 "
                          f"or 6): {o['stderr'].strip()[:300]}")
        if len(won) == 1:
            w = won[0]["proc"]
            xs = [(k if w % 2 == 0 else f"s{w}-{k}") for k in range(3)]
            winners[rnd] = (w, sorted(json.dumps({"x": x, "proc": w, "p": f"p{k % 2}"},
                                                 sort_keys=True) for k, x in enumerate(xs)))
        else:
            winners[rnd] = (None, None)

    lost, duplicated, unexpected = verify(cli, args, run, expected, forbidden, winners,
                                          "after the run")
    # gc with no minimum age must remove only garbage: the same checks again.
    for uuid in [DATASET] + [f"race-{r}" for r in range(args.rounds)]:
        res = cli.maintenance("gc", uuid, "0")
        if res.returncode != OK:
            run.violation(f"final gc {uuid} --min-age 0: {describe(res)}")
    lost2, dup2, unexp2 = verify(cli, args, run, expected, forbidden, winners,
                                 "after gc --min-age 0")
    wall = time.monotonic() - t0

    attempts = len(run.ops)
    successes = sum(1 for o in run.ops if o["code"] == OK)
    conflicts = sum(1 for o in run.ops if o["code"] == CONFLICT)
    print()
    print("summary")
    print(f"  seed                 {args.seed}")
    print(f"  processes            {args.processes} ({sum(not is_owner(p) for p in range(args.processes))} "
          f"appenders, {sum(is_owner(p) for p in range(args.processes))} partition owners)")
    print(f"  rounds               {args.rounds}")
    print(f"  attempts             {attempts}")
    print(f"  successes            {successes}")
    print(f"  conflicts (exit 6)   {conflicts}")
    for kind in ("append", "replace", "create"):
        codes = by_kind[kind]
        text = ", ".join(f"exit {c}: {n}" for c, n in sorted(codes.items(), key=str))
        secs = [o["seconds"] for o in run.ops if o["kind"] == kind]
        slowest = f", slowest {max(secs):.2f}s" if secs else ""
        print(f"    {kind:<8}           {sum(codes.values())} attempts ({text}){slowest}")
    gc_text = ", ".join(f"{k} exit {c}: {n}" for (k, c), n in sorted(run.gc_runs.items()))
    print(f"  concurrent gc runs   {sum(run.gc_runs.values())} ({gc_text})")
    compact_text = ", ".join(f"exit {c}: {n}" for c, n in sorted(run.compact_runs.items()))
    print(f"  concurrent compacts  {sum(run.compact_runs.values())} ({compact_text}; "
          f"{run.compact_merges} merged files)")
    if not run.compact_merges:
        run.violation("no concurrent compaction merged anything: the race was not exercised")
    print(f"  rows expected        {len(expected)}")
    print(f"  lost rows            {lost} (after final gc: {lost2})")
    print(f"  duplicated rows      {duplicated} (after final gc: {dup2})")
    print(f"  unexpected rows      {unexpected} (after final gc: {unexp2})")
    print(f"  races won            {sum(1 for w, _ in winners.values() if w is not None)}"
          f"/{args.rounds}")
    print(f"  worker phase         {work_seconds:.1f}s")
    print(f"  wall time            {wall:.1f}s")
    print(f"  violations           {len(run.violations)}")
    for v in run.violations[:50]:
        print(f"    - {v}")
    shutil.rmtree(inputs, ignore_errors=True)
    if temp_store and not args.keep and not run.violations:
        shutil.rmtree(store, ignore_errors=True)
    elif run.violations:
        print(f"store kept for inspection: {store}")
    sys.exit(1 if run.violations else 0)


if __name__ == "__main__":
    main()
