"""Tasks (待办): the work every finding, visit need, workflow deadline and 督办 instruction becomes.

- deadlines.py: workflow deadlines (a record waiting in a state for someone's step) as tasks;
- hooks.py: after every workflow step, the record's tasks follow it at once;
- common.py: the SQL of the supervising region, one-tap paths, deadline moments;
- workflows.py: a task's own steps (take, complete, cancel; escalate by the system);
- services.py: the writes (open one task, 督办, escalation, the alert source);
- today.py: the today page's sections (each app adds its own, e.g. people's visits due today);
- views.py / api.py: the today page, the task pages and /api/v1/tasks/.
"""
