"""The alerts wing of relief: findings someone must act on, raised by each app's monitoring sweeps
and handled in the inbox (预警督办).

- workflows.py  the alert's steps: acknowledge, resolve (people); auto_resolve, escalate (system)
- services.py   alert_raise, alert_acknowledge, alert_resolve, alert_escalate,
                alerts_escalate_overdue, sweep_start
- sweeps.py     the sweeps registry (each app registers its own) and the per-county runner
- tasks.py      the sweep tasks (nightly, on demand as a job) and the escalation task
- views.py      the inbox and alert pages;  dashboard.py  relief's own dashboard figures
"""
