"""The database router used when a read replica is configured (DATABASE_REPLICA_URL). Which reads
may go to the replica is decided in relief/replica.py; writes and migrations are the primary's."""

from __future__ import annotations

from typing import Any

from django.db import DEFAULT_DB_ALIAS

from relief import replica


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        return replica.read_alias(model)

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica is a copy of the primary: the same rows

    def allow_migrate(self, db: str, app_label: str, model_name: str | None = None, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
