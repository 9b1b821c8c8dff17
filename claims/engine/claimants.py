"""Turn speaker mentions into claimants, resolved within one article.

A mention is parsed into name, role and kind ("U.S. President's press secretary Jen Psaki" →
name "Jen Psaki", role "U.S. President's press secretary"). Pronouns, bare surnames and
descriptive mentions ("the U.S. diplomat") then resolve to the most recent compatible claimant
seen earlier in the article, or, for descriptive mentions in a headline, to the first one seen
later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .lexicon import (
    DEPARTMENT_WORDS,
    FAMILY_ALIASES,
    GOVERNMENT_HEADS,
    ORG_WORDS,
    PERSON_PRONOUNS,
    PRONOUNS,
    ROLE_SYNONYMS,
    ROLE_WORDS,
    STATE_ROLES,
)
from .types import ClaimantRef, Span

_ALIAS_TO_FAMILY = {alias: fam for fam, aliases in FAMILY_ALIASES.items() for alias in aliases}
_ALIAS_RE = re.compile(
    r"(?<![\w.])(?:"
    + "|".join(re.escape(a) for a in sorted(_ALIAS_TO_FAMILY, key=len, reverse=True) if a != "us")
    + r"|(?-i:US))(?![\w])",
    re.I,
)
_DETERMINERS = frozenset({"the", "a", "an", "this", "that"})
_INDEFINITE = frozenset({"a", "an", "one", "another", "some", "several", "two", "three", "many"})
_NAME_TOKEN_RE = re.compile(r"^(?:[A-Z][\w'’.-]*|[A-Z]\.|de|van|von|bin|al|da|del|la|le)$")
_POSSESSIVE_RE = re.compile(r"(?:'s|’s|'|’)$")
_NORMALISE_RE = re.compile(r"[^\w\s.-]+")
_TRAILING_PP_RE = re.compile(r"(.*?[A-Z][\w'’.-]*)\s+((?:of|from|for|at|with)\s+\S.*)")
_LOCATED_GROUP_RE = re.compile(r"^((?:\S+\s+)*?[a-z][a-z-]+)\s+(?:in|at|across|around)\s+[A-Z]")
# "the U.S. envoy to the OSCE": the body after "to" belongs to the role, it names no one.
_ROLE_TO_TAIL_RE = re.compile(
    r"^(.*?\b(?:ambassador|envoy|adviser|advisor|representative|delegate|spokesman|spokeswoman|"
    r"spokesperson|secretary|minister|aide|emissary)s?)\s+to\s+\S.*$",
    re.I,
)



def family_of_text(text: str) -> str:
    """The family of the first alias in ``text`` ("U.S. ambassador to NATO" → united states)."""
    m = _ALIAS_RE.search(text)
    if not m:
        return ""
    return _ALIAS_TO_FAMILY.get(m.group(0).lower(), "united states" if m.group(0) == "US" else "")


_DAYS = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTHS = (r"(?:January|February|March|April|May|June|July|August|September|October|November|"
           r"December|Jan\.|Feb\.|Aug\.|Sept?\.|Oct\.|Nov\.|Dec\.)")
_WHEN = (rf"(?:{_DAYS}|yesterday|today|tonight|(?:last|this|next)\s+(?:week|month|year|"
         rf"night|weekend|{_DAYS})|{_MONTHS}\s+\d{{1,2}}(?:,\s+\d{{4}})?)"
         r"(?:\s+(?:morning|afternoon|evening|night))?")
# "the Kentucky Republican on Tuesday": when, not who.
_TEMPORAL_TAIL_RE = re.compile(rf"\s*,?\s+(?:on|late|early)?\s*{_WHEN}\s*$", re.I)
_TEMPORAL_RE = re.compile(rf"^(?:(?:on|late|early|a|the)\s+)?(?:{_WHEN}|meeting\s+\S+|"
                          r"(?:morning|afternoon|evening|night|week|weekend|month|year))$",
                          re.I)
# Words that stand for no one in particular ("if one adds", "many doubted", "both said").
_QUANTIFIERS = frozenset({"one", "many", "some", "most", "both", "all", "others", "few",
                          "several", "each", "everyone", "anyone", "someone", "somebody",
                          "everybody", "anybody", "none", "nobody", "either", "neither"})
# Page furniture glued to a name ("HomeNEWSThe SVR"), an address, a broken word ("self-").
_NOT_A_NAME_RE = re.compile(r"[a-z][A-Z]{2,}|[A-Z]{3,}[a-z]{2,}[A-Z]|https?:|www\.|\.(?:com|org|"
                            r"net|gov)\b|^\W|-$")


def not_a_claimant(phrase: str) -> bool:
    """A time, a quantifier, page furniture, an address or a broken word: no one who could
    make a claim."""
    words = phrase.split()
    if words and words[0].lower() in _DETERMINERS:
        words = words[1:]
    bare = " ".join(words)
    return (not bare or _TEMPORAL_RE.match(bare) is not None
            or bare.lower() in _QUANTIFIERS or _NOT_A_NAME_RE.search(bare) is not None)


def normalise_name(name: str) -> str:
    words = _NORMALISE_RE.sub("", name).lower().split()
    if words and words[0] in _DETERMINERS:
        words = words[1:]
    return " ".join(words)


@dataclass(slots=True)
class Parsed:
    name: str
    role: str
    kind: str  # person / organisation / country / group / unknown
    form: str  # full / pronoun / surname / descriptive / none (not a claimant)
    head: str = ""
    definite: bool = False


def parse_mention(phrase: str, role: str = "") -> Parsed:
    """Split a speaker phrase into name, role and kind without looking at the article."""
    phrase = phrase.strip()
    without_when = _TEMPORAL_TAIL_RE.sub("", phrase)
    if without_when and without_when != phrase:
        phrase = without_when
    if not_a_claimant(phrase):
        return Parsed("", "", "unknown", "none")
    low = phrase.lower()
    if low in PRONOUNS:
        return Parsed(phrase, "", "person" if low in PERSON_PRONOUNS else "unknown", "pronoun")
    pp = _TRAILING_PP_RE.match(phrase)
    if pp:
        # "Foreign Minister Anna Berg of Sweden": the prepositional phrase belongs to the role
        # (but "Secretary of State John Kerry" has no name before its "of").
        before = parse_mention(pp.group(1))
        if before.form == "full" and before.kind == "person":
            before.role = role or f"{before.role} {pp.group(2)}".strip()
            return before
    located = _LOCATED_GROUP_RE.match(phrase)
    if located and not any(t[:1].isupper() for t in located.group(1).split()[1:]):
        # "Several delegations in Vienna": a group at a place, not a person named Vienna.
        words = phrase.split()
        name = " ".join(words[1:] if words[0].lower() in _DETERMINERS | _INDEFINITE else words)
        head = located.group(1).split()[-1].lower()
        kind = "group" if head.endswith("s") else "person"
        return Parsed(name, role, kind, "descriptive", head, False)
    role_to = _ROLE_TO_TAIL_RE.match(phrase)
    if role_to:
        inner = parse_mention(role_to.group(1))
        if inner.form == "descriptive":
            words = phrase.split()
            name = " ".join(words[1:] if words[0].lower() in _DETERMINERS else words)
            return Parsed(name, role, inner.kind, "descriptive", inner.head, inner.definite)
    tokens = phrase.split()
    first = tokens[0].lower()
    definite = first in ("the", "this", "that")
    if (first in _DETERMINERS or first in _INDEFINITE) and not (
            len(tokens) > 1 and tokens[1].lower() == "of"):
        tokens = tokens[1:] or tokens  # but "Some of the women" keeps its "Some"
    # Name = trailing run of capitalised tokens after the last role word or possessive.
    i = len(tokens)
    while i > 0:
        tok = tokens[i - 1]
        if not _NAME_TOKEN_RE.match(tok) or tok.lower() in ROLE_WORDS or _POSSESSIVE_RE.search(tok):
            break
        i -= 1
    # "Secretary of State Wendy Sherman": the department after "of" belongs to the role.
    while (len(tokens) - i > 2 and i > 0 and tokens[i - 1].lower() in ("of", "for")
           and tokens[i].lower().rstrip(",") in DEPARTMENT_WORDS):
        i += 1
    name_tokens, role_tokens = tokens[i:], tokens[:i]
    head = tokens[-1].lower().rstrip(".,")
    own_role = " ".join(role_tokens)
    role = role or own_role
    if not name_tokens:
        kind = "group" if head.endswith("s") and head not in ROLE_WORDS else "person"
        if head in ORG_WORDS:
            kind = "organisation"
        name = " ".join(tokens)
        return Parsed(name, role if role != own_role else "", kind, "descriptive", head, definite)
    name = " ".join(name_tokens)
    name_low = name.lower()
    if name_low in _ALIAS_TO_FAMILY or ("the " + name_low) in _ALIAS_TO_FAMILY or name == "US":
        kind = "organisation" if any(w in ORG_WORDS for w in name_low.split()) else "country"
        return Parsed(name, role, kind, "full", head)
    if any(w.lower() in ORG_WORDS for w in name_tokens):
        return Parsed(name, role, "organisation", "full", head)
    if len(name_tokens) == 1 and not role_tokens:
        return Parsed(name, role, "unknown", "surname", head)
    return Parsed(name, role, "person", "full", head)


def family_for(parsed: Parsed) -> str:
    if parsed.kind in ("country", "organisation"):
        fam = _ALIAS_TO_FAMILY.get(parsed.name.lower()) or _ALIAS_TO_FAMILY.get(
            "the " + parsed.name.lower()
        )
        if parsed.name == "US":
            fam = "united states"
        if fam:
            return fam
    if parsed.form == "descriptive" and parsed.head in GOVERNMENT_HEADS:
        fam = family_of_text(parsed.name)
        if fam:
            return fam
    if parsed.role and any(w in STATE_ROLES for w in re.findall(r"[a-z]+", parsed.role.lower())):
        fam = family_of_text(parsed.role)
        if fam:
            return fam
    return normalise_name(parsed.name)


@dataclass(slots=True)
class _Entity:
    name: str
    role: str
    kind: str
    family: str
    mentions: list[str] = field(default_factory=list)
    descriptive: bool = False  # "a senior U.S. official": no name was ever given
    observed: bool = False  # named in the outlet's own text, not (yet) as a speaker


def _role_compatible(head: str, role: str) -> bool:
    role = role.lower()
    if not role:
        return False
    wanted = ROLE_SYNONYMS.get(head, frozenset({head}))
    return any(w in role for w in wanted)


class Resolver:
    """Resolves mentions in article order; call ``add`` per mention, then ``refs``."""

    def __init__(self) -> None:
        self.entities: list[_Entity] = []
        self._recent: list[int] = []  # entity index per resolved mention, in order
        self._assigned: list[int | None] = []
        self._pending: list[tuple[int, Parsed]] = []  # descriptive mentions with no antecedent
        self._spans: list[Span | None] = []
        self._written: dict[int, Span] = {}

    def _find(self, pred, *, observed: bool = False) -> int | None:
        for idx in reversed(self._recent):
            ent = self.entities[idx]
            if (observed or not ent.observed) and pred(ent):
                return idx
        return None

    def _new(self, parsed: Parsed) -> int:
        self.entities.append(
            _Entity(parsed.name, parsed.role, parsed.kind, family_for(parsed),
                    descriptive=parsed.form == "descriptive")
        )
        return len(self.entities) - 1

    def observe(self, name: str, role: str = "") -> None:
        """Learn a titled person named in the outlet's own text ("The delegation was led by
        Deputy Secretary of State Wendy Sherman"), so a later "Sherman told reporters" resolves
        to the full name and role. Only names find such a person, never pronouns or roles."""
        parsed = parse_mention(name, role)
        if parsed.form != "full" or parsed.kind != "person":
            return
        if any(e.name == parsed.name for e in self.entities):
            return
        idx = self._new(parsed)
        self.entities[idx].observed = True
        self._recent.append(idx)

    def _resolve(self, parsed: Parsed, mention: str) -> int | None:
        if parsed.form == "none":
            return None  # no one: never a claimant, never an antecedent
        low = mention.lower()
        if parsed.form == "pronoun":
            if low in PERSON_PRONOUNS:
                return self._find(lambda e: e.kind in ("person", "unknown"))
            if low in ("they", "them"):
                found = self._find(lambda e: e.kind in ("group", "organisation", "country"))
                return found if found is not None else self._find(lambda e: True)
            if low == "it":
                return self._find(lambda e: e.kind in ("organisation", "country"))
            return None
        if parsed.form == "surname":
            found = self._find(lambda e: e.kind == "person" and parsed.name in e.name.split(),
                               observed=True)
            if found is not None:
                return found
            found = self._find(lambda e: e.name == parsed.name)
            return found if found is not None else self._new(parsed)
        if parsed.form == "full":
            last = parsed.name.split()[-1]
            found = self._find(
                lambda e: e.name == parsed.name
                or (parsed.kind == "person" and e.kind in ("person", "unknown")
                    and e.name.split()[-1] == last),
                observed=True,
            )
            if found is not None:
                ent = self.entities[found]
                if len(parsed.name) > len(ent.name):
                    ent.name, ent.kind = parsed.name, parsed.kind
                if parsed.role and (not ent.role
                                    or (ent.observed and len(parsed.role) > len(ent.role))):
                    ent.role = parsed.role
                    ent.family = family_for(Parsed(ent.name, ent.role, ent.kind, "full"))
                return found
            return self._new(parsed)
        # Descriptive: "the U.S. diplomat" points back to a person in a compatible role.
        indefinite = low.startswith(("a ", "an "))
        if parsed.kind == "person" and parsed.head in ROLE_WORDS and not indefinite:
            fam = family_of_text(parsed.name)
            # "A senior U.S. official said ... The official added": an unnamed antecedent with
            # the same head wins over any named person mentioned in between.
            found = self._find(
                lambda e: e.descriptive and e.name.lower().split()[-1] == parsed.head
                and (not fam or e.family == fam or not family_of_text(e.name))
            )
            if found is not None:
                return found
            found = self._find(
                lambda e: e.kind == "person"
                and (_role_compatible(parsed.head, e.role) or parsed.head == "official")
                and (not fam or e.family == fam)
            )
            if found is not None:
                return found
            return None  # may be resolved forward (headline before the full name)
        return self._new(parsed)

    def add(self, mention: Span, role: str = "") -> int:
        """Register a mention; returns its position for ``ref``."""
        parsed = parse_mention(mention.text, role)
        idx = self._resolve(parsed, mention.text)
        pos = len(self._assigned)
        self._assigned.append(idx)
        self._spans.append(mention)
        if idx is None and parsed.form in ("descriptive", "pronoun"):
            self._pending.append((pos, parsed))
        if idx is not None:
            self._recent.append(idx)
            self.entities[idx].observed = False
            self.entities[idx].mentions.append(mention.text)
        return pos

    def same_as(self, pos: int, *, keep_mention: bool) -> int:
        """Register one more claim by the claimant of mention ``pos``.

        ``keep_mention`` repeats the earlier mention span (a speaker written once for two
        clauses of one sentence); otherwise the claim has no written mention of its own.
        """
        self._assigned.append(self._assigned[pos])
        self._spans.append(self._spans[pos] if keep_mention else None)
        if keep_mention and pos in self._written:
            self._written[len(self._assigned) - 1] = self._written[pos]
        if self._assigned[pos] is not None:
            self._recent.append(self._assigned[pos])
        return len(self._assigned) - 1

    def finish(self) -> None:
        # Forward resolution for descriptive mentions that came before their antecedent.
        for pos, parsed in self._pending:
            if self._assigned[pos] is not None or parsed.form == "pronoun":
                continue
            fam = family_of_text(parsed.name)
            for idx, ent in enumerate(self.entities):
                if ent.kind == "person" and _role_compatible(parsed.head, ent.role) and (
                    not fam or ent.family == fam
                ):
                    self._assigned[pos] = idx
                    break
            else:
                self._assigned[pos] = self._new(parsed)
            self.entities[self._assigned[pos]].mentions.append(parsed.name)
        # A pronoun met before its antecedent got an entity (a descriptive mention resolved
        # just above): it points back to the nearest earlier mention of a compatible kind.
        wanted = {"he", "she", "him", "her"}
        for pos, parsed in self._pending:
            if parsed.form != "pronoun" or self._assigned[pos] is not None:
                continue
            for earlier in range(pos - 1, -1, -1):
                idx = self._assigned[earlier]
                if idx is None:
                    continue
                kind = self.entities[idx].kind
                if (kind in ("person", "unknown")) == (parsed.name.lower() in wanted):
                    self._assigned[pos] = idx
                break

    def written_as(self, pos: int, mention: Span) -> None:
        """The claim at ``pos`` names its claimant with ``mention`` (a relative pronoun: "who",
        "which"), while the claimant itself is the antecedent registered at ``pos``."""
        self._written[pos] = mention

    def ref(self, pos: int) -> ClaimantRef | None:
        idx = self._assigned[pos]
        written = self._written.get(pos)
        if idx is None:
            span = self._spans[pos]
            if span is None:
                return None
            parsed = parse_mention(span.text)
            if parsed.form in ("pronoun", "none"):
                # "He said" with no one to point back to: a speaker, but not a name.
                return ClaimantRef(name="", kind="unknown", mention=written or span)
            return ClaimantRef(name=span.text, family=normalise_name(span.text),
                               kind=parsed.kind, mention=written or span)
        ent = self.entities[idx]
        aliases = tuple(dict.fromkeys(m for m in ent.mentions if m != ent.name))
        return ClaimantRef(name=ent.name, role=ent.role, family=ent.family, kind=ent.kind,
                           mention=written or self._spans[pos], aliases=aliases)
