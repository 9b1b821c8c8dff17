"""The conversation on the claim page in Chromium: a comment posted with fetch() appears in
place, its mention highlighted, its markup shown as text, and the review form above keeps
what was typed and not saved."""

from __future__ import annotations

import pytest

from tests.browser.conftest import desk_members, expect, login, screenshot

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "correct horse battery staple"


def test_a_comment_posts_in_place_and_keeps_the_unsaved_review(new_page):
    from django.contrib.auth import get_user_model

    from claims import review
    from claims.models import Comment, Notification
    from claims.roles import EDITOR, FACT_CHECKER
    from tests.factories import ClaimFactory

    desk_members(fiona=FACT_CHECKER, edith=EDITOR)
    fiona = get_user_model().objects.get(username="fiona")
    claim = review.claim_take(claim=ClaimFactory(), user=fiona)
    url = f"/admin/claims/claim/{claim.pk}/change/"

    page = new_page()
    login(page, "fiona", PASSWORD)
    page.goto(url)
    page.fill("#id_new_rationale", "Half written, not saved yet.")
    page.fill("#comments textarea[name=body]",
              "@edith is this the 2021 log? <b>not bold</b>\nSecond line.")
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments .desk-comment")).to_have_count(1)
    expect(page.locator("#comments .desk-mention")).to_have_text("@edith")
    expect(page.locator("#comments .desk-comment-body")).to_contain_text("<b>not bold</b>")
    assert page.locator("#comments .desk-comment-body b").count() == 0
    # No navigation: the review form still holds the unsaved text.
    expect(page.locator("#id_new_rationale")).to_have_value("Half written, not saved yet.")
    expect(page.locator("#comments textarea[name=body]")).to_have_value("")
    screenshot(page, "conversation-posted")

    # An empty comment is refused in place, the review form untouched.
    page.get_by_role("button", name="Post comment").click()
    expect(page.locator("#comments .desk-error")).to_contain_text("Write something")
    expect(page.locator("#id_new_rationale")).to_have_value("Half written, not saved yet.")
    assert Comment.objects.count() == 1
    assert Notification.objects.get().recipient.username == "edith"

    other = new_page()
    login(other, "edith", PASSWORD)
    other.goto(url)
    expect(other.locator("#comments .desk-comment-meta")).to_contain_text("fiona")
    expect(other.locator("#comments .desk-mention")).to_have_text("@edith")
    screenshot(other, "conversation-seen-by-editor")
