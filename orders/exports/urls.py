from django.urls import path

from . import apis

urlpatterns = [
    path("exports/", apis.ExportListCreateApi.as_view(), name="export-list"),
    path("exports/<int:pk>/", apis.ExportDetailApi.as_view(), name="export-detail"),
    path("exports/<int:pk>/download/", apis.ExportDownloadApi.as_view(), name="export-download"),
]
