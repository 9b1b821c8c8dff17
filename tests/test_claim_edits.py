"""The desk corrects what extraction made of a claim before publishing: statement,
proposition, polarity, claimant and kind; the original is kept and shown, every edit is in
the trail, re-extraction keeps the desk's words, and matching runs again."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims import enqueue, extraction, review
from claims.engine import analyse
from claims.models import Claim, Claimant, ReviewEvent
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ArticleFactory, ClaimantFactory, ClaimFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db

S = Claim.Status


@pytest.fixture
def people(db):
    return {"rita": desk_user("rita", REPORTER), "fiona": desk_user("fiona", FACT_CHECKER),
            "felix": desk_user("felix", FACT_CHECKER), "edith": desk_user("edith", EDITOR),
            "eric": desk_user("eric", EDITOR)}


@pytest.fixture
def rematched(monkeypatch):
    sent = []
    monkeypatch.setattr(enqueue, "claims_match_enqueue",
                        lambda *, claim_ids: sent.append(list(claim_ids)))
    return sent


def test_a_fact_checker_edits_the_statement_and_names_a_new_claimant(people, rematched):
    claim = ClaimFactory(text="having any plans to invade", statement="", kind="allegation")
    extracted_claimant = claim.claimant
    edited = review.claim_edit(
        claim=claim, user=people["fiona"], statement="Russia denies any plans to invade Ukraine",
        polarity="denies", kind="denial", new_claimant="Dmitry Peskov",
        new_claimant_aliases=["Peskov", " Kremlin spokesman ", ""], new_claimant_kind="person")
    assert edited.statement == "Russia denies any plans to invade Ukraine"
    assert (edited.polarity, edited.kind) == ("denies", "denial")
    peskov = Claimant.objects.get(name="Dmitry Peskov")
    assert edited.claimant == peskov and peskov.kind == "person"
    assert peskov.aliases == ["Kremlin spokesman", "Peskov"]
    assert edited.original["statement"] == "" and edited.original["kind"] == "allegation"
    assert edited.original["claimant_id"] == extracted_claimant.pk
    assert edited.edited_by == people["fiona"] and edited.edited_at is not None
    event = ReviewEvent.objects.get(claim=claim, action=ReviewEvent.Action.EDIT)
    assert event.actor == people["fiona"]
    assert event.data["changed"]["statement"] == ["having any plans to invade",
                                                  "Russia denies any plans to invade Ukraine"]
    assert event.data["changed"]["claimant"][1] == "Dmitry Peskov"
    assert rematched == [[claim.pk]]


def test_a_second_edit_keeps_the_first_original_and_an_unchanged_one_writes_nothing(people,
                                                                                    rematched):
    claim = ClaimFactory(statement="Russia is massing troops", kind="assertion")
    review.claim_edit(claim=claim, user=people["fiona"], statement="Russia is massing troops "
                      "near Ukraine")
    claim.refresh_from_db()
    version = claim.version
    review.claim_edit(claim=claim, user=people["fiona"], statement="Russia is massing troops "
                      "near Ukraine", kind="assertion")
    claim.refresh_from_db()
    assert claim.version == version  # nothing changed, nothing written
    review.claim_edit(claim=claim, user=people["fiona"], kind="allegation")
    claim.refresh_from_db()
    assert claim.original["statement"] == "Russia is massing troops"
    assert ReviewEvent.objects.filter(claim=claim, action="edit").count() == 2


def test_the_claimant_can_be_an_existing_one_or_the_outlet(people, rematched):
    claim = ClaimFactory()
    other = ClaimantFactory(name="Antony Blinken")
    review.claim_edit(claim=claim, user=people["fiona"], claimant=other)
    claim.refresh_from_db()
    assert claim.claimant == other
    review.claim_edit(claim=claim, user=people["fiona"], claimant=None)
    claim.refresh_from_db()
    assert claim.claimant is None
    assert rematched == []  # who said it is not what matching compares


@pytest.mark.parametrize(("arguments", "message"), [
    ({"statement": "   "}, "statement cannot be empty"),
    ({"statement": "x" * 2001}, "too long"),
    ({"polarity": "maybe"}, "not a polarity"),
    ({"kind": "rumour"}, "not a kind of claim"),
    ({"new_claimant": "Someone", "new_claimant_kind": "alien"}, "not a kind of claimant"),
])
def test_bad_edits_are_refused_and_change_nothing(people, arguments, message):
    claim = ClaimFactory(statement="Russia is massing troops")
    with pytest.raises(review.Incomplete, match=message):
        review.claim_edit(claim=claim, user=people["fiona"], **arguments)
    claim.refresh_from_db()
    assert claim.statement == "Russia is massing troops" and claim.edited_at is None
    assert not Claimant.objects.filter(name="Someone").exists()


def test_who_may_edit_when(people):
    claim = ClaimFactory()
    with pytest.raises(review.NotAllowed):
        review.claim_edit(claim=claim, user=people["rita"], statement="A reporter's version")
    review.claim_take(claim=claim, user=people["felix"])
    with pytest.raises(review.NotAllowed, match="assigned to felix"):
        review.claim_edit(claim=claim, user=people["fiona"], statement="Not my claim")
    review.claim_edit(claim=claim, user=people["edith"], statement="An editor may")
    review.evidence_add(claim=claim, user=people["felix"], url="https://example.org/a")
    review.claim_submit(claim=claim, user=people["felix"], verdict="false", rationale="Why")
    with pytest.raises(review.NotAllowed, match="awaits approval"):
        review.claim_edit(claim=claim, user=people["felix"], statement="After submitting")
    review.claim_edit(claim=claim, user=people["edith"], statement="Before approving")
    review.claim_publish(claim=claim, user=people["eric"])
    with pytest.raises(review.WrongState, match="published"):
        review.claim_edit(claim=claim, user=people["edith"], statement="After publishing")
    claim.refresh_from_db()
    assert claim.said == "Before approving"


def test_re_extraction_keeps_the_desks_words(people):
    text = "Russia has no plans to invade Ukraine, the foreign minister said on Monday."
    article = ArticleFactory(text=text)
    extraction.claims_replace(article=article, extracted=analyse(text), version="test-1")
    claim = article.claims.get(kind="denial")
    review.claim_edit(claim=claim, user=people["fiona"],
                      statement="Russia has no plans to invade Ukraine, Lavrov said")
    extraction.claims_replace(article=article, extracted=analyse(text), version="test-2")
    claim.refresh_from_db()
    assert claim.statement == "Russia has no plans to invade Ukraine, Lavrov said"
    assert claim.original["statement"] == "Russia has no plans to invade Ukraine"


def test_the_claim_page_edits_and_shows_what_was_extracted(people, rematched):
    claim = ClaimFactory(statement="plans to invade", kind="assertion")
    fiona = Client()
    fiona.force_login(people["fiona"])
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    html = fiona.get(url).content.decode()
    assert 'name="edit_statement"' in html and 'name="new_claimant_name"' in html
    response = fiona.post(url, {"version": claim.version,
                                "edit_statement": "Russia <b>plans</b> to invade Ukraine",
                                "edit_kind": "allegation", "new_claimant_name": "Julianne Smith",
                                "new_claimant_aliases": "Smith", "new_claimant_kind": "person"})
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert claim.statement == "Russia <b>plans</b> to invade Ukraine"
    assert claim.claimant.name == "Julianne Smith" and claim.kind == "allegation"
    html = fiona.get(url).content.decode()
    assert "As extracted" in html and "plans to invade" in html
    assert "Russia &lt;b&gt;plans&lt;/b&gt; to invade Ukraine" in html  # escaped, not markup
    assert "<b>plans</b>" not in html


def test_the_page_keeps_the_input_when_an_edit_is_refused(people):
    claim = ClaimFactory(statement="Russia is massing troops")
    fiona = Client()
    fiona.force_login(people["fiona"])
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    response = fiona.post(url, {"version": claim.version, "edit_statement": " ",
                                "evidence_note": "kept"})
    assert response.status_code == 200
    assert "statement cannot be empty" in response.content.decode()
    claim.refresh_from_db()
    assert claim.statement == "Russia is massing troops"


def test_a_reporter_sees_no_edit_fields_and_a_published_claim_none(people):
    claim = ClaimFactory()
    rita = Client()
    rita.force_login(people["rita"])
    url = reverse("admin:claims_claim_change", args=[claim.pk])
    assert 'name="edit_statement"' not in rita.get(url).content.decode()
    publish_claim(claim, checker=people["fiona"], editor=people["edith"])
    edith = Client()
    edith.force_login(people["edith"])
    assert 'name="edit_statement"' not in edith.get(url).content.decode()
