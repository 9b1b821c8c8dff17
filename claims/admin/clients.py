"""API clients: made, shown once, rotated and revoked by admins."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html

from claims import clients
from claims.admin.common import TrueSortAdmin
from claims.models import (
    ApiClient,
)


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=ApiClient.Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["name", "contact", "scopes", "throttle_rate", "active"]

    def clean_throttle_rate(self):
        from rest_framework.throttling import SimpleRateThrottle

        rate = self.cleaned_data["throttle_rate"]
        try:
            SimpleRateThrottle.parse_rate(None, rate)
        except (ValueError, KeyError, IndexError):
            raise forms.ValidationError("Write it as a number per second, minute, hour or day, "
                                        "e.g. 600/min.") from None
        return rate


@admin.register(ApiClient)
class ApiClientAdmin(TrueSortAdmin):
    """API consumers and submitters. A token is shown once, when made or rotated."""

    form = ApiClientForm
    list_display = ["name", "scope_list", "active", "throttle_rate", "key_prefix",
                    "last_used_at", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "contact", "key_prefix"]
    readonly_fields = ["key_prefix", "created_by", "created_at", "last_used_at"]
    actions = ["rotate", "revoke"]

    @admin.display(description="Scopes")
    def scope_list(self, obj):
        return ", ".join(obj.scopes) or "—"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = clients.client_create(
            name=obj.name, scopes=form.cleaned_data["scopes"], contact=obj.contact,
            throttle_rate=obj.throttle_rate, created_by=request.user)
        for field in ApiClient._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding = False
        self._show_token(request, client, token)

    def _show_token(self, request, client, token):
        self.message_user(request, format_html(
            "Token for {}: <code>{}</code> — copy it now; it is not stored and will not be "
            "shown again.", client.name, token), messages.WARNING)

    @admin.action(description="Rotate the token (the old one stops working)",
                  permissions=["change"])
    def rotate(self, request, queryset):
        for client in queryset:
            self._show_token(request, client, clients.client_rotate(client=client))

    @admin.action(description="Revoke (deactivate)", permissions=["change"])
    def revoke(self, request, queryset):
        count = queryset.update(active=False)
        self.message_user(request, f"{count} client(s) revoked.", messages.SUCCESS)
