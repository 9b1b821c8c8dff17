"""The product's URLs plus the benchmark's baseline: a plain Django view that answers the same
50 published claims as `/api/v1/claims/?kind=…&verdict=…&page_size=50`, with their basic fields,
as JSON — no DRF, no nested data, no ETag. Served only by `bench/api.py` (bench.api_settings)."""

from django.http import JsonResponse
from django.urls import include, path


def plain_claims(request):
    from claims.models import Claim

    # The API's WHERE (claims.api.views: visible, published_first, the filters): the same rows
    # found the same way, so that the comparison measures what the API adds, not the query.
    rows = (Claim.objects.filter(status=Claim.Status.PUBLISHED, published_at__isnull=False,
                                 kind__in=request.GET.getlist("kind"),
                                 verdict__in=request.GET.getlist("verdict"))
            .order_by("-published_at", "-id")
            .values("id", "text", "kind", "verdict", "rationale", "published_at",
                    "updated_at", "claimant__name", "article__title",
                    "article__source__name")[:int(request.GET.get("page_size", 50))])
    return JsonResponse({"results": list(rows)})


urlpatterns = [
    path("bench/plain/claims/", plain_claims),
    path("", include("config.urls")),
]
