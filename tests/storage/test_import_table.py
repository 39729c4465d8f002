"""Reading import files: encodings, headers, and line numbers as a spreadsheet shows them."""

from __future__ import annotations

import pytest

from storage.importer import ImportFailed, parse_table


def problems(data: bytes) -> list[str]:
    with pytest.raises(ImportFailed) as failed:
        parse_table(data, name="units.csv")
    return [str(problem) for problem in failed.value.problems]


def test_lines_are_numbered_as_the_spreadsheet_numbers_rows() -> None:
    # A quoted cell over two lines is one spreadsheet row; an empty row still has a number.
    table = parse_table(b'Compound,Note\nmaple,"two\nlines"\n,\n\nmaple,last\n', name="units.csv")
    assert [(row.line, dict(row.values)) for row in table.rows] == [
        (2, {"compound": "maple", "note": "two\nlines"}),
        (5, {"compound": "maple", "note": "last"}),
    ]
    assert table.columns == frozenset({"compound", "note"})


def test_short_rows_and_unnamed_columns_are_read_as_empty_or_ignored() -> None:
    table = parse_table(b"compound,,unit\nmaple,x,1-1-0301,extra\nmaple\n", name="units.csv")
    assert [dict(row.values) for row in table.rows] == [
        {"compound": "maple", "unit": "1-1-0301"},
        {"compound": "maple"},
    ]


def test_a_file_in_another_encoding_is_refused_with_the_fix() -> None:
    assert problems("compound,unit\n枫林苑,1-1-0301\n".encode("gbk")) == [
        'units.csv is not UTF-8 text: in Excel, save it as "CSV UTF-8"'
    ]


def test_an_empty_file_needs_a_header() -> None:
    assert problems(b"") == ["line 1: the first line must name the columns; it is empty"]
    assert problems(b"\xef\xbb\xbf,,\n") == [
        "line 1: the first line must name the columns; it is empty"
    ]


def test_a_column_named_twice_is_refused() -> None:
    assert problems(b"unit,Unit ,compound\n") == ["line 1: column named twice: unit"]


def test_a_header_only_file_has_no_rows() -> None:
    assert parse_table(b"compound,unit\n", name="units.csv").rows == []


def test_broken_csv_names_its_line() -> None:
    # The csv module refuses a cell longer than its field limit (131072 characters).
    data = b"compound,unit\nmaple,1-1-0301\nmaple," + b"x" * 200_000 + b"\n"
    assert problems(data) == ["line 3: not valid CSV (field larger than field limit (131072))"]
