"""`courtyard import compounds|units|residents|staff FILE.csv` (docs/imports.md).

A file is UTF-8 CSV with a header row (a byte-order mark from Excel is fine; extra columns are
ignored; columns in any order). Every row is checked first; if any is bad, nothing is
imported and the operator sees each bad row as `line N: reason`, numbered as the spreadsheet
numbers it (the header is line 1). Otherwise all rows are written in one transaction.
Importing the same file again changes nothing: rows are matched by their natural key
(compound code; compound and unit label; compound, unit and telegram_id or name for
residents; compound and telegram_id for staff) and the summary tells created from updated.
Compounds come first, then units, then residents and staff.
"""

from storage.importer.base import Defaults, ImportFailed, Outcome, Problem, Summary
from storage.importer.run import KINDS, import_file, import_table
from storage.importer.table import Table, parse_table, read_table

__all__ = [
    "KINDS",
    "Defaults",
    "ImportFailed",
    "Outcome",
    "Problem",
    "Summary",
    "Table",
    "import_file",
    "import_table",
    "parse_table",
    "read_table",
]
