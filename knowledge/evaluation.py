"""Measures a router on a labelled set (tests/data/routing_devset.yaml): the figures issue 3
sets targets for, shared by bench/routing.py and the accuracy tests."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.intent_ids import Intent
from knowledge.router import Decision, Router


@dataclass(frozen=True, slots=True)
class Item:
    text: str
    lang: str
    intent: str
    topic: str | None


@dataclass(slots=True)
class Report:
    items: int = 0
    intent_correct: int = 0
    faq_items: int = 0
    top1: int = 0
    top3: int = 0
    # Answered outright from the knowledge base, but not with the expected topic (including
    # messages that were not knowledge-base questions at all), over all items.
    confident_wrong: int = 0
    emergencies: int = 0
    emergencies_found: int = 0
    # FAQ questions answered outright with the right topic (no "did you mean", no handoff).
    answered_correct: int = 0
    # Messages that are not emergencies but were routed as one.
    false_emergencies: int = 0
    misses: list[tuple[Item, Decision]] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_correct / self.items if self.items else 0.0

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.faq_items if self.faq_items else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.faq_items if self.faq_items else 0.0

    @property
    def confident_wrong_rate(self) -> float:
        return self.confident_wrong / self.items if self.items else 0.0

    @property
    def answered_correct_rate(self) -> float:
        return self.answered_correct / self.faq_items if self.faq_items else 0.0

    @property
    def false_emergency_rate(self) -> float:
        others = self.items - self.emergencies
        return self.false_emergencies / others if others else 0.0

    @property
    def emergency_recall(self) -> float:
        return self.emergencies_found / self.emergencies if self.emergencies else 1.0

    def lines(self) -> list[str]:
        return [
            f"intent accuracy      {self.intent_accuracy:6.1%}  "
            f"({self.intent_correct}/{self.items})",
            f"topic top-1          {self.top1_accuracy:6.1%}  ({self.top1}/{self.faq_items})",
            f"topic top-3          {self.top3_accuracy:6.1%}  ({self.top3}/{self.faq_items})",
            f"answered, correct    {self.answered_correct_rate:6.1%}  "
            f"({self.answered_correct}/{self.faq_items})",
            f"confident wrong      {self.confident_wrong_rate:6.1%}  "
            f"({self.confident_wrong}/{self.items})",
            f"emergency recall     {self.emergency_recall:6.1%}  "
            f"({self.emergencies_found}/{self.emergencies})",
            f"false emergencies    {self.false_emergency_rate:6.1%}  "
            f"({self.false_emergencies}/{self.items - self.emergencies})",
        ]


def load_items(path: Path) -> list[Item]:
    with path.open(encoding="utf-8") as fh:
        raw: list[dict[str, Any]] = yaml.safe_load(fh)
    return [Item(r["text"], r["lang"], r["intent"], r.get("topic")) for r in raw]


def evaluate(router: Router, items: Sequence[Item]) -> Report:
    """Top-1 and top-3 count only when the message was also routed to the knowledge base:
    a FAQ question sent to the repair flow is a topic miss too."""
    report = Report()
    for item in items:
        decision = router.route(item.text, locale_hint=item.lang)
        report.items += 1
        ok = decision.intent == item.intent
        if item.intent == Intent.FAQ:
            report.faq_items += 1
            ranked = [decision.topic, *(a.topic for a in decision.alternatives)]
            if decision.intent is Intent.FAQ and ranked[0] == item.topic:
                report.top1 += 1
            else:
                ok = False
            if decision.intent is Intent.FAQ and item.topic in ranked[:3]:
                report.top3 += 1
            if decision.outcome == "answer" and decision.topic == item.topic:
                report.answered_correct += 1
        if decision.outcome == "answer" and (
            item.intent != Intent.FAQ or decision.topic != item.topic
        ):
            report.confident_wrong += 1
        if item.intent == Intent.EMERGENCY:
            report.emergencies += 1
            report.emergencies_found += decision.intent is Intent.EMERGENCY
        elif decision.intent is Intent.EMERGENCY:
            report.false_emergencies += 1
        report.intent_correct += decision.intent == item.intent
        if not ok:
            report.misses.append((item, decision))
    return report


def latencies(
    route: Callable[[str], object],
    texts: Sequence[str],
    rounds: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """p50 and p99 of routing one message, in milliseconds, by `clock` (wall or CPU time)."""
    samples = []
    for _ in range(rounds):
        for text in texts:
            start = clock()
            route(text)
            samples.append((clock() - start) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "n": float(len(samples)),
    }
