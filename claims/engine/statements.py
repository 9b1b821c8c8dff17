"""What a claim says, readable on its own: the statement as its claimant made it, the
proposition it bears on (a positive clause without attribution), and its polarity toward it.

A denial reported as "Russia denied having any plans to invade" has the denied content as
its span; its statement says the denial ("Russia denies having any plans to invade"), its
proposition is the content made positive ("Russia has plans to invade"), its polarity
``denies``. Negation inside the content ("Russia is not preparing to invade") stays in the
statement and is taken out of the proposition. Hedged content ("may invade") ``hedges``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clauses import stands_alone
from .lexicon import HEDGE_RE as _HEDGE_RE
from .lexicon import NEGATION_RE as _NEGATION_RE
from .lexicon import SUBORDINATORS
from .sentences import split_sentences
from .types import ExtractedClaim

AFFIRMS, DENIES, HEDGES = "affirms", "denies", "hedges"
POLARITIES = (AFFIRMS, DENIES, HEDGES)


@dataclass(frozen=True, slots=True)
class Statement:
    text: str  # the statement as made, faithful to the claimant
    proposition: str  # positive, attribution-free
    polarity: str  # one of POLARITIES


_SPACE_RE = re.compile(r"\s+")
_EDGE_QUOTES = "\"“”‘’'"
# A negation in the main run of a clause, and what the positive form keeps of it. Ordered:
# the longer forms first. "if not" ("daily, if not daily") and "not only" are no denial.
_POSITIVE = [
    (re.compile(r"\b(has|have|had)\s+no\s+(plans?|intentions?|designs?)\b", re.I),
     lambda m: _inflect_plan(m)),
    (re.compile(r"\b(is|are|was|were|am)\s+(?:\w+ly\s+)?not\s+(?:going\s+to\s+be\s+)?", re.I),
     lambda m: m.group(1) + " "),
    (re.compile(r"(['’](?:s|re|m))\s+not\b\s*", re.I), lambda m: m.group(1) + " "),
    (re.compile(r"\bno\s+longer\s+", re.I), lambda m: ""),
    (re.compile(r"\bnone\s+of\b", re.I), lambda m: _same_case(m.group(0), "some of")),
    (re.compile(r"\b(?:(has|have|had|is|are|was|were|['’]s|['’]ve|['’]d)\s+)no\s+(?=[a-z])", re.I),
     lambda m: m.group(1) + " some "),
    (re.compile(r"^no\s+(?=[a-z])", re.I), lambda m: "Some "),
    (re.compile(r"\b(?:does\s+not|doesn['’]t)\s+([a-z]+)\b", re.I),
     lambda m: _third_person(m.group(1))),
    (re.compile(r"\b(?:do\s+not|don['’]t)\s+(?=[a-z])", re.I), lambda m: ""),
    (re.compile(r"\b(is|are|was|were|do|does|did|has|have|had|ca|could|would|should|will|wo|must|"
                r"might|need)n['’]t\b", re.I),
     lambda m: _UNCONTRACT.get(m.group(1).lower(), m.group(1))),
    (re.compile(r"\b(do|does|did|will|would|could|can|should|must|has|have|had|might|may)\s+"
                r"not\b", re.I), lambda m: m.group(1)),
    (re.compile(r"\bcannot\b", re.I), lambda m: "can"),
    (re.compile(r"\bnever\s+", re.I), lambda m: ""),
    (re.compile(r"\bno\s+one\b|\bnobody\b", re.I), lambda m: "someone"),
    (re.compile(r"\bnothing\b", re.I), lambda m: "something"),
    (re.compile(r"\bnot\s+(?=(?:a|an|any|the|to|be)\b)", re.I), lambda m: ""),
    # A headline's bare "not" before a participle: "Man not being treated for Ebola",
    # "Banksy not arrested".
    (re.compile(r"\bnot\s+(?=(?:being|been|[a-z]{3,}(?:ed|en))\b)", re.I), lambda m: ""),
    (re.compile(r"\b(?:any|no)\s+(?=(?:plans?|intentions?|evidence|threat|desire|interest)\b)",
                re.I), lambda m: ""),
]
_UNCONTRACT = {"ca": "can", "wo": "will"}


def _same_case(found: str, replacement: str) -> str:
    return replacement[:1].upper() + replacement[1:] if found[:1].isupper() else replacement
_NOT_DENIAL_RE = re.compile(
    r"\bif\s+not\b|(?:\bnot|n['’]t)\s+(?:only|just|simply|merely|least|until)\b|\bno\s+doubt\b|"
    r"\bno\s+later\s+than\b|\bno\s+matter\b|\bno\s+question\b|"
    r"(?-i:\bNever\s+[A-Z]\w+)", re.I)
# A negation after one of these is in a subordinate clause, not the statement's own: "... one
# of five territories that vote, even though their residents aren't eligible".
# A second clause or predicate joined by "and" has a polarity of its own: "Russia is preparing
# to invade Ukraine, and that the alliance would not allow ...", "Moscow had positioned forces
# and had not explained why" affirm what comes first. After "but" the negation is the point
# ("he applied to West Point, but that was not the case").
_SUBORDINATE_RE = re.compile(
    r"\b(?:even\s+though|as\s+if|" + "|".join(sorted(SUBORDINATORS)) + r"|"
    r"and\s+(?:that|had|has|have|was|were|is|are|did|does|do|would|will|could|"
    r"should|said|says))\b", re.I)
_LEADING_NO_RE = re.compile(r"^(?:no[,.!]\s*(?:and\s+(?:again\s+)?no[,.!]?\s*)?)+", re.I)
# Content that is a clause (a subject and its verb) rather than a noun or -ing phrase.
_CLAUSE_START_RE = re.compile(
    r"^(?:that\s+|it|they|he|she|we|i|you|there|this|these|those|[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"
    r"(?:\s+\w+){0,3}?\s+(?:is|are|was|were|has|have|had|will|would|could|can|should|may|might|must|"
    r"does|do|did|plans?|wants?|intends?|seeks?)\b)")
_NOT_CLAUSE_START_RE = re.compile(r"^(?:to\s|\w+ing\b)", re.I)
# A finite verb after the first word: an auxiliary or modal, or a past tense.
_FINITE_RE = re.compile(
    r"^\S+.*?\b(?:is|are|was|were|has|have|had|will|would|could|can|should|may|might|must|"
    r"does|do|did|won['’]t|can['’]t|isn['’]t|wasn['’]t|[a-z]{3,}ed)\b", re.I)
_GERUND_HAVE_RE = re.compile(r"^(?:any\s+)?having\s+(?:any\s+)?", re.I)


def _third_person(verb: str) -> str:
    """"want" → "wants": the form "does not <verb>" takes without its negation."""
    lower = verb.lower()
    if lower in ("have", "be", "do", "go"):
        return {"have": "has", "be": "is", "do": "does", "go": "goes"}[lower]
    if re.search(r"(?:s|sh|ch|x|z|o)$", lower):
        return verb + "es"
    if re.search(r"[^aeiou]y$", lower):
        return verb[:-1] + "ies"
    return verb + "s"


def _inflect_plan(m: re.Match) -> str:
    noun = m.group(2).lower()
    verb = "plans" if noun.startswith("plan") else "intends" if noun.startswith("intention") \
        else "has designs"
    return verb if m.group(1).lower() != "had" else \
        {"plans": "planned", "intends": "intended"}.get(verb, "had designs")


def clean(text: str) -> str:
    """The span as a sentence fragment: whitespace collapsed, wrapping quotes and trailing
    punctuation dropped (a quote inside stays)."""
    text = _SPACE_RE.sub(" ", text).strip()
    while len(text) > 1 and text[0] in _EDGE_QUOTES and text.count(text[0]) % 2 == 1:
        text = text[1:].lstrip()
    text = text.rstrip(" ,;:")
    if text and text[-1] in _EDGE_QUOTES and text.count(text[-1]) % 2 == 1:
        text = text[:-1].rstrip(" ,;:")
    return text.rstrip(".,;:") if not text.endswith("...") else text


def is_denial(text: str) -> bool:
    """A negation that denies, not "if not" / "not only", in the statement's own clause (not
    after "although", "which", "if"...)."""
    guarded = _NOT_DENIAL_RE.sub(lambda m: "\0" * len(m.group(0)), text)
    negation = _NEGATION_RE.search(guarded)
    if negation is None:
        return False
    subordinate = _SUBORDINATE_RE.search(guarded, 0, negation.start())
    return subordinate is None


def positive(text: str) -> str:
    """``text`` with its first denying negation taken out: "Russia is not planning to
    invade" → "Russia is planning to invade"; "There won't be a war" → "There will be a
    war"; "nothing like that is going to happen" → "something like that is going to
    happen"."""
    text = _LEADING_NO_RE.sub("", text).strip()
    guarded = _NOT_DENIAL_RE.sub(lambda m: "\0" * len(m.group(0)), text)
    for pattern, replacement in _POSITIVE:
        m = pattern.search(guarded)
        if m is not None:
            out = text[:m.start()] + replacement(_Rematch(text, m)) + text[m.end():]
            return _SPACE_RE.sub(" ", out).strip()
    return text


class _Rematch:
    """A match found on the guarded copy, read on the original text."""

    def __init__(self, text: str, m: re.Match) -> None:
        self._text, self._m = text, m

    def group(self, index: int = 0) -> str:
        start, end = self._m.span(index)
        return self._text[start:end]


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def _is_clause(content: str) -> bool:
    """A subject and its verb ("the talks failed", "Russia plans to invade"), not an
    infinitive, an -ing phrase or a noun phrase ("to invade", "a pullback of troops")."""
    if _NOT_CLAUSE_START_RE.match(content):
        return False
    return _CLAUSE_START_RE.match(content) is not None or _FINITE_RE.search(content) is not None


def _denied_proposition(subject: str, content: str) -> str:
    """The positive clause a denial-by-cue rejects: "having any plans to invade" (Russia)
    → "Russia has plans to invade"; "that it was preparing an attack" → "it was preparing
    an attack"; a noun phrase stays as it is."""
    content = re.sub(r"^that\s+", "", content, flags=re.I)
    if _GERUND_HAVE_RE.match(content):
        rest = _GERUND_HAVE_RE.sub("", content)
        return f"{subject} has {rest}" if subject else f"there are {rest}"
    rest = re.sub(r"^any\s+", "", content, flags=re.I)
    if re.match(r"(?:plans?|intentions?)\s+to\b", rest, re.I) and subject:
        return f"{subject} {re.sub(r'^(?:plans?|intentions?)', 'plans', rest, flags=re.I)}"
    return positive(rest) if is_denial(rest) else rest


def _complemented(claim: ExtractedClaim, text: str, who: str) -> str:
    """A content that is no clause ("to invade Ukraine within days", "a pullback") said
    with its speaker and cue, as written between them: "Russia threatened to invade Ukraine
    within days". Empty where the speaker is not written before the content, close by."""
    content = clean(claim.content.text)
    mention = claim.claimant.mention if claim.claimant is not None else None
    if stands_alone(content) or mention is None or claim.cue is None:
        return ""
    if not mention.end <= claim.cue.start < claim.content.start:
        return ""
    between = text[mention.end:claim.content.start]
    if between[:1] in "'’" or len(between) > 80 or "\n" in between or re.search(r"[.!?][\"”’]?\s", between):
        return ""
    speaker = who or mention.text
    return f"{speaker}{_SPACE_RE.sub(' ', between)}{content}"


def statement_of(claim: ExtractedClaim, text: str) -> Statement:
    """The statement, proposition and polarity of an extracted claim of ``text``."""
    content = clean(claim.content.text)
    who = claim.claimant.name if claim.claimant is not None else ""
    stated = claim.extra.get("stated")
    if claim.kind == "denial" and stated is not None:
        # "Russia has no plans to invade": the denial is in the words themselves.
        said = clean(stated.text)
        return Statement(text=_capital(said), proposition=_capital(positive(said)),
                         polarity=DENIES)
    if claim.kind == "denial" and not (is_denial(content) and positive(content) != content):
        # "Russia denied having any plans to invade": the span is what was denied.
        between = text[claim.cue.end:claim.content.start] if claim.cue is not None \
            and claim.cue.end <= claim.content.start else ""
        if content.lower().startswith("that "):
            that, content = "that ", content[5:]
        elif re.search(r"\bthat\s*$", between) or _is_clause(content):
            that = "that "
        else:
            that = ""
        said = f"{who} denies {that}{content}" if who else f"It is denied {that}{content}"
        return Statement(text=said, proposition=_capital(_denied_proposition(who, content)),
                         polarity=DENIES)
    content = _complemented(claim, text, who) or content
    sentences = split_sentences(content)
    first = sentences[0].text if sentences else content
    if is_denial(first) and positive(first) != first:
        return Statement(text=_capital(content), proposition=_capital(positive(content)),
                         polarity=DENIES)
    content = _capital(content)
    return Statement(text=content, proposition=content,
                     polarity=HEDGES if _HEDGE_RE.search(content) else AFFIRMS)
