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


# --- the desk's conversation: each role × read the comments, post one, be mentioned ---------

PERSONAS = [*ROLES, "anonymous"]
# role → (reads the comments on a claim page, may post one, may be mentioned)
CONVERSATION = {
    REPORTER: (False, False, False),
    FACT_CHECKER: (True, True, True),
    EDITOR: (True, True, True),
    ADMIN: (True, True, True),
    "anonymous": (False, False, False),
}
MARKER = "kumquat-7c1e"  # in comments only: no claim, article or verdict contains it


def desk_client(persona) -> Client:
    return Client() if persona == "anonymous" else client_for(persona)


@pytest.fixture
def discussed(db):
    """A claim in review with a comment by its fact-checker carrying the marker."""
    from claims import comments, review
    from tests.factories import desk_user

    checker = desk_user("checker", FACT_CHECKER)
    claim = review.claim_take(claim=ClaimFactory(), user=checker)
    comments.comment_add(user=checker, claim=claim, body=f"{MARKER}: the log disagrees.")
    return claim


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_desk_reads_comments_on_the_claim_page(persona, discussed):
    response = desk_client(persona).get(reverse("admin:claims_claim_change",
                                                args=[discussed.pk]))
    reads = CONVERSATION[persona][0]
    if persona == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    else:
        assert response.status_code == 200
    html = response.content.decode()
    assert (MARKER in html) == reads
    assert ('id="comments"' in html) == reads


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_desk_posts_comments(persona, discussed):
    from claims.models import Comment

    response = desk_client(persona).post(
        reverse("admin:claims_claim_comments", args=[discussed.pk]), {"body": "My two cents."})
    posts = CONVERSATION[persona][1]
    assert Comment.objects.filter(body="My two cents.").exists() == posts
    expected = 302 if posts or persona == "anonymous" else 403
    assert response.status_code == expected


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_desk_can_be_mentioned(persona, discussed):
    from claims import comments
    from claims.models import Notification
    from tests.factories import desk_user

    name = "nobody-signed-in" if persona == "anonymous" else f"user-{persona}"
    if persona != "anonymous":
        client_for(persona)  # the user exists, in its role
    comment = comments.comment_add(user=desk_user("editor-x", EDITOR), claim=discussed,
                                   body=f"@{name} please look.")
    mentionable = CONVERSATION[persona][2]
    assert comment.mentions.filter(username=name).exists() == mentionable
    assert Notification.objects.filter(recipient__username=name,
                                       kind="mention").exists() == mentionable


def test_no_api_answer_and_no_public_page_carries_a_comment():
    """Comments on a published claim, on one in review and on a proposition: the marker is on
    the desk's claim page and in no answer of the API (anonymous, token, staff session) nor
    on the public page."""
    from claims import comments, review
    from claims.clients import client_create
    from tests.factories import desk_user, publish_claim

    checker, editor = desk_user("checker", FACT_CHECKER), desk_user("editor", EDITOR)
    published = publish_claim(ClaimFactory(), checker=checker, editor=editor)
    in_review = review.claim_take(claim=ClaimFactory(), user=checker)
    proposition = Proposition.objects.create(text=published.text, first_claim=published)
    ClaimLink.objects.create(claim=published, proposition=proposition, relation="supports",
                             score=0.9, method="test")
    for target in ({"claim": published}, {"claim": in_review}, {"proposition": proposition}):
        comments.comment_add(user=checker, body=f"{MARKER} @editor", **target)

    _, token = client_create(name="reader", scopes=["read"])
    staff = Client()
    staff.force_login(editor)
    readers = {"anonymous": Client(), "token": Client(HTTP_AUTHORIZATION=f"Bearer {token}"),
               "staff": staff}
    paths = ["/api/v1/claims/", f"/api/v1/claims/{published.pk}/",
             f"/api/v1/claims/{in_review.pk}/", f"/api/v1/claims/{published.pk}/claimreview/",
             "/api/v1/claimreview/", f"/api/v1/claimreview/{published.pk}/",
             "/api/v1/propositions/", f"/api/v1/propositions/{proposition.pk}/",
             f"/claims/{published.pk}/"]
    answered = 0
    for who, client in readers.items():
        for path in paths:
            response = client.get(path)
            assert MARKER not in response.content.decode(), (who, path)
            answered += response.status_code == 200
    assert answered >= 20  # the checks above read real answers, not just refusals
    desk_page = staff.get(reverse("admin:claims_claim_change", args=[published.pk]))
    assert MARKER in desk_page.content.decode()
