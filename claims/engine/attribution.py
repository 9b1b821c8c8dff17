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
    CUE_FORMS,
    NOUN_DETERMINERS,
    NOUN_HOMOGRAPHS,
    OBJECT_LEMMAS,
    PAGE_LABELS,
    PRONOUNS,
    ROLE_WORDS,
    SPEAKER_NOUNS,
    STANCE_NOUNS,
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
    r"whereas|if|since|so|where|and|or|what|how|whether|why|after|before|until|unless)\b",
    re.I,
)
_LAST_WORD_RE = re.compile(r"([\w.'’-]+)\W*$")
# Auxiliaries and adverbs between a speaker and the cue: "Russia has repeatedly denied".
_CLAUSE_VERB_RE = re.compile(r"\b(?:[a-z]{2,}ed|met|told|saw|is|was|are|were|has|had)\b")
_TRAILING_AUX_RE = re.compile(
    r"(?:\s+(?:has|have|had|is|are|was|were|will|would|did|does|do|also|again|then|later|once|"
    r"already|further|first|never|not|only|even|too|long|often|always|still|just|now|together|"
    r"can|could|should|may|might|must|shall|(?:(?:appear|seem|continue|tend|begin|start|happen)"
    r"(?:s|ed)?|began|begun|(?:go|goes|went|going|gone)\s+on|used)\s+to|"
    r"(?:did|does|do|has|have|had|is|are|was|were|would|"
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
# Words that begin sentences and name no one when they stand alone as a "speaker".
_NOT_SPEAKER_WORDS = frozenset(
    "more most just all even only also still but and so then now here there yet such much "
    "other another each every any what whatever of them us this that these those".split()
)
_CONTRACTED_PRONOUN_RE = re.compile(r"(?:he|she|it|they|we|you|i|that|there)['’](?:s|re|m|ve|d|ll)",
                                    re.I)
_QUANTITY_HEADS = frozenset({"percent", "%", "percentage", "share", "majority", "minority"})
_NUMBER_RE = re.compile(r"[\d.,$%-]+|(?:[A-Za-z]+-)?(?:one|two|three|four|five|six|seven|eight|"
                        r"nine|ten|hundred|thousand|million)", re.I)
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
# A finite auxiliary right after a noun-or-verb form makes the form a noun ("worries have").
_AUX_NEXT_RE = re.compile(
    r"\s+(?:have|has|had|is|are|was|were|will|would|could|can|may|might|must|should)\b"
)
# "by telling them that ...", "after saying ...": a gerund whose subject is the sentence's.
_GERUND_PREPOSITIONS = frozenset("by after before while when without".split())
_NEGATING_AUX = frozenset("do does did will would could can should may might must".split())
_SUBJECT_PRONOUNS = frozenset("he she they we i".split())
_BE_CONTRACTIONS = frozenset(
    "it's he's she's that's who's what's there's they're we're you're i'm".split()
)
_RAISING = (r"(?:appear|seem|continue|tend|begin|start|happen)(?:s|ed)?|began|begun|"
            r"(?:go|goes|went|going|gone)\s+on|used")
_RAISING_RE = re.compile(r"\b(?:" + _RAISING + r")\s+to\s*$")
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
# "the senator's view that X" / "Smith's repeated emphasis that X".
_STANCE_NOMINAL_RE = re.compile(
    r"((?:[A-Z][\w.-]*|the|The)(?:\s+[\w.-]+){0,3}?)(?:'s|’s|'|’)\s+(?:[a-z]+\s+)?("
    + "|".join(STANCE_NOUNS) + r")\s+that\s+"
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
    r"\s+((?:[A-Z][\w&'’-]*\.(?=\s+[A-Z])|[A-Z](?:[\w.&'’-]*[\w&'’-])?|the|a|an|one|two|three|"
    r"another|some|several|many|his|her|their|its|\d[\w/-]*)"
    r"(?:\s+[\w.&'’-]*[\w&'’-]){0,7}?)"
    r"(?:,\s*([^;:\"“”]+?))?\s*[.!?]?\s*$"
)
_ADJUNCT_TAIL_RE = re.compile(
    r"\s+(?:after|before|when|while|as|because|since|in|at|on|during|of|about|from|with|"
    r"(?:\w+day|last|this|earlier)\b[^\"“”]{0,40}?\s+(?:after|before|when|while|as|in|at|on|"
    r"during))\b[^\"“”]*$"
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
    written: tuple[int, int] | None = None  # relative pronoun naming the speaker ("who")
    agentless: bool = False  # "It was reported that ...": a report with no named source


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
    if words[0].lower() in _PREPOSITIONS or words[0].lower() == "of":
        return False  # "In Moscow", "On Tuesday", "of whom": an adjunct or a cut phrase
    if all(w.lower().strip(",.") in _NOT_SPEAKER_WORDS for w in words):
        return False  # "More", "Just", "All of them": a sentence's first word, no one
    if _CONTRACTED_PRONOUN_RE.fullmatch(phrase):
        return False  # "he's": the start of a clause
    pp = _SPEAKER_PP_RE.match(phrase)
    if pp and speaker_ok(pp.group(1)):
        # "Elected officials from both parties", "Attorneys for the family"
        return True
    head = words[-1].rstrip(".,").lower().removesuffix("'s").removesuffix("’s")
    first = words[0].lower()
    if len(words) == 1 and head in PRONOUNS:
        return head not in ("him", "her", "them")
    if head in _QUANTITY_HEADS or all(_NUMBER_RE.fullmatch(w) for w in words):
        return False  # "Twenty-four percent", "000": a share or a figure, not who
    if head in SPEAKER_NOUNS or head in ROLE_WORDS:
        return True
    if words[-1][:1].isupper() or words[-1][:1].isdigit():
        return True
    if all(w[:1].islower() for w in words) and first not in _SPEAKER_DETERMINERS \
            and _PLURAL_HEAD_RE.fullmatch(head) is None:
        return False  # "piece", "latest hiccup": a noun phrase cut from its determiner
    # "the woman", "a campaign operative": a determiner-led common noun phrase, but not a
    # clause ("The two taped an hourlong").
    if ((first in _SPEAKER_DETERMINERS or first[:1].isdigit()) and len(words) <= 6
            and not any(w.endswith("ed") for w in words[2:])):
        return True
    # "Conservative critics", "Many economists": a short phrase headed by a plural noun.
    return (len(words) <= 3 and _PLURAL_HEAD_RE.fullmatch(head) is not None
            and not any(w.lower() in _CLAUSE_WORDS or w.lower() in _PREPOSITIONS for w in words))


# Irregular past forms that open a relative clause ("who spoke to", "who met with").
_RELATIVE_CLAUSE_VERBS = frozenset(
    "spoke met told saw wrote led ran took gave made held sent knew heard left".split()
)
_PRONOUN_CONTRACTION_RE = re.compile(r"\b(?:it|he|she|they|we|you|I)(['’](?:s|re|m))\s*$", re.I)


def _clean_speaker(text: str, a: int, b: int) -> tuple[int, int]:
    seg = text[a:b]
    m = _PRONOUN_CONTRACTION_RE.search(seg) if ("'" in seg or "’" in seg) else None
    if m:  # "It’s denouncing": the speaker is "It"
        b = a + m.start(1)
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
                and not any(c.group(0).lower() not in NOUN_HOMOGRAPHS
                            for c in _CUE_RE.finditer(text, role[0], role[1]))):
            return (ha, hb), role, (b.start() if b else lo), b
        c = text.find(",", c + 1, comma)
    return None


_MODALS = frozenset("would will could can may might should must".split())
_EXTRACTED_SUBJECT_RE = re.compile(
    r"\b[A-Z][\w.'’-]*\s+[a-z]{3,}[^s\W]s\s+(?:would|will|could|can|may|might|should|must)\s*$"
)


def _antecedent(text: str, lo: int, rel: int) -> tuple[int, int] | None:
    """The noun phrase a relative pronoun at ``rel`` refers to, or None."""
    end = rel
    b3 = _last_boundary(text, lo, end)
    if b3 is not None and b3.group(0) == "," and not text[b3.end():end].strip():
        end = b3.start()  # "Trump, who ...": the phrase before the comma
        b3 = _last_boundary(text, lo, end)
    xa, xb = _clean_speaker(text, b3.end() if b3 else lo, end)
    # "Crews thanked Reyes, who ...": the relative clause hangs on the object.
    verb = None
    for verb in _CLAUSE_VERB_RE.finditer(text, xa, xb):  # noqa: B007 - the last match is kept
        pass
    if verb is not None:
        xa, xb = _strip_span(text, verb.end(), xb)
    if xa >= xb:
        return None
    # The longest speaking noun phrase that ends at the pronoun: "(to placate) nervous
    # Democrats on Capitol Hill, who".
    starts = [m.start() for m in _WORD_RE.finditer(text, xa, xb)]
    for a in starts[-7:]:
        if text[a].isalnum() and speaker_ok(text[a:xb]):
            return a, xb
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
    if b is not None and sa < sb and b.group(0).lower() in ("who", "that"):
        verb = text[sa:sb].split()[0]
        if verb[:1].islower() and (verb.endswith("ed") or verb in _RELATIVE_CLAUSE_VERBS):
            # "A senior official who briefed reporters … accused": the relative clause hangs
            # on the speaker, who stands before "who".
            b2 = _last_boundary(text, lo, b.start())
            xa, xb = _clean_speaker(text, b2.end() if b2 else lo, b.start())
            if xa < xb and speaker_ok(text[xa:xb]):
                return (xa, xb), None, (b2.start() if b2 else lo), b2
    if sa < sb and text[sb:cue_start].split()[-1:] and \
            text[sb:cue_start].split()[-1] in _MODALS and \
            _EXTRACTED_SUBJECT_RE.search(text, sa, cue_start):
        # "(proposals), which Moscow considers would release ...": a verb then a modal, so
        # the cue's subject is the relative pronoun's antecedent, not the phrase before it.
        return None
    if sa < sb:
        phrase = text[sa:sb]
        ok = speaker_ok(phrase)
        if b is not None and b.group(0).lower() in ("and", "or"):
            # "Experts on Korea and nuclear arms said", "Trump and Clinton said": a speaker
            # phrase coordinated with "and".
            b0 = _last_boundary(text, lo, b.start())
            xa, xb = _clean_speaker(text, b0.end() if b0 else lo, cue_start)
            if xa < sa and speaker_ok(text[xa:b.start()].strip()) and speaker_ok(text[xa:xb]):
                return (xa, xb), None, (b0.start() if b0 else lo), b0
        if ok:
            return (sa, sb), None, left, b
        # "At the rally she said": a subject pronoun right before the cue is the subject.
        last = phrase.rsplit(None, 1)[-1]
        if last.lower() in _SUBJECT_PRONOUNS and last != phrase:
            return (sb - len(last), sb), None, sb - len(last), b
        # "talks ended and officials said": keep the part after the last "and".
        k = phrase.rfind(" and ")
        if k >= 0 and speaker_ok(phrase[k + 5:]):
            return (sa + k + 5, sb), None, sa + k, b
        return None
    if b is None:
        return None
    token = b.group(0).lower()
    if token in ("who", "which", "that"):
        # "Trump, who says he is honored", "Democrats who have argued", "a PAC that intends":
        # the speaker is the noun phrase the relative pronoun hangs on.
        found = _antecedent(text, lo, b.start())
        if found is not None:
            return found, None, b.start(), b
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


# After "that": a verb ("that was wrong"), or a singular noun and then a preposition, a comma or
# the end ("that argument in a ruling", "that claim.") — "that" is a demonstrative.
_DEMONSTRATIVE_RE = re.compile(
    r"(?:is|was|has|had|will|would|could|can|may|might|should|must|did|does)\b|"
    r"(?!(?:he|she|it|they|we|i|you|there|this|these|those|the|a|an|his|her|their|its|our|my|"
    r"no|some|many|most|all|any|every|each|if|when|while|because|although|though|as|in|on|at|"
    r"for|by|after|before|since|despite|unlike|like|even|only|not|one|someone|nobody|nothing|"
    r"everyone|everything|something|anyone|people)\b)[a-z]+(?<!s)"
    r"(?:\s*(?:[,;.!?]|$)|\s+(?:in|on|at|for|from|by|with|during|over|about)\b)",
)


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
        if m.group(0).strip(" ,").lower() == "that" and _DEMONSTRATIVE_RE.match(text, m.end(), end):
            # "rejected that argument in a ruling": a demonstrative, not a complementiser.
            return m.start() + len(m.group(0)) - len(m.group(0).lstrip(" ,")), False
        return m.end(), True
    m = _PP_THAT_RE.match(text, pos, end)
    if m and (lemma in OBJECT_LEMMAS or m.group(0).split()[0].lower() in _PP_OPENERS):
        return m.end(), True
    return pos, False


# Passive reports. "X was quoted (by Interfax) as saying Y": X is the speaker. "It was
# reported that Y" / "It is widely believed that Y": a report with no named source, unless an
# agent is given ("It was announced by the ministry that Y").
_QUOTED_AS_RE = re.compile(
    r"\b(?:is|are|was|were|has\s+been|have\s+been|had\s+been)\s+(?:also\s+|later\s+)?"
    r"(?:quoted|cited)\s+(?:by\s+[^,;:\"“”]{1,60}?\s+)?as\s+(?:saying|telling\s+[^,;:\"“”]{1,40}?"
    r"(?=\s+that\b)|writing|stating|arguing|claiming|warning|denying)\b"
)
_IMPERSONAL_RE = re.compile(
    r"\b[Ii]t\s+(?:is|was|has\s+been|had\s+been)\s+(?:[a-z]+ly\s+)?(reported|said|alleged|claimed|"
    r"believed|announced|rumou?red|understood|thought|feared|expected|estimated|argued|"
    r"suggested|confirmed|revealed|disclosed)(?:\s+by\s+([^,;:\"“”]{1,60}?))?\s+that\b\s*"
)


def _passive_frames(text: str, ss: int, se: int) -> list[_Frame]:
    out = []
    for m in _QUOTED_AS_RE.finditer(text, ss, se):
        found = _speaker_before(text, ss, m.start())
        if found is None:
            continue
        speaker, role = found[0], found[1]
        start, _ = _after_cue(text, m.end(), se, "say")
        if start < se - 1:
            cue = re.search(r"quoted|cited", text[m.start():m.end()])
            out.append(_Frame((m.start() + cue.start(), m.end()), "say", left=found[2],
                              mode="after", speaker=speaker, role=role, content_start=start))
    for m in _IMPERSONAL_RE.finditer(text, ss, se):
        if m.end() >= se - 1:
            continue
        lemma = CUE_FORMS.get(m.group(1).lower(), m.group(1).lower())
        agent = _strip_span(text, m.start(2), m.end(2)) if m.group(2) else None
        if agent is not None and not speaker_ok(text[agent[0]:agent[1]]):
            continue
        out.append(_Frame((m.start(1), m.end(1)), lemma, left=m.start(), mode="after",
                          speaker=agent, content_start=m.end(), agentless=agent is None))
    return out


_HEADLINE_AUX = frozenset(
    "will won't would can can't could should may might must to do does did don't doesn't "
    "didn't is are was were".split()
)


def _is_headline(text: str, ss: int, se: int) -> bool:
    """Is the sentence a headline in title case ("Sanders Vows To Eliminate Tax Breaks")?

    Not when it has a colon: "US Envoy: NATO Won't Discuss ..." names its speaker before it.
    """
    if ":" in text[ss:se]:
        return False
    words = [w for w in text[ss:se].split() if len(w) > 3 and w[0].isalpha()]
    return len(words) >= 3 and sum(w[0].isupper() for w in words) >= 0.8 * len(words)


def _frames(text: str, ss: int, se: int, quotes: list[tuple[int, int]]) -> list[_Frame]:
    seg = text[ss:se]
    hint = "quoted" in seg or "cited" in seg or "t is " in seg or "t was " in seg \
        or "t has been " in seg or "t had been " in seg
    frames: list[_Frame] = _passive_frames(text, ss, se) if hint else []
    taken = [(f.left, f.content_start) for f in frames]
    lo = frames[-1].cue[1] if frames else ss
    headline = None
    for m in _CUE_RE.finditer(text, ss, se):
        cs, ce = m.start(), m.end()
        if _inside(quotes, cs) or any(a <= cs < b for a, b in taken):
            continue
        form = m.group(0)
        lower = form.lower()
        lemma = CUE_FORMS.get(lower, lower)
        if form[0].isupper() and cs != ss and lemma != "according to":
            if headline is None:
                headline = _is_headline(text, ss, se)
            word_before = text[max(ss, cs - 12):cs].split()[-1:]
            if not headline or frames or (
                    word_before and word_before[0].lower().replace("’", "'") in _HEADLINE_AUX):
                # part of a name ("Drudge Report", "Fox News Sunday Says"); a headline in title
                # case has one cue ("Obama Says Museum Will Tell ...").
                continue
        before = text[max(ss, cs - 40):cs].split()
        prev = before[-1].lower() if before else ""
        prev2 = before[-2].lower() if len(before) > 1 else ""
        # "is saying", "are demanding": a progressive, not a passive.
        progressive = lower.endswith("ing") and (
            prev in _BE_FORMS or prev.replace("’", "'") in _BE_CONTRACTIONS)
        # "he appeared to suggest", "she went on to say": a raising verb, not an infinitive
        # governed by a cue ("refused to say").
        raised = prev == "to" and _RAISING_RE.search(text, max(ss, cs - 30), cs) is not None
        # "did not want", "would not say": a negated verb, not a passive.
        negated = prev in ("not", "never") and prev2 in _NEGATING_AUX
        if lemma != "according to" and not progressive and not raised and not negated and (
            prev in NOUN_DETERMINERS or prev in _PASSIVE_OR_INFINITIVE
            or prev.endswith(("'s", "’s", "s'", "s’"))  # not a closing '' quote
            or (prev.endswith("ly") and prev2 in _PASSIVE_OR_INFINITIVE)
        ):
            # a noun ("the claims"), a passive ("was (mistakenly) told"), "refused to say"
            continue
        if lower in NOUN_HOMOGRAPHS and not raised and (
                not _verb_subject(before[-1] if before else "", before)
                or _AUX_NEXT_RE.match(text, ce, se)):
            # "a Republican tax plan would", "took questions from", "Health worries have"
            continue
        if lemma == "according to":
            frame = _according_frame(text, ss, se, cs, ce, lo)
            if frame:
                frames.append(frame)
                lo = ce
            continue
        participle = lower.endswith("ing")
        before_ws = text[ss:cs].rstrip()
        if participle and (before_ws.endswith(",") or not before_ws
                           or prev in _GERUND_PREPOSITIONS):
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
    if taken:
        frames.sort(key=lambda f: f.cue[0])
    return frames


# A complement clause without "that": "the study found Trump would raise taxes", "records show
# he paid": a subject pronoun, or a short noun phrase and a finite verb.
_BARE_CLAUSE_RE = re.compile(
    r"\s*(?:(?:he|she|they|we|I)\s+(?!to\b)[a-z]|(?:(?:the|a|an|his|her|their|its|[A-Z][\w.'’-]*)"
    r"(?:\s+[\w.'’-]+){0,3}?)\s+(?:[a-z]+ly\s+)?(?:would|will|could|can|may|might|should|must|"
    r"is|are|was|were|has|have|had|did|does|[a-z]{3,}ed)\b)"
)
# "the poll shows Clinton leading", "found the company paying no tax": a noun phrase and a
# participle after a weak cue.
_SMALL_CLAUSE_RE = re.compile(
    r"\s*(?:(?:the|his|her|their|its)\s+[\w.'’-]+|[A-Z][\w.'’-]*)(?:\s+[\w.'’-]+){0,2}?"
    r"\s+(?:[a-z]+ly\s+)?[a-z]{3,}ing\b"
)
_COMPLEMENT_WORD_RE = re.compile(r"\s*(?:,\s*)?([\"“:]|''|[\w’']+)")


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
    written = None
    if b is not None and b.group(0).lower() in ("who", "which", "that") and speaker[1] <= b.start():
        written = (b.start(), b.end())  # "Democrats who have argued": written as "who"
    tail_end = _TAIL_END_RE.search(text, ce, se)
    tail = text[ce:tail_end.start() if tail_end else se]
    btok = b.group(0) if b else ""
    # Closing a quotation: '"...," Smith said.' (possibly continued by a second quotation).
    quote_before = None
    if b is None or btok in ('"', "”", ",", "''"):
        q = next(
            (q for q in quotes if q[1] <= speaker[0] and not text[q[1]:speaker[0]].strip(" ,")),
            None,
        )
        quote_before = q
    if quote_before is not None:
        # '"...," X said after the hearing ...': an adjunct of any length closes the quote.
        m = _SHORT_TAIL_RE.match(tail) or _ADJUNCT_TAIL_RE.match(tail)
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
    if lower in WEAK_FORMS and not (led or nm or _BARE_CLAUSE_RE.match(text, start, se)
                                    or _SMALL_CLAUSE_RE.match(text, start, se)):
        return None
    if start >= se - 1:
        return None
    frame = _Frame((cs, ce), lemma, left=left, mode="after", speaker=speaker, role=role,
                   content_start=start, written=written)
    if nm:
        frame.nominal = CLAIM_NOUNS[nm.group(2).lower()]
        frame.content_start = nm.end()
        pm = _POSSESSOR_RE.search(text, start, nm.start(2))
        if pm:
            frame.possessor = _strip_span(text, pm.start(1), pm.end(1))
    return frame


# Where reported content hands over to the outlet's own words. Any content stops before ", yet
# ..." / ", but ..." (a new predicate of the subject: "demands X, yet refuses Y"), before a
# semicolon, and before a comma and a new subject with its verb (the main clause after a
# preposed one: "While she called for X, Clinton restricted ..."); content that
# is a noun phrase or an infinitive (not a clause) also stops before a dash aside, a comma-led
# adjunct ("attacked her opponent as a fraud, with jabs that ...") and a non-restrictive
# relative clause ("endorses Trump, who says he is honored"). Prepositional adjuncts without a
# comma stay: PolNeAR keeps "... during the debate" in the content.
_CONTENT_STOP_RE = re.compile(
    r",\s+(?:yet|but)\b|;\s|,\s+[A-Z][a-z]+\s+(?:has\s+|had\s+)?[a-z]{3,}ed\b"
)
_PHRASE_STOP_RE = re.compile(
    r"\s+(?:—|--|–|―)\s+|,\s+(?:with|after|before|as|while|despite|who|which|where)\b"
)


def _content_end(text: str, a: int, b: int, quotes) -> int:
    """Where content that starts at ``a`` ends, at most ``b``."""
    clausal = text[max(0, a - 6):a].rstrip().lower().endswith(("that", ":")) or \
        text[a:a + 5].lower() == "that " or \
        _BARE_CLAUSE_RE.match(text, a, b) is not None or text[a:a + 1] in "\"“"
    stops = (_CONTENT_STOP_RE,) if clausal else (_CONTENT_STOP_RE, _PHRASE_STOP_RE)
    for rx in stops:
        for m in rx.finditer(text, a, b):
            if m.start() - a < 10 or _inside(quotes, m.start()):
                continue
            b = m.start()
            break
    return b


_NESTED_OPENER_RE = re.compile(r"(?:that|which|who)\b", re.I)


def _nested(text: str, frame: _Frame) -> bool:
    """Does ``frame`` open a clause nested in the content before it ("..., which X says ...")?"""
    return frame.mode == "after" and frame.speaker is not None and \
        _NESTED_OPENER_RE.match(text, frame.left) is not None


_COORD_START_RE = re.compile(r"(?:and|but|or|so|yet)\b", re.I)
_FULL_STOP_END_RE = re.compile(r"[.!?]['’]?\s*$")


def _split_start(text: str, prev_end: int, f: _Frame, a: int) -> int | None:
    """Start of a clause split by its attribution ("X, she said, Y"), else None."""
    if f.speaker is None or f.left >= f.speaker[0] or text[f.left] != "," \
            or "," not in text[f.cue[1]:a]:
        return None
    xa, xb = _trim_content(text, prev_end, f.left)
    if xb - xa < 3 or _inside(_quote_spans(text, xa, xb), xa) or text[xa] in "\"“'":
        return None
    if _COORD_START_RE.match(text, a):
        return None  # "X, he said, and Y": X is a whole clause of its own
    return xa


def _continues_quote(text: str, first: tuple[int, int], second_start: int) -> bool:
    """Does a second quotation go on with the sentence the first left unfinished?"""
    return (not _FULL_STOP_END_RE.search(text, first[0], first[1])
            and text[second_start:second_start + 1].islower()
            and not _COORD_START_RE.match(text, second_start))  # '"A," X said, "and B."'


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
            if i + 1 < len(frames) and _nested(text, frames[i + 1]):
                # "X said the deal, which critics called a failure, would stand": a relative
                # or complement clause with a speaker of its own is still part of X's content.
                b = se
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
            split = None if is_quote or text[a - 1:a] in "\"“'" else \
                _split_start(text, frames[i - 1].cue[1] if i > 0 else ss, f, a)
            if split is not None:
                # "African-Americans, he said, can rock like Jimi": the attribution splits one
                # clause; the content is the whole of it, written around the speaker.
                a, is_quote = split, False
            out.append(RawAttribution((ss, se), (a, b), f.cue, f.lemma, f.speaker, f.role,
                                      quote=is_quote, nominal=f.nominal,
                                      extra={"written_as": f.written} if f.written
                                      else {"agentless": True} if f.agentless else {}))
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
                first = out[-1] if out and out[-1].cue == f.cue else None
                if first is not None and b - a >= 3 and _continues_quote(text, first.content, a):
                    # '"My hope," he said, "is that ..."': one quoted sentence split by the
                    # attribution is one claim.
                    first.content = (first.content[0], b)
                    continue
                if b - a >= 3:
                    out.append(RawAttribution((ss, se), (a, b), f.cue, f.lemma, f.speaker, f.role,
                                              quote=True, extra={"continues": True}))
    covered = {r.content[0] for r in out}
    nominals = []
    seg = text[ss:se]
    if "'" in seg or "’" in seg:  # both forms need an owner: "X's claims"
        nominals = [(m, CLAIM_NOUNS) for m in _STANDALONE_NOMINAL_RE.finditer(text, ss, se)]
        nominals += [(m, STANCE_NOUNS) for m in _STANCE_NOMINAL_RE.finditer(text, ss, se)]
    for m, nouns in nominals:
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
            lemma = "claim" if nouns is CLAIM_NOUNS else m.group(2)
            out.append(RawAttribution((ss, se), (a, b), (m.start(2), m.end(2)), lemma,
                                      (m.start(1), m.end(1)), nominal=nouns[m.group(2)]))
    return out


# A transcript turn: 'WALLACE: Let's start with ...' / '"PENCE: Well, look, ...' — a speaker
# label in capitals, a colon, and the speaker's words to the end of the line. Labels of the page
# itself ("CLARIFICATION:", "UPDATE:") are not speakers.
_TURN_RE = re.compile(
    r"[\"“]?([A-Z][A-Z.'’-]+(?:\s+[A-Z][A-Z.'’-]+){0,2}):\s+(\S[^\n]*?)[\s\"”]*$"
)


def transcript_turn(text: str, ls: int, le: int) -> RawAttribution | None:
    """The whole turn when the line ``text[ls:le]`` is 'NAME: words' of a transcript."""
    if ":" not in text[ls:min(le, ls + 40)]:
        return None
    m = _TURN_RE.fullmatch(text, ls, le)
    if not m or m.group(1).split()[0] in PAGE_LABELS or m.end(2) - m.start(2) < 3:
        return None
    colon = m.end(1)
    return RawAttribution((ls, le), (m.start(2), m.end(2)), (colon, colon + 1), "say",
                          (m.start(1), m.end(1)), quote=True, extra={"turn": True})


def quote_only(text: str, ss: int, se: int) -> tuple[int, int] | None:
    """The inner span when the whole sentence is one quotation ('"The doors remain open."')."""
    quotes = _quote_spans(text, ss, se)
    if len(quotes) == 1 and quotes[0][0] == ss and not text[quotes[0][1]:se].strip(" .,"):
        return _quote_inner(text, quotes[0])
    return None


