"""``/api/v1/webhooks/``: a read client's own webhook endpoints (list, create, show, remove).

How deliveries are signed and how to verify them: the docstring of ``claims.webhooks``.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from claims import webhooks
from claims.api.auth import client_of, has_scope
from claims.api.bodies import RequestBodyMixin
from claims.api.errors import ApiAutoSchema, ApiErrorSerializer, api_error
from claims.api.pagination import IdCursor
from claims.models import WebhookEndpoint

# A refused registration's HTTP status: a URL already registered conflicts; the rest is input
# to change.
REFUSAL_STATUS = {"duplicate": 409}


class ReadClient(permissions.BasePermission):
    """Only an API client's token with the read scope: the endpoints belong to the client, so
    a desk session (no client) has none to manage."""

    message = "Webhooks need an API token with the read scope."

    def has_permission(self, request, view):
        return has_scope(request, "read")


class EventListField(serializers.ListField):
    """A list of event names, its errors one flat list of messages (the API's error shape has
    a list per field; DRF would nest them by position)."""

    child = serializers.ChoiceField(choices=WebhookEndpoint.Event.choices)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            if not isinstance(exc.detail, dict):
                raise
            raise serializers.ValidationError(
                [message for messages in exc.detail.values() for message in messages]) from None


class WebhookEndpointSerializer(serializers.ModelSerializer):
    url = serializers.CharField(max_length=2000, help_text="A public https:// (or http://) "
                                "address that accepts POST requests.")
    events = EventListField(allow_empty=False, help_text="The events to receive: "
                            "claim.published, claim.corrected or both.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "url", "events", "active", "created_at"]
        read_only_fields = ["id", "active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="Signs every delivery (HMAC-SHA256). Shown only "
                                   "in this response: store it now.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


@extend_schema(tags=["webhooks"])
class WebhookEndpointViewSet(RequestBodyMixin, mixins.CreateModelMixin, mixins.ListModelMixin,
                             mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                             viewsets.GenericViewSet):
    """Your client's webhook endpoints. Each receives the events it subscribed to as a signed
    POST (header ``X-Claimtrack-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``,
    keyed with the secret returned when the endpoint was created)."""

    schema = ApiAutoSchema()  # documents the 4xx answers in the error shape
    reads_need_scope = True  # documents the 403 of a token without the read scope
    permission_classes = [ReadClient]
    serializer_class = WebhookEndpointSerializer
    filter_backends: list = []
    pagination_class = IdCursor

    def get_queryset(self):
        # Another client's endpoint is simply not found: its existence is not disclosed.
        return WebhookEndpoint.objects.filter(client=client_of(self.request))

    @extend_schema(responses={
        201: WebhookEndpointCreatedSerializer,
        400: OpenApiResponse(ApiErrorSerializer, description="The URL is refused (not http(s), "
                             "not public, does not resolve) or the events are not known."),
        409: OpenApiResponse(ApiErrorSerializer, description="This URL is already registered "
                             "for your client.")})
    def create(self, request, *args, **kwargs):
        serializer = WebhookEndpointSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            endpoint, secret = webhooks.endpoint_register(
                client=client_of(request), url=data["url"], events=data["events"])
        except webhooks.WebhookError as exc:
            field = "events" if exc.code == "invalid_events" else "url"
            return api_error(REFUSAL_STATUS.get(exc.code, 400), exc.code, exc.message,
                             {field: [exc.message]})
        body = WebhookEndpointSerializer(endpoint).data
        location = request.build_absolute_uri(reverse("api:webhook-detail", args=[endpoint.pk]))
        return Response({**body, "secret": secret}, status=status.HTTP_201_CREATED,
                        headers={"Location": location})

    def perform_destroy(self, instance):
        webhooks.endpoint_remove(endpoint=instance)


def register(router) -> None:
    """Add ``webhooks/`` to the API router (``claims.api.urls``)."""
    router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
