"""The desk corrects what extraction made of a claim before it is published: its statement,
the proposition it bears on, its polarity, its claimant (an existing one, or a new one with
aliases) and its kind. The extracted values are kept at the first edit and shown beside the
claim; each edit is a trail entry; re-extraction leaves edited words alone; matching runs
again for the claim."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from claims import enqueue
from claims.extraction import claimant_key
from claims.models import Claim, Claimant, ReviewEvent
from claims.review.rules import Incomplete, NotAllowed, Status, WrongState, _lock, _save

STATEMENT_MAX = 2000
NAME_MAX = 300
UNCHANGED = object()  # the claimant argument when the claimant stays as it is
# What an edit may change, and what matching reads of it.
EDITABLE = ("statement", "proposition_text", "polarity", "kind", "claimant")
MATCHED = {"statement", "proposition_text", "polarity", "kind"}


def may_edit(claim: Claim, user) -> None:
    """Raises ReviewError unless ``user`` may edit ``claim`` now."""
    if not user.has_perm("claims.edit_claim"):
        raise NotAllowed("You may not edit claims.")
    if claim.status == Status.PUBLISHED:
        raise WrongState("A published claim is not edited: propose a correction of its verdict.")
    if claim.status == Status.DISMISSED:
        raise WrongState("The claim is dismissed: reopen it first.")
    if claim.status == Status.IN_REVIEW and claim.assigned_to_id not in (None, user.pk) \
            and not user.has_perm("claims.assign_claim"):
        raise NotAllowed(f"This claim is assigned to {claim.assigned_to}: take it first.")
    if claim.status == Status.AWAITING_APPROVAL and not user.has_perm("claims.publish_claim"):
        raise NotAllowed("The claim awaits approval: an editor may still edit it.")


def _text(value: str, *, what: str, limit: int) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise Incomplete(f"The {what} cannot be empty.")
    if len(value) > limit:
        raise Incomplete(f"The {what} is too long ({len(value)} characters; at most {limit}).")
    return value


def _claimant_named(name: str, aliases, kind: str) -> Claimant:
    """The claimant of that name (by its normalised key), created if there is none; the
    aliases given are added to it."""
    name = _text(name, what="claimant's name", limit=NAME_MAX)
    if kind not in Claimant.Kind.values:
        raise Incomplete(f"{kind!r} is not a kind of claimant.")
    aliases = sorted({" ".join(a.split())[:NAME_MAX] for a in aliases if a and a.strip()}
                     - {name})
    claimant, created = Claimant.objects.get_or_create(
        key=claimant_key(name), defaults={"name": name, "kind": kind, "aliases": aliases,
                                          "family": claimant_key(name)})
    if not created and set(aliases) - set(claimant.aliases):
        claimant.aliases = sorted(set(claimant.aliases) | set(aliases))
        claimant.save(update_fields=["aliases"])
    return claimant


def _snapshot(claim: Claim) -> dict:
    return {"statement": claim.statement, "proposition_text": claim.proposition_text,
            "polarity": claim.polarity, "kind": claim.kind, "claimant_id": claim.claimant_id,
            "claimant": claim.claimant.name if claim.claimant_id else None}


@transaction.atomic
def claim_edit(*, claim, user, statement: str | None = None,
               proposition_text: str | None = None, polarity: str | None = None,
               kind: str | None = None, claimant=UNCHANGED, new_claimant: str = "",
               new_claimant_aliases=(), new_claimant_kind: str = Claimant.Kind.UNKNOWN,
               expected_version: int | None = None) -> Claim:
    """Change what is given (None: unchanged; ``claimant=None``: the outlet's own statement;
    ``new_claimant``: a claimant by name, found or created). Returns the claim; nothing is
    written when nothing changes."""
    claim = _lock(claim, expected_version)
    may_edit(claim, user)
    wanted = {}
    if statement is not None:
        wanted["statement"] = _text(statement, what="statement", limit=STATEMENT_MAX)
    if proposition_text is not None:
        wanted["proposition_text"] = _text(proposition_text, what="proposition",
                                           limit=STATEMENT_MAX)
    if polarity is not None:
        if polarity not in Claim.Polarity.values:
            raise Incomplete(f"{polarity!r} is not a polarity: affirms, denies or hedges.")
        wanted["polarity"] = polarity
    if kind is not None:
        if kind not in Claim.Kind.values:
            raise Incomplete(f"{kind!r} is not a kind of claim.")
        wanted["kind"] = kind
    if new_claimant:
        wanted["claimant"] = _claimant_named(new_claimant, new_claimant_aliases,
                                             new_claimant_kind)
    elif claimant is not UNCHANGED:
        wanted["claimant"] = claimant
    before = _snapshot(claim)
    current = {**before, "statement": claim.said, "proposition_text": claim.bears_on,
               "claimant": claim.claimant}
    changed = {name: value for name, value in wanted.items() if value != current[name]}
    if not changed:
        return claim
    for name, value in changed.items():
        setattr(claim, name, value)
    if not claim.original:
        claim.original = before
    claim.edited_at, claim.edited_by = timezone.now(), user
    record = {name: [str(current[name] or "the outlet") if name == "claimant"
                     else current[name],
                     str(value or "the outlet") if name == "claimant" else value]
              for name, value in changed.items()}
    claim = _save(claim, user=user, transition="edit", from_status=claim.status,
                  fields=[*changed, "original", "edited_at", "edited_by"],
                  action=ReviewEvent.Action.EDIT, data={"changed": record},
                  note="Edited " + ", ".join(n.replace("_text", "") for n in changed) + ".")
    if MATCHED & set(changed):
        enqueue.claims_match_enqueue(claim_ids=[claim.pk])
    return claim
