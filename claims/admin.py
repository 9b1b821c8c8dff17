"""The editors' workplace. Admin classes translate and call services; no logic lives here."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from claims import clients, desk, extraction, ingestion, matching, review
from claims.errors import IngestError
from claims.forms import ClaimReviewForm, DismissForm, PropositionRatingForm
from claims.models import (
    ApiClient,
    Article,
    Claim,
    Claimant,
    ClaimLink,
    FactCheck,
    Proposition,
    ReviewEvent,
    Source,
)
from claims.roles import REVIEW_READ

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
        return format_html('<div style="white-space: pre-wrap; max-width: 60em">{}</div>',
                           obj.text)

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


class AssignmentFilter(admin.SimpleListFilter):
    title = "assignment"
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("me", "Assigned to me"), ("none", "Unassigned"), ("others", "Assigned to others")]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(assigned_to=request.user)
        if self.value() == "none":
            return queryset.filter(assigned_to__isnull=True)
        if self.value() == "others":
            return queryset.exclude(assigned_to__isnull=True).exclude(assigned_to=request.user)
        return queryset


class DenialsFilter(admin.SimpleListFilter):
    title = "contradicted"
    parameter_name = "denied"

    def lookups(self, request, model_admin):
        return [("yes", "Has denials or contradictions"), ("no", "None")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(contradictions__gt=0)
        if self.value() == "no":
            return queryset.filter(contradictions=0)
        return queryset


def _factchecked():
    return Exists(ClaimLink.objects.filter(claim=OuterRef("pk"), factcheck__isnull=False)
                  .live())


class FactCheckedFilter(admin.SimpleListFilter):
    title = "previously fact-checked"
    parameter_name = "factchecked"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(was_checked=self.value() == "yes")
        return queryset


class CorrectionFilter(admin.SimpleListFilter):
    """Published claims whose correction waits for a second editor."""

    title = "correction awaiting approval"
    parameter_name = "correction"

    def lookups(self, request, model_admin):
        return [("yes", "Yes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(correction_proposed_at__isnull=False)
        return queryset


class PropositionFilter(admin.SimpleListFilter):
    """Claims of one proposition; reached from the proposition page (too many to list)."""

    title = "proposition"
    parameter_name = "proposition"

    def lookups(self, request, model_admin):
        value = request.GET.get(self.parameter_name, "")
        proposition = Proposition.objects.filter(pk=value).first() if value.isdigit() else None
        return [(str(proposition.pk), Truncator(proposition.text).chars(50))] if proposition \
            else []

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.in_proposition(int(self.value()))
        return queryset


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    """The review queue (ordered by priority) and the claim page where the review happens."""

    form = ClaimReviewForm
    change_form_template = "admin/claims/claim/change_form.html"
    list_display = ["claim_text", "claimant_name", "kind", "signals", "status", "assigned_to",
                    "source", "published"]
    list_filter = [
        "status", AssignmentFilter, CorrectionFilter, "kind", DenialsFilter, FactCheckedFilter,
        "flagged",
        PropositionFilter,
        ("claimant", admin.RelatedOnlyFieldListFilter),
        ("article__source", admin.RelatedOnlyFieldListFilter),
        "stale",
    ]
    list_select_related = ["claimant", "article__source", "assigned_to"]
    search_fields = ["text", "claimant__name", "cue", "article__title"]
    date_hierarchy = "article__published_at"
    ordering = ["-priority", "-article__published_at", "start"]
    list_per_page = 50
    actions = ["take_claims", "dismiss_claims", "flag_claims"]
    view_on_site = False

    class Media:
        css = {"all": ["claims/admin.css"]}

    readonly_fields = [
        "evidence_list", "verdict_history", "trail", "in_context", "pending_correction", "supporting", "contradicting", "related_neutral", "previously_checked",
        "signals",
        "review_state", "current_verdict", "claimant", "claimant_mention", "cue", "kind",
        "kind_cue_words", "negated", "hedged", "checkworthiness", "article_link", "text",
        "start", "end", "extractor_version", "stale",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(was_checked=_factchecked())

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(request, {"title": "Review queue — highest priority "
                                                 "first", **(extra_context or {})})

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view),
                 name="claims_dashboard"),
            *super().get_urls(),
        ]

    def dashboard_view(self, request):
        """The desk at a glance: queue sizes, what waits longest, output and pace."""
        if not request.user.has_perm("claims.view_dashboard"):
            raise PermissionDenied
        figures = desk.desk_figures()
        return TemplateResponse(request, "admin/claims/dashboard.html", {
            **self.admin_site.each_context(request), **figures,
            "title": "Desk dashboard", "opts": self.model._meta,
            "median_to_verdict_text": desk.duration(figures["median_to_verdict"]),
            "median_approval_text": desk.duration(figures["median_approval"]),
            "awaiting_oldest_text": desk.duration(figures["awaiting_oldest"]),
            "oldest_new_rows": [(claim, desk.duration(age))
                                for claim, age in figures["oldest_new"]],
        })

    # --- the claim page ----------------------------------------------------------------------

    def _abilities(self, request, obj) -> dict[str, bool]:
        user, status = request.user, obj.status
        transitions = {t.name for t in review.available_transitions(obj, user)}
        return {
            "draft": status == Claim.Status.IN_REVIEW and obj.assigned_to_id == user.pk
            and user.has_perm("claims.propose_verdict"),
            "correct": "correct" in transitions,
            "note": bool(transitions & {"send_back", "dismiss", "reopen", "correct",
                                        "discard_correction"}),
            "assign": user.has_perm("claims.assign_claim")
            and status in (Claim.Status.NEW, Claim.Status.IN_REVIEW),
        }

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": []})]
        can = self._abilities(request, obj) if self.has_change_permission(request, obj) \
            else {}
        review_fields = ["review_state", "evidence_list"]
        if can.get("draft") or can.get("correct"):
            if can.get("correct"):
                review_fields.insert(1, "current_verdict")
            review_fields += ["new_verdict", "new_rationale"]
        else:
            review_fields.insert(1, "current_verdict")
        if obj.correction_proposed_at is not None:
            review_fields.insert(review_fields.index("current_verdict") + 1,
                                 "pending_correction")
        if can.get("draft"):
            review_fields += ["evidence_url", "evidence_note", "evidence_stance"]
            if obj.evidence.exists():
                review_fields.append("remove_evidence")
        if can.get("assign"):
            review_fields.append("assignee")
        if can.get("note"):
            review_fields.append("note")
        if self.has_change_permission(request, obj):
            review_fields.append("version")
        across = ["supporting", "contradicting", "related_neutral", "previously_checked"]
        history = ["verdict_history", "trail"]
        review_fields, across, history = self._readable(
            request.user, obj, review_fields, across, history)
        return [
            (None, {"fields": ["in_context", "claimant", "cue", "kind", "signals"]}),
            ("Review", {"fields": review_fields}),
            *([("Across sources", {"fields": across})] if across else []),
            *([("History", {"fields": history})] if history else []),
            ("Extraction", {"classes": ["collapse"],
                            "fields": ["article_link", "claimant_mention", "kind_cue_words",
                                       "negated", "hedged", "checkworthiness", "text", "start",
                                       "end", "extractor_version", "stale"]}),
        ]

    # What each read-only part of the claim page reveals, and the permission that reads it.
    # Reporters may list and flag claims but not read a review in progress: its working
    # verdict and rationale, evidence, internal trail and the desk's links stay hidden from
    # them until the claim is published (what is published, anyone may read).
    READ_NEEDS = {
        "current_verdict": REVIEW_READ["verdict"],
        "pending_correction": REVIEW_READ["verdict"],
        "evidence_list": REVIEW_READ["evidence"],
        "verdict_history": REVIEW_READ["verdict"],
        "trail": REVIEW_READ["trail"],
        "supporting": REVIEW_READ["links"],
        "contradicting": REVIEW_READ["links"],
        "related_neutral": REVIEW_READ["links"],
        "previously_checked": REVIEW_READ["factchecks"],
    }
    PUBLIC_ONCE_PUBLISHED = {"current_verdict", "evidence_list", "verdict_history"}

    def _readable(self, user, obj, *groups):
        published = obj.status == Claim.Status.PUBLISHED

        def readable(name):
            needed = self.READ_NEEDS.get(name)
            return (needed is None or user.has_perm(needed)
                    or (published and name in self.PUBLIC_ONCE_PUBLISHED))

        return tuple([name for name in group if readable(name)] for group in groups)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # The form keeps only the fields this user sees for this claim: a field left out of
        # the page cannot be posted either.
        shown = {name for _, options in self.get_fieldsets(request, obj)
                 for name in options["fields"]}
        return type("ClaimReviewForm", (form,), {"request": request, "shown": shown})

    def save_model(self, request, obj, form, change):
        pass  # the form's services saved everything, under a row lock and a version check

    def save_related(self, request, form, formsets, change):
        pass  # every inline is read-only

    def construct_change_message(self, request, form, formsets, add=False):
        return form.outcome

    def response_change(self, request, obj):
        form_outcome = getattr(request, "_review_outcome", "")
        self.message_user(request, form_outcome or "Saved.", messages.SUCCESS)
        return HttpResponseRedirect(request.path)

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context["transitions"] = (review.available_transitions(obj, request.user)
                                      if self.has_change_permission(request, obj) else [])
            context["can_save"] = any(name in context["adminform"].form.fields for name in (
                "new_verdict", "evidence_url", "remove_evidence"))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def log_change(self, request, obj, message):
        request._review_outcome = message
        return super().log_change(request, obj, message)

    def has_add_permission(self, request):
        return False  # claims come from extraction

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def delete_model(self, request, obj):
        extraction.claims_delete(claims=Claim.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        extraction.claims_delete(claims=queryset)

    # --- the queue's bulk actions ------------------------------------------------------------

    def has_take_permission(self, request):
        return request.user.has_perm("claims.take_claim")

    def has_dismiss_permission(self, request):
        return request.user.has_perm("claims.dismiss_claim")

    def has_flag_permission(self, request):
        return request.user.has_perm("claims.flag_claim")

    def _each(self, request, queryset, call, done: str) -> None:
        succeeded, refused = 0, []
        for claim in queryset.order_by("pk"):
            try:
                call(claim)
                succeeded += 1
            except review.ReviewError as exc:
                refused.append(f"“{Truncator(claim.text).chars(50)}”: {exc.message}")
        if succeeded:
            self.message_user(request, f"{succeeded} claim(s) {done}.", messages.SUCCESS)
        for line in refused[:10]:
            self.message_user(request, line, messages.WARNING)
        if len(refused) > 10:
            self.message_user(request, f"…and {len(refused) - 10} more refused.",
                              messages.WARNING)

    @admin.action(description="Assign to me", permissions=["take"])
    def take_claims(self, request, queryset):
        self._each(request, queryset, lambda c: review.claim_take(claim=c, user=request.user),
                   "assigned to you")

    @admin.action(description="Flag for checking", permissions=["flag"])
    def flag_claims(self, request, queryset):
        self._each(request, queryset, lambda c: review.claim_flag(claim=c, user=request.user),
                   "flagged")

    @admin.action(description="Dismiss with a reason…", permissions=["dismiss"])
    def dismiss_claims(self, request, queryset):
        form = DismissForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._each(request, queryset, lambda c: review.claim_dismiss(
                claim=c, user=request.user, reason=reason), "dismissed")
            return None
        return TemplateResponse(request, "admin/claims/claim/dismiss.html", {
            **self.admin_site.each_context(request),
            "title": "Dismiss claims", "opts": self.model._meta, "form": form,
            "claims": queryset, "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        })

    # --- columns and page sections -----------------------------------------------------------

    @admin.display(description="Claim", ordering="text")
    def claim_text(self, obj):
        return Truncator(obj.text).chars(120)

    @admin.display(description="Claimant", ordering="claimant__name")
    def claimant_name(self, obj):
        if obj.claimant is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.claimant.role, obj.claimant.name)

    @admin.display(description="Priority", ordering="-priority")
    def signals(self, obj):
        """Why the claim is where it is in the queue."""
        parts = [format_html('<span class="signal" title="check-worthiness">{}</span>',
                             "—" if obj.checkworthiness is None
                             else f"{obj.checkworthiness:.2f}")]
        if obj.corroborations:
            parts.append(format_html('<span class="signal" title="other outlets carrying it">'
                                     "+{} outlets</span>", obj.corroborations))
        if obj.contradictions:
            parts.append(format_html('<span class="signal signal-denied" title="claims '
                                     'contradicting it">{} denied</span>', obj.contradictions))
        if getattr(obj, "was_checked", False):
            parts.append(format_html('<span class="signal signal-checked">{}</span>',
                                     "fact-checked before"))
        if obj.flagged:
            parts.append(format_html('<span class="signal signal-flag">{}</span>', "flagged"))
        return format_html_join(" ", "{}", ((p,) for p in parts))

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

    @admin.display(description="Status")
    def review_state(self, obj):
        who = format_html(", assigned to <strong>{}</strong>", obj.assigned_to) \
            if obj.assigned_to else format_html("{}", ", unassigned")
        return format_html("<strong>{}</strong>{} · version {}", obj.get_status_display(), who,
                           obj.version)

    @admin.display(description="Verdict")
    def current_verdict(self, obj):
        if not obj.verdict:
            return "—"
        proposer = format_html(" — proposed by {}", obj.proposed_by) if obj.proposed_by else ""
        return format_html('<span class="verdict verdict-{}">{}</span>{}'
                           '<div class="rationale">{}</div>', obj.verdict,
                           obj.get_verdict_display(), proposer, obj.rationale)

    @admin.display(description="Correction awaiting approval")
    def pending_correction(self, obj):
        if obj.correction_proposed_at is None:
            return "—"
        return format_html(
            '<span class="verdict verdict-{}">{}</span> — proposed by {} on {}'
            '<div class="rationale">{}</div><div class="correction">Correction: {}</div>'
            '<p class="help">Another editor approves it (four eyes); until then the published '
            "verdict above stands.</p>", obj.correction_verdict,
            obj.get_correction_verdict_display(), obj.correction_proposed_by or "—",
            f"{obj.correction_proposed_at:%Y-%m-%d %H:%M}", obj.correction_rationale,
            obj.correction_note)

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

    def _related(self, obj):
        """Claims of other articles linked either way; the best link per claim, rejected
        ones left out, as (link, other claim), best first."""
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
        return sorted(related.values(), key=lambda pair: -pair[0].score)

    def _link_items(self, pairs):
        return _items([format_html("{} <small>{}</small>{}", _claim_line(other),
                                   f"{link.score:.2f}", _decision(link))
                       for link, other in pairs])

    @admin.display(description="Supporting (other sources)")
    def supporting(self, obj):
        return self._link_items([(l, o) for l, o in self._related(obj)
                                 if l.relation == ClaimLink.Relation.SUPPORTS])

    @admin.display(description="Contradicting (denials)")
    def contradicting(self, obj):
        return self._link_items([(l, o) for l, o in self._related(obj)
                                 if l.relation == ClaimLink.Relation.CONTRADICTS])

    @admin.display(description="Evidence")
    def evidence_list(self, obj):
        rows = obj.evidence.select_related("added_by")
        if not rows:
            return "—"
        # Only http(s) addresses are accepted (claims.review.evidence_add); all escaped.
        return format_html("<ul class=\"evidence\">{}</ul>", format_html_join("", (
            '<li><span class="stance stance-{}">{}</span> <a href="{}" rel="noopener '
            'noreferrer nofollow" target="_blank">{}</a> {} <small>({}, {})</small></li>'), (
            (e.stance, e.get_stance_display(), e.url, Truncator(e.url).chars(80),
             e.note, e.added_by or "unknown", f"{e.created_at:%Y-%m-%d %H:%M}")
            for e in rows)))

    @admin.display(description="Published verdicts")
    def verdict_history(self, obj):
        versions = obj.verdicts.select_related("proposed_by", "published_by")
        if not versions:
            return "—"
        return format_html("<ol class=\"verdicts\">{}</ol>", format_html_join("", (
            '<li class="{}"><strong>{}</strong>{} — proposed by {}, published by {} on {}'
            '<div class="rationale">{}</div>{}</li>'), (
            ("corrected" if v.corrected_at else "current", v.get_verdict_display(),
             format_html(" <em>(corrected {})</em>", f"{v.corrected_at:%Y-%m-%d}")
             if v.corrected_at else "", v.proposed_by or "—", v.published_by or "—",
             f"{v.published_at:%Y-%m-%d %H:%M}", v.rationale,
             format_html('<div class="correction">Correction: {}</div>', v.correction_note)
             if v.correction_note else "")
            for v in versions)))

    @admin.display(description="Review trail")
    def trail(self, obj):
        events = obj.events.select_related("actor").order_by("created_at", "id")
        if not events:
            return "—"
        return format_html(
            '<table class="trail"><thead><tr><th>When</th><th>Who</th><th>What</th>'
            "<th>From → to</th><th>Note</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                             "<td>{}</td></tr>", (
                                 (f"{e.created_at:%Y-%m-%d %H:%M}", e.actor or "system",
                                  e.data.get("transition") or e.get_action_display(),
                                  f"{e.from_status} → {e.to_status}"
                                  if e.from_status != e.to_status else e.to_status,
                                  e.note) for e in events)))

    @admin.display(description="Related, no stance")
    def related_neutral(self, obj):
        return self._link_items([(l, o) for l, o in self._related(obj)
                                 if l.relation == ClaimLink.Relation.NEUTRAL])

    @admin.display(description="Previously fact-checked")
    def previously_checked(self, obj):
        links = obj.links.filter(factcheck__isnull=False).live().select_related("factcheck").order_by("-score")
        items = []
        for link in links:
            check = link.factcheck
            title = Truncator(check.claim_reviewed).chars(140)
            if check.url.startswith(("http://", "https://")):
                title = format_html('<a href="{}" rel="noopener noreferrer nofollow" '
                                    'target="_blank">{}</a>', check.url, title)
            items.append(format_html("{} — <strong>{}</strong> <small>({}, {})</small>{}", title,
                                     check.verdict or "no verdict",
                                     check.publisher or "unknown publisher",
                                     f"{link.score:.2f}", _decision(link)))
        return _items(items)

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


def _decision(link: ClaimLink) -> str:
    """Confirm/reject buttons for a suggestion (they submit the claim page's form, which
    decides the link through the service); the decision itself once made."""
    if link.status != ClaimLink.Status.SUGGESTED:
        return format_html(" <em>{}</em>", link.get_status_display().lower())
    return format_html(
        ' <button type="submit" name="_link" value="{}:confirmed" class="link-button" '
        'formnovalidate>confirm</button> <button type="submit" name="_link" '
        'value="{}:rejected" class="link-button" formnovalidate>reject</button>',
        link.pk, link.pk)


def _items(items) -> str:
    if not items:
        return "—"
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>",
                                                      ((i,) for i in items)))


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
    readonly_fields = ["text", "first_seen_at", "locked", "merged_into", "rate_link",
                       "timeline"]
    fields = readonly_fields

    def get_urls(self):
        return [
            path("<int:object_id>/rate/", self.admin_site.admin_view(self.rate_view),
                 name="claims_proposition_rate"),
            *super().get_urls(),
        ]

    def rate_view(self, request, object_id):
        """Rate a proposition: each member gets a suggested verdict (the opposite one for
        denials) that a fact-checker accepts as the claim's draft — nothing is applied here
        without that click, and the draft is then edited and submitted on the claim page."""
        proposition = self.get_object(request, str(object_id))
        if proposition is None or not self.has_view_permission(request, proposition):
            raise PermissionDenied
        form = PropositionRatingForm(request.POST or request.GET or None)
        may_accept = request.user.has_perm("claims.propose_verdict")
        if request.method == "POST":
            if not may_accept:
                raise PermissionDenied
            # The claim must be one of this proposition's members, and its verdict is the one
            # suggested for it (the posted "suggested" is only checked against it): a number
            # that is not a claim id, or another proposition's claim, is refused plainly.
            suggestion = None
            if form.is_valid():
                wanted = request.POST.get("claim", "")
                suggestion = next((s for s in review.proposition_verdict_suggestions(
                    proposition=proposition, verdict=form.cleaned_data["verdict"])
                    if str(s.claim.pk) == wanted), None)
            if suggestion is None or request.POST.get("suggested") != suggestion.verdict:
                self.message_user(request, "That claim has no such suggestion on this "
                                  "proposition; nothing was changed.", messages.ERROR)
            else:
                claim = suggestion.claim
                try:
                    review.suggestion_accept(
                        claim=claim, user=request.user, verdict=suggestion.verdict,
                        rationale=form.cleaned_data["rationale"])
                    self.message_user(request, format_html(
                        "Draft verdict set on “{}”: <a href=\"{}\">review and submit it</a>.",
                        Truncator(claim.text).chars(60),
                        reverse("admin:claims_claim_change", args=[claim.pk])),
                        messages.SUCCESS)
                except review.ReviewError as exc:
                    self.message_user(request, exc.message, messages.ERROR)
            back = {k: request.POST.get(k, "") for k in ("verdict", "rationale")}
            return HttpResponseRedirect(f"{request.path}?{urlencode(back)}")
        suggestions = []
        if form.is_bound and form.is_valid():
            suggestions = review.proposition_verdict_suggestions(
                proposition=proposition, verdict=form.cleaned_data["verdict"])
        return TemplateResponse(request, "admin/claims/proposition/rate.html", {
            **self.admin_site.each_context(request),
            "title": "Rate a proposition", "opts": self.model._meta, "original": proposition,
            "form": form, "suggestions": suggestions, "may_accept": may_accept,
            "can_take_ids": {s.claim.pk for s in suggestions
                             if s.claim.status in (Claim.Status.NEW, Claim.Status.IN_REVIEW)
                             and s.claim.assigned_to_id in (None, request.user.pk)},
        })

    @admin.display(description="Rate")
    def rate_link(self, obj):
        return format_html(
            '<a class="button" href="{}">Rate this proposition…</a> <span class="help">each '
            "member gets a suggested verdict, denials the opposite; fact-checkers accept or "
            "edit them</span>", reverse("admin:claims_proposition_rate", args=[obj.pk]))

    @admin.display(description="Members, in time order")
    def timeline(self, obj):
        links = (ClaimLink.objects.members_of(obj)
                 .select_related("claim__article__source", "claim__claimant")
                 .order_by(F("claim__article__published_at").asc(nulls_last=True),
                           "claim__start"))
        if not links:
            return "—"
        rows = ((f"{l.claim.article.published_at:%Y-%m-%d %H:%M}"
                 if l.claim.article.published_at else "undated",
                 l.claim.article.source.name,
                 l.claim.claimant.name if l.claim.claimant else "the outlet",
                 l.relation, l.get_relation_display(),
                 reverse("admin:claims_claim_change", args=[l.claim_id]),
                 Truncator(l.claim.text).chars(140), l.claim.get_status_display(),
                 l.claim.get_verdict_display() if l.claim.status == Claim.Status.PUBLISHED
                 else "") for l in links)
        return format_html(
            '<table class="timeline"><thead><tr><th>When</th><th>Outlet</th><th>Claimant</th>'
            "<th>Stance</th><th>Claim</th><th>Review</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join("", '<tr><td>{}</td><td>{}</td><td>{}</td><td><span class="stance '
                             'stance-{}">{}</span></td><td><a href="{}">{}</a></td>'
                             "<td>{} {}</td></tr>", rows))

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

    def has_split_permission(self, request):
        # Reshaping propositions is an editor's call, like merging them.
        return request.user.has_perm("claims.change_proposition")

    @admin.action(description="Split the selected memberships into a new proposition",
                  permissions=["split"])
    def split(self, request, queryset):
        try:
            new = matching.proposition_split(links=list(queryset), user=request.user)
        except matching.DecisionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        self.message_user(request, f"New proposition “{Truncator(new.text).chars(80)}”.",
                          messages.SUCCESS)


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
class ApiClientAdmin(admin.ModelAdmin):
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


from claims import admin_webhooks  # noqa: E402,F401  (webhook endpoints and the delivery log)
