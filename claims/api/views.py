"""API v1 views: read-only claims, propositions and fact-checks; article submission."""

from __future__ import annotations

import hashlib
import json
import re
import time
from datetime import UTC

import django_filters
from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_http_date_safe, quote_etag
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import filters, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from claims import feeds, fetch, ingestion, publishing
from claims.api import claimreview, pages
from claims.api.access import sees_everything, visible_articles
from claims.api.auth import client_of, has_scope
from claims.api.bodies import RequestBodyMixin
from claims.api.errors import ApiAutoSchema, ApiErrorSerializer, api_error, too_large
from claims.api.pagination import IdCursor
from claims.api.serializers import (
    ArticleFetchSerializer,
    ArticleStatusSerializer,
    ArticleSubmitSerializer,
    ClaimSerializer,
    FactCheckSerializer,
    PropositionSerializer,
)
from claims.errors import ArticleTooLarge, DuplicateArticle, IngestError
from claims.models import ArticleFetch, Claim, ClaimLink, FactCheck, Proposition, Verdict

clock = time.time  # tests move it


# --- conditional requests ---------------------------------------------------------------------


class ConditionalMixin:
    """ETag and Last-Modified on list and detail; ``If-None-Match`` / ``If-Modified-Since``
    answer 304.

    The ETag is a hash of the body, so it is exact. Last-Modified is when this URL, for this
    audience, began to answer with the body it answers with now. The newest ``updated_at``
    among the rows would miss what changes a body without touching them (a member joining a
    proposition, a related claim published, a claim leaving a filtered list or deleted), and a
    client would keep a stale copy on a 304. The moment is kept in the shared cache; when it is
    gone it is now (a 200, never a stale 304).

    HTTP dates count whole seconds. A moment is *exact* when the body before it began in an
    earlier second: a copy dated that second can only be this body. When the body changed twice
    within one second the date is ambiguous, and only a later date counts as fresh until the
    moment is stamped anew, in a later second, by the next request.

    A list page is rendered once per database moment (``pages``): while nothing is written,
    the same URL for the same audience and format is answered with the bytes and the tag kept
    from the first rendering.
    """

    conditional_requests = True  # ApiAutoSchema documents the 304
    # An hour: a moment that expired only costs one 200 (the body is dated anew), and clients
    # varying a URL cannot fill the cache for long.
    representation_ttl = 3600
    PAGING_PARAMS = frozenset({"cursor", "page_size", "search", "ordering", "format"})

    def _known_params(self) -> set[str]:
        known = set(self.PAGING_PARAMS)
        filterset = getattr(self, "filterset_class", None)
        known |= set(filterset.base_filters) if filterset else set(
            getattr(self, "filterset_fields", None) or ())
        return known

    def _representation_key(self, request) -> str:
        """The URL as far as it decides the body, for this audience and format: parameters
        the view does not read are left out (each new one would otherwise be a new key)."""
        known = self._known_params()
        params = sorted((name, value) for name in known
                        for value in request.query_params.getlist(name))
        audience = "desk" if sees_everything(request) else "public"
        media = getattr(request, "accepted_media_type", "")
        return "api-repr:" + hashlib.sha256(
            f"{audience} {media} {request.path} {params}".encode()).hexdigest()

    def _representation_since(self, request, etag) -> tuple[int, bool]:
        key = self._representation_key(request)
        now = clock()
        known = cache.get(key)
        if known and known[0] == etag:
            since, exact = known[1], known[2]
            if exact or int(since) == int(now):
                return int(since), exact
            exact = True  # stamped anew: the last moment was in an earlier second
        else:
            exact = bool(known) and int(known[1]) < int(now)
        cache.set(key, (etag, now, exact), self.representation_ttl)
        return int(now), exact

    @staticmethod
    def _conditional(response):
        """Marks a 200 for finalize_response, which tags it once it is rendered."""
        response.conditional = response.status_code == 200
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if not getattr(response, "conditional", False):
            return response
        etag = getattr(response, "kept_etag", None) or self._etag(request, response)
        if getattr(response, "page_to_keep", None):
            key, moment = response.page_to_keep
            pages.page_keep(key, pages.Page(moment=moment, content_type=response["Content-Type"],
                                            body=response.content, etag=etag))
        since, exact = self._representation_since(request, etag)
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match:  # takes precedence over If-Modified-Since (RFC 9110 13.2.2)
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            fresh = etag in tags or if_none_match.strip() == "*"
        else:
            # Only the date this API gave this body counts: a later one (a client's own clock,
            # another server's, a date in the future) says nothing about which body it holds.
            copy = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
            fresh = exact and copy == since
        if fresh:
            response = super().finalize_response(
                request, Response(status=status.HTTP_304_NOT_MODIFIED), *args, **kwargs)
        return self._stamp(response, etag, since)

    @staticmethod
    def _etag(request, response) -> str:
        """A hash of the format and the body. The format is part of the representation: the
        browsable API's HTML and the JSON of one URL get different tags. A JSON body is
        rendered here, once, and hashed as sent (Django's handler finds it rendered, so it is
        not rendered twice). For an HTML page the data is hashed instead: the browsable API's holds a fresh CSRF token each time."""
        media = getattr(request, "accepted_media_type", "").encode()
        if getattr(response.accepted_renderer, "media_type", "") == "text/html":
            body = json.dumps(response.data, sort_keys=True, default=str).encode("utf-8")
        else:
            body = response.render().content
        return quote_etag(hashlib.sha256(media + b"\n" + body).hexdigest()[:32])

    @staticmethod
    def _stamp(response, etag, since):
        response["ETag"] = etag
        response["Last-Modified"] = http_date(since)
        # Private: what a request sees depends on who asks (staff sessions see more).
        response["Cache-Control"] = "private, no-cache"
        patch_vary_headers(response, ("Authorization", "Cookie"))
        return response

    def list(self, request, *args, **kwargs):
        # Authentication, permissions, throttling and content negotiation have run (DRF's
        # initial()), so a kept page still counts against the caller's rate.
        queryset = self.get_queryset()
        key = pages.page_key(request, known=self._known_params())
        moment = pages.database_moment(queryset.model) if key else None
        if moment is not None:
            kept = pages.page_get(key, moment)
            if kept is not None:
                response = Response(status=status.HTTP_200_OK)
                response.content = kept.body  # rendered: the handler will not render again
                response["Content-Type"] = kept.content_type
                response.kept_etag = kept.etag
                return self._conditional(response)
        response = self._conditional(self._page(self.filter_queryset(queryset)))
        if moment is not None:
            response.page_to_keep = (key, moment)
        return response

    def _page(self, queryset):
        page = self.paginate_queryset(queryset)
        if page is None:
            return Response(self.get_serializer(queryset, many=True).data)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        return self._conditional(Response(self.get_serializer(instance).data))


class ReadOnly(permissions.BasePermission):
    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS


# --- claims -----------------------------------------------------------------------------------


# Ids are 64-bit (BigAutoField): a number outside that range cannot be bound as a query
# parameter (SQLite raises OverflowError, PostgreSQL "bigint out of range").
ID_MIN, ID_MAX = -(2**63), 2**63 - 1


@extend_schema_field({"type": "integer", "format": "int64"})
class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number that fits a database id, or 400 (a float such as 1.5 was
    truncated to 1, and 1e30 failed the query with a 500)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None  # max_value above; NumberFilter's default (1e50) is for decimals


class UtcDateTimeField(IsoDateTimeField):
    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:00-05:00 is after the last datetime in UTC
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO 8601 time, compared in UTC: Python accepts UTC offsets up to ±23:59 and
    PostgreSQL only up to ±15:59, so the time is converted before it reaches the query."""

    field_class = UtcDateTimeField


class ClaimFilter(django_filters.FilterSet):
    # distinct=False: they compare the claim's own columns, so no row can come twice, and a
    # SELECT DISTINCT over every column would make PostgreSQL sort all matching claims before
    # taking a page.
    verdict = django_filters.MultipleChoiceFilter(choices=Verdict.choices, distinct=False)
    kind = django_filters.MultipleChoiceFilter(choices=Claim.Kind.choices, distinct=False)
    claimant = IdFilter(field_name="claimant_id")
    source = IdFilter(field_name="article__source_id")
    proposition = IdFilter(method="filter_proposition")
    published_after = UtcDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UtcDateTimeFilter(field_name="published_at", lookup_expr="lt")
    updated_after = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")
    updated_before = UtcDateTimeFilter(field_name="updated_at", lookup_expr="lt")
    updated_since = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gte",
        help_text="Incremental sync: claims changed at or after this time (ISO 8601). Keep the "
        "newest updated_at you received and ask again with it.")

    class Meta:
        model = Claim
        fields = ["verdict", "kind", "claimant", "source", "proposition"]

    def filter_proposition(self, queryset, name, value):
        return queryset.in_proposition(value)


def claim_queryset(request):
    """The claims ``request`` may see, joined (``publishing.claim_rows``). Evidence,
    verdict versions and links are fetched per page by ``publishing.claims_attach``."""
    return publishing.claim_rows(everything=sees_everything(request))


def visibility(request):
    return publishing.shown(everything=sees_everything(request))


@extend_schema(tags=["claims"])
class ClaimViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Published claims with their verdicts (desk staff signed in see every state)."""

    schema = ApiAutoSchema()
    serializer_class = ClaimSerializer
    permission_classes = [ReadOnly]
    filterset_class = ClaimFilter
    search_fields = ["text", "claimant__name", "article__title"]

    # Cursor pages position on the first ordering field, which therefore may never be null
    # (a null position broke the next page): published_at only where every claim is
    # published; desk staff, who see drafts too, page by updated_at.
    @property
    def ordering_fields(self):
        if sees_everything(self.request):
            return ["updated_at", "id"]
        return ["published_at", "updated_at", "id"]

    @property
    def ordering(self):
        if sees_everything(self.request):
            return ["-updated_at", "-id"]
        return ["-published_at", "-id"]

    def get_queryset(self):
        return claim_queryset(self.request)

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "visible": visibility(self.request)}

    @extend_schema(
        responses={(200, "application/ld+json"): OpenApiResponse(
            response=OpenApiTypes.OBJECT, description="schema.org ClaimReview (JSON-LD)")})
    @action(detail=True, url_path="claimreview", methods=["get"])
    def claimreview(self, request, pk=None):
        """The claim's published verdict as schema.org ClaimReview JSON-LD."""
        claim = self.get_object()
        if claim.status != Claim.Status.PUBLISHED:
            return api_error(404, "not_found", "Only published claims have a ClaimReview.")
        return self._conditional(Response(claimreview.claim_review(claim, request=request),
                                          content_type="application/ld+json"))


@extend_schema_view(
    list=extend_schema(responses={200: OpenApiResponse(
        response=OpenApiTypes.OBJECT,
        description="A cursor page whose results are schema.org ClaimReview objects.")}),
    # ConditionalMixin gives the feed a detail route too: one published claim's ClaimReview.
    retrieve=extend_schema(responses={200: OpenApiResponse(
        response=OpenApiTypes.OBJECT, description="schema.org ClaimReview of one published "
        "claim (as at /claims/{id}/claimreview/, served as application/json)")}))
@extend_schema(tags=["claims"])
class ClaimReviewFeedViewSet(ConditionalMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Every published claim as ClaimReview JSON-LD, newest first (cursor pages)."""

    schema = ApiAutoSchema()
    permission_classes = [ReadOnly]
    filterset_class = ClaimFilter
    ordering = ["-published_at", "-id"]

    def get_queryset(self):
        return publishing.claim_rows(everything=False)

    def get_serializer_class(self):
        return claimreview.ClaimReviewSerializer

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "visible": visibility(self.request)}


# --- propositions and fact-checks -------------------------------------------------------------


class PropositionSearch(filters.SearchFilter):
    """Searches the words a caller is shown. Outside the desk that is a proposition's own text
    only where its first claim is published (the serializer shows another member's
    otherwise), and the text of its published members: a draft's words find nothing."""

    def filter_queryset(self, request, queryset, view):
        if sees_everything(request):
            return super().filter_queryset(request, queryset, view)
        published = Claim.Status.PUBLISHED
        for term in self.get_search_terms(request):
            member = (ClaimLink.objects.live()
                      .filter(proposition=OuterRef("pk"), claim__status=published,
                              claim__text__icontains=term))
            queryset = queryset.filter(Q(first_claim__status=published, text__icontains=term)
                                       | Q(Exists(member)))
        return queryset


@extend_schema(tags=["propositions"])
class PropositionViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """Statements several claims share, with the claims on each side (published ones)."""

    schema = ApiAutoSchema()
    serializer_class = PropositionSerializer
    permission_classes = [ReadOnly]
    filter_backends = [PropositionSearch, filters.OrderingFilter]
    search_fields = ["text"]
    # Not first_seen_at: it can be null, and cursor pages cannot start after a null.
    ordering_fields = ["updated_at", "id"]
    ordering = ["-id"]
    pagination_class = IdCursor

    def get_queryset(self):
        live = ClaimLink.objects.live()
        members = live.filter(claim__in=claim_queryset(self.request)).in_time_order()
        return (Proposition.objects.filter(merged_into__isnull=True,
                                           links__in=members).distinct()
                .annotate(first_claim_status=F("first_claim__status"))
                .prefetch_related(Prefetch("links", queryset=members, to_attr="live_links")))

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "visible": visibility(self.request),
                "desk": sees_everything(self.request)}


@extend_schema(tags=["fact-checks"])
class FactCheckViewSet(ConditionalMixin, viewsets.ReadOnlyModelViewSet):
    """The library of earlier fact-checks that claims are matched against."""

    schema = ApiAutoSchema()
    serializer_class = FactCheckSerializer
    permission_classes = [ReadOnly]
    filterset_fields = ["publisher", "verdict", "origin"]
    search_fields = ["claim_reviewed", "title"]
    # Not reviewed_on: it can be null, and cursor pages cannot start after a null.
    ordering_fields = ["updated_at", "id"]
    pagination_class = IdCursor

    def get_queryset(self):
        return FactCheck.objects.all()


# --- articles ---------------------------------------------------------------------------------


class SubmitScope(permissions.BasePermission):
    message = "This needs a token with the submit scope."

    def has_permission(self, request, view):
        if request.method in permissions.SAFE_METHODS:
            return bool(request.user and request.user.is_authenticated)
        return has_scope(request, "submit")


@extend_schema(tags=["articles"])
class ArticleViewSet(RequestBodyMixin, mixins.CreateModelMixin, mixins.RetrieveModelMixin,
                     mixins.ListModelMixin, viewsets.GenericViewSet):
    """Submit an article for processing (202), then follow its status."""

    schema = ApiAutoSchema()
    permission_classes = [SubmitScope]
    serializer_class = ArticleStatusSerializer
    filter_backends: list = []
    pagination_class = IdCursor

    def get_queryset(self):
        return (visible_articles(self.request).select_related("source")
                .annotate(claim_count=Count("claims")))

    def get_serializer_class(self):
        return ArticleSubmitSerializer if self.action == "create" else ArticleStatusSerializer

    @extend_schema(request=ArticleSubmitSerializer, responses={
        202: OpenApiResponse(
            PolymorphicProxySerializer(
                component_name="ArticleSubmitted",
                serializers=[ArticleStatusSerializer, ArticleFetchSerializer],
                resource_type_field_name=None),
            description="Accepted: the article to follow, or, for a url alone, the fetch "
                        "to follow (Location: its status_url)."),
        400: OpenApiResponse(ApiErrorSerializer, description="Refused, nothing stored: "
                             "invalid fields, markup_in_text, empty, a URL that is not public."),
        409: OpenApiResponse(ApiErrorSerializer, description="duplicate: the article is "
                             "already stored (error.fields.existing: its status URL, if yours)."),
        413: OpenApiResponse(ApiErrorSerializer, description="too_large: over "
                             "CLAIMTRACK_ARTICLE_MAX_BYTES.")})
    def create(self, request, *args, **kwargs):
        # Refuse an oversized body before reading it. A Content-Length that is not a number
        # is left to the parser, which reads nothing then (an empty body: 400).
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.CLAIMTRACK_API_MAX_BODY_BYTES:
            return too_large(length)
        serializer = ArticleSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if ArticleSubmitSerializer.fetches(data):
            return self._fetch(request, data)
        try:
            article = ingestion.article_ingest(
                submitted_via=client_of(request), title=data.get("title", ""),
                source_name=data.get("source", ""), text=data.get("text"),
                html=data.get("html"), url=data.get("url") or None,
                published_at=data.get("published_at"))
        except DuplicateArticle as exc:
            # Where the first copy is, only for one the caller may see: the message names no
            # id (another client's article number is none of this one's business).
            fields = None
            if visible_articles(request).filter(pk=exc.existing_id).exists():
                fields = {"existing": [request.build_absolute_uri(
                    reverse("api:article-detail", args=[exc.existing_id]))]}
            return api_error(409, "duplicate", "This article is already stored (the same text "
                             "or the same URL).", fields)
        except ArticleTooLarge as exc:
            return api_error(413, exc.code, exc.message)
        except IngestError as exc:
            return api_error(400, exc.code, exc.message)
        article = self.get_queryset().get(pk=article.pk)
        body = ArticleStatusSerializer(article, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": body["status_url"]})

    def _fetch_context(self, request) -> dict:
        return {**self.get_serializer_context(), "article_visible": lambda article_id:
                visible_articles(request).filter(pk=article_id).exists()}

    def _fetch(self, request, data):
        """A URL alone: the page is fetched by a worker; the answer is the fetch to follow."""
        try:
            item = feeds.article_fetch_request(
                url=data["url"], requested_via=client_of(request),
                title=data.get("title", ""), source_name=data.get("source", ""))
        except fetch.FetchError as exc:
            return api_error(400, exc.code, exc.reason)
        body = ArticleFetchSerializer(item, context=self._fetch_context(request)).data
        return Response(body, status=status.HTTP_202_ACCEPTED,
                        headers={"Location": body["status_url"]})

    @extend_schema(
        parameters=[OpenApiParameter("fetch_id", OpenApiTypes.INT, OpenApiParameter.PATH,
                                     description="The id the submission answered with.")],
        responses={200: ArticleFetchSerializer, 404: OpenApiResponse(
            ApiErrorSerializer, description="No such fetch among yours.")})
    # Any segment reaches the view, which answers 404 in the API's shape for a bad one.
    @action(detail=False, methods=["get"], url_path=r"fetches/(?P<fetch_id>[^/.]+)",
            url_name="fetch", pagination_class=None)
    def fetch_status(self, request, fetch_id=None):
        """An article submitted by its URL: the fetch's state, then the article's URL."""
        fetches = ArticleFetch.objects.all()
        if not sees_everything(request):
            client = client_of(request)
            fetches = fetches.filter(requested_via=client) if client else fetches.none()
        valid = re.fullmatch(r"[0-9]{1,18}", fetch_id or "")
        item = fetches.filter(pk=int(fetch_id)).first() if valid else None
        if item is None:
            return api_error(404, "not_found", "No such fetch among yours.")
        return Response(ArticleFetchSerializer(item, context=self._fetch_context(request)).data)
