from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

api_v1 = [
    path("", include("accounts.urls")),
    path("", include("preferences.api_urls")),
    path("", include("links.api_urls")),
    path("", include("messaging.api_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("preferences.urls")),
    path("", include("links.urls")),  # /l/<slug>, its QR codes, /p/<slug>
    path("", include("messaging.urls")),
]

admin.site.site_header = "Engagement Hub"
admin.site.site_title = "Engagement Hub"
admin.site.index_title = "Customers, messages and campaigns"
