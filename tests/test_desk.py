"""The desk dashboard: its figures on a known history, who may see it, constant queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import desk, review
from claims.models import Claim, VerdictVersion
from claims.roles import EDITOR, FACT_CHECKER, REPORTER, roles_ensure
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:claims_dashboard")


@pytest.fixture
def people(db):
    groups = roles_ensure()

    def person(name, role):
        user = UserFactory(username=name, is_staff=True)
        user.groups.add(groups[role])
        return type(user).objects.get(pk=user.pk)

    return {"checker": person("fiona", FACT_CHECKER), "editor": person("edith", EDITOR),
            "reporter": person("rita", REPORTER)}


def published_after(people, *, entered_ago: timedelta, proposed_ago: timedelta,
                    published_ago: timedelta, now):
    claim = ClaimFactory()
    review.claim_take(claim=claim, user=people["checker"])
    review.evidence_add(claim=claim, user=people["checker"], url="https://records.example.org/")
    review.claim_submit(claim=claim, user=people["checker"], verdict="true", rationale="Yes.")
    review.claim_publish(claim=claim, user=people["editor"])
    Claim.objects.filter(pk=claim.pk).update(created_at=now - entered_ago,
                                             proposed_at=now - proposed_ago,
                                             published_at=now - published_ago)
    VerdictVersion.objects.filter(claim=claim).update(published_at=now - published_ago)
    return claim


def test_the_figures_on_a_known_history(people):
    now = timezone.now()
    h = timedelta(hours=1)
    # Three publications this week: 10 h, 20 h and 60 h from queue to verdict; approval
    # waits of 1 h, 2 h and 3 h. One the week before.
    for entered, proposed, published in ((12 * h, 3 * h, 2 * h), (22 * h, 4 * h, 2 * h),
                                         (70 * h, 13 * h, 10 * h)):
        published_after(people, entered_ago=entered, proposed_ago=proposed,
                        published_ago=published, now=now)
    published_after(people, entered_ago=10 * 24 * h, proposed_ago=9 * 24 * h,
                    published_ago=9 * 24 * h, now=now)
    old_new, newer_new = ClaimFactory(), ClaimFactory()
    Claim.objects.filter(pk=old_new.pk).update(created_at=now - 50 * h)
    Claim.objects.filter(pk=newer_new.pk).update(created_at=now - 5 * h)
    taken = ClaimFactory()
    review.claim_take(claim=taken, user=people["checker"])

    figures = desk.desk_figures(now=now)
    counts = {status: n for status, _, n in figures["by_status"]}
    assert counts == {"new": 2, "in_review": 1, "awaiting_approval": 0, "published": 4,
                      "dismissed": 0}
    assert [c.pk for c, _ in figures["oldest_new"]] == [old_new.pk, newer_new.pk]
    assert figures["oldest_new"][0][1] == 50 * h
    assert (figures["published_this_week"], figures["published_last_week"]) == (3, 1)
    # Medians over the last 30 days (all four): queue→verdict 10, 20, 60, 24 h → 22 h.
    assert figures["median_to_verdict"] == 22 * h
    assert figures["median_approval"] == timedelta(hours=1.5)  # 1, 2, 3 h and 0 h
    assert figures["workload"] == [("fiona", 1)]
    assert desk.duration(figures["median_to_verdict"]) == "22 h 0 min"
    assert desk.duration(timedelta(days=3, hours=4, minutes=5)) == "3 d 4 h"


def test_an_empty_desk(db):
    figures = desk.desk_figures()
    assert figures["median_to_verdict"] is None and figures["oldest_new"] == []
    assert desk.duration(None) == "—"


@pytest.mark.parametrize("who, code", [("checker", 200), ("editor", 200), ("reporter", 403)])
def test_who_sees_the_dashboard(people, who, code):
    client = Client()
    client.force_login(people[who])
    response = client.get(DASHBOARD)
    assert response.status_code == code
    if code == 200:
        assert "Median time to verdict" in response.content.decode()


def test_anonymous_is_sent_to_the_login(db):
    response = Client().get(DASHBOARD)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_page_shows_the_numbers_and_escapes_claims(people):
    claim = ClaimFactory(text="x")
    Claim.objects.filter(pk=claim.pk).update(text="<b>bold</b> claim")
    client = Client()
    client.force_login(people["editor"])
    html = client.get(DASHBOARD).content.decode()
    assert "&lt;b&gt;bold&lt;/b&gt; claim" in html and "<b>bold</b>" not in html
    assert f'{reverse("admin:claims_claim_changelist")}?status__exact=new' in html


def test_the_dashboard_runs_a_constant_number_of_queries(people):
    client = Client()
    client.force_login(people["editor"])

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    for _ in range(5):
        ClaimFactory()
    few = queries()
    for _ in range(45):
        ClaimFactory()
    review.claim_take(claim=Claim.objects.first(), user=people["checker"])
    assert queries() == few
