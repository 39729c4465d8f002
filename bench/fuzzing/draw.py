"""Where the fuzzer's random choices come from: a seeded `random.Random`.

The generator asks only for these three kinds of choice, so another source could stand in.
(Hypothesis drawing each choice itself was tried: the world holds random nonces, so the same
choices do not always take the same path, and hypothesis rejects that as a flaky strategy.
The property test draws the seed instead.)
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar

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
