"""The review workflow in a real browser: a fact-checker takes a claim from the queue,
researches and submits it; an editor approves and publishes; the queue shows it published."""


import pytest

from claims.models import Claim, VerdictVersion
from claims.roles import EDITOR, FACT_CHECKER
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
    desk_members(fiona=FACT_CHECKER, edith=EDITOR)
    return ingest_harbour_article(TEXT)


def test_a_claim_is_taken_researched_submitted_approved_and_published(new_page, desk):
    claim = Claim.objects.filter(article=desk).order_by("-priority").first()

    # The fact-checker: queue → claim → take → evidence, verdict, rationale → submit.
    checker = new_page()
    login(checker, "fiona", PASSWORD)
    checker.goto("/admin/claims/claim/?status__exact=new")
    rows = checker.locator("#result_list tbody tr")
    expect(rows.first).to_be_visible()
    screenshot(checker, "review-1-queue")
    rows.filter(has_text=claim.text[:40]).locator("th a, td a").first.click()
    expect(checker.locator(".claim-context mark")).to_have_text(claim.text)
    checker.get_by_role("button", name="Take it").click()
    expect(checker.locator(".messagelist")).to_contain_text("Take it: done")

    checker.fill("#id_evidence_url", "https://records.example.org/harbour/daily-log")
    checker.fill("#id_evidence_note", "The daily log lists 31 arrivals that Monday.")
    checker.select_option("#id_evidence_stance", "refutes")
    checker.select_option("#id_new_verdict", "false")
    checker.fill("#id_new_rationale", "The port's own daily log counts 31 ships, not 40.")
    screenshot(checker, "review-2-claim-page-fact-checker")
    checker.get_by_role("button", name="Submit for approval").click()
    expect(checker.locator(".messagelist")).to_contain_text("Submit for approval: done")
    expect(checker.get_by_role("button", name="Approve and publish")).to_have_count(0)

    # The editor: the claim waits for approval; approve and publish.
    editor = new_page()
    login(editor, "edith", PASSWORD)
    editor.goto("/admin/claims/claim/?status__exact=awaiting_approval")
    editor.locator("#result_list tbody tr").filter(has_text=claim.text[:40]) \
        .locator("th a, td a").first.click()
    expect(editor.locator(".evidence")).to_contain_text("records.example.org")
    expect(editor.locator(".verdict")).to_have_text("False")
    screenshot(editor, "review-3-claim-page-editor")
    editor.get_by_role("button", name="Approve and publish").click()
    expect(editor.locator(".messagelist")).to_contain_text("Approve and publish: done")
    expect(editor.locator(".field-review_state")).to_contain_text("Published")

    editor.goto("/admin/claims/claim/?status__exact=published")
    published = editor.locator("#result_list tbody tr")
    expect(published).to_have_count(1)
    expect(published.first).to_contain_text("Published")
    screenshot(editor, "review-4-published")

    claim.refresh_from_db()
    assert claim.status == Claim.Status.PUBLISHED
    version = VerdictVersion.objects.get(claim=claim)
    assert (version.proposed_by.username, version.published_by.username) == ("fiona", "edith")
