"""The review workflow's services: every transition, and every refusal."""

from __future__ import annotations

import pytest

from claims import matching, review
from claims.models import (
    CLAIMREVIEW_RATINGS,
    Claim,
    ClaimLink,
    Evidence,
    Proposition,
    ReviewEvent,
    Verdict,
    VerdictVersion,
)
from claims.roles import EDITOR, FACT_CHECKER, REPORTER
from tests.factories import ClaimFactory, desk_user

pytestmark = pytest.mark.django_db

S = Claim.Status


@pytest.fixture
def people(db):
    return {
        "reporter": desk_user("rita", REPORTER),
        "checker": desk_user("fiona", FACT_CHECKER),
        "checker2": desk_user("felix", FACT_CHECKER),
        "editor": desk_user("edith", EDITOR),
        "editor2": desk_user("eric", EDITOR),
        "nobody": desk_user("nora"),
    }


@pytest.fixture
def claim(db):
    return ClaimFactory(checkworthiness=0.8)


def in_review(claim, checker):
    return review.claim_take(claim=claim, user=checker)


def researched(claim, checker):
    claim = in_review(claim, checker)
    review.evidence_add(claim=claim, user=checker, url="https://stats.example/report",
                        note="The report says 38 ships.", stance="refutes")
    return Claim.objects.get(pk=claim.pk)


def submitted(claim, checker):
    claim = researched(claim, checker)
    return review.claim_submit(claim=claim, user=checker, verdict=Verdict.MOSTLY_FALSE,
                               rationale="The port's own report gives 38 ships.")


def published(claim, checker, editor):
    return review.claim_publish(claim=submitted(claim, checker), user=editor)


def names(user, claim):
    return [t.name for t in review.available_transitions(claim, user)]


def trail(claim):
    return list(ReviewEvent.objects.filter(claim=claim).order_by("id").values_list(
        "actor__username", "from_status", "to_status", "data__transition"))


# --- the happy path, step by step -------------------------------------------------------------


def test_taking_a_claim_assigns_it_and_starts_the_review(claim, people):
    claim = review.claim_take(claim=claim, user=people["checker"])
    assert claim.status == S.IN_REVIEW and claim.assigned_to == people["checker"]
    assert claim.version == 2
    assert trail(claim) == [("fiona", "new", "in_review", "take")]


def test_a_submission_carries_verdict_rationale_and_evidence(claim, people):
    claim = submitted(claim, people["checker"])
    assert claim.status == S.AWAITING_APPROVAL
    assert claim.verdict == "mostly_false" and claim.proposed_by == people["checker"]
    assert trail(claim)[-1] == ("fiona", "in_review", "awaiting_approval", "submit")


def test_publishing_keeps_the_verdict_as_version_one(claim, people):
    claim = published(claim, people["checker"], people["editor"])
    assert claim.status == S.PUBLISHED and claim.published_at
    version = VerdictVersion.objects.get(claim=claim)
    assert (version.number, version.verdict, version.proposed_by, version.published_by) == (
        1, "mostly_false", people["checker"], people["editor"])
    assert trail(claim)[-1] == ("edith", "awaiting_approval", "published", "publish")


def test_sending_back_returns_the_claim_to_its_fact_checker_with_the_note(claim, people):
    claim = submitted(claim, people["checker"])
    claim = review.claim_send_back(claim=claim, user=people["editor"],
                                   note="Cite the harbour log, not the press release.")
    assert claim.status == S.IN_REVIEW and claim.assigned_to == people["checker"]
    event = ReviewEvent.objects.filter(claim=claim).latest("id")
    assert event.note == "Cite the harbour log, not the press release."
    # …and it can go round again.
    claim = review.claim_submit(claim=claim, user=people["checker"], verdict=Verdict.FALSE,
                                rationale="The harbour log shows 31 ships.")
    assert review.claim_publish(claim=claim, user=people["editor2"]).status == S.PUBLISHED


def test_a_correction_adds_a_version_and_keeps_the_old_one_marked(claim, people):
    claim = published(claim, people["checker"], people["editor"])
    claim = review.claim_correct(claim=claim, user=people["editor2"], verdict=Verdict.FALSE,
                                 rationale="The port's revised report gives 31 ships.",
                                 note="The port revised its figures on 3 March.")
    # Proposed, not yet published: the published verdict stands until another editor approves.
    assert claim.status == S.PUBLISHED and claim.verdict == "mostly_false"
    assert claim.correction_verdict == "false" and VerdictVersion.objects.count() == 1
    proposed_at = claim.updated_at
    claim = review.claim_correction_approve(claim=claim, user=people["editor"])
    assert claim.status == S.PUBLISHED and claim.verdict == "false"
    assert claim.updated_at > proposed_at  # the published verdict changed
    assert claim.correction_proposed_at is None and claim.correction_verdict == ""
    old, new = VerdictVersion.objects.filter(claim=claim).order_by("number")
    assert old.corrected_at is not None and old.verdict == "mostly_false"
    assert new.corrected_at is None and new.number == 2
    assert new.correction_note == "The port revised its figures on 3 March."
    assert (new.proposed_by, new.published_by) == (people["editor2"], people["editor"])
    assert trail(claim)[-2:] == [("eric", "published", "published", "correct"),
                                 ("edith", "published", "published", "approve_correction")]


def test_a_correction_needs_a_second_editor(claim, people):
    """Four eyes on corrections too: its proposer cannot approve it, the page does not offer
    it, and a second proposal waits until the first is approved or discarded."""
    claim = published(claim, people["checker"], people["editor"])
    claim = review.claim_correct(claim=claim, user=people["editor"], verdict=Verdict.TRUE,
                                 rationale="A recount found 40.", note="Recount.")
    assert "approve_correction" not in names(people["editor"], claim)
    assert {"approve_correction", "discard_correction"} <= set(names(people["editor2"], claim))
    assert "correct" not in names(people["editor2"], claim)
    with pytest.raises(review.NotAllowed, match="Four eyes"):
        review.claim_correction_approve(claim=claim, user=people["editor"])
    with pytest.raises(review.WrongState, match="already awaiting approval"):
        review.claim_correct(claim=claim, user=people["editor2"], verdict=Verdict.FALSE,
                             rationale="Other.", note="Other.")
    with pytest.raises(review.NotAllowed):
        review.claim_correction_approve(claim=claim, user=people["checker"])
    claim.refresh_from_db()
    assert claim.verdict == "mostly_false" and VerdictVersion.objects.count() == 1


def test_a_discarded_correction_leaves_the_verdict_and_its_trace(claim, people):
    claim = published(claim, people["checker"], people["editor"])
    shown = claim.updated_at
    claim = review.claim_correct(claim=claim, user=people["editor"], verdict=Verdict.TRUE,
                                 rationale="A recount found 40.", note="Recount.")
    # Nothing public changed: updated_at (the API's updated_since, ClaimReview's
    # dateModified) does not tell outsiders a correction is pending.
    assert claim.updated_at == shown
    with pytest.raises(review.Incomplete, match="needs a note"):
        review.claim_correction_discard(claim=claim, user=people["editor2"], note=" ")
    claim = review.claim_correction_discard(claim=claim, user=people["editor2"],
                                            note="The recount was of another day.")
    assert claim.verdict == "mostly_false" and claim.correction_proposed_at is None
    event = ReviewEvent.objects.filter(claim=claim).latest("id")
    assert event.data["discarded"]["verdict"] == "true" and event.note.startswith("The recount")
    assert claim.updated_at == shown
    with pytest.raises(review.WrongState, match="No correction"):
        review.claim_correction_approve(claim=claim, user=people["editor2"])


def test_dismissing_needs_a_reason_and_reopening_brings_it_back(claim, people):
    with pytest.raises(review.Incomplete, match="needs a note"):
        review.claim_dismiss(claim=claim, user=people["editor"], reason="  ")
    claim = review.claim_dismiss(claim=claim, user=people["editor"],
                                 reason="An opinion, not a checkable fact.")
    assert claim.status == S.DISMISSED
    claim = review.claim_reopen(claim=claim, user=people["editor2"], note="It is checkable.")
    assert claim.status == S.NEW and claim.assigned_to is None


def test_an_editor_assigns_a_claim_to_a_fact_checker_only(claim, people):
    claim = review.claim_assign(claim=claim, user=people["editor"], assignee=people["checker"])
    assert claim.assigned_to == people["checker"] and claim.status == S.IN_REVIEW
    with pytest.raises(review.NotAllowed, match="not a fact-checker"):
        review.claim_assign(claim=claim, user=people["editor"], assignee=people["reporter"])
    with pytest.raises(review.NotAllowed):
        review.claim_assign(claim=claim, user=people["checker"], assignee=people["checker2"])


def test_a_reporter_flags_a_claim_and_it_rises_in_the_queue(claim, people):
    matching.claims_priority_refresh(claim_ids=[claim.pk])
    claim.refresh_from_db()
    assert claim.priority == pytest.approx(0.8)  # check-worthiness alone
    claim = review.claim_flag(claim=claim, user=people["reporter"], note="Our readers ask.")
    assert claim.flagged and claim.priority == pytest.approx(0.8 + 0.5)
    with pytest.raises(review.NotAllowed):
        review.claim_flag(claim=claim, user=people["nobody"])


# --- refusals ----------------------------------------------------------------------------------


def test_four_eyes_the_proposer_cannot_publish_even_as_an_editor(claim, people):
    editor = people["editor"]
    claim = review.claim_take(claim=claim, user=editor)  # editors may check claims too
    review.evidence_add(claim=claim, user=editor, url="https://stats.example/r")
    claim = review.claim_submit(claim=Claim.objects.get(pk=claim.pk), user=editor,
                                verdict=Verdict.TRUE, rationale="The report agrees.")
    with pytest.raises(review.NotAllowed, match="Four eyes"):
        review.claim_publish(claim=claim, user=editor)
    assert Claim.objects.get(pk=claim.pk).status == S.AWAITING_APPROVAL
    assert review.claim_publish(claim=claim, user=people["editor2"]).status == S.PUBLISHED


@pytest.mark.parametrize("verdict, rationale, evidence, message", [
    ("", "Because.", True, "Choose a verdict"),
    ("maybe", "Because.", True, "Choose a verdict"),
    (Verdict.TRUE, "   ", True, "needs a note"),
    (Verdict.TRUE, "Because.", False, "at least one evidence"),
])
def test_a_submission_without_verdict_rationale_or_evidence_is_refused(
        claim, people, verdict, rationale, evidence, message):
    checker = people["checker"]
    claim = researched(claim, checker) if evidence else in_review(claim, checker)
    with pytest.raises(review.Incomplete, match=message):
        review.claim_submit(claim=claim, user=checker, verdict=verdict, rationale=rationale)
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW


@pytest.mark.parametrize("action", ["take", "submit", "publish", "send_back", "dismiss",
                                    "correct", "reopen", "approve_correction",
                                    "discard_correction"])
def test_each_transition_refuses_a_role_without_it(claim, people, action):
    reporter = people["reporter"]
    calls = {
        "take": lambda c: review.claim_take(claim=c, user=reporter),
        "submit": lambda c: review.claim_submit(claim=c, user=reporter, verdict="true",
                                                rationale="x"),
        "publish": lambda c: review.claim_publish(claim=c, user=reporter),
        "send_back": lambda c: review.claim_send_back(claim=c, user=reporter, note="x"),
        "dismiss": lambda c: review.claim_dismiss(claim=c, user=reporter, reason="x"),
        "correct": lambda c: review.claim_correct(claim=c, user=reporter, verdict="true",
                                                  rationale="x", note="x"),
        "reopen": lambda c: review.claim_reopen(claim=c, user=reporter, note="x"),
        "approve_correction": lambda c: review.claim_correction_approve(claim=c, user=reporter),
        "discard_correction": lambda c: review.claim_correction_discard(claim=c, user=reporter,
                                                                        note="x"),
    }
    # Put the claim in the state the transition starts from, so only the role is wrong.
    checker = people["checker"]
    if action in ("take", "dismiss"):
        start = claim
    elif action == "submit":
        start = researched(claim, checker)
    elif action in ("publish", "send_back"):
        start = submitted(claim, checker)
    elif action == "correct":
        start = published(claim, checker, people["editor"])
    elif action in ("approve_correction", "discard_correction"):
        start = review.claim_correct(claim=published(claim, checker, people["editor"]),
                                     user=people["editor2"], verdict="true",
                                     rationale="Recount.", note="Recount.")
    else:
        start = review.claim_dismiss(claim=claim, user=people["editor"], reason="x")
    before = (start.status, start.version)
    with pytest.raises(review.NotAllowed):
        calls[action](start)
    after = Claim.objects.get(pk=start.pk)
    assert (after.status, after.version) == before


@pytest.mark.parametrize("action, state", [
    ("submit", S.NEW), ("publish", S.IN_REVIEW), ("publish", S.PUBLISHED),
    ("send_back", S.IN_REVIEW), ("dismiss", S.PUBLISHED), ("correct", S.AWAITING_APPROVAL),
    ("reopen", S.NEW), ("take", S.AWAITING_APPROVAL), ("approve_correction", S.PUBLISHED),
    ("discard_correction", S.PUBLISHED), ("approve_correction", S.AWAITING_APPROVAL),
])
def test_each_transition_refuses_the_wrong_state(claim, people, action, state):
    checker, editor = people["checker"], people["editor2"]
    claim = {
        S.NEW: lambda: claim,
        S.IN_REVIEW: lambda: in_review(claim, checker),
        S.AWAITING_APPROVAL: lambda: submitted(claim, checker),
        S.PUBLISHED: lambda: published(claim, checker, people["editor"]),
    }[state]()
    calls = {
        "take": lambda: review.claim_take(claim=claim, user=people["checker2"]),
        "submit": lambda: review.claim_submit(claim=claim, user=checker, verdict="true",
                                              rationale="x"),
        "publish": lambda: review.claim_publish(claim=claim, user=editor),
        "send_back": lambda: review.claim_send_back(claim=claim, user=editor, note="x"),
        "dismiss": lambda: review.claim_dismiss(claim=claim, user=editor, reason="x"),
        "correct": lambda: review.claim_correct(claim=claim, user=editor, verdict="true",
                                                rationale="x", note="x"),
        "reopen": lambda: review.claim_reopen(claim=claim, user=editor, note="x"),
        # No correction awaits approval on these:
        "approve_correction": lambda: review.claim_correction_approve(claim=claim, user=editor),
        "discard_correction": lambda: review.claim_correction_discard(claim=claim, user=editor,
                                                                      note="x"),
    }
    with pytest.raises(review.WrongState):
        calls[action]()
    assert Claim.objects.get(pk=claim.pk).status == state


def test_only_the_assigned_fact_checker_submits_or_adds_evidence(claim, people):
    claim = in_review(claim, people["checker"])
    with pytest.raises(review.NotAllowed, match="assigned to fiona"):
        review.evidence_add(claim=claim, user=people["checker2"], url="https://a.example/")
    with pytest.raises(review.NotAllowed, match="assigned to fiona"):
        review.claim_submit(claim=claim, user=people["checker2"], verdict="true",
                            rationale="x")
    # Nor can another fact-checker take it over; an editor can.
    with pytest.raises(review.NotAllowed, match="an editor can reassign"):
        review.claim_take(claim=claim, user=people["checker2"])
    assert review.claim_take(claim=claim, user=people["editor"],
                             take_over=True).assigned_to == people["editor"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://files.example/x", "not a url",
                                 "", "data:text/html,<script>x</script>"])
def test_evidence_must_be_an_http_link(claim, people, url):
    claim = in_review(claim, people["checker"])
    with pytest.raises(review.Incomplete, match="http"):
        review.evidence_add(claim=claim, user=people["checker"], url=url)
    assert not Evidence.objects.exists()


def test_a_stale_version_is_refused_and_nothing_is_saved(claim, people):
    checker = people["checker"]
    opened = claim.version
    review.claim_take(claim=claim, user=checker, expected_version=opened)
    with pytest.raises(review.Conflict, match="while you had it open") as caught:
        review.claim_dismiss(claim=claim, user=people["editor"], reason="dull",
                             expected_version=opened)
    assert "by fiona" in caught.value.message
    assert Claim.objects.get(pk=claim.pk).status == S.IN_REVIEW


def test_the_page_offers_only_the_buttons_the_user_may_press(claim, people):
    assert names(people["reporter"], claim) == []
    assert names(people["checker"], claim) == ["take"]
    assert names(people["editor"], claim) == ["take", "dismiss"]
    claim = submitted(claim, people["checker"])
    assert names(people["checker"], claim) == []
    assert names(people["editor"], claim) == ["publish", "send_back", "dismiss"]
    claim = review.claim_send_back(claim=claim, user=people["editor"], note="more")
    assert names(people["checker"], claim) == ["submit"]
    assert names(people["checker2"], claim) == []


def test_the_verdict_scale_maps_to_claimreview_ratings():
    values = {v: CLAIMREVIEW_RATINGS[v] for v in Verdict.values}
    assert set(values) == set(Verdict.values)
    numeric = [v for v in values.values() if v is not None]
    assert min(numeric) == 1 and max(numeric) == 6 and len(set(numeric)) == len(numeric)
    assert values["true"] > values["mostly_true"] > values["mixed"] > values["misleading"] \
        > values["mostly_false"] > values["false"]


def test_rating_a_proposition_suggests_the_opposite_verdict_for_denials(people):
    denial = ClaimFactory(kind=Claim.Kind.DENIAL)
    allegation = ClaimFactory(kind=Claim.Kind.ALLEGATION)
    proposition = Proposition.objects.create(text=allegation.text, first_claim=allegation)
    for c, relation in ((allegation, "supports"), (denial, "contradicts")):
        ClaimLink.objects.create(claim=c, proposition=proposition, relation=relation,
                                 score=0.9, method="test")
    suggestions = review.proposition_verdict_suggestions(proposition=proposition,
                                                         verdict=Verdict.MOSTLY_TRUE)
    assert {(s.claim.pk, s.verdict) for s in suggestions} == {
        (allegation.pk, "mostly_true"), (denial.pk, "mostly_false")}
    # Never applied silently: nothing changed until a fact-checker accepts one.
    assert not Claim.objects.exclude(verdict="").exists()
    claim = review.suggestion_accept(claim=denial, user=people["checker"],
                                     verdict="mostly_false", rationale="Per the proposition.")
    assert (claim.status, claim.verdict, claim.assigned_to) == (
        S.IN_REVIEW, "mostly_false", people["checker"])
    assert Claim.objects.get(pk=allegation.pk).verdict == ""
