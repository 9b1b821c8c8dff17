"""Browser tests: the admin in Debian's headless Chromium, driven by Playwright.

Fixtures:
- ``page``: a fresh browser context (no cookies) on pytest-django's ``live_server``; relative
  URLs go to the live server, so ``page.goto("/admin/")`` works.
- ``new_page``: a factory of more such pages, one per user when a test logs in several people.

Helpers: ``login(page, username, password)`` through the admin login form and
``screenshot(page, name)``, which saves ``<name>.png`` under ``$CLAIMTRACK_SCREENSHOTS`` or
``var/screenshots/``::

    from tests.browser.conftest import expect, login, screenshot

    def test_it_shows_the_queue(page, editor):  # editor: a user made in the test's fixtures
        login(page, "editor", PASSWORD)
        page.goto("/admin/claims/claim/")
        expect(page.locator("#result_list tbody tr")).to_have_count(3)
        screenshot(page, "claim-queue")

The ORM works in tests and fixtures while the browser runs (see ``browser``); the live server
sees committed rows only, which ``live_server`` ensures by running the test with
``transactional_db``.

The browser is /usr/bin/chromium from Debian (``.ci/run`` installs it); nothing downloads a
browser at run time. Without it the tests skip, or fail under CI or REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from datetime import UTC
from pathlib import Path

import pytest

from tests.conftest import REQUIRE_SERVICES

try:
    from playwright.sync_api import expect  # re-exported for the tests
except ImportError:  # the browser fixture skips, or fails under CI, before a test uses it
    expect = None

CHROMIUM = Path("/usr/bin/chromium")
# Playwright adds --headless itself (headless=True); the rest keep a root, GPU-less machine quiet.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Milliseconds. A local admin page loads in well under a second; a stuck wait fails fast.
TIMEOUT_MS = 10_000
VIEWPORT = {"width": 1366, "height": 900}  # a laptop screen, where editors work


def require_browser() -> None:
    """Skip without Chromium or Playwright, or fail where CI promises both."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package is missing (pip install -e '.[dev]')")
    if not missing:
        return
    why = "; ".join(missing)
    if REQUIRE_SERVICES or os.environ.get("CI"):
        pytest.fail(f"browser tests under CI but {why}", pytrace=False)
    pytest.skip(why)


@pytest.fixture(scope="module")
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps its asyncio loop marked as running in this thread while it
    # is started, and Django then refuses ORM calls here ("cannot call this from an async
    # context"). Nothing runs concurrently with them: the loop only turns inside Playwright
    # calls, and the live server answers from its own thread. So the guard is lifted for as
    # long as the browser lives, and no longer (stop() clears the running loop).
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield chromium
            chromium.close()


@pytest.fixture
def new_page(browser, live_server) -> Iterator[Callable[[], object]]:
    """Open a page in its own browser context: separate cookies, so a separate login."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def login(page, username: str, password: str) -> None:
    """Log in through the admin's login form; raise with the form's error if it refuses."""
    page.goto("/admin/login/?next=/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Log in").click()
    # The admin index shows the user tools; a refused login shows the login form's error.
    page.locator("#user-tools, .errornote").first.wait_for()
    error = page.locator(".errornote")
    if error.count():
        raise AssertionError(f"Admin login as {username!r} failed: {error.inner_text().strip()}")


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG as ``<name>.png`` and return its path."""
    directory = Path(os.environ.get("CLAIMTRACK_SCREENSHOTS", "") or _default_screenshots())
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _default_screenshots() -> Path:
    from django.conf import settings

    return Path(settings.VAR_DIR) / "screenshots"


def desk_members(**people: str) -> None:
    """Staff users in their roles' groups: ``desk_members(fiona=FACT_CHECKER, ...)``."""
    from claims.roles import roles_ensure
    from tests.factories import UserFactory

    groups = roles_ensure()
    for name, role in people.items():
        UserFactory(username=name, is_staff=True).groups.add(groups[role])


# The harbour article of the library and desk-day tests, the claim extracted from it, and
# fact-check library records in the shape of the PolitiFact collection
# (../shared/data/retrieval/politifact), the first an earlier check of that claim.
HARBOUR_TEXT = ('"The port handled 40 ships in a single day on Monday," said Senator Jane Roe. '
                "The mayor denied that any records had been changed.")
HARBOUR_CLAIM = "The port handled 40 ships in a single day on Monday"
LIBRARY_RECORDS = [
    {"vclaim_id": "vclaim-pol-91001", "vclaim": "The port handled 40 ships in one day.",
     "speaker": "Jane Roe", "truth_label": "barely-true",
     "date": "stated on March 3, 2021 in a radio interview:",
     "title": "Roe overstates the port's busiest day",
     "url": "/factchecks/2021/mar/09/jane-roe/roe-overstates-ports-busiest-day/"},
    {"vclaim_id": "vclaim-pol-91002", "vclaim": "Harbour fees doubled in a year.",
     "speaker": "Alan Park", "truth_label": "pants-fire",
     "date": "stated on May 2, 2020 in a debate:", "title": "No, harbour fees did not double",
     "url": "/factchecks/2020/may/05/alan-park/no-harbour-fees-did-not-double/"},
    {"vclaim_id": "vclaim-pol-91003", "vclaim": "Ships wait three days to dock at the port.",
     "speaker": "Lena Ortiz", "truth_label": "half-true",
     "date": "stated on June 1, 2020 in a speech:", "title": "Ortiz on waiting ships",
     "url": "/factchecks/2020/jun/04/lena-ortiz/ortiz-waiting-ships/"},
]


def ingest_harbour_article(text: str):
    """The test article, stored and processed on commit (tasks run in process)."""
    from datetime import datetime

    from claims import ingestion

    article = ingestion.article_ingest(
        title="Port record disputed", source_name="Harbour Times",
        url="https://harbour.example/record", text=text,
        published_at=datetime(2022, 1, 11, 10, tzinfo=UTC))
    assert article.claims.exists(), "the article was not processed on commit"
    return article
