from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("violations/", apis.ViolationListApi.as_view(), name="violation-list"),
    path("deposit/entries/", apis.DepositEntryListApi.as_view(), name="deposit-entry-list"),
    path("ratings/", apis.ShopRatingListApi.as_view(), name="rating-list"),
]
