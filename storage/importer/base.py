"""What every kind of import shares: problems, outcomes, the summary and the importer base."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Compound

if TYPE_CHECKING:
    from storage.importer.cells import Cells
    from storage.importer.table import Row


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a file or one of its rows cannot be imported, as the operator reads it."""

    line: int | None  # None: the file as a whole (missing, not UTF-8)
    reason: str

    def __str__(self) -> str:
        return self.reason if self.line is None else f"line {self.line}: {self.reason}"


class ImportFailed(Exception):
    """Nothing was imported; `problems` names every bad row (or the one thing wrong with the
    file) in line order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class Outcome(enum.StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Defaults:
    """Values for a new compound whose row leaves them empty (the deployment's settings)."""

    locale: str = "zh"
    timezone: str = "Asia/Shanghai"


@dataclass(slots=True)
class Summary:
    """What an import did, printed by `courtyard import`:
    `imported units.csv: created 48, updated 0, unchanged 0; buildings created: 3`."""

    kind: str
    source: str
    counts: dict[Outcome, int] = field(default_factory=lambda: dict.fromkeys(Outcome, 0))
    notes: list[str] = field(default_factory=list)

    @property
    def created(self) -> int:
        return self.counts[Outcome.CREATED]

    @property
    def updated(self) -> int:
        return self.counts[Outcome.UPDATED]

    @property
    def unchanged(self) -> int:
        return self.counts[Outcome.UNCHANGED]

    def __str__(self) -> str:
        counts = ", ".join(f"{outcome.value} {n}" for outcome, n in self.counts.items())
        return "; ".join([f"imported {self.source}: {counts}", *self.notes])


@dataclass(slots=True)
class ImportContext:
    session: AsyncSession
    defaults: Defaults
    now: datetime
    source: str  # the file's name, kept in audit entries


class Item(Protocol):
    """A checked row, ready to write."""

    @property
    def key(self) -> Hashable:
        """The natural key: two rows with the same key in one file are a mistake."""
        ...


ItemT = TypeVar("ItemT", bound=Item)


class Importer(ABC, Generic[ItemT]):
    """One kind of import file: its columns, how a row is checked and how it is written."""

    kind: ClassVar[str]
    required: ClassVar[tuple[str, ...]]
    optional: ClassVar[tuple[str, ...]]
    noun: ClassVar[str]  # what a key names, for "the same unit as line 3"

    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.compounds: dict[str, Compound] = {}

    async def prepare(self, rows: Sequence[Row]) -> None:
        """Loads what checking the rows looks up; runs before the first `parse`."""
        await self.load_compounds(rows)

    @abstractmethod
    def parse(self, cells: Cells) -> ItemT | None:
        """Checks one row; returns None when `cells` noted a reason."""

    @abstractmethod
    async def apply(self, item: ItemT) -> tuple[Outcome, int]:
        """Creates or updates the row's records; returns what happened and the compound id."""

    async def finish(self) -> list[str]:
        """Work after the last row; returns notes for the summary."""
        return []

    async def load_compounds(self, rows: Sequence[Row]) -> None:
        """Finds the compounds that rows name in their `compound` column."""
        codes = {row.values.get("compound", "") for row in rows} - {""}
        found = await self.ctx.session.scalars(select(Compound).where(Compound.code.in_(codes)))
        self.compounds = {compound.code: compound for compound in found}

    def compound(self, cells: Cells) -> Compound | None:
        """The row's compound; a code not in the database is a bad row."""
        code = cells.required("compound", max_length=32)
        if not code:
            return None
        compound = self.compounds.get(code)
        if compound is None:
            cells.fail(f"compound {code!r} does not exist (import compounds first)")
        return compound


def assign(target: object, **values: Any) -> bool:
    """Sets each attribute whose value differs; True when anything changed, so that importing
    the same file twice reports its rows as unchanged."""
    changed = False
    for name, value in values.items():
        if getattr(target, name) != value:
            setattr(target, name, value)
            changed = True
    return changed
