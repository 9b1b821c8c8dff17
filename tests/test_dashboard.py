"""The desk dashboard as the desk reaches and uses it: the link on the admin index, numbers that
lead to the queue they count, and constant queries on a desk with claims in every state.

The figures themselves (exact medians on a known history), the personas on the page and the
escaping are proven in tests/test_desk.py.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import review
from claims.models import Claim
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ClaimFactory, desk_user

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("admin:claims_dashboard")
QUEUE = reverse("admin:claims_claim_changelist")


@pytest.fixture
def people(db):
    return {"checker": desk_user("fiona", FACT_CHECKER),
            "checker2": desk_user("felix", FACT_CHECKER),
            "editor": desk_user("edith", EDITOR), "reporter": desk_user("rita", REPORTER)}


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def add_claims(people, n: int) -> None:
    """``n`` claims spread over every status by the review services, two fact-checkers."""
    for i in range(n):
        claim = ClaimFactory()
        step = i % 5
        checker = people["checker"] if i % 2 else people["checker2"]
        if step == 4:
            review.claim_dismiss(claim=claim, user=people["editor"], reason="An opinion.")
        elif step:
            claim = review.claim_take(claim=claim, user=checker)
            if step >= 2:
                review.evidence_add(claim=claim, user=checker, url="https://records.example/")
                claim = review.claim_submit(claim=claim, user=checker, verdict="false",
                                            rationale="The records disagree.")
            if step == 3:
                review.claim_publish(claim=claim, user=people["editor"])


@pytest.mark.parametrize("who, linked", [("checker", True), ("editor", True),
                                         ("reporter", False)])
def test_it_links_the_dashboard_from_the_admin_index_for_the_desk_only(people, who, linked):
    response = client_for(people[who]).get(reverse("admin:index"))
    html = response.content.decode()
    assert response.status_code == 200
    assert (f'href="{DASHBOARD}"' in html) is linked
    # The rest of the index is intact: the app list is still there.
    assert 'class="app-claims module' in html and f'href="{QUEUE}"' in html


def test_each_status_number_leads_to_the_queue_it_counts(people):
    add_claims(people, 10)
    client = client_for(people["editor"])
    response = client.get(DASHBOARD)
    by_status = response.context["by_status"]
    assert {status: n for status, _, n in by_status} == {
        "new": 2, "in_review": 2, "awaiting_approval": 2, "published": 2, "dismissed": 2}
    html = response.content.decode()
    for status, _, count in by_status:
        url = f"{QUEUE}?status__exact={status}"
        assert f'<a href="{url}">{count}</a>' in html
        queue = client.get(url)
        assert queue.status_code == 200  # a lookup the queue refused would redirect (?e=1)
        assert queue.context["cl"].result_count == count


def test_the_dashboard_runs_the_same_queries_for_5_and_50_claims_in_every_state(people):
    client = client_for(people["editor"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(DASHBOARD).status_code == 200
        return len(captured)

    add_claims(people, 5)
    few = queries()
    add_claims(people, 45)
    assert Claim.objects.count() == 50
    assert queries() == few
