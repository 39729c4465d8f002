"""`courtyard import compounds`: code, name; optional locale, timezone, office phone and hours."""

from __future__ import annotations

import re
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from storage.importer.base import Importer, Outcome, assign
from storage.importer.cells import Cells
from storage.importer.table import Row
from storage.models import Compound

# Codes are typed in commands (`courtyard invite --compound CODE`, `/staffchat CODE`).
CODE = re.compile(r"[A-Za-z0-9_-]+")
LOCALES = ("zh", "en")
# Columns that become knowledge-base values of the compound (knowledge/placeholders.yaml).
KB_COLUMNS = {"office_phone": 64, "office_hours": 200}


@dataclass(frozen=True, slots=True)
class CompoundRow:
    code: str
    name: str
    locale: str | None
    timezone: str | None
    kb: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> Hashable:
        return self.code


class CompoundImporter(Importer[CompoundRow]):
    """Creates compounds or updates them by code. Empty optional cells keep what is stored;
    a new compound without locale or timezone gets the deployment's defaults."""

    kind = "compounds"
    required = ("code", "name")
    optional = ("locale", "timezone", *KB_COLUMNS)
    noun = "compound code"

    async def prepare(self, rows: Sequence[Row]) -> None:
        codes = {row.values.get("code", "") for row in rows} - {""}
        found = await self.ctx.session.scalars(select(Compound).where(Compound.code.in_(codes)))
        self.compounds = {compound.code: compound for compound in found}

    def parse(self, cells: Cells) -> CompoundRow | None:
        code = cells.required("code", max_length=32)
        if code and not CODE.fullmatch(code):
            cells.fail(f"code {code!r} may only use letters, digits, '-' and '_'")
        name = cells.required("name", max_length=200)
        locale = cells.choice("locale", LOCALES)
        timezone = cells.time_zone("timezone")
        kb = {}
        for column, max_length in KB_COLUMNS.items():
            value = cells.optional(column, max_length=max_length)
            if value:
                kb[column] = value
        if cells.reasons:
            return None
        return CompoundRow(code=code, name=name, locale=locale, timezone=timezone, kb=kb)

    async def apply(self, item: CompoundRow) -> tuple[Outcome, int]:
        compound = self.compounds.get(item.code)
        if compound is None:
            compound = Compound(
                code=item.code,
                name=item.name,
                locale=item.locale or self.ctx.defaults.locale,
                timezone=item.timezone or self.ctx.defaults.timezone,
                settings={"kb": dict(item.kb)} if item.kb else {},
            )
            self.ctx.session.add(compound)
            await self.ctx.session.flush()
            self.compounds[item.code] = compound
            return Outcome.CREATED, compound.id
        settings = compound.settings or {}
        if item.kb:
            # A new dict, not an edit in place: the ORM notices a JSON change only on assignment.
            settings = {**settings, "kb": {**settings.get("kb", {}), **item.kb}}
        changed = assign(
            compound,
            name=item.name,
            locale=item.locale or compound.locale,
            timezone=item.timezone or compound.timezone,
            settings=settings,
        )
        return (Outcome.UPDATED if changed else Outcome.UNCHANGED), compound.id
