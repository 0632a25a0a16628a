"""The policy value funds_separation_of_duties (on): the national default of 0002 (whose list holds
it), for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0014_enrolment_policy_defaults")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
