"""`courtyard import staff`: compound, telegram_id, name, role; optional skills (`;`-separated)."""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass

from sqlalchemy import select

from storage.importer.base import Importer, Outcome, assign
from storage.importer.cells import Cells
from storage.importer.people import TELEGRAM_ID_MIN, person_by_telegram
from storage.models import KNOWN_SKILLS, StaffMember, StaffRole
from storage.repos import audit

ROLES = tuple(role.value for role in StaffRole)
# ';' as docs/imports.md says, and the full-width '；' a Chinese keyboard types.
SKILL_SEPARATOR = re.compile(r"[;；]")


@dataclass(frozen=True, slots=True)
class StaffRow:
    compound_id: int
    telegram_id: int
    name: str
    role: StaffRole
    skills: tuple[str, ...] | None  # None: the cell is empty, keep the stored skills

    @property
    def key(self) -> Hashable:
        return (self.compound_id, self.telegram_id)


def read_skills(cells: Cells) -> tuple[str, ...] | None:
    value = cells.optional("skills", max_length=200)
    if not value:
        return None
    skills = [s.strip().lower() for s in SKILL_SEPARATOR.split(value) if s.strip()]
    unknown = [s for s in skills if s not in KNOWN_SKILLS]
    if unknown:
        cells.fail(
            f"unknown skill {', '.join(map(repr, unknown))}: use {', '.join(KNOWN_SKILLS)}, "
            "separated by ';'"
        )
        return None
    return tuple(dict.fromkeys(skills))  # without repeats, in the file's order


class StaffImporter(Importer[StaffRow]):
    """Makes people staff or managers of a compound, found or created by Telegram id; someone
    listed again is updated (and made active again if they had been deactivated)."""

    kind = "staff"
    required = ("compound", "telegram_id", "name", "role")
    optional = ("skills",)
    noun = "staff member"

    def parse(self, cells: Cells) -> StaffRow | None:
        compound = self.compound(cells)
        telegram_id = cells.whole_number("telegram_id", required=True, minimum=TELEGRAM_ID_MIN)
        name = cells.required("name", max_length=200)
        role = cells.choice("role", ROLES, required=True)
        skills = read_skills(cells)
        if cells.reasons or compound is None or telegram_id is None or role is None:
            return None
        return StaffRow(
            compound_id=compound.id,
            telegram_id=telegram_id,
            name=name,
            role=StaffRole(role),
            skills=skills,
        )

    async def apply(self, item: StaffRow) -> tuple[Outcome, int]:
        session = self.ctx.session
        person, person_changed = await person_by_telegram(
            session, item.telegram_id, name=item.name, phone=None
        )
        member = await session.scalar(
            select(StaffMember).where(
                StaffMember.compound_id == item.compound_id, StaffMember.person_id == person.id
            )
        )
        if member is None:
            member = StaffMember(
                compound_id=item.compound_id,
                person_id=person.id,
                role=item.role,
                skills=list(item.skills or ()),
                active=True,
            )
            session.add(member)
            await session.flush()
            outcome = Outcome.CREATED
        else:
            skills = member.skills if item.skills is None else list(item.skills)
            changed = assign(member, role=item.role, skills=skills, active=True)
            outcome = Outcome.UPDATED if changed or person_changed else Outcome.UNCHANGED
        if outcome is not Outcome.UNCHANGED:
            audit.record(
                session,
                action="staff.imported",
                actor_id=None,
                compound_id=item.compound_id,
                target=f"staff:{member.id}",
                outcome=outcome.value,
                role=item.role.value,
                skills=list(member.skills),
                source=self.ctx.source,
            )
        return outcome, item.compound_id
