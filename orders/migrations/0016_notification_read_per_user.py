# Notification read state per user (issue 13): a ``NotificationRead`` row per
# member who read it. A notification read before this migration was hidden
# from every member of its shop; it stays read for each member it was hidden
# from (one INSERT … SELECT), then the shared ``read_at`` column goes.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


BACKFILL = """
INSERT INTO orders_notificationread (notification_id, user_id, read_at)
SELECT n.id, m.user_id, n.read_at
  FROM orders_notification n
  JOIN orders_shopmembership m ON m.shop_id = n.shop_id
 WHERE n.read_at IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0015_merge_0014_contact_reveal_0014_sync_updated_at"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="NotificationRead",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("read_at", models.DateTimeField(verbose_name="read at")),
            ],
            options={
                "verbose_name": "notification read",
                "verbose_name_plural": "notification reads",
            },
        ),
        migrations.AddField(
            model_name="notificationread",
            name="notification",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="reads", to="orders.notification"
            ),
        ),
        migrations.AddField(
            model_name="notificationread",
            name="user",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE, related_name="+", to=settings.AUTH_USER_MODEL
            ),
        ),
        migrations.AddConstraint(
            model_name="notificationread",
            constraint=models.UniqueConstraint(fields=("notification", "user"), name="notification_read_once_per_user"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
