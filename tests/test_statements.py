"""A claim is a statement someone made: a denial reads as the denial on every surface that
shows it (public page, API, ClaimReview, webhook body), its span stays what was denied, and
its proposition is the positive clause it rejects."""

import pytest
from django.core.management import call_command

from claims import webhooks
from claims.clients import client_create
from claims.engine import extract_claims
from claims.engine.statements import positive, statement_of
from claims.models import Article, Claim, WebhookDelivery
from claims.roles import EDITOR, FACT_CHECKER
from tests.conftest import SEED_PATH
from tests.factories import desk_user, publish_claim

# --- the engine ---------------------------------------------------------------------------


def only(text: str, kind: str):
    found = [c for c in extract_claims(text) if c.kind == kind]
    assert len(found) == 1, [(c.kind, c.content.text) for c in extract_claims(text)]
    return found[0]


def test_a_denial_by_its_cue_says_the_denial_and_rejects_the_positive_clause():
    text = "The Kremlin denied that Russia was preparing to invade Ukraine, Peskov said on Monday."
    claim = only(text, "denial")
    assert claim.content.text.startswith("Russia was preparing")  # the span: what was denied
    assert claim.statement == "Kremlin denies that Russia was preparing to invade Ukraine"
    assert claim.proposition == "Russia was preparing to invade Ukraine"
    assert claim.polarity == "denies"


def test_a_denial_in_its_own_words_keeps_them_and_its_proposition_drops_the_negation():
    claim = only("Russia has no plans to invade Ukraine, the foreign minister said.", "denial")
    assert claim.statement == "Russia has no plans to invade Ukraine"
    assert claim.proposition == "Russia plans to invade Ukraine"
    assert claim.polarity == "denies"


@pytest.mark.parametrize(("said", "proposition"), [
    ("No, and again no, Russia is not hatching plans to attack Ukraine",
     "Russia is hatching plans to attack Ukraine"),
    ("nothing like that is going to happen", "something like that is going to happen"),
    ("There won't be a war", "There will be a war"),
    ("Russia doesn't want war with Ukraine", "Russia wants war with Ukraine"),
    ("the report was not accurate", "the report was accurate"),
])
def test_the_positive_form_takes_out_the_denying_negation(said, proposition):
    assert positive(said) == proposition


def test_if_not_and_not_only_are_no_denial():
    text = ('Psaki said Biden "receives nearly daily, if not daily, updates" on the talks.')
    claims = extract_claims(text)
    assert claims and all(c.polarity != "denies" for c in claims), \
        [(c.statement, c.polarity) for c in claims]


def test_hedged_content_hedges():
    claim = extract_claims("Officials said Russia may invade Ukraine within weeks.")[0]
    assert claim.polarity == "hedges"
    assert claim.statement == claim.proposition


def test_every_claim_of_the_seed_has_a_statement(seed_text):
    for claim in extract_claims(seed_text):
        said = statement_of(claim, seed_text)
        assert said.text and said.proposition
        assert said.polarity in ("affirms", "denies", "hedges")
        assert (claim.statement, claim.proposition, claim.polarity) == (
            said.text, said.proposition, said.polarity)


# --- every surface of a published denial ----------------------------------------------------


@pytest.fixture
def published_denial(transactional_db, seed_text, settings):
    settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True
    call_command("ingest_articles", str(SEED_PATH), source="teleSUR", published="2022-01-11",
                 no_progress=True)
    reader, _ = client_create(name="reader", scopes=["read"])
    webhooks.endpoint_register(client=reader, url="http://127.0.0.1:9/hook",
                               events=["claim.published"])
    article = Article.objects.get()
    denial = article.claims.get(kind=Claim.Kind.DENIAL, claimant__name="Russia")
    checker, editor = desk_user("checker", FACT_CHECKER), desk_user("editor", EDITOR)
    return publish_claim(denial, checker=checker, editor=editor, verdict="mostly_false")


def test_the_stored_denial_keeps_its_span_and_says_the_denial(published_denial):
    claim = published_denial
    assert claim.text == 'having any plans to "invade" its neighbor'
    assert claim.statement == 'Russia denies having any plans to "invade" its neighbor'
    assert claim.polarity == Claim.Polarity.DENIES
    assert claim.proposition_text == 'Russia has plans to "invade" its neighbor'


def test_every_published_surface_reads_as_the_denial(published_denial, client):
    claim = published_denial
    statement = claim.statement

    page = client.get(f"/claims/{claim.pk}/").content.decode()
    assert "Russia denies having any plans to &quot;invade&quot; its neighbor" in page

    api = client.get(f"/api/v1/claims/{claim.pk}/").json()
    assert api["text"] == statement
    assert api["polarity"] == "denies"
    assert api["span"] == {"start": claim.start, "end": claim.end, "text": claim.text}

    review = client.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
    assert review["claimReviewed"] == statement
    assert review["itemReviewed"]["author"]["name"] == "Russia"

    feed = client.get("/api/v1/claimreview/").json()
    assert statement in {item["claimReviewed"] for item in feed["results"]}

    delivery = WebhookDelivery.objects.get(event="claim.published")
    assert delivery.payload["claim"]["text"] == statement
