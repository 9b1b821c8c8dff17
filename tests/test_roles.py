"""Least privilege: what each role is offered and may do in the admin, action by action."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Article, Claim, ClaimLink, Proposition
from claims.roles import ADMIN, EDITOR, FACT_CHECKER, REPORTER, roles_ensure
from tests.factories import ClaimFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = [REPORTER, FACT_CHECKER, EDITOR, ADMIN]

# changelist → the actions each role is offered there (None: the page itself is refused).
OFFERED = {
    "claims_claim": {
        REPORTER: {"flag_claims"},
        FACT_CHECKER: {"take_claims", "flag_claims"},
        EDITOR: {"take_claims", "flag_claims", "dismiss_claims"},
        ADMIN: {"take_claims", "flag_claims", "dismiss_claims"},
    },
    "claims_article": {
        REPORTER: set(), FACT_CHECKER: set(), EDITOR: {"reprocess"},
        ADMIN: {"reprocess", "delete_selected"},
    },
    "claims_proposition": {
        REPORTER: None, FACT_CHECKER: set(), EDITOR: {"merge"}, ADMIN: {"merge"},
    },
    "claims_claimlink": {
        REPORTER: None, FACT_CHECKER: {"confirm", "reject"},
        EDITOR: {"confirm", "reject", "split"}, ADMIN: {"confirm", "reject", "split"},
    },
    "claims_source": {REPORTER: set(), FACT_CHECKER: set(), EDITOR: set(),
                      ADMIN: {"delete_selected"}},
    "claims_factcheck": {REPORTER: None, FACT_CHECKER: set(), EDITOR: set(),
                         ADMIN: {"delete_selected"}},
    "auth_user": {REPORTER: None, FACT_CHECKER: None, EDITOR: None, ADMIN: set()},
}


def client_for(role) -> Client:
    user = UserFactory(username=f"user-{role}", is_staff=True)
    user.groups.add(roles_ensure()[role])
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model", list(OFFERED))
def test_each_role_is_offered_exactly_its_actions(role, model):
    response = client_for(role).get(reverse(f"admin:{model}_changelist"))
    expected = OFFERED[model][role]
    if expected is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    form = response.context.get("action_form")
    offered = {name for name, _ in form.fields["action"].choices if name} if form else set()
    assert offered == expected


@pytest.mark.parametrize("role, allowed", [(REPORTER, False), (FACT_CHECKER, False),
                                           (EDITOR, True), (ADMIN, True)])
def test_a_forced_action_outside_the_role_changes_nothing(role, allowed):
    claims = [ClaimFactory() for _ in range(2)]
    client = client_for(role)
    client.post(reverse("admin:claims_claim_changelist"), {
        "action": "dismiss_claims", "_selected_action": [c.pk for c in claims],
        "reason": "Not checkable."})
    dismissed = Claim.objects.filter(status=Claim.Status.DISMISSED).count()
    assert dismissed == (2 if allowed else 0)


@pytest.mark.parametrize("role, allowed", [(REPORTER, False), (FACT_CHECKER, False),
                                           (EDITOR, True), (ADMIN, True)])
def test_only_editors_merge_propositions(role, allowed):
    one, two = (Proposition.objects.create(text=t) for t in ("A", "B"))
    client_for(role).post(reverse("admin:claims_proposition_changelist"),
                          {"action": "merge", "_selected_action": [one.pk, two.pk]})
    assert Proposition.objects.filter(merged_into__isnull=False).exists() == allowed


@pytest.mark.parametrize("role, allowed", [(REPORTER, False), (FACT_CHECKER, True),
                                           (EDITOR, True), (ADMIN, True)])
def test_link_decisions_belong_to_the_desk(role, allowed):
    link = ClaimLink.objects.create(claim=ClaimFactory(), target_claim=ClaimFactory(),
                                    relation="supports", score=0.5, method="test")
    client_for(role).post(reverse("admin:claims_claimlink_changelist"),
                          {"action": "confirm", "_selected_action": [link.pk]})
    link.refresh_from_db()
    assert (link.status == "confirmed") == allowed


@pytest.mark.parametrize("role, allowed", [(REPORTER, True), (FACT_CHECKER, False),
                                           (EDITOR, True), (ADMIN, True)])
def test_reporters_and_editors_submit_articles(role, allowed):
    response = client_for(role).post(reverse("admin:claims_article_add"), {
        "title": "Quay news", "source_name": "Harbour Times",
        "text": "The harbour master said the port handled 40 ships on Monday.",
    })
    assert response.status_code == (302 if allowed else 403)
    assert Article.objects.exists() == allowed


@pytest.mark.parametrize("role", ROLES)
def test_no_role_edits_users_or_grants_itself_more(role):
    client = client_for(role)
    user = UserFactory(username="someone")
    client.post(reverse("admin:auth_user_change", args=[user.pk]),
                {"username": "someone", "is_superuser": "on", "is_staff": "on"})
    user.refresh_from_db()
    assert not user.is_superuser


def test_migrate_creates_the_roles():
    from django.contrib.auth.models import Group

    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
