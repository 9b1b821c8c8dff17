"""``{% conversation original %}``: the desk's conversation on a claim or proposition page,
rendered by claims.admin.conversation with the request (its user, its CSRF token)."""

from __future__ import annotations

from django import template

from claims.admin.conversation import conversation_html
from claims.models import Claim, Proposition

register = template.Library()


@register.simple_tag(takes_context=True)
def conversation(context, obj) -> str:
    request = context.get("request")
    if request is None or obj is None:
        return ""
    if isinstance(obj, Claim):
        return conversation_html(request, claim=obj)
    if isinstance(obj, Proposition):
        return conversation_html(request, proposition=obj)
    return ""
