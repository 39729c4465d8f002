"""Groups the questions the bot could not answer, so managers see what residents keep asking.

What a manager sees (`courtyard kb unanswered`): one line per group of similar questions, the
most frequent first, with an example, the other wordings, and the topic the router thought
closest: the place to add a phrasing, or the reason to write a new entry.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz, process

from knowledge.tokenize import compact

# How alike two questions must be (rapidfuzz ratio of their letters) to count as one.
SAME_QUESTION = 72.0


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    best_topic: str | None = None
    reason: str = "low_confidence"
    at: datetime | None = None


@dataclass(slots=True)
class Group:
    """Similar questions: the first one seen stands for the group."""

    example: str
    questions: list[Question] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def wordings(self) -> list[str]:
        """Distinct wordings besides the example, most frequent first."""
        counts = Counter(q.text for q in self.questions if q.text != self.example)
        return [text for text, _ in counts.most_common()]

    @property
    def topic(self) -> str | None:
        """The topic the router most often thought closest."""
        counts = Counter(q.best_topic for q in self.questions if q.best_topic)
        return counts.most_common(1)[0][0] if counts else None

    @property
    def not_helpful(self) -> int:
        return sum(q.reason == "not_helpful" for q in self.questions)

    @property
    def last(self) -> datetime | None:
        times = [q.at for q in self.questions if q.at is not None]
        return max(times) if times else None


def group_questions(questions: Iterable[Question]) -> list[Group]:
    """Greedy grouping: each question joins the most similar group, or starts its own."""
    groups: list[Group] = []
    keys: list[str] = []
    for question in questions:
        key = compact(question.text)
        if not key:
            continue
        found = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=SAME_QUESTION)
        if found is None:
            groups.append(Group(example=question.text, questions=[question]))
            keys.append(key)
        else:
            groups[found[2]].questions.append(question)
    groups.sort(key=lambda g: (-g.count, g.example))
    return groups
