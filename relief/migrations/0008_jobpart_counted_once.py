"""The parts of a job split into tasks (a sweep's (kind, county) pairs): each counted once, and the
job is not taken for lost while a part is still on its way."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("relief", "0007_alertevent_transition_log_shape"),
    ]

    operations = [
        migrations.CreateModel(
            name="JobPart",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.CharField(max_length=100, verbose_name="部分")),
                (
                    "queued_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="排队时间"),
                ),
                ("started_at", models.DateTimeField(blank=True, null=True, verbose_name="开始时间")),
                ("heartbeat_at", models.DateTimeField(blank=True, null=True, verbose_name="最近心跳")),
                ("done_at", models.DateTimeField(blank=True, null=True, verbose_name="完成时间")),
                ("result", models.JSONField(blank=True, default=dict, verbose_name="结果")),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="parts",
                        to="relief.job",
                        verbose_name="任务",
                    ),
                ),
            ],
            options={
                "verbose_name": "后台任务分片",
                "verbose_name_plural": "后台任务分片",
                "indexes": [
                    models.Index(
                        condition=models.Q(("done_at__isnull", True)),
                        fields=["job", "queued_at"],
                        name="jobpart_outstanding",
                    )
                ],
                "constraints": [models.UniqueConstraint(fields=("job", "key"), name="jobpart_once_per_job")],
            },
        ),
    ]
