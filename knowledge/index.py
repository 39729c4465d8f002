"""The search index behind the router: which entry (or intent) a message is most like.

Every label (a topic, or an actionable intent) has phrasings. A message is scored against a
label three ways and the scores are blended:

- against all of the label's phrasings taken together (a TF-IDF cosine): a message that uses
  words from several phrasings of one topic ("网上能缴物业费吗") still finds it;
- against its single closest phrasing (cosine): a message close to one phrasing wins clearly;
- by rapidfuzz's edit-distance ratio to that phrasing: typos and word order.

The first score picks candidates through an inverted index; only the best few labels get the
other two, so the cost stays flat as the base grows (10,000 entries: see bench/routing.py).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from knowledge.tokenize import KIND_WEIGHT, Tokenizer, compact, feature_weights

# How the three scores are blended (they are each 0..1).
LABEL_WEIGHT, PHRASE_WEIGHT, FUZZ_WEIGHT = 0.60, 0.25, 0.15
# Answer text counts a little towards its topic: it knows words residents use that no
# phrasing does ("灭火器" in an answer about safety), but it also mentions other topics.
ANSWER_WEIGHT = 0.3
FUZZ_FLOOR = 0.4
CANDIDATES = 12
# Candidate search on a large base: how many postings the rarest query features may walk,
# and how many labels then get an exact score.
POSTINGS_BUDGET = 3000
SHORTLIST = 150
# The query length (norm of its weighted features) past which a message is not penalised:
# this share of the indexed phrasings are shorter.
NORM_CAP_QUANTILE = 0.9


@dataclass(frozen=True, slots=True)
class Document:
    """One phrasing of a label (a topic id, or `intent:<id>` for an actionable intent)."""

    label: str
    text: str


@dataclass(slots=True)
class _Phrasing:
    weights: dict[str, float]
    norm: float
    compact: str


@dataclass(frozen=True, slots=True)
class Hit:
    """How well a message matches one label, with the phrasing that matched best."""

    label: str
    score: float
    label_score: float
    phrase_score: float
    fuzz_score: float
    phrasing: str


@dataclass(slots=True)
class Index:
    tokenizer: Tokenizer
    labels: list[str] = field(default_factory=list)
    _label_vectors: list[dict[str, float]] = field(default_factory=list)
    _label_norms: list[float] = field(default_factory=list)
    _postings: dict[str, dict[int, float]] = field(default_factory=dict)
    _label_idf: dict[str, float] = field(default_factory=dict)
    _phrase_idf: dict[str, float] = field(default_factory=dict)
    _phrasings: list[list[_Phrasing]] = field(default_factory=list)
    _texts: list[list[str]] = field(default_factory=list)
    _compacts: list[list[str]] = field(default_factory=list)
    _default_label_idf: float = 1.0
    _default_phrase_idf: float = 1.0
    # A message longer than a long phrasing is scored as if it were that long: its extra
    # words (the history before the ask, greetings, details) do not dilute the match.
    _label_norm_cap: float = math.inf
    _phrase_norm_cap: float = math.inf

    @classmethod
    def build(
        cls,
        tokenizer: Tokenizer,
        documents: Sequence[Document],
        extra_text: Mapping[str, Iterable[str]] | None = None,
    ) -> Index:
        """Indexes the documents; `extra_text` (answers) adds weak evidence to a label."""
        raw_features = tokenizer.learn(d.text for d in documents)
        index = cls(tokenizer)
        by_label: dict[str, int] = {}
        doc_features: list[tuple[int, set[str], str]] = []
        for doc, doc_words in zip(documents, raw_features, strict=True):
            slot = by_label.get(doc.label)
            if slot is None:
                slot = by_label[doc.label] = len(index.labels)
                index.labels.append(doc.label)
            doc_features.append((slot, set(doc_words), doc.text))
        phrase_df: Counter[str] = Counter()
        for _, features, _ in doc_features:
            phrase_df.update(features)
        n_docs = max(len(doc_features), 1)
        index._phrase_idf = {f: math.log((n_docs + 1) / (n + 0.5)) for f, n in phrase_df.items()}
        index._default_phrase_idf = math.log((n_docs + 1) / 0.5)
        # Feature counts per label: whole phrasings count 1, answer words ANSWER_WEIGHT.
        counts: list[dict[str, float]] = [{} for _ in index.labels]
        index._phrasings = [[] for _ in index.labels]
        index._texts = [[] for _ in index.labels]
        for slot, features, text in doc_features:
            for feature in features:
                counts[slot][feature] = counts[slot].get(feature, 0.0) + 1
            weights = feature_weights(features, index._phrase_idf, index._default_phrase_idf)
            norm = math.sqrt(sum(v * v for v in weights.values())) or 1.0
            index._phrasings[slot].append(_Phrasing(weights, norm, compact(text)))
            index._texts[slot].append(text)
        index._compacts = [[p.compact for p in phrasings] for phrasings in index._phrasings]
        for label, texts in (extra_text or {}).items():
            slot = by_label.get(label)
            if slot is None:
                continue
            for text in texts:
                for feature in set(tokenizer.features(text, correct=False)):
                    counts[slot][feature] = counts[slot].get(feature, 0.0) + ANSWER_WEIGHT
        label_df: Counter[str] = Counter()
        for counter in counts:
            label_df.update(counter.keys())
        n_labels = max(len(index.labels), 1)
        index._label_idf = {f: math.log((n_labels + 1) / (n + 0.5)) for f, n in label_df.items()}
        index._default_label_idf = math.log((n_labels + 1) / 0.5)
        for slot, counter in enumerate(counts):
            vector: dict[str, float] = {}
            for feature, n in counter.items():
                tf = 1 + math.log(n) if n >= 1 else n
                weight = tf * index._label_idf[feature]
                vector[feature] = weight * KIND_WEIGHT.get(feature[0], 1.0)
                index._postings.setdefault(feature, {})[slot] = vector[feature]
            index._label_vectors.append(vector)
            index._label_norms.append(math.sqrt(sum(v * v for v in vector.values())) or 1.0)
        label_norms = sorted(
            _norm(feature_weights(features, index._label_idf, index._default_label_idf))
            for _, features, _ in doc_features
        )
        phrase_norms = sorted(p.norm for phrasings in index._phrasings for p in phrasings)
        if label_norms:
            index._label_norm_cap = label_norms[int(len(label_norms) * NORM_CAP_QUANTILE)]
            index._phrase_norm_cap = phrase_norms[int(len(phrase_norms) * NORM_CAP_QUANTILE)]
        return index

    def search(self, text: str, *, limit: int = CANDIDATES, only: str | None = None) -> list[Hit]:
        """The best labels for `text`, best first; `only` keeps labels with that prefix
        (`"intent:"`) or, with "!", without it (`"!intent:"`)."""
        features = self.tokenizer.features(text)
        if not features:
            return []
        label_q = feature_weights(features, self._label_idf, self._default_label_idf)
        label_norm = min(_norm(label_q), self._label_norm_cap)
        scores = self._candidates(label_q)
        keep = _filter(only)
        best = heapq.nlargest(
            limit,
            (
                (min(s / (label_norm * self._label_norms[i]), 1.0), i)
                for i, s in scores.items()
                if keep(self.labels[i])
            ),
        )
        phrase_q = feature_weights(features, self._phrase_idf, self._default_phrase_idf)
        phrase_norm = min(_norm(phrase_q), self._phrase_norm_cap)
        query_keys = phrase_q.keys()
        query = compact(text)
        hits = []
        for label_score, slot in best:
            phrase_score, phrasing = 0.0, ""
            for position, p in enumerate(self._phrasings[slot]):
                shared = query_keys & p.weights.keys()
                if not shared:
                    continue
                cosine = min(
                    sum(phrase_q[f] * p.weights[f] for f in shared) / (phrase_norm * p.norm), 1.0
                )
                if cosine > phrase_score:
                    phrase_score, phrasing = cosine, self._texts[slot][position]
            closest = process.extractOne(query, self._compacts[slot], scorer=fuzz.ratio)
            # Two unrelated messages still share half their letters; only the part of the
            # edit-distance ratio above that says they are alike.
            ratio = closest[1] / 100.0 if closest else 0.0
            fuzz_score = max(0.0, ratio - FUZZ_FLOOR) / (1.0 - FUZZ_FLOOR)
            score = (
                LABEL_WEIGHT * label_score + PHRASE_WEIGHT * phrase_score + FUZZ_WEIGHT * fuzz_score
            )
            hits.append(
                Hit(self.labels[slot], score, label_score, phrase_score, fuzz_score, phrasing)
            )
        hits.sort(key=lambda h: h.score, reverse=True)
        return hits

    def _candidates(self, query: dict[str, float]) -> dict[int, float]:
        """Dot products of the query with the label vectors, for the labels worth scoring.

        The rarest features are walked first, through their postings, until the budget of
        postings is spent; the best labels found so far then get their exact dot product.
        On the shipped base the budget covers every feature; on a large one, common features
        ("怎么", "物业") no longer drag thousands of labels through the loop.
        """
        ordered = sorted(
            (f for f in query if f in self._postings), key=lambda f: len(self._postings[f])
        )
        partial: dict[int, float] = {}
        get = partial.get
        spent = 0
        for feature in ordered:
            postings = self._postings[feature]
            if spent and spent + len(postings) > POSTINGS_BUDGET:
                break
            spent += len(postings)
            weight = query[feature]
            for slot, value in postings.items():
                partial[slot] = get(slot, 0.0) + weight * value
        shortlist = (
            list(partial)
            if len(partial) <= SHORTLIST
            else heapq.nlargest(SHORTLIST, partial, key=partial.__getitem__)
        )
        keys = query.keys()
        scores = {}
        for slot in shortlist:
            vector = self._label_vectors[slot]
            scores[slot] = sum(query[f] * vector[f] for f in keys & vector.keys())
        return scores


def _norm(weights: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in weights.values())) or 1.0


def _filter(only: str | None) -> Callable[[str], bool]:
    if only is None:
        return lambda label: True
    if only.startswith("!"):
        prefix = only[1:]
        return lambda label: not label.startswith(prefix)
    return lambda label: label.startswith(only)
