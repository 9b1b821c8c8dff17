"""The review workflow: guarded transitions of a claim, its evidence and its verdicts.

Every change goes through one function here, which checks the state, the user's permission
and the version the user saw (optimistic locking), applies the change under a row lock and
writes the review trail. The admin, the API and tests call these; nothing else sets
``Claim.status``.

    new ──take──▶ in review ──submit──▶ awaiting approval ──publish──▶ published ─┐
     │              ▲   │                      │                                │ correct
     │              └───┼────── send back ─────┘                                ◀─┘
     └──── dismiss ─────┴──────────────────────┘──▶ dismissed ──reopen──▶ new

A correction of a published claim is proposed by one editor and approved (or discarded) by
another; the claim stays published throughout, its verdict unchanged until the approval.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from claims.matching import claims_priority_refresh
from claims.models import (
    OPPOSITE_VERDICT,
    Claim,
    ClaimLink,
    Evidence,
    Proposition,
    ReviewEvent,
    Verdict,
    VerdictVersion,
)
from claims.webhooks import claim_event

Status = Claim.Status
NOTE_MAX = 5000


class ReviewError(Exception):
    """A transition refused; ``message`` says why in words an editor can act on."""

    code = "refused"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class WrongState(ReviewError):
    code = "wrong_state"


class NotAllowed(ReviewError):
    code = "not_allowed"


class Incomplete(ReviewError):
    code = "incomplete"


class Conflict(ReviewError):
    """The claim changed since the user loaded it: nothing was saved."""

    code = "conflict"


@dataclass(frozen=True)
class Transition:
    """One step of the workflow. Its permission, source states and ``guard`` (the rules
    beyond them: four eyes, assignment, a correction awaiting) decide both which buttons a
    user sees (``available_transitions``) and, in the service, whether the step may run."""

    name: str
    label: str
    permission: str
    sources: tuple[str, ...]
    target: str | None  # None: the status stays (a correction)
    needs_note: bool = False
    guard: Callable[[Claim, object], None] | None = None  # raises ReviewError to refuse


def _require_assignee(claim: Claim, user) -> None:
    if claim.assigned_to_id != user.pk:
        owner = claim.assigned_to or "nobody"
        raise NotAllowed(f"This claim is assigned to {owner}: take it first.")


def _require_pending_correction(claim: Claim) -> None:
    if claim.correction_proposed_at is None:
        raise WrongState("No correction is awaiting approval.")


def _may_take(claim: Claim, user) -> None:
    if claim.assigned_to_id == user.pk:
        raise WrongState("You already have this claim.")
    if claim.assigned_to_id and not user.has_perm("claims.assign_claim"):
        raise NotAllowed(f"{claim.assigned_to} is working on this claim; an editor can "
                         "reassign it.")


def _may_publish(claim: Claim, user) -> None:
    if claim.proposed_by_id == user.pk:
        raise NotAllowed("Four eyes: you proposed this verdict, so another editor must "
                         "approve it.")


def _may_correct(claim: Claim, user) -> None:
    if claim.correction_proposed_at is not None:
        raise WrongState(f"A correction by {claim.correction_proposed_by or 'another editor'} "
                         "is already awaiting approval: approve or discard it first.")


def _may_approve_correction(claim: Claim, user) -> None:
    _require_pending_correction(claim)
    if claim.correction_proposed_by_id == user.pk:
        raise NotAllowed("Four eyes: you proposed this correction, so another editor must "
                         "approve it.")


TRANSITIONS: dict[str, Transition] = {t.name: t for t in [
    Transition("take", "Take it", "claims.take_claim", (Status.NEW, Status.IN_REVIEW),
               Status.IN_REVIEW, guard=_may_take),
    Transition("submit", "Submit for approval", "claims.propose_verdict", (Status.IN_REVIEW,),
               Status.AWAITING_APPROVAL, guard=_require_assignee),
    Transition("publish", "Approve and publish", "claims.publish_claim",
               (Status.AWAITING_APPROVAL,), Status.PUBLISHED, guard=_may_publish),
    Transition("send_back", "Send back", "claims.send_back_claim",
               (Status.AWAITING_APPROVAL,), Status.IN_REVIEW, needs_note=True),
    Transition("dismiss", "Dismiss", "claims.dismiss_claim",
               (Status.NEW, Status.IN_REVIEW, Status.AWAITING_APPROVAL), Status.DISMISSED,
               needs_note=True),
    Transition("reopen", "Reopen", "claims.dismiss_claim", (Status.DISMISSED,), Status.NEW,
               needs_note=True),
    # Corrections, four eyes as for publishing: one editor proposes, another approves.
    Transition("correct", "Propose a correction", "claims.correct_claim", (Status.PUBLISHED,),
               None, needs_note=True, guard=_may_correct),
    Transition("approve_correction", "Approve and publish the correction",
               "claims.correct_claim", (Status.PUBLISHED,), None,
               guard=_may_approve_correction),
    Transition("discard_correction", "Discard the correction", "claims.correct_claim",
               (Status.PUBLISHED,), None, needs_note=True,
               guard=lambda claim, user: _require_pending_correction(claim)),
]}


def _note(note: str, *, required: bool, what: str) -> str:
    note = (note or "").strip()
    if required and not note:
        raise Incomplete(f"Say why: {what} needs a note.")
    if len(note) > NOTE_MAX:
        raise Incomplete(f"The note is too long ({len(note)} characters; at most {NOTE_MAX}).")
    return note


def _lock(claim: Claim | int, expected_version: int | None) -> Claim:
    """The claim, locked for this transaction, refused if it moved past ``expected_version``."""
    pk = claim if isinstance(claim, int) else claim.pk
    # "No key": matching may add links pointing at the claim meanwhile without waiting.
    locked = Claim.objects.select_for_update(no_key=True).get(pk=pk)
    if expected_version is not None and locked.version != expected_version:
        last = locked.events.select_related("actor").order_by("-created_at", "-id").first()
        who = f" by {last.actor or 'the system'} at {last.created_at:%H:%M}" if last else ""
        raise Conflict(
            f"This claim was changed{who} while you had it open (you saw version "
            f"{expected_version}, it is now version {locked.version}). Nothing of yours was "
            "saved: reload the claim, then apply your change again.")
    return locked


def _check(transition: Transition, claim: Claim, user) -> None:
    if not user.has_perm(transition.permission):
        raise NotAllowed(f"You may not {transition.label.lower()} claims (your role does not "
                         "include it).")
    if claim.status not in transition.sources:
        allowed = ", ".join(Status(s).label.lower() for s in transition.sources)
        raise WrongState(f"Cannot {transition.label.lower()}: the claim is "
                         f"{claim.get_status_display().lower()}, not {allowed}.")
    if transition.guard is not None:
        transition.guard(claim, user)


def _save(claim: Claim, *, user, transition: str, from_status: str, note: str = "",
          fields: list[str], data: dict | None = None, action=ReviewEvent.Action.STATUS,
          public: bool = True) -> Claim:
    """Save ``fields`` with a new version and a trail event. ``public=False``: a change the
    API does not show (a correction awaiting approval) leaves ``updated_at`` alone, which the
    API publishes — as ``updated_since`` and ClaimReview's dateModified."""
    claim.version = F("version") + 1
    claim.save(update_fields=[*fields, "version", *(["updated_at"] if public else [])])
    claim.refresh_from_db()
    ReviewEvent.objects.create(
        claim=claim, actor=user, action=action, from_status=from_status,
        to_status=claim.status, note=note, data={"transition": transition, **(data or {})})
    return claim


def available_transitions(claim: Claim, user) -> list[Transition]:
    """The transitions ``user`` may press on ``claim`` now (the page shows only these): the
    same checks the services run."""
    found = []
    for transition in TRANSITIONS.values():
        try:
            _check(transition, claim, user)
        except ReviewError:
            continue
        found.append(transition)
    return found


# --- transitions ----------------------------------------------------------------------------


@transaction.atomic
def claim_take(*, claim, user, expected_version: int | None = None) -> Claim:
    """Assign the claim to ``user`` (a fact-checker) and start the review."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["take"], claim, user)
    before = claim.status
    previous = claim.assigned_to
    claim.status, claim.assigned_to = Status.IN_REVIEW, user
    return _save(claim, user=user, transition="take", from_status=before,
                 fields=["status", "assigned_to"], action=ReviewEvent.Action.ASSIGN,
                 note=f"Taken over from {previous}." if previous else "",
                 data={"assigned_to": user.pk})


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
    before = claim.status
    claim.status, claim.assigned_to = Status.IN_REVIEW, assignee
    return _save(claim, user=user, transition="assign", from_status=before,
                 fields=["status", "assigned_to"], action=ReviewEvent.Action.ASSIGN,
                 data={"assigned_to": assignee.pk})



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
    return _save(claim, user=user, transition="submit", from_status=before,
                 fields=["status", "verdict", "rationale", "proposed_by", "proposed_at"],
                 data={"verdict": verdict}, action=ReviewEvent.Action.VERDICT)


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
    return _save(claim, user=user, transition="send_back", from_status=before, note=note,
                 fields=["status", "assigned_to"])


@transaction.atomic
def claim_dismiss(*, claim, user, reason: str, expected_version: int | None = None) -> Claim:
    """Dismiss a claim as not worth checking; the reason is required and kept."""
    claim = _lock(claim, expected_version)
    _check(TRANSITIONS["dismiss"], claim, user)
    reason = _note(reason, required=True, what="dismissing")
    before = claim.status
    claim.status = Status.DISMISSED
    return _save(claim, user=user, transition="dismiss", from_status=before, note=reason,
                 fields=["status"])


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
    return _save(claim, user=user, transition="correct", from_status=claim.status, note=note,
                 fields=CORRECTION_FIELDS, action=ReviewEvent.Action.CORRECTION,
                 data={"from_verdict": claim.verdict, "verdict": verdict}, public=False)


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
    claim.verdict, claim.rationale = verdict, rationale
    _correction_clear(claim)
    claim = _save(claim, user=user, transition="approve_correction", from_status=claim.status,
                  fields=["verdict", "rationale", *CORRECTION_FIELDS],
                  action=ReviewEvent.Action.CORRECTION,
                  data={"from_verdict": previous, "verdict": verdict})
    claim_event(claim_id=claim.pk, event="claim.corrected")  # sent once this commits
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
    return _save(claim, user=user, transition="discard_correction", from_status=claim.status,
                 note=note, fields=CORRECTION_FIELDS, action=ReviewEvent.Action.CORRECTION,
                 data={"discarded": dropped}, public=False)


@transaction.atomic
def claim_flag(*, claim, user, note: str = "") -> Claim:
    """A reporter asks the desk to check a claim; it rises in the queue."""
    claim = _lock(claim, None)
    if not user.has_perm("claims.flag_claim"):
        raise NotAllowed("You may not flag claims.")
    if claim.status in (Status.PUBLISHED, Status.DISMISSED):
        raise WrongState(f"The claim is already {claim.get_status_display().lower()}.")
    note = _note(note, required=False, what="")
    claim.flagged = True
    claim = _save(claim, user=user, transition="flag", from_status=claim.status, note=note,
                  fields=["flagged"], action=ReviewEvent.Action.FLAG)
    claims_priority_refresh(claim_ids=[claim.pk])
    claim.refresh_from_db()
    return claim


# --- evidence -------------------------------------------------------------------------------

_url = URLValidator(schemes=["http", "https"])


def _may_research(claim: Claim, user) -> None:
    if not user.has_perm("claims.propose_verdict"):
        raise NotAllowed("You may not add evidence.")
    if claim.status != Status.IN_REVIEW:
        raise WrongState("Evidence can be changed only while the claim is in review.")
    _require_assignee(claim, user)


@transaction.atomic
def evidence_add(*, claim, user, url: str, note: str = "",
                 stance: str = Evidence.Stance.CONTEXT,
                 expected_version: int | None = None) -> Evidence:
    """Attach a source to a claim in review (only http(s) links: they are shown as links)."""
    claim = _lock(claim, expected_version)
    _may_research(claim, user)
    url = (url or "").strip()
    try:
        _url(url)
    except ValidationError:
        raise Incomplete("Give the evidence as a full http:// or https:// address.") from None
    if stance not in Evidence.Stance.values:
        raise Incomplete(f"{stance!r} is not a stance: supports, refutes or context.")
    evidence = Evidence.objects.create(claim=claim, url=url, stance=stance, added_by=user,
                                       note=_note(note, required=False, what=""))
    _save(claim, user=user, transition="evidence", from_status=claim.status, fields=[],
          action=ReviewEvent.Action.EVIDENCE, note=url, data={"stance": stance})
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user, expected_version: int | None = None) -> None:
    claim = _lock(evidence.claim_id, expected_version)
    _may_research(claim, user)
    url = evidence.url
    evidence.delete()
    _save(claim, user=user, transition="evidence_removed", from_status=claim.status, fields=[],
          action=ReviewEvent.Action.EVIDENCE, note=f"Removed {url}")


# --- propositions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class VerdictSuggestion:
    claim: Claim
    relation: str
    verdict: str


def proposition_verdict_suggestions(*, proposition: Proposition,
                                    verdict: str) -> list[VerdictSuggestion]:
    """Rating a proposition: its supporting members would get ``verdict``, its contradicting
    members (denials) the opposite. Suggestions only: each member keeps its own review."""
    if verdict not in Verdict.values:
        raise Incomplete("Choose a verdict from the scale.")
    links = (ClaimLink.objects.members_of(proposition)
             .exclude(relation=ClaimLink.Relation.NEUTRAL)
             .select_related("claim__article__source", "claim__claimant", "claim__assigned_to")
             .order_by("claim__article__published_at", "claim__start"))
    return [VerdictSuggestion(
        claim=link.claim, relation=link.relation,
        verdict=verdict if link.relation == ClaimLink.Relation.SUPPORTS
        else OPPOSITE_VERDICT[verdict]) for link in links]


@transaction.atomic
def suggestion_accept(*, claim, user, verdict: str, rationale: str,
                      expected_version: int | None = None) -> Claim:
    """A fact-checker takes a proposition's suggested verdict as the claim's draft.

    The claim is taken first if nobody has it; the draft is then the fact-checker's to edit
    and submit — it is never submitted or published on its own.
    """
    claim = _lock(claim, expected_version)
    if claim.status == Status.NEW or (claim.status == Status.IN_REVIEW
                                      and claim.assigned_to_id is None):
        claim = claim_take(claim=claim, user=user)
    return claim_draft(claim=claim, user=user, verdict=verdict, rationale=rationale)


# --- priority -------------------------------------------------------------------------------

def fact_checkers():
    """Active users who may propose verdicts (for the assign form)."""
    User = get_user_model()
    return User.objects.filter(
        Q(groups__permissions__codename="propose_verdict") | Q(is_superuser=True),
        is_active=True).distinct().order_by("username")
