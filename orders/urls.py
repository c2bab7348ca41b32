from django.urls import include, path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("shops/", apis.ShopListApi.as_view(), name="shop-list"),
    path("products/", apis.ProductListApi.as_view(), name="product-list"),
    path("orders/", apis.OrderListApi.as_view(), name="order-list"),
    path("orders/<code:order_no>/", apis.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<code:order_no>/ship/", apis.OrderShipApi.as_view(), name="order-ship"),
    path(
        "orders/<code:order_no>/correct-tracking/",
        apis.OrderCorrectTrackingApi.as_view(),
        name="order-correct-tracking",
    ),
    path("orders/<code:order_no>/cancel/", apis.OrderCancelApi.as_view(), name="order-cancel"),
    path("after-sales/", apis.AfterSaleListApi.as_view(), name="after-sale-list"),
    path("after-sales/<id:pk>/approve/", apis.AfterSaleApproveApi.as_view(), name="after-sale-approve"),
    path("after-sales/<id:pk>/reject/", apis.AfterSaleRejectApi.as_view(), name="after-sale-reject"),
    path("notifications/", apis.NotificationListApi.as_view(), name="notification-list"),
    path("notifications/<id:pk>/read/", apis.NotificationReadApi.as_view(), name="notification-read"),
    path("cancellations/", apis.CancellationListApi.as_view(), name="cancellation-list"),
    path("cancellations/<id:pk>/approve/", apis.CancellationApproveApi.as_view(), name="cancellation-approve"),
    path("cancellations/<id:pk>/reject/", apis.CancellationRejectApi.as_view(), name="cancellation-reject"),
    path("intake/orders/", apis.IntakeOrderCreateApi.as_view(), name="intake-order-create"),
    path("intake/orders/<code:order_no>/pay/", apis.IntakeOrderPayApi.as_view(), name="intake-order-pay"),
    path(
        "intake/orders/<code:order_no>/tracking/", apis.IntakeOrderTrackingApi.as_view(), name="intake-order-tracking"
    ),
    path(
        "intake/orders/<code:order_no>/delivered/",
        apis.IntakeOrderDeliveredApi.as_view(),
        name="intake-order-delivered",
    ),
    path("intake/after-sales/", apis.IntakeAfterSaleCreateApi.as_view(), name="intake-after-sale-create"),
    path("", include("orders.exports.urls")),
    path("", include("orders.verification.urls")),
    path("", include("orders.webhooks.urls")),
]
