"""Text processing for retrieval: clean a claim or a tweet, tokenise, stem, spot names and figures.

Pure Python. The same functions process the stored records and the incoming queries, so that
a term means the same thing on both sides.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Social-media furniture that carries no claim: links, picture links, @handles, and the
# trailer an embedded tweet ends with ("— Name (@handle) February 25, 2016").
_PIC_RE = re.compile(r"pic\.twitter\.com/\S*", re.I)
_URL_RE = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+\.(?:com|org|net|gov|ly|co)/\S*", re.I)
_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
           "December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec")
# "— Name (@handle) February 25, 2016": anywhere, since a tweet may quote another tweet.
_TRAILER_RE = re.compile(
    r"\s*(?:[—–]|--?)\s*([^—–\n()]{0,80}?)\s*\(@\w{1,30}\)\s*(?:(?:" + _MONTHS
    + r")\.?\s+\d{1,2},?\s+\d{4})?")
_HANDLE_RE = re.compile(r"(?<!\w)@\w+")
_HASHTAG_RE = re.compile(r"#(\w+)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")

# @handles: dropped, or turned into words ("@SeanSpicer" -> "Sean Spicer"). Words win on the
# Snopes train queries (MAP@5 0.795 -> 0.817): the account a tweet names is often its subject.
DROP_HANDLES = False

_QUOTES = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u00ad": "",
})

# Words: letters/digits, apostrophes inside a word are dropped ("don't" -> "dont"), figures keep
# their thousands separators and decimals together ("4,300" -> "4300", "3.5" -> "3.5").
_TOKEN_RE = re.compile(
    r"\d+(?:[.,]\d+)*|[A-Za-z0-9]+(?:'[A-Za-z]+)*(?:-[A-Za-z0-9]+(?:'[A-Za-z]+)*)*")

STOPWORDS = frozenset("""
a about above after again against all am an and any are aren arent as at be because been
before being below between both but by can cant could couldnt did didnt do does doesnt doing dont
down during each few for from further had hadnt has hasnt have havent having he hed hell hes her
here heres hers herself him himself his how hows i id ill im ive if in into is isnt it its itself
lets me more most mustnt my myself no nor not of off on once only or other ought our ours
ourselves out over own same shant she shed shell shes should shouldnt so some such than that
thats the their theirs them themselves then there theres these they theyd theyll theyre theyve
this those through to too under until up very was wasnt we wed well were weve werent what whats
when whens where wheres which while who whos whom why whys with wont would wouldnt you youd
youll youre youve your yours yourself yourselves just also via rt amp s t
""".split())


def plain(text: str) -> str:
    """Curly quotes and dashes made plain, accents removed ("Pelosí" -> "Pelosi"); case kept."""
    text = text.translate(_QUOTES)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return text


def _handle_words(match: re.Match) -> str:
    # "@SeanSpicer" -> "Sean Spicer", "@peta" -> "peta": the account named is often the subject.
    return " " + _CAMEL_RE.sub(" ", match.group()[1:].replace("_", " ")) + " "


def tweet_authors(text: str) -> list[str]:
    """The names in a tweet's trailers ("— Sean Spicer (@seanspicer) January 29, 2017")."""
    if "(@" not in text:
        return []
    return [m.group(1).strip() for m in _TRAILER_RE.finditer(text) if m.group(1).strip()]


def strip_social(text: str, drop_handles: bool = DROP_HANDLES) -> str:
    """Remove links, picture links and tweet trailers; split hashtags; drop @handles or
    (``drop_handles=False``) turn them into words."""
    # Each pattern runs only when its marker is present: most claims have none of them.
    if "pic.twitter" in text:
        text = _PIC_RE.sub(" ", text)
    if "/" in text or "www." in text:
        text = _URL_RE.sub(" ", text)
    if "@" in text:
        if "(@" in text:
            text = _TRAILER_RE.sub(" ", text)
        text = _HANDLE_RE.sub(" " if drop_handles else _handle_words, text)
    if "#" in text:
        # "#AustralianFires" -> "Australian Fires": the words of a hashtag are words of the claim.
        text = _HASHTAG_RE.sub(lambda m: " " + _CAMEL_RE.sub(" ", m.group(1)) + " ", text)
    return text


_VOWEL = re.compile(r"[aeiouy]")
_DOUBLE = re.compile(r"([bdfgklmnprt])\1$")
# (suffix, replacement, minimum stem length left): tried in order, first match wins. A compact
# subset of Porter's steps 1-3: enough to join "claims/claimed/claiming", "vaccination/vaccinate",
# "policies/policy", "taxes/tax", without pretending to be a full stemmer.
_SUFFIXES = (
    ("ational", "ate", 3), ("ization", "ize", 3), ("fulness", "ful", 3), ("iveness", "ive", 3),
    ("ousness", "ous", 3), ("ations", "ate", 3), ("ation", "ate", 3), ("ments", "", 4),
    ("ment", "", 4), ("nesses", "", 3), ("ness", "", 3), ("ities", "ity", 3), ("ingly", "", 3),
    ("edly", "", 3), ("ies", "y", 2), ("sses", "ss", 2), ("ings", "", 3), ("ing", "", 3),
    ("ied", "y", 2), ("eed", "ee", 2), ("ed", "", 3), ("ly", "", 4), ("ss", "ss", 1),
    ("us", "us", 1), ("is", "is", 1), ("s", "", 2),
)


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """A light English suffix stripper (plural, -ed, -ing, -ly, -ation, -ment, -ness)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, repl, keep in _SUFFIXES:
        if word.endswith(suffix):
            base = word[: len(word) - len(suffix)]
            if len(base) < keep or not _VOWEL.search(base):
                continue
            if suffix in ("ing", "ings", "ed", "edly", "ingly"):
                if _DOUBLE.search(base):  # "running" -> "runn" -> "run"
                    base = base[:-1]
                elif base.endswith(("at", "iz", "bl")):  # "created" -> "create"
                    base += "e"
            if suffix == "s" and base.endswith(("sse", "xe", "ze", "che", "she")):
                base = base[:-1]  # "taxes" -> "tax", "churches" -> "church"
            word = base + repl
            break
    if word.endswith("e") and len(word) > 4:  # "create"/"creat" and "taxe"/"tax" meet
        word = word[:-1]
    return word


@lru_cache(maxsize=400_000)
def _terms_of(token: str) -> tuple[str, ...]:
    """The terms of one lower-case token (none for a stopword)."""
    if token[0].isdigit() and ("," in token or "." in token):
        return (token.replace(",", ""),)
    if "'" in token:
        # Possessive "Pelosi's" -> "pelosi"; other apostrophes join ("don't" -> "dont").
        token = (token[:-2] if token.endswith("'s") else token).replace("'", "")
    if "-" in token:
        # "single-payer" is also written "single payer" and (in transcripts) "singlepayer".
        parts = [p for p in token.split("-") if p]
        terms = [stem(p) for p in parts if p not in STOPWORDS]
        if len(parts) > 1:
            terms.append(stem("".join(parts)))
        return tuple(terms)
    if token in STOPWORDS:
        return ()
    return (stem(token),)


_BREAK = frozenset('.!?:;"\n(')


def analyse(text: str, social: bool = True, drop_handles: bool = DROP_HANDLES
            ) -> tuple[list[str], list[str]]:
    """(terms, names) of a text, in one pass.

    ``terms``: social furniture stripped, folded, stopwords dropped, stemmed.
    ``names``: the terms of capitalised words and of figures ("Ilhan Omar", "$4,300", "2008").
    A shared name or figure is stronger evidence of the same claim than a shared common word:
    two claims about "Omar" and "treason" are about the same thing; two claims using "said" are
    not. A word that opens a sentence is capitalised by grammar, not by being a name, so it
    counts only when the same term is capitalised elsewhere in the text.
    """
    if not text:
        return [], []
    if social:
        text = strip_social(text, drop_handles)
    text = plain(text)
    terms: list[str] = []
    names: list[str] = []
    initial_names: list[str] = []
    prev_end = 0
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        found = _terms_of(token.lower())
        if not found:
            prev_end = match.end()
            continue
        terms.extend(found)
        first = token[0]
        if first.isdigit():
            names.extend(found)
        elif first.isupper():
            gap = text[prev_end:match.start()]
            if prev_end == 0 or not _BREAK.isdisjoint(gap):
                initial_names.extend(found)
            else:
                names.extend(found)
        prev_end = match.end()
    if initial_names:
        seen = set(names)
        names.extend(t for t in initial_names if t in seen)
    return terms, names


def tokenize(text: str, social: bool = True) -> list[str]:
    """Terms of a text: social furniture stripped, folded, stopwords dropped, stemmed."""
    return analyse(text, social)[0]


