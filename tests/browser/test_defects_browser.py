"""The defects of issue 16 fixed, seen in a browser: a reporter flags from the claim page; an
editor is offered "Take over from fiona", not a silent "Take it"; the proposing editor reads
why there is no Publish button; a published claim links to its public page and offers its
correction empty; the article page marks its claims; the public page has an icon."""

import pytest

from claims import review
from claims.models import Claim, Evidence
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.browser.conftest import desk_members, expect, ingest_harbour_article, login, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # UserFactory's
TEXT = (
    "The harbour master said on Monday that the port handled 40 ships in a single day. "
    "Opposition councillors claimed that the figures were inflated to win a grant. "
    "The mayor denied that any records had been changed."
)


@pytest.fixture
def desk():
    desk_members(rita=REPORTER, fiona=FACT_CHECKER, edith=EDITOR, eric=EDITOR)
    return ingest_harbour_article(TEXT)


def user(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def test_the_claim_article_and_public_pages_after_the_fixes(new_page, desk):
    first, second, third = Claim.objects.filter(article=desk).order_by("start")[:3]

    # A reporter flags from the claim page, with a note.
    reporter = new_page()
    login(reporter, "rita", PASSWORD)
    reporter.goto(f"/admin/claims/claim/{first.pk}/change/")
    reporter.fill("#id_flag_note", "Readers keep asking about this figure.")
    screenshot(reporter, "defects-1-reporter-flag")
    reporter.get_by_role("button", name="Flag for checking").click()
    expect(reporter.locator(".messagelist")).to_contain_text("Flagged for checking")
    expect(reporter.locator(".review-actions")).to_contain_text("Flagged for checking.")
    first.refresh_from_db()
    assert first.flagged and first.events.get().note == "Readers keep asking about this figure."

    # A claim in fiona's review: the editor is offered the take-over, naming her.
    review.claim_take(claim=second, user=user("fiona"))
    editor = new_page()
    login(editor, "edith", PASSWORD)
    editor.goto(f"/admin/claims/claim/{second.pk}/change/")
    actions = editor.locator(".review-actions")
    expect(actions.get_by_role("button", name="Take over from fiona")).to_be_visible()
    expect(actions.get_by_role("button", name="Take it")).to_have_count(0)
    screenshot(editor, "defects-2-take-over")
    actions.get_by_role("button", name="Take over from fiona").click()
    expect(editor.locator(".messagelist")).to_contain_text("Taken over")
    second.refresh_from_db()
    assert second.assigned_to.username == "edith"

    # Edith proposes a verdict herself: no Publish button, and the page says why.
    review.evidence_add(claim=second, user=user("edith"), url="https://port.example/log")
    review.claim_submit(claim=second, user=user("edith"), verdict="mostly_true",
                        rationale="The log shows 38 ships.")
    editor.goto(f"/admin/claims/claim/{second.pk}/change/")
    expect(actions).to_contain_text("You proposed this verdict; another editor must approve it.")
    expect(actions.get_by_role("button", name="Approve and publish")).to_have_count(0)
    screenshot(editor, "defects-3-four-eyes")

    # Eric publishes; the page links to the public page and offers no pre-filled correction.
    review.claim_publish(claim=second, user=user("eric"))
    Evidence.objects.create(claim=second, url="http://127.0.0.1/admin", note="Stored before")
    other = new_page()
    login(other, "eric", PASSWORD)
    other.goto(f"/admin/claims/claim/{second.pk}/change/")
    expect(other.get_by_role("button", name="Save draft")).to_have_count(0)
    expect(other.locator(".field-public_page a")).to_have_attribute(
        "href", f"/claims/{second.pk}/")
    expect(other.locator(".field-evidence_list")).to_contain_text("not a public address")
    other.get_by_text("Propose a correction").first.click()
    expect(other.locator("#id_new_rationale")).to_have_value("")
    screenshot(other, "defects-4-published")

    # The article page marks each claim in its text, linking to it.
    other.goto(f"/admin/claims/article/{desk.pk}/change/")
    marks = other.locator("a.claim-span mark")
    expect(marks).to_have_count(Claim.objects.filter(article=desk).count())
    expect(other.locator(f'a.claim-span[href="/admin/claims/claim/{third.pk}/change/"]')
           ).to_be_visible()
    screenshot(other, "defects-5-article")

    # The public page: the verdict, no private link, an icon that loads.
    public = new_page()
    public.goto(f"/claims/{second.pk}/")
    expect(public.locator("h1")).to_contain_text("Mostly true")
    expect(public.locator('a[href^="http://127.0.0.1"]')).to_have_count(0)
    icon = public.request.get("/favicon.ico")
    assert icon.ok and icon.headers["content-type"] in ("image/x-icon",
                                                        "image/vnd.microsoft.icon")
    screenshot(public, "defects-6-public")
