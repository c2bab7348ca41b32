"""URLconf for the admin export tests: built on first use, after the test has
registered an Order admin using ``BackgroundExportMixin`` (until the orders
app's own admin adopts it)."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("orders.exports.urls")),
]
