"""K1 in the admin: the export download asks for the SMS code on a small page
(send a code, type it in), through the same services as the API; the
verification is for this browser session only."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .logins import login_key


class CodeForm(forms.Form):
    code = forms.RegexField(
        label=gettext_lazy("Verification code"), regex=r"^\s*\d{4,8}\s*$", max_length=16, required=True
    )


def is_verified(request) -> bool:
    return services.verification_until(login_key=login_key(request), user=request.user, now=timezone.now()) is not None


def verify_view(request, *, admin_site, next_url: str, title: str = ""):
    """GET: the page; POST ``send``: text a code; POST ``code``: check it and
    go on to ``next_url``."""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/admin/"
    form = CodeForm()
    sent_to = services.user_phone_masked(request.user)
    if request.method == "POST":
        now = timezone.now()
        try:
            if "send" in request.POST:
                sent = services.phone_verification_send(user=request.user, now=now)
                messages.info(request, _("A code was sent to %(phone)s.") % {"phone": sent.sent_to})
            else:
                form = CodeForm(request.POST)
                if form.is_valid():
                    services.phone_verification_check(
                        user=request.user, code=form.cleaned_data["code"], login_key=login_key(request), now=now
                    )
                    return redirect(next_url)
        except services.VerificationError as exc:
            messages.error(request, exc.detail)
    return TemplateResponse(
        request,
        "admin/orders/verify_phone.html",
        {
            **admin_site.each_context(request),
            "title": title or _("Phone verification"),
            "form": form,
            "sent_to": sent_to,
            "next": next_url,
        },
    )
