"""Shared pieces of the admin pages: how much context the claim page shows, the page
fragments rendered from templates, and the read-only admin base."""

from __future__ import annotations

from django.contrib import admin
from django.template.loader import render_to_string

# Characters of article text shown on each side of a claim's sentence on the claim page.
CONTEXT_CHARS = 400


def fragment(name: str, **context) -> str:
    """A piece of an admin page rendered from ``admin/claims/fragments/<name>.html``
    (escaped by the template engine)."""
    return render_to_string(f"admin/claims/fragments/{name}.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the services (the review trail, webhook endpoints registered
    through the API, deliveries): the admin shows them and acts through actions only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
