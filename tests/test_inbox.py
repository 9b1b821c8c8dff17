"""The inbox, each desk member's landing page: every section for the right person and no one
else, the send-back note, "new since I last looked", the count in every page's header, and a
constant number of queries however much is waiting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import review
from claims.comments import comment_add
from claims.inbox import SECTION_LIMIT, inbox_counts, inbox_for
from claims.models import Claim, Comment, DeskProfile, Notification, ReviewEvent
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ArticleFactory, ClaimFactory, publish_claim

pytestmark = pytest.mark.django_db

INBOX = reverse("admin:index")
QUEUE = reverse("admin:claims_claim_changelist")
S = Claim.Status
SEND_BACK_NOTE = "Cite the port authority's own log, not the <blog> that quotes it."


def claim_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


@pytest.fixture
def people(desk_people):
    """The desk: a reporter, two fact-checkers and two editors, each with a signed-in
    client."""
    return desk_people([
        ("reporter", REPORTER), ("checker", FACT_CHECKER), ("checker2", FACT_CHECKER),
        ("editor", EDITOR), ("editor2", EDITOR)])


def submit(claim, user, verdict="false"):
    review.claim_take(claim=claim, user=user)
    review.evidence_add(claim=claim, user=user, url="https://records.example.org/log",
                        note="The daily log", stance="refutes")
    return review.claim_submit(claim=claim, user=user, verdict=verdict,
                               rationale="The port's log shows 31 ships.")


@pytest.fixture
def desk(people):
    """One claim in each state an inbox shows, made through the services as the desk would."""
    users = {name: user for name, (user, _) in people.items()}
    checker, checker2 = users["checker"], users["checker2"]
    editor, editor2, reporter = users["editor"], users["editor2"], users["reporter"]

    assigned = ClaimFactory(checkworthiness=0.6)
    review.claim_take(claim=assigned, user=checker)

    sent_back = submit(ClaimFactory(checkworthiness=0.5), checker)
    review.claim_send_back(claim=sent_back, user=editor, note=SEND_BACK_NOTE)

    by_checker2 = submit(ClaimFactory(), checker2)
    by_editor = submit(ClaimFactory(), editor)

    corrected = publish_claim(ClaimFactory(), checker=checker, editor=editor2)
    review.claim_correct(claim=corrected, user=editor, verdict="mostly_false",
                         rationale="The log was revised: 29 ships.", note="Revised log")

    flagged = ClaimFactory(checkworthiness=0.2)
    review.claim_flag(claim=flagged, user=reporter, note="Readers keep asking about this one")

    comment = comment_add(user=checker, claim=assigned,
                          body="@checker2 have you seen the second log? It disagrees.")
    article = ArticleFactory(submitted_by=reporter, title="Port strike, day two")
    return {"assigned": assigned, "sent_back": sent_back, "by_checker2": by_checker2,
            "by_editor": by_editor, "corrected": corrected, "flagged": flagged,
            "comment": comment, "article": article}


def section_ids(user, key):
    """The ids of the items ``user``'s inbox shows in ``key``; None when it has no such
    section."""
    sections = {section.key: section for section in inbox_for(user=user).sections}
    if key not in sections:
        return None
    return {item.pk for item in sections[key].items}


def page(client):
    response = client.get(INBOX)
    assert response.status_code == 200
    return response.content.decode()


def test_it_lists_a_claim_in_review_for_its_assignee_alone(people, desk):
    assert section_ids(people["checker"][0], "assigned") == {desk["assigned"].pk}
    assert section_ids(people["checker2"][0], "assigned") == set()
    assert section_ids(people["editor"][0], "assigned") == set()
    assert section_ids(people["reporter"][0], "assigned") is None


def test_it_shows_the_send_back_note_and_who_wrote_it_to_the_proposer(people, desk):
    checker, client = people["checker"]
    assert section_ids(checker, "sent_back") == {desk["sent_back"].pk}
    # Sent back is its own section, not again under "assigned to me".
    assert desk["sent_back"].pk not in section_ids(checker, "assigned")
    html = page(client)
    section = html[html.index('id="inbox-sent_back"'):html.index('id="inbox-assigned"')]
    assert "Cite the port authority&#x27;s own log, not the &lt;blog&gt; that quotes it." \
        in section
    assert "<blog>" not in html
    assert "— editor" in section
    assert claim_url(desk["sent_back"]) in section


def test_nobody_else_sees_the_send_back_note(people, desk):
    for name in ("checker2", "editor2", "reporter"):
        _, client = people[name]
        assert "port authority" not in page(client), name
        assert section_ids(people[name][0], "sent_back") in (set(), None)


def test_awaiting_approval_leaves_out_the_editors_own_proposals(people, desk):
    expected = {"editor": {desk["by_checker2"].pk},
                "editor2": {desk["by_checker2"].pk, desk["by_editor"].pk}}
    for name, ids in expected.items():
        assert section_ids(people[name][0], "approval") == ids, name
    # Only those who may publish have the section at all.
    for name in ("checker", "checker2", "reporter"):
        assert section_ids(people[name][0], "approval") is None, name


def test_a_correction_waits_for_another_editor_only(people, desk):
    assert section_ids(people["editor2"][0], "corrections") == {desk["corrected"].pk}
    assert section_ids(people["editor"][0], "corrections") == set()
    for name in ("checker", "reporter"):
        assert section_ids(people[name][0], "corrections") is None, name
    html = page(people["editor2"][1])
    assert "False → Mostly false, proposed by editor" in html


def test_a_flag_reaches_those_who_can_take_it_until_someone_does(people, desk):
    flagged = desk["flagged"]
    for name in ("checker", "checker2", "editor", "editor2"):
        assert section_ids(people[name][0], "flagged") == {flagged.pk}, name
    assert section_ids(people["reporter"][0], "flagged") is None
    html = page(people["checker2"][1])
    section = html[html.index('id="inbox-flagged"'):]
    assert "Readers keep asking about this one" in section and "— reporter" in section

    review.claim_take(claim=flagged, user=people["checker2"][0])
    assert section_ids(people["checker"][0], "flagged") == set()
    assert section_ids(people["checker2"][0], "assigned") == {flagged.pk}


def test_a_mention_shows_the_comment_and_is_read_once_opened(people, desk):
    checker2, client = people["checker2"]
    mentions = {section.key: section for section in inbox_for(user=checker2).sections}[
        "mentions"]
    [notification] = mentions.items
    assert notification.comment_id == desk["comment"].pk
    html = page(client)
    assert "have you seen the second log? It disagrees." in html
    opened = reverse("desk-inbox-open", args=[notification.pk])
    assert opened in html

    # Nobody else may open (and so mark read) it.
    assert people["checker"][1].get(opened).status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None

    response = client.get(opened)
    assert response.status_code == 302
    assert response["Location"] == (f"{claim_url(desk['assigned'])}"
                                    f"#comment-{desk['comment'].pk}")
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert section_ids(checker2, "mentions") == set()


def test_only_the_mentioned_person_has_the_mention(people, desk):
    for name in ("checker", "editor", "editor2"):
        assert section_ids(people[name][0], "mentions") == set(), name
    # Reporters may not read comments: no section, so no excerpt of one.
    assert section_ids(people["reporter"][0], "mentions") is None
    assert "second log" not in page(people["reporter"][1])


def test_other_notifications_are_listed_and_mark_all_read_clears_them(people, desk):
    editor2, client = people["editor2"]
    kinds = set(Notification.objects.filter(recipient=editor2, read_at__isnull=True)
                .values_list("kind", flat=True))
    assert Notification.Kind.APPROVAL_NEEDED in kinds
    listed = section_ids(editor2, "notifications")
    assert listed and listed == set(Notification.objects.filter(
        recipient=editor2, read_at__isnull=True).exclude(kind="mention")
        .values_list("pk", flat=True))

    refused = Client(enforce_csrf_checks=True)
    refused.force_login(editor2)
    assert refused.post(reverse("desk-inbox-read")).status_code == 403
    assert client.get(reverse("desk-inbox-read")).status_code == 405

    response = client.post(reverse("desk-inbox-read"))
    assert response.status_code == 302 and response["Location"] == INBOX
    assert not Notification.objects.filter(recipient=editor2, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=people["checker2"][0],
                                       read_at__isnull=True).exists()
    assert section_ids(editor2, "notifications") == set()


def test_a_kind_turned_off_in_the_app_is_neither_listed_nor_counted(people, desk):
    editor2 = people["editor2"][0]
    before = inbox_counts(user=editor2).counts["notifications"]
    assert before > 0
    DeskProfile.objects.update_or_create(user=editor2, defaults={"in_app": ["mention"]})
    assert inbox_counts(user=editor2).counts["notifications"] == 0
    assert section_ids(editor2, "notifications") == set()
    # Looking at the inbox moves only when it was last seen, never the person's choices.
    page(people["editor2"][1])
    profile = DeskProfile.objects.get(user=editor2)
    assert profile.in_app == ["mention"] and profile.inbox_seen_at is not None


def test_a_reporter_lands_on_the_inbox_with_their_flags_and_articles(people, desk):
    reporter, client = people["reporter"]
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == INBOX
    assert response.templates[0].name == "admin/claims/index.html"
    keys = [section.key for section in inbox_for(user=reporter).sections]
    assert keys == ["notifications", "my_flags", "my_articles"]
    assert section_ids(reporter, "my_flags") == {desk["flagged"].pk}
    assert section_ids(reporter, "my_articles") == {desk["article"].pk}
    html = response.content.decode()
    assert "Port strike, day two" in html and "Claims I flagged" in html
    # Nothing of a review in progress: no verdicts being worked on, no comments, no notes.
    for secret in ("Awaiting my approval", "Mostly false", "second log", "port authority"):
        assert secret not in html, secret
    # The app list is still there, folded below.
    assert "All models" in html and reverse("admin:claims_claim_changelist") in html
    # And the day's two ways on sit on top: the claims to read and flag, submitting an article.
    shortcuts = html.split('class="desk-link"', 1)[1].split("</p>", 1)[0]
    assert reverse("admin:claims_claim_changelist") in shortcuts
    assert reverse("admin:claims_article_add") in shortcuts


def test_others_do_not_see_a_reporters_flags_and_articles_as_theirs(people, desk):
    assert section_ids(people["checker"][0], "my_flags") == set()
    assert section_ids(people["checker"][0], "my_articles") is None
    assert section_ids(people["editor"][0], "my_articles") == set()


def test_it_marks_what_arrived_since_i_last_looked(people, desk):
    checker, client = people["checker"]
    first = inbox_for(user=checker)
    assert first.seen_at is None and first.new >= 2  # never looked: everything is new
    page(client)
    seen = DeskProfile.objects.get(user=checker).inbox_seen_at
    assert seen is not None
    assert inbox_for(user=checker).new == 0

    later = ClaimFactory()
    review.claim_assign(claim=later, user=people["editor"][0], assignee=checker)
    box = inbox_for(user=checker)
    assigned = {s.key: s for s in box.sections}["assigned"]
    assert [item.pk for item in assigned.items if item.is_new] == [later.pk]
    assert box.new == 2  # the claim, and the notification that it was assigned
    assert "2 new</strong> since you last looked" in page(client)
    assert inbox_for(user=checker).new == 0


def test_the_header_counts_the_inbox_on_other_pages(people, desk):
    editor2, client = people["editor2"]
    counts = inbox_counts(user=editor2)
    assert counts.counts["approval"] == 2 and counts.counts["corrections"] == 1
    assert counts.counts["flagged"] == 1 and counts.counts["notifications"] == 3
    # Each thing once: the three "awaiting your approval" notifications are about the claims
    # the approval and correction sections already count.
    assert counts.total == 4
    for url in (QUEUE, claim_url(desk["by_editor"]), reverse("admin:claims_dashboard")):
        html = client.get(url).content.decode()
        assert f'Inbox (<strong>{counts.total}</strong>)' in html, url
        assert "2 awaiting my approval" in html, url

    # Counted afresh on each page: nothing kept that could go stale.
    review.claim_publish(claim=desk["by_checker2"], user=editor2)
    total = inbox_counts(user=editor2).total
    assert total < counts.total
    assert f'Inbox (<strong>{total}</strong>)' in client.get(QUEUE).content.decode()


def test_a_reporters_header_counts_only_their_notifications(people, desk):
    reporter, client = people["reporter"]
    assert 'Inbox (<strong>0</strong>)' in client.get(QUEUE).content.decode()
    Notification.objects.create(recipient=reporter, kind=Notification.Kind.TAKEN_OVER,
                                text="Something for the reporter")
    assert 'Inbox (<strong>1</strong>)' in client.get(QUEUE).content.decode()


def test_a_take_over_notice_counts_in_the_header_of_the_one_taken_from(people, desk):
    checker = people["checker"][0]
    before = inbox_counts(user=checker).total
    review.claim_assign(claim=desk["assigned"], user=people["editor"][0],
                        assignee=people["checker2"][0])
    after = inbox_counts(user=checker)
    # The claim left "assigned to me"; the notice that it was taken over arrived.
    assert after.counts["assigned"] == 0 and after.unread[Notification.Kind.TAKEN_OVER] == 1
    assert after.total == before


def test_the_counts_are_one_query(people, desk, django_assert_num_queries):
    editor2 = people["editor2"][0]
    editor2.has_perm("claims.view_claim")  # the permissions, loaded once per request
    with django_assert_num_queries(1):
        counts = inbox_counts(user=editor2)
    assert counts.counts["approval"] == 2


def test_anonymous_visitors_are_sent_to_the_login(people, desk):
    notification = Notification.objects.first()
    for url in (INBOX, reverse("desk-inbox-open", args=[notification.pk])):
        response = Client().get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    response = Client().post(reverse("desk-inbox-read"))
    assert response.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).exists()


def test_a_section_lists_at_most_its_limit_and_links_to_the_rest(people):
    checker, client = people["checker"]
    for _ in range(SECTION_LIMIT + 3):
        ClaimFactory(status=S.IN_REVIEW, assigned_to=checker)
    assigned = {s.key: s for s in inbox_for(user=checker).sections}["assigned"]
    assert (assigned.count, len(assigned.items), assigned.more) == (
        SECTION_LIMIT + 3, SECTION_LIMIT, 3)
    assert "3 more in the queue" in page(client)


# --- a constant number of queries --------------------------------------------------------------

def fill(count, *, me, other_checker, other_editor):
    """``count`` items in every section of ``me``'s inbox (an editor's, which has them all)."""
    now = timezone.now()
    for i in range(count):
        ClaimFactory(status=S.IN_REVIEW, assigned_to=me, checkworthiness=i / count)
        sent_back = ClaimFactory(status=S.IN_REVIEW, assigned_to=me, proposed_by=me,
                                 verdict="false", rationale="r", proposed_at=now)
        ReviewEvent.objects.create(claim=sent_back, actor=other_editor, note=f"fix {i}",
                                   from_status=S.AWAITING_APPROVAL, to_status=S.IN_REVIEW)
        ClaimFactory(status=S.AWAITING_APPROVAL, verdict="false", rationale="r",
                     proposed_by=other_checker, proposed_at=now)
        ClaimFactory(status=S.PUBLISHED, verdict="false", rationale="r", published_at=now,
                     correction_verdict="true", correction_rationale="r",
                     correction_note="n", correction_proposed_by=other_editor,
                     correction_proposed_at=now)
        flagged = ClaimFactory(flagged=True)
        ReviewEvent.objects.create(claim=flagged, actor=me, action=ReviewEvent.Action.FLAG)
        comment = Comment.objects.create(claim=flagged, author=other_checker,
                                         body=f"@{me.username} look {i}")
        Notification.objects.create(recipient=me, kind="mention", actor=other_checker,
                                    claim=flagged, comment=comment, text="mentioned you")
        Notification.objects.create(recipient=me, kind="assigned", actor=other_editor,
                                    claim=flagged, text="assigned to you",
                                    created_at=now - timedelta(minutes=i))
        ArticleFactory(submitted_by=me)


def queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [INBOX, QUEUE])
def test_the_inbox_and_the_queue_cost_the_same_queries_for_5_and_50_items(people, url):
    (me, client), other_checker, other_editor = (
        people["editor"], people["checker"][0], people["editor2"][0])
    fill(5, me=me, other_checker=other_checker, other_editor=other_editor)
    client.get(url)  # the first visit creates the desk profile
    few = queries(client, url)
    fill(45, me=me, other_checker=other_checker, other_editor=other_editor)
    many = queries(client, url)
    assert many == few, f"{few} queries for 5 items but {many} for 50 ({url})"
    counts = inbox_counts(user=me).counts
    assert {counts[key] for key in ("sent_back", "assigned", "approval", "corrections",
                                    "flagged", "mentions", "my_flags", "my_articles")} == {50}
