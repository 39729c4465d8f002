"""How people write a home's number, and the unit label it names.

"3栋2单元1502", "3号楼2单元1502室", "３－２－１５０２", "building 3 unit 2 room 1502" and
"3-2-1502" all name the unit the compound labels "3-2-1502" (its `unit_label_format`). The
words around the numbers are only separators, so any order of building, entrance and room
words in Chinese or English reads the same; anything else in the text means it is not a
unit number (we would rather ask again than link the wrong home).
"""

from __future__ import annotations

import re
import string
import unicodedata

# Words that only separate the numbers of a unit: building, entrance/unit, floor, room.
_SEPARATORS = re.compile(
    r"号楼|号房|栋|幢|座|楼|单元|门|室|号|户|"
    r"buildings?|bldg|blk|block|tower|entrances?|units?|unit|stairs?|rooms?|rm|flat|apt|apartment|"
    r"no|nr|number|[\s\-_/\\.,#:;，、：；]+",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+")


def plain(text: str) -> str:
    """Full-width digits, letters and dashes to their plain forms ('３－２' -> '3-2')."""
    text = unicodedata.normalize("NFKC", text)
    return text.replace("—", "-").replace("–", "-")


def numbers_of(text: str) -> list[str] | None:
    """The numbers a unit was written with, in order; None when the text holds anything but
    numbers and the words that separate them."""
    cleaned = plain(text).strip()
    if not _NUMBER.search(cleaned):
        return None
    if _SEPARATORS.sub("", _NUMBER.sub("", cleaned)).strip():
        return None
    return _NUMBER.findall(cleaned)


def candidate_labels(text: str, label_format: str) -> list[str]:
    """Labels in `label_format` (e.g. "{building}-{entrance}-{room}") that the text may name,
    most likely first: the numbers as typed, then the room zero-padded to four digits
    ('3-2-502' -> '3-2-0502') as compounds that number floors 01-09 write it."""
    numbers = numbers_of(text)
    fields = [name for _, name, _, _ in string.Formatter().parse(label_format) if name]
    if numbers is None or len(numbers) != len(fields):
        return []
    values = dict(zip(fields, numbers, strict=True))
    labels = [label_format.format(**values)]
    if "room" in values and len(values["room"]) < 4:
        labels.append(label_format.format(**{**values, "room": values["room"].zfill(4)}))
    return labels
