"""End to end on real services: an article submitted through the API is processed by a real
Celery worker on Redis into PostgreSQL; one of its claims is published through the services;
the API serves it and its ClaimReview; a consumer on 127.0.0.1 receives the signed event.

Skipped without PostgreSQL and Redis; under REQUIRE_SERVICES=1, as in CI, it fails instead.
"""

from __future__ import annotations

import json
import time

import pytest
from django.test import Client

from claims import review
from claims.clients import client_create
from claims.models import Article, Claim, WebhookDelivery
from claims.roles import EDITOR, FACT_CHECKER, roles_ensure
from tests.factories import UserFactory
from tests.test_pipeline_services import (  # noqa: F401 - fixtures
    services_required,
    worker_factory,
)
from tests.test_webhooks import Receiver

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

STORY = (
    "The harbour master said on Monday that the port handled 40 ships in a single day. "
    "The shipping company denied that it had cut wages for its crews this winter. "
    '"We will reopen the north quay in March," the harbour master told reporters.'
)


def wait_for(predicate, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def private_hooks(monkeypatch, settings):
    """The consumer listens on 127.0.0.1: allowed here, and in the worker's environment
    (set before the worker fixture reads it)."""
    settings.CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE = True
    monkeypatch.setenv("CLAIMTRACK_WEBHOOK_ALLOW_PRIVATE", "1")


def test_submit_process_publish_read_and_receive_the_signed_event(
        private_hooks, worker_factory):  # noqa: F811
    worker_factory()
    receiver = Receiver()
    try:
        _, submit_token = client_create(name="newsroom", scopes=["submit"])
        _, read_token = client_create(name="partner", scopes=["read"])
        submitter = Client(HTTP_AUTHORIZATION=f"Bearer {submit_token}")
        reader = Client(HTTP_AUTHORIZATION=f"Bearer {read_token}")

        hook = reader.post("/api/v1/webhooks/", data=json.dumps(
            {"url": receiver.url, "events": ["claim.published"]}),
            content_type="application/json")
        assert hook.status_code == 201, hook.content
        secret = hook.json()["secret"]

        accepted = submitter.post("/api/v1/articles/", data=json.dumps({
            "title": "Port record disputed", "source": "Harbour Times",
            "url": "https://harbour.example/port-record", "text": STORY,
            "published_at": "2022-01-11T10:00:00Z"}), content_type="application/json")
        assert accepted.status_code == 202, accepted.content
        status_url = accepted.json()["status_url"]

        done = wait_for(lambda: (lambda body: body if body["state"] == "done" else None)(
            submitter.get(status_url).json()), "the worker to process the article")
        assert done["claim_count"] >= 2

        # Nothing is public yet: every claim is new.
        assert reader.get("/api/v1/claims/").json()["results"] == []

        claim = Claim.objects.filter(article_id=done["id"], kind="denial").first() or \
            Claim.objects.filter(article_id=done["id"]).first()
        groups = roles_ensure()
        checker = UserFactory(username="checker")
        checker.groups.add(groups[FACT_CHECKER])
        editor = UserFactory(username="editor")
        editor.groups.add(groups[EDITOR])
        checker, editor = (type(u).objects.get(pk=u.pk) for u in (checker, editor))
        review.claim_take(claim=claim, user=checker)
        review.evidence_add(claim=claim, user=checker, stance="refutes",
                            url="https://records.example.org/payroll-2022")
        review.claim_submit(claim=claim, user=checker, verdict="false",
                            rationale="The payroll records show wages were cut in December.")
        review.claim_publish(claim=claim, user=editor)

        listed = reader.get("/api/v1/claims/").json()["results"]
        assert [row["id"] for row in listed] == [claim.pk]
        assert listed[0]["verdict"]["value"] == "false"
        claimreview = reader.get(f"/api/v1/claims/{claim.pk}/claimreview/").json()
        assert claimreview["claimReviewed"] == claim.said  # the statement: a denial reads as the denial
        assert claimreview["itemReviewed"]["appearance"]["url"] == \
            "https://harbour.example/port-record"

        request = wait_for(lambda: receiver.requests and receiver.requests[0],
                           "the worker to deliver the webhook")
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["x-claimtrack-event"] == "claim.published"
        assert _verify(secret, request["body"], headers["x-claimtrack-signature"])
        event = json.loads(request["body"])
        assert event["claim"]["id"] == claim.pk and event["event"] == "claim.published"
        delivery = wait_for(lambda: WebhookDelivery.objects.filter(
            status="delivered").first(), "the delivery to be logged")
        assert str(delivery.event_id) == headers["x-claimtrack-delivery"]
        assert Article.objects.get(pk=done["id"]).submitted_via.name == "newsroom"
    finally:
        receiver.close()


def _verify(secret: str, body: bytes, header: str) -> bool:
    """The procedure docs/api.md gives consumers."""
    import hashlib
    import hmac

    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    t, signature = parts.get("t", ""), parts.get("v1", "")
    if not t.isdigit() or abs(time.time() - int(t)) > 300:
        return False
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
