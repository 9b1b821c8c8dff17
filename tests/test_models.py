import pytest
from django.db import IntegrityError, transaction

from claims.models import Article, Claim
from tests.factories import (
    ArticleFactory,
    ClaimFactory,
    ReviewEventFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db


def test_it_refuses_two_articles_with_one_canonical_url():
    first = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(url=first.url)


def test_it_allows_many_articles_without_url():
    ArticleFactory(url=None)
    ArticleFactory(url=None)
    assert Article.objects.filter(url__isnull=True).count() == 2


def test_it_refuses_two_articles_with_one_content_hash():
    first = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(text=first.text)


def test_it_refuses_a_failed_article_without_a_reason():
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleFactory(state=Article.State.FAILED, error="")
    assert ArticleFactory(state=Article.State.FAILED, error="boom").error == "boom"


def test_it_refuses_two_sources_with_one_domain_but_allows_blank_domains():
    SourceFactory(domain="same.example")
    with pytest.raises(IntegrityError), transaction.atomic():
        SourceFactory(domain="same.example")
    SourceFactory(domain="")
    SourceFactory(domain="")


def test_it_refuses_an_empty_claim_span():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(article=article, start=5, end=5, sentence_start=0, sentence_end=10)


def test_it_refuses_a_claim_outside_its_sentence():
    article = ArticleFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(article=article, start=0, end=20, sentence_start=0, sentence_end=10)


def test_it_refuses_the_same_span_and_kind_twice_in_one_article():
    claim = ClaimFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        ClaimFactory(article=claim.article, start=claim.start, end=claim.end, kind=claim.kind)


def test_it_counts_a_claim_with_review_events_as_touched():
    fresh = ClaimFactory()
    assert not Claim.objects.touched().filter(pk=fresh.pk).exists()
    ReviewEventFactory(claim=fresh)
    assert Claim.objects.touched().filter(pk=fresh.pk).exists()
    assert Claim.objects.touched().filter(pk=ClaimFactory(status=Claim.Status.IN_REVIEW).pk).exists()




def _link(**fields):
    from claims.models import ClaimLink

    base = {"relation": ClaimLink.Relation.SUPPORTS, "score": 0.9, "method": "test"}
    return ClaimLink.objects.create(**{**base, **fields})


def test_a_link_has_exactly_one_target():
    from claims.models import FactCheck, Proposition

    claim, other = ClaimFactory(), ClaimFactory()
    proposition = Proposition.objects.create(text="x")
    factcheck = FactCheck.objects.create(external_id="f1", origin="ours", claim_reviewed="y")
    for targets in ({}, {"target_claim": other, "proposition": proposition},
                    {"proposition": proposition, "factcheck": factcheck}):
        with pytest.raises(IntegrityError), transaction.atomic():
            _link(claim=claim, **targets)
    assert _link(claim=claim, factcheck=factcheck).factcheck == factcheck


def test_a_claim_links_to_a_target_once_and_never_to_itself():
    claim, other = ClaimFactory(), ClaimFactory()
    _link(claim=claim, target_claim=other)
    with pytest.raises(IntegrityError), transaction.atomic():
        _link(claim=claim, target_claim=other, relation="contradicts")
    with pytest.raises(IntegrityError), transaction.atomic():
        _link(claim=claim, target_claim=claim)
