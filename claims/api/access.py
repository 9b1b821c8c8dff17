"""Who sees which rows through the API. Every view starts from these querysets."""

from __future__ import annotations

from claims.models import Article, Claim

# What the API shows of a claim in review: its rationale, evidence, verdict trail and links.
# Reporters may list claims in the admin but read none of that there, so they get no more here.
DESK_READ = ("claims.view_claim", "claims.view_evidence", "claims.view_verdictversion",
             "claims.view_claimlink", "claims.view_proposition")


def sees_everything(request) -> bool:
    """Desk staff with a session who may read a claim's review see claims in every state (the
    browsable API)."""
    user = getattr(request, "user", None)
    return bool(user and user.is_authenticated and getattr(user, "is_staff", False)
                and user.has_perms(DESK_READ))


def visible_claims(request):
    """Published claims for everyone outside the desk: drafts never leave through the API."""
    claims = Claim.objects.all()
    if not sees_everything(request):
        claims = claims.filter(status=Claim.Status.PUBLISHED)
    return claims


def visible_articles(request):
    """A submitter sees the articles it submitted; desk staff see all; nobody else any."""
    from claims.api.auth import client_of

    if sees_everything(request):
        return Article.objects.all()
    client = client_of(request)
    if client is None:
        return Article.objects.none()
    return Article.objects.filter(submitted_via=client)
