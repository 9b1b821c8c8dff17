"""Where claims come from: outlets, their articles and the people or bodies quoted."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Source(models.Model):
    """A news outlet."""

    name = models.CharField(max_length=200, unique=True)
    domain = models.CharField(
        max_length=253, blank=True, help_text="Host name of the outlet's site, e.g. example.com."
    )
    country = models.CharField(max_length=100, blank=True)
    feed_urls = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"], condition=~Q(domain=""), name="source_unique_domain"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    """One news article; its processing state here is the source of truth for the workers."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="articles")
    url = models.URLField(
        "canonical URL", max_length=2000, null=True, blank=True,
        help_text="Canonical address; articles are unique by it when it is known.",
    )
    title = models.CharField(max_length=500)
    published_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(help_text="Cleaned article text; claim offsets point into it.")
    content_hash = models.CharField(
        max_length=64, unique=True, help_text="SHA-256 of the normalised text, to catch duplicates."
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    state_changed_at = models.DateTimeField(default=timezone.now)
    error = models.TextField(blank=True, help_text="Why processing failed, for editors.")
    attempts = models.PositiveSmallIntegerField(default=0)
    extractor_version = models.CharField(max_length=32, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    claims_dropped = models.PositiveIntegerField(
        default=0, help_text="Claims found beyond the most check-worthy ones kept "
        "(CLAIMTRACK_ARTICLE_MAX_CLAIMS).")
    matched_at = models.DateTimeField(
        null=True, blank=True, help_text="When its claims were last matched across sources."
    )
    # When the extraction message was handed to the broker (None: not yet, or the broker
    # refused it): the sweep re-sends only what was never sent or what the broker lost.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # Matching, after extraction, runs in passes of at most CLAIMTRACK_MATCH_CHUNK claims:
    # requested (and sent) when extraction finishes or a pass leaves claims for the next;
    # a pass holds a lease (match_started_at) and records the last claim it matched
    # (match_cursor); attempts count the passes taken since the cursor last moved.
    match_requested_at = models.DateTimeField(null=True, blank=True)
    match_enqueued_at = models.DateTimeField(null=True, blank=True)
    match_started_at = models.DateTimeField(null=True, blank=True)
    match_cursor = models.PositiveBigIntegerField(default=0)
    match_attempts = models.PositiveSmallIntegerField(default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="submitted_articles",
    )
    submitted_via = models.ForeignKey(
        "ApiClient", null=True, blank=True, on_delete=models.SET_NULL, related_name="articles",
        help_text="The API client that submitted it.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["url"], condition=Q(url__isnull=False), name="article_unique_url"
            ),
            models.CheckConstraint(
                condition=~Q(state="failed") | ~Q(error=""), name="article_failed_has_error"
            ),
        ]
        indexes = [
            # The sweep scans by state and age.
            models.Index(fields=["state", "state_changed_at"], name="article_state_age_idx"),
            models.Index(fields=["source", "-published_at"], name="article_source_pub_idx"),
            models.Index(fields=["-published_at"], name="article_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def date(self):
        """When the article appeared: its publication date, else when it was stored."""
        return self.published_at or self.created_at


class Claimant(models.Model):
    """A person or organisation that makes claims."""

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        COUNTRY = "country", "Country or government"
        GROUP = "group", "Group"
        UNKNOWN = "unknown", "Unknown"

    name = models.CharField(max_length=300)
    key = models.CharField(
        max_length=300, unique=True, help_text="Normalised name used to merge mentions."
    )
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.UNKNOWN)
    role = models.CharField(max_length=300, blank=True, help_text="Role or affiliation.")
    family = models.CharField(
        max_length=200, blank=True, db_index=True,
        help_text="The body the claimant speaks for: Russia, Moscow and the Kremlin share one.",
    )
    aliases = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.role})" if self.role else self.name
