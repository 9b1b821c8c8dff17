"""Ingestion channels in the admin: articles fetched from their URL, feeds and their entries.

Permissions follow the work they stand for, so the desk's roles need nothing new: whoever
may add an article may have one fetched from its URL, whoever reads articles sees fetches,
feeds and entries, and whoever runs the outlets (sources) runs their feeds.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from claims import feeds, fetch
from claims.admin.common import ReadOnlyAdmin, TrueSortAdmin
from claims.models import ArticleFetch, Feed, FeedEntry


def _can(request, *names: str) -> bool:
    return request.user.has_perms([f"claims.{name}" for name in names])


def _fetchable(url: str, check) -> str:
    """A form's URL field, checked by ``check`` (fetch.canonical or fetch.check_url)."""
    url = (url or "").strip()
    try:
        check(url)
    except fetch.FetchError as exc:
        raise forms.ValidationError(exc.reason, code=exc.code) from None
    return url


def _article_link(article_id):
    if not article_id:
        return "—"
    return format_html('<a href="{}">article {}</a>',
                       reverse("admin:claims_article_change", args=[article_id]), article_id)


# --- articles by URL ---------------------------------------------------------------------------


class ArticleFetchForm(forms.ModelForm):
    """Fetch an article from its URL: the page is read, its main text kept, and the article
    processed as any other."""

    class Meta:
        model = ArticleFetch
        fields = ["url", "title", "source_name"]
        widgets = {"url": forms.URLInput(attrs={"size": 90})}
        help_texts = {"url": "The article's page, http:// or https://; only public sites."}

    def clean_url(self):
        return _fetchable(self.cleaned_data.get("url"), fetch.canonical)

    def _post_clean(self):
        pass  # the row is made by the service


@admin.register(ArticleFetch)
class ArticleFetchAdmin(TrueSortAdmin):
    list_display = ["url", "state", "short_reason", "article_link", "attempts", "created_at",
                    "finished_at"]
    list_filter = ["state"]
    search_fields = ["url", "canonical_url"]
    list_select_related = ["requested_by", "requested_via"]
    date_hierarchy = "created_at"
    form = ArticleFetchForm
    readonly_fields = ["url", "canonical_url", "title", "source_name", "state", "reason", "code",
                       "article_link", "attempts", "next_attempt_at", "requested_by",
                       "requested_via", "created_at", "finished_at", "feed_entry_link"]

    def has_view_permission(self, request, obj=None):
        return _can(request, "view_article")

    def has_add_permission(self, request):
        return _can(request, "add_article")

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return ArticleFetchForm.Meta.fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        # The URL was checked by the form, with the same function the service calls.
        item = feeds.article_fetch_request(url=data["url"], title=data.get("title") or "",
                                           source_name=data.get("source_name") or "",
                                           requested_by=request.user)
        for field in ArticleFetch._meta.concrete_fields:
            setattr(obj, field.attname, getattr(item, field.attname))
        obj._state.adding = False

    @admin.display(description="Reason")
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(100) or "—"

    @admin.display(description="Article")
    def article_link(self, obj):
        return _article_link(obj.article_id)

    @admin.display(description="Feed entry")
    def feed_entry_link(self, obj):
        entry = FeedEntry.objects.filter(fetch=obj).select_related("feed").first()
        return str(entry.feed) if entry else "—"


# --- feeds --------------------------------------------------------------------------------------


class FeedForm(forms.ModelForm):
    class Meta:
        model = Feed
        fields = ["url", "kind", "title", "source", "active", "interval_minutes"]
        help_texts = {"url": "The feed's address, http:// or https://; only public sites."}

    def clean_url(self):
        return _fetchable(self.cleaned_data.get("url"), fetch.check_url)


class FlaggedListFilter(admin.SimpleListFilter):
    title = "flagged"
    parameter_name = "flagged__exact"

    def lookups(self, request, model_admin):
        return [("1", "Flagged (keeps failing)"), ("0", "Not flagged")]

    def queryset(self, request, queryset):
        if self.value() in ("0", "1"):
            return queryset.filter(flagged=self.value() == "1")
        return queryset


@admin.register(Feed)
class FeedAdmin(TrueSortAdmin):
    list_display = ["__str__", "kind", "source", "active", "status", "last_polled_at",
                    "next_poll_at", "short_error", "entries_seen"]
    list_filter = [FlaggedListFilter, "active", "kind"]
    list_select_related = ["source"]
    search_fields = ["url", "title"]
    autocomplete_fields = ["source"]
    form = FeedForm
    actions = ["poll_now", "reset_failures"]
    fieldsets = [
        (None, {"fields": ["url", "kind", "title", "source", "active", "interval_minutes"]}),
        ("Polling", {"fields": ["status", "last_polled_at", "next_poll_at", "last_error",
                                "last_note", "consecutive_failures", "entries_seen", "etag",
                                "last_modified"]}),
    ]
    readonly_fields = ["status", "last_polled_at", "next_poll_at", "last_error", "last_note",
                       "consecutive_failures", "entries_seen", "etag", "last_modified"]

    def has_view_permission(self, request, obj=None):
        return _can(request, "view_article")

    def has_add_permission(self, request):
        return _can(request, "add_source")

    def has_change_permission(self, request, obj=None):
        return _can(request, "change_source")

    def has_delete_permission(self, request, obj=None):
        return _can(request, "delete_source")

    def has_poll_permission(self, request):
        return _can(request, "change_source")

    @admin.display(description="Status", ordering="flagged")
    def status(self, obj):
        if obj.flagged:
            return format_html('<strong style="color: #ba2121">Flagged: {} failures in a '
                               'row</strong>', obj.consecutive_failures)
        if obj.consecutive_failures:
            return f"{obj.consecutive_failures} failure(s), backing off"
        return "OK" if obj.last_polled_at else "Not polled yet"

    @admin.display(description="Last error")
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(100) or "—"

    @admin.action(description="Poll now", permissions=["poll"])
    def poll_now(self, request, queryset):
        ids = list(queryset.filter(active=True).values_list("pk", flat=True))
        sent = sum(feeds.feed_poll_request(feed_id=pk, force=True) for pk in ids)
        self.message_user(request, f"{sent} feed(s) sent for polling.", messages.SUCCESS)
        inactive = queryset.count() - len(ids)
        if inactive:
            self.message_user(request, f"{inactive} inactive feed(s) were left alone.",
                              messages.WARNING)

    @admin.action(description="Reset failures (clear the flag, poll at the next minute)",
                  permissions=["poll"])
    def reset_failures(self, request, queryset):
        count = sum(feeds.feed_reset(feed_id=pk) for pk in queryset.values_list("pk", flat=True))
        self.message_user(request, f"{count} feed(s) reset.", messages.SUCCESS)


@admin.register(FeedEntry)
class FeedEntryAdmin(ReadOnlyAdmin):
    """What each feed listed and what came of it: read-only."""

    list_display = ["title", "feed", "state", "short_reason", "article_link", "published_at",
                    "created_at"]
    list_filter = ["state", ("feed", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["feed"]
    search_fields = ["title", "url"]
    date_hierarchy = "created_at"
    fields = ["feed", "url", "guid", "title", "published_at", "state", "reason",
              "article_link", "fetch", "created_at", "updated_at"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return _can(request, "view_article")

    @admin.display(description="Reason")
    def short_reason(self, obj):
        return Truncator(obj.reason).chars(100) or "—"

    @admin.display(description="Article")
    def article_link(self, obj):
        return _article_link(obj.article_id)
