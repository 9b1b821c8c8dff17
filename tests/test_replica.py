"""Read-only API traffic on the read replica, everything else on the primary (config/dbrouter.py).

The replica is the primary itself here, as DATABASE_REPLICA_URL equal to DATABASE_URL makes it:
run with that variable set and the settings make the alias; without it, the module adds the
alias the same way (config.dbrouter.replica_database). Its TEST MIRROR points it at the test
database, where a separate connection sees only committed rows: the routed tests are
transactional. On PostgreSQL (DATABASE_URL=postgres://…/p17s_… REQUIRE_SERVICES=1) the alias
is opened read-only, so a write routed to it would fail the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections, router, transaction
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from claims.clients import client_create
from claims.models import Article, Claim, Source
from claims.roles import EDITOR, FACT_CHECKER
from config.dbrouter import REPLICA, ApiReadsMiddleware, ReplicaRouter, replica_database
from tests.conftest import require
from tests.factories import ClaimFactory, desk_user, publish_claim

ROUTED = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])
STORY = ("The harbour master said on Monday that the port handled 40 ships in a single day. "
         "The shipping company denied that it had cut wages.")


@pytest.fixture(scope="module", autouse=True)
def replica_alias(django_db_setup, django_db_blocker):
    """The replica alias over the test database, made as the settings make it when
    DATABASE_REPLICA_URL names the primary."""
    added = REPLICA not in connections.settings
    if added:
        primary = connections.settings[DEFAULT_DB_ALIAS]
        alias = replica_database(replica=dict(primary), primary=primary,
                                 variable="DATABASE_REPLICA_URL")
        alias["TEST"] = {**primary["TEST"], **alias["TEST"]}
        connections.settings[REPLICA] = alias
    yield
    connections[REPLICA].close()
    if added:
        del connections[REPLICA]
        del connections.settings[REPLICA]


@pytest.fixture
def without_replica():
    """As if DATABASE_REPLICA_URL were unset: the router and the middleware stay installed."""
    alias = connections.settings.pop(REPLICA)
    yield
    connections.settings[REPLICA] = alias


@pytest.fixture
def published():
    checker = desk_user("checker", FACT_CHECKER)
    editor = desk_user("editor", EDITOR)
    return publish_claim(ClaimFactory(kind=Claim.Kind.ALLEGATION), checker=checker,
                         editor=editor)


class Captured:
    """The SQL each alias ran inside the block."""

    def __enter__(self):
        self._contexts = {alias: CaptureQueriesContext(connections[alias])
                          for alias in (DEFAULT_DB_ALIAS, REPLICA)}
        for context in self._contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self._contexts.values():
            context.__exit__(*exc)

    def sql(self, alias: str) -> list[str]:
        return [query["sql"] for query in self._contexts[alias].captured_queries]

    def writes(self, alias: str) -> list[str]:
        return [sql for sql in self.sql(alias)
                if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]


# --- read-only API requests read the replica ------------------------------------------------------


@ROUTED
def test_it_reads_the_api_claim_list_from_the_replica(published):
    with Captured() as queries:
        response = Client().get("/api/v1/claims/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [published.pk]
    assert any('"claims_claim"' in sql for sql in queries.sql(REPLICA))
    assert queries.sql(DEFAULT_DB_ALIAS) == []


@ROUTED
def test_it_reads_an_api_claim_detail_from_the_replica(published):
    with Captured() as queries:
        response = Client().get(f"/api/v1/claims/{published.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == published.pk
    assert any('"claims_claim"' in sql for sql in queries.sql(REPLICA))
    assert queries.sql(DEFAULT_DB_ALIAS) == []


@ROUTED
def test_what_a_read_only_api_request_records_is_written_on_the_primary(published):
    """A token's first use is recorded during a GET: the read on the replica, the write on the
    primary, never the other way round."""
    _, token = client_create(name="reader", scopes=["read"])
    with Captured() as queries:
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/claims/")
    assert response.status_code == 200
    assert any("last_used_at" in sql for sql in queries.writes(DEFAULT_DB_ALIAS))
    assert any('"claims_claim"' in sql for sql in queries.sql(REPLICA))
    assert queries.writes(REPLICA) == []


@ROUTED
def test_a_row_an_api_get_read_from_the_replica_is_saved_on_the_primary(published):
    def view(request):
        claim = Claim.objects.get(pk=published.pk)
        return claim._state.db, router.db_for_write(Claim, instance=claim)

    request = RequestFactory().get(f"/api/v1/claims/{published.pk}/")
    assert ApiReadsMiddleware(view)(request) == (REPLICA, DEFAULT_DB_ALIAS)


@ROUTED
def test_a_read_inside_a_transaction_of_an_api_request_goes_to_the_primary():
    def view(request):
        outside = router.db_for_read(Claim)
        with transaction.atomic():
            inside = router.db_for_read(Claim)
        return outside, inside

    request = RequestFactory().get("/api/v1/claims/")
    assert ApiReadsMiddleware(view)(request) == (REPLICA, DEFAULT_DB_ALIAS)


# --- everything else uses the primary ---------------------------------------------------------------


@ROUTED
def test_an_api_post_reads_and_writes_the_primary_and_answers_from_it():
    _, token = client_create(name="submitter", scopes=["submit"])
    with Captured() as queries:
        response = Client(HTTP_AUTHORIZATION=f"Bearer {token}").post(
            "/api/v1/articles/", data=json.dumps({"title": "Port", "source": "Harbour News", "text": STORY}),
            content_type="application/json")
    assert response.status_code in (201, 202), response.content
    assert Article.objects.filter(pk=response.json()["id"]).exists()
    assert queries.writes(DEFAULT_DB_ALIAS)
    assert queries.sql(REPLICA) == []


@ROUTED
@pytest.mark.parametrize("path", ["/admin/claims/claim/", "/admin/", "public claim page"])
def test_pages_outside_the_api_read_the_primary(published, path):
    staff = Client()
    staff.force_login(desk_user("desk", EDITOR))
    path = f"/claims/{published.pk}/" if path == "public claim page" else path
    with Captured() as queries:
        response = staff.get(path)
    assert response.status_code == 200
    assert any('"claims_claim"' in sql for sql in queries.sql(DEFAULT_DB_ALIAS))
    assert queries.sql(REPLICA) == []


@ROUTED
def test_outside_a_request_reads_and_writes_go_to_the_primary():
    """Tasks, commands and the shell: no request marks them read-only."""
    assert router.db_for_read(Claim) == DEFAULT_DB_ALIAS
    assert router.db_for_write(Claim) == DEFAULT_DB_ALIAS


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate(REPLICA, "claims", model_name="claim") is False
    assert router.allow_migrate(DEFAULT_DB_ALIAS, "claims", model_name="claim") is True


@ROUTED
def test_rows_read_from_the_replica_and_the_primary_may_be_related(published):
    claim = Claim.objects.using(REPLICA).get(pk=published.pk)
    article = Article.objects.using(DEFAULT_DB_ALIAS).get(pk=published.article_id)
    claim.article = article  # ValueError if the router refused the relation
    assert claim.article_id == article.pk


@ROUTED
def test_the_replica_connection_refuses_writes_on_postgresql():
    require(connection.vendor == "postgresql", "DATABASE_URL does not point at PostgreSQL")
    with pytest.raises(DatabaseError, match="read-only"):
        Source.objects.using(REPLICA).create(name="Nowhere", domain="nowhere.example")
    assert not Source.objects.filter(name="Nowhere").exists()


# --- without DATABASE_REPLICA_URL nothing changes ------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_without_a_replica_an_api_get_reads_the_primary(without_replica, published):
    assert ReplicaRouter().db_for_read(Claim) is None
    assert ReplicaRouter().db_for_write(Claim) is None
    with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as queries:
        response = Client().get("/api/v1/claims/")
    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [published.pk]
    assert any('"claims_claim"' in q["sql"] for q in queries.captured_queries)


# --- the variable, read at start ---------------------------------------------------------------------

PRIMARY_PG = "postgres://claimtrack@db.example:5432/claimtrack"


def start_django(**env) -> subprocess.CompletedProcess:
    """A fresh process reading the settings: prints the replica alias's settings, if any."""
    script = ("import django, json; django.setup(); from django.conf import settings; "
              "print(json.dumps(settings.DATABASES.get('replica'), default=str))")
    base = {k: v for k, v in os.environ.items()
            if k not in {"DATABASE_URL", "DATABASE_REPLICA_URL", "CLAIMTRACK_ENV", "DEBUG"}}
    return subprocess.run([sys.executable, "-c", script],
                          env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("env", [
    {"DATABASE_REPLICA_URL": "mysql://root@replica.example/claimtrack"},
    {"DATABASE_REPLICA_URL": "postgres://claimtrack@replica.example:notaport/claimtrack",
     "DATABASE_URL": PRIMARY_PG},
    {"DATABASE_REPLICA_URL": "sqlite:///replica.sqlite3", "DATABASE_URL": PRIMARY_PG},
    {"DATABASE_REPLICA_URL": "postgres://claimtrack@replica.example/claimtrack"},
    {"DATABASE_REPLICA_URL": "sqlite:////tmp/another-file.sqlite3"},
], ids=["unsupported", "bad port", "sqlite beside postgresql", "postgresql beside sqlite",
        "another sqlite file"])
def test_a_bad_replica_url_stops_the_start_naming_the_variable(env):
    result = start_django(**env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DATABASE_REPLICA_URL" in result.stderr


def test_a_replica_url_naming_the_primary_makes_a_read_only_alias_mirrored_in_tests():
    result = start_django(DATABASE_URL=PRIMARY_PG, DATABASE_REPLICA_URL=PRIMARY_PG)
    assert result.returncode == 0, result.stderr
    replica = json.loads(result.stdout)
    assert replica["HOST"] == "db.example" and replica["NAME"] == "claimtrack"
    assert "default_transaction_read_only=on" in replica["OPTIONS"]["options"]
    assert replica["OPTIONS"]["connect_timeout"] == 5
    assert replica["TEST"]["MIRROR"] == DEFAULT_DB_ALIAS


@pytest.mark.parametrize("value", [None, "", "  "])
def test_an_unset_or_empty_replica_url_adds_no_alias(value):
    result = start_django(**({} if value is None else {"DATABASE_REPLICA_URL": value}))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) is None
