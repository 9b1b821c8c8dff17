"""Webhooks in the admin: consumers' endpoints (read-only, secret never shown) and the
delivery log, where a failed delivery can be sent again. """

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.text import Truncator

from claims import webhooks
from claims.admin.common import ReadOnlyAdmin
from claims.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyAdmin):
    list_display = ["url", "client", "event_list", "active", "created_at"]
    list_filter = ["active"]
    list_select_related = ["client"]
    search_fields = ["url", "client__name"]
    # Not the secret: it signs deliveries, and whoever reads it can forge them.
    fields = ["client", "url", "events", "active", "created_at"]
    readonly_fields = fields
    actions = ["deactivate"]

    @admin.display(description="Events")
    def event_list(self, obj):
        return ", ".join(obj.events) or "—"

    def has_deactivate_permission(self, request):
        return request.user.has_perm("claims.change_webhookendpoint")

    @admin.action(description="Deactivate (stop delivering to it)", permissions=["deactivate"])
    def deactivate(self, request, queryset):
        count = sum(webhooks.endpoint_deactivate(endpoint_id=pk)
                    for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} endpoint(s) deactivated; their pending deliveries "
                          "will not be sent.", messages.SUCCESS)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: one row per event and endpoint, with its latest attempt."""

    list_display = ["created_at", "event", "endpoint", "claim_id", "status", "attempts",
                    "last_status_code", "short_error", "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event"]
    list_select_related = ["endpoint__client"]
    search_fields = ["=event_id", "endpoint__url", "endpoint__client__name"]
    date_hierarchy = "created_at"
    fields = ["event_id", "event", "endpoint", "claim", "status", "attempts",
              "last_status_code", "last_error", "next_attempt_at", "delivered_at", "created_at",
              "payload_pretty"]
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="Last error")
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80) or "—"

    @admin.display(description="Payload")
    def payload_pretty(self, obj):
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>",
                           json.dumps(obj.payload, indent=2, ensure_ascii=False))

    def has_retry_permission(self, request):
        return request.user.has_perm("claims.change_webhookdelivery")

    @admin.action(description="Retry now (failed deliveries get a fresh set of attempts)",
                  permissions=["retry"])
    def retry_now(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        retried = sum(webhooks.delivery_retry(delivery_id=pk) for pk in ids)
        self.message_user(request, f"{retried} delivery(ies) queued again.", messages.SUCCESS)
        if retried < len(ids):
            self.message_user(request, f"{len(ids) - retried} were not failed (pending or "
                              "delivered) and were left alone.", messages.WARNING)
