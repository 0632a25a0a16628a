"""The policy values supervision_rectify_working_days (10: a region visited by a 督查 answers each
finding within 10 working days) and supervision_review_working_days (5: the supervisor accepts or
sends back the answer): the national defaults of 0002 (whose list holds them), for databases migrated
before they existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0017_policy_rollcall_hours")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
