from django.urls import include, path

from . import apis

urlpatterns = [
    path("shops/", apis.ShopListApi.as_view(), name="shop-list"),
    path("", include("orders.exports.urls")),
]
