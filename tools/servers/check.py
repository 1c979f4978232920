#!/usr/bin/env python3
"""Smoke test of the servers started by tools/servers/start.sh.

    tools/servers/check.py STATE_DIR

Reads STATE_DIR/env and checks, over plain HTTP with the standard library,
the conditional-write behaviour a compare-and-swap commit relies on:

  create:  PUT If-None-Match: *   -> created, then refused once the key exists
  read:    GET                    -> the bytes and an ETag
  update:  PUT If-Match: <etag>   -> accepted; with a stale etag -> 412
  race:    8 concurrent creates of one new key, then 8 concurrent updates
           against one etag -> exactly one of each must win (3 rounds)

S3 (moto) requests are SigV4-signed with the env file's credentials (moto
does not verify signatures, but it applies object ACLs to unsigned requests);
Azure (Azurite) requests are SharedKey-signed with the account key.
Prints what each server answered; exits 1 if any precondition was not
honoured, 2 on a usage or connection error.
"""

import concurrent.futures
import os
import re
import shlex
import sys
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import serverlib  # noqa: E402

RACERS = 8
ROUNDS = 3


def load_env(state_dir):
    env = {}
    with open(os.path.join(state_dir, "env"), encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("export "):
                continue
            key, _, value = line[len("export "):].partition("=")
            parts = shlex.split(value)
            env[key] = parts[0] if parts else ""
    return env


def error_code(headers, body):
    code = headers.get("x-ms-error-code") if headers else None
    if not code:
        m = re.search(rb"<Code>([^<]+)</Code>", body or b"")
        code = m.group(1).decode() if m else ""
    return code


class Report:
    def __init__(self):
        self.failures = []

    def step(self, server, what, expected, status, headers=None, body=b"", note=""):
        ok = status in expected
        code = error_code(headers, body)
        want = "/".join(str(e) for e in expected)
        line = f"{server:6} {what:44} -> {status}{' ' + code if code else ''}"
        line += f"  (want {want})  {'ok' if ok else 'FAIL'}"
        if note:
            line += f"  {note}"
        print(line, flush=True)
        if not ok:
            self.failures.append(f"{server}: {what}: got {status}, want {want}")
        return ok


class S3:
    name = "s3"

    def __init__(self, env):
        self.base = env["AWS_ENDPOINT"].rstrip("/")
        self.bucket = env["PLATEAU_TEST_S3_URL"].split("://", 1)[1].strip("/")
        self.credentials = (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"],
                            env["AWS_REGION"])
        self.created = (200,)
        self.exists = (412,)

    def url(self, key):
        return f"{self.base}/{self.bucket}/{key}"

    def put(self, key, body, headers=None):
        return serverlib.s3_request("PUT", self.url(key), body, headers, self.credentials)

    def get(self, key):
        return serverlib.s3_request("GET", self.url(key), b"", None, self.credentials)


class Azure:
    name = "azure"

    def __init__(self, env):
        self.base = env["AZURITE_BLOB_STORAGE_URL"].rstrip("/")
        self.account = env["AZURE_STORAGE_ACCOUNT_NAME"]
        self.key = env["AZURE_STORAGE_ACCOUNT_KEY"]
        self.container = env["PLATEAU_TEST_AZURE_URL"].split("://", 1)[1].strip("/")
        self.created = (201,)
        self.exists = (409, 412)

    def url(self, key):
        return f"{self.base}/{self.account}/{self.container}/{key}"

    def _req(self, method, key, body=b"", headers=None):
        url = self.url(key)
        h = dict(headers or {})
        if method == "PUT":
            h["x-ms-blob-type"] = "BlockBlob"
            h["Content-Length"] = str(len(body))
            h["Content-Type"] = "application/octet-stream"
        h = serverlib.az_sign(method, url, h, self.account, self.key)
        return serverlib.request(method, url, body, h)

    def put(self, key, body, headers=None):
        return self._req("PUT", key, body, headers)

    def get(self, key):
        return self._req("GET", key)


def race(store, key, headers, rep, what):
    """RACERS concurrent PUTs with the same precondition; exactly one may win."""
    # Every body is unique: S3 ETags are content MD5s, so a racer writing the
    # bytes already stored would keep the ETag and legitimately pass If-Match.
    def one(i):
        return store.put(key, f"racer {i} {uuid.uuid4()}".encode(), headers)[0]

    with concurrent.futures.ThreadPoolExecutor(RACERS) as pool:
        statuses = sorted(pool.map(one, range(RACERS)))
    wins = sum(1 for s in statuses if s in store.created)
    losers_ok = all(s in store.created or s in (409, 412) for s in statuses)
    summary = ",".join(str(s) for s in statuses)
    print(f"{store.name:6} {what:44} -> winners {wins}/{RACERS} [{summary}]  "
          f"(want 1)  {'ok' if wins == 1 and losers_ok else 'FAIL'}", flush=True)
    if wins != 1 or not losers_ok:
        rep.failures.append(f"{store.name}: {what}: {wins} winners [{summary}]")


def check_store(store, rep):
    tag = f"check-{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    key = f"{tag}/commit.json"
    v1, v2, v3 = b'{"version": 1}', b'{"version": 2}', b'{"version": 3}'

    st, h, b = store.put(key, v1, {"If-None-Match": "*"})
    rep.step(store.name, "PUT If-None-Match:* (new key)", store.created, st, h, b)
    etag1 = h.get("ETag") if h else None

    st, h, b = store.put(key, v2, {"If-None-Match": "*"})
    rep.step(store.name, "PUT If-None-Match:* (key exists)", store.exists, st, h, b)

    st, h, b = store.get(key)
    etag = h.get("ETag") if h else None
    ok = rep.step(store.name, "GET", (200,), st, h, b, note=f"ETag {etag}")
    if ok and b != v1:
        rep.failures.append(f"{store.name}: GET returned {b!r}, want {v1!r}")
        print(f"{store.name:6} GET body {b!r} != {v1!r}  FAIL")
    if etag1 and etag and etag1 != etag:
        print(f"{store.name:6} note: PUT ETag {etag1} != GET ETag {etag}")

    st, h, b = store.put(key, v2, {"If-Match": etag or '"missing"'})
    rep.step(store.name, "PUT If-Match:<current etag>", store.created, st, h, b,
             note=f"new ETag {h.get('ETag') if h else None}")

    st, h, b = store.put(key, v3, {"If-Match": etag or '"missing"'})
    rep.step(store.name, "PUT If-Match:<stale etag>", (412,), st, h, b)

    st, h, b = store.put(key, v3, {"If-Match": '"0123456789abcdef"'})
    rep.step(store.name, "PUT If-Match:<made-up etag>", (412,), st, h, b)

    st, h, b = store.get(key)
    if b != v2:
        rep.failures.append(f"{store.name}: after the updates GET returned {b!r}, want {v2!r}")
        print(f"{store.name:6} GET after updates {b!r} != {v2!r}  FAIL")

    st, h, b = store.put(f"{tag}/absent.json", v1, {"If-Match": etag or '"x"'})
    rep.step(store.name, "PUT If-Match on a missing key", (404, 412), st, h, b)

    for r in range(1, ROUNDS + 1):
        race_key = f"{tag}/race-{r}.json"
        race(store, race_key, {"If-None-Match": "*"}, rep,
             f"race {r}: {RACERS}x PUT If-None-Match:*")
        st, h, b = store.get(race_key)
        race(store, race_key, {"If-Match": h.get("ETag", '"x"')}, rep,
             f"race {r}: {RACERS}x PUT If-Match:<same etag>")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    env = load_env(sys.argv[1])
    rep = Report()
    for store in (S3(env), Azure(env)):
        print(f"== {store.name}: {store.base}", flush=True)
        try:
            check_store(store, rep)
        except OSError as err:
            print(f"{store.name}: cannot reach {store.base}: {err}", file=sys.stderr)
            return 2
    if rep.failures:
        print(f"{len(rep.failures)} precondition check(s) failed:")
        for f in rep.failures:
            print(f"  {f}")
        return 1
    print("all preconditions honoured")
    return 0


if __name__ == "__main__":
    sys.exit(main())
