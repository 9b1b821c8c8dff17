"""The claim page's search of the fact-check library and the desk's attaching of an earlier
fact-check to the claim.

On the claim page ``library.js`` loads the results into the page and attaches with fetch(),
so the review form above keeps what was typed and not saved yet. Without JavaScript the
search box GETs the results page and its Attach buttons post there: both views serve both
ways (``X-Requested-With: fetch`` asks for the fragment or the JSON answer). The views
translate and call ``claims.factchecks``; the templates escape everything shown.
"""

from __future__ import annotations

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from claims import factchecks
from claims.models import Claim, ClaimLink, FactCheck
from claims.roles import REVIEW_READ


def library_urls(model_admin) -> list:
    """The claim page's library URLs, for ``ClaimAdmin.get_urls`` (before the admin's own:
    its catch-all would take ``<id>/library/``)."""
    wrap = model_admin.admin_site.admin_view
    return [
        path("<int:claim_id>/library/",
             wrap(require_GET(partial(library_search_view, model_admin))),
             name="claims_claim_library"),
        path("<int:claim_id>/library/attach/",
             wrap(require_POST(partial(library_attach_view, model_admin))),
             name="claims_claim_library_attach"),
    ]


def _by_fetch(request) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _claim(model_admin, request, claim_id: int) -> Claim:
    """The claim, if the user may read it and the library (what a review in progress shows)."""
    claim = get_object_or_404(Claim, pk=claim_id)
    if not (model_admin.has_view_permission(request, claim)
            and request.user.has_perm(REVIEW_READ["factchecks"])):
        raise PermissionDenied
    return claim


def library_search_view(model_admin, request, claim_id: int):
    """Earlier fact-checks matching ``q`` (the claim's statement when absent)."""
    claim = _claim(model_admin, request, claim_id)
    query = request.GET.get("q", claim.said)
    results, error = [], ""
    try:
        results = factchecks.factchecks_search(query=query)
    except factchecks.LibraryError as exc:
        error = exc.message
    attached = set(ClaimLink.objects.filter(
        claim=claim, factcheck__in=results, status=ClaimLink.Status.CONFIRMED)
        .values_list("factcheck_id", flat=True)) if results else set()
    context = {
        "claim": claim, "query": query, "results": results, "error": error,
        "attached": attached,
        "can_attach": request.user.has_perm(factchecks.ATTACH_PERMISSION),
    }
    if _by_fetch(request):
        return TemplateResponse(request, "admin/claims/fragments/library_results.html",
                                context, status=400 if error else 200)
    return TemplateResponse(request, "admin/claims/claim/library.html", {
        **model_admin.admin_site.each_context(request), **context,
        "opts": model_admin.model._meta, "original": claim,
        "title": "Search the fact-check library",
    }, status=400 if error else 200)


def library_attach_view(model_admin, request, claim_id: int):
    """Attach the posted ``factcheck`` to the claim; answer JSON with the claim page's
    refreshed "Previously fact-checked" list (fetch), or go back to the claim page."""
    claim = _claim(model_admin, request, claim_id)
    if not request.user.has_perm(factchecks.ATTACH_PERMISSION):
        raise PermissionDenied
    pk = request.POST.get("factcheck", "")
    factcheck = FactCheck.objects.filter(pk=int(pk)).first() if pk.isdigit() else None
    if factcheck is None:
        if _by_fetch(request):
            return JsonResponse({"error": "No such fact-check in the library."}, status=400)
        raise Http404("No such fact-check in the library.")
    try:
        _, changed = factchecks.factcheck_attach(claim=claim, factcheck=factcheck,
                                                 user=request.user)
    except factchecks.LibraryError as exc:
        if _by_fetch(request):
            return JsonResponse({"error": exc.message}, status=400)
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:claims_claim_change", args=[claim.pk]))
    message = ("Earlier fact-check attached: it is listed under “Previously fact-checked”."
               if changed else "That fact-check was attached to this claim already.")
    if _by_fetch(request):
        return JsonResponse({"message": message, "changed": changed,
                             "html": model_admin.previously_checked(claim)})
    messages.success(request, message)
    return HttpResponseRedirect(
        reverse("admin:claims_claim_change", args=[claim.pk]) + "#previously-checked")
