"""The ClaimReview feed's serializer: each row one ClaimReview (``publishing.claim_review``)."""

from __future__ import annotations

from rest_framework import serializers

from claims.publishing import claim_review


class ClaimReviewSerializer(serializers.Serializer):
    """For the feed: each row is one ClaimReview object."""

    def to_representation(self, claim):
        return claim_review(claim, request=self.context.get("request"))
