"""The desk's conversation on the claim and proposition pages, and each person's notification
settings. Views translate and call ``claims.comments`` and ``claims.notifications``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from claims import comments, review
from claims.models import COMMENT_MAX, Notification
from claims.notifications import desk_profile_for, desk_profile_update

Kind = Notification.Kind
# fetch() sends this header: the answer is the conversation fragment, not a redirect.
FETCH_HEADER = "fetch"


def conversation_html(request, *, claim=None, proposition=None, error: str = "",
                      draft: str = "") -> str:
    """The conversation on a claim or proposition page ("" for who may not read it): the
    comments oldest first, then the form to post one, outside the page's own form."""
    on = {"claim": claim} if claim is not None else {"proposition": proposition}
    user = request.user
    if not comments.may_read_comments(user, **on):
        return ""
    target = claim if claim is not None else proposition
    name = "claim" if claim is not None else "proposition"
    return render_to_string("admin/claims/fragments/comments.html", {
        "rows": [(c, comments.comment_pieces(c)) for c in comments.comments_for(**on)],
        "post_url": reverse(f"admin:claims_{name}_comments", args=[target.pk]),
        "may_post": comments.may_comment(user, **on), "error": error, "draft": draft,
        "comment_max": COMMENT_MAX, "on": name,
    }, request=request)


def _comment_view(model_admin, on: str):
    @require_POST
    def view(request, object_id):
        obj = model_admin.get_object(request, str(object_id))
        if obj is None:
            raise Http404
        if not model_admin.has_view_permission(request, obj):
            raise PermissionDenied
        target = {on: obj}
        body = request.POST.get("body", "")
        fetched = request.headers.get("X-Requested-With") == FETCH_HEADER
        back = reverse(f"admin:claims_{on}_change", args=[obj.pk]) + "#comments"
        try:
            comments.comment_add(user=request.user, body=body, **target)
        except review.NotAllowed:
            raise PermissionDenied from None
        except review.ReviewError as exc:
            if fetched:  # the typed text comes back with the message, nothing is lost
                return HttpResponse(conversation_html(request, error=exc.message, draft=body,
                                                      **target), status=400)
            model_admin.message_user(request, exc.message, messages.ERROR)
            return HttpResponseRedirect(back)
        if fetched:
            return HttpResponse(conversation_html(request, **target))
        model_admin.message_user(request, "Comment posted.", messages.SUCCESS)
        return HttpResponseRedirect(back)

    return model_admin.admin_site.admin_view(view)


class NotificationSettingsForm(forms.Form):
    in_app = forms.MultipleChoiceField(choices=Kind.choices, required=False)
    by_email = forms.MultipleChoiceField(choices=Kind.choices, required=False)


def _settings_view(model_admin):
    def view(request):
        profile = desk_profile_for(request.user)
        if request.method == "POST":
            # The page lists its own checkboxes (``rows``); the form only validates the post.
            form = NotificationSettingsForm(request.POST)
            if form.is_valid():
                desk_profile_update(user=request.user, in_app=form.cleaned_data["in_app"],
                                    by_email=form.cleaned_data["by_email"])
                model_admin.message_user(request, "Your notification settings are saved.",
                                         messages.SUCCESS)
                return HttpResponseRedirect(request.path)
            model_admin.message_user(request, "Choose among the kinds listed.", messages.ERROR)
        return TemplateResponse(request, "admin/claims/notification_settings.html", {
            **model_admin.admin_site.each_context(request),
            "title": "Notification settings",
            "rows": [(value, label, value in profile.in_app, value in profile.by_email)
                     for value, label in Kind.choices],
            "email": request.user.email,
            "email_backend": _backend_name(),
        })

    return model_admin.admin_site.admin_view(view)


def _backend_name() -> str:
    from django.conf import settings

    return settings.EMAIL_BACKEND.rsplit(".", 2)[-2]  # "console", "smtp", "locmem"…


def claim_urls(model_admin) -> list:
    """The conversation's routes on the claim admin, and the desk's notification settings."""
    return [
        path("<int:object_id>/comments/", _comment_view(model_admin, "claim"),
             name="claims_claim_comments"),
        path("notification-settings/", _settings_view(model_admin),
             name="claims_notification_settings"),
    ]


def proposition_urls(model_admin) -> list:
    return [path("<int:object_id>/comments/", _comment_view(model_admin, "proposition"),
                 name="claims_proposition_comments")]
