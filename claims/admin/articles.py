"""Outlets and articles: adding one (text, HTML or a file), its claims inline, re-running extraction."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from claims import extraction, ingestion
from claims.admin.common import TrueSortAdmin
from claims.errors import IngestError
from claims.models import (
    Article,
    Claim,
    Source,
)


@admin.register(Source)
class SourceAdmin(TrueSortAdmin):
    list_display = ["name", "domain", "country", "article_count"]
    search_fields = ["name", "domain"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(article_count=Count("articles"))

    @admin.display(ordering="article_count", description="Articles")
    def article_count(self, obj):
        return obj.article_count


class ArticleAddForm(forms.ModelForm):
    """Create an article by pasting its text or HTML; validated by the ingestion service."""

    source_name = forms.CharField(
        label="Source", max_length=200, required=False,
        help_text="Outlet name; left empty, the URL's domain names it.",
    )
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 16}), required=False,
                           strip=False, help_text="Plain text of the article.")
    html = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), required=False,
                           strip=False, label="HTML",
                           help_text="Or the page's HTML: its main text is extracted.")
    url = forms.CharField(label="Canonical URL", max_length=2000, required=False)

    class Meta:
        model = Article
        fields = ["title", "source_name", "url", "published_at", "text", "html"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].required = False
        self.fields["title"].help_text = "Left empty, the HTML's title is used."
        self.prepared = None

    def clean(self):
        data = super().clean()
        text, html = data.get("text") or None, data.get("html") or None
        try:
            self.prepared = ingestion.article_prepare(
                title=data.get("title") or "", source_name=data.get("source_name") or "",
                text=text, html=html, url=data.get("url") or None,
                published_at=data.get("published_at"),
            )
        except IngestError as exc:
            raise forms.ValidationError(exc.message, code=exc.code) from None
        return data

    def _post_clean(self):
        # The model instance is built by the service, not from the form fields.
        pass


class ClaimInline(admin.TabularInline):
    model = Claim
    fields = ["claim_link", "claimant", "cue", "kind", "status"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False
    ordering = ["start"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("claimant")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Claim")
    def claim_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.pk]),
            Truncator(obj.said).chars(140),
        )


@admin.register(Article)
class ArticleAdmin(TrueSortAdmin):
    list_display = ["title", "source", "published_at", "state", "claim_count", "created_at"]
    list_filter = ["state", ("source", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["source"]
    search_fields = ["title", "url"]
    date_hierarchy = "published_at"
    ordering = ["-created_at"]
    actions = ["reprocess"]
    inlines = [ClaimInline]

    def view_on_site(self, obj):
        return obj.url  # the outlet's page; None hides the link
    readonly_fields = [
        "source", "url", "title", "published_at", "state", "error", "attempts",
        "extractor_version", "processed_at", "claims_dropped", "matched_at", "match_attempts",
        "content_hash", "submitted_by", "created_at", "text_block",
    ]
    fieldsets = [
        (None, {"fields": ["title", "source", "url", "published_at"]}),
        ("Processing", {"fields": ["state", "error", "attempts", "extractor_version",
                                   "processed_at", "claims_dropped", "matched_at",
                                   "match_attempts",
                                   "content_hash", "submitted_by", "created_at"]}),
        ("Text", {"fields": ["text_block"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ArticleAddForm
            kwargs["fields"] = ArticleAddForm.Meta.fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ArticleAddForm.Meta.fields, "description": format_html(
                'Paste the text or the HTML here, or <a href="{}">fetch the article from its '
                'URL</a>.', reverse("admin:claims_articlefetch_add"))})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return  # articles are immutable once stored: their text anchors claim offsets
        article = ingestion.article_create(prepared=form.prepared, submitted_by=request.user)
        # The admin goes on with ``obj`` (messages, log entry, redirect): make it the row.
        for field in Article._meta.concrete_fields:
            setattr(obj, field.attname, getattr(article, field.attname))
        obj._state.adding = False

    @admin.display(ordering="claim_count", description="Claims")
    def claim_count(self, obj):
        return obj.claim_count

    @admin.display(description="Text")
    def text_block(self, obj):
        """The article's text with each claim marked, linking to its page (escaped by
        format_html). Where two claims overlap, the one starting first is marked; the other
        is in the list of claims below."""
        text, pieces, position = obj.text, [], 0
        for pk, start, end, said in (obj.claims.order_by("start", "end")
                                     .values_list("pk", "start", "end", "text")):
            if start < position or not 0 <= start < end <= len(text):
                continue
            pieces.append(format_html("{}", text[position:start]))
            pieces.append(format_html(
                '<a href="{}" class="claim-span" title="{}"><mark>{}</mark></a>',
                reverse("admin:claims_claim_change", args=[pk]),
                Truncator(said).chars(200), text[start:end]))
            position = end
        pieces.append(format_html("{}", text[position:]))
        return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>',
                           mark_safe("".join(pieces)))  # noqa: S308 - each piece is escaped

    def delete_model(self, request, obj):
        extraction.articles_delete(articles=Article.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        extraction.articles_delete(articles=queryset)

    @admin.action(description="Run claim extraction again", permissions=["change"])
    def reprocess(self, request, queryset):
        queued = sum(extraction.article_reprocess(article=article) for article in queryset)
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} article(s) queued for extraction.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} article(s) are being processed right now "
                              "and were left alone.", messages.WARNING)
