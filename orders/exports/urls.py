from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("exports/", apis.ExportListCreateApi.as_view(), name="export-list"),
    path("exports/<id:pk>/", apis.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<id:pk>/download/", apis.ExportDownloadApi.as_view(), name="export-download"),
]
