"""Value types the engine returns. Plain dataclasses: no Django, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Span:
    """A half-open character range [start, end) into the analysed text."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class ClaimantRef:
    """Who made a claim, as resolved within one article.

    ``name`` is the fullest form seen in the article ("Julianne Smith"), ``role`` the
    role or affiliation attached to it ("U.S. ambassador to NATO"), ``family`` the
    normalised body the claimant speaks for ("russia" for Moscow / the Kremlin / Lavrov
    when known, else the normalised name), ``kind`` one of person / organisation /
    country / group / unknown, and ``mention`` the span actually written at this claim
    (may be a pronoun or short name that resolution expanded).
    """

    name: str
    role: str = ""
    family: str = ""
    kind: str = "unknown"
    mention: Span | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ExtractedClaim:
    """One statement found in a text.

    ``content`` is what is claimed (for a denial: the denied content), ``sentence`` the
    sentence(s) that hold it, ``cue`` the reporting words ("said", "denied",
    "according to"), ``claimant`` None for the outlet's own statement. ``kind`` is one of
    ``KINDS``. ``cue_words`` are the words that decided the kind. ``negated`` and
    ``hedged`` flag negation and hedging inside the content. ``statement`` is the claim as its
    claimant made it, readable on its own (a denial says the denial); ``proposition`` the
    positive, attribution-free clause it bears on, and ``polarity`` its stance toward it
    (affirms / denies / hedges; ``engine.statements``). ``checkworthiness`` (0..1) is set by
    ``analyse``, not by ``extract_claims``.
    """

    content: Span
    sentence: Span
    kind: str
    claimant: ClaimantRef | None = None
    cue: Span | None = None
    cue_words: tuple[str, ...] = ()
    negated: bool = False
    hedged: bool = False
    checkworthiness: float | None = None
    statement: str = ""
    proposition: str = ""
    polarity: str = "affirms"
    extra: dict = field(default_factory=dict, hash=False, compare=False)


KINDS = ("assertion", "allegation", "denial", "quote", "warning", "not_claim")
