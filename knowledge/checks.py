"""`courtyard kb check`: every problem in the knowledge files, worded for whoever edits them.

Checked: each file's shape, unknown topic and action ids, a missing language, fewer than six
ways to ask in a shipped entry, a shipped topic without an entry, the same phrasing under two
entries (or also an example of an actionable intent), placeholders that are unknown or have
nothing to fill them, the router's own files in `intents/`, and the semantic vectors
(`knowledge/vectors.npz`, stale when a shipped phrasing changed: `courtyard kb build`).
A deployment's directory is checked for every compound at once: its shared files, then each
compound's directory.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from knowledge.loader import (
    KnowledgeBase,
    Problem,
    compound_codes,
    load_catalog,
    load_knowledge,
    local_files,
)
from knowledge.rules import INTENTS_DIR, IntentRules
from knowledge.semantic import stale
from knowledge.tokenize import compact


@dataclass(slots=True)
class CheckResult:
    problems: list[Problem] = field(default_factory=list)
    summary: str = ""


def check_all(local_dir: Path | None = None) -> CheckResult:
    result = CheckResult()
    seen: set[str] = set()

    def add(problems: list[Problem]) -> None:
        for problem in problems:
            if str(problem) not in seen:
                seen.add(str(problem))
                result.problems.append(problem)

    rules = _rules(add)
    scopes: list[tuple[str, KnowledgeBase]] = [("shipped", load_knowledge(None))]
    shipped = scopes[0][1]
    missing = sorted(load_catalog().topics.keys() - shipped.entries.keys())
    add([Problem("knowledge/data", f"topic {topic} has no shipped entry") for topic in missing])
    vectors = stale()
    if vectors is not None:
        add([Problem("knowledge/vectors.npz", vectors)])
    if local_dir is not None:
        scopes.append(("every compound", load_knowledge(local_dir)))
        scopes.extend(
            (f"compound {code}", load_knowledge(local_dir, code))
            for code in compound_codes(local_dir)
        )
    for _, knowledge in scopes:
        add(knowledge.problems)
        if rules is not None:
            add(_intent_collisions(knowledge, rules))
    local = len(local_files(local_dir)) + sum(
        len(local_files(local_dir, code)) for code in compound_codes(local_dir)
    )
    result.summary = (
        f"ok: {len(shipped.entries)} shipped entries, {local} local file(s), "
        f"{len(scopes)} scope(s) checked"
    )
    return result


def _rules(add: Callable[[list[Problem]], None]) -> IntentRules | None:
    try:
        return IntentRules.load()
    except (OSError, KeyError, TypeError, ValueError, re.error, yaml.YAMLError) as exc:
        add([Problem(str(INTENTS_DIR), f"the router's files cannot be loaded: {exc}")])
        return None


def _intent_collisions(knowledge: KnowledgeBase, rules: IntentRules) -> list[Problem]:
    """A knowledge-base phrasing that is also an example of a request (repair, complaint...):
    the router could not tell whether to answer or to start the request."""
    examples = {compact(text): intent for intent, texts in rules.examples.items() for text in texts}
    problems = []
    for entry in knowledge.entries.values():
        for _, question in entry.phrasings():
            intent = examples.get(compact(question))
            if intent is not None:
                problems.append(
                    Problem(
                        f"{entry.source} ({entry.topic})",
                        f"{question!r} is also an example of the intent {intent}",
                    )
                )
    return problems
