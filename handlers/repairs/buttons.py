"""The buttons of the repair form. Each carries the step's nonce, so a press on a question
the resident has already moved past is refused by the engine."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.engine.buttons import ButtonData
from storage.models import Urgency


@dataclass(frozen=True, slots=True)
class CategoryPress(ButtonData):
    prefix = "rpc"
    category: str
    nonce: str


@dataclass(frozen=True, slots=True)
class GuessPress(ButtonData):
    """The guessed category is right (`accept`), or the resident wants to choose another."""

    prefix = "rpg"
    accept: bool
    nonce: str


@dataclass(frozen=True, slots=True)
class LocationPress(ButtonData):
    """One of the resident's units, or a common area (`unit_id` None)."""

    prefix = "rpl"
    unit_id: int | None
    nonce: str


@dataclass(frozen=True, slots=True)
class BuildingPress(ButtonData):
    prefix = "rpb"
    building_id: int
    nonce: str


@dataclass(frozen=True, slots=True)
class KeepTextPress(ButtonData):
    """Use what the resident wrote before the form started as the description."""

    prefix = "rpk"
    nonce: str


@dataclass(frozen=True, slots=True)
class PhotosDonePress(ButtonData):
    prefix = "rpp"
    nonce: str


@dataclass(frozen=True, slots=True)
class UrgencyPress(ButtonData):
    prefix = "rpu"
    urgency: Urgency
    nonce: str


@dataclass(frozen=True, slots=True)
class VisitPress(ButtonData):
    prefix = "rpv"
    window: str
    nonce: str


@dataclass(frozen=True, slots=True)
class DuplicatePress(ButtonData):
    """Follow the open case `case_id`, or file a new report anyway (`case_id` None)."""

    prefix = "rpd"
    case_id: int | None
    nonce: str


class ReviewChoice(enum.StrEnum):
    SUBMIT = "s"
    CATEGORY = "c"
    LOCATION = "l"
    DESCRIPTION = "d"
    PHOTOS = "p"
    URGENCY = "u"
    VISIT = "v"


@dataclass(frozen=True, slots=True)
class ReviewPress(ButtonData):
    prefix = "rpr"
    choice: ReviewChoice
    nonce: str
