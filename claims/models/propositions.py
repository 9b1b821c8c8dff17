"""What claims assert in common across sources, and the links that say so."""

from __future__ import annotations

from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import F, Q

from claims.models.claims import Claim
from claims.models.library import FactCheck

MEMBERSHIP_LOCK_KEY = 7_341_002


class PropositionQuerySet(models.QuerySet):
    def lock_membership(self) -> None:
        """Serialise changes to proposition membership (joins, merges, splits, decisions,
        deleting claims) for the rest of the transaction. Every writer takes it before any
        row lock: one lock order, so they never deadlock. SQLite has one writer anyway."""
        if connections[self.db].vendor == "postgresql":
            with connections[self.db].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [MEMBERSHIP_LOCK_KEY])

    def prune(self) -> int:
        """Delete those of these propositions that have no member left, unless an editor
        has worked on one (locked) or the desk discussed it (comments). Returns how many
        went."""
        with transaction.atomic(using=self.db):
            self.lock_membership()  # a claim joining one of them meanwhile keeps it
            deleted, _ = (self.filter(locked=False, links__isnull=True)
                          .exclude(comments__isnull=False).delete())
        return deleted


class Proposition(models.Model):
    """What several claims assert in common, across sources; members relate to it as
    supporting or contradicting (a denial)."""

    text = models.TextField(help_text="The statement as its first claim put it.")
    first_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_seen_at = models.DateTimeField(null=True, blank=True)
    # Set when an editor confirms, merges or splits: automatic passes then leave the
    # membership of this proposition alone.
    locked = models.BooleanField(default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged"
    )
    # The centroid matching compares a new claim with: the summed term counts of the members'
    # propositions, and (with the dense extra) the sum of their unit embeddings.
    terms = models.JSONField(default=dict, blank=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PropositionQuerySet.as_manager()

    class Meta:
        ordering = ["-first_seen_at", "-id"]

    def __str__(self) -> str:
        return self.text if len(self.text) <= 80 else self.text[:77] + "…"


class TermStat(models.Model):
    """How many matchable claims hold a term in their proposition: the stream's document
    frequencies, kept up to date as claims are stored and deleted. The row with the empty
    term counts the claims themselves."""

    TOTAL = ""

    term = models.CharField(max_length=100, primary_key=True)
    claims = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.term or '(claims)'}: {self.claims}"


def best_per_other(pairs, score=lambda link: link.score) -> list[tuple]:
    """Of ``(link, other claim)`` pairs — one claim's links to other claims, either way — the
    best-scored link to each other claim, best first; of equal scores the first pair seen."""
    best: dict[int, tuple] = {}
    for link, other in pairs:
        if other.pk not in best or score(link) > score(best[other.pk][0]):
            best[other.pk] = (link, other)
    return sorted(best.values(), key=lambda pair: -score(pair[0]))


class ClaimLinkQuerySet(models.QuerySet):
    def live(self):
        """Links not rejected: suggested or confirmed."""
        return self.filter(status__in=ClaimLink.LIVE)

    def trusted(self):
        """Links an editor confirmed, or suggested at or above the link threshold of the
        method that made them: what counts toward priority and verdict suggestions."""
        from claims.engine import propositions as engine

        return self.filter(
            Q(status=ClaimLink.Status.CONFIRMED)
            | Q(status=ClaimLink.Status.SUGGESTED, method__endswith="+dense",
                score__gte=engine.DENSE_LINK_MIN)
            | (Q(status=ClaimLink.Status.SUGGESTED, score__gte=engine.LINK_MIN)
               & ~Q(method__endswith="+dense")))

    def members_of(self, proposition):
        """The live memberships of a proposition."""
        return self.live().filter(proposition=proposition)

    def in_time_order(self):
        """Memberships ordered by when their claims were published (undated last), with
        each claim's article, outlet and claimant read in the same query."""
        return self.select_related("claim__article__source", "claim__claimant").order_by(
            F("claim__article__published_at").asc(nulls_last=True), "claim__start", "claim_id")

    def around(self, claim_ids):
        """Live links between claims with either end among ``claim_ids``."""
        return self.live().filter(Q(claim_id__in=claim_ids) | Q(target_claim_id__in=claim_ids),
                                  target_claim__isnull=False)


class ClaimLink(models.Model):
    """A suggested or editor-decided link from a claim to another claim, to a proposition
    (membership, with the claim's stance) or to an earlier fact-check."""

    class Relation(models.TextChoices):
        SUPPORTS = "supports", "Supports"
        CONTRADICTS = "contradicts", "Contradicts"
        NEUTRAL = "neutral", "Neutral"

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        CONFIRMED = "confirmed", "Confirmed"
        REJECTED = "rejected", "Rejected"

    LIVE = (Status.SUGGESTED, Status.CONFIRMED)  # what counts: not rejected

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="links")
    target_claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="linked_from"
    )
    proposition = models.ForeignKey(
        Proposition, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    factcheck = models.ForeignKey(
        FactCheck, null=True, blank=True, on_delete=models.CASCADE, related_name="links"
    )
    relation = models.CharField(max_length=12, choices=Relation.choices)
    score = models.FloatField(help_text="Similarity of the two statements, 0 to 1.")
    method = models.CharField(max_length=100, help_text="What suggested it, with its version.")
    cues = models.JSONField(default=list, blank=True, help_text="Words that decided the relation.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ClaimLinkQuerySet.as_manager()

    class Meta:
        ordering = ["claim_id", "-score"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(target_claim__isnull=False, proposition__isnull=True,
                      factcheck__isnull=True)
                    | Q(target_claim__isnull=True, proposition__isnull=False,
                        factcheck__isnull=True)
                    | Q(target_claim__isnull=True, proposition__isnull=True,
                        factcheck__isnull=False)
                ),
                name="link_exactly_one_target",
            ),
            models.CheckConstraint(
                condition=~Q(target_claim=F("claim")), name="link_not_to_itself"
            ),
            models.UniqueConstraint(
                fields=["claim", "target_claim"], condition=Q(target_claim__isnull=False),
                name="link_unique_claim_pair",
            ),
            models.UniqueConstraint(
                fields=["claim", "proposition"], condition=Q(proposition__isnull=False),
                name="link_unique_membership",
            ),
            models.UniqueConstraint(
                fields=["claim", "factcheck"], condition=Q(factcheck__isnull=False),
                name="link_unique_factcheck",
            ),
        ]
        indexes = [
            models.Index(fields=["proposition", "relation"], name="link_proposition_idx"),
            models.Index(fields=["factcheck"], name="link_factcheck_idx"),
            models.Index(fields=["target_claim"], name="link_target_claim_idx"),
        ]

    def __str__(self) -> str:
        target = self.target_claim or self.proposition or self.factcheck
        return f"{self.claim} {self.relation} {target}"
