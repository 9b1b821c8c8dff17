"""Shared pieces of the admin pages: how much context the claim page shows, the page
fragments rendered from templates, lists whose sort arrow tells the truth, and the read-only
admin base."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.db.models import F, OrderBy
from django.template.loader import render_to_string

# Characters of article text shown on each side of a claim's sentence on the claim page.
CONTEXT_CHARS = 400


def fragment(name: str, **context) -> str:
    """A piece of an admin page rendered from ``admin/claims/fragments/<name>.html``
    (escaped by the template engine)."""
    return render_to_string(f"admin/claims/fragments/{name}.html", context)


def _sort_term(term) -> tuple[str, bool] | None:
    """(field, descending) of one ORDER BY term: "-name", F("name").desc(), F("name");
    None for any other expression, which no column can claim."""
    if isinstance(term, str):
        return (term[1:], True) if term.startswith("-") else (term, False)
    if isinstance(term, OrderBy) and isinstance(term.expression, F):
        return term.expression.name, term.descending
    if isinstance(term, F):
        return term.name, False
    return None


class TrueSortChangeList(ChangeList):
    """A list whose sort arrow is where its real ORDER BY starts.

    Django marks, for a list in its default order, every column whose field appears anywhere
    in ``ModelAdmin.ordering`` or the model's ``Meta.ordering`` — not the ORDER BY actually
    sent (``get_ordering()`` and ``get_queryset()`` are not read), nor its first term: the
    review queue, ordered by priority, showed its arrow on "Published", a tie-breaker; the
    propositions list, ordered by member count, on "First seen". Here the one column marked
    is the one whose field leads the query's ordering, and none when no column shows it.
    A sort the user chose by clicking headers is Django's own: it is what the query does.
    """

    def get_ordering_field_columns(self):
        if self.params.get(ORDER_VAR):  # as ChangeList.get_ordering reads it
            return super().get_ordering_field_columns()
        ordering = self.queryset.query.order_by
        first = _sort_term(ordering[0]) if ordering else None
        if first is None:
            return {}
        for index, name in enumerate(self.list_display):
            column = _sort_term(self.get_ordering_field(name) or "")
            if column is not None and column[0] == first[0]:
                # A column sorting by "-field" runs the other way round when clicked.
                return {index: "desc" if first[1] != column[1] else "asc"}
        return {}


class TrueSortAdmin(admin.ModelAdmin):
    """The base of every list page: its sort arrow marks the column its rows are really in
    order of (``TrueSortChangeList``). Make the first field of its ordering a displayed
    column's, so the desk sees what the order is."""

    def get_changelist(self, request, **kwargs):
        return TrueSortChangeList


class ReadOnlyAdmin(TrueSortAdmin):
    """Rows written only by the services (the review trail, webhook endpoints registered
    through the API, deliveries): the admin shows them and acts through actions only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
