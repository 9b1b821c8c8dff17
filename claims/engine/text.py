"""Normalise a scraped plain-text page for storage: one paragraph a line, no page furniture."""

from __future__ import annotations

import re
import unicodedata

from .lexicon import BOILERPLATE_LINES, RELATED_MARKER_RE, VERB_LIKE_RE

# NBSP and its relatives reach us from HTML entities; storage wants plain spaces.
_ODD_SPACES_RE = re.compile(r"[\u00a0\u2000-\u200a\u202f\u205f\u3000\t\f\v]")
_ZERO_WIDTH_RE = re.compile(r"[\u200b-\u200d\u2060\ufeff]")
_MULTI_SPACE_RE = re.compile(r" {2,}")
_MULTI_BLANK_RE = re.compile(r"\n{3,}")

_BULLET_RE = re.compile(r"^[•·▪►●■◦‣∙*]\s*")
# "Caption text. | Photo: Agency" and "Photo: Agency" credit lines.
_CREDIT_RE = re.compile(
    r"(?:^|\s\|\s*)(?:photo|image|picture|video|credit|photograph|source)s?\s*(?:credit)?\s*:", re.I
)
_CAPTION_SPLIT_RE = re.compile(r"\s*\|\s*")
# A photo credit that ends a caption line: "... in Kyiv, March 3. REUTERS/Jane Doe",
# "(AP Photo/John Roe)", "AFP via Getty Images", "Photograph: Jane Doe/AP".
_PHOTO_CREDIT_RE = re.compile(
    r"(?:\b(?:REUTERS|Reuters|AFP|AP|EPA|UPI|XINHUA|Xinhua|TASS|Sputnik|Bloomberg|ANADOLU)"
    r"(?:\s+Photo)?\s*/\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}(?:/[A-Z][\w ]{1,30})?"
    r"|\((?:AP|AFP|Reuters|EPA|UPI)\s+Photo(?:\s*/\s*[^()]{1,60})?\)"
    r"|\b(?:via\s+)?Getty\s+Images|\bPhoto(?:graph)?\s+(?:by|courtesy\s+of)\s+[A-Z][^.]{0,60}"
    r"|\bFile\s+(?:photo|Photo)\b)\s*\.?\s*$"
)
# A byline: "By Jane Doe", "By JANE DOE and JOHN ROE, Associated Press", "By Jane Doe | Reuters".
_NAME = (r"[A-Z][\w.'’-]*(?:\s+(?:[A-Z][\w.'’-]*|de|der|den|van|von|da|del|della|di|du|dos|"
         r"la|le|bin|al|el)){0,4}")
_BYLINE_RE = re.compile(
    r"(?:By|BY)\s+" + _NAME + r"(?:\s*(?:,|and|AND|&)\s*" + _NAME + r")*"
    r"(?:\s*[,|—–-]\s*(?:The\s+)?[A-Z][\w.&'’-]*(?:\s+[A-Z][\w.&'’-]*){0,4}"
    r"(?:\s+(?:staff\s+)?(?:writer|reporter|correspondent|editor)s?)?)?\s*"
)


def furniture_kind(line: str) -> str:
    """"byline" or "caption" when a line is page furniture that holds no claim, else ""."""
    line = line.strip()
    if len(line) < 4:
        return ""
    if line[:3] in ("By ", "BY ") and len(line) <= 160 and _BYLINE_RE.fullmatch(line):
        return "byline"
    tail = line[-120:]
    if ("/" in tail or "Photo" in tail or "Getty" in tail) and _PHOTO_CREDIT_RE.search(tail):
        return "caption"
    if ":" in line and _CREDIT_RE.search(line):
        return "caption"
    return ""
# "News > U.S." / "Home » World » Europe": separators stand between spaces, so inline
# markup such as "<b>x</b>" in a sentence is never mistaken for a trail.
_BREADCRUMB_RE = re.compile(r"^[^\s<>»›|/][^<>»›|]{0,40}(?:\s+[>»›|]\s+[^<>»›|]{1,40})+$")
_STAMP_RE = re.compile(
    r"^(?:published|updated|posted|last\s+updated|first\s+published|modified)\b[\s:,]", re.I
)
_COUNT_RE = re.compile(r"^\d+(?:\s+(?:comments?|shares?|views?|likes?))?$", re.I)
_SENTENCE_END_RE = re.compile(r"[.!?\"”:]$")
_KEY_STRIP_RE = re.compile(r"[\s.:!]+$")


def _key(line: str) -> str:
    """The line as a lexicon key: bullet, case and trailing punctuation removed."""
    return _KEY_STRIP_RE.sub("", _BULLET_RE.sub("", line)).lower()


def _is_label(line: str) -> bool:
    # Short, unpunctuated, verbless: a section label or a link, not a sentence.
    words = line.split()
    return (
        len(words) <= 4
        and not _SENTENCE_END_RE.search(line)
        and not VERB_LIKE_RE.search(line)
    )


def clean_text(raw: str) -> str:
    """Return ``raw`` normalised (NFC, LF, single spaces) without boilerplate lines."""
    text = unicodedata.normalize("NFC", raw).replace("\r\n", "\n").replace("\r", "\n")
    text = _ZERO_WIDTH_RE.sub("", _ODD_SPACES_RE.sub(" ", text))
    lines = [_MULTI_SPACE_RE.sub(" ", line).strip() for line in text.split("\n")]

    keep = [bool(line) for line in lines]
    kept_content: list[int] = []  # indices of kept non-blank lines, for look-back
    headline_seen = False
    drop_next_teaser = False

    for i, line in enumerate(lines):
        if not line:
            continue
        key = _key(line)
        drop = False
        if drop_next_teaser:
            drop_next_teaser = False
            # The teaser headline after "RELATED:" has no full stop; a real paragraph does.
            drop = not line.endswith((".", '."', ".”")) or len(line.split()) <= 15
        if drop:
            pass
        elif _CREDIT_RE.search(line) or _PHOTO_CREDIT_RE.search(line):
            drop = True
            caption = _key(_CAPTION_SPLIT_RE.split(line, maxsplit=1)[0])
            # The same caption is often printed once more just above the credit line.
            for j in kept_content[-3:]:
                earlier = _key(lines[j])
                if len(earlier) > 15 and (earlier == caption or caption.startswith(earlier)):
                    keep[j] = False
        elif RELATED_MARKER_RE.match(line):
            drop = True
            drop_next_teaser = not RELATED_MARKER_RE.sub("", line).strip()
        elif key in BOILERPLATE_LINES or _COUNT_RE.match(key):
            drop = True
        elif _BREADCRUMB_RE.match(line) and len(line.split()) <= 8:
            drop = True
        elif _STAMP_RE.match(line) and len(line.split()) <= 12 and re.search(r"\d", line):
            drop = True
        elif _BULLET_RE.match(line) and len(line.split()) <= 5:
            drop = True
        elif _is_label(line) and (headline_seen or len(line.split()) < 2):
            drop = True
        if drop:
            keep[i] = False
            continue
        headline_seen = True
        kept_content.append(i)

    # Dropped lines vanish rather than turn blank, so they never split a paragraph.
    out = "\n".join(line for line, k in zip(lines, keep) if k or not line)
    return _MULTI_BLANK_RE.sub("\n\n", out).strip("\n") + "\n"
