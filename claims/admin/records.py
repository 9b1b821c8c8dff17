"""Claimants, the review trail (read-only) and the fact-check library."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, F
from django.utils.text import Truncator

from claims.admin.common import ReadOnlyAdmin, TrueSortAdmin
from claims.factchecks import verdict_words
from claims.models import (
    Claimant,
    FactCheck,
    ReviewEvent,
)


@admin.register(Claimant)
class ClaimantAdmin(TrueSortAdmin):
    list_display = ["name", "role", "family", "kind", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "role", "family", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(ordering="claim_count", description="Claims")
    def claim_count(self, obj):
        return obj.claim_count


@admin.register(ReviewEvent)
class ReviewEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "claim", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]
    list_select_related = ["claim", "actor"]
    raw_id_fields = ["claim"]
    # The whole trail, newest first, as an audit log reads (Meta.ordering groups it by
    # claim, for one claim's page): the arrow on "Created at" says so.
    ordering = ["-created_at", "-id"]


class VerdictWordsFilter(admin.SimpleListFilter):
    """The publishers' ratings, each in words ("pants-fire" -> "Pants on fire")."""

    title = "verdict"
    parameter_name = "verdict"

    def lookups(self, request, model_admin):
        raw = FactCheck.objects.order_by().values_list("verdict", flat=True).distinct()
        return sorted(((value, verdict_words(value)) for value in raw if value),
                      key=lambda pair: (pair[1].lower(), pair[0]))

    def queryset(self, request, queryset):
        return queryset.filter(verdict=self.value()) if self.value() else queryset


@admin.register(FactCheck)
class FactCheckAdmin(TrueSortAdmin):
    list_display = ["claim_text", "claimant_name", "verdict_in_words", "publisher", "reviewed_on"]
    list_filter = ["origin", "publisher", VerdictWordsFilter]
    search_fields = ["claim_reviewed", "title", "claimant_name", "external_id"]
    date_hierarchy = "reviewed_on"
    list_per_page = 50
    show_full_result_count = False  # the library holds tens of thousands of records
    # Newest first under the arrow on "Reviewed on": records without a date go last (on
    # PostgreSQL a descending order would put them first).
    ordering = [F("reviewed_on").desc(nulls_last=True), "-id"]
    readonly_fields = ["external_id", "origin", "created_at", "updated_at", "raw"]

    @admin.display(description="Claim reviewed", ordering="claim_reviewed")
    def claim_text(self, obj):
        return Truncator(obj.claim_reviewed).chars(140)

    @admin.display(description="Verdict", ordering="verdict")
    def verdict_in_words(self, obj):
        """The publisher's rating in words ("barely-true" -> "Mostly false")."""
        return verdict_words(obj.verdict) or "—"

    def view_on_site(self, obj):
        return obj.url or None
