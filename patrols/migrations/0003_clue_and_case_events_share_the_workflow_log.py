"""ClueEvent and StationCaseEvent take the one shape of every workflow log (relief.models.TransitionLog):
from_status/to_status are renamed from_state/to_state (the rows are kept), a clue event names its
step (`action`, filled in for the rows already there from the status they moved to), and `at`
defaults to now."""

import django.utils.timezone
from django.db import migrations, models

# The step that moved a clue into each status (a clue reaches each status by one step only).
CLUE_ACTION_BY_STATE = {"new": "report", "dispatched": "dispatch", "responded": "respond", "closed": "close"}


def name_clue_steps(apps, schema_editor):
    ClueEvent = apps.get_model("patrols", "ClueEvent")
    for state, action in CLUE_ACTION_BY_STATE.items():
        ClueEvent.objects.filter(action="", to_state=state).update(action=action)


class Migration(migrations.Migration):
    dependencies = [
        ("patrols", "0002_patrol_frequency_defaults"),
    ]

    operations = [
        migrations.RenameField(model_name="clueevent", old_name="from_status", new_name="from_state"),
        migrations.RenameField(model_name="clueevent", old_name="to_status", new_name="to_state"),
        migrations.RenameField(model_name="stationcaseevent", old_name="from_status", new_name="from_state"),
        migrations.RenameField(model_name="stationcaseevent", old_name="to_status", new_name="to_state"),
        migrations.AddField(
            model_name="clueevent",
            name="action",
            field=models.CharField(
                blank=True,
                choices=[("report", "登记线索"), ("dispatch", "派发"), ("respond", "登记到场"), ("close", "办结")],
                default="",
                max_length=32,
                verbose_name="动作",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(name_clue_steps, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="clueevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="stationcaseevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="stationcaseevent",
            name="action",
            field=models.CharField(
                choices=[
                    ("intake", "接收登记"),
                    ("admit", "入站救助"),
                    ("hospitalize", "送医"),
                    ("long_term", "转长期滞留照料"),
                    ("identify", "身份查明"),
                    ("search_notice", "发布寻亲公告"),
                    ("dna_sample", "采集DNA样本"),
                    ("records_update", "一个月档案更新"),
                    ("settlement", "启动落户安置"),
                    ("exit", "离站"),
                    ("settle", "落户安置"),
                ],
                max_length=32,
                verbose_name="动作",
            ),
        ),
        migrations.AlterModelOptions(
            name="clueevent",
            options={"ordering": ["at", "id"], "verbose_name": "线索办理记录", "verbose_name_plural": "线索办理记录"},
        ),
        migrations.AlterModelOptions(
            name="stationcaseevent",
            options={"ordering": ["at", "id"], "verbose_name": "个案办理记录", "verbose_name_plural": "个案办理记录"},
        ),
    ]
