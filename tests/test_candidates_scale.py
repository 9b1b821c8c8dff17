"""Candidates from a claim's rarest words: the query whose cost does not grow with the table.

The choice of words runs anywhere (the stream's document frequencies are a table); the query
itself is PostgreSQL's full-text search, so those tests are skipped without DATABASE_URL
pointing at PostgreSQL, and fail instead under REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from claims.candidates import _rarest_words, _search_words, claim_candidates
from claims.engine import propositions as engine
from claims.matching import stream_weights, terms_count
from claims.models import Claim, TermStat
from tests.conftest import require
from tests.factories import ArticleFactory, ClaimFactory

pytestmark = pytest.mark.django_db

# A small stream: two stories told by several outlets (their rare words shared), and
# filler that shares only the common words ("people", "government", "report", "economy").
STREAM = [
    "The lighthouse keepers rejected the harbour merger, people said.",
    "Lighthouse keepers voted against the harbour merger in the government report.",
    "The harbour merger will close three lighthouse stations under the report.",
    "Volcanic ash grounded flights across the northern islands, the government said.",
    "Flights across the northern islands stayed grounded by volcanic ash for days.",
    "Volcanic ash from the eruption reached the northern islands on Monday.",
    "People said the government report shows the economy grew last year.",
    "The economy report said people in the government were worried about prices.",
    "People in the government said the report on the economy was late.",
    "The government report on the economy said people spent more on food.",
    "People told the government the economy report ignored rural towns.",
    "Government economists said people trusted the report on the economy.",
]


def stored(texts) -> list[Claim]:
    claims = []
    for text in texts:
        claims.append(ClaimFactory(article=ArticleFactory(text=text), kind="assertion"))
    terms_count(claims=claims)  # as extraction does: the stream's document frequencies
    return claims


def best(claim, candidates):
    """The candidate matching would rank first (the stream-weighted similarity)."""
    terms = engine.terms_of(claim.bears_on)
    weights = stream_weights(terms, *(engine.terms_of(c.bears_on) for c in candidates))
    scored = [(engine.similarity(terms, engine.terms_of(c.bears_on), weights), -c.pk, c.pk)
              for c in candidates]
    top = max(scored, default=(0.0, 0, None))
    return top[2] if top[0] > 0 else None


def test_it_queries_every_word_when_the_claims_holding_them_fit_the_budget():
    stored(STREAM)
    words = _search_words("People said the harbour merger hurt the economy.")
    assert _rarest_words(words, budget=10_000) is None


def test_it_keeps_the_rarest_words_within_the_budget_and_common_ones_out():
    stored(STREAM)
    words = _search_words("People said the lighthouse merger and the government economy.")
    chosen = _rarest_words(words, budget=7)
    # lighthouse (3 claims) and merger (3) fit; a third word is always taken, the rarest of
    # the common ones (7-9 claims each); "said" and "and" (no term of their own) stay out.
    assert chosen[:2] == ["lighthouse", "merger"]
    assert len(chosen) == 3 and chosen[2] in {"people", "government", "economy"}


def test_a_word_the_proposition_terms_leave_out_is_queried_last():
    stored(STREAM)
    TermStat.objects.filter(term=TermStat.TOTAL).update(claims=1_000)
    chosen = _rarest_words(["said", "volcanic", "ash", "islands", "the"], budget=20)
    assert chosen == ["ash", "islands", "volcanic"]


@pytest.fixture
def postgresql():
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")


@pytest.mark.django_db(transaction=True)
def test_the_rare_words_find_the_best_candidate_the_full_query_finds(postgresql):
    claims = stored(STREAM)
    compared = narrowed = 0
    for claim in claims:
        full = claim_candidates(claim, 20, rows=0)
        rare = claim_candidates(claim, 20, rows=4)
        narrowed += len(rare) < len(full)
        if best(claim, full) is not None:
            assert best(claim, rare) == best(claim, full), claim.text
            compared += 1
    assert compared >= 6  # both stories' claims find each other
    assert narrowed >= 6  # and the rare words did leave the filler out


@pytest.mark.django_db(transaction=True)
def test_it_falls_back_to_every_word_when_the_rare_ones_find_nothing(postgresql):
    stored(STREAM)
    query = ClaimFactory(kind="assertion", article=ArticleFactory(
        text="Zorbling quintaxes flumbered the government report on the economy, people said."))
    assert _rarest_words(_search_words(query.bears_on), budget=1)[:3] == [
        "flumbered", "quintaxes", "zorbling"]
    found = claim_candidates(query, 20, rows=1)
    assert found and found == claim_candidates(query, 20, rows=0)


@pytest.mark.django_db(transaction=True)
def test_the_rare_word_query_is_answered_by_the_full_text_index(postgresql):
    claims = stored(STREAM)
    # Claims of common words, so that the kinds' index (every claim) is no shortcut.
    filler = ArticleFactory(text="People said the government report on the economy was late.")
    Claim.objects.bulk_create([
        Claim(article=filler, start=n, end=n + 10, sentence_start=n, sentence_end=n + 10,
              kind="assertion", extractor_version="test",
              text=f"People said the government report number {n} on the economy was late.")
        for n in range(3000)])
    with connection.cursor() as cursor:
        # As autovacuum would: the GIN index's pending list merged, the statistics fresh.
        cursor.execute("VACUUM ANALYZE claims_claim")
    with CaptureQueriesContext(connection) as queries:
        found = claim_candidates(claims[0], 20, rows=4)
    assert {c.pk for c in found} == {c.pk for c in claims[1:3]}
    sql = next(q["sql"] for q in queries.captured_queries if "search_vector @@" in q["sql"])
    with transaction.atomic(), connection.cursor() as cursor:
        # A few thousand short rows are still read faster whole; forbid that to see the plan
        # the planner takes for a table of a million.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Bitmap Index Scan on claim_search_vector_idx" in plan, plan
