"""Shared pieces of the admin pages: how much context the claim page shows, and how a link, a list and a claim are written in a cell."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from claims.models import (
    Claim,
    ClaimLink,
)

# Characters of article text shown on each side of a claim's sentence on the claim page.
CONTEXT_CHARS = 400


def _decision(link: ClaimLink) -> str:
    """Confirm/reject buttons for a suggestion (they submit the claim page's form, which
    decides the link through the service); the decision itself once made."""
    if link.status != ClaimLink.Status.SUGGESTED:
        return format_html(" <em>{}</em>", link.get_status_display().lower())
    return format_html(
        ' <button type="submit" name="_link" value="{}:confirmed" class="link-button" '
        'formnovalidate>confirm</button> <button type="submit" name="_link" '
        'value="{}:rejected" class="link-button" formnovalidate>reject</button>',
        link.pk, link.pk)


def _items(items) -> str:
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>",
                                                      ((i,) for i in items)))


def _claim_line(claim: Claim) -> str:
    who = claim.claimant.name if claim.claimant else "the outlet"
    return format_html(
        '<a href="{}">{}</a> — {}, {} ({})',
        reverse("admin:claims_claim_change", args=[claim.pk]), Truncator(claim.text).chars(120),
        who, claim.article.source.name,
        claim.article.published_at.date() if claim.article.published_at else "undated",
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (the review trail, webhook endpoints registered
    through the API, deliveries): the admin shows them and acts through actions only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
