"""Batch and application logs take the one shape of every workflow log (relief.models.TransitionLog):
from_status/to_status become from_state/to_state (renamed in place: the rows stay), and batch rows gain
the step (`action`), filled in for the rows already written from the state each one reached."""

from django.db import migrations, models

# the step that led to each state of a batch (funds/workflows.py); creation is "generate"
BATCH_ACTION_FOR_STATE = {
    "generating": "generate",
    "draft": "fill",
    "reviewed": "review",
    "approved": "approve",
    "paid": "pay",
    "cancelled": "cancel",
    "failed": "failed",
}


def fill_batch_actions(apps, schema_editor):
    BatchTransition = apps.get_model("funds", "BatchTransition")
    for state, action in BATCH_ACTION_FOR_STATE.items():
        BatchTransition.objects.filter(to_state=state, action="").update(action=action)


class Migration(migrations.Migration):
    dependencies = [
        ("funds", "0004_stock_movement_recipient_index"),
    ]

    operations = [
        migrations.RenameField("batchtransition", "from_status", "from_state"),
        migrations.RenameField("batchtransition", "to_status", "to_state"),
        migrations.RenameField("applicationtransition", "from_status", "from_state"),
        migrations.RenameField("applicationtransition", "to_status", "to_state"),
        migrations.AddField(
            model_name="batchtransition",
            name="action",
            field=models.CharField(blank=True, max_length=32, verbose_name="动作"),
        ),
        migrations.RunPython(fill_batch_actions, migrations.RunPython.noop, elidable=True),
    ]
