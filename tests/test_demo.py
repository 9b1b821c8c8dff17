"""`make demo`'s data: desk accounts and a review queue with claims in every state, made
through the services, and a second run that changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from claims.models import Claim, ReviewEvent, VerdictVersion

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_demo_fills_the_queue_in_every_state_and_is_idempotent(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "demo-pass-123")
    call_command("demo_setup", stdout=open("/dev/null", "w"))
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert statuses == set(Claim.Status.values)
    assert Claim.objects.filter(status="new").count() > Claim.objects.exclude(
        status="new").count()
    for version in VerdictVersion.objects.filter(correction_note=""):
        assert version.published_by_id != version.proposed_by_id  # four eyes
    assert VerdictVersion.objects.filter(corrected_at__isnull=False).count() == 1
    assert Claim.objects.filter(flagged=True).count() == 2
    touched = Claim.objects.exclude(status="new") | Claim.objects.filter(flagged=True)
    assert all(claim.events.exists() for claim in touched)
    sent_back = ReviewEvent.objects.filter(data__transition="send_back").get()
    assert sent_back.note and sent_back.claim.status == "in_review"
    User = get_user_model()
    assert {u.username: sorted(u.groups.values_list("name", flat=True))
            for u in User.objects.all()} == {
        "editor": ["Editors"], "editor2": ["Editors"], "checker": ["Fact-checkers"],
        "checker2": ["Fact-checkers"], "reporter": ["Reporters"]}

    before = (sorted(Claim.objects.values_list("pk", "status", "version")),
              ReviewEvent.objects.count())
    call_command("demo_setup", stdout=open("/dev/null", "w"))
    assert (sorted(Claim.objects.values_list("pk", "status", "version")),
            ReviewEvent.objects.count()) == before
