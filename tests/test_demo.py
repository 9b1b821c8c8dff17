"""`make demo`'s data: desk accounts and a review queue with claims in every state, made
through the services, and a second run that changes nothing."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from claims import review
from claims.demo import PLANS
from claims.models import Claim, ReviewEvent, VerdictVersion

pytestmark = pytest.mark.django_db(transaction=True)


def demo_setup() -> str:
    out = io.StringIO()
    call_command("demo_setup", stdout=out)
    return out.getvalue()


def test_the_demo_fills_the_queue_in_every_state_and_is_idempotent(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    output = demo_setup()
    assert "no claim of" not in output  # every planned claim was found in the extraction
    assert f"({len(PLANS)} claims reviewed in this run)" in output
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert statuses == set(Claim.Status.values)
    assert Claim.objects.filter(status="new").count() > Claim.objects.exclude(
        status="new").count()

    published = Claim.objects.filter(status="published")
    assert published.count() == 2
    for claim in published:
        first = claim.verdicts.get(number=1)
        assert first.proposed_by.groups.filter(name="Fact-checkers").exists()
        assert first.published_by.groups.filter(name="Editors").exists()
        assert first.published_by_id != first.proposed_by_id  # four eyes
    assert VerdictVersion.objects.filter(corrected_at__isnull=False).count() == 1

    assert Claim.objects.filter(flagged=True).count() == 2
    touched = Claim.objects.exclude(status="new") | Claim.objects.filter(flagged=True)
    assert touched.count() == len(PLANS)
    assert all(claim.events.exists() for claim in touched)
    assert not ReviewEvent.objects.filter(claim__status="new", claim__flagged=False).exists()
    sent_back = ReviewEvent.objects.filter(data__transition="send_back").get()
    assert sent_back.note and sent_back.claim.status == "in_review"

    User = get_user_model()
    assert {u.username: sorted(u.groups.values_list("name", flat=True))
            for u in User.objects.all()} == {
        "editor": ["Editors"], "editor2": ["Editors"], "checker": ["Fact-checkers"],
        "checker2": ["Fact-checkers"], "reporter": ["Reporters"]}
    assert all(u.is_staff and u.check_password("demo-pass-123") for u in User.objects.all())

    before = (sorted(Claim.objects.values_list("pk", "status", "version")),
              ReviewEvent.objects.count(), VerdictVersion.objects.count(),
              User.objects.count())
    assert "(0 claims reviewed in this run)" in demo_setup()
    assert (sorted(Claim.objects.values_list("pk", "status", "version")),
            ReviewEvent.objects.count(), VerdictVersion.objects.count(),
            User.objects.count()) == before


def test_a_refused_step_keeps_none_of_the_demo_reviews_so_a_rerun_drives_them_all(
        monkeypatch):
    def refuse(**kwargs):
        raise review.NotAllowed("Refused for the test.")

    with monkeypatch.context() as patch:
        patch.setattr(review, "claim_publish", refuse)
        with pytest.raises(CommandError, match="none kept: Refused for the test"):
            demo_setup()
    assert not ReviewEvent.objects.exists()
    assert set(Claim.objects.values_list("status", flat=True)) == {"new"}

    demo_setup()
    assert Claim.objects.filter(status="published").count() == 2
