"""Kept list pages (claims.api.pages): served again byte for byte while the database is
unchanged, never after a change, per audience, format and URL, and still throttled.

The moment is where PostgreSQL's write-ahead log ends, which any database of the cluster moves:
tests of what a kept page is hold the moment still (``quiet``) so that another database's
writes cannot turn a hit into a miss; tests that a change is never served stale use the real
moment, on PostgreSQL (DATABASE_URL=postgres://…; skipped on SQLite, which keeps nothing).
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client

from claims import propositions, review
from claims.api import pages
from claims.api.auth import ClientRateThrottle
from claims.clients import client_create
from claims.models import Claim, ClaimLink, Proposition
from claims.roles import EDITOR, FACT_CHECKER
from tests.conftest import require
from tests.factories import ClaimFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db

LIST = "/api/v1/claims/?page_size=5"
# Not Last-Modified: a body first dated within a second is dated anew by a request in a later
# second (ConditionalMixin), kept page or not.
HEADERS = ("Content-Type", "ETag", "Cache-Control", "Vary", "Allow", "Content-Length")


@pytest.fixture
def postgres(db):
    require(connection.vendor == "postgresql", "kept pages need PostgreSQL (DATABASE_URL)")


@pytest.fixture
def quiet(monkeypatch):
    """A database nothing writes to: the moment stands still until a test moves it."""
    moment = {"now": "quiet:1"}
    monkeypatch.setattr(pages, "database_moment", lambda model: moment["now"])
    return moment


@pytest.fixture
def desk(db):
    return {"checker": desk_user("checker", FACT_CHECKER), "editor": desk_user("editor", EDITOR),
            "editor2": desk_user("editor2", EDITOR)}


@pytest.fixture
def published(desk):
    return [publish_claim(ClaimFactory(), checker=desk["checker"], editor=desk["editor"])
            for _ in range(2)]


def fresh(path=LIST, client=None, **extra):
    """What rendering the page now gives, with nothing kept."""
    cache.clear()
    return (client or Client()).get(path, **extra)


def pages_key(path=LIST) -> str:
    return next(iter(kept_pages()), "").removeprefix(":1:")


def kept_pages() -> list[str]:
    return [key for key in cache._cache if "api-page:" in key]  # the tests' in-memory cache


def test_it_serves_a_kept_page_byte_for_byte_without_a_query(published, quiet,
                                                             django_assert_num_queries):
    first = Client().get(LIST)
    assert first.status_code == 200 and len(first.json()["results"]) == 2
    with django_assert_num_queries(0):  # the moment (held still here) is the only one
        again = Client().get(LIST)
    assert again.status_code == 200
    assert again.content == first.content
    assert {h: again.get(h) for h in HEADERS} == {h: first.get(h) for h in HEADERS}
    cached = Client().get(LIST, HTTP_IF_NONE_MATCH=first["ETag"])
    assert cached.status_code == 304 and cached["ETag"] == first["ETag"]


def test_a_kept_page_equals_a_fresh_rendering_of_it(published, quiet):
    kept_twice = [Client().get(LIST).content for _ in range(2)]
    assert kept_twice[0] == kept_twice[1] == fresh().content


def test_a_page_kept_at_another_moment_is_not_served(published, quiet):
    before = Client().get(LIST)
    Claim.objects.filter(pk=published[0].pk).update(rationale="Changed.")
    assert Client().get(LIST).content == before.content  # the moment held still: kept
    quiet["now"] = "quiet:2"
    assert b"Changed." in Client().get(LIST).content


def _publish(published, desk):
    publish_claim(ClaimFactory(), checker=desk["checker"], editor=desk["editor"])


def _correct(published, desk):
    claim = review.claim_correct(claim=published[0], user=desk["editor"],
                                 verdict="mostly_false", rationale="Recounted: 38.",
                                 note="The port recounted.")
    review.claim_correction_approve(claim=claim, user=desk["editor2"])


def _rename_claimant(published, desk):
    claimant = Claim.objects.get(pk=published[0].pk).claimant
    claimant.name = "The Harbour Authority"
    claimant.save()


def _decide_link(published, desk):
    link = ClaimLink.objects.get(claim=published[0], target_claim=published[1])
    propositions.link_decide(link=link, user=desk["editor"], status="confirmed")


def _join_proposition(published, desk):
    ClaimLink.objects.create(claim=published[1], proposition=Proposition.objects.create(
        text="The port handled 40 ships."), relation="supports", score=0.8, method="test")


def _update_without_signals(published, desk):
    Claim.objects.filter(pk=published[0].pk).update(rationale="Changed behind every service.")


@pytest.mark.parametrize("change", [_publish, _correct, _rename_claimant, _decide_link,
                                    _join_proposition,
                                    _update_without_signals])
def test_a_change_to_the_published_set_is_never_served_stale(postgres, published, desk,
                                                             change):
    ClaimLink.objects.create(claim=published[0], target_claim=published[1],
                             relation="supports", score=0.7, method="test")
    before = Client().get(LIST)
    kept = pages.page_get(pages_key(), pages.database_moment(Claim))
    assert kept is None or kept.body == before.content
    change(published, desk)
    after = Client().get(LIST)
    assert after.content != before.content
    assert after["ETag"] != before["ETag"]
    assert after.content == fresh().content


def test_the_moment_moves_with_a_write(postgres, published):
    moment = pages.database_moment(Claim)
    assert moment is not None
    Claim.objects.filter(pk=published[0].pk).update(cue="stated")
    assert pages.database_moment(Claim) != moment


def test_nothing_is_kept_without_a_write_ahead_log(published):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert pages.database_moment(Claim) is None
    Client().get(LIST)
    assert kept_pages() == []


def test_desk_staff_never_get_the_public_page(published, quiet, desk):
    draft = ClaimFactory()
    public = Client().get(LIST)
    staff = Client()
    staff.force_login(desk["editor"])
    theirs = staff.get(LIST)
    assert draft.pk not in {row["id"] for row in public.json()["results"]}
    assert draft.pk in {row["id"] for row in theirs.json()["results"]}
    assert Client().get(LIST).content == public.content  # and not the other way round


def test_a_token_sees_what_anonymous_readers_see(published, quiet):
    _, token = client_create(name="reader", scopes=["read"])
    public = Client().get(LIST)
    assert Client(HTTP_AUTHORIZATION=f"Bearer {token}").get(LIST).content == public.content


def test_each_host_has_its_own_page(published, quiet, settings):
    """The next link repeats the host: a page kept for one host is not another's."""
    settings.ALLOWED_HOSTS = ["testserver", "api.example"]
    path = "/api/v1/claims/?page_size=1"
    here = Client().get(path).json()["next"]
    there = Client().get(path, HTTP_HOST="api.example").json()["next"]
    assert Client().get(path).json()["next"] == here
    assert here.startswith("http://testserver/") and there.startswith("http://api.example/")
    assert len(kept_pages()) == 2


def test_later_pages_and_unknown_parameters_are_not_kept(published, quiet):
    first = Client().get("/api/v1/claims/?page_size=1")
    assert len(kept_pages()) == 1
    assert Client().get(first.json()["next"]).status_code == 200
    utm = Client().get("/api/v1/claims/?page_size=1&utm=x")
    assert "utm=x" in utm.json()["next"]
    assert len(kept_pages()) == 1


def test_formats_are_kept_apart_and_html_not_at_all(published, quiet):
    json_page = Client().get(LIST)
    indented = Client().get(LIST, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content != json_page.content and b"\n  " in indented.content
    html = Client().get(LIST, HTTP_ACCEPT="text/html")
    assert html["Content-Type"].startswith("text/html")
    assert Client().get(LIST).content == json_page.content
    assert len(kept_pages()) == 2  # plain and indented JSON


def test_a_kept_page_still_counts_against_the_rate(published, quiet, monkeypatch):
    monkeypatch.setattr(ClientRateThrottle, "THROTTLE_RATES",
                        {**ClientRateThrottle.THROTTLE_RATES, "anon": "3/min"})
    codes = [Client().get(LIST).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_a_refused_request_keeps_nothing(published, quiet):
    assert Client().get("/api/v1/claims/?verdict=nonsense").status_code == 400
    assert Client().get("/api/v1/claims/?cursor=garbage").status_code == 404
    assert kept_pages() == []


def test_a_claim_edit_is_never_served_stale_to_the_desk(postgres, published, desk):
    draft = ClaimFactory()
    staff = Client()
    staff.force_login(desk["editor"])
    before = staff.get(LIST)
    review.claim_take(claim=draft, user=desk["checker"])
    review.claim_edit(claim=Claim.objects.get(pk=draft.pk), user=desk["checker"],
                      statement="The port handled 41 ships in a single day.")
    after = staff.get(LIST)
    assert b"41 ships" in after.content and b"41 ships" not in before.content
    assert after.content == fresh(client=staff).content
