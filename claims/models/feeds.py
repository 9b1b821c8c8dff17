"""Ingestion channels: an article fetched from its URL, and the feeds polled for new ones."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone


class ArticleFetch(models.Model):
    """A request to fetch an article's page, and its outcome.

    pending → fetching → done (article set: new, or the one already stored) | failed (reason).
    A transient failure (timeout, 5xx) goes back to pending with ``next_attempt_at`` until
    attempts run out.
    """

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FETCHING = "fetching", "Fetching"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    url = models.CharField("URL", max_length=2000, help_text="As requested.")
    canonical_url = models.CharField(max_length=2000, db_index=True)
    title = models.CharField(max_length=500, blank=True,
                             help_text="Left empty, the page's title is used.")
    source_name = models.CharField("source", max_length=200, blank=True,
                                   help_text="Left empty, the page or its domain names it.")
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True, help_text="Why the fetch failed, or what it found.")
    code = models.CharField(max_length=32, blank=True)
    article = models.ForeignKey("Article", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="fetches")
    attempts = models.PositiveSmallIntegerField(default=0)
    # When the task was handed to the broker (None: not yet, or refused): the sweep re-sends
    # only what was never sent or what the broker lost. While fetching, next_attempt_at is
    # the lease: past it, the worker is taken to have died and the fetch is due again.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="article_fetches")
    requested_via = models.ForeignKey("ApiClient", null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="article_fetches")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "next_attempt_at"], name="fetch_state_due_idx")]
        constraints = [
            models.CheckConstraint(condition=~models.Q(state="failed") | ~models.Q(reason=""),
                                   name="fetch_failed_has_reason"),
        ]

    def __str__(self) -> str:
        return self.url


class Feed(models.Model):
    """An RSS or Atom feed polled for new articles, or a publisher's ClaimReview feed polled
    for fact-checks."""

    class Kind(models.TextChoices):
        ARTICLES = "articles", "Articles (RSS/Atom)"
        CLAIMREVIEW = "claimreview", "Fact-checks (ClaimReview)"

    url = models.CharField("URL", max_length=2000, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.ARTICLES)
    source = models.ForeignKey("Source", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="feeds",
                               help_text="The outlet its articles are filed under; left "
                                         "empty, each page names its own.")
    title = models.CharField(max_length=300, blank=True)
    active = models.BooleanField(default=True)
    interval_minutes = models.PositiveIntegerField(
        default=30, validators=[MinValueValidator(5)],
        help_text="Minutes between polls (5 at least); longer while it keeps failing.")
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    # When it is due; while a poll runs, the poll's lease (a poll past it is taken to have died).
    next_poll_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True)
    last_note = models.TextField(blank=True, help_text="What the last successful poll noticed.")
    consecutive_failures = models.PositiveIntegerField(default=0)
    flagged = models.BooleanField(default=False,
                                  help_text="Failing again and again: look at its last error.")
    entries_seen = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "url"]

    def __str__(self) -> str:
        return self.title or self.url


class FeedEntry(models.Model):
    """One entry a feed listed: fetched and ingested once (unique per feed by canonical URL)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="entries")
    url = models.CharField("URL", max_length=2000,
                           help_text="Canonical, or as listed when it was refused.")
    guid = models.CharField(max_length=2000, blank=True)
    title = models.CharField(max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True)
    article = models.ForeignKey("Article", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="feed_entries")
    fetch = models.OneToOneField(ArticleFetch, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="feed_entry")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feed entries"
        constraints = [
            models.UniqueConstraint(fields=["feed", "url"], name="feedentry_unique_url"),
        ]

    def __str__(self) -> str:
        return self.title or self.url
