"""Features for Chinese, English and mixed messages."""

from __future__ import annotations

from knowledge.tokenize import Lexicon, Tokenizer, compact, detect_locale, stem


def test_chinese_becomes_characters_and_pairs() -> None:
    features = Tokenizer(Lexicon.load()).features("物业费怎么交")
    assert {"b物业", "b业费", "u物", "u费"} <= set(features)
    assert "u么" not in features  # a particle alone says nothing


def test_common_misspellings_are_folded() -> None:
    tokenizer = Tokenizer(Lexicon.load())
    assert "b业费" in tokenizer.features("物业废")
    assert "b电梯" in tokenizer.features("电悌坏了")


def test_english_words_are_stemmed_and_synonyms_folded() -> None:
    tokenizer = Tokenizer(Lexicon.load())
    assert stem("charging") == stem("charges") == stem("charge")
    assert tokenizer.features("the lift") == tokenizer.features("elevator")
    assert tokenizer.features("rubbish") == tokenizer.features("trash")


def test_english_typos_map_to_known_words() -> None:
    tokenizer = Tokenizer(Lexicon.load())
    tokenizer.learn(["parcel lockers here", "where are the parcel lockers"])
    assert tokenizer.features("lockres") == tokenizer.features("lockers")


def test_language_of_a_message() -> None:
    assert detect_locale("物业费怎么交") == "zh"
    assert detect_locale("how do I pay") == "en"
    assert detect_locale("物业费 how to pay") == "en"
    assert detect_locale("pls 转人工") == "zh"
    assert detect_locale("3-2-1502", hint="en") == "en"


def test_compact_ignores_case_spaces_and_punctuation() -> None:
    assert compact("物业费 怎么交？") == compact("物业费怎么交")
    assert compact("Gym Hours?") == compact("gym hours")
