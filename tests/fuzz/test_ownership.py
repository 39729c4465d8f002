"""The fuzzer's ownership rule (bench/fuzzing/ownership.py) on hand-made snapshots: it must
flag a change to someone else's case and allow what staff and owners legitimately do."""

from __future__ import annotations

import copy

from bench.fuzzing.ownership import TRACKED, Snapshot, authority, row_changes
from storage.models import StaffRole

SUNNY, NORTH = 1, 2
MANAGERS = frozenset({9001})


def world() -> Snapshot:
    snap: Snapshot = {name: {} for name in TRACKED}
    snap["persons"] = {
        1: {"id": 1, "telegram_id": 1001},
        2: {"id": 2, "telegram_id": 1002},
        3: {"id": 3, "telegram_id": 2001},
        4: {"id": 4, "telegram_id": 6002},
        5: {"id": 5, "telegram_id": 5001},
    }
    snap["staff_members"] = {
        1: {"id": 1, "compound_id": SUNNY, "person_id": 3, "role": StaffRole.STAFF, "active": True},
        2: {"id": 2, "compound_id": NORTH, "person_id": 4, "role": StaffRole.STAFF, "active": True},
    }
    snap["cases"] = {7: {"id": 7, "compound_id": SUNNY, "resident_id": 1, "status": "submitted"}}
    snap["invite_codes"] = {
        1: {"id": 1, "compound_id": SUNNY, "code": "ABC", "used_by": None, "used_at": None}
    }
    return snap


def flagged(telegram_id: int, change: str, value: object, row: int = 7) -> list[str]:
    before = world()
    after = copy.deepcopy(before)
    table = "invite_codes" if change in ("used_by", "code") else "cases"
    after[table][row] = {**after[table][row], change: value}
    actor = authority(before, after, telegram_id, MANAGERS)
    return [c.signature for c in row_changes(before, after, actor) if not c.allowed]


def test_a_resident_changing_anothers_case_is_foreign() -> None:
    assert flagged(1002, "status", "cancelled") == ["stranger update cases(status)"]


def test_the_owner_staff_of_the_compound_and_managers_may_change_a_case() -> None:
    assert flagged(1001, "status", "cancelled") == []
    assert flagged(2001, "status", "assigned") == []
    assert flagged(9001, "status", "assigned") == []


def test_staff_of_another_compound_may_not() -> None:
    assert flagged(6002, "status", "assigned") == ["staff update cases(status)"]


def test_taking_over_a_case_is_foreign_even_though_it_becomes_ones_own() -> None:
    assert flagged(1002, "resident_id", 2) == ["stranger update cases(resident_id)"]


def test_redeeming_an_unused_invite_is_allowed_and_editing_one_is_not() -> None:
    assert flagged(5001, "used_by", 5, row=1) == []
    assert flagged(5001, "code", "XYZ", row=1) == ["stranger update invite_codes(code)"]
