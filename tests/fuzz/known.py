"""Bugs the fuzzer found that are reported and not fixed yet; each has a strict-xfail test in
test_known_bugs.py that starts to pass (and so fails as XPASS) once it is fixed.

The property test ignores an unhandled error only when its traceback shows one of these
exact causes; every other error, and every foreign change, fails it.
"""

from __future__ import annotations

from bench.fuzzing.play import Finding

KNOWN_BUGS = {
    # Button data ints are not bounded (bot/engine/buttons.py `_decode`): a forged press with
    # an id past the column's range fails in the driver instead of being refused as invalid.
    "out-of-range id in button data": (
        "too large to convert to SQLite INTEGER",
        "value out of int32 range",
        "value out of int64 range",
    ),
    # PostgreSQL text cannot hold U+0000; nothing strips it from what people type.
    "NUL character in text on PostgreSQL": ('invalid byte sequence for encoding "UTF8": 0x00',),
}


def known_bug(finding: Finding) -> str | None:
    """The name of the known bug behind an unhandled-error finding, if it is one."""
    if finding.kind != "unhandled":
        return None
    for name, markers in KNOWN_BUGS.items():
        if any(marker in finding.detail for marker in markers):
            return name
    return None
