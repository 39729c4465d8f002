"""From a resident's message to the features the router matches on.

Chinese has no spaces, so a run of Chinese characters becomes its characters and its
character pairs ("物业费" -> 物, 业, 费, 物业, 业费): pairs carry the words, single characters
rescue a typo in one half of a pair. English becomes lower-case word stems, with a few
synonyms folded together and misspelt words mapped to the nearest known word (rapidfuzz).
Mixed messages ("my 门禁卡 lost") get both kinds. No segmenter and no model are needed: the
pairs do most of a segmenter's work for short messages, and the default install stays light.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process

LEXICON_FILE = Path(__file__).parent / "intents" / "lexicon.yaml"

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK_RUN = re.compile(f"[{CJK}]+")
ASCII_WORD = re.compile(r"[a-z]{2}")
TOKENS = re.compile(f"[{CJK}]+|[a-z0-9]+(?:'[a-z]+)?")
# @mentions of the bot and links say nothing about what is asked.
# A Telegram username is ASCII letters, digits and underscores: `\w` would also swallow the
# Chinese written straight after it ("@courtyard_bot我家水管漏了").
NOISE = re.compile(r"@[A-Za-z0-9_]+|https?://\S+")
# Feature kinds: a single Chinese character, a Chinese character pair, an English stem, a number.
UNIGRAM, BIGRAM, WORD, NUMBER = "u", "b", "w", "n"
# A pair with a function character ("在哪", "费在") says less about the topic than a pair of
# content characters ("物业", "电费"): "物业费在哪交" is about 物业费, not about 在哪交.
FUNCTION_PAIR = "f"
# How much each kind of feature weighs besides its rarity.
KIND_WEIGHT = {UNIGRAM: 0.5, FUNCTION_PAIR: 0.5}
# English typos are corrected only for words this long (shorter ones collide too easily) and
# only to a word the knowledge base uses at least twice (so a typo is not corrected into one).
MIN_TYPO_LENGTH = 4
TYPO_CUTOFF = 80.0


@dataclass(frozen=True, slots=True)
class Rewrite:
    """Several (pattern, replacement) pairs applied in one pass over the text."""

    pattern: re.Pattern[str] | None
    replacements: tuple[str, ...]

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, str]], *, words: bool = False) -> Rewrite:
        pairs = list(pairs)
        if not pairs:
            return cls(None, ())
        template = r"\b(?:{})\b" if words else "(?:{})"
        joined = "|".join(f"(?P<r{i}>{template.format(p)})" for i, (p, _) in enumerate(pairs))
        return cls(re.compile(joined), tuple(r for _, r in pairs))

    def __call__(self, text: str) -> str:
        if self.pattern is None:
            return text
        return self.pattern.sub(lambda m: self.replacements[int((m.lastgroup or "r0")[1:])], text)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Normalisation data from `intents/lexicon.yaml`."""

    zh_rewrite: Rewrite = Rewrite(None, ())
    zh_stop_chars: frozenset[str] = frozenset()
    zh_function_chars: frozenset[str] = frozenset()
    en_stopwords: frozenset[str] = frozenset()
    en_rewrite: Rewrite = Rewrite(None, ())

    @classmethod
    def load(cls, path: Path = LEXICON_FILE) -> Lexicon:
        with path.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        return cls(
            zh_rewrite=Rewrite.of((a, b) for a, b in data.get("zh_rewrite", [])),
            zh_stop_chars=frozenset(data.get("zh_stop_chars", "")),
            zh_function_chars=frozenset(data.get("zh_function_chars", "")),
            en_stopwords=frozenset(str(data.get("en_stopwords", "")).split()),
            en_rewrite=Rewrite.of(((a, b) for a, b in data.get("en_rewrite", [])), words=True),
        )


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, no mentions or links, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = NOISE.sub(" ", text)
    return " ".join(text.split())


def rewrite(text: str, lexicon: Lexicon, *, english: bool = True) -> str:
    """Normalised text with the lexicon's spellings applied (each language only if present)."""
    if CJK_RUN.search(text):
        text = lexicon.zh_rewrite(text)
    if english and ASCII_WORD.search(text):
        text = lexicon.en_rewrite(text)
    return text


def compact(text: str) -> str:
    """The normalised text without spaces and punctuation: what fuzzy string scores compare."""
    return "".join(TOKENS.findall(normalize(text)))


def count_scripts(text: str) -> tuple[int, int]:
    """(Chinese characters, English words) in the text."""
    cjk = sum(len(run) for run in CJK_RUN.findall(text))
    words = len(re.findall(r"[a-zA-Z]{2,}", text))
    return cjk, words


def detect_locale(text: str, hint: str | None = None) -> str:
    """zh or en: the language most of the message is written in; `hint` breaks a tie.

    An English word counts as two Chinese characters, so "物业费 how to pay" is English and
    "pls 转人工" is Chinese, as their writers meant.
    """
    cjk, words = count_scripts(text)
    if cjk == 0 and words == 0:
        return hint if hint in ("zh", "en") else "zh"
    if words * 2 > cjk:
        return "en"
    if words * 2 == cjk and hint in ("zh", "en"):
        return hint
    return "zh"


def stem(word: str) -> str:
    """A small suffix stripper: "charging", "charged", "charges" and "charge" meet at "charg"."""
    if len(word) <= 3 or word.isdigit():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses"):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ing", "ed"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    if word.endswith("e") and len(word) > 3:
        word = word[:-1]
    return word


@dataclass(slots=True)
class Tokenizer:
    """Turns text into features; remembers the English words it has seen to fix typos."""

    lexicon: Lexicon
    # English stem -> how often the indexed texts use it; typos are corrected towards these.
    vocabulary: dict[str, int] = field(default_factory=dict)
    _corrections: dict[str, str] = field(default_factory=dict)
    _frequent: list[str] | None = None

    def learn(self, texts: Iterable[str]) -> list[list[str]]:
        """The features of indexed texts, as written (no typo correction); their English words
        join the vocabulary that residents' typos are mapped onto."""
        result = []
        for text in texts:
            features = []
            for kind, value in self._raw(text):
                if kind == WORD:
                    self.vocabulary[value] = self.vocabulary.get(value, 0) + 1
                features.append(kind + value)
            result.append(features)
        self._frequent = None
        self._corrections.clear()
        return result

    def features(self, text: str, *, correct: bool = True) -> list[str]:
        """The features of `text`, in order, with repeats (callers that need a set make one)."""
        out: list[str] = []
        for kind, value in self._raw(text):
            if kind == WORD:
                if correct and value not in self.vocabulary:
                    value = self._correct(value)
                out.append(WORD + value)
            else:
                out.append(kind + value)
        return out

    def _raw(self, text: str) -> Iterable[tuple[str, str]]:
        lex = self.lexicon
        text = rewrite(normalize(text), lex)
        for token in TOKENS.findall(text):
            if CJK_RUN.fullmatch(token):
                for ch in token:
                    if ch not in lex.zh_stop_chars:
                        yield UNIGRAM, ch
                function = lex.zh_function_chars
                for i in range(len(token) - 1):
                    pair = token[i : i + 2]
                    weak = pair[0] in function or pair[1] in function
                    yield (FUNCTION_PAIR if weak else BIGRAM), pair
            elif token.isdigit():
                # Emergency and hotline numbers (119, 12345) matter; unit numbers do not match
                # anything and only lower the score, which is what an unknown detail should do.
                yield NUMBER, token
            elif token not in lex.en_stopwords:
                yield WORD, stem(token.replace("'", ""))

    def _correct(self, word: str) -> str:
        if len(word) < MIN_TYPO_LENGTH or not any(ch.isalpha() for ch in word):
            return word
        cached = self._corrections.get(word)
        if cached is not None:
            return cached
        if self._frequent is None:
            self._frequent = [w for w, n in self.vocabulary.items() if n >= 2 and len(w) >= 3]
        match = process.extractOne(
            word, self._frequent, scorer=fuzz.ratio, score_cutoff=TYPO_CUTOFF
        )
        corrected = match[0] if match else word
        self._corrections[word] = corrected
        return corrected


def feature_weights(
    features: Iterable[str], idf: Mapping[str, float], default: float
) -> dict[str, float]:
    """Each distinct feature with its weight: rarity (idf), less for single characters and
    pairs with a function character, which say less than a pair of content characters."""
    weights: dict[str, float] = {}
    for feature in features:
        if feature not in weights:
            weights[feature] = idf.get(feature, default) * KIND_WEIGHT.get(feature[0], 1.0)
    return weights
