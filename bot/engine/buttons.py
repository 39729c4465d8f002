"""Typed, compact button data.

Telegram gives a button at most 64 bytes of data, and anyone can send any data: a press is a
claim, not a fact. Each kind of button is a small frozen dataclass with a short prefix; its
fields are packed positionally (`ra:17:a`) and parsed back into the class, so flows never split
strings. Parsing only checks the shape: whether the presser may do what the button says is
checked by the handler against the store.

An `int` field takes ASCII digits only, from 0 to 2**31 - 1: every id column fits a 32-bit
signed integer (PostgreSQL's INTEGER), so a forged `cs:2147483648:t` is refused here as an
invalid button instead of overflowing in the database. A field that needs other values says
so with `Annotated[int, IntRange(low, high)]`; `ChatId` is that for Telegram chat ids, which
are negative for groups and need 64 bits.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import types
import typing
from typing import Annotated, ClassVar, Self

MAX_BYTES = 64
SEPARATOR = ":"
# int(): also takes "+5", " 5", "5_0" and non-ASCII digits; button data never holds those.
_INTEGER = re.compile(r"-?[0-9]{1,20}")


@dataclasses.dataclass(frozen=True, slots=True)
class IntRange:
    """The values an `int` button field may hold, both ends included."""

    low: int
    high: int

    def check(self, value: int) -> int:
        if not self.low <= value <= self.high:
            raise InvalidButton(f"{value} is out of range [{self.low}, {self.high}]")
        return value


# Row ids: non-negative and within PostgreSQL's INTEGER (the type of every id column).
ID_RANGE = IntRange(0, 2**31 - 1)
# Telegram chat ids: negative for groups, up to 52 bits; stored as BIGINT.
ChatId = Annotated[int, IntRange(-(2**63), 2**63 - 1)]


class InvalidButton(ValueError):
    """The press carries data no button of ours could have produced."""


class ButtonData:
    """Base of every button payload. Subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]

    def pack(self) -> str:
        parts = [self.prefix]
        for name, hint in _field_types(type(self)):
            value = getattr(self, name)
            _check_packable(value, hint)
            parts.append(_encode(value))
        packed = SEPARATOR.join(parts)
        if len(packed.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {packed!r}")
        return packed

    @classmethod
    def unpack(cls, raw: str) -> Self:
        prefix, *values = raw.split(SEPARATOR)
        if prefix != cls.prefix:
            raise InvalidButton(f"prefix {prefix!r} is not {cls.prefix!r}")
        fields = _field_types(cls)
        if len(values) != len(fields):
            raise InvalidButton(f"{cls.__name__} takes {len(fields)} values, got {len(values)}")
        kwargs = {name: _decode(v, hint) for (name, hint), v in zip(fields, values, strict=True)}
        return cls(**kwargs)


# Cached per class: resolving the string annotations (`from __future__ import annotations`)
# took most of the time of a press.
_FIELD_TYPES: dict[type, tuple[tuple[str, object], ...]] = {}


def _field_types(cls: type) -> tuple[tuple[str, object], ...]:
    """The fields of a button class and their types, in order."""
    found = _FIELD_TYPES.get(cls)
    if found is None:
        hints = typing.get_type_hints(cls, include_extras=True)
        found = tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))
        _FIELD_TYPES[cls] = found
    return found


def _encode(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    text = str(value)
    if SEPARATOR in text:
        raise ValueError(f"button value may not contain {SEPARATOR!r}: {text!r}")
    return text


def _unwrap(hint: object) -> tuple[object, bool, IntRange]:
    """A field's type without `| None` and `Annotated`: (type, optional, range for ints)."""
    optional = False
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = typing.get_args(hint)
        optional = type(None) in args
        hint = next(a for a in args if a is not type(None))
    bounds = ID_RANGE
    if typing.get_origin(hint) is Annotated:
        hint, *extras = typing.get_args(hint)
        bounds = next((e for e in extras if isinstance(e, IntRange)), ID_RANGE)
    return hint, optional, bounds


def _check_packable(value: object, hint: object) -> None:
    """Our own buttons must parse back: an int out of its field's range is a bug here."""
    base, _, bounds = _unwrap(hint)
    if base is int and isinstance(value, int) and not isinstance(value, bool):
        try:
            bounds.check(value)
        except InvalidButton as exc:
            raise ValueError(f"button value {exc}") from None


def _decode(raw: str, hint: object) -> object:
    hint, optional, bounds = _unwrap(hint)
    if optional and raw == "":
        return None
    try:
        if hint is bool:
            if raw not in ("0", "1"):
                raise InvalidButton(f"not a flag: {raw!r}")
            return raw == "1"
        if hint is int:
            if not _INTEGER.fullmatch(raw):
                raise InvalidButton(f"not an integer: {raw!r}")
            return bounds.check(int(raw))
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return hint(raw)
        if hint is str:
            return raw
    except ValueError as exc:
        raise InvalidButton(str(exc)) from exc
    raise TypeError(f"unsupported button field type {hint!r}")


class ButtonRegistry:
    """Maps prefixes to button classes so that a raw press can be parsed into its type."""

    def __init__(self) -> None:
        self._by_prefix: dict[str, type[ButtonData]] = {}

    def register(self, cls: type[ButtonData]) -> None:
        existing = self._by_prefix.get(cls.prefix)
        if existing is not None and existing is not cls:
            raise ValueError(f"button prefix {cls.prefix!r} used by {existing} and {cls}")
        self._by_prefix[cls.prefix] = cls

    def parse(self, raw: str) -> ButtonData:
        prefix = raw.split(SEPARATOR, 1)[0]
        cls = self._by_prefix.get(prefix)
        if cls is None:
            raise InvalidButton(f"unknown button prefix {prefix!r}")
        return cls.unpack(raw)
