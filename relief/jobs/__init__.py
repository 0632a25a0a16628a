"""The jobs wing of relief: long work recorded as a `Job` (relief/models.py) with state, progress,
result and error, shown to the person who started it.

- registry.py   `@job_handler(kind)`: the function that does a kind of job; JobContext, JobError
- services.py   job_start, job_retry, jobs_requeue_stranded, jobs_mark_lost
- workflows.py  the job's steps: retry (by its owner), mark_lost (by the watchdog)
- runner.py     the `run_job` task, and how a job is queued for it
- pool.py       without a broker: jobs in a few threads of the web process
- watch.py      without a broker: each web process's watch over the jobs it holds and those left behind
- parts.py      a job split into tasks (a sweep over counties): each part counted once
- tasks.py      the periodic watchdog;  views.py  the job pages
"""
