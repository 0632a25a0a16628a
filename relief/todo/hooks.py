"""Tasks follow their records at once: after every workflow step (relief/workflow.py AFTER_STEP),
inside its transaction, the tasks of that record are brought in step."""

from __future__ import annotations

from django.db import models

from relief.workflow import AFTER_STEP, Step, Workflow


def follow_step(workflow: Workflow, step: Step, obj: models.Model) -> None:
    if workflow.name == "relief.task":
        return
    if workflow.name == "relief.alert":
        from relief.todo.services import tasks_follow_alerts

        tasks_follow_alerts([obj.pk])
        return
    from relief.todo.sources import sources_for_model, sync_subject

    if sources_for_model(type(obj)):
        sync_subject(obj)


def install() -> None:
    if follow_step not in AFTER_STEP:
        AFTER_STEP.append(follow_step)
