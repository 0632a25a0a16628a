"""The policy value charity_delivery_due_working_days (5 working days for the township to deliver a
need assigned to a charity project): the national default of relief's 0002 (whose list holds it),
for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("charity", "0001_charity"), ("relief", "0017_policy_rollcall_hours")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
