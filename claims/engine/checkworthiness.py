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
from itertools import chain
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
        # Every term gets an integer id; per id, idf² (the norm's part) and idf·weight (the
        # dot product's). Counting and summing ints is cheaper than hashing strings again.
        self._ids: dict[str, dict[str, int]] = {}
        self._idf_sq: list[float] = []
        self._idf_weight: list[float] = []
        for name, block in self.blocks.items():
            ids = self._ids[name] = {}
            for gram, (idf, weight) in block.items():
                ids[gram] = len(self._idf_sq)
                self._idf_sq.append(idf * idf)
                self._idf_weight.append(idf * weight)
        # word -> (ids of its in-vocabulary character n-grams, their idf² sum, idf·weight sum)
        self._words: dict[str, tuple[tuple[int, ...], float, float]] = {}

    def _word(self, word: str) -> tuple[tuple[int, ...], float, float]:
        """A word's character n-grams, remembered: words repeat."""
        entry = self._words.get(word)
        if entry is None:
            vocab = self._ids["char"]
            ids = tuple(vocab[g] for g in char_ngrams(word) if g in vocab)
            entry = (ids, sum(self._idf_sq[i] for i in ids),
                     sum(self._idf_weight[i] for i in ids))
            if len(self._words) < 200_000:
                self._words[word] = entry
        return entry

    def _part(self, ids: list[int], norm_sq: float, dot: float) -> float:
        """One analyser's share of the decision. ``norm_sq`` and ``dot`` come in summed as if
        each gram occurred once per occurrence; grams seen more than once are corrected to
        the sublinear tf, (1 + ln tf)·idf, the trainer's."""
        idf_sq, idf_weight = self._idf_sq, self._idf_weight
        for gram, count in Counter(ids).most_common():
            if count == 1:
                break
            tf = 1.0 + math.log(count)
            norm_sq += (tf * tf - count) * idf_sq[gram]
            dot += (tf - count) * idf_weight[gram]
        return dot / math.sqrt(norm_sq)

    def decision(self, sentence: str) -> float:
        text = normalise(sentence)
        total = self.intercept
        tokens = _WORD_RE.findall(text)
        vocab = self._ids["word"]
        grams = chain(tokens, map(" ".join, zip(tokens, tokens[1:])))
        ids = [i for i in map(vocab.get, grams) if i is not None]
        if ids:
            total += self._part(ids, sum(map(self._idf_sq.__getitem__, ids)),
                                sum(map(self._idf_weight.__getitem__, ids)))
        # Character n-grams never cross a space, so a sentence's grams are its words'.
        entries = [self._word(word) for word in text.split()]
        ids = list(chain.from_iterable(entry[0] for entry in entries))
        if ids:
            total += self._part(ids, sum(entry[1] for entry in entries),
                                sum(entry[2] for entry in entries))
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
