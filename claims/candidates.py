"""Candidate retrieval for matching: the claims and fact-checks that share words with a claim.

On PostgreSQL the database's full-text index finds them, so the work scales with the database
rather than with worker memory; on SQLite an in-process index gives the same interface at a
smaller scale. Callers re-score candidates themselves, so only the order and the recall of
what is returned matter here.
"""

from __future__ import annotations

import re
import threading

from django.db import connection
from django.db.models import BooleanField, FloatField, Max
from django.db.models.expressions import RawSQL

from claims.engine.retrieval import Index
from claims.models import Claim, FactCheck

# Kinds that state something another source can repeat or deny.
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'-]{2,}|\d[\d,.]*")


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

def claim_candidates(claim: Claim, limit: int) -> list[Claim]:
    """Claims of other articles that share words with the proposition ``claim`` bears on
    (best first, at most limit)."""
    query_text = claim.bears_on
    others = Claim.objects.matchable().exclude(article_id=claim.article_id)
    if connection.vendor == "postgresql":
        words = _search_words(query_text)
        if not words:
            return []
        # The stored vector of migration 0012 (to_tsvector('english', text)): matched by its
        # GIN index and ranked without parsing each matching claim's text again.
        query = " OR ".join(words)
        hit = RawSQL("claims_claim.search_vector @@ websearch_to_tsquery('english', %s)",
                     [query], output_field=BooleanField())
        rank = RawSQL("ts_rank(claims_claim.search_vector, websearch_to_tsquery('english', %s))",
                      [query], output_field=FloatField())
        return list(others.filter(hit).annotate(rank=rank).order_by("-rank", "id")
                    .select_related("article", "claimant")[:limit])
    state = Claim.objects.aggregate(n=Max("id"), changed=Max("updated_at"))
    index = _cached_index("claims", (state["n"], state["changed"]),
                          Claim.objects.matchable()
                          .values_list("id", "text").iterator())
    ids = [int(pk) for pk, _ in index.search(query_text, k=limit * 3)]
    found = others.filter(pk__in=ids).select_related("article", "claimant").in_bulk()
    return [found[i] for i in ids if i in found][:limit]


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
