"""The editors' workplace. Admin classes translate and call services; no logic lives here."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from claims import services
from claims.errors import IngestError
from claims import matching
from claims.models import (
    Article, Claim, Claimant, ClaimLink, FactCheck, Proposition, ReviewEvent, Source,
)

# Characters of article text shown on each side of a claim's sentence on the claim page.
CONTEXT_CHARS = 400


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
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
            self.prepared = services.article_prepare(
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
            Truncator(obj.text).chars(140),
        )


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
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
        "extractor_version", "processed_at", "matched_at", "match_attempts", "content_hash",
        "submitted_by", "created_at", "text_block",
    ]
    fieldsets = [
        (None, {"fields": ["title", "source", "url", "published_at"]}),
        ("Processing", {"fields": ["state", "error", "attempts", "extractor_version",
                                   "processed_at", "matched_at", "match_attempts",
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
            return [(None, {"fields": ArticleAddForm.Meta.fields})]
        return self.fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            return  # articles are immutable once stored: their text anchors claim offsets
        article = services.article_create(prepared=form.prepared, submitted_by=request.user)
        # The admin goes on with ``obj`` (messages, log entry, redirect): make it the row.
        for field in Article._meta.concrete_fields:
            setattr(obj, field.attname, getattr(article, field.attname))
        obj._state.adding = False

    @admin.display(ordering="claim_count", description="Claims")
    def claim_count(self, obj):
        return obj.claim_count

    @admin.display(description="Text")
    def text_block(self, obj):
        return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>',
                           obj.text)

    def delete_model(self, request, obj):
        services.articles_delete(articles=Article.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.articles_delete(articles=queryset)

    @admin.action(description="Run claim extraction again", permissions=["change"])
    def reprocess(self, request, queryset):
        queued = sum(services.article_reprocess(article=article) for article in queryset)
        skipped = queryset.count() - queued
        self.message_user(request, f"{queued} article(s) queued for extraction.", messages.SUCCESS)
        if skipped:
            self.message_user(request, f"{skipped} article(s) are being processed right now "
                              "and were left alone.", messages.WARNING)


class ReviewEventInline(admin.TabularInline):
    model = ReviewEvent
    fields = ["created_at", "actor", "action", "from_status", "to_status", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    # Fits a laptop screen: the article is one click away on the claim page.
    list_display = ["claim_text", "claimant_name", "cue", "kind", "score", "status", "source",
                    "published"]
    list_filter = [
        "kind", "status",
        ("claimant", admin.RelatedOnlyFieldListFilter),
        ("article__source", admin.RelatedOnlyFieldListFilter),
        "stale",
    ]
    list_select_related = ["claimant", "article__source"]
    search_fields = ["text", "claimant__name", "cue", "article__title"]
    ordering = [F("checkworthiness").desc(nulls_last=True), "-article__published_at", "start"]
    list_per_page = 50
    inlines = [ReviewEventInline]
    view_on_site = False

    class Media:
        css = {"all": ["claims/admin.css"]}
    readonly_fields = [
        "in_context", "related", "previously_checked",
        "text", "claimant", "claimant_mention", "cue", "kind", "kind_cue_words",
        "negated", "hedged", "checkworthiness", "status", "article_link", "stale",
        "extractor_version", "start", "end",
    ]
    fieldsets = [
        (None, {"fields": ["in_context", "claimant", "claimant_mention", "cue", "kind",
                           "kind_cue_words", "negated", "hedged", "checkworthiness", "status"]}),
        ("Across sources", {"fields": ["related", "previously_checked"]}),
        ("Source", {"fields": ["article_link", "text", "start", "end", "extractor_version",
                               "stale"]}),
    ]

    def has_add_permission(self, request):
        return False  # claims come from extraction

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        services.claims_delete(claims=Claim.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        services.claims_delete(claims=queryset)

    @admin.display(description="Claim", ordering="text")
    def claim_text(self, obj):
        return Truncator(obj.text).chars(120)

    @admin.display(description="Claimant", ordering="claimant__name")
    def claimant_name(self, obj):
        if obj.claimant is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.claimant.role, obj.claimant.name)

    @admin.display(description="Check-worthiness", ordering="checkworthiness")
    def score(self, obj):
        return "—" if obj.checkworthiness is None else f"{obj.checkworthiness:.2f}"

    @admin.display(description="Source", ordering="article__source__name")
    def source(self, obj):
        return obj.article.source.name

    @admin.display(description="Article", ordering="article__title")
    def article_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_article_change", args=[obj.article_id]),
            Truncator(obj.article.title).chars(60),
        )

    @admin.display(description="Published", ordering="article__published_at")
    def published(self, obj):
        return obj.article.published_at.date() if obj.article.published_at else None

    @admin.display(description="In context")
    def in_context(self, obj):
        """The claim marked in its article, its cue in bold; every piece escaped."""
        text = obj.article.text
        first = max(0, obj.sentence_start - CONTEXT_CHARS)
        last = min(len(text), obj.sentence_end + CONTEXT_CHARS)
        marks = [(obj.start, obj.end, "mark")]
        cue_inside = obj.cue_start is not None and obj.cue_end is not None \
            and first <= obj.cue_start < obj.cue_end <= last
        if cue_inside and (obj.cue_end <= obj.start or obj.cue_start >= obj.end):
            marks.append((obj.cue_start, obj.cue_end, "strong"))
        pieces, position = [], first
        for start, end, tag in sorted(marks):
            pieces.append(format_html("{}<{}>{}</{}>", text[position:start], tag,
                                      text[start:end], tag))
            position = end
        pieces.append(format_html("{}", text[position:last]))
        return format_html(
            '<div class="claim-context">{}{}{}</div>',
            "…" if first else "", format_html_join("", "{}", ((p,) for p in pieces)),
            "…" if last < len(text) else "",
        )

    @admin.display(description="Other sources")
    def related(self, obj):
        """Claims of other articles linked either way, by relation; rejected ones left out."""
        live = [ClaimLink.Status.SUGGESTED, ClaimLink.Status.CONFIRMED]
        related = {}
        outgoing = obj.links.filter(target_claim__isnull=False, status__in=live).select_related(
            "target_claim__article__source", "target_claim__claimant")
        incoming = obj.linked_from.filter(status__in=live).select_related(
            "claim__article__source", "claim__claimant")
        for link, other in [(l, l.target_claim) for l in outgoing] + [(l, l.claim)
                                                                      for l in incoming]:
            if other.pk not in related or link.score > related[other.pk][0].score:
                related[other.pk] = (link, other)
        groups = {}
        for link, other in sorted(related.values(), key=lambda pair: -pair[0].score):
            groups.setdefault(link.get_relation_display(), []).append(
                format_html("{} <small>{}, {}</small>", _claim_line(other), f"{link.score:.2f}",
                            link.get_status_display().lower()))
        if not groups:
            return "—"
        return format_html_join("", "<strong>{}</strong><ul>{}</ul>", (
            (label, format_html_join("", "<li>{}</li>", ((item,) for item in items)))
            for label, items in groups.items()))

    @admin.display(description="Previously fact-checked")
    def previously_checked(self, obj):
        links = obj.links.filter(factcheck__isnull=False).exclude(
            status=ClaimLink.Status.REJECTED).select_related("factcheck").order_by("-score")
        if not links:
            return "—"
        return format_html_join("", "<li>{} — <strong>{}</strong> ({}, {})</li>", (
            (Truncator(link.factcheck.claim_reviewed).chars(140),
             link.factcheck.verdict or "no verdict", link.factcheck.publisher or "unknown",
             f"{link.score:.2f}") for link in links))

    @admin.display(description="Words that decided the kind")
    def kind_cue_words(self, obj):
        return ", ".join(obj.kind_cues) or "—"


@admin.register(Claimant)
class ClaimantAdmin(admin.ModelAdmin):
    list_display = ["name", "role", "family", "kind", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "role", "family", "key"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(claim_count=Count("claims"))

    @admin.display(ordering="claim_count", description="Claims")
    def claim_count(self, obj):
        return obj.claim_count


@admin.register(ReviewEvent)
class ReviewEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "claim", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]
    list_select_related = ["claim", "actor"]
    raw_id_fields = ["claim"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FactCheck)
class FactCheckAdmin(admin.ModelAdmin):
    list_display = ["claim_text", "claimant_name", "verdict", "publisher", "reviewed_on"]
    list_filter = ["origin", "publisher", "verdict"]
    search_fields = ["claim_reviewed", "title", "claimant_name", "external_id"]
    date_hierarchy = "reviewed_on"
    list_per_page = 50
    show_full_result_count = False  # the library holds tens of thousands of records
    readonly_fields = ["external_id", "origin", "created_at", "updated_at", "raw"]

    @admin.display(description="Claim reviewed", ordering="claim_reviewed")
    def claim_text(self, obj):
        return Truncator(obj.claim_reviewed).chars(140)

    def view_on_site(self, obj):
        return obj.url or None


def _claim_line(claim: Claim) -> str:
    who = claim.claimant.name if claim.claimant else "the outlet"
    return format_html(
        '<a href="{}">{}</a> — {}, {} ({})',
        reverse("admin:claims_claim_change", args=[claim.pk]), Truncator(claim.text).chars(120),
        who, claim.article.source.name,
        claim.article.published_at.date() if claim.article.published_at else "undated",
    )


@admin.register(Proposition)
class PropositionAdmin(admin.ModelAdmin):
    list_display = ["proposition_text", "first_seen_at", "member_count", "contradiction_count",
                    "locked"]
    list_filter = ["locked"]
    search_fields = ["text"]
    actions = ["merge"]
    def get_ordering(self, request):
        # The stories carried by most claims first, then the newest (an annotation, so not
        # the ``ordering`` attribute, which the admin checks against model fields).
        return ["-member_count", "-first_seen_at"]
    readonly_fields = ["text", "first_seen_at", "locked", "merged_into", "sides"]
    fields = readonly_fields

    def get_queryset(self, request):
        # Annotated before ordering (ModelAdmin.get_queryset orders first), since the default
        # ordering is by an annotation.
        live = Q(links__status__in=["suggested", "confirmed"])
        return Proposition.objects.filter(merged_into__isnull=True).annotate(
            member_count=Count("links", filter=live),
            contradiction_count=Count("links", filter=live & Q(links__relation="contradicts")),
        ).order_by(*self.get_ordering(request))

    def has_add_permission(self, request):
        return False

    @admin.display(description="Proposition", ordering="text")
    def proposition_text(self, obj):
        return Truncator(obj.text).chars(140)

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj):
        return obj.member_count

    @admin.display(description="Contradicting", ordering="contradiction_count")
    def contradiction_count(self, obj):
        return obj.contradiction_count

    @admin.display(description="Claims by side, in time order")
    def sides(self, obj):
        sides = matching.proposition_sides(obj)
        return format_html_join(
            "", "<h3>{}</h3><ul>{}</ul>",
            ((label.capitalize(), format_html_join("", "<li>{}</li>",
                                                   ((_claim_line(c),) for c in claims)))
             for label, claims in sides.items() if claims),
        )

    @admin.action(description="Merge the selected propositions", permissions=["change"])
    def merge(self, request, queryset):
        try:
            target = matching.propositions_merge(propositions=list(queryset), user=request.user)
        except matching.DecisionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"Merged into “{Truncator(target.text).chars(80)}”.",
                          messages.SUCCESS)


@admin.register(ClaimLink)
class ClaimLinkAdmin(admin.ModelAdmin):
    """Matching suggestions: editors confirm, reject, or split memberships off."""

    list_display = ["claim_short", "relation", "target", "score_display", "status", "decided_by"]
    list_filter = ["status", "relation", ("proposition", admin.EmptyFieldListFilter),
                   ("factcheck", admin.EmptyFieldListFilter)]
    list_select_related = ["claim", "target_claim", "proposition", "factcheck", "decided_by"]
    search_fields = ["claim__text", "target_claim__text", "factcheck__claim_reviewed"]
    raw_id_fields = ["claim", "target_claim", "proposition", "factcheck"]
    actions = ["confirm", "reject", "split"]
    readonly_fields = ["claim", "target_claim", "proposition", "factcheck", "relation", "score",
                       "method", "cues", "status", "decided_by", "decided_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description="Claim", ordering="claim__text")
    def claim_short(self, obj):
        return Truncator(obj.claim.text).chars(90)

    @admin.display(description="Linked to")
    def target(self, obj):
        if obj.factcheck_id:
            verdict = f" [{obj.factcheck.verdict}]" if obj.factcheck.verdict else ""
            return f"Fact-check: {Truncator(obj.factcheck.claim_reviewed).chars(80)}{verdict}"
        if obj.proposition_id:
            return f"Proposition: {Truncator(obj.proposition.text).chars(80)}"
        return Truncator(obj.target_claim.text).chars(90)

    @admin.display(description="Score", ordering="score")
    def score_display(self, obj):
        return f"{obj.score:.2f}"

    def _decide(self, request, queryset, status):
        done = 0
        for link in queryset:
            matching.link_decide(link=link, user=request.user, status=status)
            done += 1
        self.message_user(request, f"{done} link(s) {status}.", messages.SUCCESS)

    @admin.action(description="Confirm the selected links", permissions=["change"])
    def confirm(self, request, queryset):
        self._decide(request, queryset, ClaimLink.Status.CONFIRMED)

    @admin.action(description="Reject the selected links", permissions=["change"])
    def reject(self, request, queryset):
        self._decide(request, queryset, ClaimLink.Status.REJECTED)

    @admin.action(description="Split the selected memberships into a new proposition",
                  permissions=["change"])
    def split(self, request, queryset):
        try:
            new = matching.proposition_split(links=list(queryset), user=request.user)
        except matching.DecisionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"New proposition “{Truncator(new.text).chars(80)}”.",
                          messages.SUCCESS)
