"""The admin as an editor sees it in a real browser: login, the claim list, a claim in context."""

import re
from datetime import UTC, datetime

import pytest

from claims import ingestion
from claims.models import Claim
from claims.roles import roles_ensure
from tests.browser.conftest import expect, login, screenshot
from tests.factories import UserFactory

# live_server commits for real (transactional_db), so processing runs on commit, in process.
pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple"  # UserFactory's
SCRIPT = "<script>window.pwned=1</script>"
TEXT = (
    "The harbour master said on Monday that the port handled 40 ships in a single day. "
    f"Opposition councillors claimed that the figures were inflated {SCRIPT} to win a grant. "
    "The mayor denied that any records had been changed."
)


def assert_no_script_ran(page):
    """The article's <script> is text on the page: no script element, nothing executed."""
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert not page.evaluate(
        "Array.from(document.scripts).some(s => s.textContent.includes('pwned'))")


@pytest.fixture
def editor():
    user = UserFactory(username="editor", is_staff=True)
    user.groups.add(roles_ensure()["Editors"])
    return user


@pytest.fixture
def article():
    article = ingestion.article_ingest(
        title="Port record disputed", source_name="Harbour Times",
        url="https://harbour.example/record", text=TEXT,
        published_at=datetime(2022, 1, 11, 10, tzinfo=UTC),
    )
    assert article.claims.count() == 3, "the article was not processed on commit"
    return article


def test_an_editor_logs_in_lists_the_claims_and_reads_one_in_context(page, editor, article):
    login(page, "editor", PASSWORD)
    # The landing page is the inbox; the admin's model list is folded below it.
    expect(page.locator("#content h1")).to_have_text("Inbox")
    page.locator("details.inbox-apps summary").click()
    page.locator("#claims-claim").get_by_role("link", name="Claims").click()  # the model row

    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(3)
    for claim in article.claims.all():
        expect(rows.filter(has_text=claim.text)).to_have_count(1)
    assert_no_script_ran(page)
    screenshot(page, "admin-claim-changelist")

    allegation = article.claims.get(kind=Claim.Kind.ALLEGATION)
    assert SCRIPT in allegation.text
    rows.filter(has_text=allegation.text).get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/claims/claim/{allegation.pk}/change/$"))
    context = page.locator(".claim-context")
    expect(context.locator("mark")).to_have_text(allegation.text)
    expect(context).to_contain_text(SCRIPT)  # shown as text, so it was escaped
    assert_no_script_ran(page)
    screenshot(page, "admin-claim-page")


def test_a_staff_member_without_a_role_sees_no_claims(new_page, editor, article):
    UserFactory(username="stranger", is_staff=True)
    stranger = new_page()
    login(stranger, "stranger", PASSWORD)
    expect(stranger.locator("#content-main")).to_contain_text("permission")

    response = stranger.goto("/admin/claims/claim/")
    assert response.status == 403

    # The editor, logged in beside the stranger in another browser context, still sees them.
    desk = new_page()
    login(desk, "editor", PASSWORD)
    desk.goto("/admin/claims/claim/")
    expect(desk.locator("#result_list tbody tr")).to_have_count(3)
