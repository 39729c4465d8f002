"""Where the fuzzer's random choices come from: `random.Random` for the bench, hypothesis for
the test (so that a failing sequence shrinks to a short one).

The generator asks only for these three kinds of choice. Hypothesis shrinks towards the first
option and the low end of a range, so generators list their most ordinary option first.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class Draw(Protocol):
    def choice(self, options: Sequence[T]) -> T: ...

    def integer(self, low: int, high: int) -> int: ...

    def chance(self, percent: int) -> bool:
        """True `percent` times in a hundred."""
        ...


class RandomDraw:
    """Choices from a seeded `random.Random`: the same seed, the same events."""

    def __init__(self, seed: int) -> None:
        self.random = random.Random(seed)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.random.randrange(len(options))]

    def integer(self, low: int, high: int) -> int:
        return self.random.randint(low, high)

    def chance(self, percent: int) -> bool:
        return self.random.randrange(100) < percent


class HypothesisDraw:
    """Choices drawn from hypothesis's `st.data()`, so they shrink."""

    def __init__(self, data: Any) -> None:  # hypothesis.strategies.DataObject
        # Imported here: the bench runs on random.Random and needs no hypothesis.
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def choice(self, options: Sequence[T]) -> T:
        # A fixed range, not 0..len-1: how many options there are depends on the world (the
        # buttons on screen, the cases filed), and hypothesis replays a sequence of draws
        # only if each draw asks for the same range as before.
        return options[self.data.draw(self.st.integers(0, 2**16)) % len(options)]

    def integer(self, low: int, high: int) -> int:
        return int(self.data.draw(self.st.integers(low, high)))

    def chance(self, percent: int) -> bool:
        # Shrinks towards 99, i.e. towards False for any percent below 100.
        return bool(self.data.draw(self.st.integers(0, 99)) >= 100 - percent)
