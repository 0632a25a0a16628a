"""Tasks (待办): the work every finding, visit need, workflow deadline and 督办 instruction becomes.

- sources.py: where tasks come from (TaskSource registry) and the set-based sync that opens,
  reopens and closes them with their causes;
- workflows.py: a task's own steps (take, complete, cancel; escalate by the system);
- services.py: the writes (open one task, 督办, escalation, the alert source);
- today.py: the today page's sections (each app adds its own, e.g. people's visits due today);
- views.py / api.py: the today page, the task pages and /api/v1/tasks/.
"""
