"""The policy values the tasks read (need_due_working_days, child_alone_due_hours): the same
national defaults as 0002 (whose list holds them), for databases migrated before they existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0010_tasks")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
