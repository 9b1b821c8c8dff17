"""Published claims as schema.org ClaimReview (JSON-LD), the fact-checking standard that
search engines and aggregators read."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from rest_framework import serializers

from claims.models import CLAIMREVIEW_BEST, CLAIMREVIEW_RATINGS, CLAIMREVIEW_WORST, Claim


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def _publisher(request) -> dict:
    organisation = {"@type": "Organization", "name": settings.CLAIMTRACK_PUBLISHER_NAME}
    url = settings.CLAIMTRACK_PUBLISHER_URL or (_absolute(request, "/") if request else "")
    if url:
        organisation["url"] = url
    return organisation


def _claimant(claim: Claim) -> dict:
    if claim.claimant is None:  # the outlet's own statement
        return {"@type": "Organization", "name": claim.article.source.name}
    kind = "Person" if claim.claimant.kind == "person" else "Organization"
    author = {"@type": kind, "name": claim.claimant.name}
    if kind == "Person" and claim.claimant.role:
        author["jobTitle"] = claim.claimant.role
    return author


def claim_review(claim: Claim, *, request=None) -> dict:
    """The ClaimReview of a published claim. Fields Google requires (claimReviewed,
    reviewRating with alternateName, url) are always present."""
    if claim.status != Claim.Status.PUBLISHED or not claim.verdict:
        raise ValueError("Only a published claim with a verdict has a ClaimReview.")
    rating = {
        "@type": "Rating",
        "name": claim.get_verdict_display(),
        "alternateName": claim.get_verdict_display(),
        "bestRating": CLAIMREVIEW_BEST,
        "worstRating": CLAIMREVIEW_WORST,
    }
    value = CLAIMREVIEW_RATINGS[claim.verdict]
    if value is not None:
        rating["ratingValue"] = value
    article = claim.article
    item = {"@type": "Claim", "author": _claimant(claim)}
    if article.published_at:
        item["datePublished"] = article.published_at.date().isoformat()
    if article.url:
        item["appearance"] = {"@type": "CreativeWork", "url": article.url,
                              "headline": article.title,
                              "publisher": {"@type": "Organization",
                                            "name": article.source.name}}
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": _absolute(request, reverse("claim-public", args=[claim.pk])),
        "claimReviewed": claim.text,
        "reviewRating": rating,
        "itemReviewed": item,
        "author": _publisher(request),
        "datePublished": claim.published_at.date().isoformat(),
        "reviewBody": claim.rationale,
    }
    if claim.updated_at and claim.updated_at.date() > claim.published_at.date():
        review["dateModified"] = claim.updated_at.date().isoformat()
    return review


class ClaimReviewSerializer(serializers.Serializer):
    """For the feed: each row is one ClaimReview object."""

    def to_representation(self, claim):
        return claim_review(claim, request=self.context.get("request"))
