"""The policy value volunteer_review_working_days (3 working days for the township, or the county for
county-level work, to review an assignment recorded as done): the national default of relief's 0002
(whose list holds it), for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0001_volunteers")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
