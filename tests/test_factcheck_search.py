"""The claim page's search of the fact-check library and attaching an earlier fact-check: full
text with the retrieval engine, results with publisher, date, speaker and verdict in words,
attaching as a confirmed link with a trail entry (fact-checkers and editors only), and the
search box outside the review form."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from itertools import islice

import pytest
from django.test import Client
from django.urls import reverse

from claims.factchecks import (
    ATTACH_METHOD,
    LibraryError,
    factcheck_attach,
    factchecks_save,
    factchecks_search,
    record_from_vclaim,
    verdict_words,
)
from claims.models import Claim, ClaimLink, FactCheck, ReviewEvent
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.conftest import SHARED_DATA, require_data
from tests.factories import ArticleFactory, ClaimFactory, desk_user

pytestmark = pytest.mark.django_db

POLITIFACT = SHARED_DATA / "retrieval" / "politifact" / "vclaims.jsonl"
FETCH = {"HTTP_X_REQUESTED_WITH": "fetch"}


@pytest.fixture
def library():
    """The first 300 real PolitiFact records, as imported."""
    with require_data(POLITIFACT).open(encoding="utf-8") as handle:
        found = [record_from_vclaim(json.loads(line)) for line in islice(handle, 300)]
    factchecks_save(found)
    return FactCheck.objects


@pytest.fixture
def trump(library):
    # vclaim-pol-00001: Donald Trump, pants-fire, reviewed 29 Oct 2019 (the URL's day).
    return library.get(external_id="vclaim-pol-00001")


@pytest.fixture
def claim():
    article = ArticleFactory(text="The president said murders in America's major cities have "
                                  "dropped by more than 10% over the last two years. More "
                                  "text follows.")
    return ClaimFactory(article=article)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def checker():
    return desk_user("fiona", FACT_CHECKER)


def search_url(claim) -> str:
    return reverse("admin:claims_claim_library", args=[claim.pk])


def attach_url(claim) -> str:
    return reverse("admin:claims_claim_library_attach", args=[claim.pk])


# --- the search ----------------------------------------------------------------------------


def test_it_ranks_the_record_whose_claim_is_searched_word_for_word_first(library, trump):
    found = factchecks_search(query=trump.claim_reviewed, limit=10)
    assert found[0] == trump
    assert len(found) == 10


def test_it_finds_a_record_by_words_of_its_title_and_its_speaker(library):
    # vclaim-pol-00000: "Schuyler VanValkenburg co-sponsored a bill ...", said by GayDonna
    # Vandergriff, titled "Vandergriff inaccurately describes bill ... late-term abortion".
    found = factchecks_search(query="Vandergriff late-term abortion", limit=3)
    assert found[0].external_id == "vclaim-pol-00000"


def test_a_query_sharing_no_word_with_the_library_finds_nothing(library):
    assert factchecks_search(query="zyzzyva quokka", limit=5) == []


@pytest.mark.parametrize("query, message", [
    ("", "Type a few words of the claim"),
    ("   \n ", "Type a few words of the claim"),
    ("?!* …", "no words to look for"),
    ("x " * 600, "shorten it to 1,000 characters"),
])
def test_an_empty_or_oversize_query_is_refused_with_a_clear_message(query, message):
    with pytest.raises(LibraryError) as refused:
        factchecks_search(query=query)
    assert message in refused.value.message


def test_results_show_publisher_date_speaker_and_verdict_in_words(library, trump, claim,
                                                                   checker):
    answer = client_for(checker).get(search_url(claim), {"q": "murders Chicago dropped"},
                                     **FETCH)
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "<html" not in html  # the fragment the claim page loads, not a page
    first = html.index(f'data-factcheck="{trump.pk}"')
    line = html[first:html.index("</li>", first)]
    assert "Pants on fire" in line and ">pants-fire<" not in line
    assert "PolitiFact" in line
    assert "reviewed 29 Oct 2019" in line
    assert "said by Donald Trump" in line
    assert "stated on October 28, 2019 in a speech" in line
    assert 'href="https://www.politifact.com/factchecks/2019/oct/29/donald-trump/' in line
    assert "Attach to this claim" in line


def test_without_javascript_the_results_page_works_and_defaults_to_the_statement(
        library, claim, checker):
    answer = client_for(checker).get(search_url(claim))
    assert answer.status_code == 200
    html = answer.content.decode()
    assert "Search the fact-check library" in html and "<html" in html
    assert 'value="The president said murders in America' in html  # the prefilled query
    assert "earlier fact-check" in html and "Attach to this claim" in html


def test_a_hostile_query_and_hostile_records_are_escaped(claim, checker):
    factchecks_save([record_from_vclaim({
        "vclaim_id": "vclaim-pol-66666", "vclaim": "<img src=x onerror=alert(1)> said murders "
        "dropped", "speaker": "<script>alert('speaker')</script>", "truth_label": "<b>false</b>",
        "url": "javascript:alert(1)", "date": "stated on <i>May 2</i>, 2019:"})])
    client = client_for(checker)
    for headers in (FETCH, {}):
        answer = client.get(search_url(claim), {"q": "<script>alert(1)</script> murders"},
                            **headers)
        html = answer.content.decode()
        assert answer.status_code == 200
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; murders" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "<b>false</b>" not in html and "javascript:alert" not in html


def test_an_empty_or_oversize_query_answers_400_with_the_message(claim, checker):
    client = client_for(checker)
    empty = client.get(search_url(claim), {"q": ""}, **FETCH)
    assert empty.status_code == 400
    assert "Type a few words of the claim to search the library." in empty.content.decode()
    long = client.get(search_url(claim), {"q": "word " * 300})
    assert long.status_code == 400
    assert "shorten it to 1,000 characters or fewer" in long.content.decode()


def test_a_reporter_and_anonymous_cannot_search_the_library(library, claim):
    reporter = client_for(desk_user("rita", REPORTER))
    assert reporter.get(search_url(claim), {"q": "Trump"}, **FETCH).status_code == 403
    anonymous = Client().get(search_url(claim), {"q": "Trump"}, **FETCH)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]


# --- attaching -----------------------------------------------------------------------------


def test_a_fact_checker_attaches_a_record_as_a_confirmed_link_with_a_trail_entry(
        trump, claim, checker):
    version = claim.version
    answer = client_for(checker).post(attach_url(claim), {"factcheck": trump.pk}, **FETCH)
    assert answer.status_code == 200
    body = answer.json()
    assert body["changed"] is True
    link = ClaimLink.objects.get(claim=claim, factcheck=trump)
    assert (link.status, link.decided_by, link.method) == ("confirmed", checker, ATTACH_METHOD)
    assert link.decided_at is not None and 0.0 <= link.score <= 1.0
    event = ReviewEvent.objects.get(claim=claim)
    assert (event.actor, event.action, event.data["factcheck"]) == (checker, "evidence",
                                                                   trump.pk)
    assert "Earlier fact-check attached" in event.note and "PolitiFact" in event.note
    assert "Pants on fire" in event.note
    # The claim page's list, for library.js to put in place of the old one.
    assert body["html"].lstrip().startswith('<div id="previously-checked"')
    assert "attached by the desk" in body["html"] and "Pants on fire" in body["html"]
    # Not an edit of the review: an unsaved form on the claim page still saves after it.
    assert Claim.objects.get(pk=claim.pk).version == version


def test_attaching_twice_changes_nothing(trump, claim, checker):
    client = client_for(checker)
    client.post(attach_url(claim), {"factcheck": trump.pk}, **FETCH)
    again = client.post(attach_url(claim), {"factcheck": trump.pk}, **FETCH)
    assert again.status_code == 200 and again.json()["changed"] is False
    assert "already" in again.json()["message"]
    assert ClaimLink.objects.filter(claim=claim, factcheck=trump).count() == 1
    assert ReviewEvent.objects.filter(claim=claim).count() == 1
    listed = client.get(search_url(claim), {"q": trump.claim_reviewed}, **FETCH).content.decode()
    first = listed.index(f'data-factcheck="{trump.pk}"')
    assert "library-attached" in listed[first:listed.index("</li>", first)]


def test_attaching_a_suggested_record_confirms_the_suggestion(trump, claim):
    editor = desk_user("edith", EDITOR)
    suggested = ClaimLink.objects.create(claim=claim, factcheck=trump, relation="supports",
                                         score=0.81, method="propositions/2")
    link, changed = factcheck_attach(claim=claim, factcheck=trump, user=editor)
    assert changed and link.pk == suggested.pk
    suggested.refresh_from_db()
    assert (suggested.status, suggested.decided_by, suggested.score) == ("confirmed", editor,
                                                                         0.81)


def test_a_reporter_and_anonymous_cannot_attach(trump, claim):
    reporter = desk_user("rita", REPORTER)
    assert client_for(reporter).post(attach_url(claim), {"factcheck": trump.pk},
                                     **FETCH).status_code == 403
    anonymous = Client().post(attach_url(claim), {"factcheck": trump.pk}, **FETCH)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    with pytest.raises(LibraryError, match="may not attach"):
        factcheck_attach(claim=claim, factcheck=trump, user=reporter)
    assert not ClaimLink.objects.exists() and not ReviewEvent.objects.exists()


def test_attaching_needs_the_csrf_token(trump, claim, checker):
    client = Client(enforce_csrf_checks=True)
    client.force_login(checker)
    assert client.post(attach_url(claim), {"factcheck": trump.pk},
                       **FETCH).status_code == 403
    assert not ClaimLink.objects.exists()


def test_attaching_without_javascript_goes_back_to_the_claim_page(trump, claim, checker):
    client = client_for(checker)
    answer = client.post(attach_url(claim), {"factcheck": trump.pk})
    assert answer.status_code == 302
    assert answer["Location"].endswith(
        reverse("admin:claims_claim_change", args=[claim.pk]) + "#previously-checked")
    page = client.get(answer["Location"]).content.decode()
    assert "Earlier fact-check attached" in page
    assert "attached by the desk" in page and "said by Donald Trump" in page
    missing = client.post(attach_url(claim), {"factcheck": "999999"}, **FETCH)
    assert missing.status_code == 400 and "No such fact-check" in missing.json()["error"]


# --- on the claim page ---------------------------------------------------------------------


class _Forms(HTMLParser):
    """Which form (by id or action) each named input sits in."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.inputs: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.stack.append(attrs.get("id") or attrs.get("action") or "?")
        elif tag in ("input", "textarea", "select") and attrs.get("id"):
            self.inputs[attrs["id"]] = list(self.stack)

    def handle_endtag(self, tag):
        if tag == "form" and self.stack:
            self.stack.pop()


def test_the_claim_page_has_the_search_box_outside_the_review_form_prefilled(claim, checker):
    html = client_for(checker).get(
        reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    forms = _Forms()
    forms.feed(html)
    assert forms.inputs["library-q"] == [search_url(claim)]  # its own form, not nested
    assert 'value="The president said murders in America&#x27;s major cities' in html
    assert "claims/library.js" in html


def test_a_reporter_sees_no_library_search_on_the_claim_page(claim):
    html = client_for(desk_user("rita", REPORTER)).get(
        reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    assert "library-search" not in html


def test_the_previously_checked_list_shows_a_suggestion_in_words(trump, claim, checker):
    ClaimLink.objects.create(claim=claim, factcheck=trump, relation="supports", score=0.81,
                             method="propositions/2")
    html = client_for(checker).get(
        reverse("admin:claims_claim_change", args=[claim.pk])).content.decode()
    start = html.index('id="previously-checked"')
    listed = html[start:html.index("</div>", start)]
    assert "Pants on fire" in listed and "PolitiFact" in listed
    assert "reviewed 29 Oct 2019" in listed and "said by Donald Trump" in listed
    assert "matched, 0.81" in listed and 'value="' in listed  # confirm/reject still there


@pytest.mark.parametrize("raw, words", [
    ("barely-true", "Mostly false"),  # PolitiFact's slug for "Mostly False" since 2011
    ("pants-fire", "Pants on fire"),
    ("half-true", "Half true"),
    ("mostly-false", "Mostly false"),
    ("mostly-true", "Mostly true"),
    ("false", "False"),
    ("true", "True"),
    ("full-flop", "Full flop"),
    ("mixture", "Mixture"),
    ("research-in-progress", "Research in progress"),
    ("correct-attribution", "Correct attribution"),
    ("Four Pinocchios", "Four Pinocchios"),
    ("This is misleading.", "This is misleading."),
    ("", ""),
])
def test_verdicts_read_as_words(raw, words):
    assert verdict_words(raw) == words


def test_the_library_and_links_admin_list_verdicts_in_words(trump, claim):
    ClaimLink.objects.create(claim=claim, factcheck=trump, relation="supports", score=0.81,
                             method="propositions/2")
    client = client_for(desk_user("root", None, is_superuser=True))
    for page in ("admin:claims_factcheck_changelist", "admin:claims_claimlink_changelist"):
        html = client.get(reverse(page)).content.decode()
        assert "Pants on fire" in html and ">pants-fire<" not in html, page
    FactCheck.objects.create(external_id="other", claim_reviewed="Ships sail.", verdict="true")
    filtered = client.get(reverse("admin:claims_factcheck_changelist"),
                          {"verdict": "pants-fire"}).content.decode()
    assert "Over the last two years" in filtered and "Ships sail." not in filtered
