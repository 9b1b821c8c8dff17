"""Every API endpoint × every persona, in one table: the status each gets for each method, and
that no answer, whatever its status, carries a word of a claim the desk has not published."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from claims import review
from claims.clients import client_create
from claims.models import Article, ClaimLink, FactCheck, Proposition, WebhookEndpoint
from claims.roles import EDITOR, FACT_CHECKER
from tests.factories import ArticleFactory, ClaimFactory, desk_user, publish_claim
from tests.test_webhooks import dns  # noqa: F401  (autouse: hooks.consumer.test resolves)

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "read", "submit", "staff")
# Words only the unpublished claims contain: none may appear in any answer outside the desk.
SECRETS = ("zeppelin", "quokka", "marzipan")


@pytest.fixture
def world(db):
    checker, editor = desk_user("checker", FACT_CHECKER), desk_user("editor", EDITOR)
    published = publish_claim(ClaimFactory(), checker=checker, editor=editor)
    in_review = ClaimFactory(article=ArticleFactory(
        text="The zeppelin fleet doubled in March. Nobody denied it."))
    in_review = review.claim_take(claim=in_review, user=checker)
    review.evidence_add(claim=in_review, user=checker, url="https://quokka.example/evidence",
                        note="quokka notes")
    review.claim_draft(claim=in_review, user=checker, verdict="false",
                       rationale="The marzipan ledger says otherwise.")
    new = ClaimFactory(article=ArticleFactory(text="A quokka ran the port for a day. Really."))
    proposition = Proposition.objects.create(text=new.text, first_claim=new)
    for claim in (published, new, in_review):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation="supports",
                                 score=0.9, method="test")
    ClaimLink.objects.create(claim=published, target_claim=in_review, relation="supports",
                             score=0.8, method="test")
    factcheck = FactCheck.objects.create(external_id="fc-1", origin="vclaims",
                                         claim_reviewed="The port handled 40 ships.",
                                         verdict="false")

    _, read = client_create(name="reader", scopes=["read"])
    submitter, submit = client_create(name="submitter", scopes=["submit"])
    staff = Client()
    staff.force_login(desk_user("desk", EDITOR))
    clients = {"anonymous": Client(), "read": Client(HTTP_AUTHORIZATION=f"Bearer {read}"),
               "submit": Client(HTTP_AUTHORIZATION=f"Bearer {submit}"), "staff": staff}
    submitted = ArticleFactory(submitted_via=submitter)
    reader_endpoint = clients["read"].post(
        "/api/v1/webhooks/", data=json.dumps({"url": "https://hooks.consumer.test/in",
                                              "events": ["claim.published"]}),
        content_type="application/json").json()["id"]
    return {"clients": clients, "published": published.pk, "draft": in_review.pk,
            "new": new.pk, "proposition": proposition.pk, "factcheck": factcheck.pk,
            "article": submitted.pk, "endpoint": reader_endpoint}


# (method, path, {persona: status}); {ids} are filled from the world above.
ALL_200 = dict.fromkeys(PERSONAS, 200)
DESK_ONLY = {"anonymous": 404, "read": 404, "submit": 404, "staff": 200}
NOBODY = dict.fromkeys(PERSONAS, 404)
NO_WRITES = {"anonymous": 401, "read": 403, "submit": 403, "staff": 403}
READ_ONLY = {"anonymous": 401, "read": 200, "submit": 403, "staff": 403}
MATRIX = [
    ("get", "/api/v1/claims/", ALL_200),
    ("get", "/api/v1/claims/{published}/", ALL_200),
    ("get", "/api/v1/claims/{draft}/", DESK_ONLY),
    ("get", "/api/v1/claims/{new}/", DESK_ONLY),
    ("get", "/api/v1/claims/{published}/claimreview/", ALL_200),
    ("get", "/api/v1/claims/{draft}/claimreview/", NOBODY),
    ("get", "/api/v1/claimreview/", ALL_200),
    ("get", "/api/v1/claimreview/{published}/", ALL_200),
    ("get", "/api/v1/claimreview/{draft}/", NOBODY),
    ("get", "/api/v1/propositions/", ALL_200),
    ("get", "/api/v1/propositions/{proposition}/", ALL_200),
    ("get", "/api/v1/factchecks/", ALL_200),
    ("get", "/api/v1/factchecks/{factcheck}/", ALL_200),
    ("get", "/api/v1/articles/", {"anonymous": 401, "read": 200, "submit": 200, "staff": 200}),
    ("get", "/api/v1/articles/{article}/",
     {"anonymous": 401, "read": 404, "submit": 200, "staff": 200}),
    # An article submitted by its URL: its fetch, followed by the submitter (none exist here).
    ("get", "/api/v1/articles/fetches/{article}/",
     {"anonymous": 401, "read": 404, "submit": 404, "staff": 404}),
    ("get", "/api/v1/webhooks/", READ_ONLY),
    ("get", "/api/v1/webhooks/{endpoint}/", READ_ONLY),
    ("get", "/api/v1/schema/", ALL_200),
    ("get", "/api/v1/docs/", ALL_200),
    ("get", "/api/v1/no-such-thing/", NOBODY),
    # Writes: only articles (submit) and webhooks (read) are writable at all.
    ("post", "/api/v1/claims/", NO_WRITES),
    ("put", "/api/v1/claims/{published}/", NO_WRITES),
    ("patch", "/api/v1/claims/{published}/", NO_WRITES),
    ("delete", "/api/v1/claims/{published}/", NO_WRITES),
    ("post", "/api/v1/claimreview/", NO_WRITES),
    ("post", "/api/v1/propositions/", NO_WRITES),
    ("delete", "/api/v1/propositions/{proposition}/", NO_WRITES),
    ("post", "/api/v1/factchecks/", NO_WRITES),
    ("delete", "/api/v1/factchecks/{factcheck}/", NO_WRITES),
    ("post", "/api/v1/articles/", {"anonymous": 401, "read": 403, "submit": 202, "staff": 403}),
    ("delete", "/api/v1/articles/{article}/",
     {"anonymous": 401, "read": 403, "submit": 405, "staff": 403}),
    ("post", "/api/v1/webhooks/", {"anonymous": 401, "read": 201, "submit": 403, "staff": 403}),
    ("delete", "/api/v1/webhooks/{endpoint}/",
     {"anonymous": 401, "read": 204, "submit": 403, "staff": 403}),
]
BODIES = {
    "/api/v1/articles/": {"title": "Quay", "source": "Harbour Times",
                          "text": "The harbour master said the port handled 40 ships. "
                                  "The company denied that it cut wages."},
    "/api/v1/webhooks/": {"url": "https://hooks.consumer.test/other",
                          "events": ["claim.corrected"]},
}


@pytest.mark.parametrize("who", PERSONAS)
@pytest.mark.parametrize("method, path, expected", MATRIX,
                         ids=[f"{m} {p}" for m, p, _ in MATRIX])
def test_each_endpoint_answers_each_persona_as_listed(world, who, method, path, expected):
    url = path.format(**world)
    body = BODIES.get(path)
    articles_before = Article.objects.count()
    response = getattr(world["clients"][who], method)(
        url, **({"data": json.dumps(body or {}), "content_type": "application/json"}
                if method != "get" else {}))
    wanted = expected[who]
    # A method a viewset does not offer at all answers 405 to whoever may reach it.
    allowed = {wanted} | ({405} if wanted == 403 and who == "staff" else set())
    assert response.status_code in allowed, (who, method, url, response.content[:300])
    if response.status_code >= 400 and "docs" not in url:
        assert response.json()["error"]["status"] == response.status_code
    if who != "staff":
        text = response.content.decode().lower()
        assert not any(secret in text for secret in SECRETS), (who, url)
    if method == "post" and path == "/api/v1/articles/":
        assert Article.objects.count() == articles_before + (response.status_code == 202)
    if method == "delete" and path == "/api/v1/webhooks/{endpoint}/":
        assert WebhookEndpoint.objects.filter(pk=world["endpoint"]).exists() == (
            response.status_code != 204)


def test_the_matrix_covers_every_route():
    """A route added to the API without a line in the matrix fails here."""
    import re

    from django.urls import get_resolver

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern)

    routed = set()
    for route in walk(get_resolver("claims.api.urls").url_patterns):
        if "format" in route or route in ("", "^.*$"):
            continue  # format suffixes (.json) and the JSON 404 for everything else
        routed.add(re.sub(r"\(\?P<\w+>[^)]*\)", "{x}", route).strip("^$"))
    listed = {re.sub(r"\{\w+\}", "{x}", path.removeprefix("/api/v1/")) for _, path, _ in MATRIX}
    assert len(routed) >= 15
    assert routed <= listed, sorted(routed - listed)
