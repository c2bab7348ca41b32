"""Event push API (W1, API.md "Event push"). Thin: services decide."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import CursorPagination, IsMerchant

from ..selectors import shops_visible_to
from . import services
from .filters import WebhookDeliveryFilter
from .models import WebhookDelivery
from .selectors import deliveries_for, endpoints_for
from .serializers import (
    WebhookDeliverySerializer,
    WebhookEndpointInput,
    WebhookEndpointSerializer,
    WebhookEndpointWithSecretSerializer,
)

_ERROR = OpenApiResponse(description='{"code", "detail"}')


class WebhookListCreateApi(generics.ListAPIView):
    """My shops' endpoints; POST registers one (the secret is shown once)."""

    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return endpoints_for(self.request.user).order_by("-id")

    @extend_schema(
        request=WebhookEndpointInput,
        responses={
            201: WebhookEndpointWithSecretSerializer,
            400: OpenApiResponse(description="`invalid`, or `url_not_allowed` (loopback/private target)"),
            404: _ERROR,
        },
    )
    def post(self, request, *args, **kwargs):
        data = WebhookEndpointInput(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        shop = get_object_or_404(shops_visible_to(request.user), pk=v["shop"])
        endpoint, secret = services.webhook_endpoint_create(
            shop=shop, url=v["url"], events=v["events"], by=request.user, now=timezone.now()
        )
        body = WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(responses={200: WebhookEndpointSerializer, 404: _ERROR})
class WebhookDetailApi(generics.RetrieveDestroyAPIView):
    serializer_class = WebhookEndpointSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return endpoints_for(self.request.user)


class WebhookRotateSecretApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(request=None, responses={200: WebhookEndpointWithSecretSerializer, 404: _ERROR})
    def post(self, request, pk: int):
        endpoint = get_object_or_404(endpoints_for(request.user), pk=pk)
        secret = services.webhook_secret_rotate(endpoint=endpoint, now=timezone.now())
        return Response(WebhookEndpointWithSecretSerializer(endpoint, context={"secret": secret}).data)


class WebhookResumeApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(request=None, responses={200: WebhookEndpointSerializer, 404: _ERROR})
    def post(self, request, pk: int):
        endpoint = get_object_or_404(endpoints_for(request.user), pk=pk)
        endpoint = services.webhook_endpoint_resume(endpoint=endpoint, now=timezone.now())
        return Response(WebhookEndpointSerializer(endpoint).data)


class DeliveryPagination(CursorPagination):
    ordering = "-id"


@extend_schema(responses={200: WebhookDeliverySerializer(many=True), 400: _ERROR, 404: _ERROR})
class WebhookDeliveryListApi(generics.ListAPIView):
    """The endpoint's delivery log, newest first."""

    serializer_class = WebhookDeliverySerializer
    permission_classes = [IsMerchant]
    filterset_class = WebhookDeliveryFilter
    pagination_class = DeliveryPagination

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user, no path
            return WebhookDelivery.objects.none()
        return deliveries_for(self.request.user).filter(endpoint_id=self.kwargs["pk"])

    def list(self, request, *args, **kwargs):
        # Filters are checked first (a bad one is a 400 whatever the endpoint),
        # then the endpoint: another shop's is a 404 like a missing one.
        self.filter_queryset(self.get_queryset())
        get_object_or_404(endpoints_for(request.user), pk=self.kwargs["pk"])
        return super().list(request, *args, **kwargs)


class WebhookDeliveryRetryApi(APIView):
    permission_classes = [IsMerchant]

    @extend_schema(request=None, responses={202: WebhookDeliverySerializer, 404: _ERROR})
    def post(self, request, pk: int):
        delivery = get_object_or_404(deliveries_for(request.user), pk=pk)
        delivery = services.webhook_delivery_retry(delivery=delivery, now=timezone.now())
        delivery.refresh_from_db()
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)
