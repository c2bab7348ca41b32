"""``POST /api/v1/auth/token/``: username + password → a token.

Tokens are django-rest-knox tokens: only a digest is stored, so a database
leak does not leak working tokens. Brute force is stopped twice: a DRF
scoped throttle per client, and django-axes lock-out per username + IP.
"""

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from .errors import DomainError


class TokenInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False, style={"input_type": "password"})


class AuthTokenApi(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        request=TokenInput,
        responses={
            200: inline_serializer("TokenOutput", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="invalid_credentials or invalid input"),
            429: OpenApiResponse(description="throttled or locked_out"),
        },
        auth=[],
        summary="Exchange username and password for an API token",
    )
    def post(self, request):
        data = TokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(request._request, **data.validated_data)
        if getattr(request._request, "axes_locked_out", False):
            raise DomainError("locked_out", "Too many failed logins; try again later.", status=429)
        if user is None or not user.is_active:
            raise DomainError("invalid_credentials", "Unable to log in with these credentials.", status=400)
        _instance, token = AuthToken.objects.create(user=user)
        return Response({"token": token}, status=status.HTTP_200_OK)


def lockout_response(request, original_response=None, credentials=None):
    """django-axes lock-out answer: the API's error shape under ``/api/``,
    a plain page in the admin."""
    from django.http import HttpResponse, JsonResponse

    retry_after = 15 * 60
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"code": "locked_out", "detail": "Too many failed logins; try again later."}, status=429
        )
    else:
        response = HttpResponse(
            "Too many failed logins for this account from your address; try again in 15 minutes.",
            status=429,
            content_type="text/plain; charset=utf-8",
        )
    response["Retry-After"] = str(retry_after)
    return response


class TokenOut(serializers.Serializer):
    token_key = serializers.CharField(help_text="The first characters of the token (never the secret).")
    created = serializers.DateTimeField()
    expiry = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField(help_text="The token of this request.")


def _own_tokens(request):
    from django.utils import timezone

    return AuthToken.objects.filter(user=request.user, expiry__gt=timezone.now()).order_by("-created")


def _token_row(token, request) -> dict:
    current = getattr(request, "auth", None)
    return {
        "token_key": token.token_key,
        "created": token.created,
        "expiry": token.expiry,
        "current": bool(current is not None and getattr(current, "pk", None) == token.pk),
    }


class TokenListApi(APIView):
    """The caller's own live tokens (prefix, created, expiry); never another user's."""

    @extend_schema(responses={200: TokenOut(many=True)}, summary="List my API tokens")
    def get(self, request):
        return Response([_token_row(t, request) for t in _own_tokens(request)])


class TokenRevokeApi(APIView):
    @extend_schema(
        request=None,
        responses={204: None, 404: OpenApiResponse(description="not_found (not one of my tokens)")},
        summary="Revoke one of my API tokens by its prefix",
    )
    def delete(self, request, token_key: str):
        deleted, _ = _own_tokens(request).filter(token_key=token_key).delete()
        if not deleted:
            raise DomainError("not_found", "Not found.", status=404)
        return Response(status=status.HTTP_204_NO_CONTENT)
