from django.urls import path

from . import apis

urlpatterns = [
    path("shops/", apis.ShopListApi.as_view(), name="shop-list"),
]
