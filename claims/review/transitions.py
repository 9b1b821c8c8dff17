"""The transitions of a claim's review, one service each: take, assign, draft, submit,
publish, send back, dismiss, reopen, flag, and the four-eyes correction of a published
verdict."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from claims.matching import claims_priority_refresh
from claims.models import Claim, Notification, ReviewEvent, Verdict, VerdictVersion
from claims.notifications import desk_members_with, notifications_settle, notify, quoted
from claims.review.rules import (
    TRANSITIONS,
    Incomplete,
    NotAllowed,
    Status,
    WrongState,
    _check,
    _lock,
    _note,
    _require_assignee,
    _save,
    may_flag,
)
from claims.webhooks import claim_event

Kind = Notification.Kind


@transaction.atomic
def claim_take(*, claim, user, take_over: bool = False,
               expected_version: int | None = None) -> Claim:
    """Assign the claim to ``user`` (a fact-checker) and start the review. Taking it from
    another reviewer needs ``take_over``: the page's button that names them, never a plain
    "take" (or a bulk one) that replaces them unseen."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["take"], claim, user)
    if claim.assigned_to_id is not None and not take_over:
        raise NotAllowed(f"{claim.assigned_to} is reviewing this claim: to take it from them, "
                         f"press “Take over from {claim.assigned_to}” on its page.")
    before = claim.status
    previous = claim.assigned_to
    claim.status, claim.assigned_to = Status.IN_REVIEW, user
    claim = _save(claim, user=user, transition="take", from_status=before,
                  fields=["status", "assigned_to"], action=ReviewEvent.Action.ASSIGN,
                  note=f"Taken over from {previous}." if previous else "",
                  data={"assigned_to": user.pk})
    notify(recipients=[previous], kind=Kind.TAKEN_OVER, actor=user, claim=claim,
           text=f"{user} took over your review of {quoted(claim.text)}.")
    return claim


@transaction.atomic
def claim_assign(*, claim, user, assignee, expected_version: int | None = None) -> Claim:
    """An editor hands the claim to a fact-checker."""
    claim = _lock(claim, expected_version)
    if not user.has_perm("claims.assign_claim"):
        raise NotAllowed("You may not assign claims to others.")
    if claim.status not in (Status.NEW, Status.IN_REVIEW):
        raise WrongState(f"Cannot assign a claim that is {claim.get_status_display().lower()}.")
    if not (assignee.is_active and assignee.has_perm("claims.propose_verdict")):
        raise NotAllowed(f"{assignee} is not a fact-checker.")
    before, previous = claim.status, claim.assigned_to
    claim.status, claim.assigned_to = Status.IN_REVIEW, assignee
    claim = _save(claim, user=user, transition="assign", from_status=before,
                  fields=["status", "assigned_to"], action=ReviewEvent.Action.ASSIGN,
                  data={"assigned_to": assignee.pk})
    notify(recipients=[assignee], kind=Kind.ASSIGNED, actor=user, claim=claim,
           text=f"{user} assigned {quoted(claim.text)} to you.")
    if previous is not None and previous.pk != assignee.pk:
        notify(recipients=[previous], kind=Kind.TAKEN_OVER, actor=user, claim=claim,
               text=f"{user} gave your review of {quoted(claim.text)} to {assignee}.")
    return claim



@transaction.atomic
def claim_draft(*, claim, user, verdict: str = "", rationale: str = "",
                expected_version: int | None = None) -> Claim:
    """Save the assigned fact-checker's working verdict and rationale (no status change)."""
    claim = _lock(claim, expected_version)
    if not user.has_perm("claims.propose_verdict"):
        raise NotAllowed("You may not propose verdicts.")
    if claim.status != Status.IN_REVIEW:
        raise WrongState("The verdict can be drafted only while the claim is in review.")
    _require_assignee(claim, user)
    if verdict and verdict not in Verdict.values:
        raise Incomplete(f"{verdict!r} is not on the verdict scale.")
    claim.verdict, claim.rationale = verdict, _note(rationale, required=False, what="")
    return _save(claim, user=user, transition="draft", from_status=claim.status,
                 fields=["verdict", "rationale"], action=ReviewEvent.Action.EDIT)


@transaction.atomic
def claim_submit(*, claim, user, verdict: str, rationale: str,
                 expected_version: int | None = None) -> Claim:
    """Propose a verdict for approval: verdict, rationale and evidence are required."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["submit"], claim, user)
    if verdict not in Verdict.values:
        raise Incomplete("Choose a verdict from the scale.")
    rationale = _note(rationale, required=True, what="a verdict (its rationale)")
    if not claim.evidence.exists():
        raise Incomplete("Add at least one evidence source before submitting.")
    before = claim.status
    claim.status, claim.verdict, claim.rationale = Status.AWAITING_APPROVAL, verdict, rationale
    claim.proposed_by, claim.proposed_at = user, timezone.now()
    claim = _save(claim, user=user, transition="submit", from_status=before,
                  fields=["status", "verdict", "rationale", "proposed_by", "proposed_at"],
                  data={"verdict": verdict}, action=ReviewEvent.Action.VERDICT)
    # Every editor who may publish it; not the proposer (four eyes), who is the actor.
    notify(recipients=desk_members_with(TRANSITIONS["publish"].permission),
           kind=Kind.APPROVAL_NEEDED, actor=user, claim=claim,
           text=f"{user} proposes “{claim.get_verdict_display()}” for {quoted(claim.text)}: "
                "it awaits your approval.")
    return claim


@transaction.atomic
def claim_publish(*, claim, user, expected_version: int | None = None) -> Claim:
    """Approve the proposed verdict and publish it. Four eyes: not by its proposer."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["publish"], claim, user)
    now = timezone.now()
    before = claim.status
    VerdictVersion.objects.create(
        claim=claim, number=claim.verdicts.count() + 1, verdict=claim.verdict,
        rationale=claim.rationale, proposed_by=claim.proposed_by, published_by=user,
        published_at=now)
    claim.status, claim.published_at = Status.PUBLISHED, now
    claim = _save(claim, user=user, transition="publish", from_status=before,
                  fields=["status", "published_at"], data={"verdict": claim.verdict})
    claim_event(claim_id=claim.pk, event="claim.published")  # sent once this commits
    notifications_settle(claim=claim)  # nobody else is asked to approve it any more
    return claim


@transaction.atomic
def claim_send_back(*, claim, user, note: str, expected_version: int | None = None) -> Claim:
    """Return a proposed verdict to its fact-checker with what to fix."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["send_back"], claim, user)
    note = _note(note, required=True, what="sending back")
    before = claim.status
    claim.status = Status.IN_REVIEW
    claim.assigned_to_id = claim.proposed_by_id or claim.assigned_to_id
    claim = _save(claim, user=user, transition="send_back", from_status=before, note=note,
                  fields=["status", "assigned_to"])
    notifications_settle(claim=claim)
    notify(recipients=[claim.proposed_by], kind=Kind.SENT_BACK, actor=user, claim=claim,
           text=f"{user} sent back your verdict on {quoted(claim.text)}: {note}")
    return claim


@transaction.atomic
def claim_dismiss(*, claim, user, reason: str, expected_version: int | None = None) -> Claim:
    """Dismiss a claim as not worth checking; the reason is required and kept."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["dismiss"], claim, user)
    reason = _note(reason, required=True, what="dismissing")
    before = claim.status
    claim.status = Status.DISMISSED
    claim = _save(claim, user=user, transition="dismiss", from_status=before, note=reason,
                  fields=["status"])
    notifications_settle(claim=claim)
    return claim


@transaction.atomic
def claim_reopen(*, claim, user, note: str, expected_version: int | None = None) -> Claim:
    """Bring a dismissed claim back to the queue."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["reopen"], claim, user)
    note = _note(note, required=True, what="reopening")
    before = claim.status
    claim.status, claim.assigned_to = Status.NEW, None
    return _save(claim, user=user, transition="reopen", from_status=before, note=note,
                 fields=["status", "assigned_to"])


CORRECTION_FIELDS = ["correction_verdict", "correction_rationale", "correction_note",
                     "correction_proposed_by", "correction_proposed_at"]


def _correction_clear(claim: Claim) -> None:
    claim.correction_verdict = claim.correction_rationale = claim.correction_note = ""
    claim.correction_proposed_by, claim.correction_proposed_at = None, None


@transaction.atomic
def claim_correct(*, claim, user, verdict: str, rationale: str, note: str,
                  expected_version: int | None = None) -> Claim:
    """Propose a correction of the published verdict. It waits for another editor's approval
    (``claim_correction_approve``); until then the published verdict stands unchanged."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["correct"], claim, user)
    if verdict not in Verdict.values:
        raise Incomplete("Choose a verdict from the scale.")
    rationale = _note(rationale, required=True, what="a corrected verdict (its rationale)")
    note = _note(note, required=True, what="a correction (what changed and why)")
    if verdict == claim.verdict and rationale == claim.rationale:
        raise Incomplete("The correction changes neither the verdict nor the rationale.")
    claim.correction_verdict, claim.correction_rationale = verdict, rationale
    claim.correction_note, claim.correction_proposed_by = note, user
    claim.correction_proposed_at = timezone.now()
    claim = _save(claim, user=user, transition="correct", from_status=claim.status, note=note,
                  fields=CORRECTION_FIELDS, action=ReviewEvent.Action.CORRECTION,
                  data={"from_verdict": claim.verdict, "verdict": verdict}, public=False)
    notify(recipients=desk_members_with(TRANSITIONS["approve_correction"].permission),
           kind=Kind.APPROVAL_NEEDED, actor=user, claim=claim,
           text=f"{user} proposes a correction of {quoted(claim.text)} (to "
                f"“{claim.get_correction_verdict_display()}”): it awaits another editor's "
                "approval.")
    return claim


@transaction.atomic
def claim_correction_approve(*, claim, user, expected_version: int | None = None) -> Claim:
    """Publish the correction awaiting approval: a new version of the verdict; the one it
    replaces stays, marked corrected. Four eyes: not by the editor who proposed it."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["approve_correction"], claim, user)
    now = timezone.now()
    current = claim.verdicts.select_for_update().filter(corrected_at__isnull=True).first()
    if current is not None:
        current.corrected_at = now
        current.save(update_fields=["corrected_at"])
    verdict, rationale, note = (claim.correction_verdict, claim.correction_rationale,
                                claim.correction_note)
    VerdictVersion.objects.create(
        claim=claim, number=claim.verdicts.count() + 1, verdict=verdict, rationale=rationale,
        proposed_by=claim.correction_proposed_by, published_by=user, published_at=now,
        correction_note=note)
    previous = claim.verdict
    # The corrected verdict is its proposer's: the claim names who proposed what it shows.
    claim.verdict, claim.rationale = verdict, rationale
    claim.proposed_by = claim.correction_proposed_by
    claim.proposed_at = claim.correction_proposed_at
    _correction_clear(claim)
    claim = _save(claim, user=user, transition="approve_correction", from_status=claim.status,
                  fields=["verdict", "rationale", "proposed_by", "proposed_at",
                          *CORRECTION_FIELDS],
                  action=ReviewEvent.Action.CORRECTION,
                  data={"from_verdict": previous, "verdict": verdict})
    claim_event(claim_id=claim.pk, event="claim.corrected")  # sent once this commits
    notifications_settle(claim=claim)
    return claim


@transaction.atomic
def claim_correction_discard(*, claim, user, note: str,
                             expected_version: int | None = None) -> Claim:
    """Drop the correction awaiting approval (its proposer or another editor), saying why;
    the published verdict stays. The proposal is kept in the trail."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["discard_correction"], claim, user)
    note = _note(note, required=True, what="discarding a correction")
    dropped = {"verdict": claim.correction_verdict, "rationale": claim.correction_rationale,
               "note": claim.correction_note,
               "proposed_by": claim.correction_proposed_by_id}
    _correction_clear(claim)
    claim = _save(claim, user=user, transition="discard_correction", from_status=claim.status,
                  note=note, fields=CORRECTION_FIELDS, action=ReviewEvent.Action.CORRECTION,
                  data={"discarded": dropped}, public=False)
    notifications_settle(claim=claim)
    return claim


@transaction.atomic
def claim_flag(*, claim, user, note: str = "") -> Claim:
    """A reporter asks the desk to check a claim; it rises in the queue."""
    claim = _lock(claim, None)
    may_flag(claim, user)
    note = _note(note, required=False, what="")
    claim.flagged = True
    claim = _save(claim, user=user, transition="flag", from_status=claim.status, note=note,
                  fields=["flagged"], action=ReviewEvent.Action.FLAG)
    claims_priority_refresh(claim_ids=[claim.pk])
    claim.refresh_from_db()
    return claim
