"""Template words for the fact-check library: ``{{ check.verdict|verdict_words }}``,
``{{ check.claim_date|said_when }}``, ``{% if link|attached_by_desk %}``."""

from __future__ import annotations

from django import template

from claims import factchecks

register = template.Library()


@register.filter
def verdict_words(raw: str) -> str:
    """A publisher's rating in words ("barely-true" -> "Mostly false"); escaped as usual."""
    return factchecks.verdict_words(raw)


@register.filter
def said_when(claim_date: str) -> str:
    """When and where the claim was made, as the record says it, without PolitiFact's
    trailing punctuation ("stated on May 2, 2019 in a debate.:" -> "... in a debate")."""
    return (claim_date or "").strip().rstrip(":.").strip()


@register.filter
def attached_by_desk(link) -> bool:
    """Whether the desk attached this fact-check from the library (not matching)."""
    return getattr(link, "method", "") == factchecks.ATTACH_METHOD
