"""The policy value charity_match_working_days (5 working days for the county coordinator to match an
open need to a charity project, or close it with a reason): the national default of relief's 0002
(whose list holds it), for databases migrated before it existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("charity", "0002_policy_charity_delivery")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
