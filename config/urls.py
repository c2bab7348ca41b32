from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView

from . import converters  # noqa: F401  (the id and code path converters, before any route)
from .auth import AuthTokenApi, TokenListApi, TokenRevokeApi
from .schema import english_schema_view

api_v1 = [
    path("auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("auth/tokens/", TokenListApi.as_view(), name="auth-token-list"),
    path("auth/tokens/<code:token_key>/", TokenRevokeApi.as_view(), name="auth-token-revoke"),
    path("", include("orders.urls")),
    path("", include("tickets.urls")),
    path("", include("penalties.urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", english_schema_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]


handler400 = "config.handlers.bad_request"
handler403 = "config.handlers.permission_denied"
handler404 = "config.handlers.page_not_found"
handler500 = "config.handlers.server_error"
