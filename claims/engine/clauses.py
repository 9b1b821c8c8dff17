"""Does a statement stand on its own? A claim a desk can publish is a clause: a subject and
its finite verb ("Russia is massing troops", "In this vision, voters would flee"). The
object of a verb that reports no statement ("criticized [Clinton for supporting the bill]",
"calling [it a paperwork error]"), a bare noun phrase ("Attacks using vehicles"), a
predicate without its subject ("Has surrounded ...", "Would worsen the situation") or a
clause cut at its start ("Of whom have already pledged ...") is not one.

Word lists, not a parser: a finite verb is an auxiliary or modal, a past form, a verb in
``-s`` after a pronoun or a name, or a common verb after a plural subject.
"""

from __future__ import annotations

import re

from .lexicon import SUBORDINATORS

_AUX = frozenset("""
is are was were am be has have had do does did will would shall should can could may might must
isn't aren't wasn't weren't hasn't haven't hadn't don't doesn't didn't won't wouldn't can't
couldn't shouldn't mustn't cannot
""".split())
_PAST = frozenset("""
said told made took gave came went found left won lost began became rose fell paid sent spent
built brought kept led ran saw wrote spoke struck sold stood hit put set cut knew grew drew
chose fled fought held met thought felt got meant heard sought bought taught caught
understood shot wore broke forgot hid
""".split())
# Verbs common after a plural subject, where nothing marks them as verbs ("voters say").
_PLURAL_PRESENT = frozenset("""
say think believe want need know support oppose agree expect plan remain seem appear include
continue show suggest feel hope endorse favor favour face get make take tend deserve live work
vote see argue claim insist warn fear worry doubt accept reject deny like love hate trust
""".split())
_PRONOUNS = frozenset("i you he she it we they there this that who".split())
# Before these a past form is an adjective or a participle ("one paid staffer", "being
# elected"), not the clause's verb.
_NOT_BEFORE_PAST = frozenset("""
a an the one two three this that these those his her their its our my your being been be to by
having only each every some any no is are was were has have had
""".split())
_DETERMINERS = frozenset("the a an this that his her their its our my your".split())
_PREPOSITIONS = frozenset("in on at during over under since about after before".split())
_PLURAL_PRONOUNS = frozenset("i you we they".split())
_ADVERBS = frozenset(
    "also still now already just never often always even only really actually simply clearly"
    .split())
# Words no clause starts with: a preposition or relative that needs what came before, an
# auxiliary without its subject, an object pronoun.
_NO_START = frozenset("""
of for with as than whom whose which to by from into about against upon via per
has have had would will is are was were could may might must should can does did do been
being her him them us me its
""".split())
_SUBORDINATORS = SUBORDINATORS | {"that"}  # "Concern that he was ...": not the main verb
_WORD_RE = re.compile(r"[\w’'$%.-]+")
_CONTRACTED_RE = re.compile(r"['’](?:s|re|ll|ve|d|m)$")
_LEADING_RE = re.compile(
    r"^(?:(?:but|and|so|yet|or|also|now|well|look|still|indeed|instead|however|meanwhile),?\s+)+",
    re.I)
# "The program, which was created in 1990, has expanded": the relative clause set off.
_SET_OFF_RE = re.compile(r",\s+(?:which|who|whose|according\s+to)\b[^,;]{1,120},\s+", re.I)
_OPENING_QUOTES = "\"“”‘’'( "
# How far into a clause its finite verb may come.
_VERB_WITHIN = 22


def _subject_name(words: list[str], end: int) -> bool:
    """Is ``words[end]`` the last word of a name that opens its clause ("Donald Trump", "The
    Kremlin"), not one inside a phrase ("At City Council hearings")?"""
    if end < 0 or not words[end][:1].isupper():
        return False
    start = end
    while start > 0 and words[start - 1][:1].isupper():
        start -= 1
    if words[start].lower() in _PREPOSITIONS or words[start].lower() in _NO_START:
        return False  # "At City Council hearings"
    return start == 0 or words[start - 1].lower() in ("the", "and")


def _short_subject(words: list[str], i: int) -> bool:
    """Do the words before ``words[i]`` make a short subject ("The latest survey", "Fishing
    union"), with no preposition that would make them an adjunct ("At City Council hearings")?"""
    return (0 < i <= 4 and words[i - 1].lower() not in _DETERMINERS
            and not any(w.lower() in _NO_START or w.lower() in _PREPOSITIONS for w in words[:i])
            and not any(w.lower().endswith("ing") for w in words[1:i]))


def _finite(words: list[str]) -> list[int]:
    """Indices of the words that look like finite verbs."""
    found = []
    # A title-case headline ("Harbour Master Vows To Reopen ...") capitalises its verbs too.
    title = len(words) > 3 and sum(w[:1].isupper() for w in words) >= 0.7 * len(words)
    for i, word in enumerate(words):
        low = word.lower().rstrip(".")
        j = i - 1
        while j >= 0 and words[j].lower() in _ADVERBS:
            j -= 1
        before = words[j] if j >= 0 else ""
        lower_case = i > 0 and (word[:1].islower() or title)
        if low in _AUX:
            found.append(i)
        elif low in _PAST and before.lower() not in _NOT_BEFORE_PAST:
            found.append(i)
        elif _CONTRACTED_RE.search(low) and (i == 0 or before.lower() in _PRONOUNS):
            found.append(i)  # "He's", "they're"
        elif lower_case and len(low) > 4 and low.endswith("ed") \
                and before.lower() not in _NOT_BEFORE_PAST:
            found.append(i)
        elif lower_case and low in _PLURAL_PRESENT and (
                before.lower() in _PLURAL_PRONOUNS
                or ((before[:1].islower() or j == 0) and before.lower().endswith("s"))):
            found.append(i)  # "voters say", "officials believe"
        elif (lower_case and len(low) > 3 and low.endswith("s") and not low.endswith("ss")
              and (before.lower() in _PRONOUNS or _subject_name(words, j)
                   or _short_subject(words, i))):
            found.append(i)  # "Trump wants", "it means"
        elif lower_case and before.lower() in _PLURAL_PRONOUNS:
            found.append(i)  # "they say", "we want"
    return found


def _is_clause(text: str) -> bool:
    words = _WORD_RE.findall(text)
    if not words or words[0].lower() in _NO_START:
        return False
    if len(words) > 2 and words[1].lower() in ("of", "for", "as") \
            and words[2].lower().endswith("ing"):
        return False  # "Washington of throwing away ...", "Clinton for supporting ..."
    verbs = [i for i in _finite(words) if i < _VERB_WITHIN]
    if not verbs:
        return False
    subordinate = next((i for i, w in enumerate(words[1:], 1) if w.lower() in _SUBORDINATORS),
                       None)
    if subordinate is not None and subordinate < verbs[0]:
        # The first verb is the subordinate clause's ("Concern that he was ..."): the
        # main clause needs a verb of its own ("The person who plays Trump has been chosen").
        return len(verbs) > 1
    return True


def stands_alone(statement: str) -> bool:
    """Whether ``statement`` is a clause a reader understands without the article."""
    text = _LEADING_RE.sub("", statement.strip().lstrip(_OPENING_QUOTES))
    text = _SET_OFF_RE.sub(" ", text)
    if _is_clause(text):
        return True
    # A leading phrase set off by a comma: "At the same time, the program is facing ...".
    comma = text.find(", ")
    while 0 < comma < 120:
        if _is_clause(text[comma + 2:]):
            return True
        comma = text.find(", ", comma + 2)
    return False
