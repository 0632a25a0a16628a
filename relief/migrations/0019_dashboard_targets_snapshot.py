"""The dashboard's weekly snapshot of its target figures (FigureSnapshot), and the targets' national
defaults (target_*: the list of 0002) for databases migrated before they existed."""

from importlib import import_module

from django.db import migrations, models

defaults = import_module("relief.migrations.0002_policy_defaults")


class Migration(migrations.Migration):
    dependencies = [
        ("relief", "0018_policy_supervision"),
    ]

    operations = [
        migrations.CreateModel(
            name="FigureSnapshot",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("region_code", models.CharField(blank=True, max_length=12, verbose_name="区划代码")),
                ("week", models.DateField(verbose_name="周（周一）")),
                ("key", models.CharField(max_length=64, verbose_name="指标")),
                (
                    "value",
                    models.DecimalField(decimal_places=4, max_digits=18, null=True, verbose_name="数值"),
                ),
                ("computed_at", models.DateTimeField(verbose_name="计算时间")),
            ],
            options={
                "verbose_name": "看板指标周快照",
                "verbose_name_plural": "看板指标周快照",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("region_code", "week", "key"), name="figuresnapshot_one_value"
                    )
                ],
            },
        ),
        migrations.RunPython(defaults.load, migrations.RunPython.noop),
    ]
