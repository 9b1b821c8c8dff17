"""The claim page's fact-check library search in a real browser: the fact-checker searches
the library from the claim page, attaches an earlier fact-check, and the "Previously
fact-checked" list shows it at once, while what she typed in the review form and did not save
is still there and still saves."""

import pytest

from claims import review
from claims.factchecks import factchecks_save, record_from_vclaim
from claims.models import Claim, ClaimLink
from claims.roles import FACT_CHECKER
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
RECORDS = LIBRARY_RECORDS


@pytest.fixture
def claim():
    desk_members(fiona=FACT_CHECKER)
    factchecks_save([record_from_vclaim(record) for record in RECORDS])
    article = ingest_harbour_article(TEXT)
    claim = article.claims.get(text=EXTRACTED)
    from django.contrib.auth import get_user_model

    return review.claim_take(claim=claim, user=get_user_model().objects.get(username="fiona"))


def test_a_fact_checker_attaches_an_earlier_fact_check_without_losing_her_draft(page, claim):
    login(page, "fiona", PASSWORD)
    page.goto(f"/admin/claims/claim/{claim.pk}/change/")
    rationale = "The harbour log for Monday lists 31 arrivals, not 40."
    page.fill("#id_new_rationale", rationale)  # typed, not saved

    box = page.locator("#library-q")
    expect(box).to_have_value(EXTRACTED)  # prefilled with the claim's statement
    page.locator("#library-search").get_by_role("button", name="Search").click()
    first = page.locator(".library-results li").first
    expect(first).to_contain_text("The port handled 40 ships in one day.")
    expect(first).to_contain_text("Mostly false")  # barely-true, in words
    expect(first).to_contain_text("PolitiFact, reviewed 9 Mar 2021")
    expect(first).to_contain_text("said by Jane Roe")
    screenshot(page, "library-search-results")

    # Matching suggested it already: attaching confirms the suggestion, in place.
    listed = page.locator("#previously-checked")
    expect(listed.get_by_role("button", name="confirm")).to_have_count(1)
    first.get_by_role("button", name="Attach to this claim").click()
    expect(listed).to_contain_text("confirmed")
    expect(listed.get_by_role("button", name="confirm")).to_have_count(0)
    expect(listed).to_contain_text("The port handled 40 ships in one day.")
    expect(first.locator(".library-attached")).to_have_text("attached")
    expect(page.locator("#library-search .library-status")).to_contain_text(
        "Earlier fact-check attached")
    # One matching did not suggest: attached by the desk, listed beside the first.
    other = page.locator(".library-results li", has_text="Ships wait three days")
    other.get_by_role("button", name="Attach to this claim").click()
    expect(listed).to_contain_text("attached by the desk")
    expect(listed.locator("li")).to_have_count(2)
    # No page load happened: what was typed is still in the review form.
    expect(page.locator("#id_new_rationale")).to_have_value(rationale)
    screenshot(page, "library-attached")

    link = ClaimLink.objects.get(claim=claim, factcheck__external_id="vclaim-pol-91001")
    assert link.status == "confirmed" and link.decided_by.username == "fiona"

    # The attachment did not move the claim's version: the typed draft still saves.
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".messagelist")).to_contain_text("Draft saved")
    assert Claim.objects.get(pk=claim.pk).rationale == rationale
