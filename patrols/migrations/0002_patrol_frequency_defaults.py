"""Default patrol frequency per cold-wave level (../shared/DOMAIN.md: more night patrols, at least two
a day in blizzards). Administrators change them in the admin."""

from django.db import migrations

DEFAULTS = [
    # level, shifts per day, night shift required, note
    (1, 1, False, "蓝色预警：每日至少巡查1次"),
    (2, 1, True, "黄色预警：每日至少1次，须含夜间巡查"),
    (3, 1, True, "橙色预警：每晚巡查重点区域"),
    (4, 2, True, "红色预警：每日至少巡查2次，须含夜间巡查"),
]


def load(apps, schema_editor):
    Rule = apps.get_model("patrols", "PatrolFrequencyRule")
    for level, shifts, night, note in DEFAULTS:
        Rule.objects.get_or_create(
            level=level, defaults={"min_shifts_per_day": shifts, "night_shift_required": night, "note": note}
        )


def unload(apps, schema_editor):
    apps.get_model("patrols", "PatrolFrequencyRule").objects.filter(level__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("patrols", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
