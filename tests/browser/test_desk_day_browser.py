"""The desk's day in Chromium, each persona starting at the inbox.

The reporter flags a claim from its page; the fact-checker sees the flag in her inbox, takes
the claim, asks an editor about it with an @mention, searches the fact-check library,
attaches an earlier fact-check and submits; the first editor sees it awaiting his approval
and sends it back with a note; the fact-checker reads the note in her inbox and resubmits;
the second editor publishes, and the first editor's request to approve is settled.

One test per persona does that persona's part in the browser, with the steps before it done
by the same services the pages call; the last test walks the whole day in the browser.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from claims import review
from claims.comments import comment_add
from claims.factchecks import factchecks_save, record_from_vclaim
from claims.models import Claim, ClaimLink, Comment, Notification, ReviewEvent, VerdictVersion
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.browser.conftest import (
    HARBOUR_CLAIM,
    HARBOUR_TEXT,
    LIBRARY_RECORDS,
    desk_members,
    expect,
    ingest_harbour_article,
    login,
    screenshot,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # UserFactory's
TEXT = HARBOUR_TEXT
EXTRACTED = HARBOUR_CLAIM
RECORDS = LIBRARY_RECORDS[:2]
FLAG_NOTE = "The senator repeats this at every hearing; can we check it before Friday?"
COMMENT = "@edith the 2021 check rated this barely true; same figure?"
SEND_BACK_NOTE = "Cite the port's own daily log, not only the earlier check."
LOG_URL = "https://records.example.org/harbour/daily-log"
RATIONALE = "The port's records show 31 ships that Monday; an earlier check found the same."


def _user(name):
    return get_user_model().objects.get(username=name)


@pytest.fixture
def claim():
    """A processed article, the desk (a reporter, a fact-checker, two editors), a library."""
    desk_members(rita=REPORTER, fiona=FACT_CHECKER, edith=EDITOR, eddie=EDITOR)
    factchecks_save([record_from_vclaim(record) for record in RECORDS])
    article = ingest_harbour_article(TEXT)
    return article.claims.get(text=EXTRACTED)


def _claim_page(claim) -> str:
    return f"/admin/claims/claim/{claim.pk}/change/"


def _open_from_inbox(page, section: str, claim) -> None:
    """Open the claim from an inbox section: the inbox is where each day starts."""
    page.goto("/admin/")
    item = page.locator(f"#inbox-{section} .inbox-item").filter(has_text=claim.said[:30])
    expect(item).to_have_count(1)
    item.locator("a").first.click()
    expect(page).to_have_url(f"{page.url.split('/admin/')[0]}{_claim_page(claim)}")


# --- each persona's part, as the pages are used -------------------------------------------

def reporter_flags(page, claim) -> None:
    login(page, "rita", PASSWORD)
    expect(page.locator("#inbox-my_flags, .inbox-empty").first).to_be_visible()
    screenshot(page, "day-1-reporter-inbox")
    page.goto("/admin/claims/claim/")
    page.locator("#result_list tbody tr").filter(has_text=claim.said[:30]) \
        .locator("th a, td a").first.click()
    expect(page.locator(".review-none").filter(has_text="Nothing for you")).to_have_count(0)
    page.fill("#id_flag_note", FLAG_NOTE)
    page.get_by_role("button", name="Flag for checking").click()
    expect(page.locator(".messagelist")).to_contain_text("lag")
    page.goto("/admin/")
    expect(page.locator("#inbox-my_flags")).to_contain_text(claim.said[:30])
    screenshot(page, "day-2-reporter-follows-her-flag")


def checker_works_and_submits(page, claim) -> None:
    login(page, "fiona", PASSWORD)
    flagged = page.locator("#inbox-flagged")
    expect(flagged).to_contain_text(claim.said[:30])
    expect(flagged).to_contain_text(FLAG_NOTE)
    screenshot(page, "day-3-checker-inbox-flag")
    _open_from_inbox(page, "flagged", claim)
    page.get_by_role("button", name="Take it").click()
    expect(page.locator(".messagelist")).to_contain_text("Take it: done")

    page.fill("#comments textarea[name=body]", COMMENT)
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments .desk-mention")).to_have_text("@edith")

    page.fill("#library-q", "port handled 40 ships in one day")
    page.locator("#library-search").get_by_role("button", name="Search").click()
    first = page.locator("#library-results .library-results li").first
    expect(first).to_contain_text("40 ships")
    # PolitiFact's "barely-true" is its old name for "Mostly False": shown in words.
    expect(first).to_contain_text("Mostly false")
    expect(first).not_to_contain_text("barely-true")
    first.get_by_role("button", name="Attach to this claim").click()
    expect(first.locator(".library-attached")).to_be_visible()

    page.fill("#id_evidence_url", LOG_URL)
    page.fill("#id_evidence_note", "The daily log lists 31 arrivals that Monday.")
    page.select_option("#id_evidence_stance", "refutes")
    page.select_option("#id_new_verdict", "mostly_false")
    page.fill("#id_new_rationale", RATIONALE)
    screenshot(page, "day-4-checker-claim-page")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".messagelist")).to_contain_text("Submit for approval: done")


def editor_sends_back(page, claim) -> None:
    login(page, "edith", PASSWORD)
    expect(page.locator("#inbox-approval")).to_contain_text(claim.said[:30])
    expect(page.locator("#inbox-mentions")).to_contain_text("2021 check")
    screenshot(page, "day-5-editor-inbox")
    _open_from_inbox(page, "approval", claim)
    expect(page.locator("#comments")).to_contain_text("2021 check")
    page.fill("#id_note", SEND_BACK_NOTE)
    page.get_by_role("button", name="Send back").click()
    expect(page.locator(".messagelist")).to_contain_text("Send back: done")


def checker_reads_the_note_and_resubmits(page, claim) -> None:
    page.goto("/admin/")
    sent_back = page.locator("#inbox-sent_back")
    expect(sent_back).to_contain_text(claim.said[:30])
    expect(sent_back).to_contain_text(SEND_BACK_NOTE)
    screenshot(page, "day-6-checker-sent-back")
    _open_from_inbox(page, "sent_back", claim)
    page.fill("#id_new_rationale", RATIONALE + " The daily log is attached as evidence.")
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.locator(".messagelist")).to_contain_text("Submit for approval: done")


def second_editor_publishes(page, claim) -> None:
    login(page, "eddie", PASSWORD)
    _open_from_inbox(page, "approval", claim)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator(".messagelist")).to_contain_text("Approve and publish: done")
    expect(page.locator(".field-review_state")).to_contain_text("Published")
    screenshot(page, "day-7-second-editor-published")


# --- the steps before a persona's part, by the services the pages call ---------------------

def _flagged(claim):
    return review.claim_flag(claim=claim, user=_user("rita"), note=FLAG_NOTE)


def _submitted(claim):
    claim = review.claim_take(claim=_flagged(claim), user=_user("fiona"))
    review.evidence_add(claim=claim, user=_user("fiona"), url=LOG_URL, stance="refutes")
    comment_add(user=_user("fiona"), body=COMMENT, claim=claim)
    return review.claim_submit(claim=Claim.objects.get(pk=claim.pk), user=_user("fiona"),
                               verdict="mostly_false", rationale=RATIONALE)


def _resubmitted(claim):
    return review.claim_submit(claim=claim, user=_user("fiona"), verdict="mostly_false",
                               rationale=RATIONALE + " With the daily log.")


# --- the tests ------------------------------------------------------------------------------

def test_the_reporter_flags_a_claim_from_its_page(new_page, claim):
    reporter_flags(new_page(), claim)

    claim.refresh_from_db()
    assert claim.flagged
    flag = ReviewEvent.objects.get(claim=claim, action=ReviewEvent.Action.FLAG)
    assert (flag.actor.username, flag.note) == ("rita", FLAG_NOTE)


def test_the_fact_checker_works_a_flag_and_answers_a_send_back(new_page, claim):
    claim = _flagged(claim)
    page = new_page()
    checker_works_and_submits(page, claim)
    review.claim_send_back(claim=Claim.objects.get(pk=claim.pk), user=_user("edith"),
                           note=SEND_BACK_NOTE)
    checker_reads_the_note_and_resubmits(page, claim)

    claim.refresh_from_db()
    assert (claim.status, claim.proposed_by.username) == ("awaiting_approval", "fiona")
    comment = Comment.objects.get(claim=claim)
    assert [u.username for u in comment.mentions.all()] == ["edith"]
    assert ClaimLink.objects.filter(claim=claim, factcheck__external_id="vclaim-pol-91001",
                                    status=ClaimLink.Status.CONFIRMED).exists()


def test_the_editors_send_back_then_publish_with_four_eyes(new_page, claim):
    claim = _submitted(claim)
    editor_sends_back(new_page(), claim)
    claim = _resubmitted(Claim.objects.get(pk=claim.pk))
    second_editor_publishes(new_page(), claim)

    version = VerdictVersion.objects.get(claim=claim)
    assert (version.proposed_by.username, version.published_by.username) == ("fiona", "eddie")
    send_back = ReviewEvent.objects.get(claim=claim, to_status="in_review",
                                        from_status="awaiting_approval")
    assert (send_back.actor.username, send_back.note) == ("edith", SEND_BACK_NOTE)


def test_the_whole_day_in_the_browser(new_page, claim):
    reporter_flags(new_page(), claim)
    checker = new_page()
    checker_works_and_submits(checker, claim)
    editor = new_page()
    editor_sends_back(editor, claim)
    checker_reads_the_note_and_resubmits(checker, claim)
    second_editor_publishes(new_page(), claim)

    # Published by the second editor: nobody is still asked to approve it.
    editor.goto("/admin/")
    expect(editor.locator("#inbox-approval")).to_have_count(0)
    assert not Notification.objects.filter(
        claim=claim, kind=Notification.Kind.APPROVAL_NEEDED, read_at__isnull=True).exists()
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED
    assert claim.verdict == "mostly_false"
    screenshot(editor, "day-8-first-editor-inbox-after")
