"""The sources a fact-checker consults: added and removed by the claim's assignee while it
is in review, public http(s) addresses only (they are shown as links, to the desk and to
readers: one into the network the system or a reader runs in is refused, by the rule article
URLs follow)."""

from __future__ import annotations

from django.db import transaction

from claims.models import Claim, Evidence, ReviewEvent
from claims.publishing import evidence_url_refusal  # publishing's rule: it decides what readers get
from claims.review.rules import (
    Incomplete,
    NotAllowed,
    Status,
    WrongState,
    _lock,
    _note,
    _require_assignee,
    _save,
)


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
    refusal = evidence_url_refusal(url)
    if refusal:
        raise Incomplete(refusal)
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
