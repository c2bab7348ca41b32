from django.urls import path

from . import apis

urlpatterns = [
    path("me/", apis.MeApi.as_view(), name="me"),
    path("auth/verify/send/", apis.VerifySendApi.as_view(), name="verify-send"),
    path("auth/verify/", apis.VerifyApi.as_view(), name="verify"),
]
