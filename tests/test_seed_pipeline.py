"""The seed article through ingestion and in-process processing, as the demo runs it."""

import pytest
from django.core.management import call_command

from claims.models import Article, Claim, Claimant
from tests.conftest import SEED_PATH

# Real commits, so processing enqueued with transaction.on_commit runs as in production.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seed_article(seed_text):
    call_command("ingest_articles", str(SEED_PATH), source="teleSUR", published="2022-01-11",
                 no_progress=True)
    return Article.objects.get()


def claims_of(article, kind, claimant):
    return [c for c in article.claims.select_related("claimant")
            if c.kind == kind and c.claimant and c.claimant.name == claimant]


def test_it_stores_the_seed_without_page_cruft(seed_article):
    assert seed_article.state == Article.State.DONE
    assert seed_article.title == "US Envoy: NATO Won't Discuss Its Open Door Policy With Russia"
    for cruft in ("google plus", "Comment", "Post with no comments", "Audio Only"):
        assert cruft not in seed_article.text
        assert not seed_article.claims.filter(text__icontains=cruft).exists()


def test_it_stores_smiths_allegation_and_russias_denial(seed_article):
    allegations = claims_of(seed_article, Claim.Kind.ALLEGATION, "Julianne Smith")
    assert any("invade Ukraine" in c.text for c in allegations), allegations
    denials = claims_of(seed_article, Claim.Kind.DENIAL, "Russia")
    assert any("invade" in c.text for c in denials), denials
    smith = Claimant.objects.get(name="Julianne Smith")
    assert "ambassador to NATO" in smith.role
    assert Claimant.objects.get(name="Russia").family == "russia"


def test_it_stores_psakis_statement_with_her_role(seed_article):
    psaki = [c for c in seed_article.claims.select_related("claimant")
             if c.claimant and c.claimant.name == "Jen Psaki"]
    assert any("nearly daily" in c.text for c in psaki)
    assert "press secretary" in psaki[0].claimant.role


def test_every_stored_offset_slices_the_claim_back_out(seed_article):
    text = seed_article.text
    for claim in seed_article.claims.all():
        assert text[claim.start:claim.end] == claim.text
        assert claim.sentence_start <= claim.start < claim.end <= claim.sentence_end
        if claim.cue_start is not None:
            assert text[claim.cue_start:claim.cue_end] == claim.cue
