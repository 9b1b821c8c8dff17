"""Rating a proposition: the verdict each member would get, and a fact-checker taking one
as the claim's draft."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from claims.models import OPPOSITE_VERDICT, Claim, ClaimLink, Proposition, Verdict
from claims.review.rules import Incomplete, Status, _lock
from claims.review.transitions import claim_draft, claim_take


@dataclass(frozen=True)
class VerdictSuggestion:
    claim: Claim
    relation: str
    verdict: str


def proposition_verdict_suggestions(*, proposition: Proposition,
                                    verdict: str) -> list[VerdictSuggestion]:
    """Rating a proposition: its supporting members would get ``verdict``, its contradicting
    members (denials) the opposite. Suggestions only: each member keeps its own review; a
    member placed below the link threshold and not confirmed gets none."""
    if verdict not in Verdict.values:
        raise Incomplete("Choose a verdict from the scale.")
    # Only members placed with confidence (the first claim, a join above the link threshold,
    # an editor's confirmation): one loose member must not carry a verdict to others.
    links = (ClaimLink.objects.members_of(proposition).trusted()
             .exclude(relation=ClaimLink.Relation.NEUTRAL).in_time_order())
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
