"""Decide a claim's kind and its negation/hedge flags from the cue and the content."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .lexicon import (
    ALLEGE_LEMMAS,
    DENY_LEMMAS,
    HEDGE_RE,
    NEGATION_RE,
    NO_PLANS_RE,
    WARN_LEMMAS,
    WARNING_RE,
    WRONGDOING_RE,
)


@dataclass(frozen=True, slots=True)
class KindDecision:
    kind: str
    cue_words: tuple[str, ...]
    # For a denial phrased as "has no plans to X": the content narrows to "plans to X".
    content_offset: int = 0


def _words(s: str) -> tuple[str, ...]:
    return tuple(s.lower().split())


def classify(*, lemma: str, cue_text: str, nominal: str, quote: bool, content: str) -> KindDecision:
    """Kind of an attributed statement, in priority denial > allegation > warning > quote."""
    if lemma in DENY_LEMMAS or nominal == "denial":
        return KindDecision("denial", _words(cue_text))
    m = NO_PLANS_RE.search(content)
    if m:
        return KindDecision("denial", _words(m.group(0)), content_offset=m.end())
    if lemma in ALLEGE_LEMMAS or nominal == "allegation":
        return KindDecision("allegation", _words(cue_text))
    m = WRONGDOING_RE.search(content)
    if m:
        if NEGATION_RE.search(content, 0, m.start()):
            # "is not preparing to invade" rejects the allegation rather than making it.
            return KindDecision("denial", _words(m.group(0)))
        return KindDecision("allegation", _words(m.group(0)))
    if lemma in WARN_LEMMAS or nominal == "warning":
        return KindDecision("warning", _words(cue_text))
    m = WARNING_RE.search(content)
    if m:
        return KindDecision("warning", _words(m.group(0)))
    if quote:
        return KindDecision("quote", ())
    return KindDecision("assertion", _words(cue_text) if cue_text else ())


def is_negated(content: str) -> bool:
    return NEGATION_RE.search(content) is not None


def is_hedged(content: str) -> bool:
    return HEDGE_RE.search(content) is not None


_QUOTED_RE = re.compile(r"“[^”]*”|\"[^\"]*\"")


def outside_quotes(s: str) -> str:
    """``s`` with quoted passages blanked, for checks about the outlet's own voice."""
    return _QUOTED_RE.sub(lambda m: " " * len(m.group(0)), s)
