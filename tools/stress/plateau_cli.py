"""Helpers shared by the stress harnesses: finding (or building) the release `plateau`
binary, running it, and the optional CLI flags (`--min-age`, `--retries`).

Python 3 standard library only.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Exit codes of the CLI (see `plateau --help`).
OK, GENERIC, USAGE, NOT_FOUND, EXISTS, INVALID, CONFLICT, CHECK_FAILED = range(8)


def log(message):
    print(message, file=sys.stderr, flush=True)


def resolve_binary(path):
    """The plateau binary: `path` if given, else target/release/plateau of this repository,
    built with `cargo build --release -p plateau-cli` when it is missing."""
    if path:
        binary = Path(path).resolve()
        if not binary.is_file():
            sys.exit(f"--plateau {path}: no such file")
        return str(binary)
    binary = REPO / "target" / "release" / "plateau"
    if not binary.is_file():
        log(f"{binary} is missing: cargo build --release -p plateau-cli")
        subprocess.run(
            ["cargo", "build", "--release", "-p", "plateau-cli"], cwd=REPO, check=True
        )
    return str(binary)


def clean_env():
    """The environment for CLI runs: no store or thread settings inherited by accident."""
    env = dict(os.environ)
    env.pop("PLATEAU_STORE", None)
    env.pop("PLATEAU_THREADS", None)
    env.pop("PLATEAU_RETRIES", None)
    return env


class Plateau:
    """Runs one binary against one store directory."""

    def __init__(self, binary, store, retries=None):
        self.binary = binary
        self.store = str(store)
        self.env = clean_env()
        help_gc = self._help(["gc", "--help"])
        help_delete = self._help(["delete", "--help"])
        help_top = self._help(["--help"])
        self.gc_min_age = "--min-age" in help_gc
        self.delete_min_age = "--min-age" in help_delete
        self.has_retries = "--retries" in help_top
        self.retries = retries
        if retries is not None and not self.has_retries:
            log("warning: this plateau has no --retries; running with its default")

    def _help(self, args):
        out = subprocess.run(
            [self.binary, *args], capture_output=True, text=True, env=self.env
        )
        return out.stdout + out.stderr

    def with_store(self, store):
        """The same binary and flags against another store."""
        other = object.__new__(Plateau)
        other.__dict__.update(self.__dict__)
        other.store = str(store)
        return other

    def argv(self, args):
        argv = [self.binary, "--store", self.store, "-q"]
        if self.retries is not None and self.has_retries:
            argv += ["--retries", str(self.retries)]
        return argv + list(args)

    def run(self, args, timeout=600, input_text=None):
        """Runs to completion; returns CompletedProcess (text mode). A timeout is reported
        as returncode None."""
        try:
            return subprocess.run(
                self.argv(args),
                capture_output=True,
                text=True,
                env=self.env,
                timeout=timeout,
                input=input_text,
            )
        except subprocess.TimeoutExpired as e:
            return subprocess.CompletedProcess(
                self.argv(args), None, e.stdout or "", f"timed out after {timeout}s"
            )

    def popen(self, args):
        return subprocess.Popen(
            self.argv(args),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=self.env,
        )

    def min_age_args(self, command, min_age):
        """`--min-age MIN_AGE` for gc/delete when the binary has it, else nothing (the
        binary's default then applies; see `age_store`)."""
        supported = self.gc_min_age if command == "gc" else self.delete_min_age
        return ["--min-age", min_age] if supported else []

    def maintenance(self, command, uuid, min_age, timeout=600):
        """`gc`/`delete` UUID with `--min-age MIN_AGE`. On a binary without the flag and
        `min_age == "0"`, every file of the store is first aged by two hours (mtime), so the
        binary's default minimum age (one hour) lets it remove everything it would remove
        with `--min-age 0`."""
        flag = self.min_age_args(command, min_age)
        if not flag and min_age == "0":
            age_store(self.store)
        return self.run([command, uuid, *flag], timeout=timeout)


def age_store(root, seconds=7200):
    """Sets the mtime of every file below `root` `seconds` into the past."""
    then = time.time() - seconds
    for directory, _, files in os.walk(root):
        for name in files:
            try:
                os.utime(os.path.join(directory, name), (then, then), follow_symlinks=False)
            except FileNotFoundError:
                pass


def describe(proc):
    """One line about a finished CompletedProcess."""
    err = (proc.stderr or "").strip().replace("\n", " | ")
    return f"exit {proc.returncode}: {err[:400]}"
