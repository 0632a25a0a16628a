"""Reads that may be a little stale, from a streaming read replica (DATABASE_REPLICA_URL).

Without a `replica` database alias nothing here runs: settings install neither the router nor the
middleware. With one:

- `ReplicaReadMiddleware` decides once per request whether its reads may be stale: a GET or HEAD of
  a view named in `STALE_READ_VIEWS` (dashboards, lists, exports, their API). Everything else reads
  the primary.
- `stale_reads()` does the same for background code (export jobs: `job_handler(..., stale_reads=True)`).
- `relief.db_router.ReplicaRouter` asks `read_alias()` for every read: the replica only when the
  context allows stale reads, the request has written nothing yet, no transaction is open on the
  primary (a write's transaction, select_for_update) and the model is not one that must be current
  (sessions, users, tokens, lock-out records, jobs).
- Read-your-writes: a request that wrote remembers the primary's WAL position
  (`pg_current_wal_lsn()`) in the session (an API token's user: in the cache); a later stale-allowed
  read uses the replica only once it has replayed that position. A background job waits (up to
  REPLICA_JOB_WAIT_SECONDS) for the replica to replay what was committed when the job began.
- The replica is skipped, with one warning per episode and never an error page, when it does not
  answer (then not tried again for REPLICA_RETRY_SECONDS) or lags more than REPLICA_MAX_LAG_SECONDS.

`read_as_of(now)` is the time the figures read so far are current to (a live dashboard's
`computed_at`): `now` on the primary or a caught-up replica, else the replica's last replayed commit.
"""

from __future__ import annotations

import contextlib
import datetime
import fnmatch
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, DatabaseError, InterfaceError, connections
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"

#: GET/HEAD views whose reads may lag the primary by a few seconds (URL names; fnmatch patterns).
#: Not here: detail and edit pages (a record is opened to act on it), the to-do page, job pages (they
#: show a running job's progress), bank files and anything that answers a POST.
STALE_READ_VIEWS: tuple[str, ...] = (
    "dashboard:index",
    "dashboard:screen",
    "dashboard:export",
    "api:dashboard-*",
    "reports:index",
    "*:index",
    "*-list",
    "*:list",
    "*-export",
    "*:feedback",
    "*:donors",
    "*:donations",
    "*:projects",
    "*:findings",
    "*:entries",
    "*:queue",
    "*:households",
    "*:recovery",
)
#: URL names that match a pattern above but show what is happening now
STALE_READ_EXCLUDED: tuple[str, ...] = ("job-*", "api:job-*", "task-list", "api:task-list")

#: models always read from the primary: who is signed in, lock-outs, job state and the audit log of
#: reveals (counted for limits)
PRIMARY_ONLY_APPS = frozenset({"sessions", "auth", "authtoken", "axes", "contenttypes", "admin"})
PRIMARY_ONLY_MODELS = frozenset({"relief.user", "relief.job", "relief.personaldatareveal"})

SESSION_KEY = "_primary_lsn"
CACHE_KEY = "replica-lsn:{user_id}"

_WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|MERGE|COPY|TRUNCATE|CREATE|ALTER|DROP)\b", re.I)
_CTE_WRITE = re.compile(r"^\s*WITH\b.*\b(INSERT|UPDATE|DELETE)\b", re.I | re.S)

# One query on the replica: how far it has replayed, how old that is, and whether it is a replica at
# all. A replica that has replayed all it received and is streaming is current ("as of now()"). The
# WAL receiver's status is shown only to roles with pg_read_all_stats; others see its pid.
HEALTH_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn()::text,
       caught_up,
       CASE WHEN caught_up THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 1e9) END,
       CASE WHEN caught_up THEN now() ELSE pg_last_xact_replay_timestamp() END
FROM (SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn()
             AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver
                         WHERE pid IS NOT NULL AND coalesce(status, 'streaming') = 'streaming') AS caught_up) s
"""


def lsn_value(text: str | None) -> int:
    """'16/B374D848' -> an integer that orders as the WAL positions do (0 for none)."""
    if not text:
        return 0
    high, _sep, low = text.partition("/")
    return (int(high, 16) << 32) | int(low or "0", 16)


ROUTER = "relief.db_router.ReplicaRouter"


def configured() -> bool:
    """A replica alias and the router that uses it (the test settings have the alias alone)."""
    return REPLICA in settings.DATABASES and ROUTER in settings.DATABASE_ROUTERS


@dataclass
class _Reads:
    """What one request or background task may read from the replica."""

    allowed: bool = False
    min_lsn: int = 0  # the replica must have replayed this far (the user's last write)
    wait_seconds: float = 0.0  # a background job may wait this long for the replica to get there
    wrote: bool = False  # this context wrote through the primary: its later reads go there too
    request: HttpRequest | None = None  # min_lsn is looked up on the first read (the user is known then)
    choice: str | None = None
    as_of: datetime.datetime | None = None


_reads: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


class _Health:
    """Per process: whether the replica is skipped for now, and which warning was already logged."""

    lock = threading.Lock()
    down_until = 0.0
    warned: str = ""


def _warn_once(reason: str, message: str, *args: Any) -> None:
    with _Health.lock:
        if _Health.warned == reason:
            return
        _Health.warned = reason
    logger.warning(message, *args)


def _recovered() -> None:
    if _Health.warned:
        with _Health.lock:
            _Health.warned = ""
        logger.info("read replica in use again")


def _primary_only(model: Any) -> bool:
    meta = getattr(model, "_meta", None)
    return meta is None or meta.app_label in PRIMARY_ONLY_APPS or meta.label_lower in PRIMARY_ONLY_MODELS


def read_alias(model: Any) -> str:
    """The database a read of `model` goes to now (the router's answer)."""
    state = _reads.get()
    if state is None or not state.allowed or state.wrote or _primary_only(model):
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if state.choice is None:
        if state.request is not None:
            state.min_lsn = last_write_lsn(state.request)
        state.choice, state.as_of = _choose(state.min_lsn, state.wait_seconds)
    return state.choice


def read_as_of(now: datetime.datetime) -> datetime.datetime:
    """When the data read in this context was current: `now`, or the replica's last replayed commit
    when it lags (a live figure's `computed_at` must not claim to be newer than its data)."""
    state = _reads.get()
    if state is not None and state.choice == REPLICA and state.as_of is not None:
        return min(now, state.as_of)
    return now


def _choose(min_lsn: int, wait_seconds: float) -> tuple[str, datetime.datetime | None]:
    if time.monotonic() < _Health.down_until:
        return DEFAULT_DB_ALIAS, None
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with connections[REPLICA].cursor() as cur:
                cur.execute(HEALTH_SQL)
                in_recovery, replay, _caught_up, lag, as_of = cur.fetchone()
        except (DatabaseError, InterfaceError) as exc:
            with _Health.lock:
                _Health.down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
            _warn_once("down", "read replica unavailable, reading from the primary: %s", type(exc).__name__)
            with contextlib.suppress(Exception):
                connections[REPLICA].close()
            return DEFAULT_DB_ALIAS, None
        if not in_recovery:
            _warn_once("primary", "the read replica is not in recovery (promoted?): reading from the primary")
            return DEFAULT_DB_ALIAS, None
        if lag > settings.REPLICA_MAX_LAG_SECONDS:
            _warn_once("lag", "read replica %.0f s behind, reading from the primary", lag)
            return DEFAULT_DB_ALIAS, None
        if lsn_value(replay) >= min_lsn:
            _recovered()
            return REPLICA, as_of
        if time.monotonic() >= deadline:
            return DEFAULT_DB_ALIAS, None  # not yet replayed the user's (or the job's) last write
        time.sleep(0.05)


def primary_lsn() -> int:
    with connections[DEFAULT_DB_ALIAS].cursor() as cur:
        cur.execute("SELECT pg_current_wal_lsn()::text")
        return lsn_value(cur.fetchone()[0])


def _user_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    return user.pk if user is not None and user.is_authenticated else None


def last_write_lsn(request: HttpRequest) -> int:
    """The primary's WAL position after this user's last write (0: none remembered)."""
    session = getattr(request, "session", None)
    position = lsn_value(session.get(SESSION_KEY)) if session is not None else 0
    user_id = _user_id(request)
    if user_id is not None and _token_call(request):
        position = max(position, int(cache.get(CACHE_KEY.format(user_id=user_id)) or 0))
    return position


def remember_write(request: HttpRequest) -> None:
    """After a request that wrote: the position the replica must reach before this user's next
    stale-allowed read goes there. Signed-in pages keep it in the session; API tokens in the cache."""
    lsn = primary_lsn()
    session = getattr(request, "session", None)
    user_id = _user_id(request)
    if session is not None and (session.session_key or user_id is not None) and not _token_call(request):
        session[SESSION_KEY] = f"{lsn >> 32:X}/{lsn & 0xFFFFFFFF:X}"
    elif user_id is not None:
        cache.set(CACHE_KEY.format(user_id=user_id), lsn, timeout=settings.SESSION_COOKIE_AGE)


def _token_call(request: HttpRequest) -> bool:
    return request.META.get("HTTP_AUTHORIZATION", "").startswith("Token ")


def _watch_writes(state: _Reads) -> Callable:
    def wrapper(execute, sql, params, many, context):
        if not state.wrote and (_WRITE.match(sql) or _CTE_WRITE.match(sql)):
            state.wrote = True
        return execute(sql, params, many, context)

    return wrapper


def stale_view(match: Any) -> bool:
    """Whether a resolved URL is one whose GET may read the replica (`STALE_READ_VIEWS`)."""
    name = getattr(match, "view_name", "") or ""
    if not name or any(fnmatch.fnmatchcase(name, p) for p in STALE_READ_EXCLUDED):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in STALE_READ_VIEWS)


class ReplicaReadMiddleware:
    """The one place a request is marked "stale reads allowed" (after the session and the user)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _Reads()
        token = _reads.set(state)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_watch_writes(state)):
                response = self.get_response(request)
                if state.wrote:
                    state.allowed = False
                    remember_write(request)
        finally:
            _reads.reset(token)
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> None:
        state = _reads.get()
        if state is not None and request.method in ("GET", "HEAD") and stale_view(request.resolver_match):
            state.allowed = True
            state.request = request


@contextlib.contextmanager
def stale_reads(*, wait_seconds: float | None = None, since_lsn: int | None = None) -> Iterator[None]:
    """Background code (an export job) reads the replica once it has replayed everything committed
    on the primary when this block began (or up to `since_lsn`), waiting up to `wait_seconds` for
    it (default REPLICA_JOB_WAIT_SECONDS), else reads the primary."""
    if not configured():
        yield
        return
    wait = settings.REPLICA_JOB_WAIT_SECONDS if wait_seconds is None else wait_seconds
    state = _Reads(allowed=True, min_lsn=primary_lsn() if since_lsn is None else since_lsn, wait_seconds=wait)
    token = _reads.set(state)
    try:
        with connections[DEFAULT_DB_ALIAS].execute_wrapper(_watch_writes(state)):
            yield
    finally:
        _reads.reset(token)


def reading_from() -> str:
    """The alias this context's stale-allowed reads went to so far ('' when none was chosen)."""
    state = _reads.get()
    return (state.choice or "") if state is not None else ""
