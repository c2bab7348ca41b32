"""The libraries' own admin pages (users, groups, tokens, schedules, lockouts,
second-factor devices) in the admin theme: each is re-registered with its own
ModelAdmin combined with django-unfold's, so every page of the site has one
look (README "Admin theme"). ``config`` is listed after those apps, so their
registrations are in place when this module is imported."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group, User
from unfold.admin import ModelAdmin
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm


def _rethemed(model) -> None:
    current = admin.site._registry.get(model)
    if current is None or isinstance(current, ModelAdmin):
        return
    base = type(current)
    attrs = {"__module__": __name__}
    if model is User:
        attrs.update(form=UserChangeForm, add_form=UserCreationForm, change_password_form=AdminPasswordChangeForm)
    themed = type(base.__name__, (base, ModelAdmin), attrs)
    admin.site.unregister(model)
    admin.site.register(model, themed)


for _model in [User, Group, *list(admin.site._registry)]:
    _rethemed(_model)
