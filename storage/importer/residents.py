"""`courtyard import residents`: compound, unit, name, role; optional phone and telegram_id."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from storage.importer.base import ImportContext, Importer, Outcome, assign
from storage.importer.cells import Cells
from storage.importer.people import TELEGRAM_ID_MIN, person_by_telegram, read_phone
from storage.importer.table import Row
from storage.models import Person, Residency, ResidencyRole, ResidencyStatus, Unit
from storage.repos import audit

ROLES = tuple(role.value for role in ResidencyRole)
# A residency that still counts: an import confirms it rather than adding a second one.
LIVE = (ResidencyStatus.APPROVED, ResidencyStatus.PENDING)


@dataclass(frozen=True, slots=True)
class ResidentRow:
    compound_id: int
    unit_id: int
    name: str
    role: ResidencyRole
    phone: str | None
    telegram_id: int | None

    @property
    def key(self) -> Hashable:
        # Someone may live in two units of one compound: the unit is part of the key.
        if self.telegram_id is not None:
            return (self.compound_id, self.unit_id, "telegram", self.telegram_id)
        return (self.compound_id, self.unit_id, "name", self.name)


class ResidentImporter(Importer[ResidentRow]):
    """Binds people to units the office's register lists (units must be imported first).

    With a telegram_id the person is found or created by it and gets an approved residency,
    as if staff had approved their request (a pending request of theirs is approved). Without
    one the row is a roster entry: a person known by name, who can still join with an invite.
    """

    kind = "residents"
    required = ("compound", "unit", "name", "role")
    optional = ("phone", "telegram_id")
    noun = "resident"

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.units: dict[tuple[int, str], int] = {}

    async def prepare(self, rows: Sequence[Row]) -> None:
        await super().prepare(rows)
        ids = [compound.id for compound in self.compounds.values()]
        found = await self.ctx.session.execute(
            select(Unit.compound_id, Unit.label, Unit.id).where(Unit.compound_id.in_(ids))
        )
        self.units = {(compound_id, label): unit_id for compound_id, label, unit_id in found}

    def parse(self, cells: Cells) -> ResidentRow | None:
        compound = self.compound(cells)
        label = cells.unit_label("unit")
        unit_id = self.units.get((compound.id, label)) if compound and label else None
        if compound and label and unit_id is None:
            cells.fail(
                f"unit {label} does not exist in compound {compound.code} (import units first)"
            )
        name = cells.required("name", max_length=200)
        role = cells.choice("role", ROLES, required=True)
        phone = read_phone(cells)
        telegram_id = cells.whole_number("telegram_id", minimum=TELEGRAM_ID_MIN)
        if cells.reasons or compound is None or unit_id is None or role is None:
            return None
        return ResidentRow(
            compound_id=compound.id,
            unit_id=unit_id,
            name=name,
            role=ResidencyRole(role),
            phone=phone,
            telegram_id=telegram_id,
        )

    async def apply(self, item: ResidentRow) -> tuple[Outcome, int]:
        session = self.ctx.session
        if item.telegram_id is not None:
            person, person_changed = await person_by_telegram(
                session, item.telegram_id, name=item.name, phone=item.phone
            )
            residency = await self._live_residency(item, person_id=person.id)
        else:
            residency = await self._live_residency(item, roster_name=item.name)
            if residency is None:
                person, person_changed = Person(name=item.name, phone=item.phone), True
                session.add(person)
                await session.flush()
            else:
                person = residency.person
                person_changed = assign(person, phone=item.phone or person.phone)
        if residency is None:
            residency = Residency(
                compound_id=item.compound_id,
                unit_id=item.unit_id,
                person_id=person.id,
                role=item.role,
                status=ResidencyStatus.APPROVED,
                source="import",
                registered_name=item.name,
                decided_at=self.ctx.now,
            )
            session.add(residency)
            await session.flush()
            outcome = Outcome.CREATED
        else:
            if residency.status is ResidencyStatus.PENDING:
                residency.decided_at = self.ctx.now
            changed = assign(
                residency,
                role=item.role,
                registered_name=item.name,
                status=ResidencyStatus.APPROVED,
            )
            outcome = Outcome.UPDATED if changed or person_changed else Outcome.UNCHANGED
        if outcome is not Outcome.UNCHANGED:
            audit.record(
                session,
                action="residency.imported",
                actor_id=None,
                compound_id=item.compound_id,
                target=f"residency:{residency.id}",
                outcome=outcome.value,
                role=item.role.value,
                source=self.ctx.source,
            )
        return outcome, item.compound_id

    async def _live_residency(
        self, item: ResidentRow, *, person_id: int | None = None, roster_name: str | None = None
    ) -> Residency | None:
        """The person's approved or pending residency in the row's unit; for a roster row, the
        one of a person with that name and no messenger identity."""
        query = (
            select(Residency)
            .join(Residency.person)
            .options(contains_eager(Residency.person))
            .where(Residency.unit_id == item.unit_id, Residency.status.in_(LIVE))
            .order_by(Residency.id.desc())
            .limit(1)
        )
        if person_id is not None:
            query = query.where(Residency.person_id == person_id)
        else:
            query = query.where(Person.telegram_id.is_(None), Person.name == roster_name)
        return await self.ctx.session.scalar(query)
