"""Loads the knowledge base: the shipped entries, a deployment's own, and the values that fill
their placeholders.

What a resident sees: the answer of an entry in their language, with `{office_phone}` and the
like replaced by their compound's values (Compound.settings["kb"]) or, where the compound has
none, by the neutral wording in placeholders.yaml ("the office phone (see the notice board)").

A deployment's directory (KB_LOCAL_DIR) holds YAML files in the same format: files directly in
it apply to every compound, files in `KB_LOCAL_DIR/<compound code>/` to that compound only. An
entry with a shipped topic id replaces the shipped entry; new topics use `local.*` ids. Every
problem found on the way is collected as a `Problem` rather than raised, so that one bad local
file costs its own entries, not the bot, and `courtyard kb check` can list them all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.intent_ids import Intent
from knowledge.tokenize import compact

PACKAGE_DIR = Path(__file__).parent
SHIPPED_DIR = PACKAGE_DIR / "data"
TOPICS_FILE = PACKAGE_DIR / "topics.yaml"
PLACEHOLDERS_FILE = PACKAGE_DIR / "placeholders.yaml"
LOCALES = ("zh", "en")
LOCAL_PREFIX = "local."
# The issue asks the shipped base for at least six ways to ask, per language.
SHIPPED_MIN_QUESTIONS = 6
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
ENTRY_KEYS = frozenset({"topic", "questions", "answer", "actions"})
# Intents that make no sense as a button under an answer.
NOT_ACTIONS = frozenset({Intent.FAQ, Intent.UNKNOWN, Intent.SMALLTALK, Intent.EMERGENCY})
LocalValue = str | Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a knowledge file, worded for the person who edits it."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Entry:
    """One topic: how residents ask about it, and what the front desk answers."""

    topic: str
    questions: Mapping[str, tuple[str, ...]]
    answer: Mapping[str, str]
    actions: tuple[str, ...] = ()
    source: str = ""

    def phrasings(self) -> Iterable[tuple[str, str]]:
        """(locale, phrasing) for every way of asking, in both languages."""
        for locale in LOCALES:
            for question in self.questions.get(locale, ()):
                yield locale, question


@dataclass(frozen=True, slots=True)
class Catalog:
    """The routing contract (topics.yaml): the intent ids and the topic ids with their titles."""

    intents: Mapping[str, Mapping[str, str]]
    topics: Mapping[str, Mapping[str, str]]

    def knows_topic(self, topic: str) -> bool:
        return topic in self.topics or topic.startswith(LOCAL_PREFIX)


@dataclass(frozen=True, slots=True)
class Placeholders:
    """The names an answer may use, with the neutral wording used where a compound has none."""

    defaults: Mapping[str, Mapping[str, str]]

    def value(self, name: str, locale: str, values: Mapping[str, Any] | None = None) -> str | None:
        """The compound's value in `locale`, else the other language's, else the default."""
        given = (values or {}).get(name)
        if isinstance(given, str) and given.strip():
            return given
        if isinstance(given, Mapping):
            for candidate in (locale, *LOCALES):
                text = given.get(candidate)
                if isinstance(text, str) and text.strip():
                    return text
        default = self.defaults.get(name, {})
        return default.get(locale) or next((default[x] for x in LOCALES if x in default), None)

    def fill(self, template: str, locale: str, values: Mapping[str, Any] | None = None) -> str:
        """The template with every known {name} replaced; an unknown name stays as written
        (`kb check` reports it), so a typo shows up rather than vanishing."""

        def replace(match: re.Match[str]) -> str:
            found = self.value(match.group(1), locale, values)
            return found if found is not None else match.group(0)

        return PLACEHOLDER.sub(replace, template)


@dataclass(slots=True)
class KnowledgeBase:
    """The entries in force for one scope (every compound, or one compound), by topic."""

    catalog: Catalog
    placeholders: Placeholders
    entries: dict[str, Entry] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def answer(self, topic: str, locale: str, values: Mapping[str, Any] | None = None) -> str:
        entry = self.entries[topic]
        text = entry.answer.get(locale) or next(entry.answer[x] for x in LOCALES)
        return self.placeholders.fill(text.strip(), locale, values)

    def title(self, topic: str, locale: str) -> str:
        """What a "did you mean" button says: the topic's title, or a local entry's first
        question."""
        known = self.catalog.topics.get(topic)
        if known and known.get(locale):
            return known[locale]
        entry = self.entries.get(topic)
        if entry is not None:
            for candidate in (locale, *LOCALES):
                if entry.questions.get(candidate):
                    return entry.questions[candidate][0]
        return topic


def _read_yaml(path: Path) -> tuple[Any, Problem | None]:
    try:
        with path.open(encoding="utf-8") as fh:
            return yaml.safe_load(fh), None
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        return None, Problem(str(path), f"cannot be read: {exc}".splitlines()[0])


@cache
def load_catalog(path: Path = TOPICS_FILE) -> Catalog:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return Catalog(intents=dict(data["intents"]), topics=dict(data["topics"]))


@cache
def load_placeholders(path: Path = PLACEHOLDERS_FILE) -> Placeholders:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    return Placeholders({name: dict(spec.get("default") or {}) for name, spec in data.items()})


def read_entries(
    path: Path, catalog: Catalog, *, shipped: bool
) -> tuple[list[Entry], list[Problem]]:
    """The valid entries of one file and the problems of the others."""
    data, problem = _read_yaml(path)
    if problem is not None:
        return [], [problem]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [Problem(str(path), "must be a list of entries (each starting with '- topic:')")]
    entries: list[Entry] = []
    problems: list[Problem] = []
    for number, raw in enumerate(data, start=1):
        entry, found = _parse_entry(raw, catalog, where=f"{path} entry {number}", shipped=shipped)
        problems.extend(found)
        if entry is not None:
            entries.append(
                Entry(entry.topic, entry.questions, entry.answer, entry.actions, str(path))
            )
    return entries, problems


def _parse_entry(
    raw: object, catalog: Catalog, *, where: str, shipped: bool
) -> tuple[Entry | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(where, "is not a mapping with topic, questions and answer")]
    topic = raw.get("topic")
    if isinstance(topic, str):
        where = f"{where} ({topic})"
    problems = [Problem(where, f"unknown key {key!r}") for key in raw.keys() - ENTRY_KEYS]
    if not isinstance(topic, str) or not topic:
        return None, [*problems, Problem(where, "has no topic id")]
    if shipped and topic not in catalog.topics:
        problems.append(Problem(where, f"unknown topic id {topic!r} (not in topics.yaml)"))
    elif not catalog.knows_topic(topic):
        problems.append(
            Problem(where, f"unknown topic id {topic!r}: use a topics.yaml id or a local.* id")
        )
    questions = _per_locale(raw.get("questions"), where, "questions", problems, shipped=shipped)
    answer = _per_locale(raw.get("answer"), where, "answer", problems, shipped=shipped)
    actions = raw.get("actions") or []
    if not isinstance(actions, list):
        problems.append(Problem(where, "actions must be a list of intent ids"))
        actions = []
    for action in actions:
        if action not in catalog.intents or action in NOT_ACTIONS:
            problems.append(Problem(where, f"unknown action {action!r}: use an intent id"))
    if problems:
        return None, problems
    return Entry(topic, questions, answer, tuple(actions)), []


def _per_locale(
    raw: object, where: str, what: str, problems: list[Problem], *, shipped: bool
) -> dict[str, Any]:
    if not isinstance(raw, dict):
        problems.append(Problem(where, f"{what} must be a mapping with zh and en"))
        return {}
    for key in raw.keys() - set(LOCALES):
        problems.append(Problem(where, f"{what}: unknown language {key!r}"))
    result: dict[str, Any] = {}
    for locale in LOCALES:
        value = raw.get(locale)
        if what == "answer":
            if not isinstance(value, str) or not value.strip():
                problems.append(Problem(where, f"answer has no {locale} text"))
            else:
                result[locale] = value
            continue
        if not isinstance(value, list) or not value:
            problems.append(Problem(where, f"questions have no {locale} phrasings"))
            continue
        texts = [str(q).strip() for q in value if str(q).strip()]
        if shipped and len(texts) < SHIPPED_MIN_QUESTIONS:
            problems.append(
                Problem(where, f"only {len(texts)} {locale} questions (at least six expected)")
            )
        result[locale] = tuple(texts)
    return result


def local_files(local_dir: Path | None, compound_code: str | None = None) -> list[Path]:
    """The deployment's files for every compound, or for one compound's own directory."""
    if local_dir is None:
        return []
    folder = local_dir / compound_code if compound_code else local_dir
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())


def compound_codes(local_dir: Path | None) -> list[str]:
    """Compounds that have a directory of their own entries."""
    if local_dir is None or not local_dir.is_dir():
        return []
    return sorted(
        p.name for p in local_dir.iterdir() if p.is_dir() and local_files(local_dir, p.name)
    )


@cache
def shipped_entries() -> tuple[tuple[Entry, ...], tuple[Problem, ...]]:
    """The shipped base, read once per process (it is package data and never changes)."""
    catalog = load_catalog()
    entries: list[Entry] = []
    problems: list[Problem] = []
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        found, bad = read_entries(path, catalog, shipped=True)
        entries.extend(found)
        problems.extend(bad)
    return tuple(entries), tuple(problems)


def load_knowledge(
    local_dir: Path | None = None, compound_code: str | None = None
) -> KnowledgeBase:
    """The entries in force: shipped, then the deployment's for everyone, then the compound's.

    Within one level a topic may appear only once; across levels a later level replaces.
    """
    catalog = load_catalog()
    base = KnowledgeBase(catalog=catalog, placeholders=load_placeholders())
    shipped, shipped_problems = shipped_entries()
    base.problems.extend(shipped_problems)
    levels: list[list[Entry]] = [list(shipped)]
    for code in (None, compound_code) if compound_code else (None,):
        level: list[Entry] = []
        for path in local_files(local_dir, code):
            found, bad = read_entries(path, catalog, shipped=False)
            level.extend(found)
            base.problems.extend(bad)
        levels.append(level)
    for level in levels:
        seen: dict[str, Entry] = {}
        for entry in level:
            if entry.topic in seen:
                base.problems.append(
                    Problem(
                        entry.source, f"topic {entry.topic} is also in {seen[entry.topic].source}"
                    )
                )
                continue
            seen[entry.topic] = entry
            base.entries[entry.topic] = entry
    base.problems.extend(_placeholder_problems(base))
    base.problems.extend(_collisions(base.entries.values()))
    return base


def _placeholder_problems(base: KnowledgeBase) -> list[Problem]:
    problems: list[Problem] = []
    for entry in base.entries.values():
        for locale, text in entry.answer.items():
            for name in PLACEHOLDER.findall(text):
                default = base.placeholders.defaults.get(name)
                where = f"{entry.source} ({entry.topic})"
                if default is None:
                    problems.append(
                        Problem(where, f"{locale} answer uses unknown placeholder {{{name}}}")
                    )
                elif not default.get(locale):
                    problems.append(
                        Problem(where, f"placeholder {{{name}}} has no {locale} default to fill it")
                    )
    return problems


def _collisions(entries: Iterable[Entry]) -> list[Problem]:
    """The same phrasing (ignoring case, spaces and punctuation) under two entries, or twice
    under one: the router could not tell which answer was meant."""
    owners: dict[str, Entry] = {}
    problems: list[Problem] = []
    for entry in entries:
        for _, question in entry.phrasings():
            key = compact(question)
            other = owners.get(key)
            if other is None:
                owners[key] = entry
            elif other.topic == entry.topic:
                problems.append(Problem(f"{entry.source} ({entry.topic})", f"{question!r} twice"))
            else:
                problems.append(
                    Problem(
                        f"{entry.source} ({entry.topic})",
                        f"{question!r} is also a phrasing of {other.topic} ({other.source})",
                    )
                )
    return problems
