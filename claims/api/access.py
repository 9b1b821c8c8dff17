"""Who sees which rows through the API. Every view starts from these querysets."""

from __future__ import annotations

from claims.models import Article
from claims.roles import reads_reviews


def sees_everything(request) -> bool:
    """Desk staff with a session who may read a claim's review see claims in every state (the
    browsable API)."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and getattr(user, "is_staff", False)
                and reads_reviews(user))


def visible_articles(request):
    """A submitter sees the articles it submitted; desk staff see all; nobody else any."""
    from claims.api.auth import client_of

    if sees_everything(request):
        return Article.objects.all()
    client = client_of(request)
    if client is None:
        return Article.objects.none()
    return Article.objects.filter(submitted_via=client)
