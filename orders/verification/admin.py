"""Admin of registered phones (K1): set or replace a user's phone (stored
encrypted, shown masked). Imported from ``orders.admin`` with one line."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from unfold.admin import ModelAdmin

from .models import UserPhone
from .services import VerificationError, user_phone_clean, user_phone_set


class UserPhoneForm(forms.ModelForm):
    phone = forms.CharField(label=_("Phone"), max_length=32, help_text=_("Stored encrypted; shown masked."))

    class Meta:
        model = UserPhone
        fields = ["user"]

    def clean_phone(self):
        try:
            return user_phone_clean(self.cleaned_data["phone"])
        except VerificationError as exc:
            raise forms.ValidationError(exc.detail) from exc


@admin.register(UserPhone)
class UserPhoneAdmin(ModelAdmin):
    form = UserPhoneForm
    list_display = ["user", "phone_masked", "updated_at"]
    search_fields = ["user__username"]
    list_select_related = ["user"]
    readonly_fields = ["phone_masked", "updated_at"]

    def save_model(self, request, obj, form, change):
        saved = user_phone_set(user=form.cleaned_data["user"], phone=form.cleaned_data["phone"], now=timezone.now())
        obj.pk = saved.pk
        obj.refresh_from_db()
