"""The inbox count in the header of every admin page (templates/admin/base_site.html)."""

from __future__ import annotations

from django import template

from claims.inbox import InboxCounts, inbox_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_inbox_counts(context) -> InboxCounts | None:
    """The signed-in desk member's inbox counts: one query, asked for on each page and kept
    nowhere, so the figure is never stale. The inbox page passes the counts it has just read
    (``inbox_counts``), so that page does not ask twice."""
    counts = context.get("inbox_counts")
    if counts is not None:
        return counts
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not (user.is_active and user.is_staff):
        return None
    return inbox_counts(user=user)
