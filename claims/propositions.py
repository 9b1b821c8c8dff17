"""Editors' decisions on what claims assert in common: confirming or rejecting a suggested
link, merging propositions, splitting memberships off into a new one. Every change of membership takes the membership lock first (one lock order
with matching)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from claims.matching import claims_priority_refresh, propositions_centroid_refresh
from claims.models import ClaimLink, Proposition


class DecisionError(ValueError):
    """A decision that cannot be applied as asked; the message says why."""


@transaction.atomic
def link_decide(*, link: ClaimLink, user, status: str, relation: str | None = None) -> ClaimLink:
    """Confirm or reject a suggested link (optionally correcting its relation)."""
    if status not in (ClaimLink.Status.CONFIRMED, ClaimLink.Status.REJECTED):
        raise DecisionError(f"{status!r} is not a decision: confirm or reject.")
    if relation is not None and relation not in ClaimLink.Relation.values:
        raise DecisionError(f"{relation!r} is not a relation.")
    Proposition.objects.lock_membership()  # before the row, as matching takes them (one lock order)
    locked = ClaimLink.objects.select_for_update().get(pk=link.pk)
    locked.status = status
    locked.relation = relation or locked.relation
    locked.decided_by = user
    locked.decided_at = timezone.now()
    locked.save(update_fields=["status", "relation", "decided_by", "decided_at", "updated_at"])
    if locked.proposition_id:
        Proposition.objects.filter(pk=locked.proposition_id).update(locked=True)
        propositions_centroid_refresh(proposition_ids=[locked.proposition_id])
    if locked.target_claim_id:
        claims_priority_refresh(claim_ids=[locked.claim_id, locked.target_claim_id])
    return locked


@transaction.atomic
def propositions_merge(*, propositions, user) -> Proposition:
    """Merge propositions into the earliest: its members gain theirs, confirmed by ``user``."""
    Proposition.objects.lock_membership()
    # Read again under the lock: a proposition merged away meanwhile cannot be merged twice,
    # and no join can add a member to one of them until this commits.
    ordered = sorted(
        Proposition.objects.select_for_update().filter(pk__in=[p.pk for p in propositions]),
        key=lambda p: (p.first_seen_at is None, p.first_seen_at, p.pk))
    if len(ordered) < 2:
        raise DecisionError("Choose two propositions or more to merge.")
    merged = [p for p in ordered if p.merged_into_id]
    if merged:
        raise DecisionError(
            f"“{merged[0]}” has already been merged into another proposition: merge that one.")
    target, others = ordered[0], ordered[1:]
    other_ids = [p.pk for p in others]
    now = timezone.now()
    present = set(ClaimLink.objects.filter(proposition=target).values_list("claim_id", flat=True))
    for link in ClaimLink.objects.select_for_update().filter(proposition_id__in=other_ids):
        if link.claim_id in present:
            link.delete()
            continue
        present.add(link.claim_id)
        ClaimLink.objects.filter(pk=link.pk).update(
            proposition=target, status=ClaimLink.Status.CONFIRMED, decided_by=user,
            decided_at=now)
    Proposition.objects.filter(pk__in=other_ids).update(merged_into=target, locked=True)
    firsts = [p.first_seen_at for p in ordered if p.first_seen_at]
    Proposition.objects.filter(pk=target.pk).update(
        locked=True, first_seen_at=min(firsts) if firsts else None)
    propositions_centroid_refresh(proposition_ids=[target.pk])
    target.refresh_from_db()
    return target


@transaction.atomic
def proposition_split(*, links, user) -> Proposition:
    """Move the chosen memberships (of one proposition) to a new proposition."""
    Proposition.objects.lock_membership()
    links = list(ClaimLink.objects.select_for_update(of=("self",)).filter(
        pk__in=[link.pk for link in links]).select_related("claim__article", "proposition"))
    if not links or any(link.proposition_id is None for link in links):
        raise DecisionError("Choose memberships of a proposition to split off.")
    if len({link.proposition_id for link in links}) != 1:
        raise DecisionError("Choose memberships of one proposition only.")
    source = links[0].proposition
    if ClaimLink.objects.filter(proposition=source).count() == len(links):
        raise DecisionError("That would take every member: nothing would be left to split from.")
    first = min(links, key=lambda link: (link.claim.article.published_at is None,
                                         link.claim.article.published_at, link.claim_id))
    new = Proposition.objects.create(
        text=first.claim.bears_on, first_claim=first.claim, locked=True,
        first_seen_at=first.claim.article.date)
    now = timezone.now()
    ClaimLink.objects.filter(pk__in=[link.pk for link in links]).update(
        proposition=new, status=ClaimLink.Status.CONFIRMED, decided_by=user, decided_at=now)
    Proposition.objects.filter(pk=source.pk).update(locked=True)
    propositions_centroid_refresh(proposition_ids=[source.pk, new.pk])
    return new
