from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from .auth import AuthTokenApi

api_v1 = [
    path("auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("", include("orders.urls")),
    path("", include("tickets.urls")),
    path("", include("penalties.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]


def not_found(request, exception):
    """An unmatched /api/ path answers in the API's error shape (JSON), not
    with the HTML page (e.g. ``/api/v1/after-sales/abc/approve/``)."""
    if request.path.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found
