"""Check-worthiness: is a sentence a factual claim worth checking? Score 0..1.

A linear model over TF-IDF word (1-2) and character (2-5, within words) n-grams, trained by
``manage.py train_checkworthiness`` on the ClaimBuster sentences and shipped as
``data/checkworthiness.json.gz``. Scoring is pure Python and reproduces the training
features exactly (``tests/engine/test_checkworthiness.py`` compares against the trainer).
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent / "data" / "checkworthiness.json.gz"

# Figures become one token: "$4 billion" and "$7 billion" are the same kind of claim.
_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)*")
_WORD_RE = re.compile(r"(?u)\b\w+\b|[%$?]")
_SPACES_RE = re.compile(r"\s\s+")


def normalise(text: str) -> str:
    return _NUMBER_RE.sub(" 0 ", text.lower())


def word_ngrams(text: str) -> list[str]:
    tokens = _WORD_RE.findall(text)
    return tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]


def char_ngrams(text: str, low: int = 2, high: int = 5) -> list[str]:
    """Character n-grams inside each space-padded word (scikit-learn's ``char_wb``)."""
    grams: list[str] = []
    for word in _SPACES_RE.sub(" ", text).split():
        padded = f" {word} "
        size = len(padded)
        for n in range(low, high + 1):
            if size < n:
                break
            grams.extend(padded[i:i + n] for i in range(size - n + 1))
    return grams


ANALYSERS = {"word": word_ngrams, "char": char_ngrams}


class Model:
    def __init__(self, data: dict) -> None:
        self.version = data["version"]
        self.intercept = data["intercept"]
        self.threshold = data["threshold"]
        self.slope = data["slope"]
        # term -> (idf, weight) per analyser
        self.blocks = {name: data["features"][name] for name in ANALYSERS}
        self._word_cache: dict[str, tuple[str, ...]] = {}
        self._terms = {
            name: {g: (idf * idf, idf * w) for g, (idf, w) in block.items()}
            for name, block in self.blocks.items()
        }

    def _char_grams(self, word: str) -> tuple[str, ...]:
        """In-vocabulary character n-grams of one word, remembered: words repeat."""
        grams = self._word_cache.get(word)
        if grams is None:
            vocab = self.blocks["char"]
            grams = tuple(g for g in char_ngrams(word) if g in vocab)
            if len(self._word_cache) < 200_000:
                self._word_cache[word] = grams
        return grams

    def _counts(self, name: str, text: str) -> Counter:
        if name == "char":
            # Character n-grams never cross a space, so a sentence's counts are its words'.
            grams = [g for word in text.split() for g in self._char_grams(word)]
        else:
            vocab = self.blocks[name]
            grams = [g for g in ANALYSERS[name](text) if g in vocab]
        return Counter(grams)

    def decision(self, sentence: str) -> float:
        text = normalise(sentence)
        total = self.intercept
        for name in ANALYSERS:
            counts = self._counts(name, text)
            if not counts:
                continue
            # Per gram (idf², idf·weight): tf-idf value is (1 + ln tf)·idf (sublinear tf).
            terms = self._terms[name]
            norm_sq = dot = 0.0
            for gram, count in counts.items():
                idf_sq, idf_weight = terms[gram]
                if count == 1:
                    norm_sq += idf_sq
                    dot += idf_weight
                else:
                    tf = 1.0 + math.log(count)
                    norm_sq += tf * tf * idf_sq
                    dot += tf * idf_weight
            total += dot / math.sqrt(norm_sq)
        return total

    def score(self, sentence: str) -> float:
        """0..1, 0.5 at the model's decision threshold (chosen by cross-validation)."""
        z = self.slope * (self.decision(sentence) - self.threshold)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@lru_cache(maxsize=1)
def load_model(path: str = str(MODEL_PATH)) -> Model:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return Model(json.load(handle))


def score(sentence: str) -> float:
    return load_model().score(sentence)
