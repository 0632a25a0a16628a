"""Tasks follow their records at once: after every workflow step (relief/workflow.py AFTER_STEP),
inside its transaction, the tasks of that record are brought in step: an alert's task follows the
alert; a record with declared deadlines (relief/todo/deadlines.py) gets the task of its new state."""

from __future__ import annotations

from django.db import models

from relief.workflow import AFTER_STEP, Step, Workflow


def follow_step(workflow: Workflow, step: Step, obj: models.Model) -> None:
    if workflow.name == "relief.task":
        return
    if workflow.name == "relief.alert":
        from relief.alerts.sweeps import tasks_follow_alerts

        tasks_follow_alerts([obj.pk])
        return
    from relief.todo.deadlines import deadlines_for, follow

    if deadlines_for(type(obj)):
        follow(obj)


def follow_created(sender, instance: models.Model, created: bool, raw: bool = False, **kwargs) -> None:
    """A record created in a waiting state (an application filed) gets its task in the same
    transaction; later changes come through workflow steps."""
    if created and not raw:
        from relief.todo.deadlines import deadlines_for, follow

        if deadlines_for(sender):
            follow(instance)


def install() -> None:
    if follow_step not in AFTER_STEP:
        AFTER_STEP.append(follow_step)
    from django.db.models.signals import post_save

    post_save.connect(follow_created, dispatch_uid="relief.todo.follow_created")
