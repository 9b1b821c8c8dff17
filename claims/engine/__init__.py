"""Claimtrack text-analysis engine: pure Python, standard library only, no Django.

Pipeline for one article: ``clean_text`` (once, before storage) → ``split_sentences`` →
``extract_claims`` (attribution per sentence, claimant resolution across the article, kind and
flags per claim). Every span is an offset into the exact text passed in.
"""

from __future__ import annotations

import re
from dataclasses import replace

from .attribution import (
    RawAttribution,
    quote_only,
    sentence_attributions,
    speaker_ok,
    transcript_turn,
)
from .checkworthiness import load_model
from .claimants import Resolver
from .clauses import stands_alone
from .kinds import classify, is_hedged, is_negated, outside_quotes
from .lexicon import NAME_TITLES, PAGE_LABELS, ROLE_WORDS
from .sentences import split_sentences
from .statements import statement_of
from .text import clean_text, furniture_kind
from .types import KINDS, ClaimantRef, ExtractedClaim, Span

__all__ = [
    "ENGINE_VERSION",
    "KINDS",
    "ClaimantRef",
    "ExtractedClaim",
    "Span",
    "analyse",
    "clean_text",
    "extract_claims",
    "split_sentences",
]

ENGINE_VERSION = "0.6.0"

# The outlet's own voice: a finite verb (lower-case, so "United" is not a verb) ...
_FINITE_RE = re.compile(
    r"\b(?:is|are|was|were|has|have|had|will|would|can|could|did|does|held|met|made|took|gave|"
    r"came|went|told|found|left|won|lost|began|became|rose|fell|paid|sent|spent|built|brought|"
    r"kept|led|ran|saw|wrote|spoke|struck|sold|stood|hit|put|set|cut|knew|grew|drew|chose|fled|"
    r"fought|[a-z]{2,}ed|[a-z]{3,}s)\b"
)
# ... and something checkable: a number, a date word or a name after the first word.
_ANCHOR_RE = re.compile(
    r"\d|\b(?:January|February|March|April|May|June|July|August|September|October|November|"
    r"December|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b|(?<=\s)[A-Z][a-z]+"
)
_SUBJECTIVE_RE = re.compile(
    r"\b(?:I|I'm|I’m|we|We|you|You|our|Our|my|My|should|must|ought)\b|!"
)
_HEADLINE_COLON_RE = re.compile(r"([^:\n]{2,40}?)\s*(:)\s+(\S.*)")
_SUBJECT_RE = re.compile(
    r"((?:[A-Z][\w.'’-]*|the|a|an|several|some|many|most|both|two|three|four|his|her|their|its)"
    r"(?:\s+[\w.'’-]+){0,6}?)\s+"
    r"(?:(?:has|have|had)\s+)?(?:[a-z]+ly\s+)?(?:[a-z]{2,}ed|said|told|wrote|made|held|put|sent|"
    r"gave|took|went|came|spoke|met|left|led|won|lost|ran|saw|stood|struck|kept|brought|began|"
    r"sought|drew|threw|hit|cut|set)\b"
)
# A sentence-initial adjunct before the subject: "In August, ", "On Tuesday, ", "Last week, ".
_LEADING_ADJUNCT_RE = re.compile(
    r"(?:(?:In|On|At|During|After|Before|Last|Earlier|Later|Since|By|Over|This|Then|Still|But|"
    r"And|Meanwhile|However|Yesterday|Today)\b[^,;:\"“”]{0,40},\s+)"
)
# "Dean, a former party chairman, poked at ...": the appositive is skipped.
_SUBJECT_APPOSITIVE_RE = re.compile(
    r"([A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}),\s+(?:a|an|the|who|whose)\b[^;:\"“”]{1,120}?,\s+"
    r"(?:(?:has|have|had)\s+)?(?:[a-z]+ly\s+)?[a-z]{2,}(?:ed|s)\b"
)
_END_PUNCT_RE = re.compile(r"[.!?][\"”’)]*$")
# A capitalised title and a full name in running text: "Deputy Secretary of State Wendy
# Sherman", "Sen. Ana Ruiz of Ohio" (the name is two or three capitalised words).
_TITLED_NAME_RE = re.compile(
    r"\b(?:" + "|".join(re.escape(t) for t in sorted(NAME_TITLES, key=len, reverse=True))
    + r")(?:\s+(?:of|for)\s+(?:the\s+)?[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*){0,2}?)?"
    r"\s+[A-Z][a-z'’-]+(?:\s+[A-Z]\.)?(?:\s+[A-Z][a-z'’-]+){1,2}\b"
)


def _span(text: str, a: int, b: int) -> Span:
    return Span(a, b, text[a:b])


def _trim_sentence(text: str, s: Span) -> tuple[int, int]:
    b = s.end
    while b > s.start and text[b - 1] in ".!":
        b -= 1
    return s.start, b


def _own_statement(text: str, s: Span) -> bool:
    """Is the sentence a declarative, checkable statement in the outlet's own voice?"""
    body = outside_quotes(s.text)
    if s.text.rstrip("\"”’) ").endswith("?") or len(s.text.split()) < 5:
        return False
    if not _END_PUNCT_RE.search(s.text):
        return False  # headline, label or fragment
    if _SUBJECTIVE_RE.search(body):
        return False
    return _FINITE_RE.search(body) is not None and _ANCHOR_RE.search(body) is not None


def _headline_attribution(text: str, s: Span) -> RawAttribution | None:
    """"US Envoy: NATO Won't Discuss ..." — a short speaker before a colon."""
    m = _HEADLINE_COLON_RE.fullmatch(text, s.start, s.end)
    if not m:
        return None
    speaker = m.group(1).strip()
    words = speaker.split()
    if len(words) > 4 or not speaker_ok(speaker) or words[0].upper() in PAGE_LABELS:
        return None  # "CLARIFICATION: ..." / "Update: ..." label the page, not a speaker
    from .claimants import family_of_text  # local: only headlines need it

    named = any(w.lower().rstrip(".") in ROLE_WORDS for w in words) or family_of_text(speaker)
    name_like = len(words) <= 2 and all(w[:1].isupper() for w in words) \
        and words[0].lower() not in ("the", "a", "an")  # "The Latest: ..." is a rubric
    if not (named or name_like):
        return None
    a, b = m.start(3), s.end
    while b > a and text[b - 1] in ".!":
        b -= 1
    return RawAttribution((s.start, s.end), (a, b), (m.start(2), m.end(2)), ":",
                          (m.start(1), m.start(1) + len(m.group(1).rstrip())))


def _subject(text: str, s: Span) -> tuple[int, int] | None:
    """The subject of the sentence's first clause, for a "..., saying ..." frame."""
    start = s.start
    adj = _LEADING_ADJUNCT_RE.match(text, start, s.end)
    if adj:
        start = adj.end()
    m = _SUBJECT_APPOSITIVE_RE.match(text, start, s.end)
    if m:
        return m.start(1), m.end(1)
    m = _SUBJECT_RE.match(text, start, s.end)
    if m and speaker_ok(m.group(1)):
        return m.start(1), m.end(1)
    return None


def extract_claims(text: str, *, include_non_claims: bool = False) -> list[ExtractedClaim]:
    """Claims in ``text`` (already cleaned), in reading order, with offsets into ``text``.

    With ``include_non_claims`` the sentences that hold no claim are returned too, as kind
    "not_claim", so a caller can show the whole article.
    """
    resolver = Resolver()
    # (raw attribution, resolver position or None for the outlet's own statement)
    pending: list[tuple[RawAttribution, int | None]] = []
    last_pos: int | None = None
    last_sentence = -10
    line_kind: dict[int, str] = {}
    turn_line = -1
    for idx, s in enumerate(split_sentences(text)):
        line_start = text.rfind("\n", 0, s.start) + 1
        if line_start not in line_kind:
            line_end = text.find("\n", s.start)
            line_end = line_end if line_end >= 0 else len(text)
            line_kind[line_start] = furniture_kind(text[line_start:line_end])
            turn = None if line_kind[line_start] else transcript_turn(text, line_start, line_end)
            if turn is not None:
                # 'PENCE: Well, look, ...': the speaker's turn runs to the end of the line.
                turn_line = line_start
                pending.append((turn, resolver.add(_span(text, *turn.speaker))))
        if line_kind[line_start]:
            # A byline or a photo caption: page furniture, never a claim.
            if include_non_claims:
                a, b = _trim_sentence(text, s)
                pending.append((RawAttribution((s.start, s.end), (a, b), None, "", None,
                                               extra={"not_claim": True,
                                                      "furniture": line_kind[line_start]}),
                                None))
            continue
        for m in _TITLED_NAME_RE.finditer(text, s.start, s.end):
            resolver.observe(m.group(0))
        raws = sentence_attributions(text, s.start, s.end)
        if not raws and line_start != turn_line:
            head = _headline_attribution(text, s)
            if head:
                raws = [head]
        if raws:
            prev_pos: int | None = None
            for raw in raws:
                if raw.extra.get("agentless"):
                    # "It was reported that ...": a reported claim whose source is not named.
                    pending.append((raw, None))
                    continue
                if raw.speaker is None:
                    # "..., saying ...": the speaker of the clause before, else the subject.
                    if prev_pos is None:
                        subj = _subject(text, s)
                        if subj is None:
                            continue
                        prev_pos = resolver.add(_span(text, *subj))
                        pos = prev_pos
                    else:
                        pos = resolver.same_as(prev_pos, keep_mention=True)
                else:
                    role = text[raw.role[0]:raw.role[1]] if raw.role else ""
                    pos = resolver.add(_span(text, *raw.speaker), role)
                    written = raw.extra.pop("written_as", None)
                    if written:
                        # "Democrats who have argued": the claimant is the antecedent, the
                        # claim names it with the relative pronoun.
                        resolver.written_as(pos, _span(text, *written))
                    if not raw.nominal:
                        # "X denied Y's claims … and refused …": the owner of a nominal claim
                        # is not the subject a later coordinated cue continues from.
                        prev_pos = pos
                pending.append((raw, pos))
            last_pos, last_sentence = prev_pos, idx
            continue
        if line_start == turn_line:
            continue  # the speaker's own words, already claimed as the turn
        inner = quote_only(text, s.start, s.end)
        if inner:
            # A quotation standing alone, with no cue of its own. PolNeAR leaves such sentences
            # unattributed (4 of 111 on dev were annotated), so it is no claim with a claimant;
            # the probable speaker (the one of the sentence before) is kept for display.
            if include_non_claims:
                extra = {"not_claim": True, "quote": True}
                if last_pos is not None and idx - last_sentence <= 1:
                    extra["probable_speaker"] = resolver.same_as(last_pos, keep_mention=False)
                pending.append((RawAttribution((s.start, s.end), inner, None, "", None,
                                               quote=True, extra=extra), None))
            continue
        if _own_statement(text, s):
            a, b = _trim_sentence(text, s)
            pending.append((RawAttribution((s.start, s.end), (a, b), None, "", None), None))
        elif include_non_claims:
            a, b = _trim_sentence(text, s)
            pending.append((RawAttribution((s.start, s.end), (a, b), None, "", None,
                                           extra={"not_claim": True}), None))
    resolver.finish()

    claims: list[ExtractedClaim] = []
    for raw, pos in pending:
        a, b = raw.content
        claimant = resolver.ref(pos) if pos is not None else None
        cue = _span(text, *raw.cue) if raw.cue else None
        if raw.extra.get("not_claim"):
            kind, cue_words, offset = "not_claim", (), 0
        elif claimant is None and raw.cue is None:
            kind, cue_words, offset = "assertion", (), 0
        else:
            d = classify(lemma=raw.lemma, cue_text=cue.text if cue else "", nominal=raw.nominal,
                         quote=raw.quote, content=text[a:b])
            kind, cue_words, offset = d.kind, d.cue_words, d.content_offset
        extra = dict(raw.extra)
        if "probable_speaker" in extra:
            ref = resolver.ref(extra["probable_speaker"])
            extra["probable_speaker"] = ref.name if ref else ""
        if offset:
            extra["stated"] = _span(text, a, b)
            a += offset
        content = text[a:b]
        claim = ExtractedClaim(
            content=_span(text, a, b),
            sentence=_span(text, *raw.sentence),
            kind=kind,
            claimant=claimant,
            cue=cue,
            cue_words=cue_words,
            negated=is_negated(content),
            hedged=is_hedged(content),
            extra=extra,
        )
        said = statement_of(claim, text)
        if kind not in ("not_claim", "denial") and not stands_alone(said.text):
            # Not a statement a reader could take on its own: the object of a verb that
            # reports none, a noun phrase, a clause cut at its start. (A denial is always
            # stated as one: "X denies ...".)
            if not include_non_claims:
                continue
            claim = replace(claim, kind="not_claim", extra={**extra, "not_claim": True})
        claims.append(replace(claim, statement=said.text, proposition=said.proposition,
                              polarity=said.polarity))
    claims.sort(key=lambda c: (c.content.start, c.content.end))
    return _without_denied_content(claims)


def _overlap(a: Span, b: Span) -> float:
    """How much of the shorter span the two share."""
    shared = min(a.end, b.end) - max(a.start, b.start)
    return max(0, shared) / max(1, min(a.end - a.start, b.end - b.start))


def _without_denied_content(claims: list[ExtractedClaim]) -> list[ExtractedClaim]:
    """A denial's content is what was denied, not a second claim: "Russia denied the
    officials' claims about having plans to invade" is one claim, Russia's denial, not also
    the officials' allegation of the same words."""
    denials = [c for c in claims if c.kind == "denial"]
    if not denials:
        return claims
    return [c for c in claims if c.kind == "denial" or not any(
        d.sentence == c.sentence and _overlap(d.content, c.content) >= 0.5 for d in denials)]


def analyse(text: str) -> list[ExtractedClaim]:
    """The claims of ``text`` (already cleaned), each scored for check-worthiness (0..1).

    The score is the sentence's: the model was trained on whole sentences, and a claim's
    sentence carries the context (who, when, how much) that makes it checkable.
    """
    model = load_model()
    scores: dict[tuple[int, int], float] = {}
    claims = []
    for claim in extract_claims(text):
        key = (claim.sentence.start, claim.sentence.end)
        if key not in scores:
            scores[key] = round(model.score(claim.sentence.text), 4)
        claims.append(replace(claim, checkworthiness=scores[key]))
    return claims
