"""Reading an import file: UTF-8 CSV with a header row, numbered as a spreadsheet shows it."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from storage.importer.base import ImportFailed, Problem


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its line number (the header is line 1) and its cells by column name."""

    line: int
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Table:
    columns: frozenset[str]
    rows: list[Row]


def read_table(path: Path) -> Table:
    """Reads an import file; a missing, unreadable or non-UTF-8 file is one clear problem."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportFailed([Problem(None, f"{path}: no such file")]) from None
    except OSError as exc:
        raise ImportFailed([Problem(None, f"{path}: cannot be read ({exc.strerror})")]) from None
    return parse_table(data, name=path.name)


def parse_table(data: bytes, *, name: str) -> Table:
    """Splits CSV bytes into a header and numbered rows.

    Header names are matched without regard to case or surrounding spaces; cells are stripped;
    rows with no value at all (spreadsheets leave them at the end) are skipped but still
    counted, so every line number is the row number the operator sees in the spreadsheet.
    """
    try:
        # "utf-8-sig" drops the byte-order mark Excel writes at the start of "CSV UTF-8" files.
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's plain "CSV" on a Chinese system writes GBK, the most likely cause.
        reason = f'{name} is not UTF-8 text: in Excel, save it as "CSV UTF-8"'
        raise ImportFailed([Problem(None, reason)]) from None
    records = csv.reader(io.StringIO(text, newline=""))
    line = 0  # the last line read whole; a CSV error is on the line after it
    try:
        header = next(records, None)
        if header is None or not any(cell.strip() for cell in header):
            raise ImportFailed([Problem(1, "the first line must name the columns; it is empty")])
        columns = [cell.strip().lower() for cell in header]
        repeated = sorted({c for c in columns if c and columns.count(c) > 1})
        if repeated:
            raise ImportFailed([Problem(1, f"column named twice: {', '.join(repeated)}")])
        line = 1
        rows: list[Row] = []
        for line, record in enumerate(records, start=2):
            if not any(cell.strip() for cell in record):
                continue
            values = {
                column: cell.strip()
                for column, cell in zip(columns, record, strict=False)
                if column
            }
            rows.append(Row(line, values))
    except csv.Error as exc:
        raise ImportFailed([Problem(line + 1, f"not valid CSV ({exc})")]) from None
    return Table(columns=frozenset(c for c in columns if c), rows=rows)
