from django.urls import path

import config.converters  # noqa: F401  (registers the id and code converters)

from . import apis

urlpatterns = [
    path("webhooks/", apis.WebhookListCreateApi.as_view(), name="webhook-list"),
    path("webhooks/<id:pk>/", apis.WebhookDetailApi.as_view(), name="webhook-detail"),
    path("webhooks/<id:pk>/rotate-secret/", apis.WebhookRotateSecretApi.as_view(), name="webhook-rotate-secret"),
    path("webhooks/<id:pk>/resume/", apis.WebhookResumeApi.as_view(), name="webhook-resume"),
    path("webhooks/<id:pk>/deliveries/", apis.WebhookDeliveryListApi.as_view(), name="webhook-deliveries"),
    path("webhooks/deliveries/<id:pk>/retry/", apis.WebhookDeliveryRetryApi.as_view(), name="webhook-delivery-retry"),
]
