"""Kept list pages (claims.api.pages): served again byte for byte while what their readers
see is unchanged, never after a change, per audience, format and URL, and still throttled.

Public pages are kept by the published-set counters (migration 0020's triggers), desk pages by
where PostgreSQL's write-ahead log ends, which any database of the cluster moves. Tests of what
a kept page is hold the moment still (``quiet``); tests of when the moment moves use the real
one, on PostgreSQL (DATABASE_URL=postgres://…; skipped on SQLite, which keeps nothing), with
real commits (``committed``): the counters move as a transaction commits.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import timezone

from claims import ingestion, propositions, review
from claims.api import pages
from claims.api.auth import ClientRateThrottle
from claims.clients import client_create
from claims.models import (
    Article,
    Claim,
    Claimant,
    ClaimLink,
    Evidence,
    FactCheck,
    Proposition,
    Source,
    VerdictVersion,
)
from claims.roles import EDITOR, FACT_CHECKER
from tests.conftest import require
from tests.factories import ClaimFactory, desk_user, publish_claim

pytestmark = pytest.mark.django_db
# Real commits: the published-set counters move when a transaction commits.
committed = pytest.mark.django_db(transaction=True)

LIST = "/api/v1/claims/?page_size=5"
PROPOSITIONS = "/api/v1/propositions/?page_size=5"
FACTCHECKS = "/api/v1/factchecks/?page_size=5"
# Not Last-Modified: a body first dated within a second is dated anew by a request in a later
# second (ConditionalMixin), kept page or not.
HEADERS = ("Content-Type", "ETag", "Cache-Control", "Vary", "Allow", "Content-Length")


@pytest.fixture
def postgres(db):
    require(connection.vendor == "postgresql", "kept pages need PostgreSQL (DATABASE_URL)")


@pytest.fixture
def quiet(monkeypatch):
    """A database nothing writes to: the moment stands still until a test moves it."""
    moment = {"now": 1}
    monkeypatch.setattr(pages, "database_moment", lambda model: pages.Moment(
        cluster="quiet", wal=str(moment["now"]), public=str(moment["now"])))
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
    quiet["now"] = 2
    assert b"Changed." in Client().get(LIST).content


@pytest.fixture
def renders(monkeypatch):
    """How many list pages were rendered (and kept): a kept page served again adds none."""
    count = {"n": 0}
    keep = pages.page_keep

    def counted(key, page):
        count["n"] += 1
        keep(key, page)

    monkeypatch.setattr(pages, "page_keep", counted)
    return count


def _linked(published):
    """A live link between the two published claims (each shows the other as related)."""
    return ClaimLink.objects.create(claim=published[0], target_claim=published[1],
                                    relation="supports", score=0.7, method="test")


def _member(claim, proposition=None, relation="supports"):
    proposition = proposition or Proposition.objects.create(
        text="The port handled 40 ships.", first_claim=claim)
    ClaimLink.objects.create(claim=claim, proposition=proposition, relation=relation,
                             score=0.8, method="test")
    return proposition


# --- changes a public reader sees; each retires the public page ----------------------------


def _publish(published, desk):
    publish_claim(ClaimFactory(), checker=desk["checker"], editor=desk["editor"])


def _correct(published, desk):
    claim = review.claim_correct(claim=published[0], user=desk["editor"],
                                 verdict="mostly_false", rationale="Recounted: 38.",
                                 note="The port recounted.")
    review.claim_correction_approve(claim=claim, user=desk["editor2"])


def _withdraw_behind_every_service(published, desk):
    Claim.objects.filter(pk=published[0].pk).update(status=Claim.Status.DISMISSED)


def _update_without_signals(published, desk):
    Claim.objects.filter(pk=published[0].pk).update(rationale="Changed behind every service.")


def _rename_claimant(published, desk):
    Claimant.objects.filter(claims=published[0]).update(name="The Harbour Authority")


def _retitle_article(published, desk):
    Article.objects.filter(claims=published[0]).update(title="The harbour's long day")


def _move_article(published, desk):
    Article.objects.filter(claims=published[0]).update(url="https://news.example/moved")


def _rename_source(published, desk):
    Source.objects.filter(articles__claims=published[0]).update(name="The Harbour Times")


def _add_evidence(published, desk):
    Evidence.objects.create(claim=published[0], url="https://records.example.org/day2",
                            note="The second log", stance="supports")


def _remove_evidence(published, desk):
    Evidence.objects.filter(claim=published[0]).delete()


def _add_verdict_version(published, desk):
    VerdictVersion.objects.create(claim=published[0], number=9, verdict="true",
                                  rationale="A later count.", published_at=timezone.now(),
                                  corrected_at=timezone.now(), correction_note="Superseded.")


def _confirm_link(published, desk):
    link = ClaimLink.objects.get(claim=published[0], target_claim=published[1])
    propositions.link_decide(link=link, user=desk["editor"], status="confirmed")


def _reject_link(published, desk):
    link = ClaimLink.objects.get(claim=published[0], target_claim=published[1])
    propositions.link_decide(link=link, user=desk["editor"], status="rejected")


def _join_proposition(published, desk):
    _member(published[1])


@pytest.mark.parametrize("change", [
    _publish, _correct, _withdraw_behind_every_service, _update_without_signals,
    _rename_claimant, _retitle_article, _move_article, _rename_source, _add_evidence,
    _remove_evidence, _add_verdict_version, _confirm_link, _reject_link, _join_proposition])
@committed
def test_a_change_to_the_published_set_is_never_served_stale(postgres, published, desk,
                                                             change, renders):
    _linked(published)
    before = Client().get(LIST)
    assert Client().get(LIST).content == before.content and renders["n"] == 1  # kept
    change(published, desk)
    after = Client().get(LIST)
    assert renders["n"] == 2
    assert after.content != before.content
    assert after["ETag"] != before["ETag"]
    assert after.content == fresh().content


def _rename_proposition(published, desk, proposition):
    Proposition.objects.filter(pk=proposition.pk).update(text="The port handled 41 ships.")


def _join_published(published, desk, proposition):
    _member(publish_claim(ClaimFactory(), checker=desk["checker"], editor=desk["editor"]),
            proposition, relation="contradicts")


def _leave(published, desk, proposition):
    ClaimLink.objects.filter(proposition=proposition, claim=published[1]).update(
        status=ClaimLink.Status.REJECTED)


def _draft_joins(published, desk, proposition):
    # What matching does when a new claim joins: its centroid and updated_at, which the
    # public list shows.
    _member(ClaimFactory(), proposition)
    Proposition.objects.filter(pk=proposition.pk).update(updated_at=timezone.now())


def _member_claimant_renamed(published, desk, proposition):
    Claimant.objects.filter(claims=published[0]).update(name="The Harbour Authority")


@pytest.mark.parametrize("change", [_rename_proposition, _join_published, _leave,
                                    _draft_joins, _member_claimant_renamed])
@committed
def test_a_change_to_a_public_proposition_is_never_served_stale(postgres, published, desk,
                                                                change, renders):
    proposition = _member(published[0])
    _member(published[1], proposition)
    before = Client().get(PROPOSITIONS)
    assert Client().get(PROPOSITIONS).content == before.content and renders["n"] == 1
    change(published, desk, proposition)
    after = Client().get(PROPOSITIONS)
    assert renders["n"] == 2
    assert after.content != before.content
    assert after.content == fresh(PROPOSITIONS).content


@committed
def test_a_fact_check_imported_retires_the_library_page(postgres, renders):
    FactCheck.objects.create(origin="imported", claim_reviewed="Forty ships docked.",
                             verdict="false", external_id="one")
    before = Client().get(FACTCHECKS)
    assert Client().get(FACTCHECKS).content == before.content and renders["n"] == 1
    FactCheck.objects.create(origin="imported", claim_reviewed="The port closed.",
                             verdict="true", external_id="two")
    assert b"The port closed." in Client().get(FACTCHECKS).content and renders["n"] == 2


# --- writes no public reader sees; the public page stays kept ----------------------------


HARBOUR = ("Officials said on Monday that talks number 0 lasted eight hours. The minister "
           "denied any plans to raise taxes. The harbour master said the port handled 40 "
           "ships on Monday.")


@committed
def test_a_public_page_stays_kept_while_drafts_are_ingested(postgres, published, desk,
                                                            renders,
                                                            django_assert_num_queries):
    _linked(published)
    public = Client().get(LIST)
    staff = Client()
    staff.force_login(desk["editor"])  # a session written
    staff.get(LIST)
    assert renders["n"] == 2
    moment = pages.database_moment(Claim)
    claims_before = Claim.objects.count()

    # An article ingested: extracted and matched in process (the tests run tasks eagerly),
    # its drafts linked to the published claims and their counts and priority refreshed.
    ingestion.article_ingest(title="Talks", text=HARBOUR, source_name="Harbour Daily")
    draft = ClaimFactory()
    ClaimLink.objects.create(claim=draft, target_claim=published[0], relation="supports",
                             score=0.9, method="test")
    _member(draft)
    Claim.objects.filter(pk__in=[c.pk for c in published]).update(priority=0.5,
                                                                    corroborations=3)
    review.claim_take(claim=draft, user=desk["checker"])
    Client().force_login(desk["checker"])
    assert Claim.objects.count() > claims_before + 1

    now = pages.database_moment(Claim)
    assert now.wal != moment.wal  # the write-ahead log moved: the desk's moment
    assert now.of("public") == moment.of("public")
    with django_assert_num_queries(1):  # the moment, nothing else
        again = Client().get(LIST)
    assert again.content == public.content and again["ETag"] == public["ETag"]
    assert renders["n"] == 2
    assert again.content == fresh().content  # and it is what rendering gives now
    assert draft.pk in {row["id"] for row in staff.get(LIST).json()["results"]}


@committed
def test_a_proposition_without_published_members_moves_no_public_page(postgres, published,
                                                                      renders):
    proposition = _member(published[0])
    before = Client().get(PROPOSITIONS)
    drafts_only = _member(ClaimFactory())
    _member(ClaimFactory(), drafts_only)
    Proposition.objects.filter(pk=drafts_only.pk).update(text="Drafts only.",
                                                         updated_at=timezone.now())
    assert Client().get(PROPOSITIONS).content == before.content and renders["n"] == 1
    assert proposition.pk in {row["id"] for row in before.json()["results"]}


@committed
def test_a_transaction_moves_its_counter_once_and_only_when_it_commits(postgres, published):
    from django.db import transaction

    def count() -> int:
        table, number = pages.database_moment(Claim).public.split(".")
        return int(number)

    before = count()
    with transaction.atomic():
        Claim.objects.filter(pk__in=[c.pk for c in published]).update(rationale="Both.")
        Claim.objects.filter(pk=published[0].pk).update(cue="stated")
    assert count() == before + 1
    with pytest.raises(RuntimeError), transaction.atomic():
        Claim.objects.filter(pk=published[0].pk).update(cue="claimed")
        raise RuntimeError
    assert count() == before + 1


@committed
def test_inside_a_transaction_that_wrote_public_pages_go_by_the_log(postgres, published):
    """Its changes move the counter only as it commits, and a rollback would hand the value it
    read to another change: public pages rendered inside it are keyed by the log position."""
    from django.db import transaction

    with transaction.atomic():
        assert pages.database_moment(Claim).public is not None  # nothing written yet
        before = Client().get(LIST)
        Claim.objects.filter(pk=published[0].pk).update(rationale="Not committed.")
        assert pages.database_moment(Claim).public is None
        assert b"Not committed." in Client().get(LIST).content
        transaction.set_rollback(True)
    after = Client().get(LIST)
    assert b"Not committed." not in after.content and after.content == before.content


def test_the_public_moment_and_the_desk_moment_key_apart():
    moment = pages.Moment(cluster="db:1/1/5", wal="0/16B3A28", public="16390.7")
    assert moment.of("public") == "db:1/1/5/public:16390.7"
    assert moment.of("desk") == "db:1/1/5/wal:0/16B3A28"
    uncovered = pages.Moment(cluster="db:1/1/5", wal="0/16B3A28")
    assert uncovered.of("public") == uncovered.of("desk")


def test_the_moment_moves_with_a_write(postgres, published):
    moment = pages.database_moment(Claim)
    assert moment is not None
    Claim.objects.filter(pk=published[0].pk).update(cue="stated")
    assert pages.database_moment(Claim).wal != moment.wal


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
