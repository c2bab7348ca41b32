from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("violations/", apis.ViolationListApi.as_view(), name="violation-list"),
    path("deposit/entries/", apis.DepositEntryListApi.as_view(), name="deposit-entry-list"),
    path("ratings/", apis.ShopRatingListApi.as_view(), name="rating-list"),
    path("violations/<id:pk>/appeal/", apis.ViolationAppealApi.as_view(), name="violation-appeal"),
    path("appeals/", apis.AppealListApi.as_view(), name="appeal-list"),
    path("appeals/<id:pk>/", apis.AppealDetailApi.as_view(), name="appeal-detail"),
    path("appeals/<id:pk>/approve/", apis.AppealApproveApi.as_view(), name="appeal-approve"),
    path("appeals/<id:pk>/reject/", apis.AppealRejectApi.as_view(), name="appeal-reject"),
    path("appeals/<id:pk>/evidence/<id:evidence_id>/", apis.AppealEvidenceApi.as_view(), name="appeal-evidence"),
]
