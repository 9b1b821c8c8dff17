from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "Claimtrack"
admin.site.site_title = "Claimtrack"
admin.site.index_title = "Claims desk"
# The claim list needs the width more than a second copy of the app menu.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("admin/", admin.site.urls),
]
