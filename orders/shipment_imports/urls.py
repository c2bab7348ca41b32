from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("shipment-imports/", apis.ShipmentImportListCreateApi.as_view(), name="shipment-import-list"),
    path("shipment-imports/<id:pk>/", apis.ShipmentImportDetailApi.as_view(), name="shipment-import-detail"),
    path("shipment-imports/<id:pk>/rows/", apis.ShipmentImportRowsApi.as_view(), name="shipment-import-rows"),
    path("shipment-imports/<id:pk>/result/", apis.ShipmentImportResultApi.as_view(), name="shipment-import-result"),
]
