from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from escalation import views as escalation_views

api_v1 = [
    path("", include("core.urls")),
    path("", include("cases.urls")),
    path("", include("triage.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-v1:schema"), name="docs"),
]

urlpatterns = [
    path("admin/status/", escalation_views.system_status, name="system-status"),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api-v1"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", escalation_views.healthz, name="healthz"),
    path("readyz", escalation_views.readyz, name="readyz"),
    path("", include("cases.store_urls")),
]
# Attachments are never served from a public media URL: the store pages' download view checks
# that the viewer may see the case first (the admin links to it too).

handler400 = "core.api.api_bad_request"
handler404 = "core.api.api_not_found"
