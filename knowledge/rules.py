"""The hand-written part of routing, read from `knowledge/intents/*.yaml`.

- Emergencies: patterns per kind (fire, smoke, gas, trapped, flood, shock, violence, medical)
  in order of priority, the wording that turns an emergency word into a general question
  ("电梯困人怎么办") or a long-running problem ("每次下雨都淹，四年了"), and the common
  places and buildings a report may name ("楼道", "3号楼").
- Actionable intents (repair, fee, complaint, event, handoff): weighted cue patterns and
  example phrasings. Cues carry what examples cannot: "我家...欠" is about the resident's own
  bill whatever the words around it.
- Sentence forms (a question, a request to come) and smalltalk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.intent_ids import ACTIONABLE, Intent
from knowledge.tokenize import Lexicon, normalize, rewrite

INTENTS_DIR = Path(__file__).parent / "intents"
# Where a sentence ends, to find a long message's last sentence.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])|(?<=\. )")


def _compile(patterns: list[str] | str) -> re.Pattern[str] | None:
    items = [patterns] if isinstance(patterns, str) else [p for p in patterns if p]
    return re.compile("|".join(f"(?:{p})" for p in items)) if items else None


def _per_name(data: Mapping[str, Mapping[str, list[str]]]) -> dict[str, re.Pattern[str]]:
    """One pattern per name from its patterns in every language, in the order given."""
    compiled = {
        name: _compile([p for patterns in per_locale.values() for p in patterns])
        for name, per_locale in data.items()
    }
    return {name: pattern for name, pattern in compiled.items() if pattern is not None}


@dataclass(frozen=True, slots=True)
class EmergencyMatch:
    """Emergency words were found: every kind they speak of, most pressing first (the yaml's
    `priority`); `guarded` when the wording makes it a general question."""

    kinds: tuple[str, ...]
    guarded: bool


@dataclass(slots=True)
class EmergencyRules:
    """`intents/emergency.yaml`: the kinds of emergency in order of priority, the wording that
    makes one a question, and the common places and buildings a report may name."""

    # In order of priority, most pressing first.
    kinds: dict[str, re.Pattern[str]]
    ignore: re.Pattern[str] | None = None
    general: re.Pattern[str] | None = None
    hypothetical: re.Pattern[str] | None = None
    chronic: re.Pattern[str] | None = None
    urgent: re.Pattern[str] | None = None
    here: re.Pattern[str] | None = None
    cries: re.Pattern[str] | None = None
    places: dict[str, re.Pattern[str]] = field(default_factory=dict)
    buildings: tuple[re.Pattern[str], ...] = ()

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> EmergencyRules:
        priority = [str(kind) for kind in data["priority"]]
        if sorted(priority) != sorted(data["kinds"]):
            raise ValueError("emergency.yaml: `priority` must name every kind exactly once")
        return cls(
            kinds=_per_name({kind: data["kinds"][kind] for kind in priority}),
            ignore=_compile(data.get("ignore", [])),
            general=_compile(data.get("general", [])),
            hypothetical=_compile(data.get("hypothetical", [])),
            chronic=_compile(data.get("chronic", [])),
            urgent=_compile(data.get("urgent", [])),
            here=_compile(data.get("here", [])),
            cries=_compile(data.get("cries", [])),
            places=_per_name(data.get("places") or {}),
            buildings=tuple(re.compile(p) for p in data.get("buildings") or ()),
        )

    def match(self, text: str) -> EmergencyMatch | None:
        """The kinds of emergency `text` (normalised) speaks of, if any."""
        if self.ignore is not None:
            text = self.ignore.sub(" ", text)
        kinds = tuple(k for k, p in self.kinds.items() if p.search(text))
        if not kinds:
            return None

        def has(pattern: re.Pattern[str] | None) -> bool:
            return pattern is not None and pattern.search(text) is not None

        if has(self.cries):
            return EmergencyMatch(kinds, guarded=False)
        if has(self.hypothetical) or has(self.chronic):
            return EmergencyMatch(kinds, guarded=True)
        guarded = has(self.general) and not (has(self.urgent) or has(self.here))
        return EmergencyMatch(kinds, guarded=guarded)

    def place_in(self, text: str) -> str | None:
        """The common place `text` (normalised) names first ("stairwell" for "楼道里全是烟")."""
        found = [
            (m.start(), order, name)
            for order, (name, pattern) in enumerate(self.places.items())
            if (m := pattern.search(text)) is not None
        ]
        return min(found)[2] if found else None

    def building_in(self, text: str) -> str | None:
        """The number of a building `text` (normalised) names ("3" for "3号楼"), if any."""
        for pattern in self.buildings:
            found = pattern.search(text)
            if found is not None:
                return found.group(1)
        return None


@dataclass(slots=True)
class IntentRules:
    """Everything in `intents/`: lexicon, emergencies, cues, examples, forms, smalltalk."""

    lexicon: Lexicon
    emergency: EmergencyRules
    cues: dict[str, list[tuple[re.Pattern[str], float]]] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)
    question: re.Pattern[str] | None = None
    request: re.Pattern[str] | None = None
    smalltalk: re.Pattern[str] | None = None
    smalltalk_kinds: dict[str, re.Pattern[str]] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path = INTENTS_DIR) -> IntentRules:
        lexicon = Lexicon.load(folder / "lexicon.yaml")
        files = {p.stem: _read(p) for p in sorted(folder.glob("*.yaml"))}
        rules = cls(lexicon=lexicon, emergency=EmergencyRules.from_data(files["emergency"]))
        forms = files["forms"]
        rules.question = _compile(forms["question"])
        rules.request = _compile(forms["request"])
        small = files["smalltalk"]
        # One or more greetings in a row, each with its trailing particles, spaces or emoji.
        phrases = "|".join(small["phrases"])
        rules.smalltalk = re.compile(f"(?:(?:{phrases}){small['trailing']})+")
        rules.smalltalk_kinds = {k: re.compile(p) for k, p in (small.get("kinds") or {}).items()}
        for data in files.values():
            if data.get("intent") not in ACTIONABLE:
                continue
            intent = Intent(data["intent"])
            rules.cues[intent] = [(re.compile(p), float(w)) for p, w in data.get("cues", [])]
            examples = data.get("examples") or {}
            rules.examples[intent] = [str(e) for texts in examples.values() for e in texts]
        return rules

    def prepare(self, text: str) -> str:
        """Normalised text with Chinese misspellings fixed, for the patterns to read."""
        return rewrite(normalize(text), self.lexicon, english=False)

    def cue_scores(self, text: str) -> dict[str, float]:
        """The summed weight of each intent's cues that occur in `text` (prepared)."""
        return {
            intent: sum(w for pattern, w in cues if pattern.search(text))
            for intent, cues in self.cues.items()
        }

    def is_question(self, text: str) -> bool:
        return self.question is not None and self.question.search(text) is not None

    def ends_with_question(self, text: str) -> bool:
        """The last sentence asks something: in a long message, the ask comes last and the
        story before it ("楼上漏水到我家…想问维修费用由谁出？") is background."""
        sentences = [s for s in _SENTENCE_END.split(text) if s.strip(" 。.!！")]
        return len(sentences) > 1 and self.is_question(sentences[-1])

    def is_request(self, text: str) -> bool:
        return self.request is not None and self.request.search(text) is not None

    def smalltalk_kind(self, text: str) -> str:
        """greeting, thanks, help or who: which reply a smalltalk message gets."""
        return next((k for k, p in self.smalltalk_kinds.items() if p.search(text)), "greeting")

    def is_smalltalk(self, text: str) -> bool:
        """Every part of the message is a greeting, thanks or a request for help or the menu."""
        return self.smalltalk is not None and self.smalltalk.fullmatch(text.strip()) is not None


def _read(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path} must be a mapping")
    return data
