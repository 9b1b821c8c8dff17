"""Relation (stance) of a text towards a claim: ``supports``, ``contradicts`` or ``neutral``.

``text`` is a headline or a claim from another article; the question is whether it asserts the
same proposition as ``claim`` (supports), denies, negates or debunks it (contradicts), or only
reports it without taking a side (neutral: hedged, attributed as a rumour, asked as a question).

Rules over general English cues, no word list tied to any data set:

- *polarity*: a denial verb ("denies", "dismissed"), a debunk word ("hoax", "fake", "untrue",
  "no evidence"), a leading "No," or a negation whose scope names what the other side says
  ("students not found in mass grave" against "mass grave holds the students") makes a side
  negative. Sides of opposite polarity contradict each other; two denials of the same thing
  support each other.
- *hedging*: "reportedly", "rumour", "may", "claims", "sources", a question headline, ... make an
  affirmative text neutral.
- otherwise an affirmative text with enough content in common supports the claim.

The optional ``claim_kind`` / ``text_kind`` (the extractor's kinds) and ``same_claimant_family``
sharpen the decision: an allegation and a denial of the same content by different families are
the product's core case (U.S. officials' "Russia is preparing to invade Ukraine" against Russia's
"no plans to invade").

Measured on ``../shared/data/stance/dev.csv`` (Emergent: claim vs article headline, 1,750 pairs,
200 claims) with ``manage.py eval_relation``: macro-F1 0.799, accuracy 0.794 (F1 supports 0.819,
contradicts 0.863, neutral 0.715). The word lists were written from general English and then
extended (general words only, nothing naming a dev claim) while reading dev errors, so the
figure is optimistic; the first version, before any error analysis, scored 0.748.

A multinomial logistic regression over the cues above and the rules' own decision, scored by
group-wise 5-fold cross-validation, matched the rules exactly (macro-F1 0.795 on the same
folds), so no learned weights ship (docs/quality.md; its code is in the history).

The lexicons are this module's own copies (``lexicon.py`` serves extraction and changes with it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SUPPORTS, CONTRADICTS, NEUTRAL = "supports", "contradicts", "neutral"
LABELS = (SUPPORTS, CONTRADICTS, NEUTRAL)

# --- lexicons ---------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"[a-z0-9]+(?:['’][a-z]+)*")

# Refusal of a statement by someone: "X denies ...", "dismissed reports that ...".
_DENY_WORDS = frozenset(
    """deny denies denied denying denial denials dismiss dismisses dismissed dismissing refute
    refutes refuted refuting rebut rebuts rebutted reject rejects rejected rejecting rebuff
    rebuffs rebuffed dispute disputes disputed disputing debunk debunks debunked debunking
    dispel dispels dispelled contradict contradicts contradicted retract retracts retracted
    retraction""".split()
)
# A statement called false: "hoax", "fake", "bogus", "untrue", "myth", "fabricated", a prank.
_DEBUNK_WORDS = frozenset(
    """hoax hoaxes hoaxer hoaxed fake fakes faked faking false falsely untrue bogus myth myths
    fabricated fabrication fabricate fabricating phony phoney spoof spoofed satire satirical
    parody scam scams fooled misleading erroneous unfounded baseless groundless nonsense
    debunked busted nope fiction fictional fictitious doctored photoshopped photoshop
    exaggerated overblown misreported misinformation disinformation rubbish inaccurate
    incorrect wrong prank pranks pranked prankster trolled trolling libel mockumentary""".split()
)
# Multi-word refutations, matched on the lower-cased, space-joined tokens.
_DEBUNK_PHRASES_RE = re.compile(
    r"\b(?:not true|isn't true|wasn't true|no truth|not the case|not real|isn't real|"
    r"no evidence|no proof|no sign of|no signs of|never happened|didn't happen|"
    r"of course not|probably not|not so fast|turns? out not|turned out not|not a thing|"
    r"cast(?:s|ing)? doubts?|doubts? cast|doubts? (?:about|over|on|that)|"
    r"skeptic\w* (?:about|over|of)|what it seems|record straight|falls? for|fell for|"
    r"despite (?:the )?(?:\w+ )?(?:reports?|rumou?rs?|claims?)|"
    r"(?:slams?|slammed|blasts?|blasted|quash\w*|squash\w*|laughs? off|laughed off|"
    r"shoots? down|shot down) (?:the )?(?:\w+ )?(?:reports?|rumou?rs?|claims?|stor(?:y|ies))|"
    r"urban legend|conspiracy theor\w+|made up|made it up|made it all up|a joke|"
    r"alive and well|still alive|(?:is|are|am|i'm|he's|she's|they're|we're) "
    r"(?:safe|alive|fine|unharmed)|safe and (?:sound|secure|well)|not dead|isn't dead|"
    r"no plans?|no intention|no intentions|not planning|not preparing)\b"
)
# Withdrawal and reversal: "X quits the film" against "X to play in the film".
_REVERSAL_RE = re.compile(
    r"\b(?:quits?|quitting|exits?|exited|drops? out|dropped out|pulls? out|pulled out|"
    r"backs? out|backed out|bails?|bailed|withdraws?|withdrew|withdrawn|calls? off|"
    r"called off|scraps?|scrapped|turns? down|turned down|passes on|passed on|"
    r"backtracks?|backtracked|u-turn|reverses? course|reversed course)\b"
)
# Phrases that neither confirm nor refute: "refuses to confirm or deny", "real or fake?".
_NON_COMMITTAL_RE = re.compile(
    r"\b(?:confirm or deny|neither confirm|won't (?:say|comment|confirm)|"
    r"declin\w* to (?:comment|confirm)|no comment|"
    r"(?:real|true|fact) or (?:fake|hoax|false|fiction|not)|"
    r"(?:fake|hoax|false|fiction|myth) or (?:real|true|fact|freak|not))\b"
)
# Negations that negate nothing the claim says ("no idea", "no joke", "not only").
_NEGATION_IDIOMS_RE = re.compile(
    r"\b(?:no idea|no joke|no show|not only|not just|no doubt|no wonder|no matter|"
    r"nothing but|no surprise|no stranger|no longer a secret)\b"
)
_NEGATORS = frozenset("""not no never none nobody nothing neither nor cannot""".split())
_RELATIVES = frozenset("who that which whose whom".split())
# "tickets rather than arrests": the second term is negated.
_CONTRAST_RE = re.compile(r"\b(?:rather than|instead of)\b")
# Reported, rumoured, possible or asked: the text takes no side.
_HEDGE_WORDS = frozenset(
    """reportedly allegedly purportedly purported purports purport rumor rumors rumored
    rumour rumours rumoured speculation speculate speculates speculated may might could
    possibly possible perhaps likely unlikely apparently appears appear seems seem seemingly
    supposedly unconfirmed unverified claims claim claimed claiming report reports source
    sources insider insiders tipped mulls mulling considering considers eyes eyeing
    investigating investigate investigates investigation probe probes probing
    whether""".split()
)
_HEDGE_PHRASES_RE = re.compile(
    r"\b(?:in talks|said to|according to|what we know|is it|could be|looking into)\b"
)
# The outlet hands the statement to someone else at the end of a headline:
# "..., monitoring group says", "... -- report", "...: sources".
_TRAILING_ATTRIBUTION_RE = re.compile(
    r"(?:[,:;–—-]|\s)\s*(?:[\w.'’&-]+\s+){0,5}(?:says?|said|claims?|reports?|sources?)[\s.!]*$",
    re.I,
)
# Reporting verbs: when the claim itself is a report ("X says Y"), "X claims Y" repeats it.
_REPORTING_WORDS = frozenset(
    """say says said saying claim claims claimed claiming tell tells told insist insists
    insisted""".split()
)
_STOPWORDS = frozenset(
    """a an the of to in on at for by with from and or but as is are was were be been being has
    have had do does did will would can could shall should may might must it its it's this that
    these those there their they them he him his she her hers we our you your i me my who whom
    whose which what when where why how than then so such into onto over under about after
    before up down out off again just also only very too more most some any all each both s
    says said say report reports reported new video photo photos watch via while""".split()
)


def _tokens(s: str) -> list[str]:
    s = s.lower().replace("’", "'").replace("‘", "'")
    s = re.sub(r"\bno-(?=\w)", "no", s)  # "no-arrest policy", "no-show": a compound, no negation
    return _TOKEN_RE.findall(s)


def _stem(w: str) -> str:
    """A light suffix-stripper: enough to match "burrows"/"burrowed", "bombing"/"bombs"."""
    if w.endswith("'s"):
        w = w[:-2]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""),
                         ("s", "")):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: len(w) - len(suffix)] + repl
    return w


def _is_negator(t: str) -> bool:
    return t in _NEGATORS or t.endswith("n't")


def _content(tokens) -> frozenset[str]:
    return frozenset(_stem(t) for t in tokens if t not in _STOPWORDS and not _is_negator(t))


@dataclass(frozen=True, slots=True)
class _Side:
    """Cues found in one side of the pair."""

    tokens: tuple[str, ...]
    content: frozenset[str]  # stemmed content words
    refute: tuple[str, ...]  # denial verbs, debunk words and phrases, reversals
    negators: tuple[int, ...]  # token positions of negations (idioms excluded)
    hedges: tuple[str, ...]
    reporting: bool  # a reporting verb ("says", "claims")
    trailing_attribution: bool
    question: bool
    leading_no: bool
    non_committal: bool


def _side(s: str, as_text: bool = False) -> _Side:
    tokens = _tokens(s)
    joined = " ".join(tokens)
    idiom_spans = [m.span() for m in _NEGATION_IDIOMS_RE.finditer(joined)]
    positions, offset = [], 0
    for t in tokens:
        positions.append(offset)
        offset += len(t) + 1
    negators = []
    for i, t in enumerate(tokens):
        if not _is_negator(t) or any(a <= positions[i] < b for a, b in idiom_spans):
            continue
        if any(w in _RELATIVES for w in tokens[max(0, i - 2):i]):
            # "an employee who hadn't been to work", "a panel that didn't include women": the
            # negation restricts a participant, it does not deny the statement.
            continue
        negators.append(i)
    for m in _CONTRAST_RE.finditer(joined):
        # the token index of the word after "rather than" / "instead of", minus one so the
        # scope starts at it
        negators.append(joined.count(" ", 0, m.end()))
    refute: list[str] = []
    for i, t in enumerate(tokens):
        if t in _DENY_WORDS or t in _DEBUNK_WORDS:
            # "not fake", "never denied": a negated refutation is none.
            if i and _is_negator(tokens[i - 1]):
                negators = [n for n in negators if n != i - 1]
                continue
            refute.append(t)
    refute += [m.group(0) for m in _DEBUNK_PHRASES_RE.finditer(joined)]
    if as_text:
        # A withdrawal reverses an earlier announcement only as later news ("X quits the
        # film"); in the claim itself it is just the event ("the phone pulls out hair").
        refute += [m.group(0) for m in _REVERSAL_RE.finditer(joined)]
    hedges = [t for t in tokens if t in _HEDGE_WORDS]
    hedges += [m.group(0) for m in _HEDGE_PHRASES_RE.finditer(joined)]
    stripped = s.strip()
    # A question headline: it ends with "?", or little follows its last "?" ("Is X dead?
    # Probably" is a question; "Would you ...? Men keep ..." is a statement).
    question = "?" in stripped and len(_tokens(stripped.rsplit("?", 1)[1])) <= 3
    leading_no = bool(re.match(r"\s*(?:no|nope|not)\b\s*[,:.!\-–—]", s, re.I))
    return _Side(
        tokens=tuple(tokens),
        content=_content(tokens),
        refute=tuple(refute),
        negators=tuple(sorted(negators)),
        hedges=tuple(hedges),
        reporting=any(t in _REPORTING_WORDS for t in tokens),
        # Only the headline's end can hold it; searching the whole of a long text costs.
        trailing_attribution=bool(_TRAILING_ATTRIBUTION_RE.search(stripped[-80:])),
        question=question,
        leading_no=leading_no,
        non_committal=bool(_NON_COMMITTAL_RE.search(joined)),
    )


def _aligned_negation(side: _Side, other: frozenset[str]) -> tuple[str, ...]:
    """Negators whose scope (the next content words) names something the other side says."""
    found = []
    toks = side.tokens
    for i in side.negators:
        scope = [_stem(t) for t in toks[i + 1:i + 8]
                 if t not in _STOPWORDS and not _is_negator(t)][:4]
        if any(w in other for w in scope):
            found.append(toks[i])
    return tuple(found)


# Reporting hedges ("X claims", "according to sources") are what the extractor turns into a
# claimant and a kind; when a kind is given they no longer mark the text as merely reported.
_REPORTING_HEDGES = frozenset(
    """claims claim claimed claiming report reports source sources insider insiders""".split()
) | {"according to", "said to"}


@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything the rules and the model read about one (claim, text) pair."""

    claim: _Side
    text: _Side
    text_neg_cues: tuple[str, ...]  # refutation, leading "No," or aligned negation in the text
    claim_neg_cues: tuple[str, ...]
    text_weak_neg: bool  # a negation in the text whose scope is not the claim's content
    hedges: tuple[str, ...]
    overlap: float  # share of the claim's content words that the text repeats
    claim_kind: str | None
    text_kind: str | None
    same_family: bool | None


def analyse(claim: str, text: str, *, claim_kind: str | None = None,
            text_kind: str | None = None,
            same_claimant_family: bool | None = None) -> Analysis:
    c, t = _side(claim), _side(text, as_text=True)
    t_aligned = _aligned_negation(t, c.content)
    c_aligned = _aligned_negation(c, t.content)
    t_neg = t.refute + t_aligned
    if t.leading_no and not t_neg:
        t_neg = ("no",)
    c_neg = c.refute + c_aligned
    if t.non_committal:
        t_neg = ()
    if text_kind == "denial" and not t_neg:
        t_neg = ("denial",)
    if claim_kind == "denial" and not c_neg:
        c_neg = ("denial",)
    hedges = t.hedges
    if text_kind is not None or c.reporting:
        # The extractor already attributed the text, or the claim is itself a report.
        hedges = tuple(h for h in hedges if h not in _REPORTING_HEDGES)
    elif t.trailing_attribution:
        hedges = hedges + ("says",)
    if t.question:
        hedges = hedges + ("?",)
    if t.non_committal:
        hedges = hedges + ("no comment",)
    overlap = len(c.content & t.content) / len(c.content) if c.content else 0.0
    return Analysis(c, t, t_neg, c_neg, bool(t.negators) and not t_aligned, hedges, overlap,
                    claim_kind, text_kind, same_claimant_family)


def _rules(a: Analysis) -> tuple[str, float, tuple[str, ...]]:
    """Opposite polarity → contradicts; else a hedge → neutral; else supports.

    Confidences are the rules' precision on stance/dev.csv, rounded down: contradicts 0.85 on a
    refutation word (measured 0.87), 0.7 on a bare negation (0.80); neutral 0.7 (0.89, but the
    hedge set is broad); supports 0.6-0.9 growing with the share of the claim's words the text
    repeats (measured 0.68 at the low end, 0.82 at the high end).
    """
    t_neg, c_neg = bool(a.text_neg_cues), bool(a.claim_neg_cues)
    if t_neg != c_neg:
        cues = a.text_neg_cues or a.claim_neg_cues
        strong = any(not (w in _NEGATORS or w.endswith("n't")) for w in cues)
        return CONTRADICTS, 0.85 if strong else 0.7, cues
    if a.hedges:
        return NEUTRAL, 0.7, a.hedges
    conf = 0.6 + 0.3 * min(1.0, a.overlap)
    cues = tuple(sorted(a.claim.content & a.text.content))
    if t_neg and c_neg:
        cues = a.text_neg_cues + a.claim_neg_cues
    return SUPPORTS, conf, cues


def _cues(a: Analysis, label: str) -> tuple[str, ...]:
    if label == CONTRADICTS:
        return a.text_neg_cues or a.claim_neg_cues or tuple(
            a.text.tokens[i] for i in a.text.negators)
    if label == NEUTRAL:
        return a.hedges
    if a.text_neg_cues and a.claim_neg_cues:
        return a.text_neg_cues + a.claim_neg_cues
    return tuple(sorted(a.claim.content & a.text.content))


def classify(claim: str, text: str, *, claim_kind: str | None = None,
             text_kind: str | None = None,
             same_claimant_family: bool | None = None) -> tuple[str, float, tuple[str, ...]]:
    """(label, confidence 0..1, cue words that decided it) for ``text`` towards ``claim``.

    ``claim_kind`` / ``text_kind`` are the extractor's kinds (``types.KINDS``);
    ``same_claimant_family`` whether both come from the same body (e.g. both Russia).
    """
    a = analyse(claim, text, claim_kind=claim_kind, text_kind=text_kind,
                same_claimant_family=same_claimant_family)
    label, conf, cues = _rules(a)
    if claim_kind is not None and text_kind is not None and not a.text.non_committal:
        # Both kinds known: the extractor has already read the cue ("denied", "said"). One
        # denial against an assertion of the same content contradicts it; two denials, or two
        # non-denials, take the same side unless the text is only a question or a rumour.
        claim_denies, text_denies = claim_kind == "denial", text_kind == "denial"
        text_negative = bool(a.text_neg_cues)
        claim_negative = bool(a.claim_neg_cues)
        if claim_denies != text_denies and text_negative != claim_negative:
            label, conf, cues = CONTRADICTS, max(conf, 0.9), _cues(a, CONTRADICTS)
        elif claim_denies and text_denies and label == CONTRADICTS:
            label, conf, cues = SUPPORTS, 0.8, _cues(a, SUPPORTS)
    if same_claimant_family is not None:
        # Different families on opposite sides is the expected shape of a denial; the same
        # family on the same side is the expected shape of a repetition.
        if (label == CONTRADICTS) != bool(same_claimant_family):
            conf = min(0.99, conf + 0.05)
        else:
            conf = max(0.34, conf - 0.05)
    return label, round(conf, 4), cues


def scores(gold: list[str], predicted: list[str]) -> dict:
    """Per-class F1, macro-F1, accuracy and the confusion matrix (gold → predicted)."""
    confusion = {g: {p: 0 for p in LABELS} for g in LABELS}
    for g, p in zip(gold, predicted):
        confusion[g][p] += 1
    f1 = {}
    for label in LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in LABELS if g != label)
        fn = sum(confusion[label][p] for p in LABELS if p != label)
        f1[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {
        "f1": f1,
        "macro_f1": sum(f1.values()) / len(LABELS),
        "accuracy": sum(confusion[x][x] for x in LABELS) / max(1, len(gold)),
        "confusion": confusion,
    }
