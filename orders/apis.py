"""Merchant-facing order endpoints. Views are thin: selectors read, services write."""

from rest_framework import generics

from config.api import IsMerchant

from .selectors import shops_visible_to
from .serializers import ShopSerializer


class ShopListApi(generics.ListAPIView):
    """My shops: the shops the caller is a member of."""

    serializer_class = ShopSerializer
    permission_classes = [IsMerchant]
    filter_backends: list = []

    def get_queryset(self):
        return shops_visible_to(self.request.user).order_by("-id")
