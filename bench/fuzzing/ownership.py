"""Whose data each row is, and which changes an acting user may make.

Before and after every event the fuzzer reads the tracked tables whole (`snapshot`) and
compares. Each row has *owners* (Telegram ids of the people it belongs to) and a *compound*:

| table            | owners                                  | compound            |
|------------------|-----------------------------------------|---------------------|
| persons          | the person                              | none                |
| conversations    | the conversation's user                 | none                |
| residencies      | the resident                            | the residency's     |
| staff_members    | the staff member                        | the staff member's  |
| cases            | the resident who filed it               | the case's          |
| case_events      | the case's resident                     | the case's          |
| deadlines        | the case's resident                     | the case's          |
| case_followers   | the follower (following is their own)   | the case's          |
| invite_codes     | whoever redeemed it                     | the code's          |
| chat_bindings    | nobody                                  | the binding's       |

The rule, for an event by user A (roles read from the store *before* the event):

1. A row A owns may change: an update or delete if A owned it before, an insert if A owns
   the new row. (Changing a row so that it becomes A's, such as a case's `resident_id`, is
   foreign: A did not own it before.)
2. Staff of compound C (any active staff role) may insert, update and delete the case work of
   C: cases, case_events, deadlines, residencies (deciding requests) and invite_codes.
3. Managers of C (an active manager role there, or listed in MANAGER_IDS: every compound) may
   also change C's staff_members and chat_bindings.
4. A may redeem an unused invite code: an update of invite_codes that only sets `used_by` to
   A's own person and `used_at`.

Everything else is a *foreign change*. Tables that are nobody's data are not tracked: case
counters, sent-message ids, the audit log, unanswered questions and answer feedback.
Compounds, buildings and units are not tracked either: no flow edits them, and a change to
them would show up in the others' rows through their ids anyway only if it mattered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.models import Base, StaffRole

Row = dict[str, Any]
# table name -> primary key -> row (column name -> value)
Snapshot = dict[str, dict[int, Row]]

TRACKED = (
    "persons",
    "conversations",
    "residencies",
    "staff_members",
    "cases",
    "case_events",
    "deadlines",
    "case_followers",
    "invite_codes",
    "chat_bindings",
)
# Read for the generator's ids only; nobody's data, not compared.
REFERENCE = ("buildings",)
STAFF_WORK = frozenset({"cases", "case_events", "deadlines", "residencies", "invite_codes"})
MANAGER_WORK = STAFF_WORK | {"staff_members", "chat_bindings"}
# Rows that hang off a case: their owner and compound are the case's.
VIA_CASE = frozenset({"case_events", "deadlines"})


async def snapshot(db: Database) -> Snapshot:
    """Every tracked row, read in one transaction."""
    snap: Snapshot = {}
    async with db.read() as session:
        for name in (*TRACKED, *REFERENCE):
            table = Base.metadata.tables[name]
            result = await session.execute(select(table))
            snap[name] = {row.id: dict(row._mapping) for row in result}
    return snap


@dataclass(frozen=True, slots=True)
class Authority:
    """What the acting user may do, as the store said before the event."""

    telegram_id: int
    person_id: int | None
    staff_of: frozenset[int]
    manager_of: frozenset[int]
    global_manager: bool
    role: str  # for reports: manager, staff, resident, applicant or stranger

    def is_staff(self, compound_id: int) -> bool:
        return self.global_manager or compound_id in self.staff_of or self.is_manager(compound_id)

    def is_manager(self, compound_id: int) -> bool:
        return self.global_manager or compound_id in self.manager_of


def authority(
    snap: Snapshot, after: Snapshot, telegram_id: int, manager_ids: frozenset[int]
) -> Authority:
    """The user's roles as they were before the event (`snap`); their person id from after it
    when the event created them (a newcomer redeeming an invite in their first message)."""
    person_id = next(
        (
            pid
            for people in (snap["persons"], after["persons"])
            for pid, row in people.items()
            if row["telegram_id"] == telegram_id
        ),
        None,
    )
    staff = [
        row
        for row in snap["staff_members"].values()
        if row["person_id"] == person_id and row["active"] and person_id is not None
    ]
    staff_of = frozenset(row["compound_id"] for row in staff)
    manager_of = frozenset(row["compound_id"] for row in staff if row["role"] == StaffRole.MANAGER)
    global_manager = telegram_id in manager_ids
    statuses = {
        str(row["status"])
        for row in snap["residencies"].values()
        if row["person_id"] == person_id and person_id is not None
    }
    if global_manager or manager_of:
        role = "manager"
    elif staff_of:
        role = "staff"
    elif "approved" in statuses:
        role = "resident"
    elif statuses:
        role = "applicant"
    else:
        role = "stranger"
    return Authority(telegram_id, person_id, staff_of, manager_of, global_manager, role)


@dataclass(frozen=True, slots=True)
class RowChange:
    """One row an event inserted, updated or deleted; `allowed` by the rule or foreign."""

    table: str
    row_id: int
    op: str  # insert, update or delete
    columns: tuple[str, ...]  # the columns that changed (all of them for insert and delete)
    owners: frozenset[int]
    compound_id: int | None
    actor: int
    actor_role: str
    allowed: bool

    @property
    def signature(self) -> str:
        """What makes two findings the same finding (not the ids involved)."""
        return f"{self.actor_role} {self.op} {self.table}({','.join(self.columns)})"


def row_changes(before: Snapshot, after: Snapshot, actor: Authority) -> list[RowChange]:
    """Every change between the snapshots, each judged by rules 1-4 above."""
    people = {**before["persons"], **after["persons"]}
    cases = {**before["cases"], **after["cases"]}
    found: list[RowChange] = []
    for table in TRACKED:
        old_rows, new_rows = before[table], after[table]
        for row_id in old_rows.keys() | new_rows.keys():
            old, new = old_rows.get(row_id), new_rows.get(row_id)
            if old == new:
                continue
            if old is None:
                op, columns = "insert", tuple(sorted(new or {}))
            elif new is None:
                op, columns = "delete", tuple(sorted(old))
            else:
                op, columns = "update", tuple(sorted(k for k in old if old[k] != new.get(k)))
            owned = old if old is not None else new
            assert owned is not None
            owners, compound_id = _ownership(table, owned, people, cases)
            allowed = _allowed(table, old, new, owners, compound_id, actor)
            found.append(
                RowChange(
                    table,
                    row_id,
                    op,
                    columns,
                    owners,
                    compound_id,
                    actor.telegram_id,
                    actor.role,
                    allowed,
                )
            )
    return found


def _ownership(
    table: str, row: Row, people: Mapping[int, Row], cases: Mapping[int, Row]
) -> tuple[frozenset[int], int | None]:
    def tid(person_id: int | None) -> frozenset[int]:
        telegram_id = people.get(person_id or -1, {}).get("telegram_id")
        return frozenset() if telegram_id is None else frozenset({telegram_id})

    if table == "persons":
        telegram_id = row["telegram_id"]
        return (frozenset() if telegram_id is None else frozenset({telegram_id})), None
    if table == "conversations":
        return frozenset({row["user_id"]}), None
    if table in ("residencies", "staff_members"):
        return tid(row["person_id"]), row["compound_id"]
    if table == "cases":
        return tid(row["resident_id"]), row["compound_id"]
    if table in VIA_CASE or table == "case_followers":
        case = cases.get(row["case_id"], {})
        owner = row["person_id"] if table == "case_followers" else case.get("resident_id")
        return tid(owner), case.get("compound_id")
    if table == "invite_codes":
        return tid(row["used_by"]), row["compound_id"]
    if table == "chat_bindings":
        return frozenset(), row["compound_id"]
    raise KeyError(table)


def _allowed(
    table: str,
    old: Row | None,
    new: Row | None,
    owners: frozenset[int],
    compound_id: int | None,
    actor: Authority,
) -> bool:
    if actor.telegram_id in owners:  # rule 1 (owners of the old row, or of an inserted one)
        return True
    if compound_id is not None:
        if table in STAFF_WORK and actor.is_staff(compound_id):  # rule 2
            return True
        if table in MANAGER_WORK and actor.is_manager(compound_id):  # rule 3
            return True
    if table == "invite_codes" and old is not None and new is not None:  # rule 4
        changed = {k for k in old if old[k] != new.get(k)}
        return (
            old["used_by"] is None
            and new["used_by"] == actor.person_id
            and actor.person_id is not None
            and changed <= {"used_by", "used_at"}
        )
    return False
