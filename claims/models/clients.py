"""Who uses the API, and the webhooks they register."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from claims.models.claims import Claim


class ApiClient(models.Model):
    """A consumer or submitter of the API, holding one token with scopes.

    Only a hash of the token is stored; the token itself is shown once, when it is made
    (``claims.clients.client_create``).
    """

    class Scope(models.TextChoices):
        READ = "read", "Read published claims"
        SUBMIT = "submit", "Submit articles"

    name = models.CharField(max_length=100, unique=True)
    contact = models.EmailField(blank=True)
    key_prefix = models.CharField(
        max_length=16, unique=True, help_text="The token's public start, to find it and to "
        "recognise it in logs.")
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the whole token.")
    scopes = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    throttle_rate = models.CharField(
        max_length=20, default="600/min",
        help_text="Requests allowed per token, e.g. 600/min or 10000/day.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    def has_scope(self, scope: str) -> bool:
        return self.active and scope in self.scopes


class WebhookEndpoint(models.Model):
    """Where a consumer wants claim events delivered, signed with its own secret."""

    class Event(models.TextChoices):
        PUBLISHED = "claim.published", "A claim was published"
        CORRECTED = "claim.corrected", "A published verdict was corrected"

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=2000)
    secret = models.CharField(max_length=64, help_text="Signs each delivery (HMAC-SHA256).")
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["client", "url"], name="webhook_unique_url"),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.url}"


class WebhookDelivery(models.Model):
    """One event to one endpoint, with its attempts: the delivery log."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE,
                                 related_name="deliveries")
    event_id = models.UUIDField(unique=True)
    event = models.CharField(max_length=40)
    claim = models.ForeignKey(Claim, null=True, on_delete=models.SET_NULL, related_name="+")
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"],
                                name="delivery_due_idx")]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint.url} ({self.status})"
