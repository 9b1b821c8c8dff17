"""The library of earlier fact-checks, imported from publishers."""

from __future__ import annotations

from django.db import models


class FactCheck(models.Model):
    """An earlier verdict on a claim — imported (ClaimReview, PolitiFact/Snopes-style records)
    or our own — that new claims are matched against."""

    class Origin(models.TextChoices):
        CLAIMREVIEW = "claimreview", "ClaimReview JSON-LD"
        VCLAIMS = "vclaims", "Fact-check records (JSONL)"
        OURS = "ours", "Our desk"

    external_id = models.CharField(
        max_length=300, unique=True,
        help_text="Stable id from the source (record id, or the review URL): re-imports update.",
    )
    origin = models.CharField(max_length=16, choices=Origin.choices)
    publisher = models.CharField(max_length=200, blank=True)
    claim_reviewed = models.TextField()
    title = models.CharField(max_length=500, blank=True)
    summary = models.TextField(blank=True)
    claimant_name = models.CharField(max_length=300, blank=True)
    verdict = models.CharField(
        max_length=100, blank=True, help_text="The publisher's rating as written ('pants-fire')."
    )
    rating_value = models.FloatField(null=True, blank=True)
    best_rating = models.FloatField(null=True, blank=True)
    worst_rating = models.FloatField(null=True, blank=True)
    url = models.URLField(max_length=2000, blank=True)
    reviewed_on = models.DateField(null=True, blank=True)
    claim_date = models.CharField(max_length=200, blank=True, help_text="When the claim was made.")
    raw = models.JSONField(default=dict, blank=True, help_text="The record as imported.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["publisher", "verdict"], name="factcheck_pub_verdict_idx"),
            models.Index(fields=["-reviewed_on"], name="factcheck_reviewed_idx"),
        ]

    def __str__(self) -> str:
        text = self.claim_reviewed
        return text if len(text) <= 80 else text[:77] + "…"


# PostgreSQL advisory lock held while proposition membership changes (see lock_membership).
