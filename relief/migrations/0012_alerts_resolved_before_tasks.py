"""Alerts resolved before `cause_open` existed: their condition is taken as gone, so the first sweep
after the upgrade raises a fresh alert (with a fresh clock) instead of reopening an old one with the
due time it had months ago. Their tasks are made by the nightly tasks-deadlines job."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("relief", "0011_task_policy_defaults")]
    operations = [
        migrations.RunSQL(
            "UPDATE relief_alert SET cause_open = false WHERE status = 'resolved'",
            migrations.RunSQL.noop,
        )
    ]
