"""The policy value recovery_due_working_days (20 working days to bring back money paid wrongly):
the national default of 0002 (whose list holds it), for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0015_policy_separation_of_duties")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
