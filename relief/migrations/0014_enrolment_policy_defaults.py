"""The policy values of enrolment (enrol_*, appeal_*, complaint_*, tekun_*): the national defaults of
0002 (whose list holds them), for databases migrated before they existed."""

from importlib import import_module

from django.db import migrations

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [("relief", "0013_region_retired_and_former_names")]
    operations = [migrations.RunPython(defaults.load, migrations.RunPython.noop)]
