"""Reading one row's cells through the checks each column needs."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.importer.table import Row
from storage.repos.compounds import normalize_unit_label

# BigInteger columns hold telegram ids; anything larger cannot be stored.
MAX_ID = 2**63 - 1
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


class Cells:
    """The values of one data row. Each reader checks a cell and returns its value; a failed
    check notes the reason (the operator sees all of a row's reasons, `line N: a; b`) and
    returns an empty value, so one pass finds every mistake in the row."""

    def __init__(self, row: Row) -> None:
        self.line = row.line
        self._values = row.values
        self.reasons: list[str] = []

    def fail(self, reason: str) -> None:
        self.reasons.append(reason)

    def optional(self, column: str, *, max_length: int) -> str | None:
        value = self._values.get(column, "")
        if not value:
            return None
        if len(value) > max_length:
            self.fail(f"{column} is longer than {max_length} characters")
            return None
        return value

    def required(self, column: str, *, max_length: int) -> str:
        """The cell's text; "" when it is empty or too long (the reason is noted)."""
        if not self._values.get(column):
            self.fail(f"{column} is empty")
            return ""
        return self.optional(column, max_length=max_length) or ""

    def _text(self, column: str, *, required: bool, max_length: int) -> str | None:
        if required:
            return self.required(column, max_length=max_length)
        return self.optional(column, max_length=max_length)

    def choice(self, column: str, options: Sequence[str], *, required: bool = False) -> str | None:
        """One of `options`, in any letter case."""
        value = self._text(column, required=required, max_length=64)
        if not value:
            return None
        if value.lower() not in options:
            self.fail(f"{column} {value!r} is not one of: {', '.join(options)}")
            return None
        return value.lower()

    def whole_number(
        self, column: str, *, required: bool = False, minimum: int = -MAX_ID, maximum: int = MAX_ID
    ) -> int | None:
        value = self._text(column, required=required, max_length=32)
        if not value:
            return None
        # Plain ASCII digits only: int() would also take "1_000" and other scripts' digits.
        if not WHOLE_NUMBER.fullmatch(value):
            hint = ""
            if "e+" in value.lower():
                # Excel shows long numbers as 1.23E+09 and saves them so in CSV.
                hint = " (Excel shortened it: format the column as text and type it again)"
            self.fail(f"{column} {value!r} is not a whole number{hint}")
            return None
        number = int(value)
        if not minimum <= number <= maximum:
            bounds = f" ({minimum} to {maximum})" if maximum < MAX_ID else ""
            self.fail(f"{column} {value} is out of range{bounds}")
            return None
        return number

    def positive_number(self, column: str) -> float | None:
        value = self.optional(column, max_length=32)
        if not value:
            return None
        try:
            number = float(value)
        except ValueError:
            self.fail(f"{column} {value!r} is not a number")
            return None
        if not math.isfinite(number) or number <= 0:
            self.fail(f"{column} {value!r} must be a number above 0")
            return None
        return number

    def time_zone(self, column: str) -> str | None:
        value = self.optional(column, max_length=64)
        if not value:
            return None
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            self.fail(f"{column} {value!r} is not an IANA time zone (e.g. Asia/Shanghai)")
            return None
        return value

    def unit_label(self, column: str) -> str:
        """A unit label in its one stored spelling ('3－2－1502 ' -> '3-2-1502'); "" when bad."""
        value = self.required(column, max_length=64)
        if not value:
            return ""
        label = normalize_unit_label(value)
        if not label or not all(part.isalnum() for part in label.split("-")) or len(label) > 32:
            self.fail(
                f"{column} {value!r} is not a unit label: letters and digits in parts "
                "joined by '-', e.g. 3-2-1502"
            )
            return ""
        return label
