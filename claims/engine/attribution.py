"""Find who said what inside one sentence: speaker, cue and content spans.

Every reporting cue in a sentence (outside quotation marks) becomes a *frame*. A frame either
introduces content after it (``Smith said that ...``, ``according to X, ...``, ``..., saying
...``) or closes content before it (``"...," Smith said.``, ``..., said Smith.``, ``...,
according to X.``). Content after a frame runs to the left edge of the next frame, so a sentence
with two speakers yields two claims. Speakers are raw mention spans here; resolving "she" or
"the U.S. diplomat" to a person is ``claimants``' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import (
    CLAIM_NOUNS,
    CLAUSAL_CUES,
    CLAUSE_OPENERS,
    NOUN_HOMOGRAPHS,
    CUE_FORMS,
    NOUN_DETERMINERS,
    OBJECT_LEMMAS,
    PRONOUNS,
    ROLE_WORDS,
    SPEAKER_NOUNS,
    WEAK_FORMS,
    trie_pattern,
)

_CUE_RE = re.compile(r"\b" + trie_pattern(CUE_FORMS) + r"\b", re.I)
# Curly, straight and the doubled-apostrophe quotes of some wire copy (''like this''); a
# curly opening closed by a straight mark (or the reverse) is one quotation too.
_QUOTE_RE = re.compile(r"[“\"][^“”\"\n]*[”\"]|''[^\n]*?''")
# A quotation signed by a dash and a name: '"..." ― Sonya Herridge', '"..." —Name'.
_DASH_QUOTE_RE = re.compile(
    r"\s*([“”\"][^\n]*[”\"])\s*([―—–]|--)\s*"
    r"([A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|van|von|da|del|la|le)){0,4})[\s.\u00a0]*"
)
# Where a speaker phrase can begin: punctuation or a clause-opening word.
_BOUNDARY_RE = re.compile(
    r"[,;:()\[\]—–\"“”]|''|\s-\s|\b(?:that|which|who|while|as|but|though|although|because|when|"
    r"whereas|if|since|so|where|and|or|what|how|whether|why)\b",
    re.I,
)
_LAST_WORD_RE = re.compile(r"([\w.'’-]+)\W*$")
# Auxiliaries and adverbs between a speaker and the cue: "Russia has repeatedly denied".
_CLAUSE_VERB_RE = re.compile(r"\b(?:[a-z]{2,}ed|met|told|saw|is|was|are|were|has|had)\b")
_TRAILING_AUX_RE = re.compile(
    r"(?:\s+(?:has|have|had|is|are|was|were|will|would|did|does|do|also|again|then|later|once|"
    r"already|further|first|never|not|only|even|too|long|often|always|still|just|now|together|"
    r"can|could|should|may|might|must|shall|(?:did|does|do|has|have|had|is|are|was|were|would|"
    r"could|should|wo|ca)n['’]t|cannot|(?!(?:family|ally|rally|assembly|supply|"
    r"italy|anomaly|monopoly|bully|july)\b)[a-z]+ly))+\s*$"
)
_LEADING_JUNK_RE = re.compile(
    r"^(?:(?:and|but|so|yet|then|also|meanwhile|still|now|perhaps|maybe)\s+|"
    r"(?:on|last|this|earlier|late|early)\s+(?:monday|tuesday|wednesday|thursday|friday|"
    r"saturday|sunday|week|month|year|morning|afternoon|evening|night)\s+)+",
    re.I,
)
_AUX_IN_SPEAKER_RE = re.compile(
    r"\b(?:is|are|was|were|be|been|being|has|have|had|do|does|did|will|would|can|could|should|"
    r"must|may|might|to|not)\b"
)
# "ambassador to NATO", "adviser to the president": "to" inside a role, not an infinitive.
_ROLE_TO_RE = re.compile(
    r"\b(?:ambassador|envoy|adviser|advisor|representative|delegate|spokesman|spokeswoman|"
    r"spokesperson|secretary|minister|aide|assistant|counsel|counselor|counsellor|liaison|"
    r"emissary|attach[eé])s?\s+to\b",
    re.I,
)
_SPEAKER_DETERMINERS = frozenset(
    "the a an his her their its our some many several two three four both other another one "
    "most few senior top former".split()
)
_PREPOSITIONS = frozenset(
    "in on at during after before over under with without from by since until for about "
    "against between among into onto upon amid despite unlike like than".split()
)
# A speaker head followed by a prepositional phrase: "officials from both parties".
_SPEAKER_PP_RE = re.compile(r"(\S+(?:\s+\S+){0,3}?)\s+(?:of|from|for|at|with|in|on|to)\s+\S.*")
_PLURAL_HEAD_RE = re.compile(r"[a-z]{3,}[^s'’]s")
_CLAUSE_WORDS = frozenset(
    "it this that these those there here what which who when where why how if".split()
)
# What may open an appositive after a speaker's name: "Smith, a lawyer at ...,", "Smith, who
# served ...,", "Smith, 59, of Ashton, Md.,", "Smith, chairman of ...,".
_APPOSITIVE_OPEN_RE = re.compile(
    r"\s*(?:a|an|the|who|whose|which|of|from|his|her|its|their|one|two|now|then|former|"
    r"currently|both|each|also|himself|herself|[A-Z0-9(]|[a-z]+(?:man|woman|person|er|or|ist|"
    r"ent|ant|ive|ary|ee)s?\b)"
)
_PASSIVE_OR_INFINITIVE = frozenset("is are was were be been being to not n't".split())
_BE_FORMS = frozenset("is are was were been 's ’s 're ’re".split())
# Phrases that sit between a cue and its content: "said on Tuesday that", "told CNN in an
# interview that".
_ADJUNCT_RE = re.compile(
    r"(?:\s+(?:(?:on|last|this|earlier|late|early|next)\s+(?:\w+day|week|month|year|morning|"
    r"afternoon|evening|night)(?:\s+(?:morning|afternoon|evening|night))?|yesterday|today|"
    r"tonight|(?:in|during|at)\s+an?\s+(?:[\w-]+\s+){0,3}?(?:interview|statement|speech|letter|"
    r"post|tweet|op-ed|email|e-mail|briefing|conference|address|appearance|meeting|hearing|"
    r"rally|debate|video|message|report)(?:\s+(?:with|to|on|at|in)\s+(?:the\s+)?"
    r"[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*)*)?|again|also|repeatedly|publicly|privately|"
    r"flatly|firmly|bluntly|recently|previously|later|once|then|too|(?:on|via)\s+(?:Twitter|"
    r"Facebook|X|television|TV|radio)))+"
)
_OBJECT_RE = re.compile(
    r"\s+(?:(?:the|a|an|his|her|their|its)\s+)?(?:[A-Z][\w.&'’-]*(?:\s+(?:of\s+)?[A-Z][\w.&'’-]*)*|"
    r"reporters|journalists|supporters|lawmakers|viewers|listeners|voters|members|officials|"
    r"him|her|them|us|me|you|[a-z]+ers)(?=[\s,:])"
)
# "tweeted in the early morning hours that ...", "told a rally in Ohio that ...".
_PP_THAT_RE = re.compile(
    r"\s+(?:(?:in|on|at|during|after|before|over|last|this|to|with|from|via|through|earlier|"
    r"late)\s+)?(?:[^\s,;:\"“”]+\s+){0,7}?that\b\s*"
)
_THAT_RE = re.compile(r"\s*,?\s*that\b\s*|\s*:\s*|\s*,\s*(?=[\"“])|\s+(?=[\"“])")
_NOMINAL_RE = re.compile(
    r"\s*(?:(?:the|a|an|his|her|their|its|previous|earlier|recent|last|new|repeated)\s+)?"
    r"((?:[\w'’.-]+\s+){0,4}?)(" + "|".join(CLAIM_NOUNS) + r")\s+"
    r"(?:about|that|of|regarding|over|concerning)\s+",
    re.I,
)
_POSSESSOR_RE = re.compile(r"((?:[\w.-]+\s+){0,3}?[\w.-]+)(?:'s|’s|'|’)\s*$")
# The nominal complement ends where the sentence's next predicate begins: "... and refused".
_NOMINAL_END_RE = re.compile(
    r",?\s+(?:and|but)\s+(?:has\s+|have\s+|had\s+)?(?:also\s+)?[a-z]+ed\b|;|,\s+(?:and|but)\s"
)
# "the contractor's claims that X", with no reporting verb around it.
_STANDALONE_NOMINAL_RE = re.compile(
    r"((?:[A-Z][\w.-]*|the|The)(?:\s+[\w.-]+){0,3}?)(?:'s|’s|'|’)\s+(?:[a-z]+\s+)?("
    + "|".join(CLAIM_NOUNS) + r")\s+(?:that|about|of)\s+"
)
# Where the nominal's own clause hands over to the sentence's main verb.
_MAIN_VERB_RE = re.compile(r"\s+(?:were|was|is|are|has|have|had|have\s+been|has\s+been)\s+[a-z]+")
# What may follow a cue that closes a sentence: "Smith told CNN in a separate interview."
# What may follow a cue that closes its content: nothing, or adjuncts of time, place, manner
# and medium ("in a statement", "on Friday", "of the prospect", "at a rally in Ohio").
_CLOSING_TAIL_RE = re.compile(
    r"(?:\s+(?:(?:in|on|at|during|after|before|from|of|about|via|through|with|while|last|"
    r"this|earlier|later|late|yesterday|today|tonight|recently|afterward|afterwards|then|"
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:[a-z]+ly))\b"
    r"[^,;:\"“”]{0,80}?))?\s*[.!?]?\s*$"
)
_SHORT_TAIL_RE = re.compile(r"\s*(?:[^,;:\"“”]{0,80}?)?\s*[.!?]?\s*$")
_INVERTED_RE = re.compile(
    r"\s+((?:[A-Z][\w&'’-]*\.(?=\s+[A-Z])|[A-Z](?:[\w.&'’-]*[\w&'’-])?|the|a|an)"
    r"(?:\s+[\w.&'’-]*[\w&'’-]){0,5}?)"
    r"(?:,\s*([^;:\"“”]+?))?\s*[.!?]?\s*$"
)
_SPLIT_QUOTE_RE = re.compile(r"\s*[,.:;]?\s*(?=[\"“]|'')")
# A short tail ends where a new clause hangs off the attribution: "..., adding that ...".
_TAIL_END_RE = re.compile(
    r",\s+(?:[a-z]+ing|after|before|while|as|who|which|when|because|though|although|but|and)\b"
)
# "Jason Chaffetz (R-Utah) said": the bracket sits between speaker and cue.
_PAREN_BEFORE_RE = re.compile(r"\s*\([^()]{1,30}\)\s*$")
_TRIM_RIGHT_RE = re.compile(
    r"(?:[\s,;:—–-]|\b(?:and|but|though|although|while|as|because|so|or|whereas)\b)+$", re.I
)
_TRIM_LEFT_RE = re.compile(r"[\s,;:—–-]+")  # used with match(pos): no "^"
_WORD_RE = re.compile(r"\S+")
_PP_OPENERS = frozenset(
    "in on at during after before over last this to with from via through earlier late".split()
)


@dataclass(slots=True)
class RawAttribution:
    """One speaker/cue/content triple before claimant resolution (absolute offsets)."""

    sentence: tuple[int, int]
    content: tuple[int, int]
    cue: tuple[int, int] | None
    lemma: str
    speaker: tuple[int, int] | None  # mention as written; None = inherit from previous frame
    role: tuple[int, int] | None = None
    quote: bool = False
    nominal: str = ""  # claim-noun kind when content is "allegations about X"
    cue_words: tuple[str, ...] = ()
    extra: dict = field(default_factory=dict)


@dataclass(slots=True)
class _Frame:
    cue: tuple[int, int]
    lemma: str
    left: int  # where this frame's own words begin: content before it stops here
    mode: str  # "after": content follows; "before": content precedes
    speaker: tuple[int, int] | None = None
    role: tuple[int, int] | None = None
    content_start: int = 0  # "after" frames
    nominal: str = ""
    possessor: tuple[int, int] | None = None
    quote_before: tuple[int, int] | None = None  # "before" frames closing a quotation
    quote_after: tuple[int, int] | None = None  # split quote: '"A," she said, "B."'


def _quote_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text, start, end)]


def _inside(spans: list[tuple[int, int]], pos: int) -> tuple[int, int] | None:
    for a, b in spans:
        if a < pos < b:
            return a, b
    return None


def _last_boundary(text: str, lo: int, hi: int) -> re.Match | None:
    last = None
    for m in _BOUNDARY_RE.finditer(text, lo, hi):
        last = m
    return last


def _strip_span(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and text[a].isspace():
        a += 1
    while b > a and text[b - 1].isspace():
        b -= 1
    return a, b


def _trim_content(text: str, a: int, b: int) -> tuple[int, int]:
    m = _TRIM_LEFT_RE.match(text, a, b)
    if m:
        a = m.end()
    seg = text[a:b]
    m = _TRIM_RIGHT_RE.search(seg)
    if m:
        b = a + m.start()
    # Drop a final full stop unless a closing quotation mark follows it.
    while b > a and text[b - 1] in ".!?" and text[b - 2:b - 1] not in ".":
        b -= 1
        break
    return _strip_span(text, a, b)


def _quote_inner(text: str, q: tuple[int, int]) -> tuple[int, int]:
    a, b = q
    while a < b and text[a] in "\"“'":
        a += 1
    while b > a and text[b - 1] in "\"”'":
        b -= 1
    a, b = _strip_span(text, a, b)
    while b > a and text[b - 1] in ",.;:":
        b -= 1
    return a, b


def speaker_ok(phrase: str) -> bool:
    """Does ``phrase`` read as a noun phrase that can speak ("the U.S. diplomat", "Smith")?"""
    words = phrase.split()
    if not words or len(words) > 12:
        return False
    if _AUX_IN_SPEAKER_RE.search(_ROLE_TO_RE.sub("", phrase)):
        return False
    if words[0].lower() in _PREPOSITIONS:
        return False  # "In Moscow", "On Tuesday": an adjunct, not a subject
    pp = _SPEAKER_PP_RE.match(phrase)
    if pp and speaker_ok(pp.group(1)):
        # "Elected officials from both parties", "Attorneys for the family"
        return True
    head = words[-1].rstrip(".,").lower().removesuffix("'s").removesuffix("’s")
    first = words[0].lower()
    if len(words) == 1 and head in PRONOUNS:
        return head not in ("him", "her", "them")
    if head in SPEAKER_NOUNS or head in ROLE_WORDS:
        return True
    if words[-1][:1].isupper() or words[-1][:1].isdigit():
        return True
    # "the woman", "a campaign operative": a determiner-led common noun phrase, but not a
    # clause ("The two taped an hourlong").
    if ((first in _SPEAKER_DETERMINERS or first[:1].isdigit()) and len(words) <= 6
            and not any(w.endswith("ed") for w in words[2:])):
        return True
    # "Conservative critics", "Many economists": a short phrase headed by a plural noun.
    return (len(words) <= 3 and _PLURAL_HEAD_RE.fullmatch(head) is not None
            and not any(w.lower() in _CLAUSE_WORDS for w in words))


def _clean_speaker(text: str, a: int, b: int) -> tuple[int, int]:
    seg = text[a:b]
    m = _TRAILING_AUX_RE.search(seg)
    if m:
        b = a + m.start()
        seg = text[a:b]
    m = _LEADING_JUNK_RE.match(seg)
    if m:
        a += m.end()
    return _strip_span(text, a, b)


def _appositive_speaker(text: str, lo: int, comma: int):
    """"Name, APPOSITIVE, said": the earliest name whose appositive runs to ``comma``.

    The appositive may hold commas, brackets and relative clauses of its own ("Derek Mitchell,
    who served as U.S. ambassador to Burma from 2012 until earlier this year, said").
    """
    # Quotations before the speaker are content, never part of the speaker phrase.
    for q in _QUOTE_RE.finditer(text, lo, comma):
        lo = q.end()
    c = text.find(",", lo, comma)
    while 0 <= c < comma:
        head_end = c
        paren = _PAREN_BEFORE_RE.search(text, lo, c)
        if paren:  # "Rep. Gregory W. Meeks (D-N.Y.), chairman of ..."
            head_end = paren.start()
        b = _last_boundary(text, lo, head_end)
        ha, hb = _clean_speaker(text, b.end() if b else lo, head_end)
        role = _strip_span(text, c + 1, comma)
        nwords = len(text[role[0]:role[1]].split())
        if (ha < hb and speaker_ok(text[ha:hb]) and 0 < nwords <= 40
                and (_APPOSITIVE_OPEN_RE.match(text, c + 1, comma)
                     or text[role[0]:role[1]].split()[0].lower() in ROLE_WORDS)
                and not _CUE_RE.search(text, role[0], role[1])):
            return (ha, hb), role, (b.start() if b else lo), b
        c = text.find(",", c + 1, comma)
    return None


def _speaker_before(text: str, lo: int, cue_start: int):
    """(speaker span, role span, left edge) for the phrase right before a cue, or None."""
    pre = text[lo:cue_start].rstrip()
    if pre.endswith(",") and pre.count(",") >= 2:
        found = _appositive_speaker(text, lo, lo + len(pre) - 1)
        if found is not None:
            return found
    b = _last_boundary(text, lo, cue_start)
    chunk_start = b.end() if b else lo
    sa, sb = _clean_speaker(text, chunk_start, cue_start)
    left = b.start() if b else lo
    if sa < sb:
        phrase = text[sa:sb]
        if speaker_ok(phrase):
            return (sa, sb), None, left, b
        # "talks ended and officials said": keep the part after the last "and".
        k = phrase.rfind(" and ")
        if k >= 0 and speaker_ok(phrase[k + 5:]):
            return (sa + k + 5, sb), None, sa + k, b
        return None
    if b is None:
        return None
    token = b.group(0).lower()
    if token in ("who", "which"):
        # "Trump, who says he is honored": the speaker is the phrase before the comma.
        b3 = _last_boundary(text, lo, b.start())
        if b3 is not None and b3.group(0) == "," and not text[b3.end():b.start()].strip():
            b4 = _last_boundary(text, lo, b3.start())
            xa, xb = _clean_speaker(text, b4.end() if b4 else lo, b3.start())
            # "Crews thanked Reyes, who ...": the relative clause hangs on the object.
            verb = None
            for verb in _CLAUSE_VERB_RE.finditer(text, xa, xb):
                pass
            if verb is not None:
                xa, xb = _strip_span(text, verb.end(), xb)
            if xa < xb and speaker_ok(text[xa:xb]):
                return (xa, xb), None, b.start(), b
        return None
    if token == ",":
        # "Julianne Smith, U.S. ambassador to NATO, stated": name, appositive, cue.
        b2 = _last_boundary(text, lo, b.start())
        if b2 is None:
            return None
        ra, rb = _strip_span(text, b2.end(), b.start())
        if b2.group(0) in (",",):
            b3 = _last_boundary(text, lo, b2.start())
            xa, xb = _clean_speaker(text, b3.end() if b3 else lo, b2.start())
            role_ok = 0 < rb - ra and len(text[ra:rb].split()) <= 12
            if xa < xb and speaker_ok(text[xa:xb]) and role_ok:
                return (xa, xb), (ra, rb), (b3.start() if b3 else lo), b3
            return None
        if b2.group(0).lower() in ("who", "which"):
            # "The U.S. diplomat, who is expected to ..., reiterated": the relative clause is
            # not a role.
            b3 = _last_boundary(text, lo, b2.start())
            if b3 is not None and b3.group(0) == ",":
                b4 = _last_boundary(text, lo, b3.start())
                xa, xb = _clean_speaker(text, b4.end() if b4 else lo, b3.start())
                if xa < xb and speaker_ok(text[xa:xb]):
                    return (xa, xb), None, (b4.start() if b4 else lo), b4
        return None
    return None


def _after_cue(text: str, pos: int, end: int, lemma: str) -> tuple[int, bool]:
    """Where the content starts after a cue, and whether a complementiser/quote/colon led to it."""
    m = _ADJUNCT_RE.match(text, pos, end)
    if m:
        pos = m.end()
    if lemma in OBJECT_LEMMAS:
        m = _OBJECT_RE.match(text, pos, end)
        if m:
            after = m.end()
            m2 = _ADJUNCT_RE.match(text, after, end)
            if m2:
                after = m2.end()
            if lemma == "tell" or _THAT_RE.match(text, after, end):
                pos = after
    m = _THAT_RE.match(text, pos, end)
    if m:
        return m.end(), True
    m = _PP_THAT_RE.match(text, pos, end)
    if m and (lemma in OBJECT_LEMMAS or m.group(0).split()[0].lower() in _PP_OPENERS):
        return m.end(), True
    return pos, False


def _frames(text: str, ss: int, se: int, quotes: list[tuple[int, int]]) -> list[_Frame]:
    frames: list[_Frame] = []
    lo = ss
    for m in _CUE_RE.finditer(text, ss, se):
        cs, ce = m.start(), m.end()
        if _inside(quotes, cs):
            continue
        form = m.group(0)
        lower = form.lower()
        lemma = CUE_FORMS.get(lower, lower)
        if form[0].isupper() and cs != ss and lemma != "according to":
            continue  # part of a name: "Drudge Report", "Fox News Sunday Says"
        before = text[max(ss, cs - 40):cs].split()
        prev = before[-1].lower() if before else ""
        prev2 = before[-2].lower() if len(before) > 1 else ""
        # "is saying", "are demanding": a progressive, not a passive.
        progressive = lower.endswith("ing") and prev in _BE_FORMS
        if lemma != "according to" and not progressive and (
            prev in NOUN_DETERMINERS or prev in _PASSIVE_OR_INFINITIVE
            or prev.endswith(("'s", "’s", "s'", "s’"))  # not a closing '' quote
            or (prev.endswith("ly") and prev2 in _PASSIVE_OR_INFINITIVE)
        ):
            # a noun ("the claims"), a passive ("was (mistakenly) told"), "refused to say"
            continue
        if lower in NOUN_HOMOGRAPHS and not _verb_subject(before[-1] if before else "", before):
            continue  # "a Republican tax plan would", "took questions from"
        if lemma == "according to":
            frame = _according_frame(text, ss, se, cs, ce, lo)
            if frame:
                frames.append(frame)
                lo = ce
            continue
        participle = lower.endswith("ing")
        before_ws = text[ss:cs].rstrip()
        if participle and (before_ws.endswith(",") or not before_ws):
            start, led = _after_cue(text, ce, se, lemma)
            if lower in WEAK_FORMS and not led:
                continue
            frames.append(_Frame((cs, ce), lemma, left=len(before_ws) + ss - 1 if before_ws else ss,
                                 mode="after", speaker=None, content_start=start))
            lo = ce
            continue
        frame = _speech_frame(text, ss, se, cs, ce, lo, lemma, lower, quotes)
        if frame:
            frames.append(frame)
            lo = ce
    return frames


# A complement clause without "that": "the study found Trump would raise taxes", "records show
# he paid": a subject pronoun, or a short noun phrase and a finite verb.
_BARE_CLAUSE_RE = re.compile(
    r"\s*(?:(?:he|she|they|we|I)\s+(?!to\b)[a-z]|(?:(?:the|a|an|his|her|their|its|[A-Z][\w.'’-]*)"
    r"(?:\s+[\w.'’-]+){0,3}?)\s+(?:[a-z]+ly\s+)?(?:would|will|could|can|may|might|should|must|"
    r"is|are|was|were|has|have|had|did|does|[a-z]{3,}ed)\b)"
)
_COMPLEMENT_WORD_RE = re.compile(r"\s*(?:,\s*)?([\"“:]|''|[\w’']+)")


def _clausal_complement(text: str, pos: int, end: int) -> bool:
    m = _COMPLEMENT_WORD_RE.match(text, pos, end)
    if not m:
        return False
    word = m.group(1)
    return word in ('"', "“", ":", "''") or word.lower() in CLAUSE_OPENERS


def _verb_subject(prev: str, before: list[str]) -> bool:
    """Can the word before a noun-or-verb cue form ("plans", "questions") be its subject?"""
    word = prev.strip(",;:\"“”()")
    if not word:
        return False
    low = word.lower()
    if low in PRONOUNS or low in SPEAKER_NOUNS or low in ROLE_WORDS or low in ("who", "which"):
        return True
    if low in ("many", "some", "others", "both", "all", "most", "few"):
        return True
    if _PLURAL_HEAD_RE.fullmatch(low):
        return True  # "environmentalists worry", "World leaders denounce"
    if low in _VERB_MODIFIERS or (low.endswith("ly") and len(low) > 4):
        return True  # "also plans", "repeatedly questioned"
    if word[0].isupper() and not word[0].isdigit() and len(before) > 1:
        return True  # a name: "Trump questions", but not a sentence-initial "Two questions"
    return word[0].isupper() and len(before) <= 1 and low not in NOUN_DETERMINERS \
        and not low.isdigit() and low not in _NUMBER_WORDS


_VERB_MODIFIERS = frozenset(
    "also still now again often never always already then even just only long openly "
    "publicly privately has have had will would could should may might can did does do "
    "not".split()
)
_NUMBER_WORDS = frozenset("one two three four five six seven eight nine ten".split())


def _according_frame(text, ss, se, cs, ce, lo) -> _Frame | None:
    # Speaker runs to the next comma or the sentence end.
    comma = text.find(",", ce, se)
    np_end = comma if comma >= 0 else se
    sa, sb = _strip_span(text, ce, np_end)
    while sb > sa and text[sb - 1] in ".!?":
        sb -= 1
    if sa >= sb or len(text[sa:sb].split()) > 14:
        return None
    before = text[lo:cs].strip(" ,")
    if before:  # "CONTENT, according to X."
        return _Frame((cs, ce), "according to", left=cs, mode="before", speaker=(sa, sb))
    if comma < 0:
        return None
    return _Frame((cs, ce), "according to", left=cs, mode="after", speaker=(sa, sb),
                  content_start=comma + 1)


def _closing_tail(text: str, a: int, b: int, lemma: str) -> bool:
    """Can ``text[a:b]`` end a clause whose content came before the cue?

    "..., she said." / "..., he told reporters on Friday." / "..., she said in a statement."
    — but not "In 2000, they attacked the USS Cole." (an object: the clause is the content).
    """
    pos = a
    m = _ADJUNCT_RE.match(text, pos, b)
    if m:
        pos = m.end()
    if lemma in OBJECT_LEMMAS:
        m = _OBJECT_RE.match(text, pos, b)
        if m:
            pos = m.end()
    return _CLOSING_TAIL_RE.match(text, pos, b) is not None


def _speech_frame(text, ss, se, cs, ce, lo, lemma, lower, quotes) -> _Frame | None:
    paren = _PAREN_BEFORE_RE.search(text, lo, cs)
    found = _speaker_before(text, lo, paren.start() if paren else cs)
    if found is None and text[lo:cs].rstrip().endswith(" and") and lower not in WEAK_FORMS:
        # "X promised ... and said Y": the speaker is the subject of the first verb.
        start, _ = _after_cue(text, ce, se, lemma)
        left = text.rfind(" and", lo, cs)
        return _Frame((cs, ce), lemma, left=left, mode="after", speaker=None, content_start=start)
    prefix = text[lo:cs].rstrip()
    if lemma == "call" and (found is None or prefix[:found[0][0] - lo].rstrip().lower()
                            .endswith("what")):
        return None  # "a program, called EB-5," / "what he called tribalism": naming, not a cue
    if found is None:
        # Inverted order after content: '"...," said Smith.' / '..., said a spokesman.'
        if prefix.endswith((",", '"', "”", "''")) and prefix.strip(" ,\"”'"):
            m = _INVERTED_RE.match(text, ce, se)
            if m and speaker_ok(m.group(1)):
                role = (m.start(2), m.end(2)) if m.group(2) else None
                q = next((q for q in quotes if q[1] <= cs and not text[q[1]:cs].strip(" ,")), None)
                return _Frame((cs, ce), lemma, left=len(prefix) + lo - 1, mode="before",
                              speaker=(m.start(1), m.end(1)), role=role, quote_before=q)
        return None
    speaker, role, left, b = found
    tail_end = _TAIL_END_RE.search(text, ce, se)
    tail = text[ce:tail_end.start() if tail_end else se]
    btok = b.group(0) if b else ""
    # Closing a quotation: '"...," Smith said.' (possibly continued by a second quotation).
    quote_before = None
    if b is not None and btok in ('"', "”", ",", "''"):
        q = next(
            (q for q in quotes if q[1] <= speaker[0] and not text[q[1]:speaker[0]].strip(" ,")),
            None,
        )
        quote_before = q
    if quote_before is not None:
        m = _SHORT_TAIL_RE.match(tail)
        split = _SPLIT_QUOTE_RE.match(text, ce, se)
        q2 = None
        if not m:
            # '"A," Smith said, "B."' or '"A," Smith told CNN. "B."'
            adj = _ADJUNCT_RE.match(text, ce, se)
            pos = adj.end() if adj else ce
            if lemma in OBJECT_LEMMAS:
                ob = _OBJECT_RE.match(text, pos, se)
                pos = ob.end() if ob else pos
            split = _SPLIT_QUOTE_RE.match(text, pos, se)
            if split:
                q2 = next((q for q in quotes if q[0] == split.end()), None)
        if m or q2:
            return _Frame((cs, ce), lemma, left=quote_before[1], mode="before", speaker=speaker,
                          role=role, quote_before=quote_before, quote_after=q2)
    # Closing plain content: '..., she said.'
    if btok == "," and _closing_tail(text, ce, ce + len(tail), lemma) and " that " not in tail \
            and len(text[lo:b.start()].split()) >= 3:
        return _Frame((cs, ce), lemma, left=b.start(), mode="before", speaker=speaker, role=role)
    start, led = _after_cue(text, ce, se, lemma)
    nm = None if led else _NOMINAL_RE.match(text, start, se)
    if lower in WEAK_FORMS and not (led or nm or _BARE_CLAUSE_RE.match(text, start, se)):
        return None
    if start >= se - 1:
        return None
    frame = _Frame((cs, ce), lemma, left=left, mode="after", speaker=speaker, role=role,
                   content_start=start)
    if nm:
        frame.nominal = CLAIM_NOUNS[nm.group(2).lower()]
        frame.content_start = nm.end()
        pm = _POSSESSOR_RE.search(text, start, nm.start(2))
        if pm:
            frame.possessor = _strip_span(text, pm.start(1), pm.end(1))
    return frame


# Where reported content hands over to the outlet's own words. Any content stops before ", yet
# ..." / ", but ..." (a new predicate of the subject: "demands X, yet refuses Y"); content that
# is a noun phrase or an infinitive (not a clause) also stops before a dash aside and before a
# comma-led adjunct ("attacked her opponent as a fraud, with jabs that ...").
_CONTENT_STOP_RE = re.compile(r",\s+(?:yet|but)\b")
_PHRASE_STOP_RE = re.compile(
    r"\s+(?:—|--|–|―)\s+|,\s+(?:with|after|before|as|while|despite)\b"
)


def _content_end(text: str, a: int, b: int, quotes) -> int:
    """Where content that starts at ``a`` ends, at most ``b``."""
    clausal = text[max(0, a - 6):a].rstrip().lower().endswith(("that", ":")) or \
        _BARE_CLAUSE_RE.match(text, a, b) is not None or text[a:a + 1] in "\"“"
    stops = (_CONTENT_STOP_RE,) if clausal else (_CONTENT_STOP_RE, _PHRASE_STOP_RE)
    for rx in stops:
        for m in rx.finditer(text, a, b):
            if m.start() - a < 10 or _inside(quotes, m.start()):
                continue
            b = m.start()
            break
    return b


def sentence_attributions(text: str, ss: int, se: int) -> list[RawAttribution]:
    """Attributions in the sentence ``text[ss:se]``, left to right."""
    m = _DASH_QUOTE_RE.fullmatch(text, ss, se)
    if m:
        # '"We will win." ― Ana Ruiz': a quotation signed with a dash and a name.
        a, b = _quote_inner(text, (m.start(1), m.end(1)))
        na, nb = m.start(3), m.end(3)
        if text[nb - 1] == "." and nb - na > 2 and text[nb - 3] != " ":
            nb -= 1  # the full stop ends the line, not an initial
        if b - a >= 3 and speaker_ok(text[na:nb]):
            return [RawAttribution((ss, se), (a, b), (m.start(2), m.end(2)), "say",
                                   (na, nb), quote=True)]
    quotes = _quote_spans(text, ss, se)
    frames = _frames(text, ss, se, quotes)
    out: list[RawAttribution] = []
    for i, f in enumerate(frames):
        nxt = frames[i + 1].left if i + 1 < len(frames) else se
        if f.mode == "after":
            a = f.content_start
            b = nxt if nxt > a + 8 else se
            if f.nominal:
                m = _NOMINAL_END_RE.search(text, a, b)
                if m:
                    b = m.start()
            b = _content_end(text, a, b, quotes)
            q = next((q for q in quotes if q[0] == a), None)
            is_quote = q is not None and not text[q[1]:b].strip(" .,")
            a, b = _quote_inner(text, q) if is_quote else _trim_content(text, a, b)
            if b - a < 3:
                continue
            out.append(RawAttribution((ss, se), (a, b), f.cue, f.lemma, f.speaker, f.role,
                                      quote=is_quote, nominal=f.nominal))
            if f.possessor and f.nominal == "allegation":
                # "denied the Western officials' claims about X": the officials allege X.
                out.append(RawAttribution((ss, se), (a, b), None, "claim", f.possessor,
                                          nominal="allegation", extra={"via": "possessive"}))
        else:
            prev_end = frames[i - 1].cue[1] if i > 0 else ss
            if f.quote_before and text[prev_end:f.quote_before[0]].strip():
                # 'Both parties "saw Burma as ...," said X': the quote ends the content.
                a, b = _trim_content(text, prev_end, f.quote_before[1])
                b = b - 1 if text[b - 2:b] in (',"', ",”") else b
                a, b = _strip_span(text, a, b)
                quote = True
            elif f.quote_before:
                a, b = _quote_inner(text, f.quote_before)
                quote = True
            else:
                a, b = _trim_content(text, prev_end, f.left)
                quote = False
            if b - a >= 3:
                out.append(RawAttribution((ss, se), (a, b), f.cue, f.lemma, f.speaker, f.role,
                                          quote=quote))
            if f.quote_after:
                a, b = _quote_inner(text, f.quote_after)
                if b - a >= 3:
                    out.append(RawAttribution((ss, se), (a, b), f.cue, f.lemma, f.speaker, f.role,
                                              quote=True, extra={"continues": True}))
    covered = {r.content[0] for r in out}
    for m in _STANDALONE_NOMINAL_RE.finditer(text, ss, se):
        if m.end() in covered or _inside(quotes, m.start()):
            continue
        if not speaker_ok(m.group(1)):
            continue
        a = m.end()
        # The clause's own verb comes first ("the audit was rigged"); a second one is the
        # sentence's main verb ("... were dismissed").
        verbs = list(_MAIN_VERB_RE.finditer(text, a, se))
        b = verbs[1].start() if len(verbs) > 1 else se
        stop = _NOMINAL_END_RE.search(text, a, b)
        b = stop.start() if stop else b
        a, b = _trim_content(text, a, b)
        if b - a >= 3:
            out.append(RawAttribution((ss, se), (a, b), (m.start(2), m.end(2)), "claim",
                                      (m.start(1), m.end(1)), nominal=CLAIM_NOUNS[m.group(2)]))
    return out


def quote_only(text: str, ss: int, se: int) -> tuple[int, int] | None:
    """The inner span when the whole sentence is one quotation ('"The doors remain open."')."""
    quotes = _quote_spans(text, ss, se)
    if len(quotes) == 1 and quotes[0][0] == ss and not text[quotes[0][1]:se].strip(" .,"):
        return _quote_inner(text, quotes[0])
    return None


def word_count(s: str) -> int:
    return len(_WORD_RE.findall(s))
