"""What the table-driven workflow tests share (tests/<app>/test_workflows.py): the roles of the
`users` fixture, a savepoint that undoes one attempt, and the `data-step` buttons of a page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import transaction

#: every kind of caller in tests/conftest.py `users`
ROLES = [
    "admin",
    "province",
    "city",
    "county",
    "township",
    "village",
    "other_county",
    "api_read",
    "api_write",
]

DATA_STEP = re.compile(r'data-step="([^"]+)"')


@contextmanager
def undone() -> Iterator[None]:
    """Whatever happens inside is rolled back to a savepoint, so one object serves every attempt."""
    savepoint = transaction.savepoint()
    try:
        yield
    finally:
        transaction.savepoint_rollback(savepoint)


def buttons(html: str) -> list[str]:
    """The workflow buttons of a rendered page, in order."""
    return DATA_STEP.findall(html)
