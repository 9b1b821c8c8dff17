"""``/api/v1/``: the router, the OpenAPI schema and its docs UI."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from claims.api import views, webhooks
from claims.api.errors import not_found_json

app_name = "api"

router = DefaultRouter()
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("claimreview", views.ClaimReviewFeedViewSet, basename="claimreview")
router.register("propositions", views.PropositionViewSet, basename="proposition")
router.register("factchecks", views.FactCheckViewSet, basename="factcheck")
router.register("articles", views.ArticleViewSet, basename="article")
webhooks.register(router)  # the consumers' webhook endpoints

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    re_path(r"^.*$", not_found_json),  # unknown API paths answer in the API's error shape
]
