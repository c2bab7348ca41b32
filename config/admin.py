"""The libraries' own admin pages (users, groups, tokens, schedules, lockouts,
second-factor devices) in the admin theme: each is re-registered with its own
ModelAdmin combined with django-unfold's, so every page of the site has one
look (README "Admin theme"). ``config`` is listed after those apps, so their
registrations are in place when this module is imported."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.models import Group, User
from unfold.admin import ModelAdmin
from unfold.fields import UnfoldAdminReadonlyField
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from .admin_site import user_may_open


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


# Only links the user can open: a read-only foreign key (who decided, which
# user) links to the related admin page only for someone who may view it
# (reviewers and support cannot open user pages); otherwise it is plain text.
_linked_admin_url = UnfoldAdminReadonlyField.get_admin_url


def _openable_admin_url(self, remote_field, remote_obj):
    if not user_may_open(remote_field.model, remote_obj):
        return str(remote_obj)
    return _linked_admin_url(self, remote_field, remote_obj)


UnfoldAdminReadonlyField.get_admin_url = _openable_admin_url
