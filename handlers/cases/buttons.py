"""Buttons on cases: the staff card's, and the resident's."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData


class StaffAction(enum.StrEnum):
    TAKE = "t"
    ASSIGN = "a"
    START = "s"
    RESOLVE = "r"
    ASK = "q"
    ANSWER = "w"  # answer a resident's question (inquiries): resolves it
    NOTE = "n"
    IDENTITY = "i"
    SHOW = "v"  # post the card again where the staff member is (from /cases)


@dataclass(frozen=True, slots=True)
class StaffPress(ButtonData):
    """A button on a case card in the staff chat."""

    prefix = "cs"
    case_id: int
    action: StaffAction


@dataclass(frozen=True, slots=True)
class AssignPress(ButtonData):
    """Hand case `case_id` to the staff member with person id `person_id`."""

    prefix = "ca"
    case_id: int
    person_id: int


class ResidentAction(enum.StrEnum):
    VIEW = "v"
    DETAIL = "d"
    URGE = "u"
    CANCEL = "x"
    REPLY = "r"
    REOPEN = "o"


@dataclass(frozen=True, slots=True)
class ResidentPress(ButtonData):
    """A resident's button on one of their cases."""

    prefix = "cr"
    case_id: int
    action: ResidentAction


@dataclass(frozen=True, slots=True)
class RatePress(ButtonData):
    """The resident confirms a resolved case with 1-5 stars."""

    prefix = "rt"
    case_id: int
    stars: int
