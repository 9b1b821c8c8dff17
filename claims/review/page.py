"""The claim page's buttons, one service per press. What was typed on the page (edits of the
claim, a draft verdict, evidence added or removed) is saved, then the button's action runs — an
assignment, a transition, or a decision on a suggested link — in one transaction behind one
version check, so a refusal leaves nothing half done and the form keeps the user's input."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from claims import propositions
from claims.models import Claim, ClaimLink, Evidence
from claims.review.edits import claim_edit
from claims.review.evidence import evidence_add, evidence_remove
from claims.review.rules import TRANSITIONS, Conflict, Incomplete, NotAllowed, ReviewError, Status
from claims.review.transitions import (
    claim_assign,
    claim_correct,
    claim_correction_approve,
    claim_correction_discard,
    claim_dismiss,
    claim_draft,
    claim_publish,
    claim_reopen,
    claim_send_back,
    claim_submit,
    claim_take,
)


@dataclass(frozen=True)
class PageInput:
    """What the claim page's form carries; ``verdict`` is None where the page shows no
    verdict field, and ``version`` is the claim's version the page was loaded at."""

    version: int | None = None
    verdict: str | None = None
    rationale: str = ""
    evidence_url: str = ""
    evidence_note: str = ""
    evidence_stance: str = Evidence.Stance.CONTEXT
    remove_evidence: tuple[Evidence, ...] = ()
    assignee: object = None
    note: str = ""
    edits: dict | None = None  # claim_edit's arguments for what the user changed


# Each transition's service, as the page calls it (version: the one to compare, or None).
_SERVICES = {
    "take": lambda c, u, p, v: claim_take(claim=c, user=u, expected_version=v),
    # The button naming the reviewer taken from; the version check makes sure it is still
    # the one the page named.
    "take_over": lambda c, u, p, v: claim_take(claim=c, user=u, take_over=True,
                                               expected_version=v),
    "submit": lambda c, u, p, v: claim_submit(
        claim=c, user=u, verdict=p.verdict or "", rationale=p.rationale, expected_version=v),
    "publish": lambda c, u, p, v: claim_publish(claim=c, user=u, expected_version=v),
    "send_back": lambda c, u, p, v: claim_send_back(claim=c, user=u, note=p.note,
                                                      expected_version=v),
    "dismiss": lambda c, u, p, v: claim_dismiss(claim=c, user=u, reason=p.note,
                                                  expected_version=v),
    "reopen": lambda c, u, p, v: claim_reopen(claim=c, user=u, note=p.note,
                                                expected_version=v),
    "correct": lambda c, u, p, v: claim_correct(
        claim=c, user=u, verdict=p.verdict or "", rationale=p.rationale, note=p.note,
        expected_version=v),
    "approve_correction": lambda c, u, p, v: claim_correction_approve(
        claim=c, user=u, expected_version=v),
    "discard_correction": lambda c, u, p, v: claim_correction_discard(
        claim=c, user=u, note=p.note, expected_version=v),
    "assign": lambda c, u, p, v: _assign(c, u, p, v),
}

# What the page says after an action, where "<label>: done." would not say enough.
DONE = {
    "correct": "Correction proposed: it is published once another editor approves it.",
    "approve_correction": "Correction published: the claim shows the new verdict.",
    "take_over": "Taken over: the claim is yours now.",
}


def _assign(claim, user, page: PageInput, version):
    if page.assignee is None:
        raise Incomplete("Choose whom to assign the claim to.")
    return claim_assign(claim=claim, user=user, assignee=page.assignee,
                          expected_version=version)


def _link_decide(claim: Claim, user, value: str) -> str:
    """``value`` is "<link id>:<confirmed|rejected>", from the link's button."""
    if not user.has_perm("claims.change_claimlink"):
        raise NotAllowed("You may not decide links.")
    pk, _, status = value.partition(":")
    link = ClaimLink.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if link is None or claim.pk not in (link.claim_id, link.target_claim_id):
        raise ReviewError("That link is not this claim's.")
    try:
        propositions.link_decide(link=link, user=user, status=status)
    except propositions.DecisionError as exc:
        raise ReviewError(str(exc)) from None
    return f"Link {status}."


@transaction.atomic
def claim_page_submit(*, claim: Claim, user, page: PageInput, action: str = "",
                      link: str = "") -> str:
    """One press on the claim page: ``action`` is a transition's name, "take_over" (take
    from another reviewer), "assign", or "" (save);
    ``link`` a link decision, which saves the typed work too. Returns what the page says."""
    if action and action not in _SERVICES:
        raise ReviewError(f"Unknown action {action!r}.")
    version = page.version
    done = []

    def expected():
        # Only the first service compares versions: the row is then locked and the
        # following calls build on the previous one's change.
        nonlocal version
        current, version = version, None
        return current

    if link:
        # A link's buttons are submit buttons of the same form: what was typed is kept.
        done.append(_link_decide(claim, user, link))
        action = ""
    if page.edits:
        claim = claim_edit(claim=claim, user=user, **page.edits, expected_version=expected())
        done.append("Claim edited.")
    if page.verdict is not None and claim.status == Status.IN_REVIEW and not action \
            and (page.verdict, page.rationale.strip()) != (claim.verdict, claim.rationale):
        claim_draft(claim=claim, user=user, verdict=page.verdict, rationale=page.rationale,
                      expected_version=expected())
        done.append("Draft saved.")
    for evidence in page.remove_evidence:
        evidence_remove(evidence=evidence, user=user, expected_version=expected())
        done.append(f"Removed {evidence.url}.")
    if page.evidence_url:
        evidence_add(
            claim=claim, user=user, url=page.evidence_url, note=page.evidence_note,
            stance=page.evidence_stance or Evidence.Stance.CONTEXT, expected_version=expected())
        done.append("Evidence added.")
    if action:
        _SERVICES[action](claim, user, page, expected())
        if action == "assign":
            done.append(f"Assigned to {page.assignee}.")
        else:
            done.append(DONE[action] if action in DONE
                        else f"{TRANSITIONS[action].label}: done.")
    if not done and version is not None:
        # Nothing asked: still tell a user whose page is out of date.
        current = Claim.objects.filter(pk=claim.pk).values_list("version", flat=True).first()
        if current != version:
            raise Conflict("This claim was changed while you had it open: reload it.")
    return " ".join(done) or "Nothing to save."
