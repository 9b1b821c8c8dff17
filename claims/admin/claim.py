"""The review queue and the claim page: the claim in its article, the review form's actions, evidence, verdicts, trail, related claims."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ORDER_VAR
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from claims import desk, extraction, matching, review
from claims.admin.common import CONTEXT_CHARS, TrueSortAdmin, fragment
from claims.admin.conversation import claim_urls
from claims.admin.filters import (
    AssignmentFilter,
    CorrectionFilter,
    DenialsFilter,
    FactCheckedFilter,
    PropositionFilter,
    _factchecked,
)
from claims.admin.library import library_urls
from claims.forms import ClaimReviewForm, DismissForm
from claims.models import (
    Claim,
    ClaimLink,
    best_per_other,
)
from claims.publishing import evidence_url_public
from claims.review.rules import four_eyes_waits, may_flag
from claims.roles import REVIEW_READ


def _may(check, claim, user) -> bool:
    try:
        check(claim, user)
    except review.ReviewError:
        return False
    return True


@admin.register(Claim)
class ClaimAdmin(TrueSortAdmin):
    """The review queue (ordered by priority) and the claim page where the review happens."""

    form = ClaimReviewForm
    change_form_template = "admin/claims/claim/change_form.html"
    # Priority comes right after the claim: it is the queue's order, and its column shows
    # what it is made of.
    list_display = ["claim_text", "signals", "claimant_name", "kind", "status", "assigned_to",
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
    # Led by the Priority column's field, so its arrow is the one marked (TrueSortAdmin);
    # equal priorities, newest article first.
    ordering = ["-priority", "-article__published_at", "start"]
    list_per_page = 50
    actions = ["take_claims", "dismiss_claims", "flag_claims"]
    view_on_site = False

    class Media:
        css = {"all": ["claims/admin.css"]}

    readonly_fields = [
        "statement", "proposition_text", "polarity", "as_extracted",
        "evidence_list", "verdict_history", "trail", "public_page", "in_context", "pending_correction", "supporting", "contradicting", "related_neutral", "previously_checked",
        "signals",
        "review_state", "current_verdict", "claimant", "claimant_mention", "cue", "kind",
        "kind_cue_words", "negated", "hedged", "checkworthiness", "article_link", "text",
        "start", "end", "extractor_version", "stale",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(was_checked=_factchecked())

    def changelist_view(self, request, extra_context=None):
        # The title names the order only while it holds: a click on a header re-sorts.
        by_priority = not request.GET.get(ORDER_VAR)
        return super().changelist_view(request, {
            "title": "Review queue — highest priority first" if by_priority
            else "Review queue", "priority_formula": matching.PRIORITY_FORMULA,
            **(extra_context or {})})

    def get_urls(self):
        return [
            path("dashboard/", self.admin_site.admin_view(self.dashboard_view),
                 name="claims_dashboard"),
            path("<int:pk>/flag/", self.admin_site.admin_view(self.flag_view),
                 name="claims_claim_flag"),
            *claim_urls(self),  # comments, notification settings
            *library_urls(self),  # the library search and attach, on the claim page
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

    def flag_view(self, request, pk):
        """The claim page's Flag button: its own route, as those who flag (reporters) may
        read the claim page but not post it."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        claim = get_object_or_404(Claim, pk=pk)
        if not self.has_view_permission(request, claim):
            raise PermissionDenied
        try:
            review.claim_flag(claim=claim, user=request.user,
                              note=request.POST.get("flag_note", ""))
        except review.NotAllowed:
            raise PermissionDenied from None
        except review.ReviewError as exc:
            self.message_user(request, exc.message, messages.WARNING)
        else:
            self.message_user(request, "Flagged for checking: the claim rises in the queue.",
                              messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[pk]))

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
            "edit": _may(review.may_edit, obj, user),
            "flag": _may(may_flag, obj, user),
        }

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": []})]
        can = self._abilities(request, obj) if self.has_change_permission(request, obj) \
            else {}
        review_fields = ["review_state", "current_verdict", "evidence_list"]
        if obj.status == Claim.Status.PUBLISHED:
            review_fields.insert(1, "public_page")
        if can.get("draft"):
            review_fields.remove("current_verdict")
            review_fields += ["new_verdict", "new_rationale"]
        if obj.correction_proposed_at is not None:
            review_fields.insert(review_fields.index("current_verdict") + 1,
                                 "pending_correction")
        if can.get("draft"):
            review_fields += ["evidence_url", "evidence_note", "evidence_stance"]
            if obj.evidence.exists():
                review_fields.append("remove_evidence")
        if can.get("assign"):
            review_fields.append("assignee")
        # A correction is written behind its own heading, folded: the published verdict
        # stays what the page shows first (render_change_form leaves the fields empty).
        correction = ["new_verdict", "new_rationale", "note"] if can.get("correct") else []
        if can.get("note") and not correction:
            review_fields.append("note")
        if self.has_change_permission(request, obj):
            review_fields.append("version")
        across = ["supporting", "contradicting", "related_neutral", "previously_checked"]
        history = ["verdict_history", "trail"]
        review_fields, across, history = self._readable(
            request.user, obj, review_fields, across, history)
        if can.get("edit"):
            claim_fields = ["edit_statement", "in_context", "edit_claimant",
                            "new_claimant_name", "new_claimant_aliases", "new_claimant_kind",
                            "cue", "edit_kind", "edit_proposition", "edit_polarity", "signals"]
        else:
            claim_fields = ["statement", "in_context", "claimant", "cue", "kind",
                            "proposition_text", "polarity", "signals"]
        if obj.edited_at is not None:
            claim_fields.insert(claim_fields.index("signals"), "as_extracted")
        return [
            (None, {"fields": claim_fields}),
            ("Review", {"fields": review_fields}),
            *([("Propose a correction", {"classes": ["collapse"], "fields": correction,
                                         "description": "The published verdict stands until "
                                         "another editor approves the correction."})]
              if correction else []),
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
        # Built with the fields of this user's page (get_fieldsets); the form acts as the
        # user who posted it.
        return partial(super().get_form(request, obj, change=change, **kwargs),
                       user=request.user)

    def save_model(self, request, obj, form, change):
        # The form's service saved everything, under a row lock and a version check.
        self.message_user(request, form.outcome or "Saved.", messages.SUCCESS)

    def save_related(self, request, form, formsets, change):
        pass  # every inline is read-only

    def construct_change_message(self, request, form, formsets, add=False):
        return form.outcome

    def response_change(self, request, obj):
        return HttpResponseRedirect(request.path)

    def render_change_form(self, request, context, add=False, change=False, form_url="",
                           obj=None):
        if obj is not None:
            context["transitions"] = (review.available_transitions(obj, request.user)
                                      if self.has_change_permission(request, obj) else [])
            fields = context["adminform"].form.fields
            drafting = "new_verdict" in fields and obj.status == Claim.Status.IN_REVIEW
            context["can_save"] = drafting or any(name in fields for name in (
                "evidence_url", "remove_evidence", "edit_statement"))
            context["save_label"] = "Save draft" if drafting else "Save"
            form = context["adminform"].form
            if obj.status == Claim.Status.PUBLISHED and not form.is_bound:
                # A correction starts empty: pre-filled with the published verdict it read
                # as a draft of it.
                form.initial.update(new_verdict="", new_rationale="")
            user = request.user
            if obj.assigned_to_id not in (None, user.pk):
                context["take_over_from"] = obj.assigned_to
            context["four_eyes"] = four_eyes_waits(obj, user) \
                if self.has_change_permission(request, obj) else []
            context["may_flag"] = _may(may_flag, obj, user)
        return super().render_change_form(request, context, add, change, form_url, obj)

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
        return Truncator(obj.said).chars(120)

    @admin.display(description="Claimant", ordering="claimant__name")
    def claimant_name(self, obj):
        if obj.claimant is None:
            return "—"
        return format_html('<span title="{}">{}</span>', obj.claimant.role, obj.claimant.name)

    # "priority", not "-priority": Django reads a leading minus as "the other way round",
    # so the arrow would point up over the highest-first order.
    @admin.display(description="Priority", ordering="priority")
    def signals(self, obj):
        """Why the claim is where it is in the queue: its priority and the parts it adds up
        from."""
        return fragment("signals", claim=obj, parts=matching.priority_parts(obj),
                        formula=matching.PRIORITY_FORMULA)

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
        return fragment("verdict", verdict=obj.verdict, label=obj.get_verdict_display(),
                        proposed_by=obj.proposed_by, rationale=obj.rationale)

    @admin.display(description="Public page")
    def public_page(self, obj):
        """Where readers find the published fact-check."""
        url = reverse("claim-public", args=[obj.pk])
        return format_html('<a href="{}" target="_blank" rel="noopener">{}</a>', url, url)

    @admin.display(description="Correction awaiting approval")
    def pending_correction(self, obj):
        if obj.correction_proposed_at is None:
            return "—"
        return fragment("verdict", verdict=obj.correction_verdict,
                        label=obj.get_correction_verdict_display(),
                        proposed_by=obj.correction_proposed_by or "—",
                        proposed_at=obj.correction_proposed_at,
                        rationale=obj.correction_rationale,
                        correction_note=obj.correction_note, awaiting=True)

    @admin.display(description="In context")
    def in_context(self, obj):
        """The claim marked in its article, its cue in bold (the template escapes it all)."""
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
            pieces += [(text[position:start], ""), (text[start:end], tag)]
            position = end
        pieces.append((text[position:last], ""))
        return fragment("in_context", pieces=pieces, cut_before=first > 0,
                        cut_after=last < len(text))

    def _related(self, obj):
        """Claims of other articles linked either way: the best live link per claim, as
        (link, other claim), best first."""
        links = ClaimLink.objects.around([obj.pk]).select_related(
            "claim__article__source", "claim__claimant",
            "target_claim__article__source", "target_claim__claimant")
        return best_per_other((link, link.target_claim if link.claim_id == obj.pk
                               else link.claim) for link in links)

    def _link_items(self, pairs):
        return fragment("related", pairs=pairs)

    @admin.display(description="Supporting (other sources)")
    def supporting(self, obj):
        return self._link_items([(link, o) for link, o in self._related(obj)
                                 if link.relation == ClaimLink.Relation.SUPPORTS])

    @admin.display(description="Contradicting it")
    def contradicting(self, obj):
        return self._link_items([(link, o) for link, o in self._related(obj)
                                 if link.relation == ClaimLink.Relation.CONTRADICTS])

    @admin.display(description="Evidence")
    def evidence_list(self, obj):
        return fragment("evidence", rows=[(e, evidence_url_public(e.url))
                                          for e in obj.evidence.select_related("added_by")])

    @admin.display(description="Published verdicts")
    def verdict_history(self, obj):
        return fragment("verdicts",
                        versions=obj.verdicts.select_related("proposed_by", "published_by"))

    @admin.display(description="Review trail")
    def trail(self, obj):
        return fragment("trail", events=obj.events.select_related("actor")
                        .order_by("created_at", "id"))

    @admin.display(description="Related, no stance")
    def related_neutral(self, obj):
        return self._link_items([(link, o) for link, o in self._related(obj)
                                 if link.relation == ClaimLink.Relation.NEUTRAL])

    @admin.display(description="Previously fact-checked")
    def previously_checked(self, obj):
        return fragment("factchecks", links=obj.links.filter(factcheck__isnull=False).live()
                        .select_related("factcheck").order_by("-score"))

    @admin.display(description="As extracted")
    def as_extracted(self, obj):
        """What extraction made of the claim before the desk edited it."""
        original = obj.original or {}
        return fragment("as_extracted", original=original, claim=obj,
                        kind=dict(Claim.Kind.choices).get(original.get("kind"), "—"),
                        polarity=dict(Claim.Polarity.choices).get(original.get("polarity"), "—"))

    @admin.display(description="Words that decided the kind")
    def kind_cue_words(self, obj):
        return ", ".join(obj.kind_cues) or "—"
