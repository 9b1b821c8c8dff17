"""What two claims have in common: the terms of the propositions they bear on, weighted by how
rare each term is in the stream they came from, and the side each takes.

Pure Python, no Django: the database keeps the counts (``claims.matching``) and passes them in.

- ``terms_of(text)``: the stemmed terms of a proposition (the attribution-free, positive clause
  of a claim), with the words that only say *how* it is held dropped ("hoax", "denies",
  "reportedly"), so that a denial and the claim it denies have the same terms; aliases of one
  body made one term ("Moscow", "Kremlin" → Russia); figures marked.
- ``Weights(df, n)``: inverse document frequency over the stream's claims, so that on a week
  about one story its name ("Russia", "Trump") weighs little and what is said about it weighs
  much. A figure weighs half: a shared number alone is no shared proposition.
- ``similarity(a, b, weights)``: cosine of the weighted vectors, 0 without two shared terms
  that are not figures.
- ``stance(polarity, statement)``: the side a claim takes toward its proposition; opposite
  sides of one proposition contradict each other, and nothing else does.

The join thresholds were chosen on two thirds of the Emergent groups of ``stance/dev.csv``
(split by group), never on the rest; the lexical link threshold on 220 judged links of the real
news stream (``judged/calibration``); the dense link threshold is not calibrated yet.
docs/quality.md has the figures and ``research/matching/`` the scripts.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from functools import lru_cache

from . import relation
from .lexicon import FAMILY_ALIASES
from .retrieval_text import analyse as analyse_terms

SUPPORTS, CONTRADICTS, NEUTRAL = "supports", "contradicts", "neutral"

FIGURE = "#"  # prefix of a figure's term: "#40"
FIGURE_WEIGHT = 0.5

# Lexical only: a claim joins the proposition whose centroid it is closest to at or above
# JOIN_MIN; with the dense extra the score is (1 - DENSE_WEIGHT) * lexical + DENSE_WEIGHT *
# embedding cosine, against DENSE_JOIN_MIN.
JOIN_MIN = 0.2
DENSE_WEIGHT = 0.8
DENSE_JOIN_MIN = 0.5
# A suggested claim-to-claim link needs this pair score (same scale as the join); at most
# CLAIMTRACK_MATCH_LINKS_MAX per claim, the best first. LINK_MIN is the lowest score at which
# suggested links reached a precision of 0.80 (same proposition and the right relation) on a
# judged calibration sample of 220 links drawn from the real news stream at 0.3
# (judged/calibration/links.csv, research/matching/calibration_curve.py): 0.3 gave 0.07,
# 0.5 0.32, 0.7 0.75, 0.75 0.82 (9 of 11: few links).
LINK_MIN = 0.75
# With the dense extra a link needs the fused score at DENSE_LINK_MIN *and* the lexical score at
# LINK_MIN: the dense scale has no judged sample, so the judged lexical bar stays in force.
DENSE_LINK_MIN = 0.55
# Shared terms (not figures) a pair needs before any score counts, and the terms (not figures)
# a claim needs to be compared at all: "We won", "That would be Hillary Clinton" state too
# little to be the same proposition as anything.
SHARED_MIN = 2
TERMS_MIN = 3


@lru_cache(maxsize=1)
def _family_terms() -> dict[str, str]:
    """Stemmed one-word aliases of a body to one term: 'moscow', 'kremlin' → 'russia'."""
    mapping = {}
    for family, aliases in FAMILY_ALIASES.items():
        target = "family:" + family
        for alias in aliases:
            terms, _ = analyse_terms(alias)
            if len(terms) == 1:
                mapping[terms[0]] = target
    return mapping


def normalise_term(term: str) -> str:
    family = _family_terms().get(term)
    if family:
        return family
    # "invasion" / "invade", "decision" / "decide": the -sion noun of a -de verb.
    if len(term) > 6 and term.endswith("sion") and term[-5] in "aeiou":
        return term[:-4] + "d"
    return term


@lru_cache(maxsize=1)
def _stance_terms() -> frozenset[str]:
    """Terms of words that say how a statement is held, not what it states."""
    words = relation._DENY_WORDS | relation._DEBUNK_WORDS | relation._HEDGE_WORDS \
        | relation._REPORTING_WORDS
    found = set()
    for word in words:
        for term in analyse_terms(word, social=False)[0]:
            found.add(normalise_term(term))
    return frozenset(found)


# Reporting boilerplate says how a story was reported, not what anyone claims: "X did not
# respond to a request for comment", "Y declined to comment", "Z could not be reached".
# Its words are no part of a proposition (two such lines about different people are not the
# same statement); what is left is usually too little to compare.
_BOILERPLATE_RE = re.compile(
    r"\b(?:immediately\s+)?(?:respond(?:ed|s)?|repl(?:y|ied|ies)|return(?:ed|s)?)\s+(?:immediately\s+)?"
    r"(?:to\s+)?(?:(?:a|an|the|multiple|several|repeated|two)\s+)?(?:phone\s+|e-?mail(?:ed)?\s+)?"
    r"(?:requests?|inquir(?:y|ies)|e-?mails?|messages?|calls?|queries)"
    r"(?:\s+(?:for|seeking)\s+(?:further\s+)?comments?)?\b"
    r"|\b(?:declin(?:ed|es|e)|refus(?:ed|es|e))\s+to\s+comment\b"
    r"|\b(?:could|can)(?:\s+not|n['’]t)?\s+(?:immediately\s+)?be\s+reached(?:\s+for\s+comment)?\b"
    r"|\b(?:seeking|for)\s+comment\b",
    re.I)


def terms_of(text: str) -> Counter:
    """The proposition's terms and their counts (reporting boilerplate left out)."""
    terms, _ = analyse_terms(_BOILERPLATE_RE.sub(" ", text), social=False)
    stance = _stance_terms()
    found: Counter = Counter()
    for term in terms:
        term = normalise_term(term)
        if term in stance:
            continue
        found[FIGURE + term if term[:1].isdigit() else term] += 1
    return found


class Weights:
    """Inverse document frequency over ``n`` claims, ``df`` the claims holding each term."""

    def __init__(self, df: Mapping[str, int], n: int) -> None:
        self.df = df
        self.n = max(n, 1)

    def __call__(self, term: str) -> float:
        weight = math.log((self.n + 1) / (self.df.get(term, 0) + 0.5))
        weight = max(weight, 0.05)
        return weight * FIGURE_WEIGHT if term.startswith(FIGURE) else weight

    def vector(self, terms: Mapping[str, float]) -> dict[str, float]:
        return {term: count * self(term) for term, count in terms.items()}


def shared_words(a: Mapping[str, float], b: Mapping[str, float]) -> list[str]:
    return sorted(t for t in a.keys() & b.keys() if not t.startswith(FIGURE))


def comparable(terms: Mapping[str, float]) -> bool:
    """Whether a claim states enough to be compared: TERMS_MIN words that are not figures."""
    return sum(1 for t in terms if not t.startswith(FIGURE)) >= TERMS_MIN


def similarity(a: Mapping[str, float], b: Mapping[str, float], weights: Weights) -> float:
    """Weighted cosine of two term counts; 0 unless they share SHARED_MIN words."""
    if len(shared_words(a, b)) < SHARED_MIN:
        return 0.0
    va, vb = weights.vector(a), weights.vector(b)
    dot = sum(w * vb[t] for t, w in va.items() if t in vb)
    norm = math.sqrt(sum(w * w for w in va.values()) * sum(w * w for w in vb.values()))
    return dot / norm if norm else 0.0


def combined(lexical: float, dense: float | None) -> float:
    """The pair or join score: lexical alone, or fused with the embedding cosine."""
    if dense is None:
        return lexical
    return (1 - DENSE_WEIGHT) * lexical + DENSE_WEIGHT * dense


def join_min(dense: bool) -> float:
    return DENSE_JOIN_MIN if dense else JOIN_MIN


def link_min(dense: bool) -> float:
    return DENSE_LINK_MIN if dense else LINK_MIN


def refuted(text: str) -> tuple[str, ...]:
    """Words by which a text calls what it states false ("hoax", "denies", a leading "No"), or
    (). A plain negation is the extractor's to read (``polarity``): it knows its scope."""
    side = relation._side(text, as_text=True)
    if side.non_committal:
        return ()
    return tuple(side.refute) or (("no",) if side.leading_no else ())


def stance(polarity: str, statement: str, frame: str = "") -> tuple[str, tuple[str, ...]]:
    """(side, cue words) of a claim toward the proposition it bears on.

    ``polarity`` is the extractor's (affirms / denies / hedges). A statement the extractor
    reads as affirming but which calls its content false ("... is a hoax") is a denial too, and
    so is one the outlet frames as false: ``frame`` is the sentence before the claim's content
    ("Internet duped by fake report claiming ...", "Trump falsely said ..."); a denial verb
    there names someone else's denial, not this claim's side, so only words calling it false
    count.
    """
    if polarity == "denies":
        return CONTRADICTS, ("denies",)
    cues = refuted(statement)
    if not cues and frame:
        cues = tuple(c for c in refuted(frame) if c not in relation._DENY_WORDS and c != "no")
    if cues:
        return CONTRADICTS, cues
    if polarity == "hedges":
        return NEUTRAL, ("hedges",)
    return SUPPORTS, ()


def relation_between(a: str, b: str) -> str:
    """Two sides of one proposition: the same side supports, opposite sides contradict; a
    neutral side (hedged, asked) takes none."""
    if NEUTRAL in (a, b):
        return NEUTRAL
    return SUPPORTS if a == b else CONTRADICTS
