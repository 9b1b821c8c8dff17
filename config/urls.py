from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from claims import health
from claims.admin import inbox
from claims.public import claim_page, favicon

admin.site.site_header = "Claimtrack"
admin.site.site_title = "Claimtrack"
admin.site.index_title = "Claims desk"
# The claim list needs the width more than a second copy of the app menu.
admin.site.enable_nav_sidebar = False
# The index is each person's inbox, with the app list folded below it. Named, not overridden
# as admin/index.html: django.contrib.admin's own index.html is found first (app order).
admin.site.index_template = "admin/claims/index.html"

handler500 = "claims.api.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("api/v1/", include("claims.api.urls", namespace="api")),
    path("claims/<int:pk>/", claim_page, name="claim-public"),
    path("favicon.ico", favicon, name="favicon"),
    # The inbox answers at the admin index's own address (admin:index), ahead of the admin.
    path("admin/", admin.site.admin_view(inbox.inbox_view), name="desk-inbox"),
    path("admin/inbox/read/", admin.site.admin_view(inbox.inbox_read_all),
         name="desk-inbox-read"),
    path("admin/inbox/open/<int:pk>/", admin.site.admin_view(inbox.inbox_open),
         name="desk-inbox-open"),
    path("admin/", admin.site.urls),
    # Operations (docs/operations.md): probes and the Prometheus scrape.
    path("health/", health.health, name="health"),
    path("ready/", health.ready, name="ready"),
    path("metrics", health.metrics, name="metrics"),
]
