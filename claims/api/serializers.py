"""What the API says about each thing. Only visible rows are ever nested (``access``)."""

from __future__ import annotations

import re
from datetime import datetime

from django.urls import reverse
from rest_framework import serializers

from claims.models import (
    Article,
    ArticleFetch,
    Claim,
    ClaimLink,
    FactCheck,
    Proposition,
)
from claims.publishing import claim_document, claims_attach, rating_of, related_of, verdict_of

# An HTML tag: "<" then a tag name (or "/" and one), up to ">". "a < b" and "<3" are text.
MARKUP = re.compile(r"<\s*/?\s*[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?\s*>")


def _absolute(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    domain = serializers.CharField()


class ArticleBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.URLField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    source = SourceSerializer()


class ClaimantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    kind = serializers.CharField()


class RatingSerializer(serializers.Serializer):
    value = serializers.CharField(help_text="The desk's verdict, e.g. mostly_false.")
    label = serializers.CharField()
    rating_value = serializers.IntegerField(
        allow_null=True, help_text="On the ClaimReview scale; null for unverifiable.")
    best_rating = serializers.IntegerField()
    worst_rating = serializers.IntegerField()


class EvidenceSerializer(serializers.Serializer):
    url = serializers.URLField()
    note = serializers.CharField()
    stance = serializers.CharField()


class VerdictVersionSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    verdict = serializers.CharField()
    rationale = serializers.CharField()
    published_at = serializers.DateTimeField()
    corrected_at = serializers.DateTimeField(allow_null=True)
    correction_note = serializers.CharField()


CONFIRMED_HELP = ("True: an editor confirmed the link. False: the matcher suggested it and "
                  "nobody at the desk has reviewed it yet. Links the desk rejected are not "
                  "shown.")


class RelatedClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    relation = serializers.ChoiceField(choices=ClaimLink.Relation.choices)
    score = serializers.FloatField()
    confirmed = serializers.BooleanField(help_text=CONFIRMED_HELP)
    source = serializers.CharField()
    url = serializers.URLField()


class SpanSerializer(serializers.Serializer):
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    text = serializers.CharField()


class RelatedSerializer(serializers.Serializer):
    supports = RelatedClaimSerializer(many=True)
    contradicts = RelatedClaimSerializer(many=True)


class ClaimListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        claims = list(data.all() if hasattr(data, "all") else data)
        claims_attach(claims)
        return [self.child.to_representation(claim) for claim in claims]


class ClaimSerializer(serializers.ModelSerializer):
    """A claim with its article, claimant, verdict, evidence and related claims.

    Expects the queryset of ``views.claim_queryset`` and, in ``context["visible"]``, whether
    the request may see a claim. The fields below describe the representation (the OpenAPI
    schema is built from them); ``to_representation`` is ``publishing.claim_document``, the
    one representation webhooks carry too, several times faster than DRF's field-by-field
    walk (tests/test_api_representation.py holds the two equal).
    """

    url = serializers.SerializerMethodField()
    text = serializers.CharField(
        source="said", help_text="The claim as its claimant made it, readable on its own (a "
        "denial reads as the denial): what to show readers.")
    proposition_text = serializers.CharField(
        source="bears_on", help_text="The positive, attribution-free clause the claim bears on.")
    polarity = serializers.ChoiceField(
        choices=Claim.Polarity.choices, help_text="The claim's stance toward proposition_text.")
    span = serializers.SerializerMethodField()
    claimant = ClaimantSerializer(allow_null=True)
    article = ArticleBriefSerializer()
    verdict = serializers.SerializerMethodField()
    evidence = EvidenceSerializer(many=True, source="evidence_list")
    verdicts = VerdictVersionSerializer(many=True, source="verdict_list",
                                        help_text="Published versions, oldest first; a "
                                        "corrected one has corrected_at set.")
    related = serializers.SerializerMethodField()
    proposition = serializers.SerializerMethodField()
    claimreview_url = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = ["id", "url", "text", "proposition_text", "polarity", "span", "kind", "negated", "hedged", "checkworthiness",
                  "claimant", "claimant_mention", "cue", "article", "status", "verdict",
                  "rationale", "evidence", "verdicts", "related", "proposition",
                  "published_at", "updated_at", "claimreview_url"]
        list_serializer_class = ClaimListSerializer

    def claim_url(self, pk: int, suffix: str = "") -> str:
        """The claim's detail URL (+ suffix): reverse() and build_absolute_uri() once per
        serializer, not two or three times per claim (~120 reverse() calls a page of 50)."""
        prefix = self.__dict__.get("_claims_url")
        if prefix is None:
            prefix = self._claims_url = _absolute(self.context.get("request"),
                                                  reverse("api:claim-list"))
        return f"{prefix}{pk}/{suffix}"

    def to_representation(self, claim):
        if not hasattr(claim, "related_pairs"):
            claims_attach([claim])
        return claim_document(claim, visible=self.context["visible"], url=self.claim_url)

    def get_url(self, claim) -> str:
        return self.claim_url(claim.pk)

    def get_span(self, claim) -> SpanSerializer:
        """Where the claim stands in its article: character offsets and the text there (for
        a denial, what was denied)."""
        return {"start": claim.start, "end": claim.end, "text": claim.text}

    def get_verdict(self, claim) -> RatingSerializer(allow_null=True):
        return verdict_of(claim)

    def get_related(self, claim) -> RelatedSerializer:
        return related_of(claim, visible=self.context["visible"], url=self.claim_url)

    def get_proposition(self, claim) -> int | None:
        return claim.memberships[0] if claim.memberships else None

    def get_claimreview_url(self, claim) -> str | None:
        if claim.status != Claim.Status.PUBLISHED:
            return None
        return self.claim_url(claim.pk, "claimreview/")


class PropositionMemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    source = serializers.CharField()
    claimant = serializers.CharField(allow_null=True)
    published_at = serializers.DateTimeField(allow_null=True)
    verdict = RatingSerializer(allow_null=True)
    confirmed = serializers.BooleanField(help_text=CONFIRMED_HELP)
    url = serializers.URLField()


class PropositionSidesSerializer(serializers.Serializer):
    supports = PropositionMemberSerializer(many=True)
    contradicts = PropositionMemberSerializer(many=True)
    neutral = PropositionMemberSerializer(many=True)


class PropositionSerializer(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()
    first_seen_at = serializers.SerializerMethodField()
    members = serializers.SerializerMethodField()

    class Meta:
        model = Proposition
        fields = ["id", "text", "first_seen_at", "members", "updated_at"]

    # A proposition's text is its first claim's; where that claim is not visible (a draft, or
    # since deleted), its earliest visible member's instead: the draft's words stay on the
    # desk. ``live_links`` are the visible members, in order of publication
    # (views.PropositionViewSet).
    def _shows_own(self, proposition) -> bool:
        return bool(self.context.get("desk")) or (
            proposition.first_claim_status == Claim.Status.PUBLISHED)

    def get_text(self, proposition) -> str:
        if self._shows_own(proposition) or not proposition.live_links:
            return proposition.text
        return proposition.live_links[0].claim.said

    def get_first_seen_at(self, proposition) -> datetime | None:
        # The stored date is the earliest of all members, drafts included (joins and merges
        # lower it): outside the desk, the earliest published member's.
        if self.context.get("desk") or not proposition.live_links:
            return proposition.first_seen_at
        return min(link.claim.article.published_at or link.claim.article.created_at
                   for link in proposition.live_links)

    def get_members(self, proposition) -> PropositionSidesSerializer:
        request = self.context.get("request")
        visible = self.context["visible"]
        sides = {"supports": [], "contradicts": [], "neutral": []}
        for link in proposition.live_links:
            claim = link.claim
            if not visible(claim):
                continue
            sides[link.relation].append({
                "id": claim.pk, "text": claim.text, "source": claim.article.source.name,
                "claimant": claim.claimant.name if claim.claimant else None,
                "published_at": claim.article.published_at,
                "verdict": rating_of(claim.verdict, claim.get_verdict_display())
                if claim.status == Claim.Status.PUBLISHED else None,
                "confirmed": link.status == ClaimLink.Status.CONFIRMED,
                "url": _absolute(request, reverse("api:claim-detail", args=[claim.pk]))})
        return sides


class FactCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = FactCheck
        fields = ["id", "external_id", "origin", "publisher", "claim_reviewed", "title",
                  "summary", "claimant_name", "verdict", "rating_value", "best_rating",
                  "worst_rating", "url", "reviewed_on", "claim_date", "updated_at"]


class ArticleSubmitSerializer(serializers.Serializer):
    """An article to process: its text or its page's HTML (exactly one), with metadata; or
    only its ``url``, and the page is fetched (the answer is then the fetch to follow)."""

    title = serializers.CharField(required=False, allow_blank=True, max_length=500)
    source = serializers.CharField(required=False, allow_blank=True, max_length=200,
                                   help_text="The outlet; taken from the URL's domain if empty.")
    url = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                help_text="Canonical address; must be public http(s). Given "
                                          "without text or html, the page is fetched.")
    published_at = serializers.DateTimeField(required=False, allow_null=True)
    text = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="Plain text of the article.")
    html = serializers.CharField(required=False, trim_whitespace=False,
                                 help_text="The article page's HTML; its main text is kept.")

    def validate(self, data):
        if "text" not in data and "html" not in data and (data.get("url") or "").strip():
            if data.get("published_at"):
                raise serializers.ValidationError(
                    "published_at goes with text or html; a fetched page gives its own date.")
            return data  # fetched from the URL
        if ("text" in data) == ("html" in data):
            raise serializers.ValidationError(
                "Give the article as text or as html (one), or only its url to fetch it.")
        return data

    @staticmethod
    def fetches(data) -> bool:
        """Whether the submission is a URL to fetch."""
        return "text" not in data and "html" not in data

    def validate_text(self, value):
        # Plain text has no markup: tags here mean a page sent in the wrong field, or a
        # probe. Refused, so nobody downstream has to wonder whether it was rendered.
        found = MARKUP.search(value)
        if found:
            raise serializers.ValidationError(
                f"The text contains HTML markup ({found.group(0)[:40]}): send the page as "
                "`html` (its main text is kept, scripts dropped) or remove the markup.",
                code="markup_in_text")
        return value


class ArticleFetchSerializer(serializers.ModelSerializer):
    """An article submitted by its URL: the fetch, then the article it gave."""

    reason = serializers.CharField(help_text="Why the fetch failed (failed), or what it "
                                             "found (done: an article already stored).")
    article = serializers.SerializerMethodField(
        help_text="The article's status URL once the page is stored (null before).")
    status_url = serializers.SerializerMethodField()

    class Meta:
        model = ArticleFetch
        fields = ["id", "url", "state", "reason", "article", "created_at", "finished_at",
                  "status_url"]

    def get_article(self, item) -> str | None:
        # Only an article the caller may see: another client's article (already stored
        # when this one asked) is none of its business, nor is its number.
        visible = self.context.get("article_visible")
        if not item.article_id or visible is None or not visible(item.article_id):
            return None
        return _absolute(self.context.get("request"),
                         reverse("api:article-detail", args=[item.article_id]))

    def to_representation(self, item):
        data = super().to_representation(item)
        if item.code == "duplicate":
            data["reason"] = "This article is already stored (the same URL or the same text)."
        return data

    def get_status_url(self, item) -> str:
        return _absolute(self.context.get("request"),
                         reverse("api:article-fetch", args=[item.pk]))


# A failed article's reason, as the submitter reads it: the stored one is for the desk and may
# quote an exception's text (the engine's internals, a database address).
PUBLIC_FAILURES = (
    ("Extraction error", "The extraction engine failed on this article; the desk can see why. "
                         "It is tried again after the next engine upgrade."),
    ("Database unavailable", "Processing could not reach the database; the desk can retry it."),
)


class ArticleStatusSerializer(serializers.ModelSerializer):
    source = serializers.CharField(source="source.name")
    claim_count = serializers.IntegerField()
    status_url = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField(
        help_text="Why processing failed (empty unless state is failed).")

    class Meta:
        model = Article
        fields = ["id", "title", "url", "source", "published_at", "state", "error",
                  "claim_count", "created_at", "processed_at", "status_url"]

    def get_status_url(self, article) -> str:
        return _absolute(self.context.get("request"),
                         reverse("api:article-detail", args=[article.pk]))

    def get_error(self, article) -> str:
        for prefix, public in PUBLIC_FAILURES:
            if article.error.startswith(prefix):
                return public
        return article.error
