"""The review queue's filters: assignment, denials, previously fact-checked, corrections awaiting, proposition."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.text import Truncator

from claims.models import (
    ClaimLink,
    Proposition,
)


class AssignmentFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("none", "Unassigned"), ("others", "Assigned to others")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "others":
            return queryset.exclude(assigned_to__isnull=True).exclude(assigned_to=request.user)
        return queryset


class DenialsFilter(admin.SimpleListFilter):
    title = "contradicted"
    parameter_name = "denied"

    def lookups(self, request, model_admin):
        return [("yes", "Has denials or contradictions"), ("no", "None")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(contradictions__gt=0)
        if self.value() == "no":
            return queryset.filter(contradictions=0)
        return queryset


def _factchecked():
    return Exists(ClaimLink.objects.filter(claim=OuterRef("pk"), factcheck__isnull=False)
                  .live())


class FactCheckedFilter(admin.SimpleListFilter):
    title = "previously fact-checked"
    parameter_name = "factchecked"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(was_checked=self.value() == "yes")
        return queryset


class CorrectionFilter(admin.SimpleListFilter):
    """Published claims whose correction waits for a second editor."""

    title = "correction awaiting approval"
    parameter_name = "correction"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(correction_proposed_at__isnull=False)
        return queryset


class PropositionFilter(admin.SimpleListFilter):
    """Claims of one proposition; reached from the proposition page (too many to list)."""

    title = "proposition"
    parameter_name = "proposition"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        proposition = Proposition.objects.filter(pk=value).first() if value.isdigit() else None
        return [(str(proposition.pk), Truncator(proposition.text).chars(50))] if proposition \
            else []

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.in_proposition(int(self.value()))
        return queryset
