"""The public page of a published claim: what the ClaimReview ``url`` points at."""

from __future__ import annotations

import json

from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from claims.models import Claim
from claims.publishing import claim_review, evidence_for_readers

# Inside <script>, only these could end the element or open markup: escaped as JSON \u
# sequences, the data cannot break out whatever the claim's text holds.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003C", ">": "\\u003E", "&": "\\u0026"})


def jsonld(data: dict) -> str:
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(_SCRIPT_SAFE))  # noqa: S308


@require_safe
def claim_page(request, pk: int):
    claim = get_object_or_404(
        Claim.objects.select_related("claimant", "article__source")
        .prefetch_related("evidence", "verdicts"),
        pk=pk, status=Claim.Status.PUBLISHED)
    return render(request, "claims/claim_public.html", {
        "claim": claim, "review": (review := claim_review(claim, request=request)),
        "review_jsonld": jsonld(review),
        "versions": claim.verdicts.all(),
        "sources": evidence_for_readers(claim.evidence.all()),
    })


@require_safe
def favicon(request):
    """``/favicon.ico``, which browsers ask for on every page the admin serves without a
    ``<link rel=icon>``: the static file, under its (hashed, long-cached) static name."""
    return redirect(static("claims/favicon.ico"))
