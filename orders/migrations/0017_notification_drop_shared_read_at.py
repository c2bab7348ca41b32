# Notification read state per user (issue 13), second step: the shared
# ``read_at`` column, copied into ``NotificationRead`` by 0014, goes (its own
# migration, so the copy's pending foreign-key checks are committed first).

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0016_notification_read_per_user"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="notification",
            name="notification_unread",
        ),
        migrations.RemoveField(
            model_name="notification",
            name="read_at",
        ),
    ]
