"""Typed, compact button data.

Telegram gives a button at most 64 bytes of data, and anyone can send any data: a press is a
claim, not a fact. Each kind of button is a small frozen dataclass with a short prefix; its
fields are packed positionally (`ra:17:a`) and parsed back into the class, so flows never split
strings. Parsing only checks the shape: whether the presser may do what the button says is
checked by the handler against the store.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from typing import ClassVar, Self

MAX_BYTES = 64
SEPARATOR = ":"


class InvalidButton(ValueError):
    """The press carries data no button of ours could have produced."""


class ButtonData:
    """Base of every button payload. Subclasses are frozen dataclasses with a `prefix`."""

    prefix: ClassVar[str]

    def pack(self) -> str:
        parts = [self.prefix]
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
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


@functools.cache
def _field_types(cls: type[ButtonData]) -> tuple[tuple[str, object], ...]:
    """The fields of a button class and their types, in order. Cached: resolving the string
    annotations (`from __future__ import annotations`) took most of the time of a press."""
    hints = typing.get_type_hints(cls)
    return tuple((f.name, hints[f.name]) for f in dataclasses.fields(cls))  # type: ignore[arg-type]


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


def _decode(raw: str, hint: object) -> object:
    is_union = typing.get_origin(hint) in (typing.Union, types.UnionType)
    if is_union and type(None) in typing.get_args(hint):
        if raw == "":
            return None
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    try:
        if hint is bool:
            if raw not in ("0", "1"):
                raise InvalidButton(f"not a flag: {raw!r}")
            return raw == "1"
        if hint is int:
            return int(raw)
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
