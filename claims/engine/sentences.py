"""Sentence splitting with offsets, tuned for news prose.

A line break always ends a sentence (clean text holds one paragraph a line). Inside a line, a
candidate boundary is end punctuation, optional closing quotes/brackets, whitespace, and an
upper-case letter, digit or opening quote. Candidates are vetoed after abbreviations and
initials, and inside a quotation that closes later on the same line: a multi-sentence quote stays
with its attribution (`"A. B," she said.` is one sentence).
"""

from __future__ import annotations

import re

from .lexicon import ABBREV_MAYBE, ABBREV_TITLES, SENTENCE_OPENERS
from .types import Span

_LINE_RE = re.compile(r"[^\n]+")
_CANDIDATE_RE = re.compile(r"([.!?]+)([\"”’')\]]*)\s+(?=(?:''|[\"“‘(\[])?[A-Z0-9])")
_QUOTE_RE = re.compile(r"“[^”\n]*”|\"[^\"\n]*\"|''[^\n]*?''")
_INITIAL_RE = re.compile(r"^[(\"“]?[A-Z]\.$")
_ACRONYM_RE = re.compile(r"^[(\"“]?(?:[A-Za-z]\.){2,}$")
_NEXT_WORD_RE = re.compile(r"(?:''|[\"“‘(\[])?([A-Za-z]+)")
# "MOSCOW (AP) — " / "HEMPSTEAD, N.Y., Sept. 26 (UPI) — ": place in capitals, then an agency
# in brackets or a comma part, then a dash.
_DATELINE_RE = re.compile(
    r"[A-Z][A-Z'.\-]+(?: [A-Z][A-Z'.\-]+)*"
    r"(?:(?:,[^—–\n]{1,40}?)?\s*\([A-Za-z .]{1,20}\)|,[^—–\n]{1,40}?|(?<=[A-Z]{5}))"
    r"(?:\s*(?:—|–|--)\s*|\s+-\s+)"
)
_LEADING_WS_RE = re.compile(r"\s*")


def _is_abbreviation(text: str, dot: int, line_start: int, next_start: int) -> bool:
    """True when the full stop at ``dot`` belongs to an abbreviation, not a sentence end."""
    word_start = max(text.rfind(" ", line_start, dot) + 1, line_start)
    token = text[word_start:dot + 1]
    low = token.lower().lstrip("(\"“")
    if low in ABBREV_TITLES or _INITIAL_RE.match(token):
        return True
    if low in ABBREV_MAYBE or _ACRONYM_RE.match(token):
        m = _NEXT_WORD_RE.match(text, next_start)
        # "in the U.S. The talks ..." ends a sentence; "U.S. President ..." does not.
        return not (m and m.group(1).lower() in SENTENCE_OPENERS)
    return False


def _split_line(text: str, start: int, end: int) -> list[Span]:
    dateline = _DATELINE_RE.match(text, start, end)
    if dateline:
        start = dateline.end()
    quotes = [(m.start(), m.end()) for m in _QUOTE_RE.finditer(text, start, end)]
    spans: list[Span] = []
    sent_start = start
    qi = 0
    for m in _CANDIDATE_RE.finditer(text, start, end):
        cut = m.end()
        while qi < len(quotes) and quotes[qi][1] <= cut:
            qi += 1
        if qi < len(quotes) and quotes[qi][0] < m.start(1) and cut < quotes[qi][1]:
            continue  # inside a quotation that closes later on this line
        if m.group(1).startswith(".."):
            continue  # an ellipsis marks an omission, not a sentence end
        if m.group(1) == "." and _is_abbreviation(text, m.start(1), start, cut):
            continue
        stop = m.end(2)
        if stop > sent_start:
            spans.append(Span(sent_start, stop, text[sent_start:stop]))
        sent_start = cut
    if sent_start < end:
        tail_end = len(text[sent_start:end].rstrip()) + sent_start
        if tail_end > sent_start:
            spans.append(Span(sent_start, tail_end, text[sent_start:tail_end]))
    return spans


def split_sentences(text: str) -> list[Span]:
    """Split ``text`` into sentence spans (offsets into ``text``, surrounding spaces excluded)."""
    spans: list[Span] = []
    for line in _LINE_RE.finditer(text):
        start = _LEADING_WS_RE.match(text, line.start()).end()
        end = line.end()
        while end > start and text[end - 1].isspace():
            end -= 1
        if end > start:
            spans.extend(_split_line(text, start, end))
    return spans
