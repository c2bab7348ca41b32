"""``/api/v1/me/`` and the K1 verification endpoints (API.md, "Verification")."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from ..selectors import shops_visible_to
from . import services
from .logins import login_key


class MeShopSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    phone = serializers.CharField(
        allow_null=True, help_text="The registered phone, masked (138****5678); null if none."
    )
    roles = serializers.ListField(
        child=serializers.CharField(), help_text="Staff groups, and `merchant` for a shop member."
    )
    shops = MeShopSerializer(many=True)


class VerifyInput(serializers.Serializer):
    code = serializers.RegexField(r"^\s*\d{4,8}\s*$", max_length=16, help_text="The 6-digit code from the SMS.")


class MeApi(APIView):
    """Who I am: username, my registered phone (masked), roles and shops."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: MeSerializer}, summary="The signed-in user")
    def get(self, request):
        user = request.user
        shops = list(
            shops_visible_to(user)
            .values("id", "name", "memberships__role")
            .filter(memberships__user=user)
            .order_by("id")
        )
        roles = sorted(user.groups.values_list("name", flat=True))
        if shops:
            roles.append("merchant")
        data = {
            "username": user.get_username(),
            "phone": services.user_phone_masked(user),
            "roles": roles,
            "shops": [{"id": s["id"], "name": s["name"], "role": s["memberships__role"]} for s in shops],
        }
        return Response(MeSerializer(data).data)


class VerifySendApi(APIView):
    """K1: text a 6-digit code to my registered phone (one a minute)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=inline_serializer("VerifySendInput", {}),
        responses={
            202: inline_serializer(
                "VerifySent",
                {"sent_to": serializers.CharField(help_text="masked"), "expires_at": serializers.DateTimeField()},
            ),
            409: OpenApiResponse(description="`no_phone`: no phone registered for this account"),
            429: OpenApiResponse(
                description="`verification_rate_limited`: a code was sent less than a minute ago "
                "(`retry_after` seconds, header Retry-After)"
            ),
            503: OpenApiResponse(description="`sms_failed`: the SMS provider refused the message"),
        },
        summary="Send a verification code by SMS (K1)",
    )
    def post(self, request):
        request.data  # noqa: B018  the body is parsed (and a hostile one refused) even though it carries nothing
        sent = services.phone_verification_send(user=request.user, now=timezone.now())
        return Response(
            {"sent_to": sent.sent_to, "expires_at": serializers.DateTimeField().to_representation(sent.expires_at)},
            status=status.HTTP_202_ACCEPTED,
        )


class VerifyApi(APIView):
    """K1: the code marks this login (this token, or this session) verified for 10 minutes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=VerifyInput,
        responses={
            200: inline_serializer("Verified", {"verified_until": serializers.DateTimeField()}),
            400: OpenApiResponse(
                description="`verification_code_invalid` (with `tries_left`), or `invalid` input",
                examples=[
                    OpenApiExample(
                        "wrong code",
                        {
                            "code": "verification_code_invalid",
                            "detail": "The code is not correct (4 tries left).",
                            "tries_left": 4,
                        },
                    )
                ],
            ),
            409: OpenApiResponse(
                description="`verification_code_expired`: no live code (expired after 5 minutes, used, "
                "or voided by 5 wrong tries)"
            ),
        },
        summary="Verify the SMS code for this login (K1)",
    )
    def post(self, request):
        data = VerifyInput(data=request.data)
        data.is_valid(raise_exception=True)
        until = services.phone_verification_check(
            user=request.user, code=data.validated_data["code"], login_key=login_key(request), now=timezone.now()
        )
        return Response({"verified_until": serializers.DateTimeField().to_representation(until)})
