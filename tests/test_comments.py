"""The desk's conversation: comments on a claim or proposition, @mentions, the trail entry,
the claim page's section and its form (outside the review form), hostile input."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import comments, review
from claims.models import COMMENT_MAX, Comment, Notification, Proposition, ReviewEvent
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ClaimFactory, desk_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(db):
    return {name: desk_user(name, role) for name, role in [
        ("rita", REPORTER), ("fiona", FACT_CHECKER), ("felix", FACT_CHECKER),
        ("edith", EDITOR), ("eric", EDITOR)]}


@pytest.fixture
def claim(db):
    return ClaimFactory()


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page(claim) -> str:
    return reverse("admin:claims_claim_change", args=[claim.pk])


def post_url(claim) -> str:
    return reverse("admin:claims_claim_comments", args=[claim.pk])


def test_it_keeps_the_comment_with_its_author_and_a_trail_entry(desk, claim):
    comment = comments.comment_add(user=desk["fiona"], claim=claim, body="  Check the log.  ")
    assert comment.body == "Check the log." and comment.author == desk["fiona"]
    event = ReviewEvent.objects.get(claim=claim, action=ReviewEvent.Action.NOTE)
    assert event.data == {"comment": comment.pk} and event.actor == desk["fiona"]
    assert event.note == "Check the log."


def test_a_comment_does_not_move_the_claims_version(desk, claim):
    """An editor with the review form open saves it afterwards without a conflict."""
    before = claim.version
    comments.comment_add(user=desk["edith"], claim=claim, body="Looks checkable.")
    claim.refresh_from_db()
    assert claim.version == before


def test_it_rejects_an_empty_comment(desk, claim):
    with pytest.raises(review.Incomplete, match="Write something"):
        comments.comment_add(user=desk["fiona"], claim=claim, body=" \n\t ")
    assert not Comment.objects.exists()


def test_it_rejects_an_oversize_comment_saying_the_limit(desk, claim):
    with pytest.raises(review.Incomplete, match=f"at most {COMMENT_MAX}"):
        comments.comment_add(user=desk["fiona"], claim=claim, body="x" * (COMMENT_MAX + 1))
    assert not Comment.objects.exists()


def test_line_breaks_sent_by_a_browser_count_once(desk, claim):
    body = ("a" * 99 + "\r\n") * 50  # 5000 characters as typed, 5050 as sent
    comment = comments.comment_add(user=desk["fiona"], claim=claim, body=body)
    assert "\r" not in comment.body and len(comment.body) <= COMMENT_MAX


def test_it_refuses_reporters_and_staff_without_a_role(desk, claim):
    nobody = desk_user("nora")
    for user in (desk["rita"], nobody):
        with pytest.raises(review.NotAllowed):
            comments.comment_add(user=user, claim=claim, body="Let me in.")
    assert not Comment.objects.exists()


def test_mentions_reach_desk_members_who_may_read_the_claim(desk, claim):
    comment = comments.comment_add(
        user=desk["fiona"], claim=claim,
        body="@edith can you look? @rita flagged it; @ghost is nobody; mail me@fiona.example")
    assert list(comment.mentions.all()) == [desk["edith"]]
    assert Notification.objects.get(kind="mention").recipient == desk["edith"]


def test_a_mention_ends_at_a_sentence_and_matches_case_unambiguously(desk, claim):
    comment = comments.comment_add(user=desk["fiona"], claim=claim,
                                   body="Ask @Eric. Or @felix, then @edith!")
    assert {u.username for u in comment.mentions.all()} == {"eric", "felix", "edith"}


def test_inactive_people_are_not_mentioned(desk, claim):
    desk["eric"].is_active = False
    desk["eric"].save()
    comment = comments.comment_add(user=desk["fiona"], claim=claim, body="@eric?")
    assert not comment.mentions.exists() and not Notification.objects.exists()


def test_mentioning_yourself_notifies_nobody(desk, claim):
    comments.comment_add(user=desk["fiona"], claim=claim, body="Note to @fiona: log.")
    assert not Notification.objects.exists()


def test_comments_on_a_proposition_stay_out_of_claim_trails(desk):
    proposition = Proposition.objects.create(text="The port handled 40 ships.")
    comment = comments.comment_add(user=desk["edith"], proposition=proposition,
                                   body="@fiona these are the same story.")
    assert comment.proposition == proposition and not ReviewEvent.objects.exists()
    assert Notification.objects.get().proposition == proposition


def test_the_conversation_is_listed_oldest_first_in_constant_queries(desk, claim):
    def count_for(n):
        for i in range(n):
            comments.comment_add(user=desk["fiona"], claim=claim, body=f"{i} @edith @eric")
        with CaptureQueriesContext(connection) as queries:
            rows = [(c.author.username, [u.username for u in c.mentions.all()],
                     comments.comment_pieces(c)) for c in comments.comments_for(claim=claim)]
        return len(queries), rows

    few, rows = count_for(2)
    many, rows = count_for(20)
    assert few == many == 2
    assert [r[2][0].text for r in rows[:3]] == ["0 ", "1 ", "0 "]


def test_only_mentions_that_reached_someone_are_highlighted(desk, claim):
    comment = comments.comment_add(user=desk["fiona"], claim=claim,
                                   body="@edith and @ghost")
    pieces = comments.comment_pieces(comment)
    assert [(p.text, p.mention) for p in pieces] == [
        ("@edith", True), (" and @ghost", False)]


# --- the pages ------------------------------------------------------------------------------


def test_the_claim_page_shows_the_conversation_below_and_outside_the_review_form(desk, claim):
    comments.comment_add(user=desk["fiona"], claim=claim, body="First @edith")
    html = client_of(desk["edith"]).get(page(claim)).content.decode()
    review_form_end = html.index("</form>", html.index('id="claim_form"'))
    section = html.index('id="comments"')
    assert review_form_end < section  # not nested in the admin's form
    assert 'class="desk-mention">@edith</span>' in html
    assert "fiona" in html[section:] and "desk.js" in html[section:]


def test_hostile_text_in_a_comment_is_escaped(desk, claim):
    comments.comment_add(user=desk["fiona"], claim=claim,
                         body='<script>alert(1)</script> <img src=x onerror=alert(2)> @edith')
    html = client_of(desk["edith"]).get(page(claim)).content.decode()
    section = html[html.index('id="comments"'):]
    assert "<script>alert(1)" not in section and "<img src=x" not in section
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section


def test_a_plain_post_adds_the_comment_and_comes_back_to_the_conversation(desk, claim):
    response = client_of(desk["fiona"]).post(post_url(claim), {"body": "Posted plainly."})
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    assert Comment.objects.get().body == "Posted plainly."


def test_a_fetch_post_answers_the_section_with_the_new_comment(desk, claim):
    response = client_of(desk["fiona"]).post(post_url(claim), {"body": "Fetched @eric"},
                                             HTTP_X_REQUESTED_WITH="fetch")
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith("<link")
    assert 'id="comments"' in html and "Fetched" in html and "csrfmiddlewaretoken" in html


def test_a_refused_fetch_post_keeps_the_typed_text_and_says_why(desk, claim):
    too_long = "y" * (COMMENT_MAX + 1)
    response = client_of(desk["fiona"]).post(post_url(claim), {"body": too_long},
                                             HTTP_X_REQUESTED_WITH="fetch")
    html = response.content.decode()
    assert response.status_code == 400 and f"at most {COMMENT_MAX}" in html
    assert too_long in html and not Comment.objects.exists()


def test_an_empty_plain_post_says_why(desk, claim):
    client = client_of(desk["fiona"])
    response = client.post(post_url(claim), {"body": "   "}, follow=True)
    assert "Write something" in response.content.decode()
    assert not Comment.objects.exists()


def test_posting_needs_the_csrf_token(desk, claim):
    client = Client(enforce_csrf_checks=True)
    client.force_login(desk["fiona"])
    assert client.post(post_url(claim), {"body": "No token."}).status_code == 403
    assert not Comment.objects.exists()


def test_reading_the_comments_url_is_not_a_way_in(desk, claim):
    assert client_of(desk["fiona"]).get(post_url(claim)).status_code == 405


def test_the_proposition_page_has_its_conversation(desk):
    proposition = Proposition.objects.create(text="The port handled 40 ships.")
    url = reverse("admin:claims_proposition_comments", args=[proposition.pk])
    assert client_of(desk["felix"]).post(url, {"body": "Same as last week."}).status_code == 302
    html = client_of(desk["edith"]).get(
        reverse("admin:claims_proposition_change", args=[proposition.pk])).content.decode()
    assert 'id="comments"' in html and "Same as last week." in html


def test_the_claim_page_costs_the_same_queries_with_2_or_20_comments(desk, claim):
    client = client_of(desk["edith"])

    def queries_with(n):
        for i in range(n - Comment.objects.count()):
            comments.comment_add(user=desk["fiona"], claim=claim, body=f"{i} @edith @eric")
        client.get(page(claim))  # warm: sessions, permission caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(claim)).status_code == 200
        return len(queries)

    # The trail lists one row per comment too: it is fetched in one query as well.
    assert queries_with(2) == queries_with(20)
