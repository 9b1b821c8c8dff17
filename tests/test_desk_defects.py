"""The eight defects a desk met in the browser (issue 16), one test each: every test failed
on the code before its fix."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from claims import review
from claims.models import Claim, ClaimLink, Evidence, Proposition
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ArticleFactory, ClaimFactory, publish_claim

pytestmark = pytest.mark.django_db

S = Claim.Status


def page(pk):
    return reverse("admin:claims_claim_change", args=[pk])


@pytest.fixture
def people(desk_people):
    return desk_people([("rita", REPORTER), ("checker", FACT_CHECKER), ("editor", EDITOR),
                        ("editor2", EDITOR), ("nora", None)])


def post(client, claim, button=None, **fields):
    claim.refresh_from_db()
    data = {"version": claim.version, **fields}
    if button:
        data["_transition"] = button
    return client.post(page(claim.pk), data)


def field(html: str, name: str) -> str:
    """The HTML of one row of the claim page (Django marks each with ``field-<name>``)."""
    start = html.index(f"field-{name}")
    end = html.find('class="form-row', start)
    return html[start:end if end != -1 else None]


def submit_row(html: str) -> str:
    start = html.index("review-actions")
    return html[start:html.index("</div>", start)]


# 1 ------------------------------------------------------------------------------------------

def test_it_names_the_corrections_proposer_as_the_current_verdicts(people):
    claim = publish_claim(ClaimFactory(), checker=people["checker"][0],
                          editor=people["editor2"][0])
    editor, editor2 = people["editor"][0], people["editor2"][0]
    review.claim_correct(claim=claim, user=editor, verdict="true",
                         rationale="A recount found 40 ships.", note="The port recounted.")
    review.claim_correction_approve(claim=claim, user=editor2)
    claim.refresh_from_db()
    assert claim.proposed_by == editor
    verdict = field(people["editor2"][1].get(page(claim.pk)).content.decode(),
                    "current_verdict")
    assert "proposed by editor" in verdict and "proposed by checker" not in verdict


# 2 ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", ["http://127.0.0.1/admin", "http://localhost:8000/",
                                 "http://10.0.0.5/x", "http://[::1]/", "http://intranet/wiki",
                                 "http://0x7f.1/"])
def test_it_refuses_evidence_at_a_private_address(people, url):
    checker = people["checker"][0]
    claim = review.claim_take(claim=ClaimFactory(), user=checker)
    with pytest.raises(review.Incomplete, match="local or private address"):
        review.evidence_add(claim=claim, user=checker, url=url)
    assert not Evidence.objects.exists()


def test_it_never_links_stored_evidence_at_a_private_address(people):
    claim = publish_claim(ClaimFactory(), checker=people["checker"][0],
                          editor=people["editor"][0])
    # A row saved before the rule existed.
    Evidence.objects.create(claim=claim, url="http://127.0.0.1/admin", note="Local copy")
    public = Client().get(reverse("claim-public", args=[claim.pk])).content.decode()
    assert "127.0.0.1" not in public and "records.example.org/log" in public
    body = Client().get(f"/api/v1/claims/{claim.pk}/").json()
    assert [e["url"] for e in body["evidence"]] == ["https://records.example.org/log"]
    desk = people["editor"][1].get(page(claim.pk)).content.decode()
    assert 'href="http://127.0.0.1/admin"' not in desk and "not a public address" in desk


# 3 ------------------------------------------------------------------------------------------

def test_a_reporter_flags_from_the_claim_page_with_a_note(people):
    claim = ClaimFactory()
    rita = people["rita"][1]
    html = rita.get(page(claim.pk)).content.decode()
    flag = reverse("admin:claims_claim_flag", args=[claim.pk])
    assert f'formaction="{flag}"' in html and "Nothing for you to do" not in html
    response = rita.post(flag, {"flag_note": "Our readers keep asking about this."})
    assert response.status_code == 302 and response["Location"] == page(claim.pk)
    claim.refresh_from_db()
    assert claim.flagged
    assert claim.events.get().note == "Our readers keep asking about this."
    # Flagged once, the page says so instead of offering the button again.
    html = rita.get(page(claim.pk)).content.decode()
    assert f'formaction="{flag}"' not in html and "Flagged for checking" in html


def test_only_who_may_flag_gets_the_flag_button_and_the_route(people):
    claim = ClaimFactory()
    flag = reverse("admin:claims_claim_flag", args=[claim.pk])
    assert people["nora"][1].post(flag, {}).status_code == 403
    assert people["rita"][1].get(flag).status_code == 405
    published = publish_claim(ClaimFactory(), checker=people["checker"][0],
                              editor=people["editor"][0])
    html = people["rita"][1].get(page(published.pk)).content.decode()
    assert reverse("admin:claims_claim_flag", args=[published.pk]) not in html
    claim.refresh_from_db()
    assert not claim.flagged


# 4 ------------------------------------------------------------------------------------------

def test_taking_over_someone_elses_claim_needs_the_button_naming_them(people):
    checker, editor = people["checker"][0], people["editor"]
    claim = review.claim_take(claim=ClaimFactory(), user=checker)
    buttons = submit_row(editor[1].get(page(claim.pk)).content.decode())
    assert 'value="take_over"' in buttons and "Take over from checker" in buttons
    assert 'value="take"' not in buttons
    # The plain "take" (an old page, the bulk action) no longer takes it over silently.
    response = post(editor[1], claim, "take")
    assert response.status_code == 200 and "checker is reviewing" in response.content.decode()
    claim.refresh_from_db()
    assert claim.assigned_to == checker
    with pytest.raises(review.NotAllowed):
        review.claim_take(claim=claim, user=editor[0])
    assert post(editor[1], claim, "take_over").status_code == 302
    claim.refresh_from_db()
    assert claim.assigned_to == editor[0]
    assert claim.events.order_by("-id").first().note == "Taken over from checker."


# 5 ------------------------------------------------------------------------------------------

def test_a_published_claim_offers_an_empty_correction_and_no_draft(people):
    claim = publish_claim(ClaimFactory(), checker=people["checker"][0],
                          editor=people["editor"][0])
    html = people["editor2"][1].get(page(claim.pk)).content.decode()
    assert "Save draft" not in html
    assert "Propose a correction" in html
    rationale = re.search(r'<textarea name="new_rationale"[^>]*>(.*?)</textarea>', html, re.S)
    assert rationale is not None and rationale.group(1).strip() == ""
    assert re.search(r'<option value="false"[^>]*selected', html) is None
    assert "The port&#x27;s log shows 31 ships." in field(html, "current_verdict")


# 6 ------------------------------------------------------------------------------------------

def test_the_proposing_editor_is_told_why_there_is_no_publish_button(people):
    editor_user, editor = people["editor"]
    claim = review.claim_take(claim=ClaimFactory(), user=editor_user)
    review.evidence_add(claim=claim, user=editor_user, url="https://records.example.org/a")
    review.claim_submit(claim=claim, user=editor_user, verdict="true", rationale="Agrees.")
    row = submit_row(editor.get(page(claim.pk)).content.decode())
    assert 'value="publish"' not in row
    assert "You proposed this verdict; another editor must approve it." in row
    other = submit_row(people["editor2"][1].get(page(claim.pk)).content.decode())
    assert 'value="publish"' in other and "You proposed" not in other


# 7 ------------------------------------------------------------------------------------------

def test_rating_a_proposition_shows_verdicts_in_words(people):
    allegation = ClaimFactory(kind=Claim.Kind.ALLEGATION)
    denial = ClaimFactory(kind=Claim.Kind.DENIAL)
    proposition = Proposition.objects.create(text=allegation.text, first_claim=allegation)
    for claim, relation in ((allegation, "supports"), (denial, "contradicts")):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation=relation,
                                 score=0.9, method="test")
    rate = reverse("admin:claims_proposition_rate", args=[proposition.pk])
    html = people["checker"][1].get(rate, {"verdict": "mostly_true"}).content.decode()
    table = html[html.index('<table class="timeline">'):]
    assert ">mostly_true<" not in table and ">mostly_false<" not in table
    assert ">Mostly true<" in table and ">Mostly false<" in table
    # The codes still travel in the form: accepting one posts the code.
    assert 'name="suggested" value="mostly_false"' in table


def test_a_denial_is_not_said_to_be_denied(people):
    article = ArticleFactory()
    denial = ClaimFactory(article=article, kind=Claim.Kind.DENIAL, contradictions=11,
                          corroborations=1)
    html = people["editor"][1].get(page(denial.pk)).content.decode()
    assert "11 denied" not in html and "+1 outlets" not in html
    assert "(denials)" not in html


# 8 ------------------------------------------------------------------------------------------

def test_the_article_page_marks_each_claim_in_its_text(people):
    article = ArticleFactory(text="The <b>minister</b> said taxes rise. Nobody agreed.")
    claim = ClaimFactory(article=article)
    html = people["editor"][1].get(
        reverse("admin:claims_article_change", args=[article.pk])).content.decode()
    assert f'<a href="{page(claim.pk)}" class="claim-span" title=' in html
    assert "<mark>The &lt;b&gt;minister&lt;/b&gt; said taxes rise.</mark></a> Nobody" in html
    assert "<b>minister</b>" not in html


def test_a_published_claim_links_to_its_public_page(people):
    claim = publish_claim(ClaimFactory(), checker=people["checker"][0],
                          editor=people["editor"][0])
    public = reverse("claim-public", args=[claim.pk])
    assert f'href="{public}"' in people["rita"][1].get(page(claim.pk)).content.decode()
    draft = ClaimFactory()
    html = people["editor"][1].get(page(draft.pk)).content.decode()
    assert reverse("claim-public", args=[draft.pk]) not in html


def test_the_site_has_a_favicon():
    response = Client().get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"].endswith(".ico")
    assert finders.find("claims/favicon.ico") is not None
