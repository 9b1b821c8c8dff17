"""Propositions (members on each side, merge, split, rate) and claim links (confirm, reject)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from claims import propositions, review
from claims.admin.common import TrueSortAdmin, fragment
from claims.admin.conversation import proposition_urls
from claims.factchecks import verdict_words
from claims.forms import PropositionRatingForm
from claims.models import (
    Claim,
    ClaimLink,
    Proposition,
)


def _reshape(model_admin, request, done: str, decide) -> None:
    """Run an editor's merge or split and say what came of it."""
    try:
        proposition = decide()
    except propositions.DecisionError as exc:
        model_admin.message_user(request, str(exc), messages.ERROR)
        return
    model_admin.message_user(request, f"{done} “{Truncator(proposition.text).chars(80)}”.",
                             messages.SUCCESS)


@admin.register(Proposition)
class PropositionAdmin(TrueSortAdmin):
    list_display = ["proposition_text", "first_seen_at", "member_count", "contradiction_count",
                    "locked"]
    list_filter = ["locked"]
    search_fields = ["text"]
    actions = ["merge"]
    def get_ordering(self, request):
        # The stories carried by most claims first, then the newest (an annotation, so not
        # the ``ordering`` attribute, which the admin checks against model fields). The
        # arrow is on "Members" (TrueSortAdmin), not on "First seen" from Meta.ordering.
        return ["-member_count", "-first_seen_at"]
    readonly_fields = ["text", "first_seen_at", "locked", "merged_into", "rate_link",
                       "timeline"]
    fields = readonly_fields

    def get_urls(self):
        return [
            path("<int:object_id>/rate/", self.admin_site.admin_view(self.rate_view),
                 name="claims_proposition_rate"),
            *proposition_urls(self),  # comments
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
        return fragment("timeline", links=ClaimLink.objects.members_of(obj).in_time_order())

    def get_queryset(self, request):
        # Annotated before ordering (ModelAdmin.get_queryset orders first), since the default
        # ordering is by an annotation.
        live = Q(links__status__in=ClaimLink.LIVE)
        return Proposition.objects.filter(merged_into__isnull=True).annotate(
            member_count=Count("links", filter=live),
            contradiction_count=Count("links", filter=live & Q(links__relation=ClaimLink.Relation.CONTRADICTS)),
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
        _reshape(self, request, "Merged into",
                 lambda: propositions.propositions_merge(propositions=list(queryset),
                                                         user=request.user))


@admin.register(ClaimLink)
class ClaimLinkAdmin(TrueSortAdmin):
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
            words = verdict_words(obj.factcheck.verdict)
            verdict = f" [{words}]" if words else ""
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
            propositions.link_decide(link=link, user=request.user, status=status)
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
        _reshape(self, request, "New proposition",
                 lambda: propositions.proposition_split(links=list(queryset),
                                                        user=request.user))
