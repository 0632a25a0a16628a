"""AlertEvent takes the one shape of workflow logs (relief.models.TransitionLog): `note` becomes
`comment` (renamed, the text kept), and each event gains the state before and after it, filled in for
the existing events by replaying each alert's history in order."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

STATE_CHOICES = [("open", "待处理"), ("acknowledged", "已签收"), ("resolved", "已解除")]

# The state each action leads to (escalated: none, the state stays); an event's state after it is the
# latest such state up to it, and its state before is the previous event's state after.
BACKFILL = """
WITH ev AS (
    SELECT id, alert_id, at,
           CASE action WHEN 'raised' THEN 'open' WHEN 'acknowledged' THEN 'acknowledged'
                       WHEN 'resolved' THEN 'resolved' WHEN 'auto_resolved' THEN 'resolved' END AS moved_to
    FROM relief_alertevent
),
grouped AS (
    SELECT *, count(moved_to) OVER (PARTITION BY alert_id ORDER BY at, id) AS g FROM ev
),
after AS (
    SELECT id, alert_id, at,
           first_value(moved_to) OVER (PARTITION BY alert_id, g ORDER BY at, id) AS state_after
    FROM grouped
),
states AS (
    SELECT id, state_after,
           lag(state_after) OVER (PARTITION BY alert_id ORDER BY at, id) AS state_before
    FROM after
)
UPDATE relief_alertevent e
SET to_state = coalesce(states.state_after, ''), from_state = coalesce(states.state_before, '')
FROM states WHERE states.id = e.id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("relief", "0006_personal_data_reveal"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="alertevent",
            options={"ordering": ["at", "id"], "verbose_name": "预警处理记录", "verbose_name_plural": "预警处理记录"},
        ),
        migrations.RenameField(model_name="alertevent", old_name="note", new_name="comment"),
        migrations.AddField(
            model_name="alertevent",
            name="from_state",
            field=models.CharField(blank=True, choices=STATE_CHOICES, max_length=24, verbose_name="原状态"),
        ),
        migrations.AddField(
            model_name="alertevent",
            name="to_state",
            field=models.CharField(blank=True, choices=STATE_CHOICES, max_length=24, verbose_name="新状态"),
        ),
        migrations.AlterField(
            model_name="alertevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.AlterField(
            model_name="alertevent",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=True),
    ]
