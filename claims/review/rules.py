"""The rules of the review workflow: its errors, the transitions with their permissions,
source states and guards, and the row lock, version check and trail write every service
runs through."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import F, Q

from claims.models import Claim, ReviewEvent

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


def may_flag(claim: Claim, user) -> None:
    """A reporter (or anyone with the permission) may ask the desk to check an open claim."""
    if not user.has_perm("claims.flag_claim"):
        raise NotAllowed("You may not flag claims.")
    if claim.status in (Status.PUBLISHED, Status.DISMISSED):
        raise WrongState(f"The claim is already {claim.get_status_display().lower()}.")


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


def four_eyes_waits(claim: Claim, user) -> list[str]:
    """Why ``user``, whose role could publish or approve ``claim`` now, may not: they
    proposed it. The page says so where the button would be."""
    if (claim.status == Status.AWAITING_APPROVAL and claim.proposed_by_id == user.pk
            and user.has_perm(TRANSITIONS["publish"].permission)):
        return ["You proposed this verdict; another editor must approve it."]
    if (claim.correction_proposed_at is not None and claim.correction_proposed_by_id == user.pk
            and user.has_perm(TRANSITIONS["approve_correction"].permission)):
        return ["You proposed this correction; another editor must approve it."]
    return []


def fact_checkers():
    """Active users who may propose verdicts (for the assign form)."""
    User = get_user_model()
    return User.objects.filter(
        Q(groups__permissions__codename="propose_verdict") | Q(is_superuser=True),
        is_active=True).distinct().order_by("username")
