"""The API keeps its contract: the OpenAPI schema it serves is valid, and every operation,
fuzzed by schemathesis from that schema (anonymous, with a read token, with a submit token),
answers without a server error, with a documented status code, content type and body."""

from __future__ import annotations

import io
import json
import socket

import pytest
import schemathesis
from django.core import signals
from django.core.cache import cache
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from claims import review
from claims.api.auth import ClientRateThrottle
from claims.clients import client_create
from claims.factchecks import FactCheckRecord, factchecks_save
from claims.ingestion import article_ingest
from claims.models import Claim, ClaimLink, FactCheck, Proposition, Verdict
from claims.roles import EDITOR, FACT_CHECKER, roles_ensure
from tests.factories import ArticleFactory, ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

SCHEMA_PATH = "/api/v1/schema/"
LOCAL_NAMES = {"127.0.0.1", "::1", "localhost", b"127.0.0.1", b"localhost"}
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# 25 examples per operation and persona keep the whole file near a minute on a laptop; the
# examples are derandomised so that CI fails on a change to the API, not on a new draw.
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))


# --- the schema itself ------------------------------------------------------------------------


def test_it_serves_a_schema_that_validates_without_warnings(client):
    response = client.get(SCHEMA_PATH, HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    served = response.json()
    validate_schema(served)  # the OpenAPI 3.0 JSON schema; raises on the first violation
    assert served["components"]["schemas"]["ApiError"]
    # What CI would run by hand: raises on a schema error or, with --fail-on-warn, on any
    # warning drf-spectacular gives while generating it (an unresolvable field, a clash).
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json",
                 stdout=out)
    assert json.loads(out.getvalue())["paths"].keys() == served["paths"].keys()


# --- seed data --------------------------------------------------------------------------------


def _published(claim, verdict, checker, editor):
    review.claim_take(claim=claim, user=checker)
    review.evidence_add(claim=claim, user=checker, url="https://records.example.org/log",
                        note="The harbour's daily log.", stance="refutes")
    review.claim_submit(claim=claim, user=checker, verdict=verdict,
                        rationale="The daily log shows 31 ships, not 40.")
    return review.claim_publish(claim=claim, user=editor)


@pytest.fixture
def seeded(db):
    """Published claims (through the review services) of several kinds and verdicts, linked to
    each other and to a proposition; a draft; fact-checks; an article a submit client sent."""
    groups = roles_ensure()
    checker = UserFactory(username="schema-checker")
    checker.groups.add(groups[FACT_CHECKER])
    editor = UserFactory(username="schema-editor")
    editor.groups.add(groups[EDITOR])
    checker, editor = (type(u).objects.get(pk=u.pk) for u in (checker, editor))

    kinds_and_verdicts = [
        (Claim.Kind.ALLEGATION, Verdict.FALSE), (Claim.Kind.ASSERTION, Verdict.MOSTLY_TRUE),
        (Claim.Kind.DENIAL, Verdict.UNVERIFIABLE), (Claim.Kind.QUOTE, Verdict.MIXED),
        (Claim.Kind.WARNING, Verdict.MISLEADING), (Claim.Kind.ALLEGATION, Verdict.TRUE),
    ]
    published = [_published(ClaimFactory(kind=kind, checkworthiness=0.7), verdict, checker,
                            editor) for kind, verdict in kinds_and_verdicts]
    # The outlet's own statement (no claimant) and an article without URL or date.
    published.append(_published(
        ClaimFactory(claimant=None, article=ArticleFactory(url=None, published_at=None)),
        Verdict.MOSTLY_FALSE, checker, editor))
    draft = ClaimFactory()
    ClaimLink.objects.create(claim=published[0], target_claim=published[1],
                             relation=ClaimLink.Relation.SUPPORTS, score=0.7, method="seed")
    ClaimLink.objects.create(claim=published[2], target_claim=published[0],
                             relation=ClaimLink.Relation.CONTRADICTS, score=0.5, method="seed")
    ClaimLink.objects.create(claim=draft, target_claim=published[0],
                             relation=ClaimLink.Relation.SUPPORTS, score=0.9, method="seed")
    proposition = Proposition.objects.create(text="The port handled 40 ships in a day.",
                                             first_claim=published[0],
                                             first_seen_at=published[0].article.published_at)
    for claim, relation in ((published[0], "supports"), (published[2], "contradicts"),
                            (published[3], "neutral"), (draft, "supports")):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation=relation,
                                 score=0.8, method="seed")

    factchecks_save([
        FactCheckRecord(external_id="vclaim-pol-1", origin=FactCheck.Origin.VCLAIMS,
                        publisher="PolitiFact", claim_reviewed="The port handled 40 ships.",
                        verdict="false", rating_value=1, best_rating=6, worst_rating=1,
                        url="https://www.politifact.com/factchecks/1/"),
        FactCheckRecord(external_id="https://checks.example/2", origin="claimreview",
                        publisher="Checks", claim_reviewed="Wages were cut."),
    ])

    read_client, read_token = client_create(name="schema-reader", scopes=["read"],
                                            throttle_rate="100000/min")
    submit_client, submit_token = client_create(name="schema-submitter", scopes=["submit"],
                                                throttle_rate="100000/min")
    article = article_ingest(
        submitted_via=submit_client, title="Quay news", source_name="Harbour Times",
        text="The harbour master said on Monday that the port handled 40 ships in a single "
             "day. The shipping company denied that it had cut wages.",
        url="https://harbour.example/quay")
    return {
        "claims": [c.pk for c in published] + [draft.pk],
        "propositions": [proposition.pk],
        "factchecks": list(FactCheck.objects.values_list("pk", flat=True)),
        "articles": [article.pk],
        "tokens": {"read": read_token, "submit": submit_token},
    }


@pytest.fixture
def wsgi_app():
    """Django's WSGI application, called in process inside the test's transaction.

    The handler closes the database connection at the end of each request (what keeps a
    server's connections fresh); inside the test's transaction on PostgreSQL that closes the
    test's own connection. Django's test client disconnects the same signal handler.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(seeded, wsgi_app, monkeypatch):
    """The schema as the app serves it, loaded through WSGI; requests go to the same app."""
    # Anonymous fuzzing would run into the per-address limit (120/min) within seconds.
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES",
                        {"anon": "100000/min", "user": "100000/min"})
    # A generated {"url": ...} is fetched in process when tasks run in process: no name the
    # fuzzer makes up is looked up in DNS (the fetch fails fast as "does not resolve"); the
    # services the test itself talks to are addressed by IP or as localhost.
    lookup = socket.getaddrinfo

    def offline_getaddrinfo(host, *args, **kwargs):
        if host not in LOCAL_NAMES:
            raise socket.gaierror(socket.EAI_NONAME, "name lookups are off in this test")
        return lookup(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", offline_getaddrinfo)
    cache.clear()
    # Tokens are the personas' own (below); generated Authorization headers would make every
    # "anonymous" request a bad-token request.
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_wsgi(SCHEMA_PATH, wsgi_app, config=config)
    seeded_ids = {"claims": seeded["claims"], "claimreview": seeded["claims"],
                  "propositions": seeded["propositions"], "factchecks": seeded["factchecks"],
                  "articles": seeded["articles"]}

    @schema.hook
    def before_generate_path_parameters(context, strategy):
        # Random ids nearly always answer 404: draw half of them from the seeded rows.
        path = context.operation.path
        ids = seeded_ids.get(path.removeprefix("/api/v1/").split("/")[0])
        if "{id}" not in path or not ids:
            return strategy
        return st.one_of(strategy, st.sampled_from(ids).map(lambda pk: {"id": pk}))

    return schema


def fuzz(schema, subtests, headers=None) -> dict[str, set[int]]:
    """Every operation, with valid and with invalid input; each is its own subtest. Returns the
    statuses each operation answered with."""
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: dict[str, set[int]] = {}
    for operation in operations:
        seen = statuses.setdefault(operation.label, set())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            with subtests.test(msg=f"{operation.label} ({mode.value})"):

                @FUZZ
                @given(case=operation.as_strategy(generation_mode=mode))
                def run(case):
                    response = case.call(headers=headers)
                    seen.add(response.status_code)  # noqa: B023 - run within this iteration
                    case.validate_response(response, checks=CHECKS, headers=headers)

                run()
    return statuses


# What every reader gets answers (200) from, not only 4xx: the checks above then saw real
# bodies of each kind.
READ_OPERATIONS = {
    "GET /api/v1/claims/", "GET /api/v1/claims/{id}/", "GET /api/v1/claims/{id}/claimreview/",
    "GET /api/v1/claimreview/", "GET /api/v1/claimreview/{id}/",
    "GET /api/v1/propositions/", "GET /api/v1/propositions/{id}/",
    "GET /api/v1/factchecks/", "GET /api/v1/factchecks/{id}/",
}


def answered(statuses, code):
    return {label for label, seen in statuses.items() if code in seen}


def test_it_conforms_to_its_schema_for_anonymous_readers(api_schema, subtests):
    statuses = fuzz(api_schema, subtests)
    assert answered(statuses, 200) >= READ_OPERATIONS
    assert "POST /api/v1/articles/" in answered(statuses, 401)


def test_it_conforms_to_its_schema_with_a_read_token(api_schema, seeded, subtests):
    statuses = fuzz(api_schema, subtests,
                    {"Authorization": f"Bearer {seeded['tokens']['read']}"})
    assert answered(statuses, 200) >= READ_OPERATIONS
    assert "POST /api/v1/articles/" in answered(statuses, 403)


def test_it_conforms_to_its_schema_with_a_submit_token(api_schema, seeded, subtests):
    statuses = fuzz(api_schema, subtests,
                    {"Authorization": f"Bearer {seeded['tokens']['submit']}"})
    assert answered(statuses, 200) >= READ_OPERATIONS | {
        "GET /api/v1/articles/", "GET /api/v1/articles/{id}/"}
    assert "POST /api/v1/articles/" in answered(statuses, 202) | answered(statuses, 400)
