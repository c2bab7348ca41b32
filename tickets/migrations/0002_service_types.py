"""T1: the service types support staff choose from (editable in the admin)."""

from django.db import migrations

TYPES = [
    # code, name, allows_agreed_close, evidence_required
    ("urge_shipment", "催发货", False, False),
    ("change_address", "改地址", True, False),
    ("logistics_query", "物流查询", False, False),
    ("refund_query", "退款咨询", True, False),
    ("product_complaint", "商品投诉", True, True),
    ("other", "其他", True, False),
]


def forwards(apps, schema_editor):
    from django.conf import settings

    ServiceType = apps.get_model("tickets", "ServiceType")
    for code, name, agreed, evidence in TYPES:
        ServiceType.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "sla_hours": settings.PLATFORM["TICKET_DEFAULT_SLA_HOURS"],
                "allows_agreed_close": agreed,
                "evidence_required": evidence,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
