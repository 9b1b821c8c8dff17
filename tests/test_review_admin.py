"""The review workflow in the admin, per role: the queue, the claim page, bulk actions,
conflicts between two editors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import matching, review
from claims.models import Claim, ClaimLink, Evidence, FactCheck, Proposition, ReviewEvent
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import (
    ArticleFactory,
    ClaimantFactory,
    ClaimFactory,
    SourceFactory,
    UserFactory,
    desk_user,
)

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:claims_claim_changelist")
S = Claim.Status


def page(pk):
    return reverse("admin:claims_claim_change", args=[pk])


@pytest.fixture
def people(db):
    def person(name, role):
        user = desk_user(name, role)
        client = Client()
        client.force_login(user)
        return user, client

    return {name: person(name, role) for name, role in [
        ("rita", REPORTER), ("fiona", FACT_CHECKER), ("felix", FACT_CHECKER),
        ("edith", EDITOR), ("eric", EDITOR), ("nora", None)]}


@pytest.fixture
def claim(db):
    return ClaimFactory(checkworthiness=0.7)


def post(client, claim, button=None, **fields):
    claim.refresh_from_db()
    data = {"version": claim.version, **fields}
    if button:
        data["_transition"] = button
    return client.post(page(claim.pk), data)


def buttons(client, claim):
    html = client.get(page(claim.pk)).content.decode()
    return [name for name in review.TRANSITIONS if f'value="{name}"' in html]


def test_a_claim_goes_from_queue_to_published_through_the_page(claim, people):
    _, fiona = people["fiona"]
    _, edith = people["edith"]
    assert post(fiona, claim, "take").status_code == 302
    response = post(fiona, claim, "submit", new_verdict="false",
                    new_rationale="The port's log shows 31 ships.",
                    evidence_url="https://records.example.org/port-log",
                    evidence_note="Daily log", evidence_stance="refutes")
    assert response.status_code == 302, response.content.decode()[:3000]
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_APPROVAL and claim.evidence.count() == 1
    assert post(edith, claim, "publish").status_code == 302
    claim.refresh_from_db()
    assert claim.status == S.PUBLISHED and claim.verdicts.get().published_by.username == "edith"
    assert list(ReviewEvent.objects.filter(claim=claim).values_list(
        "data__transition", flat=True)) == ["take", "evidence", "submit", "publish"]


def test_a_refused_submission_shows_why_and_keeps_what_was_typed(claim, people):
    fiona_user, fiona = people["fiona"]
    review.claim_take(claim=claim, user=fiona_user)
    response = post(fiona, claim, "submit", new_verdict="false",
                    new_rationale="My careful rationale, typed once.")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Add at least one evidence source" in html
    assert "My careful rationale, typed once." in html
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW and claim.rationale == ""


def test_the_second_of_two_editors_gets_a_conflict_and_loses_nothing(claim, people):
    fiona_user, _ = people["fiona"]
    _, edith = people["edith"]
    _, eric = people["eric"]
    review.claim_take(claim=claim, user=fiona_user)
    review.evidence_add(claim=claim, user=fiona_user, url="https://records.example.org/a")
    review.claim_submit(claim=claim, user=fiona_user, verdict="true", rationale="Agrees.")
    claim.refresh_from_db()
    opened = claim.version  # both editors open the page at this version
    assert edith.post(page(claim.pk), {"version": opened, "_transition": "send_back",
                                       "note": "Needs a second source."}).status_code == 302
    response = eric.post(page(claim.pk), {"version": opened, "_transition": "dismiss",
                                          "note": "Eric's reason, written with care."})
    assert response.status_code == 200
    html = response.content.decode()
    assert "changed by edith" in html and "while you had it open" in html
    assert "Eric&#x27;s reason, written with care." in html  # the form still holds it
    claim.refresh_from_db()
    assert claim.status == S.IN_REVIEW  # Edith's change stands, Eric's did not apply


def test_each_role_sees_only_the_buttons_it_may_press(claim, people):
    fiona_user, fiona = people["fiona"]
    assert buttons(people["rita"][1], claim) == []
    assert buttons(fiona, claim) == ["take"]
    assert buttons(people["edith"][1], claim) == ["take", "dismiss"]
    review.claim_take(claim=claim, user=fiona_user)
    review.evidence_add(claim=claim, user=fiona_user, url="https://records.example.org/a")
    assert buttons(fiona, claim) == ["submit"]
    assert buttons(people["felix"][1], claim) == []
    review.claim_submit(claim=claim, user=fiona_user, verdict="true", rationale="Agrees.")
    assert buttons(people["edith"][1], claim) == ["publish", "send_back", "dismiss"]
    assert buttons(fiona, claim) == []


def test_the_proposer_cannot_publish_from_the_page(claim, people):
    edith_user, edith = people["edith"]
    review.claim_take(claim=claim, user=edith_user)
    review.evidence_add(claim=claim, user=edith_user, url="https://records.example.org/a")
    review.claim_submit(claim=claim, user=edith_user, verdict="true", rationale="Agrees.")
    assert "publish" not in buttons(edith, claim)
    response = post(edith, claim, "publish")  # a forged press of the hidden button
    assert response.status_code == 200 and "Four eyes" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_APPROVAL


@pytest.mark.parametrize("who, status", [("rita", 403), ("nora", 403)])
def test_roles_without_change_cannot_post_the_claim_page(claim, people, who, status):
    assert post(people[who][1], claim, "take").status_code == status
    claim.refresh_from_db()
    assert claim.status == S.NEW


def test_a_reporter_reads_the_queue_and_flags_but_cannot_take(claim, people):
    _, rita = people["rita"]
    assert rita.get(QUEUE).status_code == 200
    assert rita.get(page(claim.pk)).status_code == 200
    rita.post(QUEUE, {"action": "take_claims", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == S.NEW
    rita.post(QUEUE, {"action": "flag_claims", "_selected_action": [claim.pk]})
    claim.refresh_from_db()
    assert claim.flagged


def test_assign_to_me_in_bulk(people):
    claims = [ClaimFactory() for _ in range(3)]
    fiona_user, fiona = people["fiona"]
    response = fiona.post(QUEUE, {"action": "take_claims",
                                  "_selected_action": [c.pk for c in claims]})
    assert response.status_code == 302
    assert set(Claim.objects.values_list("assigned_to", flat=True)) == {fiona_user.pk}


def test_bulk_dismissal_asks_for_a_reason_first(people):
    claims = [ClaimFactory() for _ in range(2)]
    _, edith = people["edith"]
    ids = [c.pk for c in claims]
    asked = edith.post(QUEUE, {"action": "dismiss_claims", "_selected_action": ids})
    assert asked.status_code == 200 and "Dismiss them" in asked.content.decode()
    assert not Claim.objects.filter(status=S.DISMISSED).exists()
    done = edith.post(QUEUE, {"action": "dismiss_claims", "_selected_action": ids,
                              "reason": "Opinion pieces."})
    assert done.status_code == 302
    assert Claim.objects.filter(status=S.DISMISSED).count() == 2
    assert set(ReviewEvent.objects.values_list("note", flat=True)) == {"Opinion pieces."}
    # A fact-checker is not offered the action and cannot force it.
    _, fiona = people["fiona"]
    fresh = ClaimFactory()
    fiona.post(QUEUE, {"action": "dismiss_claims", "_selected_action": [fresh.pk],
                       "reason": "x"})
    fresh.refresh_from_db()
    assert fresh.status == S.NEW


def test_links_are_confirmed_and_rejected_from_the_claim_page(people):
    one, other = ClaimFactory(), ClaimFactory()
    link = ClaimLink.objects.create(claim=one, target_claim=other, relation="contradicts",
                                    score=0.8, method="test")
    _, fiona = people["fiona"]
    html = fiona.get(page(one.pk)).content.decode()
    assert f'value="{link.pk}:rejected"' in html
    assert fiona.post(page(one.pk), {"version": one.version,
                                     "_link": f"{link.pk}:rejected"}).status_code == 302
    link.refresh_from_db()
    assert link.status == "rejected" and link.decided_by.username == "fiona"
    # A reporter cannot.
    link2 = ClaimLink.objects.create(claim=other, target_claim=one, relation="supports",
                                     score=0.8, method="test")
    people["rita"][1].post(page(other.pk), {"version": other.version,
                                            "_link": f"{link2.pk}:confirmed"})
    link2.refresh_from_db()
    assert link2.status == "suggested"


def queue_queries(client, **params):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(QUEUE, params)
    assert response.status_code == 200
    return len(queries)


def make_queue(count, proposition=None):
    sources = [SourceFactory() for _ in range(3)]
    claimants = [ClaimantFactory() for _ in range(4)]
    checker = UserFactory()
    made = []
    for i in range(count):
        claim = ClaimFactory(article=ArticleFactory(source=sources[i % 3]),
                             claimant=claimants[i % 4], checkworthiness=(i % 10) / 10,
                             assigned_to=checker if i % 2 else None, flagged=i % 5 == 0)
        if i % 3 == 1:  # a denial of the previous claim
            ClaimLink.objects.create(claim=claim, target_claim=made[-1], score=0.6,
                                     relation="contradicts", method="test")
        if proposition:
            ClaimLink.objects.create(claim=claim, proposition=proposition, relation="supports",
                                     score=0.5, method="test")
        made.append(claim)
    check = FactCheck.objects.create(external_id=f"fc-{count}", origin="vclaims",
                                     claim_reviewed="A statement", verdict="false")
    for claim in made[::4]:
        ClaimLink.objects.create(claim=claim, factcheck=check, relation="supports", score=0.8,
                                 method="test")
    matching.claims_priority_refresh(claim_ids=[c.pk for c in made])
    return made


@pytest.mark.parametrize("params", [
    {}, {"status__exact": "new"}, {"assigned": "me"}, {"assigned": "none"}, {"denied": "yes"},
    {"factchecked": "yes"}, {"flagged__exact": "1"}, {"q": "talks"},
])
def test_the_queue_runs_a_constant_number_of_queries(people, params):
    _, fiona = people["fiona"]
    make_queue(5)
    few = queue_queries(fiona, **params)
    make_queue(45)
    many = queue_queries(fiona, **params)
    assert many == few, f"{few} queries for 5 claims but {many} for 50 ({params})"


def test_the_queue_is_ordered_by_priority_and_filters_work(people):
    fiona_user, fiona = people["fiona"]
    proposition = Proposition.objects.create(text="Talks lasted eight hours")
    made = make_queue(12, proposition=proposition)
    response = fiona.get(QUEUE)
    shown = [c.pk for c in response.context["cl"].result_list]
    priorities = [Claim.objects.get(pk=pk).priority for pk in shown]
    assert priorities == sorted(priorities, reverse=True)
    flagged_top = Claim.objects.order_by("-priority").first()
    assert flagged_top.flagged or flagged_top.contradictions

    def ids(**params):
        return {c.pk for c in fiona.get(QUEUE, params).context["cl"].result_list}

    denied = set(Claim.objects.filter(contradictions__gt=0).values_list("pk", flat=True))
    assert denied and len(denied) < len(made)
    assert ids(denied="yes") == denied
    assert ids(factchecked="yes") == {c.pk for c in made[::4]}
    assert ids(assigned="none") == {c.pk for c in made if c.assigned_to_id is None}
    review.claim_take(claim=made[0], user=fiona_user)
    assert ids(assigned="me") == {made[0].pk}
    assert ids(proposition=proposition.pk) == {c.pk for c in made}
    other = ClaimFactory()
    assert other.pk not in ids(proposition=proposition.pk)


def test_the_claim_page_escapes_article_text_and_evidence(people):
    fiona_user, fiona = people["fiona"]
    article = ArticleFactory(text='The mayor said <script>alert("x")</script> taxes rose 40%. '
                             "Later text.")
    claim = ClaimFactory(article=article)
    review.claim_take(claim=claim, user=fiona_user)
    review.evidence_add(claim=claim, user=fiona_user, url="https://records.example.org/?q=<b>",
                        note="<img src=x onerror=alert(1)>")
    html = fiona.get(page(claim.pk)).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert Evidence.objects.count() == 1


@pytest.fixture
def proposition(db):
    allegation = ClaimFactory(kind=Claim.Kind.ALLEGATION)
    denial = ClaimFactory(kind=Claim.Kind.DENIAL)
    proposition = Proposition.objects.create(text=allegation.text, first_claim=allegation)
    for claim, relation in ((allegation, "supports"), (denial, "contradicts")):
        ClaimLink.objects.create(claim=claim, proposition=proposition, relation=relation,
                                 score=0.9, method="test")
    return proposition, allegation, denial


def test_the_proposition_page_lists_members_in_time_order_with_stance(people, proposition):
    prop, allegation, denial = proposition
    from datetime import timedelta

    from claims.models import Article
    Article.objects.filter(pk=denial.article_id).update(
        published_at=allegation.article.published_at - timedelta(days=1))
    html = people["fiona"][1].get(
        reverse("admin:claims_proposition_change", args=[prop.pk])).content.decode()
    table = html[html.index('<table class="timeline">'):]
    assert table.index(denial.text) < table.index(allegation.text)  # the earlier first
    assert "stance-contradicts" in html and "stance-supports" in html
    assert reverse("admin:claims_proposition_rate", args=[prop.pk]) in html


def test_rating_a_proposition_suggests_and_a_fact_checker_accepts_one(people, proposition):
    prop, allegation, denial = proposition
    fiona_user, fiona = people["fiona"]
    rate = reverse("admin:claims_proposition_rate", args=[prop.pk])
    html = fiona.get(rate, {"verdict": "true", "rationale": "Confirmed by satellite images."}
                     ).content.decode()
    assert 'name="suggested" value="true"' in html and 'name="suggested" value="false"' in html
    assert not Claim.objects.exclude(verdict="").exists()  # nothing applied by looking

    response = fiona.post(rate, {"claim": denial.pk, "suggested": "false", "verdict": "true",
                                 "rationale": "Confirmed by satellite images."})
    assert response.status_code == 302 and "verdict=true" in response.url
    denial.refresh_from_db()
    assert (denial.status, denial.verdict, denial.assigned_to) == (
        Claim.Status.IN_REVIEW, "false", fiona_user)
    assert denial.rationale == "Confirmed by satellite images."
    allegation.refresh_from_db()
    assert allegation.verdict == "" and allegation.status == Claim.Status.NEW


def test_a_reporter_sees_suggestions_but_cannot_accept_them(people, proposition):
    prop, allegation, _ = proposition
    _, rita = people["rita"]
    rate = reverse("admin:claims_proposition_rate", args=[prop.pk])
    html = rita.get(rate, {"verdict": "true"}).content.decode()
    assert "Accept as my draft" not in html
    assert rita.post(rate, {"claim": allegation.pk, "suggested": "true", "verdict": "true",
                            "rationale": ""}).status_code == 403
    allegation.refresh_from_db()
    assert allegation.verdict == ""


def test_a_reporter_does_not_read_a_review_in_progress(people):
    """Reporters list and flag claims; the working verdict, rationale, evidence, trail and the
    desk's links stay hidden from them until the claim is published."""
    fiona_user, _ = people["fiona"]
    claim, other = ClaimFactory(), ClaimFactory()
    ClaimLink.objects.create(claim=claim, target_claim=other, relation="contradicts",
                             score=0.8, method="test")
    review.claim_take(claim=claim, user=fiona_user)
    review.evidence_add(claim=claim, user=fiona_user, url="https://secret.example.org/leak",
                        note="Confidential source")
    review.claim_draft(claim=claim, user=fiona_user, verdict="false",
                       rationale="Working theory: the minister lied.")
    _, rita = people["rita"]
    html = rita.get(page(claim.pk)).content.decode()
    for secret in ("secret.example.org", "Confidential source", "Working theory",
                   other.text, "Review trail", "Contradicting"):
        assert secret not in html, secret
    assert claim.text in html  # the claim itself, in context, is the reporter's to read
    fiona_html = people["fiona"][1].get(page(claim.pk)).content.decode()
    assert "secret.example.org" in fiona_html and other.text in fiona_html


def test_a_reporter_reads_what_is_published(people):
    from tests.factories import publish_claim

    claim = publish_claim(ClaimFactory(), checker=people["fiona"][0], editor=people["edith"][0])
    html = people["rita"][1].get(page(claim.pk)).content.decode()
    assert "log shows 31 ships" in html and claim.evidence.get().url in html


def test_deciding_a_link_keeps_the_draft_typed_on_the_page(people):
    fiona_user, fiona = people["fiona"]
    one, other = ClaimFactory(), ClaimFactory()
    link = ClaimLink.objects.create(claim=one, target_claim=other, relation="supports",
                                    score=0.8, method="test")
    review.claim_take(claim=one, user=fiona_user)
    response = post(fiona, one, new_verdict="mostly_false", new_rationale="Typed, then a link.",
                    evidence_url="https://records.example.org/typed", evidence_note="",
                    evidence_stance="refutes", _link=f"{link.pk}:confirmed")
    assert response.status_code == 302, response.content.decode()[:2000]
    one.refresh_from_db()
    link.refresh_from_db()
    assert link.status == "confirmed"
    assert (one.verdict, one.rationale) == ("mostly_false", "Typed, then a link.")
    assert one.evidence.get().url == "https://records.example.org/typed"


@pytest.mark.parametrize("claim_field, suggested", [
    ("nonsense", "true"), ("other", "true"), ("allegation", "mostly_true")])
def test_accepting_a_suggestion_refuses_what_was_not_suggested(people, proposition,
                                                               claim_field, suggested):
    prop, allegation, _ = proposition
    outsider = ClaimFactory()
    posted = {"nonsense": "12abc", "other": outsider.pk, "allegation": allegation.pk}
    rate = reverse("admin:claims_proposition_rate", args=[prop.pk])
    response = people["fiona"][1].post(rate, {
        "claim": posted[claim_field], "suggested": suggested, "verdict": "true",
        "rationale": "Confirmed by satellite images."}, follow=True)
    assert response.status_code == 200
    assert "nothing was changed" in response.content.decode()
    assert not Claim.objects.exclude(verdict="").exists()
    assert not Claim.objects.exclude(status=S.NEW).exists()


def test_a_correction_is_proposed_on_the_page_and_approved_by_another_editor(people):
    from tests.factories import publish_claim

    claim = publish_claim(ClaimFactory(), checker=people["fiona"][0], editor=people["edith"][0])
    _, eric = people["eric"]
    response = post(eric, claim, "correct", new_verdict="true",
                    new_rationale="A recount found 40 ships.", note="The port recounted.")
    assert response.status_code == 302, response.content.decode()[:2000]
    claim.refresh_from_db()
    assert claim.verdict == "false" and claim.correction_verdict == "true"
    assert "approve_correction" not in buttons(eric, claim)  # four eyes
    html = eric.get(page(claim.pk)).content.decode()
    assert "Correction awaiting approval" in html and "A recount found 40 ships." in html
    assert "A recount found 40 ships." not in people["rita"][1].get(page(claim.pk)).content.decode()
    assert people["edith"][1].get(QUEUE, {"correction": "yes"}).content.decode().count(
        page(claim.pk)) >= 1
    _, edith = people["edith"]
    assert "approve_correction" in buttons(edith, claim)
    assert post(edith, claim, "approve_correction").status_code == 302
    claim.refresh_from_db()
    assert claim.verdict == "true" and claim.correction_proposed_at is None
    assert claim.verdicts.count() == 2
    # The history lists both versions, the first marked corrected (a date format inside
    # format_html once emptied the whole list to "-").
    html = edith.get(page(claim.pk)).content.decode()
    history = html[html.index("Published verdicts"):html.index("Review trail")]
    assert "(corrected " in history and "A recount found 40 ships." in history
    assert "log shows 31 ships" in history
