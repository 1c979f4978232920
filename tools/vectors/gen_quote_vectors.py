#!/usr/bin/env python3
"""Generate ``core/tests/vectors/quote.json``: percent-quoting vectors from Python itself.

plateau quotes partition labels with ``urlquote`` (``PYTHON_3_7_QUOTING``), which behaves
exactly like ``urllib.parse.quote(s, safe="/")``, and unquotes with ``urlquote.unquote``
followed by a strict UTF-8 decode. This script records, for a fixed list of inputs:

* ``quote``: ``urllib.parse.quote(input, safe="/")`` -- plateau's quoting;
* ``quote_component``: ``urllib.parse.quote(input, safe="")`` -- the Rust port's quoting of a
  partition value, which also escapes ``/`` (plateau's ``/`` bug, reference section 2.4);
* ``unquote_hex``: the bytes of unquoting ``input`` itself (``%XX`` in either case decoded,
  malformed escapes kept literally, no ``+`` to space), as lowercase hex. (plateau's
  ``urlquote`` additionally truncates at the first NUL byte; that bug is not reproduced);
* ``unquote``: those bytes strictly decoded as UTF-8, or ``null`` when that fails (plateau
  raises ``UnicodeDecodeError``).

Only the standard library is used, so any Python 3 runs it; the output is deterministic
(fixed inputs, no randomness, stable key order). When plateau's ``urlquote`` package happens to
be importable, every record is additionally checked against it; that check never changes the
output.

Usage::

    python3 tools/vectors/gen_quote_vectors.py [--output core/tests/vectors/quote.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUTPUT = REPO / "core" / "tests" / "vectors" / "quote.json"


def plateau_unquote_bytes(text: str) -> bytes:
    """plateau's unquote before decoding: ``%XX`` (either case) decoded, the rest literal.

    ``urllib.parse.unquote_to_bytes`` has exactly these semantics: it does not turn ``+``
    into a space (that is ``unquote_plus``) and keeps malformed escapes as they are.
    """
    return urllib.parse.unquote_to_bytes(text)


def plateau_unquote(text: str) -> str | None:
    """plateau's ``unquote``: the strict UTF-8 decode of the bytes; ``None`` when it fails."""
    try:
        return plateau_unquote_bytes(text).decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return None


def inputs() -> list[str]:
    """The fixed, ordered list of inputs (duplicates removed, first occurrence kept)."""
    cases: list[str] = [""]
    # Every ASCII byte alone, embedded between letters, and doubled.
    for code in range(128):
        c = chr(code)
        cases += [c, f"a{c}b", c + c]
    # Multibyte UTF-8: 2, 3 and 4 byte sequences, combining marks, a BOM, CJK.
    cases += [
        "ö",
        "Ö/ä",
        "straße",
        "€",
        "€100",
        "😀",
        "a😀b",
        "👩‍👩‍👧",
        "日本語",
        "中文/路径",
        "e\u0301",
        "\ufeff",
        "\u00a0",
        "\u2028",
        "\U0010ffff",
        "ö/x",
        "a/b=c",
        "a b=c&d",
    ]
    # '%' in every position, valid escapes of both cases, and their mixtures.
    cases += [
        "%",
        "%%",
        "%%%",
        "%41",
        "%4a",
        "%4A",
        "%2F",
        "%2f",
        "a%2Fb",
        "%20",
        "%25",
        "%2525",
        "%C3%B6",
        "%c3%b6",
        "%C3%b6",
        "%E2%82%AC",
        "%F0%9F%98%80",
        "100%",
        "100% sure",
        "%u00f6",
        "a%",
        "a%4",
        "%41%42%43",
        "+",
        "a+b",
        "%2B",
        "1e+20",
        "%00",
        "%7F",
        "%80",
        "%FF",
    ]
    # Malformed escapes are kept literally; lone or truncated UTF-8 fails to decode.
    cases += [
        "%zz",
        "%z1",
        "%1z",
        "%4",
        "%%41",
        "%%4",
        "%4%41",
        "%G0",
        "% 41",
        "%-1",
        "%e4",
        "%E4",
        "%e4%B6",
        "%C3",
        "%C3%",
        "%C3%B",
        "%C3%28",
        "%ED%A0%80",
        "%F0%9F%98",
        "%C0%AF",
        "%F8%88%80%80%80",
        "ö%e4",
        "%41%e4",
    ]
    seen: set[str] = set()
    ordered = []
    for case in cases:
        if case not in seen:
            seen.add(case)
            ordered.append(case)
    return ordered


def record(text: str) -> dict[str, object]:
    """One vector for ``text``."""
    unquoted = plateau_unquote_bytes(text)
    return {
        "input": text,
        "quote": urllib.parse.quote(text, safe="/"),
        "quote_component": urllib.parse.quote(text, safe=""),
        "unquote_hex": unquoted.hex(),
        "unquote": plateau_unquote(text),
    }


def cross_check_with_urlquote(records: list[dict[str, object]]) -> bool:
    """Compare with plateau's own ``urlquote`` when it is installed; ``False`` if it is not."""
    try:
        from urlquote import quote as uq_quote  # type: ignore[import-not-found]
        from urlquote import unquote as uq_unquote  # type: ignore[import-not-found]
        from urlquote.quoting import PYTHON_3_7_QUOTING  # type: ignore[import-not-found]
    except ImportError:
        return False
    for rec in records:
        text = rec["input"]
        assert isinstance(text, str)
        theirs = uq_quote(text, quoting=PYTHON_3_7_QUOTING).decode("utf-8")
        if theirs != rec["quote"]:
            raise SystemExit(f"urlquote.quote({text!r}) = {theirs!r} != {rec['quote']!r}")
        # urlquote's unquote stops at the first NUL byte, literal or decoded from %00 (a
        # C-string artefact: plateau reads the value "a\x00b" back as "a"). The vectors keep
        # the standard semantics the Rust port implements; only that truncation is tolerated.
        ours = bytes.fromhex(str(rec["unquote_hex"])).split(b"\x00", 1)[0]
        theirs_bytes = uq_unquote(text)
        if theirs_bytes != ours:
            raise SystemExit(f"urlquote.unquote({text!r}) = {theirs_bytes!r} != {ours!r}")
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args()

    records = [record(text) for text in inputs()]
    checked = cross_check_with_urlquote(records)
    document = {
        "generator": "tools/vectors/gen_quote_vectors.py",
        "description": (
            "quote = urllib.parse.quote(input, safe='/'); quote_component = "
            "urllib.parse.quote(input, safe=''); unquote_hex = bytes of "
            "urllib.parse.unquote_to_bytes(input); unquote = their strict UTF-8 decode or null"
        ),
        "vectors": records,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8", newline="\n") as f:
        json.dump(document, f, ensure_ascii=True, indent=1)
        f.write("\n")
    note = "checked against urlquote" if checked else "urlquote not installed, not cross-checked"
    print(f"wrote {len(records)} vectors to {args.output} ({note})", file=sys.stderr)


if __name__ == "__main__":
    main()
