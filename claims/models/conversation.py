"""The desk's conversation: comments on a claim or a proposition (with @mentions), the
notifications the workflow sends each person, and what each person chose to receive.

Comments are the desk's alone: never in the API, never on the public page. They are part of
the claim's history, so a claim or proposition with comments is not deleted by accident.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from claims.models.claims import Claim
from claims.models.propositions import Proposition

COMMENT_MAX = 5000


class Comment(models.Model):
    """One message in the desk's conversation on a claim or on a proposition."""

    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    proposition = models.ForeignKey(
        Proposition, null=True, blank=True, on_delete=models.PROTECT, related_name="comments"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(help_text="Plain text; @username mentions a colleague.")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # On exactly one thing: a claim or a proposition.
            models.CheckConstraint(
                condition=(Q(claim__isnull=False) & Q(proposition__isnull=True))
                | (Q(claim__isnull=True) & Q(proposition__isnull=False)),
                name="comment_on_one_thing",
            ),
        ]
        indexes = [
            models.Index(fields=["claim", "created_at"], name="comment_claim_time_idx"),
            models.Index(fields=["proposition", "created_at"], name="comment_prop_time_idx"),
        ]

    def __str__(self) -> str:
        text = self.body
        return text if len(text) <= 80 else text[:77] + "…"


class Notification(models.Model):
    """Something the workflow tells one person: shown in their inbox, e-mailed if they chose."""

    class Kind(models.TextChoices):
        ASSIGNED = "assigned", "Assigned to you"
        TAKEN_OVER = "taken_over", "Your review was taken over"
        SENT_BACK = "sent_back", "Sent back to you"
        MENTION = "mention", "You were mentioned"
        APPROVAL_NEEDED = "approval_needed", "Awaiting your approval"

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text="Who caused it; empty: the system.",
    )
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    proposition = models.ForeignKey(
        Proposition, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    text = models.CharField(max_length=500, help_text="What happened, in a sentence.")
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["recipient", "read_at", "-created_at"],
                         name="notification_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text}"


def _all_kinds() -> list[str]:
    return list(Notification.Kind.values)


class DeskProfile(models.Model):
    """One person's choices on the desk: which notifications in the app and by e-mail, and
    when they last looked at their inbox."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_profile"
    )
    in_app = models.JSONField(default=_all_kinds, blank=True,
                              help_text="Notification kinds shown in the inbox.")
    by_email = models.JSONField(default=list, blank=True,
                                help_text="Notification kinds also sent by e-mail.")
    inbox_seen_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Desk profile of {self.user}"
