"""The platform's staff roles as groups, and the helper each app's data
migration uses to grant its own permissions (so ``orders`` never needs to
know the models of ``tickets`` or ``penalties``)."""

from __future__ import annotations

REVIEWER = "platform_reviewer"
SUPPORT = "support_staff"
INTAKE = "order_intake"
ALL_GROUPS = (REVIEWER, SUPPORT, INTAKE)


def ensure_permissions(apps, app_label: str) -> None:
    """Create the permissions of ``app_label`` now (Django makes them only
    after all migrations ran, too late for a data migration)."""
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config(app_label)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None


def grant(apps, app_label: str, table: dict[str, list[str]]) -> None:
    """``table``: group name → codenames of ``app_label`` to grant."""
    ensure_permissions(apps, app_label)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codenames in table.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        perms = Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"unknown permissions for {app_label}: {sorted(missing)}")
        group.permissions.add(*perms)
