"""The policy value rollcall_hours_level_1..4 (寒潮点名: hours to reach every high-risk person, per level):
the national default of 0002 (whose list holds it), for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0016_policy_recovery_due")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
