"""Candidate retrieval for matching: the claims and fact-checks that share words with a claim.

On PostgreSQL the database's full-text index finds them, so the work scales with the database
rather than with worker memory; on SQLite an in-process index gives the same interface at a
smaller scale. Callers re-score candidates themselves, so only the order and the recall of
what is returned matter here.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache
from itertools import combinations

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Max
from django.db.models.expressions import RawSQL
from django.db.models.functions import Substr

from claims.engine import propositions as propositions_engine
from claims.engine.retrieval import Index
from claims.models import Claim, FactCheck, TermStat

# Kinds that state something another source can repeat or deny.
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]{2,}|\d[\d,.]*")


# A rare-word query holds at least this many words: similarity needs two shared terms
# (engine.SHARED_MIN), and a third keeps a claim whose rarest word is a misspelling in reach.
RARE_WORDS_MIN = 3
# And at most this many: each index entry read is checked against every pair (28 of 8 words;
# 66 of 12 took the index scan from about 3 to 24 ms at 100k claims, EXPLAIN ANALYZE).
RARE_WORDS_MAX = 8


def _search_words(text: str) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in _WORD_RE.findall(text)))[:40]


# --- candidates ---------------------------------------------------------------------------------

_index_lock = threading.Lock()
_indexes: dict[str, tuple[tuple, Index]] = {}


def _cached_index(name: str, state: tuple, rows) -> Index:
    """An in-process index of ``rows`` (id, text), rebuilt when ``state`` of the table moves."""
    # One process may hold several databases (an evaluation's throw-away one): keyed by it too.
    state = (connection.settings_dict["NAME"], *state)
    with _index_lock:
        cached = _indexes.get(name)
        if cached and cached[0] == state:
            return cached[1]
        index = Index.build(({"id": str(pk), "text": text} for pk, text in rows),
                            {"text": 1.0})
        _indexes[name] = (state, index)
        return index


# Ranks tie often (short texts sharing the same few words); the id breaks ties so that the
# LIMIT keeps the same candidates on every pass: otherwise PostgreSQL's physical row order,
# which moves whenever a row is rewritten, decides, and matching twice differs.


@lru_cache(maxsize=50_000)
def _word_term(word: str) -> str | None:
    """The stream's term for a search word (as ``TermStat`` counts it), None for a word the
    proposition terms leave out (stop, reporting and stance words): it never adds to the
    similarity candidates are re-scored by."""
    terms = propositions_engine.terms_of(word)
    return next(iter(terms)) if len(terms) == 1 else None


def _rarest_words(words: list[str], budget: int) -> list[str] | None:
    """The words to query: the rarest first, while the claims holding them add up to at most
    ``budget`` (at least RARE_WORDS_MIN words, at most RARE_WORDS_MAX); None when all of
    them fit, since then the full query costs no more. Document frequencies are the
    stream's (``TermStat``), one query."""
    terms = {word: _word_term(word) for word in words}
    df = dict(TermStat.objects.filter(term__in={TermStat.TOTAL, *filter(None, terms.values())})
              .values_list("term", "claims"))
    total = df.get(TermStat.TOTAL, 0)
    # A word without a term of its own is as common as it gets: it is queried last.
    ranked = sorted((df.get(terms[w], 0) if terms[w] else total, w) for w in words)
    if sum(count for count, _ in ranked) <= budget:
        return None
    chosen, rows = [], 0
    for count, word in ranked:
        if len(chosen) == RARE_WORDS_MAX or (len(chosen) >= RARE_WORDS_MIN
                                             and rows + count > budget):
            break
        chosen.append(word)
        rows += count
    return chosen


_WORD_QUERY = "websearch_to_tsquery('english', %s)"


def _any_of(words: list[str]) -> tuple[str, list[str]]:
    """A tsquery (SQL, parameters) of claims holding any of ``words``."""
    return _WORD_QUERY, [" OR ".join(words)]


def _two_of(words: list[str]) -> tuple[str, list[str]]:
    """A tsquery (SQL, parameters) of claims holding two of ``words`` or more: what a
    candidate needs to score at all (engine.SHARED_MIN shared terms)."""
    pairs = list(combinations(words, 2))
    sql = " || ".join(f"({_WORD_QUERY} && {_WORD_QUERY})" for _ in pairs)
    return f"({sql})", [word for pair in pairs for word in pair]


def _ranked(others, match: tuple[str, list[str]], ranked_by: str, limit: int) -> list[Claim]:
    """Claims whose stored vector (migration 0012) satisfies the tsquery ``match``, ranked by
    ``ts_rank`` against the words ``ranked_by``: found through the GIN index and ranked
    without parsing each claim's text again."""
    sql, params = match
    hit = RawSQL(f"claims_claim.search_vector @@ {sql}", params, output_field=BooleanField())
    rank = RawSQL(f"ts_rank(claims_claim.search_vector, {_WORD_QUERY})", [ranked_by],
                  output_field=FloatField())
    ids = list(others.filter(hit).annotate(rank=rank).order_by("-rank", "id")
               .values_list("pk", flat=True)[:limit])
    # The rows in a query of their own, by key: joined in the ranking query, a misestimate
    # of the rows matched made PostgreSQL hash every article first (16 of 17 ms at 100k
    # claims, EXPLAIN ANALYZE).
    return _fetched(ids)


# What matching reads of a candidate: the words it bears on, its side, its embedding. Not
# its article's text (kilobytes a row, twenty rows a match): only the frame before the
# claim's content, which its side is read from (``Claim.frame``).
CANDIDATE_FIELDS = ("article_id", "kind", "text", "statement", "proposition_text", "polarity",
                    "start", "sentence_start", "embedding")


def _fetched(ids: list[int]) -> list[Claim]:
    """The claims of ``ids`` in that order (those still there), as matching reads them."""
    frame = Substr("article__text", F("sentence_start") + 1, F("start") - F("sentence_start"))
    found = Claim.objects.only(*CANDIDATE_FIELDS).annotate(frame_text=frame).in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def claim_candidates(claim: Claim, limit: int, *, rows: int | None = None) -> list[Claim]:
    """Claims of other articles that share words with the proposition ``claim`` bears on
    (best first, at most limit).

    On PostgreSQL every word is ORed unless ``rows`` (CLAIMTRACK_MATCH_CANDIDATE_ROWS, off
    by default) is set: then, when the claims holding its words add up to more than that,
    only its rarest words within that many are queried, so the work stays the same however
    large the table grows (ORing every word makes common ones, "said", "people", pull in most
    of a million claims: docs/benchmarks.md). Claims holding two of the rare words come
    first (a candidate sharing fewer words never scores); then, when there are none, those
    holding one; then, when the rare words find nothing at all, every word. All are ranked
    against every word, as before."""
    query_text = claim.bears_on
    others = Claim.objects.matchable().exclude(article_id=claim.article_id)
    if connection.vendor == "postgresql":
        words = _search_words(query_text)
        if not words:
            return []
        everything = " OR ".join(words)
        budget = settings.CLAIMTRACK_MATCH_CANDIDATE_ROWS if rows is None else rows
        rare = _rarest_words(words, budget) if budget else None
        if rare:
            for match in (_two_of(rare), _any_of(rare)):
                found = _ranked(others, match, everything, limit)
                if found:
                    return found
        return _ranked(others, _any_of(words), everything, limit)
    state = Claim.objects.aggregate(n=Max("id"), changed=Max("updated_at"))
    index = _cached_index("claims", (state["n"], state["changed"]),
                          Claim.objects.matchable()
                          .values_list("id", "text").iterator())
    ids = [int(pk) for pk, _ in index.search(query_text, k=limit * 3)]
    found = set(others.filter(pk__in=ids).values_list("pk", flat=True))
    return _fetched([i for i in ids if i in found][:limit])


def factcheck_candidates(claim: Claim, limit: int) -> list[FactCheck]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        words = _search_words(claim.text)
        if not words:
            return []
        query = SearchQuery(" OR ".join(words), search_type="websearch", config="english")
        vector = SearchVector("claim_reviewed", config="english")
        return list(FactCheck.objects.annotate(v=vector).filter(v=query)
                    .annotate(rank=SearchRank(vector, query)).order_by("-rank", "id")[:limit])
    state = FactCheck.objects.aggregate(n=Max("id"), changed=Max("updated_at"))
    index = _cached_index("factchecks", (state["n"], state["changed"]),
                          FactCheck.objects.values_list("id", "claim_reviewed").iterator())
    ids = [int(pk) for pk, _ in index.search(claim.text, k=limit)]
    found = FactCheck.objects.in_bulk(ids)
    return [found[i] for i in ids if i in found]
